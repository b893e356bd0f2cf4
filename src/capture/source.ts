/**
 * Where capture bytes come from: a file descriptor (read synchronously or asynchronously, fresh
 * buffer per read) or a stream (stdin, any Readable / AsyncIterable of bytes).
 *
 * The contract that keeps Frame.data views valid: every buffer a source returns is new and is never
 * written again. The reader hands back the unparsed tail (`leftover`, a record split across reads);
 * the next buffer starts with a copy of it, so a record is always whole in one buffer.
 */
import * as fs from 'node:fs';
import { getSystemErrorMap } from 'node:util';
import { WirelensError } from '../errors.js';

/**
 * Bytes per read. 256 KiB rather than 1 MiB: the buffer being parsed stays in the L2 cache and the
 * allocator recycles freed buffers instead of mapping fresh pages; `wirelens stats` spends about
 * 15% less CPU on a large file (bench/run.mjs).
 */
export const DEFAULT_CHUNK_SIZE = 1 << 18;

export interface ByteSource {
  /**
   * Returns a new buffer that starts with `leftover` and holds at least `need` bytes if the input
   * has them (plus whatever else is at hand), or null when the input has no more bytes.
   */
  next(leftover: Uint8Array, need: number): Promise<Uint8Array | null>;
  /** Synchronous variant; only sources over a file descriptor have it. */
  nextSync?(leftover: Uint8Array, need: number): Uint8Array | null;
  /** Reads `len` bytes at an absolute file offset (random access); only seekable sources have it. */
  readAt?(fileOffset: number, len: number): Uint8Array;
  close(): void;
}

/** Turns a Node system error into WL_ERR_FILE_OPEN naming the file and the OS reason, without a stack. */
export function fileOpenError(name: string, err: unknown): WirelensError {
  const e = err as NodeJS.ErrnoException;
  let reason = e?.code ?? 'unknown error';
  if (typeof e?.errno === 'number') {
    const sys = getSystemErrorMap().get(e.errno);
    if (sys) reason = `${sys[1]} (${sys[0]})`;
  }
  const out = new WirelensError('WL_ERR_FILE_OPEN', `${name}: cannot read: ${reason}`);
  out.stack = `${out.name}: ${out.message}`;
  return out;
}

/** A fresh, unshared buffer of `size` bytes whose contents are whatever the allocator left (a plain Uint8Array, not a Buffer). */
function uninitializedBytes(size: number): Uint8Array {
  const b = Buffer.allocUnsafeSlow(size);
  return new Uint8Array(b.buffer, b.byteOffset, size);
}

export class FdSource implements ByteSource {
  private position = 0;
  /**
   * Bytes in the file when opened (or last looked at, for a growing file), or -1 for a pipe or
   * device (read until a read returns 0).
   */
  private size: number;

  constructor(
    private readonly fd: number,
    private readonly name: string,
    private readonly chunkSize = DEFAULT_CHUNK_SIZE,
    private readonly ownsFd = true,
    /** The file is still being appended to (a live capture being written): look again at its end. */
    private readonly growing = false,
  ) {
    let st: fs.Stats;
    try {
      st = fs.fstatSync(fd);
    } catch (err) {
      throw fileOpenError(name, err);
    }
    if (st.isDirectory()) {
      const e = new WirelensError('WL_ERR_FILE_OPEN', `${name}: cannot read: is a directory`);
      e.stack = `${e.name}: ${e.message}`;
      throw e;
    }
    this.size = st.isFile() ? st.size : -1;
  }

  private currentSize(): number {
    try {
      return fs.fstatSync(this.fd).size;
    } catch (err) {
      throw fileOpenError(this.name, err);
    }
  }

  get seekable(): boolean {
    return this.size >= 0;
  }

  private alloc(leftover: Uint8Array, need: number): Uint8Array | null {
    let size = Math.max(this.chunkSize, need, leftover.length + 1);
    if (this.growing && this.size >= 0 && this.position >= this.size) this.size = this.currentSize();
    // A regular file: never allocate more than what is left, so small files cost small buffers.
    if (this.size >= 0) size = Math.min(size, leftover.length + Math.max(0, this.size - this.position));
    if (size <= leftover.length) return null;
    // Not zero-filled: every byte handed out is read from the file first (a short read returns a
    // shorter view), and zeroing a megabyte per read costs about 5% of a `stats` run.
    const buf = uninitializedBytes(size);
    buf.set(leftover);
    return buf;
  }

  nextSync(leftover: Uint8Array, need: number): Uint8Array | null {
    const buf = this.alloc(leftover, need);
    if (!buf) return null;
    let filled = leftover.length;
    try {
      while (filled < buf.length) {
        const n = fs.readSync(this.fd, buf, filled, buf.length - filled, this.size >= 0 ? this.position : null);
        if (n === 0) break;
        filled += n;
        this.position += n;
        if (this.size < 0 && filled >= need) break;
      }
    } catch (err) {
      throw fileOpenError(this.name, err);
    }
    if (filled === leftover.length) return null;
    return filled < buf.length ? buf.subarray(0, filled) : buf;
  }

  async next(leftover: Uint8Array, need: number): Promise<Uint8Array | null> {
    const buf = this.alloc(leftover, need);
    if (!buf) return null;
    let filled = leftover.length;
    while (filled < buf.length) {
      const n = await new Promise<number>((resolve, reject) =>
        fs.read(this.fd, buf, filled, buf.length - filled, this.size >= 0 ? this.position : null, (err, bytes) =>
          err ? reject(fileOpenError(this.name, err)) : resolve(bytes),
        ),
      );
      if (n === 0) break;
      filled += n;
      this.position += n;
      if (this.size < 0 && filled >= need) break;
    }
    if (filled === leftover.length) return null;
    return filled < buf.length ? buf.subarray(0, filled) : buf;
  }

  readAt(fileOffset: number, len: number): Uint8Array {
    const buf = new Uint8Array(len);
    let filled = 0;
    try {
      while (filled < len) {
        const n = fs.readSync(this.fd, buf, filled, len - filled, fileOffset + filled);
        if (n === 0) break;
        filled += n;
      }
    } catch (err) {
      throw fileOpenError(this.name, err);
    }
    return filled < len ? buf.subarray(0, filled) : buf;
  }

  close(): void {
    if (this.ownsFd) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // Already closed: nothing to release.
      }
    }
  }
}

/**
 * Bytes from a stream. Chunks are used in place when a record does not straddle them; only the
 * straddling record is copied (leftover plus the head of the next chunk).
 */
export class StreamSource implements ByteSource {
  private readonly it: AsyncIterator<unknown>;
  private pending: Uint8Array | undefined;
  private done = false;

  constructor(
    stream: AsyncIterable<unknown>,
    private readonly name: string,
  ) {
    this.it = stream[Symbol.asyncIterator]();
  }

  private async pull(): Promise<Uint8Array | undefined> {
    if (this.pending) {
      const p = this.pending;
      this.pending = undefined;
      return p;
    }
    while (!this.done) {
      let r: IteratorResult<unknown>;
      try {
        r = await this.it.next();
      } catch (err) {
        throw fileOpenError(this.name, err);
      }
      if (r.done) {
        this.done = true;
        break;
      }
      const c = r.value;
      if (!(c instanceof Uint8Array)) {
        throw new WirelensError('WL_ERR_USAGE', `${this.name}: the stream must yield bytes, not ${typeof c} (do not set an encoding)`);
      }
      if (c.length > 0) return c;
    }
    return undefined;
  }

  async next(leftover: Uint8Array, need: number): Promise<Uint8Array | null> {
    if (leftover.length === 0) return (await this.pull()) ?? null;
    const target = Math.max(need, leftover.length + 1);
    const parts: Uint8Array[] = [];
    let total = leftover.length;
    while (total < target) {
      const c = await this.pull();
      if (!c) break;
      const take = Math.min(c.length, target - total);
      parts.push(take === c.length ? c : c.subarray(0, take));
      if (take < c.length) this.pending = c.subarray(take);
      total += take;
    }
    if (parts.length === 0) return null;
    const buf = new Uint8Array(total);
    buf.set(leftover);
    let o = leftover.length;
    for (const p of parts) {
      buf.set(p, o);
      o += p.length;
    }
    return buf;
  }

  close(): void {
    this.done = true;
    void this.it.return?.();
  }
}

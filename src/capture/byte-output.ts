/**
 * Buffered output for the capture writers: records are laid out in a chunk buffer and handed to a
 * sink in large pieces. A chunk handed to the sink is never written again (a Writable may hold it),
 * unless the sink says it is `synchronous`: then one chunk buffer is filled again and again.
 */
import { Buffer } from 'node:buffer';
import * as fs from 'node:fs';
import type { Writable } from 'node:stream';
import { concatBytes } from '../wire/bytes.js';

/** Receives finished chunks of the file, in order. */
export interface ByteSink {
  (chunk: Uint8Array): void;
  /**
   * True when the sink is done with a chunk by the time it returns (it wrote or copied it): the
   * writer then fills the same buffer again instead of allocating a fresh one per chunk.
   */
  readonly synchronous?: boolean;
}

const DEFAULT_OUTPUT_CHUNK = 1 << 20;

export class ByteOutput {
  /** A Buffer for its UTF-8 writer (see `utf8`); handed to the sink as a plain Uint8Array. */
  buf: Buffer;
  dv: DataView;
  pos = 0;
  /** Bytes handed to the sink so far. */
  flushed = 0;

  constructor(
    private readonly sink: ByteSink,
    private readonly chunkSize = DEFAULT_OUTPUT_CHUNK,
  ) {
    this.buf = Buffer.alloc(chunkSize);
    this.dv = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
  }

  /** File offset of the next byte written. */
  get offset(): number {
    return this.flushed + this.pos;
  }

  /** Makes room for `n` contiguous bytes at `pos`. */
  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) {
      this.buf = Buffer.alloc(n);
      this.dv = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
    }
  }

  /**
   * Writes `s` as UTF-8 at `at` (room reserved by the caller) and returns the byte count. Lone
   * surrogates become U+FFFD, as with TextEncoder. Buffer.write needs no view or result object per
   * call, which TextEncoder.encodeInto does: this runs once per packet comment.
   */
  utf8(s: string, at: number): number {
    return this.buf.write(s, at);
  }

  flush(): void {
    if (this.pos === 0) return;
    this.sink(new Uint8Array(this.buf.buffer, this.buf.byteOffset, this.pos));
    this.flushed += this.pos;
    this.pos = 0;
    // Reused chunks are not zeroed: the writers write every byte of a record, padding included.
    if (this.sink.synchronous && this.buf.length === this.chunkSize) return;
    this.buf = Buffer.alloc(Math.max(this.chunkSize, 0));
    this.dv = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
  }
}

/** Collects the file in memory (tests, small files). */
export function memorySink(): { sink: ByteSink; bytes(): Uint8Array } {
  const parts: Uint8Array[] = [];
  return { sink: (c) => parts.push(c), bytes: () => concatBytes(parts) };
}

/** Writes synchronously to a file descriptor. */
export function fdSink(fd: number): ByteSink {
  const sink = (c: Uint8Array) => {
    let o = 0;
    while (o < c.length) o += fs.writeSync(fd, c, o, c.length - o);
  };
  return Object.assign(sink, { synchronous: true });
}

/**
 * Writes to a stream. Memory is bounded only if the caller waits for `drained()` between flushes
 * when the stream is slower than the writer.
 */
export function writableSink(w: Writable): { sink: ByteSink; drained(): Promise<void> } {
  return {
    sink: (c) => {
      w.write(c);
    },
    drained: () => (w.writableNeedDrain ? new Promise((resolve) => w.once('drain', () => resolve())) : Promise.resolve()),
  };
}

/** Splits a non-negative integer `v` < 2^64 given as `s * R + f` into 32-bit words, exactly. */
export function splitUnits(s: number, R: number, f: number): [high: number, low: number] {
  // s*R may exceed 2^53; split s into 16-bit halves so every partial product stays exact.
  const sH = Math.floor(s / 65536);
  const sL = s - sH * 65536;
  const a = sL * R + f;
  const b = sH * R;
  const bHi = Math.floor(b / 65536);
  const bLo = b - bHi * 65536;
  const c = bLo * 65536 + a;
  const cHi = Math.floor(c / 4294967296);
  return [bHi + cHi, c - cHi * 4294967296];
}

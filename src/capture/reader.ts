/**
 * Streaming capture reader: pcap or pcapng (detected by magic), from a path, stdin ('-') or any
 * byte stream, with bounded memory whatever the file size.
 *
 * Frames come in batches (one per buffer read, 256 KiB by default), never one Promise per packet. Each batch's
 * Frame.data are views into a buffer that is never reused, so frames stay valid as long as they are
 * held. Problems after the file header are collected in `warnings`; reading stops at a framing
 * error having delivered every good frame before it.
 */
import * as fs from 'node:fs';
import type { Readable } from 'node:stream';
import type { Frame, InterfaceInfo } from './frame.js';
import type { ReadWarning } from '../errors.js';
import { WirelensError } from '../errors.js';
import { WarningList, type CaptureFormat, type FormatParser, type InterfaceStatistics, type SectionInfo } from './format.js';
import { PcapParser } from './pcap.js';
import { PcapngParser } from './pcapng.js';
import { notACaptureError, sniffFormat, SNIFF_LEN } from './sniff.js';
import { DEFAULT_CHUNK_SIZE, FdSource, fileOpenError, StreamSource, type ByteSource } from './source.js';
import { Slice } from '../event-loop.js';

export type { CaptureFormat, InterfaceStatistics, SectionInfo } from './format.js';

export interface ReaderOptions {
  /** Bytes per read (default 256 KiB). Tiny values are for tests of records split across reads. */
  chunkSize?: number;
  /** Most warnings kept (default 1000); more are counted in `droppedWarnings`. */
  maxWarnings?: number;
  /** Name used in messages (default: the path, or 'stdin'). */
  name?: string;
  /**
   * Paths only: the file is still being written (a live capture, see src/tui/live.ts), so its end
   * means "not yet" rather than "done" until `endFollow()` is called.
   */
  follow?: boolean;
}

export type CaptureInput = string | Readable | AsyncIterable<Uint8Array>;

const EMPTY: Uint8Array = new Uint8Array(0);

export class CaptureReader {
  private buf: Uint8Array = EMPTY;
  private pos = 0;
  private end = 0;
  /** File offset of buf[0]. */
  private bufOffset = 0;
  private finished = false;
  /** See ReaderOptions.follow. */
  private following = false;

  private constructor(
    readonly name: string,
    readonly format: CaptureFormat,
    private readonly parser: FormatParser,
    private readonly source: ByteSource,
    private readonly warningList: WarningList,
  ) {}

  /** Problems met so far that did not stop reading the file as a whole (in file order). */
  get warnings(): ReadWarning[] {
    return this.warningList.items;
  }
  /** Warnings beyond `maxWarnings`, counted but not kept. */
  get droppedWarnings(): number {
    return this.warningList.dropped;
  }
  /** Interfaces seen so far; `Frame.interfaceId` indexes this array. */
  get interfaces(): InterfaceInfo[] {
    return this.parser.interfaces;
  }
  /** pcapng sections seen so far (a pcap file has one). */
  get sections(): SectionInfo[] {
    return this.parser.sections;
  }
  /** pcapng Interface Statistics Blocks seen so far. */
  get statistics(): InterfaceStatistics[] {
    return this.parser.statistics;
  }
  /** Frames delivered so far. */
  get framesRead(): number {
    return this.parser.framesRead;
  }
  /**
   * True once the input is exhausted or a fatal problem stopped reading. A following reader that
   * returned no batch but is not done has read everything written so far.
   */
  get done(): boolean {
    return this.finished;
  }

  /** The file being followed is complete: its end is the end from now on. */
  endFollow(): void {
    this.following = false;
  }

  /** Opens a path synchronously (fastest: the whole read loop is fs.readSync). */
  static openSync(path: string, options: ReaderOptions = {}): CaptureReader {
    const name = options.name ?? path;
    let fd: number;
    try {
      fd = fs.openSync(path, 'r');
    } catch (err) {
      throw fileOpenError(name, err);
    }
    let source: FdSource;
    try {
      source = new FdSource(fd, name, options.chunkSize ?? DEFAULT_CHUNK_SIZE, true, options.follow);
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
    const wl = new WarningList(options.maxWarnings);
    try {
      const head = drainSync(source, EMPTY, SNIFF_LEN);
      const reader = CaptureReader.create(name, head, source, wl);
      reader.following = options.follow ?? false;
      let leftover = head;
      for (;;) {
        if (reader.startAfterHeader(leftover)) return reader;
        const nb = source.nextSync(leftover, reader.parser.need);
        if (!nb) throw headerCutShort(name, leftover.length);
        leftover = nb;
      }
    } catch (err) {
      source.close();
      throw err;
    }
  }

  /** Opens a path, '-' (stdin), a Readable or an AsyncIterable of bytes. */
  static async open(input: CaptureInput, options: ReaderOptions = {}): Promise<CaptureReader> {
    if (typeof input === 'string' && input !== '-') {
      // Regular files and devices read through the fd source; its async path avoids blocking.
      return CaptureReader.openSync(input, options);
    }
    const name = options.name ?? (typeof input === 'string' ? 'stdin' : 'stream');
    const stream: AsyncIterable<unknown> = typeof input === 'string' ? process.stdin : input;
    const source = new StreamSource(stream, name);
    const wl = new WarningList(options.maxWarnings);
    try {
      let head: Uint8Array = EMPTY;
      while (head.length < SNIFF_LEN) {
        const nb = await source.next(head, SNIFF_LEN);
        if (!nb) break;
        head = nb;
      }
      const reader = CaptureReader.create(name, head, source, wl);
      let leftover = head;
      for (;;) {
        if (reader.startAfterHeader(leftover)) return reader;
        const nb = await source.next(leftover, reader.parser.need);
        if (!nb) throw headerCutShort(name, leftover.length);
        leftover = nb;
      }
    } catch (err) {
      source.close();
      throw err;
    }
  }

  /** Parses the file header from `bytes` (the start of the file); when it is all there, reading starts after it. */
  private startAfterHeader(bytes: Uint8Array): boolean {
    const p = this.parser.header(bytes, 0, bytes.length, 0);
    if (p < 0) return false;
    this.buf = bytes;
    this.end = bytes.length;
    this.pos = p;
    return true;
  }

  private static create(name: string, head: Uint8Array, source: ByteSource, wl: WarningList): CaptureReader {
    const format = sniffFormat(head);
    if (!format) throw notACaptureError(name, head);
    const parser = format === 'pcap' ? new PcapParser(name, wl) : new PcapngParser(name, wl);
    return new CaptureReader(name, format, parser, source, wl);
  }

  /** Parses what is buffered; returns frames, or undefined when more input is needed or reading is over. */
  private parseBuffered(): Frame[] | undefined {
    const out: Frame[] = [];
    this.pos = this.parser.parse(this.buf, this.pos, this.end, this.bufOffset, out);
    if (this.parser.stopped) this.finished = true;
    return out.length > 0 ? out : undefined;
  }

  private accept(nb: Uint8Array | null): void {
    if (!nb) {
      this.parser.finish(this.bufOffset + this.pos, this.end - this.pos);
      this.finished = true;
      this.buf = EMPTY;
      this.pos = this.end = 0;
      return;
    }
    this.bufOffset += this.pos;
    this.buf = nb;
    this.pos = 0;
    this.end = nb.length;
  }

  /**
   * The next batch of frames, or null at the end (or, while following, when nothing more was
   * written yet: `done` tells which). Only for paths (sync sources).
   */
  nextBatchSync(): Frame[] | null {
    const src = this.source;
    if (!src.nextSync) throw new WirelensError('WL_ERR_USAGE', `${this.name}: a stream can only be read asynchronously`);
    while (!this.finished) {
      const out = this.parseBuffered();
      if (out) return out;
      if (this.finished) break;
      const nb = src.nextSync(this.buf.subarray(this.pos, this.end), this.parser.need);
      // Not the end yet: the unparsed tail (a block still being written) stays for the next call.
      if (!nb && this.following) return null;
      this.accept(nb);
    }
    return null;
  }

  /** The next batch of frames, or null at the end. */
  async nextBatch(): Promise<Frame[] | null> {
    while (!this.finished) {
      const out = this.parseBuffered();
      if (out) return out;
      if (this.finished) break;
      this.accept(await this.source.next(this.buf.subarray(this.pos, this.end), this.parser.need));
    }
    return null;
  }

  /**
   * Batches of frames in file order. Paths are read with readSync underneath (fastest); since an
   * await between synchronous reads is only a microtask, the loop hands the event loop a turn
   * after every slice (event-loop.ts) of reading and of the caller's work on the batches, so a
   * program that does other things meanwhile (the terminal UI's keys and redraws) is never
   * starved by a long read. The cost is one turn per 10 ms, far below 1% of a `read` or `stats`.
   */
  async *batches(): AsyncGenerator<Frame[], void, undefined> {
    if (this.source.nextSync) {
      const slice = new Slice();
      for (let b = this.nextBatchSync(); b; b = this.nextBatchSync()) {
        yield b;
        await slice.pause();
      }
    } else {
      for (let b = await this.nextBatch(); b; b = await this.nextBatch()) yield b;
    }
  }

  /** Synchronous batches (paths only). */
  *batchesSync(): Generator<Frame[], void, undefined> {
    for (let b = this.nextBatchSync(); b; b = this.nextBatchSync()) yield b;
  }

  /** Calls `each` for every remaining frame (paths only); returns how many. */
  forEachSync(each: (frame: Frame) => void): number {
    let n = 0;
    for (let b = this.nextBatchSync(); b; b = this.nextBatchSync()) {
      for (let i = 0; i < b.length; i++) each(b[i]!);
      n += b.length;
    }
    return n;
  }

  /**
   * Decodes the one packet record at `fileOffset` (a Frame.fileOffset seen earlier, e.g. from an
   * index) as frame `number`, in a fresh buffer, without disturbing sequential reading. For pcapng
   * the record's section and interfaces must have been read already. Returns undefined when there
   * is no packet record there. Paths only.
   */
  readFrameAt(fileOffset: number, number = 0): Frame | undefined {
    const src = this.source;
    if (!src.readAt) throw new WirelensError('WL_ERR_USAGE', `${this.name}: random access needs a file, not a stream`);
    const head = src.readAt(fileOffset, this.parser.recordHeaderLength);
    if (head.length < this.parser.recordHeaderLength) return undefined;
    const len = this.parser.recordLength(head, fileOffset);
    if (len < 0) return undefined;
    const rec = src.readAt(fileOffset, len);
    if (rec.length < len) return undefined;
    return this.parser.decodeRecord(rec, fileOffset, number);
  }

  /** Releases the file descriptor or stream. Frames already delivered stay valid. */
  close(): void {
    this.finished = true;
    this.source.close();
  }
}

function drainSync(source: FdSource, leftover: Uint8Array, need: number): Uint8Array {
  let head = leftover;
  while (head.length < need) {
    const nb = source.nextSync(head, need);
    if (!nb) break;
    head = nb;
  }
  return head;
}

function headerCutShort(name: string, have: number): WirelensError {
  return new WirelensError(
    'WL_ERR_TRUNCATED_FILE',
    `${name}: file cut short inside its file header (${have} bytes); no frames could be read`,
    0,
  );
}

/** Opens a capture for streaming: a path, '-' for stdin, a Readable or an AsyncIterable of bytes. */
export function openCapture(input: CaptureInput, options?: ReaderOptions): Promise<CaptureReader> {
  return CaptureReader.open(input, options);
}

/** Opens a path for synchronous reading. */
export function openCaptureSync(path: string, options?: ReaderOptions): CaptureReader {
  return CaptureReader.openSync(path, options);
}

export interface CaptureContents {
  format: CaptureFormat;
  frames: Frame[];
  warnings: ReadWarning[];
  interfaces: InterfaceInfo[];
  sections: SectionInfo[];
  statistics: InterfaceStatistics[];
}

function contentsOf(reader: CaptureReader, frames: Frame[]): CaptureContents {
  return {
    format: reader.format,
    frames,
    warnings: reader.warnings,
    interfaces: reader.interfaces,
    sections: reader.sections,
    statistics: reader.statistics,
  };
}

/** Reads a whole (small) capture into memory: every frame, plus what the file says about itself. */
export async function readCaptureFile(input: CaptureInput, options?: ReaderOptions): Promise<CaptureContents> {
  const reader = await CaptureReader.open(input, options);
  const frames: Frame[] = [];
  try {
    for await (const batch of reader.batches()) for (const f of batch) frames.push(f);
  } finally {
    reader.close();
  }
  return contentsOf(reader, frames);
}

/** Synchronous `readCaptureFile` for paths. */
export function readCaptureFileSync(path: string, options?: ReaderOptions): CaptureContents {
  const reader = CaptureReader.openSync(path, options);
  const frames: Frame[] = [];
  try {
    for (let b = reader.nextBatchSync(); b; b = reader.nextBatchSync()) for (const f of b) frames.push(f);
  } finally {
    reader.close();
  }
  return contentsOf(reader, frames);
}

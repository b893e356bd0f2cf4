/**
 * Writes a live capture to pcapng as it goes: the SHB at once, each interface's IDB (if_name,
 * if_filter, if_os) when its first frame arrives, a flush after every batch so a reader can follow
 * the file, and an ISB with the tool's received/dropped counts at the end.
 *
 * Every flush hands whole blocks to the file, so a wirelens killed between batches leaves a valid
 * pcapng; a write error stops with WL_ERR_CAPTURE_WRITE and the file holds the blocks written before.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { WirelensError } from '../errors.js';
import { fdSink } from './byte-output.js';
import type { Frame, InterfaceInfo } from './frame.js';
import type { CaptureStats } from './live.js';
import { PcapngWriter } from './pcapng-writer.js';

export interface LiveWriterOptions {
  /** The capture filter, written as if_filter (the tools do not always write it themselves). */
  filter?: string;
  /** The interface name asked for, when the tool's IDB has none (tcpdump's pcap header has none). */
  iface: string;
  engine: string;
}

const osName = () => `${os.type()} ${os.release()}`;

/** Wall-clock time as whole seconds and nanoseconds, for the ISB's start and end times. */
export function nowStamp(): { tsSec: number; tsNsec: number } {
  const ms = Date.now();
  return { tsSec: Math.floor(ms / 1000), tsNsec: (ms % 1000) * 1_000_000 };
}

export class LiveFileWriter {
  private readonly fd: number;
  private readonly writer: PcapngWriter;
  private declared = 0;
  private closed = false;
  /** Only a regular file is ours to remove: `-w /dev/null` or a FIFO must survive a failed start (we run as root). */
  private readonly removable: boolean;
  private readonly started = nowStamp();
  framesWritten = 0;

  /** Opens (creates or truncates) `path`, or '-' for standard output. */
  constructor(
    readonly path: string,
    private readonly opts: LiveWriterOptions,
  ) {
    try {
      this.fd = path === '-' ? 1 : fs.openSync(path, 'w');
      this.removable = this.fd !== 1 && fs.fstatSync(this.fd).isFile();
    } catch (err) {
      throw writeError(path, err);
    }
    this.writer = this.guard(
      () =>
        new PcapngWriter(fdSink(this.fd), {
          os: osName(),
          comments: [`live capture on ${opts.iface} by ${opts.engine}`],
        }),
    );
    // The section header goes out at once: a reader following the file (the live TUI) opens it
    // before the first packet arrives.
    this.guard(() => this.writer.flush());
  }

  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof WirelensError) throw err;
      throw writeError(this.path, err);
    }
  }

  /** Declares the tool's interfaces up to `id` (IDBs must precede their packets). */
  private declare(interfaces: readonly InterfaceInfo[], id: number): void {
    while (this.declared <= id && this.declared < interfaces.length) {
      const info = interfaces[this.declared]!;
      this.writer.addInterface({
        linkType: info.linkType,
        snapLen: info.snapLen,
        name: info.name ?? this.opts.iface,
        description: info.description,
        filter: this.opts.filter || info.filter,
        os: info.os ?? osName(),
        tsResolution: info.tsResolution,
        tsOffset: info.tsOffset,
        fcsLength: info.fcsLength,
        comments: info.comments,
      });
      this.declared++;
    }
  }

  /** Writes `frames[0..n)` and flushes them to the file. */
  writeBatch(frames: readonly Frame[], n: number, interfaces: readonly InterfaceInfo[]): void {
    this.guard(() => {
      for (let i = 0; i < n; i++) {
        const f = frames[i]!;
        if (f.interfaceId >= this.declared) this.declare(interfaces, f.interfaceId);
        this.writer.writeFrame(f);
      }
      this.writer.flush();
    });
    this.framesWritten += n;
  }

  /** Closes and removes the file: the capture never started, so it would hold nothing worth keeping. */
  discard(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.fd === 1) return;
    fs.closeSync(this.fd);
    if (this.removable) fs.rmSync(this.path, { force: true });
  }

  /** Writes the statistics block (when the counts are known) and closes the file. */
  close(interfaces: readonly InterfaceInfo[], stats: CaptureStats | undefined): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.guard(() => {
        // Even a capture that saw nothing says on which interface and with what filter.
        if (this.declared === 0) this.declare(interfaces, interfaces.length - 1);
        if (stats && this.declared > 0) {
          this.writer.writeStatistics({
            interfaceId: 0,
            ...nowStamp(),
            start: this.started,
            end: nowStamp(),
            ifRecv: stats.received,
            // Unknown drops (cap engine) are left out of the block rather than written as 0.
            ifDrop: stats.dropped,
            usrDeliv: stats.captured,
          });
        }
        this.writer.close();
      });
    } finally {
      if (this.fd !== 1) fs.closeSync(this.fd);
    }
  }
}

function writeError(path: string, err: unknown): WirelensError {
  const e = err as NodeJS.ErrnoException;
  return new WirelensError('WL_ERR_CAPTURE_WRITE', `cannot write ${path}: ${e.code ?? ''}${e.code ? ' ' : ''}${e.message ?? String(err)}`.replace(/(\w+) \1:/, '$1:'));
}

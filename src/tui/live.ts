/**
 * The live source of the terminal UI, built as Wireshark builds its own: the capture tool's frames
 * are written to a pcapng file as they arrive (LiveFileWriter, flushed after every batch), and the
 * UI indexes that growing file exactly as it indexes any file (readers that follow it, see
 * ReaderOptions.follow), so packet details are decoded again from their file offsets and display
 * filters read the same file. The file is the `-w` file, or a temporary one deleted on quit.
 *
 * `-c N` and `--duration S` end the capture but not the UI (the packets stay there to browse, as
 * in Wireshark); `q`, Ctrl-C and SIGTERM stop the capture, close the file with its statistics
 * block, and only then give the terminal back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveEngine } from '../capture/engines.js';
import { startCapture, type CaptureStats, type LiveCapture } from '../capture/live.js';
import { LiveFileWriter } from '../capture/live-writer.js';
import { statsLine, type CaptureCliOptions } from '../cli/capture.js';
import { compileFilterOption } from '../filter/index.js';

/** What the app is told as the capture goes. */
export interface LiveListener {
  /** Frames were written to the file (called once per batch). */
  written(): void;
  /** The capture ended and the file is complete (closed with its statistics block). */
  ended(): void;
}

export interface LiveStatus {
  /** E.g. "lo/dumpcap live" or "lo/dumpcap stopped (-c 100)". */
  head: string;
  /** Received and dropped, and a note when the timestamps are approximate. */
  counts: string;
}

/** The capture as the TUI sees it: a growing file, counts for the status line, and a way to stop. */
export interface LiveFeed {
  /** The file being written (and indexed). */
  readonly path: string;
  /** Short name for titles: the interface. */
  readonly label: string;
  readonly running: boolean;
  /** The capture's parts of the status line: what and where first, the counts after the packets. */
  status(): LiveStatus;
  listen(l: LiveListener): void;
  /** Stops the capture and closes the file; resolves once it is closed. Never rejects. */
  stop(): Promise<void>;
  /** Where `w` writes the notes (beside a `-w` file; in the working directory for a temporary one). */
  readonly notesPath: string;
  /** Removes a temporary file: the UI exits at once (internal error) without waiting for stop(). */
  cleanup(): void;
}

export class LiveSession implements LiveFeed {
  private readonly tempDir: string | undefined;
  private listener: LiveListener | undefined;
  private captured = 0;
  /** Why the capture ended, for the status line ('' while it runs). */
  private endedBy = '';
  private stats: CaptureStats | undefined;
  /** A failure of the engine or of the file, reported after the terminal is restored. */
  error: unknown;
  running = true;
  private readonly finished: Promise<void>;
  private readonly timer: ReturnType<typeof setTimeout> | undefined;

  private constructor(
    private readonly cap: LiveCapture,
    private readonly writer: LiveFileWriter,
    private readonly opts: CaptureCliOptions,
    tempDir: string | undefined,
  ) {
    this.tempDir = tempDir;
    this.timer = opts.duration !== undefined ? setTimeout(() => this.end(`--duration ${opts.duration}`), opts.duration * 1000) : undefined;
    this.finished = this.pump();
  }

  /**
   * Opens the file and starts the capture. Everything that can fail on the user's input (no
   * engine, no right to capture, bad filter, unwritable file) fails here, before the UI takes the
   * terminal, with the temporary file removed.
   */
  static async start(opts: CaptureCliOptions): Promise<LiveSession> {
    const { engine } = resolveEngine(opts.engine);
    const tempDir = opts.write ? undefined : mkdtempSync(join(tmpdir(), 'wirelens-live-'));
    const path = opts.write ?? join(tempDir!, `${opts.interface}.pcapng`);
    let writer: LiveFileWriter | undefined;
    try {
      writer = new LiveFileWriter(path, { iface: opts.interface, filter: opts.filter, engine });
      const cap = await startCapture({ iface: opts.interface, filter: opts.filter, snaplen: opts.snaplen, bufferMiB: opts.buffer, engine });
      return new LiveSession(cap, writer, opts, tempDir);
    } catch (err) {
      writer?.discard();
      if (tempDir) rmSync(tempDir, { recursive: true, force: true });
      throw err;
    }
  }

  get path(): string {
    return this.writer.path;
  }
  get label(): string {
    return this.opts.interface;
  }
  get notesPath(): string {
    if (!this.tempDir) return `${this.path.replace(/\.(pcapng|pcap|cap)$/i, '')}.notes.pcapng`;
    const t = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
    return `wirelens-${this.opts.interface}-${t}.notes.pcapng`;
  }

  listen(l: LiveListener): void {
    this.listener = l;
  }

  /** Frames from the engine to the file until the capture ends, then the file is closed. */
  private async pump(): Promise<void> {
    const limit = this.opts.count ?? Number.POSITIVE_INFINITY;
    try {
      for await (const batch of this.cap.batches()) {
        // Past -c the engine is being stopped: what it still delivers is not written.
        const n = Math.min(batch.length, limit - this.captured);
        if (n <= 0) continue;
        this.writer.writeBatch(batch, n, this.cap.interfaces);
        this.captured += n;
        this.listener?.written();
        if (this.captured >= limit) this.end(`-c ${limit}`);
      }
      this.stats = await this.cap.stop();
    } catch (err) {
      // The engine died or the file failed: keep the file valid up to the last packet written.
      this.error = err;
      this.endedBy ||= 'failed';
      this.stats = await this.cap.stop().catch(() => undefined);
    } finally {
      clearTimeout(this.timer);
      try {
        this.writer.close(this.cap.interfaces, this.stats);
      } catch (err) {
        this.error ??= err;
      }
      this.endedBy ||= 'the engine ended';
      this.running = false;
      this.listener?.ended();
    }
  }

  /** Asks the engine to stop (it drains first); the pump then closes the file. */
  private end(why: string): void {
    this.endedBy ||= why;
    void this.cap.stop().catch(() => undefined);
  }

  stop(): Promise<void> {
    if (this.running) this.end('stopped');
    return this.finished;
  }

  status(): LiveStatus {
    const c = this.cap;
    const where = `${this.opts.interface}/${c.engine}`;
    // Received and dropped come from the engine; one that reports them only when it stops gets
    // "drops at stop" until then, rather than a zero that could be read as "no drops".
    const s = this.stats;
    const drops = (d: number | undefined) => (d === undefined ? 'drops unknown' : d > 0 ? `${d} DROPPED` : '0 dropped');
    // While running, tcpdump reports its counts every second; dumpcap and cap only at the end.
    const p = this.running ? c.progress : undefined;
    const counts = s
      ? `${s.received} received, ${drops(s.dropped)}`
      : p
        ? `${p.received} received, ${drops(p.dropped)}`
        : `${this.captured} received, drops ${this.running && c.dropsCounted ? 'at stop' : 'unknown'}`;
    return {
      head: this.running ? `${where} live` : `${where} stopped (${this.endedBy})`,
      counts: c.timestampsApproximate ? `${counts} | timestamps approximate` : counts,
    };
  }

  /** The line printed once the terminal is restored (as `capture` prints it without the UI). */
  summary(): string {
    const written = this.tempDir ? undefined : { path: this.path, frames: this.writer.framesWritten };
    if (this.stats) return statsLine(this.stats, written);
    return `wirelens: ${this.captured} packets captured; the engine gave no counts, so drops are unknown${written ? `; ${written.frames} written to ${written.path}` : ''}\n`;
  }

  /** Removes the temporary file (a `-w` file stays); also when the UI exits at once on an internal error. */
  cleanup(): void {
    if (this.tempDir) rmSync(this.tempDir, { recursive: true, force: true });
  }
}

/** `wirelens capture` on a terminal: the UI on the live capture; returns the exit code. */
export async function runLiveTui(opts: CaptureCliOptions): Promise<number> {
  // A bad -Y fails here, as one line, before the capture starts.
  compileFilterOption(opts.displayFilter);
  // Loaded first: once the capture runs, the UI (and its signal handlers) should follow at once.
  const { TuiApp } = await import('./app.js');
  const session = await LiveSession.start(opts);
  let code = 70;
  try {
    const stats = process.env.WIRELENS_TUI_STATS;
    code = await new TuiApp(session.path, { live: session, filter: opts.displayFilter, ...(stats ? { statsFile: stats } : {}) }).run();
  } finally {
    // Whatever ended the UI, the capture is stopped and the file closed before the summary.
    await session.stop();
    session.cleanup();
    process.stderr.write(session.summary());
  }
  if (session.error !== undefined) throw session.error;
  return code;
}

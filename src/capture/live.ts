/**
 * Live capture through a capture tool (dumpcap or tcpdump, see engines.ts): the tool writes pcapng
 * or pcap on its stdout and our streaming reader turns it into Frames, so live frames take exactly
 * the path frames from a file take, with kernel timestamps, original lengths and the tool's drop
 * counts. The in-process cap engine (cap-engine.ts) offers the same LiveCapture interface.
 *
 *   const cap = await startCapture({ iface: 'lo', filter: 'tcp port 8080' });
 *   for await (const frame of cap) { … }          // or cap.batches() for Frame[]
 *   const { received, dropped } = await cap.stop();
 *
 * `startCapture` resolves only once the tool is really capturing (filter compiled and set), so
 * traffic made right after it is seen; it rejects with a WirelensError saying what to fix when the
 * tool cannot start (no right to capture, unknown interface, bad filter, no tool).
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { WirelensError } from '../errors.js';
import type { Frame, InterfaceInfo } from './frame.js';
import { openCapture, type CaptureReader } from './reader.js';
import { engineCommand, engineFailure, resolveEngine, type EngineArgs, type EngineChoice, type EngineCommand, type EngineName } from './engines.js';
import { LiveCaptureBase } from './live-base.js';

export interface CaptureOptions extends EngineArgs {
  /** Default 'auto': dumpcap, else tcpdump, else cap. */
  engine?: EngineChoice;
  /** How long the tool may take to start capturing (default 15 s). */
  startTimeoutMs?: number;
}

export interface CaptureStats {
  /** Packets the tool wrote (after the capture filter). */
  captured: number;
  /** Packets the kernel handed to the capture (libpcap ps_recv: after the filter on Linux). */
  received: number;
  /**
   * Packets lost: kernel buffer full plus interface drops, as the tool reports them; undefined when
   * the engine cannot know (cap exposes no libpcap statistics), never a made-up 0.
   */
  dropped: number | undefined;
}

/** A running capture, whatever the engine: frames as they arrive, and stop(). */
export interface LiveCapture extends AsyncIterable<Frame> {
  readonly engine: EngineName;
  readonly options: CaptureOptions;
  /** The capture interfaces (for the process engines, empty until the tool's header has arrived). */
  readonly interfaces: InterfaceInfo[];
  /**
   * True when frame timestamps are taken in user space when wirelens sees the packet (cap engine),
   * not by the kernel when it captured it: on loopback measured 35 µs to 1 ms late, worse under load.
   */
  readonly timestampsApproximate: boolean;
  /** False when the engine cannot count drops at all (cap): stop() then gives `dropped` undefined. */
  readonly dropsCounted: boolean;
  /** What the engine printed on stderr so far (empty for the in-process engine). */
  readonly engineMessages: string;
  /**
   * The engine's counts so far, for engines that report them while capturing (tcpdump, asked
   * every second); undefined for the others, which report them only when they stop.
   */
  readonly progress: CaptureStats | undefined;
  /**
   * Frames in batches, as the engine delivers them, until stop(). An engine that stops by itself
   * is an error (WL_ERR_CAPTURE_ENGINE) raised after its last frame.
   */
  batches(): AsyncGenerator<Frame[], void, undefined>;
  /**
   * Stops after letting the engine read what the kernel already holds; frames captured before are
   * still delivered to whoever iterates. Calling it again returns the same result.
   */
  stop(): Promise<CaptureStats>;
}

type Child = ChildProcessByStdio<null, Readable, Readable>;
interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

/**
 * The most of a tool's stderr that we keep: its beginning (errors come early) and its end (the
 * counts come last; tcpdump prints them every second while capturing).
 */
const STDERR_KEEP = 16 * 1024;
/** How often tcpdump is asked for its counts (SIGUSR1, its "request info" signal on Linux). */
const PROGRESS_MS = 1_000;
/** After SIGTERM, how long a tool gets to flush before SIGKILL. */
const KILL_AFTER_MS = 5_000;
/**
 * How long stop() lets the tool read what the kernel already holds before asking it to end. dumpcap
 * has no immediate mode: on Linux its packets wait in a TPACKET_V3 block for up to its 250 ms read
 * timeout (measured here: 100-250 ms from send to our reader), and on SIGTERM it leaves without
 * reading that block, so stopping sooner loses the last packets. tcpdump runs with
 * --immediate-mode and hands each packet over within a millisecond or so.
 */
const DRAIN_MS = { dumpcap: 600, tcpdump: 50 } as const;

/** A capture through dumpcap or tcpdump. */
export class ProcessCapture extends LiveCaptureBase {
  readonly timestampsApproximate = false;
  readonly dropsCounted = true;
  private stderrText = '';
  private stopping = false;
  private iterating = false;
  private reader: CaptureReader | undefined;
  private readonly exited: Promise<Exit>;
  private readonly stderrDone: Promise<void>;
  private readonly readerP: Promise<CaptureReader>;
  private readonly killOnExit = () => this.child.kill('SIGKILL');
  private progressTimer: NodeJS.Timeout | undefined;

  /** @internal use startCapture */
  constructor(
    private readonly child: Child,
    readonly cmd: EngineCommand,
    readonly options: CaptureOptions,
  ) {
    super();
    this.exited = new Promise((resolve) => {
      child.once('error', (error) => resolve({ code: null, signal: null, error }));
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    this.stderrDone = new Promise((resolve) => {
      child.stderr.on('data', (b: Buffer) => {
        this.stderrText += b.toString('utf8');
        if (this.stderrText.length > STDERR_KEEP) {
          const half = STDERR_KEEP / 2;
          this.stderrText = `${this.stderrText.slice(0, half)}\n…\n${this.stderrText.slice(-half)}`;
        }
      });
      child.stderr.once('close', () => resolve());
    });
    this.readerP = openCapture(child.stdout, { name: `${cmd.engine} on ${options.iface}` });
    this.readerP.then(
      (r) => (this.reader = r),
      () => undefined, // reported by whoever awaits it, with the tool's own message
    );
    // A wirelens that exits without stop() must not leave a capture tool running.
    process.once('exit', this.killOnExit);
  }

  get engine(): 'dumpcap' | 'tcpdump' {
    return this.cmd.engine;
  }
  /** The capture interfaces, as the tool described them (empty until its header has arrived). */
  get interfaces(): InterfaceInfo[] {
    return this.reader?.interfaces ?? [];
  }
  /** What the tool printed on stderr so far. */
  get engineMessages(): string {
    return this.stderrText;
  }
  /** tcpdump's latest counts (it prints them on SIGUSR1); dumpcap gives none until it stops. */
  override get progress(): CaptureStats | undefined {
    return this.progressTimer ? parseEngineStats(this.cmd.engine, this.stderrText) : undefined;
  }

  /** Resolves once the tool is capturing; rejects with the reason when it died first. */
  async ready(timeoutMs: number): Promise<void> {
    // dumpcap says "Capturing on" before it has even opened the device, but writes its pcapng
    // header only after the filter is set: that header is its ready signal. tcpdump prints
    // "listening on" after pcap_activate and setfilter, while -U may hold its pcap header until
    // the first packet.
    const signal: Promise<unknown> =
      this.cmd.engine === 'dumpcap'
        ? this.readerP
        : new Promise<void>((resolve) => {
            const look = () => {
              if (/listening on/.test(this.stderrText)) {
                this.child.stderr.off('data', look);
                resolve();
              }
            };
            this.child.stderr.on('data', look);
            look();
          });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    const first = await Promise.race([signal.then(() => 'ready' as const, () => 'failed' as const), this.exited.then(() => 'exited' as const), timeout]);
    clearTimeout(timer);
    if (first === 'ready') {
      // Only now: tcpdump installs its SIGUSR1 handler before saying "listening on", and until
      // then the signal would kill it.
      if (this.cmd.engine === 'tcpdump') {
        this.progressTimer = setInterval(() => this.child.kill('SIGUSR1'), PROGRESS_MS);
        this.progressTimer.unref();
      }
      return;
    }
    if (first === 'timeout') {
      this.child.kill('SIGKILL');
      process.off('exit', this.killOnExit);
      throw new WirelensError('WL_ERR_CAPTURE_ENGINE', `${this.cmd.engine} did not start capturing within ${timeoutMs / 1000} s${this.lastLine()}`);
    }
    throw await this.failure();
  }

  private lastLine(): string {
    const l = this.stderrText.trim().split('\n').pop();
    return l ? `: ${l.trim()}` : '';
  }

  private async failure(): Promise<WirelensError> {
    const ex = await this.exited;
    await this.stderrDone;
    process.off('exit', this.killOnExit);
    if (ex.error) {
      return new WirelensError('WL_ERR_CAPTURE_ENGINE', `cannot run ${this.cmd.path}: ${ex.error.message}`);
    }
    return engineFailure(this.cmd, this.options, this.stderrText, ex.code, ex.signal);
  }

  /**
   * Frames in batches, as the tool delivers them, until stop() (or the tool's end). A tool that
   * ends without being asked to is an error (WL_ERR_CAPTURE_ENGINE) raised after its last frame.
   */
  async *batches(): AsyncGenerator<Frame[], void, undefined> {
    this.iterating = true;
    let reader: CaptureReader;
    try {
      reader = await this.readerP;
    } catch (err) {
      // No header at all: either we stopped before the tool wrote one (tcpdump with no packet and
      // a hard kill), or the tool died; only the second is worth an error.
      const ex = await this.exited;
      if (this.stopping && !ex.error) return;
      throw (await this.exitError(ex)) ?? err;
    }
    try {
      for await (const b of reader.batches()) yield b;
    } finally {
      reader.close();
    }
    const ex = await this.exited;
    if (!this.stopping) {
      const e = await this.exitError(ex);
      if (e) throw e;
    }
  }

  private async exitError(ex: Exit): Promise<WirelensError | undefined> {
    if (!ex.error && ex.code === 0) {
      return this.stopping ? undefined : new WirelensError('WL_ERR_CAPTURE_ENGINE', `${this.cmd.engine} stopped capturing by itself${this.lastLine()}`);
    }
    return this.failure();
  }

  /**
   * Asks the tool to stop (SIGTERM: both tools then flush what they captured, and dumpcap writes its
   * statistics block), waits for it, and resolves to its counts. Frames captured before the stop
   * are still delivered to whoever iterates.
   */
  protected async doStop(): Promise<CaptureStats> {
    this.stopping = true;
    clearInterval(this.progressTimer);
    const running = () => this.child.exitCode === null && this.child.signalCode === null;
    if (running()) await Promise.race([new Promise((r) => setTimeout(r, DRAIN_MS[this.cmd.engine])), this.exited]);
    if (running()) this.child.kill('SIGTERM');
    const hard = setTimeout(() => this.child.kill('SIGKILL'), KILL_AFTER_MS);
    // Nobody reads the frames: keep the pipe flowing so the tool is never stuck writing to it.
    if (!this.iterating) this.child.stdout.resume();
    const ex = await this.exited;
    clearTimeout(hard);
    await this.stderrDone;
    process.off('exit', this.killOnExit);
    const stats = parseEngineStats(this.cmd.engine, this.stderrText);
    if (stats) return stats;
    if (ex.error || (ex.code !== 0 && ex.signal !== 'SIGTERM')) throw await this.failure();
    // The tool said nothing about its counts: fall back to what the pcapng statistics block says.
    const isb = this.reader?.statistics.at(-1);
    const captured = this.reader?.framesRead ?? 0;
    const drops = isb && (isb.ifDrop !== undefined || isb.osDrop !== undefined) ? (isb.ifDrop ?? 0) + (isb.osDrop ?? 0) : undefined;
    return { captured, received: isb?.ifRecv ?? captured, dropped: drops };
  }
}

/** Reads the counts both tools print on stderr when they stop. */
export function parseEngineStats(engine: 'dumpcap' | 'tcpdump', text: string): CaptureStats | undefined {
  // The last report counts: tcpdump prints one every second while capturing, and the final one on exit.
  const last = (re: RegExp) => [...text.matchAll(re)].at(-1);
  if (engine === 'dumpcap') {
    const cap = last(/Packets captured: (\d+)/g);
    const rd = last(/Packets received\/dropped on interface '[^']*': (\d+)\/(\d+)/g);
    if (!cap && !rd) return undefined;
    const captured = Number(cap?.[1] ?? rd?.[1] ?? 0);
    return { captured, received: Number(rd?.[1] ?? captured), dropped: Number(rd?.[2] ?? 0) };
  }
  const num = (re: RegExp) => {
    const m = last(re);
    return m ? Number(m[1]) : undefined;
  };
  const captured = num(/(\d+) packets? captured/g);
  if (captured === undefined) return undefined;
  const received = num(/(\d+) packets? received by filter/g) ?? captured;
  const dropped = (num(/(\d+) packets? dropped by kernel/g) ?? 0) + (num(/(\d+) packets? dropped by interface/g) ?? 0);
  return { captured, received, dropped };
}

/** Starts capturing; resolves once the tool is capturing. */
export async function startCapture(options: CaptureOptions): Promise<LiveCapture> {
  if (!options.iface) throw new WirelensError('WL_ERR_USAGE', 'live capture needs an interface (-i IF; see wirelens interfaces)');
  const { engine, path } = resolveEngine(options.engine ?? 'auto');
  // Loaded only when used: it is the fallback, and `cap` is an optional package.
  if (engine === 'cap') return (await import('./cap-engine.js')).startCapCapture(options);
  const cmd = engineCommand(engine, path, options);
  // A process group of its own: a Ctrl-C in the terminal reaches only wirelens, which then stops
  // the tool after its drain (a tool hit by the terminal's SIGINT directly would drop its last
  // unread packets, see DRAIN_MS).
  const child = spawn(cmd.path, cmd.args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const cap = new ProcessCapture(child, cmd, options);
  await cap.ready(options.startTimeoutMs ?? 15_000);
  return cap;
}

export interface WithCaptureResult<T> {
  result: T;
  frames: Frame[];
  stats: CaptureStats;
  interfaces: InterfaceInfo[];
}

/**
 * Captures while `fn` runs (for tests): starts, waits until capturing, runs `fn`, waits `drainMs`
 * (default 0; stop() already waits for the tool to read what the kernel holds) for traffic `fn`
 * leaves behind, stops, and returns every frame.
 */
export async function withCapture<T>(
  options: CaptureOptions & { drainMs?: number },
  fn: () => Promise<T> | T,
): Promise<WithCaptureResult<T>> {
  const cap = await startCapture(options);
  const frames: Frame[] = [];
  const collecting = (async () => {
    for await (const b of cap.batches()) for (const f of b) frames.push(f);
  })();
  // An early engine failure should surface even while fn is running; keep the rejection handled.
  collecting.catch(() => undefined);
  const stopAll = async () => {
    await new Promise((r) => setTimeout(r, options.drainMs ?? 0));
    const stats = await cap.stop();
    await collecting;
    return stats;
  };
  let result: T;
  try {
    result = await fn();
  } catch (err) {
    // fn's failure is the one worth reporting; the capture is still shut down cleanly.
    await stopAll().catch(() => undefined);
    throw err;
  }
  const stats = await stopAll();
  return { result, frames, stats, interfaces: cap.interfaces };
}

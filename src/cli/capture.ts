/**
 * `wirelens capture -i IF`: live frames through the same pipeline as `read` (packet-printer.ts),
 * optionally written to pcapng as they arrive. Ctrl-C, SIGTERM, -c and --duration all end the same
 * way: the capture tool is stopped after its drain, every frame it delivered is printed and written,
 * and the file is closed with its statistics block, so it is valid whatever ended the capture.
 * On a terminal the frames go to the terminal UI instead (src/tui/live.ts).
 */
import { resolveEngine, type EngineChoice } from '../capture/engines.js';
import { startCapture, type CaptureStats, type LiveCapture } from '../capture/live.js';
import { LiveFileWriter } from '../capture/live-writer.js';
import { escapeControl } from '../output/escape.js';
import { PacketPrinter } from './packet-printer.js';
import type { TimeFormat } from '../output/time-column.js';
import { fieldsFormat, type FieldsCliOptions } from './fields-option.js';

export interface CaptureCliOptions extends FieldsCliOptions {
  interface: string;
  filter?: string;
  write?: string;
  count?: number;
  duration?: number;
  snaplen?: number;
  buffer?: number;
  engine: EngineChoice;
  /** commander's --no-tui: false when given. */
  tui: boolean;
  json?: boolean;
  quiet?: boolean;
  displayFilter?: string;
  timeFormat?: TimeFormat;
}

/** One line on stderr with the counts; drops are always spelled out, never hidden, and never claimed 0 when unknown. */
export function statsLine(stats: CaptureStats, written?: { path: string; frames: number }): string {
  const drop =
    stats.dropped === undefined
      ? 'drops unknown (this engine cannot count them; use dumpcap or tcpdump to know)'
      : stats.dropped > 0
        ? `${stats.dropped} DROPPED (the capture is incomplete; try --buffer or a narrower -f)`
        : '0 dropped';
  const file = written ? `; ${written.frames} written to ${written.path}` : '';
  return `wirelens: ${stats.captured} packets captured, ${stats.received} received, ${drop}${file}\n`;
}

/** The line announcing a capture: interface, engine, filter, and whether timestamps are approximate. */
export function captureHeader(cap: LiveCapture): string {
  const { iface, filter } = cap.options;
  const approx = cap.timestampsApproximate ? '; timestamps are approximate (taken in user space, not by the kernel)' : '';
  // The interface and filter are the user's own words, but may hold anything: keep them inert.
  return `wirelens: capturing on ${escapeControl(iface)} with ${cap.engine}${filter ? ` (filter: ${escapeControl(filter)})` : ''}${approx}`;
}

/** Calls `stop` on SIGINT/SIGTERM until the returned function is called to remove the handlers. */
export function onStopSignals(stop: (signal: NodeJS.Signals) => void): () => void {
  const handler = (signal: NodeJS.Signals) => stop(signal);
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

export async function runCapture(opts: CaptureCliOptions): Promise<number> {
  const toStdout = opts.write === '-';
  // On a terminal the UI shows the capture (src/tui/live.ts), unless lines were asked for: --no-tui,
  // --json, -q, or the file on standard output.
  if (opts.tui && process.stdout.isTTY && process.stdin.isTTY && !toStdout && !opts.json && !opts.quiet && !opts.field?.length) {
    const { runLiveTui } = await import('../tui/live.js');
    return runLiveTui(opts);
  }
  // Everything that can fail on the user's input fails before the capture starts.
  const printer = new PacketPrinter({ count: opts.count, json: opts.json, displayFilter: opts.displayFilter, timeFormat: opts.timeFormat, fields: fieldsFormat(opts) });
  // Resolved first: a missing tool is reported before any file is created, and the file names it.
  const { engine } = resolveEngine(opts.engine);
  const writer = opts.write ? new LiveFileWriter(opts.write, { iface: opts.interface, filter: opts.filter, engine }) : undefined;
  let cap: LiveCapture;
  try {
    cap = await startCapture({ iface: opts.interface, filter: opts.filter, snaplen: opts.snaplen, bufferMiB: opts.buffer, engine });
  } catch (err) {
    writer?.discard();
    throw err;
  }
  const stopCapture = () => void cap.stop().catch(() => undefined);
  // Before the header: whoever waits for it to send SIGINT must find the handler in place (stderr
  // to a pipe is written synchronously, so the signal can arrive before the next statement).
  const removeSignals = onStopSignals(stopCapture);
  process.stderr.write(`${captureHeader(cap)}\n`);
  const print = !opts.quiet && !toStdout;
  const timer = opts.duration !== undefined ? setTimeout(stopCapture, opts.duration * 1000) : undefined;
  let stats: CaptureStats | undefined;
  let failed = false;
  try {
    const limit = opts.count ?? Number.POSITIVE_INFINITY;
    let taken = 0;
    let enough = false;
    for await (const batch of cap.batches()) {
      // Past -c (or once stdout's reader went away) the tool is being stopped; what it still
      // delivers is neither printed nor written.
      if (enough) continue;
      const n = print ? await printer.batch(batch) : Math.min(batch.length, limit - taken);
      taken += n;
      writer?.writeBatch(batch, n, cap.interfaces);
      if (taken >= limit || (print && printer.done)) {
        enough = true;
        stopCapture();
      }
    }
    stats = await cap.stop();
  } catch (err) {
    // The tool died or the file failed: stop what still runs, keep the file valid, then report.
    failed = true;
    stats = await cap.stop().catch(() => undefined);
    throw err;
  } finally {
    clearTimeout(timer);
    removeSignals();
    await printer.finish();
    try {
      writer?.close(cap.interfaces, stats);
    } catch (err) {
      // A second failure while closing must not hide the first one.
      if (!failed) throw err;
    }
    if (stats) process.stderr.write(statsLine(stats, writer && { path: writer.path, frames: writer.framesWritten }));
  }
  return 0;
}

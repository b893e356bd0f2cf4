/**
 * `wirelens record -i IF -w OUT -- COMMAND…`: how a test suite captures the traffic it makes. The
 * command starts only once the capture tool is capturing, runs with our stdio, and the capture
 * stops after it exits (stop() first lets the tool read what the kernel still holds). wirelens
 * exits with the command's code, so `record` can wrap a test run transparently.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { resolveEngine, type EngineChoice } from '../capture/engines.js';
import { startCapture, type CaptureStats } from '../capture/live.js';
import { LiveFileWriter } from '../capture/live-writer.js';
import { onStopSignals, statsLine } from './capture.js';

export interface RecordOptions {
  interface: string;
  write: string;
  filter?: string;
  snaplen?: number;
  buffer?: number;
  engine: EngineChoice;
}

interface CommandExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: NodeJS.ErrnoException;
}

export async function runRecord(command: string[], opts: RecordOptions): Promise<number> {
  // Resolved first: a missing tool is reported before any file is created, and the file names it.
  const { engine } = resolveEngine(opts.engine);
  const writer = new LiveFileWriter(opts.write, { iface: opts.interface, filter: opts.filter, engine });
  let cap;
  try {
    cap = await startCapture({ iface: opts.interface, filter: opts.filter, snaplen: opts.snaplen, bufferMiB: opts.buffer, engine });
  } catch (err) {
    writer.discard();
    throw err;
  }
  const live = cap;
  const writing = (async () => {
    for await (const batch of live.batches()) writer.writeBatch(batch, batch.length, live.interfaces);
  })();
  // A capture failure (the tool died, the disk filled) must not go unhandled while the command runs.
  let captureError: unknown;
  writing.catch((err: unknown) => {
    captureError = err;
  });

  const [file, ...args] = command;
  const child = spawn(file!, args, { stdio: 'inherit' });
  // Ctrl-C in a terminal reaches the command directly (same process group); a signal sent to
  // wirelens alone is passed on, and wirelens itself waits for the command either way.
  const removeSignals = onStopSignals((signal) => child.kill(signal));
  const exit = await new Promise<CommandExit>((resolve) => {
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  removeSignals();

  let stats: CaptureStats | undefined;
  try {
    stats = await live.stop();
    await writing;
  } finally {
    writer.close(live.interfaces, stats);
  }
  if (captureError) throw captureError;
  process.stderr.write(statsLine(stats, { path: writer.path, frames: writer.framesWritten }));
  if (exit.error) {
    // As a shell does: 127 for a command not found, 126 for one that cannot be run.
    process.stderr.write(`wirelens: cannot run ${file}: ${exit.error.code === 'ENOENT' ? 'command not found' : exit.error.message}\n`);
    return exit.error.code === 'ENOENT' ? 127 : 126;
  }
  if (exit.signal) return 128 + (constants.signals[exit.signal] ?? 0);
  return exit.code ?? 0;
}

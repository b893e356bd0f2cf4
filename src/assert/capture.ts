/**
 * Capture what a piece of test code does on the wire: tcpdump runs around `fn`, and the result is
 * a Trace.
 *
 *   const trace = await withCapture(async () => { await fetch('http://127.0.0.1:8080/') }, { filter: 'tcp port 8080' });
 *
 * tcpdump is started with -U (write each packet as it comes) and --immediate-mode (no kernel
 * buffering timeout), so nothing is left unwritten when it stops; `fn` runs only once tcpdump
 * says "listening on" (it has opened the interface and set its filter: packets sent before that
 * would be missed). After `fn` a short settle delay lets the last segments (the final ACK of a
 * close) reach the interface, then SIGINT makes tcpdump flush and exit.
 *
 * Capturing needs privileges (root or CAP_NET_RAW) and tcpdump on the PATH; captureSupport()
 * says whether both are there, so a suite can skip visibly instead of failing.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WirelensError } from '../errors.js';
import { openTrace, type Trace } from './trace.js';

export interface CaptureOptions {
  /** Interface (default 'lo'). */
  iface?: string;
  /** A pcap (BPF) filter such as 'tcp port 8080'. */
  filter?: string;
  /** Keep the capture here instead of a temporary file (which is removed). */
  file?: string;
  /** Milliseconds to wait after fn before stopping tcpdump (default 200). */
  settleMs?: number;
  /** Milliseconds to wait for tcpdump to start listening (default 10 000). */
  startTimeoutMs?: number;
  /** tcpdump executable (default 'tcpdump'). */
  tcpdump?: string;
}

/** Whether withCapture can work here: tcpdump found and enough privilege to open an interface. */
export function captureSupport(tcpdump = 'tcpdump'): { ok: boolean; reason?: string } {
  const probe = spawnSync(tcpdump, ['--version'], { stdio: 'ignore' });
  if (probe.error) return { ok: false, reason: `${tcpdump} not found` };
  // Without root, a capture can still work with CAP_NET_RAW on tcpdump; opening the interface tells.
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    const t = spawnSync(tcpdump, ['-i', 'lo', '-c', '0', '-w', '/dev/null'], { stdio: 'ignore', timeout: 3000 });
    if (t.status !== 0) return { ok: false, reason: 'not root and tcpdump cannot open the interface (needs CAP_NET_RAW)' };
  }
  return { ok: true };
}

export async function withCapture(fn: () => unknown | Promise<unknown>, options: CaptureOptions = {}): Promise<Trace> {
  const dir = options.file ? undefined : mkdtempSync(join(tmpdir(), 'wirelens-capture-'));
  const file = options.file ?? join(dir!, 'capture.pcap');
  const args = ['-i', options.iface ?? 'lo', '-U', '--immediate-mode', '-w', file];
  if (options.filter) args.push(options.filter);
  const child = spawn(options.tcpdump ?? 'tcpdump', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new WirelensError('WL_ERR_USAGE', `tcpdump did not start listening within ${options.startTimeoutMs ?? 10_000} ms: ${stderr.trim()}`)), options.startTimeoutMs ?? 10_000);
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(new WirelensError('WL_ERR_USAGE', `cannot run tcpdump: ${err.message}`));
      });
      child.stderr!.on('data', (b: Buffer) => {
        stderr += b.toString();
        if (stderr.includes('listening on')) {
          clearTimeout(timer);
          resolve();
        }
      });
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new WirelensError('WL_ERR_USAGE', `tcpdump exited (code ${code}) before listening: ${stderr.trim()}`));
      });
    });
    try {
      await fn();
    } finally {
      await new Promise((r) => setTimeout(r, options.settleMs ?? 200));
      if (child.exitCode === null) child.kill('SIGINT');
      await exited;
    }
    return await openTrace(file, { name: options.file ?? 'capture' });
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

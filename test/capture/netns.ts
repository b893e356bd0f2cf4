/**
 * Test helpers for real traffic in a network namespace of the test's own: a loopback-only
 * network nothing else on the machine can send into, so a capture there holds exactly the test's
 * packets (no port filter needed), and parallel tests never see each other's traffic.
 *
 * Namespaces need root and iproute2 (`ip netns`); netnsSupport() says why not otherwise, so a
 * suite can skip visibly. Every process started here is bounded in time and can be stopped.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

/** Whether namespaces can be made here; `reason` says what is missing when they cannot. */
export function netnsSupport(): { ok: boolean; reason?: string } {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return { ok: false, reason: 'needs root (network namespaces)' };
  if (spawnSync('ip', ['netns', 'list'], { stdio: 'ignore', timeout: 5_000 }).status !== 0) return { ok: false, reason: 'needs iproute2 (`ip netns`)' };
  return { ok: true };
}

let made = 0;

/** A fresh namespace named `wl-<pid>-<n>` with its `lo` up; delete() removes it. Throws when `ip` fails. */
export function createNetns(): { name: string; exec(argv: string[]): string[]; delete(): void } {
  const name = `wl-${process.pid}-${++made}`;
  for (const args of [['netns', 'add', name], ['-n', name, 'link', 'set', 'lo', 'up']]) {
    const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 5_000 });
    if (r.status !== 0) throw new Error(`ip ${args.join(' ')} failed: ${r.stderr || r.error?.message}`);
  }
  return {
    name,
    /** The argv that runs `argv` inside the namespace (`ip netns exec` execs it: same pid, same signals). */
    exec: (argv) => ['ip', 'netns', 'exec', name, ...argv],
    delete: () => void spawnSync('ip', ['netns', 'del', name], { timeout: 5_000 }),
  };
}

export interface Run {
  child: ChildProcess;
  /** Everything written so far. */
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves once `pattern` appears on stdout or stderr; rejects if the process exits first. */
  ready(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Resolves when the process has exited and its output is closed. */
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  /** Sends `signal`, then SIGKILL if it has not exited within `graceMs`; resolves when it has. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

/** Starts `argv` with piped output, killed (SIGKILL) if still running after `timeoutMs`. */
export function run(argv: string[], timeoutMs = 30_000): Run {
  const [file, ...args] = argv;
  const child = spawn(file!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (b: Buffer) => (stdout += b));
  child.stderr!.on('data', (b: Buffer) => (stderr += b));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) => {
    child.once('error', (err) => {
      stderr += String(err);
      resolve({ code: null, signal: null, stdout, stderr });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  return {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    done,
    ready: (pattern, waitMs = 15_000) =>
      new Promise<void>((resolve, reject) => {
        const look = () => {
          if (pattern.test(stdout) || pattern.test(stderr)) finish(resolve);
        };
        const finish = (f: () => void) => {
          clearTimeout(wait);
          child.stdout!.off('data', look);
          child.stderr!.off('data', look);
          f();
        };
        const wait = setTimeout(() => finish(() => reject(new Error(`${file} ${args.join(' ')}: no ${pattern} within ${waitMs} ms: ${stderr}`))), waitMs);
        child.stdout!.on('data', look);
        child.stderr!.on('data', look);
        void done.then((r) => finish(() => reject(new Error(`${file} ${args.join(' ')} exited (${r.code ?? r.signal}) before ${pattern}: ${r.stderr}`))));
        look();
      }),
    stop: async (signal = 'SIGTERM', graceMs = 10_000) => {
      if (exited()) return;
      const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
      child.kill(signal);
      await done;
      clearTimeout(kill);
    },
  };
}

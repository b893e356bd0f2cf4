/**
 * Hang detection. A synchronous infinite loop in a parser cannot be interrupted from its own thread
 * (vitest's timeout is a timer on that same thread), so a worker thread watches a counter the fuzz
 * loop bumps before every case. If one case runs for more than `limitMs`, the worker writes which
 * case it is straight to stderr (fd 2: the main thread is stuck and cannot relay messages) and kills
 * this test process, turning a silent CI hang into a failure that names the case to replay.
 */
import { Worker } from 'node:worker_threads';

const LABEL_BYTES = 1024;

const WATCHER = `
const { workerData } = require('node:worker_threads');
const fs = require('node:fs');
const state = new Int32Array(workerData.state);
const label = new Uint8Array(workerData.label);
let last = -1;
let since = Date.now();
setInterval(() => {
  const c = Atomics.load(state, 0);
  if (c !== last || Atomics.load(state, 1) === 0) {
    last = c;
    since = Date.now();
    return;
  }
  if (Date.now() - since > workerData.limitMs) {
    const n = Atomics.load(state, 2);
    const text = Buffer.from(label.subarray(0, n)).toString('utf8');
    fs.writeSync(2, '\\nFUZZ WATCHDOG: a case has run for more than ' + workerData.limitMs + ' ms (a hang): ' + text + '\\n');
    process.kill(process.pid, 'SIGKILL');
  }
}, 200);
`;

export class Watchdog {
  private readonly state = new Int32Array(new SharedArrayBuffer(12));
  private readonly label = new Uint8Array(new SharedArrayBuffer(LABEL_BYTES));
  private readonly worker: Worker;
  private counter = 0;

  constructor(limitMs: number) {
    this.worker = new Worker(WATCHER, { eval: true, workerData: { state: this.state.buffer, label: this.label.buffer, limitMs } });
    this.worker.unref();
  }

  /** A case starts; `text` says how to replay it. */
  begin(text: string): void {
    const b = Buffer.from(text, 'utf8').subarray(0, LABEL_BYTES);
    this.label.set(b);
    Atomics.store(this.state, 2, b.length);
    Atomics.store(this.state, 0, ++this.counter);
    Atomics.store(this.state, 1, 1);
  }

  /** No case running (e.g. between test files or during set-up). */
  idle(): void {
    Atomics.store(this.state, 1, 0);
  }

  stop(): Promise<number> {
    this.idle();
    return this.worker.terminate();
  }
}

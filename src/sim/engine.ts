/**
 * The discrete-event core: a binary heap of events ordered by (time, insertion number). The
 * insertion number breaks ties, so events at the same nanosecond run in the order they were
 * scheduled and a run never depends on heap internals: the basis of byte-identical output.
 *
 * Timers that are pushed back often (TCP's retransmission timer restarts on every ACK) use
 * `Timer`: moving the deadline later costs nothing, the pending event notices and re-arms itself.
 */
import type { Nanos } from './clock.js';

type Action = () => void;

export class Engine {
  now: Nanos = 0;
  /** Events run so far. */
  steps = 0;
  private times: number[] = [];
  private seqs: number[] = [];
  private actions: Action[] = [];
  private seq = 0;
  private stopped = false;

  /** Runs `action` at absolute time `at` (not before now). */
  at(at: Nanos, action: Action): void {
    if (at < this.now) at = this.now;
    const times = this.times;
    const seqs = this.seqs;
    const actions = this.actions;
    const s = this.seq++;
    let i = times.length;
    times.push(at);
    seqs.push(s);
    actions.push(action);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = times[p]!;
      if (pt < at || (pt === at && seqs[p]! < s)) break;
      times[i] = pt;
      seqs[i] = seqs[p]!;
      actions[i] = actions[p]!;
      i = p;
    }
    times[i] = at;
    seqs[i] = s;
    actions[i] = action;
  }

  after(delay: Nanos, action: Action): void {
    this.at(this.now + delay, action);
  }

  get pending(): number {
    return this.times.length;
  }

  stop(): void {
    this.stopped = true;
  }

  /** Runs events until none is left, `until` is passed, or stop() is called. */
  run(until: Nanos = Number.MAX_SAFE_INTEGER): void {
    this.stopped = false;
    while (this.times.length > 0 && !this.stopped) {
      if (this.times[0]! > until) {
        this.now = until;
        return;
      }
      const action = this.pop();
      this.steps++;
      action();
    }
  }

  private pop(): Action {
    const times = this.times;
    const seqs = this.seqs;
    const actions = this.actions;
    const top = actions[0]!;
    this.now = times[0]!;
    const lastT = times.pop()!;
    const lastS = seqs.pop()!;
    const lastA = actions.pop()!;
    const n = times.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        let c = l;
        if (r < n && (times[r]! < times[l]! || (times[r] === times[l] && seqs[r]! < seqs[l]!))) c = r;
        if (lastT < times[c]! || (lastT === times[c] && lastS < seqs[c]!)) break;
        times[i] = times[c]!;
        seqs[i] = seqs[c]!;
        actions[i] = actions[c]!;
        i = c;
      }
      times[i] = lastT;
      seqs[i] = lastS;
      actions[i] = lastA;
    }
    return top;
  }
}

/** A restartable one-shot timer with at most one pending engine event. */
export class Timer {
  /** Absolute deadline, or -1 when stopped. */
  deadline: Nanos = -1;
  private armedFor: Nanos = -1;

  constructor(
    private readonly engine: Engine,
    private readonly fire: () => void,
  ) {}

  get running(): boolean {
    return this.deadline >= 0;
  }

  set(delay: Nanos): void {
    this.deadline = this.engine.now + delay;
    // A pending event earlier than the new deadline re-arms itself when it runs.
    if (this.armedFor < 0 || this.armedFor > this.deadline) this.arm(this.deadline);
  }

  stop(): void {
    this.deadline = -1;
  }

  private arm(at: Nanos): void {
    this.armedFor = at;
    this.engine.at(at, () => {
      if (this.armedFor !== at) return;
      this.armedFor = -1;
      if (this.deadline < 0) return;
      if (this.deadline > this.engine.now) {
        this.arm(this.deadline);
        return;
      }
      this.deadline = -1;
      this.fire();
    });
  }
}

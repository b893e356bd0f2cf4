/**
 * Long loops that share the thread with a user: the terminal UI must keep handling keys and
 * redraws while a pass over a whole capture runs in the same event loop, and an `await` on a
 * resolved promise is only a microtask, which lets nothing else run. A Slice counts the time since
 * the last turn of the event loop and, once it is over `ms`, awaits one (setImmediate: after
 * pending I/O such as a key press, and timers such as a scheduled redraw).
 */

/** Longest stretch of work between two turns (ms): well under a 50 ms frame of the UI. */
export const SLICE_MS = 10;

export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class Slice {
  private since = performance.now();

  constructor(private readonly ms = SLICE_MS) {}

  /** True once this slice's time is spent (then `pause` yields). */
  get due(): boolean {
    return performance.now() - this.since >= this.ms;
  }

  /** Gives the event loop a turn if the slice's time is spent. */
  async pause(): Promise<void> {
    if (!this.due) return;
    await nextTurn();
    this.since = performance.now();
  }
}

/** `fn` over `items` piece by piece, the event loop getting its turns between slices. */
export async function mapInSlices<T, R>(items: readonly T[], fn: (piece: readonly T[]) => R[], pieceLength = 256): Promise<R[]> {
  const out: R[] = [];
  const slice = new Slice();
  for (let i = 0; i < items.length; i += pieceLength) {
    for (const r of fn(items.slice(i, i + pieceLength))) out.push(r);
    await slice.pause();
  }
  return out;
}

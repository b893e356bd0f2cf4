import { describe, expect, it } from 'vitest';
import { mapInSlices, Slice } from '../src/event-loop.js';

/** Busy work for `ms` milliseconds, as a long synchronous step would be. */
function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe('slices of work sharing the event loop', () => {
  it('a Slice yields only once its time is spent', async () => {
    const slice = new Slice(1_000);
    let turned = false;
    setImmediate(() => (turned = true));
    await slice.pause();
    // Not due yet: a resolved promise only, the immediate has not run.
    expect(slice.due).toBe(false);
    expect(turned).toBe(false);
    const short = new Slice(5);
    spin(6);
    expect(short.due).toBe(true);
    await short.pause();
    expect(turned).toBe(true);
    expect(short.due).toBe(false);
  });

  it('mapInSlices keeps the order and lets a timer run between pieces of a long map', async () => {
    const items = Array.from({ length: 40 }, (_, i) => i);
    let timerSawDone = -1;
    let done = 0;
    setTimeout(() => (timerSawDone = done), 0);
    const out = await mapInSlices(
      items,
      (piece) =>
        piece.map((x) => {
          spin(1);
          done++;
          return x * 2;
        }),
      4,
    );
    expect(out).toEqual(items.map((x) => x * 2));
    expect(timerSawDone).toBeGreaterThan(0);
    expect(timerSawDone).toBeLessThan(40);
  });
});

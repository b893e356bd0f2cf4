/**
 * A small deterministic PRNG (mulberry32) with the helpers the mutators need. Every fuzz case gets
 * its own generator seeded from (run seed, case index), so one case can be replayed on its own.
 */
export class Rng {
  private a: number;
  constructor(readonly seed: number) {
    this.a = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** Integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  byte(): number {
    return this.int(256);
  }
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
}

/** Seed of case `index` in a run seeded with `runSeed` (splitmix32-style mixing, so neighbours differ). */
export function caseSeed(runSeed: number, index: number): number {
  let z = (runSeed ^ Math.imul(index + 1, 0x9e3779b9)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/** vitest's per-test limit for a fuzz suite: the configured 60 s, times WIRELENS_FUZZ_SCALE. */
export function suiteTimeout(scale: number): number {
  return 60_000 * Math.max(1, scale);
}

/** A suite's own salt (FNV-1a of its name), so suites of one run seed draw different cases. */
export function suiteSalt(suite: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < suite.length; i++) h = Math.imul(h ^ suite.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * Simulated time: an integer count of nanoseconds in a plain number. Doubles hold integers exactly
 * up to 2^53 ns (about 104 days), far beyond any scenario, and stay fast on the hot path where a
 * bigint would not. Capture timestamps are the simulation time plus a fixed epoch.
 */
export type Nanos = number;

export const NS_PER_US = 1_000;
export const NS_PER_MS = 1_000_000;
export const NS_PER_S = 1_000_000_000;

/** 2024-01-01T00:00:00Z: simulated captures start here, so files from one seed never differ by date. */
export const SIM_EPOCH_S = 1_704_067_200;

export const ms = (v: number): Nanos => Math.round(v * NS_PER_MS);
export const us = (v: number): Nanos => Math.round(v * NS_PER_US);
export const sec = (v: number): Nanos => Math.round(v * NS_PER_S);

/** "600 ms", "1.6 s", "250 µs": how comments print a duration. */
export function formatDuration(ns: Nanos): string {
  if (ns >= NS_PER_S) return `${trim(ns / NS_PER_S)} s`;
  if (ns >= NS_PER_MS) return `${trim(ns / NS_PER_MS)} ms`;
  return `${trim(ns / NS_PER_US)} µs`;
}

function trim(v: number): string {
  return String(Math.round(v * 1000) / 1000);
}

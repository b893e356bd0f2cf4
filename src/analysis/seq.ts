/**
 * TCP sequence-number arithmetic modulo 2^32 (RFC 9293 §3.4, RFC 1982 serial numbers): a is
 * "before" b when b - a, taken as a signed 32-bit number, is positive. Every comparison of
 * sequence or acknowledgment numbers in wirelens goes through these functions.
 */

/** a < b in sequence space. */
export function seqLt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

export function seqLe(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}

export function seqGt(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

export function seqGe(a: number, b: number): boolean {
  return ((a - b) | 0) >= 0;
}

/** a + n, wrapped to 32 bits unsigned. */
export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

/** Distance from b forward to a (a - b mod 2^32), as an unsigned number: relative sequence numbers. */
export function seqSub(a: number, b: number): number {
  return (a - b) >>> 0;
}

/** Signed distance a - b, in -2^31 .. 2^31-1. */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

export function seqMax(a: number, b: number): number {
  return seqGt(a, b) ? a : b;
}

export function seqMin(a: number, b: number): number {
  return seqLt(a, b) ? a : b;
}

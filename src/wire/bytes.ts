/** Big-endian readers and writers over Uint8Array (network byte order, RFC 1700). Callers check bounds first. */

export function u16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

export function u32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) >>> 0) + ((b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!);
}

export function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}

export function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

/**
 * Copies `src` into `b` at `o`. For the few bytes of an address a plain loop is about twice as fast
 * as TypedArray.prototype.set, whose call and checks cost more than the copy (the simulator writes
 * four addresses per frame).
 */
export function putBytes(b: Uint8Array, o: number, src: Uint8Array): void {
  for (let i = 0; i < src.length; i++) b[o + i] = src[i]!;
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

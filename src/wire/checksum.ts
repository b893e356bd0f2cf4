/**
 * The Internet checksum (RFC 1071): the 16-bit one's complement of the one's complement sum of the
 * data taken as big-endian 16-bit words. Used by IPv4 (header only), ICMP, and — over a
 * pseudo-header — TCP, UDP and ICMPv6 (RFC 793 §3.1, RFC 768, RFC 8200 §8.1).
 *
 * The sum is accumulated in a plain JS number and folded only now and then (RFC 1071 §2(B) "deferred
 * carries"): a double holds integers exactly up to 2^53.
 */
import type { NetworkContext } from '../decode/dissector.js';

function fold(sum: number): number {
  // Two folds suffice for any sum below 2^32; loop for the larger ones deferred carries allow.
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/** Ranges up to this many bytes are summed byte pair by byte pair. */
const SHORT_RANGE = 64;

/** Bytes summed between folds: 2^16 32-bit words sum to under 2^48, exact in a double. */
const FOLD_EVERY = 1 << 18;

/** Whether a Uint32Array reads memory little-endian (every platform Node ships on but s390x). */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/**
 * Folded 16-bit one's complement sum of data[start, end), added to `initial` (not inverted).
 * An odd trailing byte is padded with zero on the right (RFC 1071 §4.1).
 *
 * 32-bit words are summed instead of 16-bit ones: 2^16 ≡ 1 (mod 2^16 − 1), so the folded sum is
 * the same (RFC 1071 §2(C) "parallel summation"). This runs over every emitted segment, so a
 * 4-byte-aligned range is read as native Uint32Array words, the fastest reads JS has; on a
 * little-endian host they are byte-swapped, which swaps the folded sum (RFC 1071 §2(B)), and it is
 * swapped back. Other ranges, and what is left after the words, go through a DataView (any alignment).
 */
export function onesComplementSum(data: Uint8Array, start: number, end: number, initial = 0): number {
  // Bytes outside the view count as zero, as indexing past a Uint8Array reads them.
  if (end > data.length) end = data.length;
  if (start < 0) return pairSum(data, start, end, initial);
  // A header (the simulator sums one per emitted packet): byte pairs beat setting up word views.
  if (end - start <= SHORT_RANGE) return shortSum(data, start, end, initial);
  const buffer = data.buffer;
  useBuffer(buffer);
  let sum = initial;
  let i = start + data.byteOffset;
  end += data.byteOffset;
  if ((i & 3) === 0 && end - i >= 64 && LITTLE_ENDIAN && buffer.byteLength % 4 === 0) {
    const w = (bufWords ??= new Uint32Array(buffer));
    let k = i >> 2;
    const last = end >> 2;
    let swapped = 0;
    while (k < last) {
      const stop = Math.min(last, k + FOLD_EVERY / 4);
      for (; stop - k >= 4; k += 4) swapped += w[k]! + w[k + 1]! + w[k + 2]! + w[k + 3]!;
      for (; k < stop; k++) swapped += w[k]!;
      swapped = fold(swapped);
    }
    sum += ((swapped & 0xff) << 8) | (swapped >> 8);
    i = k << 2;
  }
  const dv = bufView!;
  while (end - i >= 16) {
    const stop = Math.min(end - ((end - i) & 15), i + FOLD_EVERY);
    for (; i < stop; i += 16) sum += dv.getUint32(i) + dv.getUint32(i + 4) + dv.getUint32(i + 8) + dv.getUint32(i + 12);
    sum = fold(sum);
  }
  for (; end - i >= 4; i += 4) sum += dv.getUint32(i);
  if (end - i >= 2) {
    sum += dv.getUint16(i);
    i += 2;
  }
  if (i < end) sum += dv.getUint8(i) << 8;
  if (buffer !== cachedBuffer) bufView = bufWords = undefined;
  return fold(sum);
}

/** Byte-pair summation of a range inside the view: no per-byte bounds checks. */
function shortSum(data: Uint8Array, start: number, end: number, initial: number): number {
  let sum = initial;
  let i = start;
  for (; end - i >= 2; i += 2) sum += (data[i]! << 8) | data[i + 1]!;
  if (i < end) sum += data[i]! << 8;
  return fold(sum);
}

/** Byte-pair summation for a range that starts before the view (its first pairs are part zero). */
function pairSum(data: Uint8Array, start: number, end: number, initial: number): number {
  let sum = initial;
  for (let i = start; i < end; i += 2) sum += ((data[i] ?? 0) << 8) | (i + 1 < end ? (data[i + 1] ?? 0) : 0);
  return fold(sum);
}

/**
 * Views over the whole buffer being summed (words made on first use), kept while calls keep coming
 * for the same buffer (frames cut from one slab, say): creating them per call costs about as much
 * as summing a small header. Only buffers up to 1 MiB stay cached, so a large one is not kept alive.
 */
let cachedBuffer: ArrayBufferLike | undefined;
let bufView: DataView | undefined;
let bufWords: Uint32Array | undefined;

function useBuffer(buffer: ArrayBufferLike): void {
  if (buffer === cachedBuffer && bufView) return;
  bufView = new DataView(buffer);
  bufWords = undefined;
  cachedBuffer = buffer.byteLength <= 1 << 20 ? buffer : undefined;
}

/** What goes in a checksum field: the inverted folded sum. Verifying a whole header yields 0 when intact. */
export function internetChecksum(data: Uint8Array, start: number, end: number, initial = 0): number {
  return ~onesComplementSum(data, start, end, initial) & 0xffff;
}

/**
 * One's complement sums of any range of a fixed buffer in constant time, from prefix sums of its
 * 16-bit words at both alignments: for payloads cut again and again from the same bytes (the
 * simulator's bulk data), which would otherwise be summed anew for every segment. The buffer must
 * not change after construction.
 */
export class RangeSums {
  /** even[k]: the sum of the words starting at 0, 2, …, 2k − 2; odd[k]: of those at 1, 3, …, 2k − 1. */
  private readonly even: Float64Array;
  private readonly odd: Float64Array;

  constructor(private readonly data: Uint8Array) {
    const n = data.length >> 1;
    this.even = new Float64Array(n + 1);
    this.odd = new Float64Array(n + 1);
    for (let k = 0; k < n; k++) {
      this.even[k + 1] = this.even[k]! + ((data[2 * k]! << 8) | data[2 * k + 1]!);
      this.odd[k + 1] = this.odd[k]! + ((data[2 * k + 1]! << 8) | (data[2 * k + 2] ?? 0));
    }
  }

  /** onesComplementSum(data, start, end): the range's bytes paired from `start`, an odd last byte padded with zero. */
  sum(start: number, end: number): number {
    const pairs = (end - start) >> 1;
    const k = start >> 1;
    const prefix = start & 1 ? this.odd : this.even;
    let s = prefix[k + pairs]! - prefix[k]!;
    if ((end - start) & 1) s += this.data[end - 1]! << 8;
    return fold(s);
  }
}

/**
 * Sum of the pseudo-header for an upper-layer checksum: IPv4 (RFC 793 §3.1: src, dst, zero,
 * protocol, 16-bit length) or IPv6 (RFC 8200 §8.1: src, dst, 32-bit length, zeros, next header).
 * Both sum to the same thing word by word, since the zero padding adds nothing.
 */
export function pseudoHeaderSum(net: NetworkContext, protocol: number, length: number): number {
  // Addresses are 4 or 16 bytes: summed by hand, as a DataView per address would cost more than the sum.
  let sum = protocol + (length & 0xffff) + Math.floor(length / 0x10000);
  const { src, dst } = net;
  for (let i = 0; i < src.length; i += 2) sum += (src[i]! << 8) | (src[i + 1] ?? 0);
  for (let i = 0; i < dst.length; i += 2) sum += (dst[i]! << 8) | (dst[i + 1] ?? 0);
  return fold(sum);
}

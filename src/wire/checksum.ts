/**
 * The Internet checksum (RFC 1071): the 16-bit one's complement of the one's complement sum of the
 * data taken as big-endian 16-bit words. Used by IPv4 (header only), ICMP, and — over a
 * pseudo-header — TCP, UDP and ICMPv6 (RFC 793 §3.1, RFC 768, RFC 8200 §8.1).
 *
 * The sum is accumulated in a plain JS number and folded once at the end (RFC 1071 §2(B) "deferred
 * carries"): a double holds integers exactly up to 2^53, so no realistic packet can overflow it.
 */
import type { NetworkContext } from '../decode/dissector.js';

function fold(sum: number): number {
  // Two folds suffice for any sum below 2^32; loop for the larger ones deferred carries allow.
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/**
 * Folded 16-bit one's complement sum of data[start, end), added to `initial` (not inverted).
 * An odd trailing byte is padded with zero on the right (RFC 1071 §4.1).
 */
export function onesComplementSum(data: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  let i = start;
  const even = end - ((end - start) & 1);
  // Two words per iteration keeps the loop short without needing aligned 32-bit reads.
  const quad = even - ((even - i) & 3);
  for (; i < quad; i += 4) sum += ((data[i]! << 8) | data[i + 1]!) + ((data[i + 2]! << 8) | data[i + 3]!);
  for (; i < even; i += 2) sum += (data[i]! << 8) | data[i + 1]!;
  if (i < end) sum += data[i]! << 8;
  return fold(sum);
}

/** What goes in a checksum field: the inverted folded sum. Verifying a whole header yields 0 when intact. */
export function internetChecksum(data: Uint8Array, start: number, end: number, initial = 0): number {
  return ~onesComplementSum(data, start, end, initial) & 0xffff;
}

/**
 * Sum of the pseudo-header for an upper-layer checksum: IPv4 (RFC 793 §3.1: src, dst, zero,
 * protocol, 16-bit length) or IPv6 (RFC 8200 §8.1: src, dst, 32-bit length, zeros, next header).
 * Both sum to the same thing word by word, since the zero padding adds nothing.
 */
export function pseudoHeaderSum(net: NetworkContext, protocol: number, length: number): number {
  let sum = onesComplementSum(net.src, 0, net.src.length);
  sum = onesComplementSum(net.dst, 0, net.dst.length, sum);
  sum += protocol + (length & 0xffff) + Math.floor(length / 0x10000);
  return fold(sum);
}

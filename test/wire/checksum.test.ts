import { describe, expect, it } from 'vitest';
import { internetChecksum, onesComplementSum, pseudoHeaderSum, RangeSums } from '../../src/wire/checksum.js';
import { emitTcpInto, tcpSegmentLength, type TcpRepr } from '../../src/wire/tcp.js';
import { parseIPv4, parseIPv6 } from '../../src/wire/addr.js';

/** Word-by-word reference, folding after every add. */
function reference(b: Uint8Array, s: number, e: number, initial = 0): number {
  let sum = initial;
  for (let i = s; i < e; i += 2) {
    sum += (b[i]! << 8) | (i + 1 < e ? b[i + 1]! : 0);
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  return sum;
}

describe('Internet checksum (RFC 1071)', () => {
  it('matches the RFC 1071 §3 example', () => {
    const b = Uint8Array.from([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
    expect(onesComplementSum(b, 0, 8)).toBe(0xddf2);
    expect(internetChecksum(b, 0, 8)).toBe(0x220d);
  });

  it('agrees with a word-by-word reference on every sub-range, odd lengths included', () => {
    const b = new Uint8Array(37);
    for (let i = 0; i < b.length; i++) b[i] = (i * 73 + 0xe1) & 0xff;
    for (let s = 0; s < b.length; s++) for (let e = s; e <= b.length; e++) expect(onesComplementSum(b, s, e)).toBe(reference(b, s, e));
  });

  it('agrees with the reference on views into a shared buffer, aligned or not, long ranges included', () => {
    // Exercises the aligned 32-bit word path, the DataView path and the switch between them.
    const buf = new Uint8Array(4096 + 8);
    let x = 12345;
    for (let i = 0; i < buf.length; i++) buf[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
    for (let off = 0; off < 8; off++) {
      const view = new Uint8Array(buf.buffer, off, 4096);
      for (const [s, e] of [[0, 4096], [1, 4095], [2, 1502], [3, 67], [4, 68], [14, 1514], [34, 1514], [36, 100], [0, 63], [0, 64], [5, 5000]]) {
        expect(onesComplementSum(view, s!, e!, 7)).toBe(reference(view, s!, Math.min(e!, view.length), 7));
      }
    }
    // A buffer whose length is not a multiple of 4 cannot be viewed as words.
    const odd = new Uint8Array(1031).map((_, i) => (i * 29 + 3) & 0xff);
    expect(onesComplementSum(odd, 0, 1031)).toBe(reference(odd, 0, 1031));
    expect(onesComplementSum(odd, 4, 1030)).toBe(reference(odd, 4, 1030));
    // All zeros sums to zero, all ones to 0xffff (never confused by the word path).
    expect(onesComplementSum(new Uint8Array(256), 0, 256)).toBe(0);
    expect(onesComplementSum(new Uint8Array(256).fill(0xff), 0, 256)).toBe(0xffff);
  });

  it('folds large sums and an initial value', () => {
    const b = new Uint8Array(65536).fill(0xff);
    expect(onesComplementSum(b, 0, b.length)).toBe(0xffff);
    expect(onesComplementSum(Uint8Array.from([0x00, 0x01]), 0, 2, 0xffff)).toBe(0x0001);
  });

  it('verifies an IPv4 header to zero (tcpdump -xx of a real header)', () => {
    // 4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7  (Wikipedia's worked example)
    const h = Uint8Array.from([0x45, 0, 0, 0x73, 0, 0, 0x40, 0, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8, 0, 1, 0xc0, 0xa8, 0, 0xc7]);
    expect(internetChecksum(h, 0, 20)).toBe(0);
    h[10] = 0;
    h[11] = 0;
    expect(internetChecksum(h, 0, 20)).toBe(0xb861);
  });

  it('sums IPv4 and IPv6 pseudo-headers', () => {
    const v4 = { version: 4 as const, src: parseIPv4('192.168.0.1')!, dst: parseIPv4('192.168.0.199')! };
    // c0a8 + 0001 + c0a8 + 00c7 + 0011 + 0008
    expect(pseudoHeaderSum(v4, 17, 8)).toBe(reference(Uint8Array.from([0xc0, 0xa8, 0, 1, 0xc0, 0xa8, 0, 0xc7, 0, 0x11, 0, 8]), 0, 12));
    const v6 = { version: 6 as const, src: parseIPv6('fe80::1')!, dst: parseIPv6('ff02::1')! };
    expect(pseudoHeaderSum(v6, 58, 0x10020)).toBe((0xfe80 + 1 + 0xff02 + 1 + 1 + 0x20 + 58) % 0xffff);
  });

  it('RangeSums gives the sum of any range, either alignment, odd or even length, as onesComplementSum', () => {
    const b = new Uint8Array(1001);
    let x = 7;
    for (let i = 0; i < b.length; i++) b[i] = x = (x * 1103515245 + 12345) & 0xff;
    const sums = new RangeSums(b);
    for (const [s, e] of [[0, 0], [0, 1001], [1, 1001], [3, 4], [10, 1458 % 1001], [333, 777], [998, 1001], [7, 7]]) {
      expect(sums.sum(s!, e!), `[${s}, ${e})`).toBe(onesComplementSum(b, s!, e!));
    }
  });

  it('emitTcpInto with a known payload sum writes the same segment', () => {
    const payload = new Uint8Array(1447).map((_, i) => (i * 31) & 0xff);
    const repr: TcpRepr = { srcPort: 5001, dstPort: 80, seq: 1, ack: 2, flags: 0x18, window: 512, urgentPointer: 0, options: [{ type: 'nop' }, { type: 'nop' }, { type: 'timestamp', tsval: 1, tsecr: 2 }], payload };
    const net = { version: 6 as const, src: parseIPv6('2001:db8::1')!, dst: parseIPv6('2001:db8::2')! };
    const a = new Uint8Array(tcpSegmentLength(repr));
    const b = new Uint8Array(a.length);
    emitTcpInto(repr, net, a, 0);
    emitTcpInto(repr, net, b, 0, new RangeSums(payload).sum(0, payload.length));
    expect(b).toEqual(a);
  });
});

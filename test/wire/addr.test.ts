import { describe, expect, it } from 'vitest';
import { formatIPv6, formatMac, parseIPv4, parseIPv6, parseMac } from '../../src/wire/addr.js';

describe('IPv6 text form (RFC 5952)', () => {
  const cases: [string, string][] = [
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:0db8:0000:0001:0000:0000:0000:0001', '2001:db8:0:1::1'], // longest run wins (§4.2.3)
    ['2001:0db8:0000:0000:0001:0000:0000:0001', '2001:db8::1:0:0:1'], // first of equal runs
    ['2001:0db8:0001:0001:0001:0001:0000:0001', '2001:db8:1:1:1:1:0:1'], // one zero group is not shortened (§4.2.2)
    ['0000:0000:0000:0000:0000:0000:0000:0000', '::'],
    ['0000:0000:0000:0000:0000:0000:0000:0001', '::1'],
    ['fe80:0000:0000:0000:0000:0000:0000:0000', 'fe80::'],
    ['0000:0000:0000:0000:0000:ffff:c000:0201', '::ffff:192.0.2.1'], // §5 IPv4-mapped
  ];
  it.each(cases)('%s → %s', (full, short) => {
    const bytes = parseIPv6(full)!;
    expect(bytes).toBeDefined();
    expect(formatIPv6(bytes, 0)).toBe(short);
    expect(parseIPv6(short)).toEqual(bytes);
  });

  it('rejects what is not an address', () => {
    for (const bad of ['1::2::3', '12345::', '1:2:3:4:5:6:7', 'g::1', '1:2:3:4:5:6:7:8:9']) expect(parseIPv6(bad)).toBeUndefined();
  });
});

describe('MAC and IPv4', () => {
  it('formats MACs lower-case with colons, at an offset', () => {
    expect(formatMac(Uint8Array.from([9, 0, 0x00, 0x50, 0x56, 0xa5, 0x1f, 0x6c]), 2)).toBe('00:50:56:a5:1f:6c');
    expect(parseMac('00-50-56-A5-1F-6C')).toEqual(Uint8Array.from([0x00, 0x50, 0x56, 0xa5, 0x1f, 0x6c]));
    expect(parseMac('00:50:56')).toBeUndefined();
  });
  it('parses dotted quads only', () => {
    expect(parseIPv4('192.0.2.255')).toEqual(Uint8Array.from([192, 0, 2, 255]));
    expect(parseIPv4('256.0.0.1')).toBeUndefined();
    expect(parseIPv4('1.2.3')).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { emitIcmp, IcmpLayer, parseIcmp } from '../../src/wire/icmp.js';
import { emitIpv4 } from '../../src/wire/ipv4.js';
import { parseIPv4 } from '../../src/wire/addr.js';
import { emitEthernet } from '../../src/wire/ethernet.js';
import { decode, ethFrame, hex } from './netfixture.js';

/*
 * sll2_icmp_icmpv6_arp.pcap frame 1 (tcpdump -xx; a 20-byte SLL2 header, then IPv4):
 *   0x0010:  .... .... 4500 0054 af8c 4000 4001 071a
 *   0x0020:  c000 0201 c000 0201 0800 66b4 0008 0001
 *   0x0030:  e9bd f962 0000 0000 e24e 0d00 0000 0000
 *   0x0040:  1011 1213 1415 1617 1819 1a1b 1c1d 1e1f
 *   0x0050:  2021 2223 2425 2627 2829 2a2b 2c2d 2e2f
 *   0x0060:  3031 3233 3435 3637
 * Echo request, id 8, seq 1, 56 bytes of data.
 */
const IP = hex(`4500 0054 af8c 4000 4001 071a
  c000 0201 c000 0201 0800 66b4 0008 0001
  e9bd f962 0000 0000 e24e 0d00 0000 0000
  1011 1213 1415 1617 1819 1a1b 1c1d 1e1f
  2021 2223 2425 2627 2829 2a2b 2c2d 2e2f
  3031 3233 3435 3637`);
const ICMP = IP.subarray(20);
const MAC = new Uint8Array(6);
const frameOf = (ip: Uint8Array, cut = ip.length + 14) => {
  const eth = emitEthernet({ dst: MAC, src: MAC, etherType: 0x0800 }, ip);
  return ethFrame(eth.subarray(0, cut), eth.length);
};
const icmpOf = (f: ReturnType<typeof frameOf>) => decode(f).layers.find((l) => l.proto === 'icmp') as IcmpLayer;

describe('ICMP view', () => {
  it('reads an echo request', () => {
    const p = decode(frameOf(IP));
    expect(p.layers.map((l) => l.proto)).toEqual(['eth', 'ip', 'icmp', 'data']);
    const l = p.layers[2] as IcmpLayer;
    expect([l.type, l.code, l.ident, l.seq, l.checksumStatus]).toEqual([8, 0, 8, 1, 'good']);
    expect(p.layers[3]!.length).toBe(56);
    expect(l.fields().map((f) => [f.name, f.value, f.offset, f.length])).toEqual([
      ['icmp.type', 8, 34, 1],
      ['icmp.code', 0, 35, 1],
      ['icmp.checksum', 0x66b4, 36, 2],
      ['icmp.checksum.status', 'good', 36, 0],
      ['icmp.ident', 8, 38, 2],
      ['icmp.seq', 1, 40, 2],
    ]);
    expect(l.info()).toBe('Echo (ping) request  id=0x0008, seq=1/256, ttl=64');
  });

  it('reports a bad checksum, and unverified when data is cut by the snaplen or the datagram is a fragment', () => {
    const bad = IP.slice();
    bad[50] ^= 1;
    expect(icmpOf(frameOf(bad)).checksumStatus).toBe('bad');
    expect(icmpOf(frameOf(IP, 60)).checksumStatus).toBe('unverified');
    expect(icmpOf(frameOf(IP, 60)).status).toBe('ok');
    // A first fragment (MF set): the checksum covers bytes that are in later fragments.
    const frag = emitIpv4({ dscp: 0, ecn: 0, ident: 0xaf8c, dontFragment: false, moreFragments: true, fragmentOffset: 0, ttl: 64, protocol: 1, src: parseIPv4('192.0.2.1')!, dst: parseIPv4('192.0.2.1')! }, ICMP);
    expect(icmpOf(frameOf(frag)).checksumStatus).toBe('unverified');
  });

  it('marks a header cut by the snaplen truncated and a too-short message malformed', () => {
    expect(icmpOf(frameOf(IP, 14 + 24)).status).toBe('truncated');
    const short = emitIpv4({ dscp: 0, ecn: 0, ident: 1, dontFragment: false, moreFragments: false, fragmentOffset: 0, ttl: 1, protocol: 1, src: MAC.subarray(0, 4), dst: MAC.subarray(0, 4) }, Uint8Array.from([0, 0, 0, 0]));
    const l = icmpOf(frameOf(short));
    expect([l.status, l.problem?.code]).toEqual(['malformed', 'WL_MALFORMED_ICMP_LENGTH']);
  });

  it('leaves the quoted datagram of an error as data', () => {
    const err = emitIcmp({ type: 3, code: 3 }, IP.subarray(0, 28));
    const ip = emitIpv4({ dscp: 0, ecn: 0, ident: 1, dontFragment: false, moreFragments: false, fragmentOffset: 0, ttl: 64, protocol: 1, src: MAC.subarray(0, 4), dst: MAC.subarray(0, 4) }, err);
    const p = decode(frameOf(ip));
    const l = p.layers[2] as IcmpLayer;
    expect([l.checksumStatus, l.ident, l.info()]).toEqual(['good', undefined, 'Destination unreachable (Port unreachable)']);
    expect(p.layers[3]).toMatchObject({ proto: 'data', length: 28 });
  });
});

describe('ICMP parse/emit', () => {
  it('round-trips the fixture', () => {
    const repr = parseIcmp(ICMP);
    expect(repr).toEqual({ type: 8, code: 0, checksum: 0x66b4, ident: 8, seq: 1 });
    expect(emitIcmp(repr, ICMP.subarray(8))).toEqual(ICMP);
    delete repr.checksum;
    expect(emitIcmp(repr, ICMP.subarray(8))).toEqual(ICMP);
  });
  it('keeps the rest-of-header word of other types', () => {
    const b = emitIcmp({ type: 5, code: 1, restOfHeader: 0xc0000201 }, new Uint8Array(0));
    expect(parseIcmp(b)).toEqual({ type: 5, code: 1, checksum: parseIcmp(b).checksum, restOfHeader: 0xc0000201 });
  });
});

describe('ICMP robustness', () => {
  it('never throws on random messages', () => {
    let seed = 3;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let n = 0; n < 2000; n++) {
      const body = new Uint8Array(rnd() % 40).map(rnd);
      const ip = emitIpv4({ dscp: 0, ecn: 0, ident: n, dontFragment: false, moreFragments: n % 5 === 0, fragmentOffset: 0, ttl: 9, protocol: 1, src: MAC.subarray(0, 4), dst: MAC.subarray(0, 4) }, body);
      for (const l of decode(frameOf(ip, 14 + (rnd() % (ip.length + 1)))).layers) {
        l.fields();
        l.info?.();
      }
    }
  });
});

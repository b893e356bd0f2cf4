import { describe, expect, it } from 'vitest';
import type { DissectContext } from '../../src/decode/dissector.js';
import { dissectIpv4, emitIpv4, Ipv4Layer, parseIpv4 } from '../../src/wire/ipv4.js';
import { decode, ethFrame, hex } from './netfixture.js';

/*
 * ipv4_options_igmpv2_router_alert.pcap frame 2 (tcpdump -xx):
 *   0x0000:  0100 5e7f fffa 001c 23aa bead 0800 4600
 *   0x0010:  0020 8c62 0000 0102 e692 c0a8 0140 efff
 *   0x0020:  fffa 9404 0000 1600 fa04 efff fffa
 * IHL 6 with a Router Alert option (RFC 2113), IGMPv2 report.
 */
const FRAME = hex(`0100 5e7f fffa 001c 23aa bead 0800 4600
  0020 8c62 0000 0102 e692 c0a8 0140 efff
  fffa 9404 0000 1600 fa04 efff fffa`);
const IP = FRAME.subarray(14);

function ctx(): DissectContext {
  return { frame: ethFrame(IP), layers: [] };
}
function dissect(bytes: Uint8Array, end = bytes.length, reportedEnd = end) {
  const c = ctx();
  const d = dissectIpv4(bytes, { offset: 0, end, reportedEnd }, c);
  return { ...d, layer: d.layer as Ipv4Layer, ctx: c };
}
const values = (l: Ipv4Layer) => Object.fromEntries(l.fields().map((f) => [f.name, f.value]));

describe('IPv4 view', () => {
  it('reads every field of a header with a Router Alert option', () => {
    const { layer, payload, next, ctx: c } = dissect(IP);
    expect(layer.status).toBe('ok');
    expect(layer.length).toBe(24);
    expect(layer.src).toBe('192.168.1.64');
    expect(layer.dst).toBe('239.255.255.250');
    expect(layer.fragmentOffset).toBe(0);
    expect(layer.checksumStatus).toBe('good');
    expect(next).toEqual({ table: 'ip.proto', key: 2 });
    expect(payload).toEqual({ offset: 24, end: 32, reportedEnd: 32 });
    expect(c.network?.version).toBe(4);
    expect(Array.from(c.network!.dst)).toEqual([239, 255, 255, 250]);
    expect(c.network!.fragmented).toBeUndefined();
    expect(values(layer)).toEqual({
      'ip.version': 4,
      'ip.hdr_len': 24,
      'ip.dsfield': 0,
      'ip.dsfield.dscp': 0,
      'ip.dsfield.ecn': 0,
      'ip.len': 32,
      'ip.id': 0x8c62,
      'ip.flags': 0,
      'ip.flags.rb': false,
      'ip.flags.df': false,
      'ip.flags.mf': false,
      'ip.frag_offset': 0,
      'ip.ttl': 1,
      'ip.proto': 2,
      'ip.checksum': 0xe692,
      'ip.checksum.status': 'good',
      'ip.src': '192.168.1.64',
      'ip.dst': '239.255.255.250',
      'ip.opt.type': 148,
      'ip.opt.type.copy': true,
      'ip.opt.type.class': 0,
      'ip.opt.type.number': 20,
      'ip.opt.len': 4,
      'ip.opt.ra': 0,
    });
    const ra = layer.fields().find((f) => f.name === 'ip.opt.ra')!;
    expect([ra.offset, ra.length]).toEqual([22, 2]);
  });

  it('trims Ethernet padding from the payload with the total length', () => {
    const padded = new Uint8Array(46);
    padded.set(IP);
    expect(dissect(padded).payload).toEqual({ offset: 24, end: 32, reportedEnd: 32 });
  });

  it('takes the reported length when the total length is 0 (TSO)', () => {
    const b = IP.slice();
    b[2] = 0;
    b[3] = 0;
    const { layer, payload } = dissect(b, 32, 1500);
    expect(payload).toEqual({ offset: 24, end: 32, reportedEnd: 1500 });
    expect(values(layer)['ip.len']).toBe(1500);
    expect(layer.checksumStatus).toBe('bad');
  });

  it('sees a snaplen cut in the payload as the payload being short, not this layer', () => {
    const { layer, payload } = dissect(IP, 28, 32);
    expect(layer.status).toBe('ok');
    expect(payload).toEqual({ offset: 24, end: 28, reportedEnd: 32 });
  });

  it('marks a header cut by the snap length truncated, checksum unverified', () => {
    const { layer } = dissect(IP, 16, 32);
    expect(layer.status).toBe('truncated');
    expect(layer.checksumStatus).toBe('unverified');
    expect(layer.fields().map((f) => f.name)).not.toContain('ip.dst');
    const { layer: l2 } = dissect(IP, 22, 32); // options cut
    expect(l2.status).toBe('truncated');
    expect(l2.fields().find((f) => f.name === 'ip.checksum.status')?.value).toBe('unverified');
  });

  it('flags IHL below 5, a bogus version and a total length below the header as malformed', () => {
    const ihl = IP.slice();
    ihl[0] = 0x44;
    const a = dissect(ihl).layer;
    expect([a.status, a.problem?.code, a.problem?.offset]).toEqual(['malformed', 'WL_MALFORMED_IPV4_IHL', 0]);
    expect(a.fields().map((f) => f.name)).toEqual(['ip.version', 'ip.hdr_len']);
    const ver = IP.slice();
    ver[0] = 0x16;
    expect(dissect(ver).layer.problem?.code).toBe('WL_MALFORMED_IPV4_VERSION');
    const len = IP.slice();
    len[3] = 20; // below IHL*4 = 24
    const c = dissect(len);
    expect([c.layer.problem?.code, c.layer.problem?.offset, c.next]).toEqual(['WL_MALFORMED_IPV4_TOTAL_LENGTH', 2, undefined]);
    expect(c.layer.fields().at(-1)!.name).toBe('ip.len');
    expect(dissect(IP.subarray(0, 12)).layer.problem?.code).toBe('WL_MALFORMED_IPV4_SHORT');
  });

  it('flags an option that overruns the header, keeping the fields before it', () => {
    const b = IP.slice();
    b[21] = 8; // Router Alert claims 8 bytes in a 4-byte option area
    const { layer, next, payload } = dissect(b);
    expect([layer.status, layer.problem?.code, layer.problem?.offset]).toEqual(['malformed', 'WL_MALFORMED_IPV4_OPTION', 20]);
    expect(next).toBeUndefined();
    expect(payload.offset).toBe(24);
    const names = layer.fields().map((f) => f.name);
    expect(names).toContain('ip.dst');
    expect(names).toContain('ip.opt.len');
    expect(names).not.toContain('ip.opt.ra');
    const zero = IP.slice();
    zero[21] = 0;
    expect(dissect(zero).layer.problem?.code).toBe('WL_MALFORMED_IPV4_OPTION');
  });

  it('lists NOP and EOL options by type only', () => {
    const b = IP.slice();
    b.set([1, 0, 0, 0], 20);
    const l = dissect(b).layer;
    expect(l.status).toBe('ok');
    expect(l.fields().filter((f) => f.name === 'ip.opt.type').map((f) => f.value)).toEqual([1, 0]);
    expect(l.fields().some((f) => f.name === 'ip.opt.len')).toBe(false);
  });

  it('decodes only the first fragment further, marking it fragmented', () => {
    const first = emitIpv4({ dscp: 0, ecn: 0, ident: 7, dontFragment: false, moreFragments: true, fragmentOffset: 0, ttl: 64, protocol: 17, src: IP.subarray(12, 16), dst: IP.subarray(16, 20) }, new Uint8Array(16));
    const a = dissect(first);
    expect(a.next).toEqual({ table: 'ip.proto', key: 17 });
    expect(a.ctx.network?.fragmented).toBe(true);
    const later = emitIpv4({ dscp: 0, ecn: 0, ident: 7, dontFragment: false, moreFragments: false, fragmentOffset: 1480, ttl: 64, protocol: 17, src: IP.subarray(12, 16), dst: IP.subarray(16, 20) }, new Uint8Array(16));
    const b = dissect(later);
    expect(b.next).toBeUndefined();
    expect(b.layer.fragmentOffset).toBe(1480);
    expect(values(b.layer)['ip.frag_offset']).toBe(185); // tshark 4.0 shows 8-byte units
    expect(b.layer.info()).toBe('Fragmented IP protocol (proto=UDP 17, off=1480, ID=0007)');
  });
});

describe('IPv4 parse/emit', () => {
  it('round-trips the fixture byte for byte', () => {
    const repr = parseIpv4(IP);
    expect(repr.options).toEqual(Uint8Array.from([0x94, 4, 0, 0]));
    expect(emitIpv4(repr, IP.subarray(24))).toEqual(IP);
  });
  it('computes total length and checksum when left undefined', () => {
    const repr = parseIpv4(IP);
    delete repr.totalLength;
    delete repr.checksum;
    expect(emitIpv4(repr, IP.subarray(24))).toEqual(IP);
  });
  it('pads options to a multiple of 4', () => {
    const out = emitIpv4({ ...parseIpv4(IP), options: Uint8Array.from([1]), totalLength: undefined, checksum: undefined }, new Uint8Array(0));
    expect(out.length).toBe(24);
    expect(dissect(out).layer.checksumStatus).toBe('good');
  });
});

describe('IPv4 robustness', () => {
  it('never throws on random bytes behind an Ethernet header', () => {
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let n = 0; n < 3000; n++) {
      const len = 14 + (rnd() % 80);
      const b = new Uint8Array(len).map(rnd);
      b[12] = 0x08;
      b[13] = 0x00;
      if (n % 2) b[14] = 0x40 | (b[14]! & 0xf);
      const p = decode(ethFrame(b, len + (rnd() % 3 === 0 ? rnd() : 0)));
      for (const l of p.layers) {
        l.fields();
        l.info?.();
      }
    }
  });
});

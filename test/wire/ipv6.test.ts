import { describe, expect, it } from 'vitest';
import type { DissectContext } from '../../src/decode/dissector.js';
import { parseIPv6 } from '../../src/wire/addr.js';
import { dissectIpv6, emitFragmentHeader, emitIpv6, Ipv6Layer, parseIpv6 } from '../../src/wire/ipv6.js';
import { decode, ethFrame, hex } from './netfixture.js';

/*
 * ipv6_ext_hbh_rh_frag_dstopts_http.pcap frame 5 (tcpdump -xx), IPv6 + Destination Options (PadN) + TCP ACK:
 *   0x0000:  aa00 0400 0a04 0010 1895 316a 86dd 6000
 *   0x0010:  0000 001c 3c40 2001 0db8 0001 0000 0000
 *   0x0020:  0000 0000 0002 2001 0db8 0001 0000 0000
 *   0x0030:  0000 0000 0001 0600 0104 0000 0000 9057
 *   0x0040:  0050 e31e bd4f bddb f815 5010 2000 4d56
 *   0x0050:  0000
 */
const FRAME = hex(`aa00 0400 0a04 0010 1895 316a 86dd 6000
  0000 001c 3c40 2001 0db8 0001 0000 0000
  0000 0000 0002 2001 0db8 0001 0000 0000
  0000 0000 0001 0600 0104 0000 0000 9057
  0050 e31e bd4f bddb f815 5010 2000 4d56
  0000`);
const IP = FRAME.subarray(14);
const SRC = parseIPv6('2001:db8:1::2')!;
const DST = parseIPv6('2001:db8:1::1')!;

function dissect(bytes: Uint8Array, end = bytes.length, reportedEnd = end) {
  const c: DissectContext = { frame: ethFrame(bytes), layers: [] };
  const d = dissectIpv6(bytes, { offset: 0, end, reportedEnd }, c);
  return { ...d, layer: d.layer as Ipv6Layer, ctx: c };
}
const values = (l: Ipv6Layer) => Object.fromEntries(l.fields().map((f) => [f.name, f.value]));
const tcp = new Uint8Array(20);

describe('IPv6 view', () => {
  it('reads the fixed header and a Destination Options header', () => {
    const { layer, payload, next, ctx } = dissect(IP);
    expect(layer.status).toBe('ok');
    expect(layer.length).toBe(48);
    expect(layer.upperProtocol).toBe(6);
    expect(next).toEqual({ table: 'ip.proto', key: 6 });
    expect(payload).toEqual({ offset: 48, end: 68, reportedEnd: 68 });
    expect(ctx.network?.version).toBe(6);
    expect(ctx.network?.dst).toEqual(DST);
    expect(values(layer)).toEqual({
      'ipv6.version': 6,
      'ip.version': 6,
      'ipv6.tclass': 0,
      'ipv6.tclass.dscp': 0,
      'ipv6.tclass.ecn': 0,
      'ipv6.flow': 0,
      'ipv6.plen': 28,
      'ipv6.nxt': 60,
      'ipv6.hlim': 64,
      'ipv6.src': '2001:db8:1::2',
      'ipv6.dst': '2001:db8:1::1',
      'ipv6.dstopts.nxt': 6,
      'ipv6.dstopts.len': 0,
      'ipv6.dstopts.len_oct': 8,
      'ipv6.opt.type': 1,
      'ipv6.opt.type.action': 0,
      'ipv6.opt.type.change': false,
      'ipv6.opt.type.rest': 1,
      'ipv6.opt.length': 4,
      'ipv6.opt.padn': '00000000',
    });
  });

  it('walks Hop-by-Hop, Routing and Fragment headers; atomic fragments are whole datagrams', () => {
    const hbh = Uint8Array.from([43, 0, 1, 4, 0, 0, 0, 0]);
    const rh = Uint8Array.from([44, 0, 0, 0, 0, 0, 0, 0]);
    const frag = emitFragmentHeader(6, 0, false, 0x1234);
    const ext = Uint8Array.from([...hbh, ...rh, ...frag]);
    const b = emitIpv6({ trafficClass: 0xb8, flowLabel: 0x12345, nextHeader: 0, hopLimit: 64, src: SRC, dst: DST, extensionHeaders: ext }, tcp);
    const { layer, next, ctx, payload } = dissect(b);
    expect(layer.length).toBe(64);
    expect(next).toEqual({ table: 'ip.proto', key: 6 });
    expect(payload.offset).toBe(64);
    expect(ctx.network?.fragmented).toBeUndefined();
    const v = values(layer);
    expect([v['ipv6.tclass'], v['ipv6.tclass.dscp'], v['ipv6.flow']]).toEqual([0xb8, 46, 0x12345]);
    expect([v['ipv6.hopopts.nxt'], v['ipv6.routing.nxt'], v['ipv6.routing.type'], v['ipv6.fraghdr.nxt'], v['ipv6.fraghdr.ident'], v['ipv6.fraghdr.more']]).toEqual([43, 44, 0, 6, 0x1234, false]);
  });

  it('sends first fragments on marked fragmented and keeps later ones as data', () => {
    const first = emitIpv6({ trafficClass: 0, flowLabel: 0, nextHeader: 44, hopLimit: 64, src: SRC, dst: DST, extensionHeaders: emitFragmentHeader(17, 0, true, 9) }, tcp);
    const a = dissect(first);
    expect(a.next).toEqual({ table: 'ip.proto', key: 17 });
    expect(a.ctx.network?.fragmented).toBe(true);
    const later = emitIpv6({ trafficClass: 0, flowLabel: 0, nextHeader: 44, hopLimit: 64, src: SRC, dst: DST, extensionHeaders: emitFragmentHeader(17, 1448, false, 0x28403c0b) }, tcp);
    const b = dissect(later);
    expect(b.next).toBeUndefined();
    expect(b.layer.fragmentOffset).toBe(1448);
    expect(values(b.layer)['ipv6.fraghdr.offset']).toBe(181); // tshark shows 8-octet units
    expect(b.layer.info()).toBe('IPv6 fragment (off=1448 more=n ident=0x28403c0b nxt=17)');
  });

  it('uses the last routing-header address as the pseudo-header destination while segments are left', () => {
    const final = parseIPv6('2001:db8::99')!;
    const rh = new Uint8Array(24);
    rh.set([6, 2, 0, 1]);
    rh.set(final, 8);
    const b = emitIpv6({ trafficClass: 0, flowLabel: 0, nextHeader: 43, hopLimit: 64, src: SRC, dst: DST, extensionHeaders: rh }, tcp);
    const { ctx, layer } = dissect(b);
    expect(ctx.network?.dst).toEqual(final);
    expect(layer.dst).toBe('2001:db8:1::1');
    expect(values(layer)['ipv6.routing.src.addr']).toBe('2001:db8::99');
  });

  it('skips AH by its 4-byte-unit length', () => {
    const ah = new Uint8Array(24);
    ah[0] = 6;
    ah[1] = 4; // (4 + 2) * 4 = 24 bytes
    const b = emitIpv6({ trafficClass: 0, flowLabel: 0, nextHeader: 51, hopLimit: 64, src: SRC, dst: DST, extensionHeaders: ah }, tcp);
    const { layer, next } = dissect(b);
    expect([layer.length, next?.key]).toEqual([64, 6]);
  });

  it('stops at No Next Header and trims to the payload length', () => {
    const b = emitIpv6({ trafficClass: 0, flowLabel: 0, nextHeader: 59, hopLimit: 1, src: SRC, dst: DST }, new Uint8Array(4));
    const padded = new Uint8Array(60);
    padded.set(b);
    const { next, payload } = dissect(padded);
    expect(next).toBeUndefined();
    expect(payload).toEqual({ offset: 40, end: 44, reportedEnd: 44 });
  });

  it('runs a zero payload length to the end (jumbogram / TSO)', () => {
    const b = IP.slice();
    b[4] = 0;
    b[5] = 0;
    expect(dissect(b, 68, 9000).payload).toEqual({ offset: 48, end: 68, reportedEnd: 9000 });
  });

  it('marks truncated and malformed headers', () => {
    expect(dissect(IP, 30, 68).layer.status).toBe('truncated');
    expect(dissect(IP, 44, 68).layer.status).toBe('truncated'); // extension header cut
    const short = dissect(IP.subarray(0, 30));
    expect([short.layer.status, short.layer.problem?.code]).toEqual(['malformed', 'WL_MALFORMED_IPV6_SHORT']);
    const over = IP.slice();
    over[41] = 9; // Destination Options claims 80 bytes
    const o = dissect(over);
    expect([o.layer.status, o.layer.problem?.code, o.layer.problem?.offset, o.next]).toEqual(['malformed', 'WL_MALFORMED_IPV6_EXT_LENGTH', 40, undefined]);
    expect(o.layer.fields().map((f) => f.name)).toContain('ipv6.dstopts.len');
    const opt = IP.slice();
    opt[43] = 9; // PadN longer than its header
    const p = dissect(opt);
    expect([p.layer.problem?.code, p.layer.problem?.offset]).toEqual(['WL_MALFORMED_IPV6_OPTION', 42]);
    expect(p.layer.fields().some((f) => f.name === 'ipv6.opt.padn')).toBe(false);
    const ver = IP.slice();
    ver[0] = 0x45;
    expect(dissect(ver).layer.problem?.code).toBe('WL_MALFORMED_IPV6_VERSION');
  });
});

describe('IPv6 parse/emit', () => {
  it('round-trips the fixture with its extension header', () => {
    const repr = parseIpv6(IP);
    expect(repr.extensionHeaders?.length).toBe(8);
    expect(emitIpv6(repr, IP.subarray(48))).toEqual(IP);
    delete repr.payloadLength;
    expect(emitIpv6(repr, IP.subarray(48))).toEqual(IP);
  });
});

describe('IPv6 robustness', () => {
  it('never throws on random bytes, with random extension chains', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    const kinds = [0, 43, 44, 60, 51, 6, 58, 59];
    for (let n = 0; n < 3000; n++) {
      const len = 14 + (rnd() % 120);
      const b = new Uint8Array(len).map(rnd);
      b[12] = 0x86;
      b[13] = 0xdd;
      if (len > 20) b[14] = 0x60;
      if (len > 20 && n % 2) b[20] = kinds[rnd() % kinds.length]!;
      for (let i = 54; i < len; i += 8) if (rnd() % 2) b[i] = kinds[rnd() % kinds.length]!;
      const p = decode(ethFrame(b, len + (rnd() % 3 === 0 ? rnd() : 0)));
      for (const l of p.layers) {
        l.fields();
        l.info?.();
      }
    }
  });
});

import { describe, expect, it } from 'vitest';
import { parseIPv6, parseMac } from '../../src/wire/addr.js';
import { emitEthernet } from '../../src/wire/ethernet.js';
import { emitIcmpv6, Icmpv6Layer, parseIcmpv6 } from '../../src/wire/icmpv6.js';
import { emitFragmentHeader, emitIpv6 } from '../../src/wire/ipv6.js';
import { decode, ethFrame, hex } from './netfixture.js';

/*
 * ipv6_ext_hbh_rh_frag_dstopts_http.pcap frame 2 (tcpdump -xx), Neighbor Solicitation:
 *   0x0000:  3333 ff00 0001 0010 1895 316a 86dd 6000
 *   0x0010:  0000 0020 3aff 2001 0db8 0001 0000 0000
 *   0x0020:  0000 0000 0002 ff02 0000 0000 0000 0000
 *   0x0030:  0001 ff00 0001 8700 d417 0000 0000 2001
 *   0x0040:  0db8 0001 0000 0000 0000 0000 0001 0101
 *   0x0050:  0010 1895 316a
 */
const NS_FRAME = hex(`3333 ff00 0001 0010 1895 316a 86dd 6000
  0000 0020 3aff 2001 0db8 0001 0000 0000
  0000 0000 0002 ff02 0000 0000 0000 0000
  0001 ff00 0001 8700 d417 0000 0000 2001
  0db8 0001 0000 0000 0000 0000 0001 0101
  0010 1895 316a`);
const NS = NS_FRAME.subarray(54);
const SRC = parseIPv6('2001:db8:1::2')!;
const DST = parseIPv6('ff02::1:ff00:1')!;
const MAC = parseMac('00:10:18:95:31:6a')!;

function frameOf(icmp: Uint8Array, opts: { cut?: number; src?: Uint8Array; dst?: Uint8Array; ext?: Uint8Array; nh?: number } = {}) {
  const ip = emitIpv6({ trafficClass: 0, flowLabel: 0, nextHeader: opts.nh ?? 58, hopLimit: 255, src: opts.src ?? SRC, dst: opts.dst ?? DST, extensionHeaders: opts.ext }, icmp);
  const eth = emitEthernet({ dst: MAC, src: MAC, etherType: 0x86dd }, ip);
  return ethFrame(eth.subarray(0, opts.cut ?? eth.length), eth.length);
}
const layerOf = (f: ReturnType<typeof frameOf>) => decode(f).layers.find((l) => l.proto === 'icmpv6') as Icmpv6Layer;
const values = (l: Icmpv6Layer) => Object.fromEntries(l.fields().map((f) => [f.name, f.value]));

describe('ICMPv6 view', () => {
  it('reads a Neighbor Solicitation with its source link-layer address option', () => {
    const p = decode(ethFrame(NS_FRAME));
    expect(p.layers.map((l) => l.proto)).toEqual(['eth', 'ipv6', 'icmpv6']);
    const l = p.layers[2] as Icmpv6Layer;
    expect([l.length, l.status, l.checksumStatus, l.targetAddress]).toEqual([32, 'ok', 'good', '2001:db8:1::1']);
    expect(values(l)).toEqual({
      'icmpv6.type': 135,
      'icmpv6.code': 0,
      'icmpv6.checksum': 0xd417,
      'icmpv6.checksum.status': 'good',
      'icmpv6.reserved': '00000000',
      'icmpv6.nd.ns.target_address': '2001:db8:1::1',
      'icmpv6.opt.type': 1,
      'icmpv6.opt.length': 1,
      'icmpv6.opt.linkaddr': '00:10:18:95:31:6a',
      'icmpv6.opt.src_linkaddr': '00:10:18:95:31:6a',
    });
    expect(l.fields().find((f) => f.name === 'icmpv6.opt.linkaddr')).toMatchObject({ offset: 80, length: 6 });
    expect(l.info()).toBe('Neighbor Solicitation for 2001:db8:1::1 from 00:10:18:95:31:6a');
  });

  it('reads a Neighbor Advertisement built by emit', () => {
    const na = emitIcmpv6({ type: 136, code: 0, restOfHeader: 0xe0000000, targetAddress: SRC, options: [{ type: 2, data: MAC }] }, new Uint8Array(0), { src: SRC, dst: DST });
    const l = layerOf(frameOf(na));
    const v = values(l);
    expect([v['icmpv6.nd.na.flag.r'], v['icmpv6.nd.na.flag.s'], v['icmpv6.nd.na.flag.o'], v['icmpv6.nd.na.target_address'], v['icmpv6.opt.target_linkaddr']]).toEqual([true, true, true, '2001:db8:1::2', '00:10:18:95:31:6a']);
    expect(l.checksumStatus).toBe('good');
    expect(l.info()).toBe('Neighbor Advertisement 2001:db8:1::2 (rtr, sol, ovr) is at 00:10:18:95:31:6a');
  });

  it('reads a Router Advertisement with prefix and MTU options', () => {
    const prefix = new Uint8Array(30);
    prefix[0] = 64;
    prefix[1] = 0xc0;
    prefix.set(parseIPv6('2001:db8:5::')!, 14);
    const mtu = Uint8Array.from([0, 0, 0, 0, 0x05, 0xdc]);
    const ra = emitIcmpv6({ type: 134, code: 0, restOfHeader: 0x40c00708, reachableTime: 30000, retransTimer: 1000, options: [{ type: 3, data: prefix }, { type: 5, data: mtu }] }, new Uint8Array(0), { src: SRC, dst: DST });
    const v = values(layerOf(frameOf(ra)));
    expect([v['icmpv6.nd.ra.cur_hop_limit'], v['icmpv6.nd.ra.flag.m'], v['icmpv6.nd.ra.flag.o'], v['icmpv6.nd.ra.router_lifetime'], v['icmpv6.nd.ra.reachable_time']]).toEqual([64, true, true, 1800, 30000]);
    expect([v['icmpv6.opt.prefix'], v['icmpv6.opt.prefix.length'], v['icmpv6.opt.prefix.flag.a'], v['icmpv6.opt.mtu']]).toEqual(['2001:db8:5::', 64, true, 1500]);
  });

  it('reads echo and leaves its data to the next layer', () => {
    const echo = emitIcmpv6({ type: 128, code: 0, ident: 9, seq: 1 }, new Uint8Array(56), { src: SRC, dst: SRC });
    const p = decode(frameOf(echo, { dst: SRC }));
    const l = p.layers[2] as Icmpv6Layer;
    expect([l.length, l.ident, l.seq, l.checksumStatus, l.info()]).toEqual([8, 9, 1, 'good', 'Echo (ping) request id=0x0009, seq=1, hop limit=255']);
    expect(p.layers[3]).toMatchObject({ proto: 'data', length: 56 });
  });

  it('verifies against the final destination of a routing header, and not in fragments', () => {
    const final = parseIPv6('2001:db8::99')!;
    const echo = emitIcmpv6({ type: 128, code: 0, ident: 1, seq: 2 }, new Uint8Array(4), { src: SRC, dst: final });
    const rh = new Uint8Array(24);
    rh.set([58, 2, 0, 1]);
    rh.set(final, 8);
    expect(layerOf(frameOf(echo, { nh: 43, ext: rh })).checksumStatus).toBe('good');
    expect(layerOf(frameOf(echo, { nh: 44, ext: emitFragmentHeader(58, 0, true, 5) })).checksumStatus).toBe('unverified');
    const bad = echo.slice();
    bad[9] ^= 0xff;
    expect(layerOf(frameOf(bad, { nh: 43, ext: rh })).checksumStatus).toBe('bad');
  });

  it('marks truncated and malformed messages', () => {
    const t = layerOf(ethFrame(NS_FRAME.subarray(0, 70), NS_FRAME.length));
    expect([t.status, t.checksumStatus]).toEqual(['truncated', 'unverified']);
    const optCut = layerOf(ethFrame(NS_FRAME.subarray(0, 80), NS_FRAME.length));
    expect(optCut.status).toBe('truncated');
    const zero = NS_FRAME.slice();
    zero[79] = 0; // option length 0 (RFC 4861 §4.6)
    const z = layerOf(ethFrame(zero));
    expect([z.status, z.problem?.code, z.problem?.offset]).toEqual(['malformed', 'WL_MALFORMED_ICMPV6_OPTION', 78]);
    expect(z.fields().map((f) => f.name)).toContain('icmpv6.nd.ns.target_address');
    const long = NS_FRAME.slice();
    long[79] = 2;
    expect(layerOf(ethFrame(long)).problem?.code).toBe('WL_MALFORMED_ICMPV6_OPTION');
    const short = layerOf(frameOf(Uint8Array.from([135, 0, 0, 0, 0, 0, 0, 0])));
    expect([short.status, short.problem?.code]).toEqual(['malformed', 'WL_MALFORMED_ICMPV6_LENGTH']);
  });
});

describe('ICMPv6 parse/emit', () => {
  it('round-trips the Neighbor Solicitation', () => {
    const repr = parseIcmpv6(NS);
    expect(repr.options).toEqual([{ type: 1, data: MAC }]);
    expect(emitIcmpv6(repr, new Uint8Array(0), { src: SRC, dst: DST })).toEqual(NS);
    delete repr.checksum;
    expect(emitIcmpv6(repr, new Uint8Array(0), { src: SRC, dst: DST })).toEqual(NS);
  });
});

describe('ICMPv6 robustness', () => {
  it('never throws on random messages', () => {
    let seed = 11;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    const types = [1, 2, 3, 4, 128, 129, 133, 134, 135, 136, 137, 200];
    for (let n = 0; n < 2000; n++) {
      const body = new Uint8Array(rnd() % 64).map(rnd);
      if (body.length) body[0] = types[rnd() % types.length]!;
      const f = frameOf(body);
      for (const l of decode(ethFrame(f.data.subarray(0, 54 + (rnd() % (body.length + 1))), f.origLen)).layers) {
        l.fields();
        l.info?.();
      }
    }
  });
});

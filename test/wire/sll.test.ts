import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCaptureFileSync } from '../../src/capture/reader.js';
import { decodePacket } from '../../src/decode/bindings.js';
import { dissectSll, dissectSll2, emitSll, emitSll2, parseSll, parseSll2, SllLayer } from '../../src/wire/sll.js';
import { decode, fieldsOf, fuzz, haveReal, hex, protos, REAL } from './link-helpers.js';

// pcap_nsec_sll_tcp_handshake.pcap frame 1 (tcpdump -xx), SLL v1 header:
//   0x0000:  0004 0200 0000 0000 0000 0000 0000 0800
//   0x0010:  4500 003c 29a9 4000 4006 db5f 839b d745
const SLL1 = hex('0004 0200 0000 0000 0000 0000 0000 0800');
// sll2_icmp_icmpv6_arp.pcap frame 5 (tcpdump -xx), SLL v2 header then ARP:
//   0x0000:  0806 0000 0000 001a 0001 0406 8e36 0644
//   0x0010:  acaf 0000 0001 0800 0604 0001 8e36 0644
//   0x0020:  acaf c000 0201 0000 0000 0000 c000 0202
const SLL2_ARP = hex(`
  0806 0000 0000 001a 0001 0406 8e36 0644 acaf 0000 0001 0800 0604 0001 8e36 0644
  acaf c000 0201 0000 0000 0000 c000 0202`);

describe('Linux cooked capture v1', () => {
  it('lists the fields of an outgoing packet on an ARPHRD_NONE device (as tshark)', () => {
    const l = dissectSll(SLL1, { offset: 0, end: 16, reportedEnd: 16 }, { frame: undefined as never, layers: [] }).layer as SllLayer;
    expect(l.fields().map((f) => [f.name, f.value, f.offset, f.length])).toEqual([
      ['sll.pkttype', 4, 0, 2],
      ['sll.hatype', 512, 2, 2],
      ['sll.halen', 0, 4, 2],
      ['sll.unused', '0000000000000000', 6, 8],
      ['sll.etype', 0x0800, 14, 2],
    ]);
    expect([l.version, l.length, l.packetType, l.hatype, l.addressLength, l.protocol, l.interfaceIndex]).toEqual([1, 16, 4, 512, 0, 0x0800, undefined]);
    expect(l.info()).toBe('Sent by us');
    expect(l.endpoints()).toEqual({ src: '', dst: '' });
  });

  it('hands EtherTypes on and keeps Linux protocol values (≤ 1536) as data', () => {
    const d = dissectSll(SLL1, { offset: 0, end: 16, reportedEnd: 16 }, { frame: undefined as never, layers: [] });
    expect(d.next).toEqual({ table: 'ethertype', key: 0x0800 });
    // ETH_P_802_2 (4): 802.2 LLC follows.
    const llc = emitSll({ packetType: 3, hatype: 1, address: hex('001122334455'), protocol: 4 }, hex('aaaa03'));
    const p = decode(llc, 113);
    expect(protos(p)).toBe('sll:data');
    expect(fieldsOf(p, 'sll')).toEqual({
      'sll.pkttype': 3,
      'sll.hatype': 1,
      'sll.halen': 6,
      'sll.src.eth': '00:11:22:33:44:55',
      'sll.unused': '0000',
      'sll.ltype': 4,
    });
    expect((p.layers[0] as SllLayer).endpoints()).toEqual({ src: '00:11:22:33:44:55', dst: '' });
  });

  it('names the address by its length and the protocol by the device (sll.src.ipv4, sll.src.other, sll.gretype)', () => {
    const gre = decode(emitSll({ packetType: 0, hatype: 778, address: hex('7f000001'), protocol: 0x0800 }, new Uint8Array(0)), 113);
    expect(fieldsOf(gre, 'sll')).toMatchObject({ 'sll.src.ipv4': '127.0.0.1', 'sll.unused': '00000000', 'sll.gretype': 0x0800 });
    const long = decode(emitSll({ packetType: 0, hatype: 32, address: hex('0011223344556677'), addressLength: 20, protocol: 0x86dd }, new Uint8Array(0)), 113);
    const f = fieldsOf(long, 'sll');
    expect(f).toMatchObject({ 'sll.halen': 20, 'sll.src.other': '0011223344556677', 'sll.etype': 0x86dd });
    expect(f['sll.unused']).toBeUndefined();
  });

  it('parses and emits symmetrically', () => {
    const repr = parseSll(SLL1);
    expect(repr).toEqual({ packetType: 4, hatype: 512, address: new Uint8Array(0), addressLength: 0, protocol: 0x0800 });
    expect(emitSll(repr, new Uint8Array(0))).toEqual(SLL1);
  });
});

describe('Linux cooked capture v2', () => {
  it('lists the fields in tshark order and hands ARP on', () => {
    const p = decode(SLL2_ARP, 276);
    expect(protos(p)).toBe('sll:arp');
    const l = p.layers[0] as SllLayer;
    expect(l.fields().map((f) => [f.name, f.value, f.offset, f.length])).toEqual([
      ['sll.etype', 0x0806, 0, 2],
      ['sll.ifindex', 26, 4, 4],
      ['sll.hatype', 1, 8, 2],
      ['sll.pkttype', 4, 10, 1],
      ['sll.halen', 6, 11, 1],
      ['sll.src.eth', '8e:36:06:44:ac:af', 12, 6],
      ['sll.unused', '0000', 18, 2],
    ]);
    expect([l.version, l.length, l.interfaceIndex]).toEqual([2, 20, 26]);
  });

  it('parses and emits symmetrically', () => {
    const repr = parseSll2(SLL2_ARP);
    expect(repr).toEqual({ packetType: 4, hatype: 1, address: hex('8e36 0644 acaf'), addressLength: 6, protocol: 0x0806, interfaceIndex: 26 });
    expect(emitSll2(repr, SLL2_ARP.subarray(20))).toEqual(SLL2_ARP);
    expect(emitSll2({ ...repr, addressLength: undefined }, SLL2_ARP.subarray(20))).toEqual(SLL2_ARP);
  });
});

describe('damaged cooked headers', () => {
  it('is truncated when cut by the snap length, malformed when the packet is shorter than the header', () => {
    const t = decode(SLL1.subarray(0, 10), 113, 60);
    expect(protos(t)).toBe('sll(truncated)');
    expect(t.layers[0]!.fields().map((f) => f.name)).toEqual(['sll.pkttype', 'sll.hatype', 'sll.halen']);
    const m = decode(SLL2_ARP.subarray(0, 11), 276);
    expect(protos(m)).toBe('sll(malformed)');
    expect(m.layers[0]!.problem).toMatchObject({ code: 'WL_MALFORMED_SLL_SHORT', offset: 0 });
    expect(m.layers[0]!.fields().map((f) => f.name)).toEqual(['sll.etype', 'sll.ifindex', 'sll.hatype', 'sll.pkttype']);
    expect(m.layers[0]!.endpoints!()).toEqual({ src: '', dst: '' });
  });

  it('never throws on random bytes', () => {
    expect(() => fuzz(dissectSll, [113], 3000, 11)).not.toThrow();
    expect(() => fuzz(dissectSll2, [276], 3000, 12)).not.toThrow();
  });
});

describe.skipIf(!haveReal)('cooked captures, against tshark 4.0', () => {
  it('pcap_nsec_sll_tcp_handshake.pcap: pkttype 4, 0, 4; hatype 512; etype IPv4', () => {
    const { frames } = readCaptureFileSync(join(REAL, 'pcap_nsec_sll_tcp_handshake.pcap'));
    const ps = frames.map((f) => decodePacket(f));
    expect(ps.map((p) => fieldsOf(p, 'sll')['sll.pkttype'])).toEqual([4, 0, 4]);
    for (const p of ps) {
      expect(protos(p).startsWith('sll:ip')).toBe(true);
      expect(fieldsOf(p, 'sll')).toMatchObject({ 'sll.hatype': 512, 'sll.halen': 0, 'sll.etype': 0x0800, 'sll.unused': '0000000000000000' });
    }
  });

  it('sll2_icmp_icmpv6_arp.pcap: loopback frames on ifindex 1, ARP on ifindex 26', () => {
    const { frames } = readCaptureFileSync(join(REAL, 'sll2_icmp_icmpv6_arp.pcap'));
    const rows = frames.map((f) => {
      const s = fieldsOf(decodePacket(f), 'sll');
      return [s['sll.etype'], s['sll.ifindex'], s['sll.hatype'], s['sll.pkttype'], s['sll.halen'], s['sll.src.eth']];
    });
    expect(rows).toEqual([
      [0x0800, 1, 772, 0, 6, '00:00:00:00:00:00'],
      [0x0800, 1, 772, 0, 6, '00:00:00:00:00:00'],
      [0x86dd, 1, 772, 0, 6, '00:00:00:00:00:00'],
      [0x86dd, 1, 772, 0, 6, '00:00:00:00:00:00'],
      [0x0806, 26, 1, 4, 6, '8e:36:06:44:ac:af'],
      [0x8035, 26, 1, 4, 6, '8e:36:06:44:ac:af'],
    ]);
  });
});

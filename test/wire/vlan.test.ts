import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCaptureFileSync } from '../../src/capture/reader.js';
import { decodePacket } from '../../src/decode/bindings.js';
import { dissectQinQ, dissectVlan, emitVlan, parseVlan, VlanLayer } from '../../src/wire/vlan.js';
import { decode, fieldsOf, fuzz, haveReal, hex, protos, REAL } from './link-helpers.js';

// vlan_8021ad_qinq_arp.pcap frame 1 (tcpdump -xx):
//   0x0000:  ffff ffff ffff 0020 d25a fb3f 88a8 00c8
//   0x0010:  8100 07d1 0806 0001 0800 0604 0001 0020
//   0x0020:  d25a fb3f ac15 4f61 0000 0000 0000 ac15
//   0x0030:  4f64 0000 0000 0000 0000 0000 0000 0000
const QINQ_ARP = hex(`
  ffff ffff ffff 0020 d25a fb3f 88a8 00c8 8100 07d1 0806 0001 0800 0604 0001 0020
  d25a fb3f ac15 4f61 0000 0000 0000 ac15 4f64 0000 0000 0000 0000 0000 0000 0000`);

// vlan_triple_tag_http.pcap frame 1, first 0x1b bytes (three 802.1Q tags, then IPv4):
//   0x0000:  0010 db88 d2ef c8bc c896 d2a0 8100 001e
//   0x0010:  8100 0014 8100 000a 0800 4500 0040 df8e
const TRIPLE = hex('0010 db88 d2ef c8bc c896 d2a0 8100 001e 8100 0014 8100 000a 0800 4500 0040 df8e');

const ETH = hex('ffff ffff ffff 0011 2233 4455');

describe('802.1Q / 802.1ad tags', () => {
  it('decodes an S-tag, a C-tag and ARP, with Wireshark names (as tshark shows them)', () => {
    const p = decode(QINQ_ARP, 1);
    expect(protos(p)).toBe('eth:ieee8021ad:vlan:arp');
    expect(fieldsOf(p, 'ieee8021ad')).toEqual({
      'ieee8021ad.priority': 0,
      'ieee8021ad.dei': 0,
      'ieee8021ad.id': 200,
      'ieee8021ah.etype': 0x8100,
    });
    expect(fieldsOf(p, 'vlan')).toEqual({ 'vlan.priority': 0, 'vlan.dei': false, 'vlan.id': 2001, 'vlan.etype': 0x0806 });
    const s = p.layers[1] as VlanLayer;
    expect([s.offset, s.length, s.id, s.priority, s.dei, s.etherType]).toEqual([14, 4, 200, 0, false, 0x8100]);
    expect(s.fields().map((f) => [f.name, f.offset, f.length])).toEqual([
      ['ieee8021ad.priority', 14, 2],
      ['ieee8021ad.dei', 14, 2],
      ['ieee8021ad.id', 14, 2],
      ['ieee8021ah.etype', 16, 2],
    ]);
    expect(s.info()).toBe('PRI: 0  DROP: 0 ID: 200');
    expect((p.layers[2] as VlanLayer).info()).toBe('PRI: 0  DEI: 0  ID: 2001');
  });

  it('makes each stacked tag a layer, so vlan.id repeats', () => {
    const p = decode(TRIPLE, 1, 90);
    expect(protos(p).startsWith('eth:vlan:vlan:vlan:')).toBe(true);
    expect(fieldsOf(p, 'vlan')['vlan.id']).toEqual([30, 20, 10]);
    expect(fieldsOf(p, 'vlan')['vlan.etype']).toEqual([0x8100, 0x8100, 0x0800]);
  });

  it('parses and emits a tag symmetrically', () => {
    // The C-tag's TCI is at 18 (after the S-tag's TCI at 14 and its 0x8100 at 16).
    const repr = parseVlan(QINQ_ARP, 18);
    expect(repr).toEqual({ priority: 0, dei: false, id: 2001, etherType: 0x0806 });
    const payload = QINQ_ARP.subarray(22);
    expect(emitVlan(repr, payload)).toEqual(QINQ_ARP.subarray(18));
    const odd = { priority: 5, dei: true, id: 4095, etherType: 0x86dd };
    const bytes = emitVlan(odd, new Uint8Array(0));
    expect(bytes).toEqual(hex('bfff 86dd'));
    expect(parseVlan(bytes)).toEqual(odd);
  });

  it('reads priority and DEI bits', () => {
    const p = decode(new Uint8Array([...ETH, 0x81, 0x00, 0xb0, 0x0a, 0x08, 0x00, 0x45]), 1);
    expect(fieldsOf(p, 'vlan')).toMatchObject({ 'vlan.priority': 5, 'vlan.dei': true, 'vlan.id': 10, 'vlan.etype': 0x0800 });
  });

  it('takes the pre-standard 0x9100 TPID as a vlan tag', () => {
    const p = decode(new Uint8Array([...ETH, 0x91, 0x00, 0x00, 0x0a, 0x88, 0xb5]), 1);
    expect(protos(p)).toBe('eth:vlan');
    expect(fieldsOf(p, 'vlan')['vlan.etype']).toBe(0x88b5);
  });

  it('shows two S-tags in a row as one ieee8021ad layer with svid and cvid (as Wireshark)', () => {
    const p = decode(new Uint8Array([...ETH, 0x88, 0xa8, 0xa0, 0xc8, 0x88, 0xa8, 0x30, 0xc9, 0x88, 0xb5]), 1);
    expect(protos(p)).toBe('eth:ieee8021ad');
    expect(p.layers[1]!.length).toBe(8);
    expect(p.layers[1]!.fields().map((f) => [f.name, f.value])).toEqual([
      ['ieee8021ad.priority', 5],
      ['ieee8021ad.dei', 0],
      ['ieee8021ad.svid', 200],
      ['ieee8021ad.priority', 1],
      ['ieee8021ad.dei', 1],
      ['ieee8021ad.cvid', 201],
      ['ieee8021ah.etype', 0x88b5],
    ]);
    expect((p.layers[1] as VlanLayer).innerId).toBe(201);
  });

  it('treats a type of 1500 or less as an 802.3 length and leaves LLC as data', () => {
    const p = decode(new Uint8Array([...ETH, 0x81, 0x00, 0x00, 0x0a, 0x00, 0x10, 0xaa, 0xaa, 0x03]), 1);
    expect(protos(p)).toBe('eth:vlan:data');
    expect(fieldsOf(p, 'vlan')['vlan.len']).toBe(16);
    const q = decode(new Uint8Array([...ETH, 0x88, 0xa8, 0x00, 0x0a, 0x00, 0x10, 0xaa]), 1);
    expect(protos(q)).toBe('eth:ieee8021ad:data');
    expect(fieldsOf(q)['ieee8021ah.etype']).toBe(16);
  });

  it('marks a tag cut by the snap length truncated, and one past the packet malformed', () => {
    const cut = new Uint8Array([...ETH, 0x81, 0x00, 0x00]);
    const t = decode(cut, 1, 60);
    expect(protos(t)).toBe('eth:vlan(truncated)');
    expect(t.layers[1]!.fields()).toEqual([]);
    const m = decode(cut, 1);
    expect(protos(m)).toBe('eth:vlan(malformed)');
    expect(m.layers[1]!.problem).toMatchObject({ code: 'WL_MALFORMED_VLAN_SHORT', offset: 14 });
    // The second S-tag of a pair cut off: the layer needs 8 bytes.
    const half = decode(new Uint8Array([...ETH, 0x88, 0xa8, 0x00, 0xc8, 0x88, 0xa8]), 1);
    expect(protos(half)).toBe('eth:ieee8021ad(malformed)');
    expect(half.layers[1]!.fields().map((f) => f.name)).toEqual(['ieee8021ad.priority', 'ieee8021ad.dei', 'ieee8021ad.svid']);
  });

  it('never throws on random bytes', () => {
    expect(() => fuzz(dissectVlan, [1], 2000, 7)).not.toThrow();
    expect(() => fuzz(dissectQinQ, [1], 2000, 8)).not.toThrow();
  });
});

describe.skipIf(!haveReal)('VLAN captures, against tshark 4.0', () => {
  it('vlan_triple_tag_http.pcap: every frame has tags 30, 20, 10 (tshark -e vlan.id -e vlan.etype)', () => {
    const { frames } = readCaptureFileSync(join(REAL, 'vlan_triple_tag_http.pcap'));
    expect(frames.length).toBe(14);
    for (const f of frames) {
      const v = fieldsOf(decodePacket(f), 'vlan');
      expect(v['vlan.id']).toEqual([30, 20, 10]);
      expect(v['vlan.etype']).toEqual([0x8100, 0x8100, 0x0800]);
      expect(v['vlan.priority']).toEqual([0, 0, 0]);
    }
  });

  it('vlan_8021ad_qinq_arp.pcap: S-tag 200, C-tag 2001, ARP request and reply', () => {
    const { frames } = readCaptureFileSync(join(REAL, 'vlan_8021ad_qinq_arp.pcap'));
    const [a, b] = frames.map((f) => decodePacket(f));
    for (const p of [a!, b!]) {
      expect(protos(p)).toBe('eth:ieee8021ad:vlan:arp');
      expect(fieldsOf(p)).toMatchObject({ 'ieee8021ad.id': 200, 'vlan.id': 2001, 'vlan.etype': 0x0806 });
    }
    expect(fieldsOf(b!, 'arp')['arp.opcode']).toBe(2);
  });
});

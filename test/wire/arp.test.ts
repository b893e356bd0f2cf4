import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCaptureFileSync } from '../../src/capture/reader.js';
import { decodePacket } from '../../src/decode/bindings.js';
import { ArpLayer, dissectArp, emitArp, parseArp, type ArpRepr } from '../../src/wire/arp.js';
import { parseIPv4, parseMac } from '../../src/wire/addr.js';
import { decode, fieldsOf, fuzz, haveReal, hex, protos, REAL } from './link-helpers.js';

// vlan_8021ad_qinq_arp.pcap frame 2, from the ARP header (tcpdump -xx, offset 0x16):
//   0001 0800 0604 0002 0080 ea81 8863 ac15 4f64 0020 d25a fb3f ac15 4f61
const REPLY = hex('0001 0800 0604 0002 0080 ea81 8863 ac15 4f64 0020 d25a fb3f ac15 4f61');
const ETH = hex('ffff ffff ffff 0011 2233 4455 0806');
const mac = (s: string) => parseMac(s)!;
const ip = (s: string) => parseIPv4(s)!;

function arpFrame(repr: ArpRepr, padding = 0) {
  return new Uint8Array([...ETH, ...emitArp(repr), ...new Uint8Array(padding)]);
}
const base: ArpRepr = {
  hardwareType: 1,
  protocolType: 0x0800,
  opcode: 1,
  senderHardware: mac('00:11:22:33:44:55'),
  senderProtocol: ip('10.0.0.1'),
  targetHardware: new Uint8Array(6),
  targetProtocol: ip('10.0.0.2'),
};

describe('ARP', () => {
  it('lists every field of an Ethernet/IPv4 reply (values and offsets as tshark)', () => {
    const p = decode(new Uint8Array([...ETH, ...REPLY, ...new Uint8Array(18)]), 1);
    expect(protos(p)).toBe('eth:arp'); // the 18 padding bytes are not a payload
    const a = p.layers[1] as ArpLayer;
    expect(a.fields().map((f) => [f.name, f.value, f.offset, f.length])).toEqual([
      ['arp.hw.type', 1, 14, 2],
      ['arp.proto.type', 0x0800, 16, 2],
      ['arp.hw.size', 6, 18, 1],
      ['arp.proto.size', 4, 19, 1],
      ['arp.opcode', 2, 20, 2],
      ['arp.src.hw_mac', '00:80:ea:81:88:63', 22, 6],
      ['arp.src.proto_ipv4', '172.21.79.100', 28, 4],
      ['arp.dst.hw_mac', '00:20:d2:5a:fb:3f', 32, 6],
      ['arp.dst.proto_ipv4', '172.21.79.97', 38, 4],
    ]);
    expect([a.length, a.hardwareType, a.protocolType, a.hardwareSize, a.protocolSize, a.opcode]).toEqual([28, 1, 0x0800, 6, 4, 2]);
    expect([a.isEthernet, a.isIPv4, a.isGratuitous, a.isProbe, a.isAnnouncement]).toEqual([true, true, false, false, false]);
    expect(a.senderHardware).toEqual(mac('00:80:ea:81:88:63'));
    expect(a.targetProtocol).toEqual(ip('172.21.79.97'));
    expect(a.info()).toBe('172.21.79.100 is at 00:80:ea:81:88:63');
  });

  it('parses and emits symmetrically', () => {
    const repr = parseArp(REPLY);
    expect(repr).toMatchObject({ hardwareType: 1, protocolType: 0x0800, hardwareSize: 6, protocolSize: 4, opcode: 2 });
    expect(emitArp(repr)).toEqual(REPLY);
    // Sizes left out come from the sender addresses.
    expect(emitArp({ ...repr, hardwareSize: undefined, protocolSize: undefined })).toEqual(REPLY);
  });

  // Info texts checked against tshark 4.0 on the same synthetic frames.
  it.each<[string, Partial<ArpRepr>, string, string[]]>([
    ['request', {}, 'Who has 10.0.0.2? Tell 10.0.0.1', []],
    ['announcement', { targetProtocol: ip('10.0.0.1') }, 'ARP Announcement for 10.0.0.1', ['arp.isgratuitous', 'arp.isannouncement']],
    ['gratuitous request', { targetProtocol: ip('10.0.0.1'), targetHardware: mac('ff:ff:ff:ff:ff:ff') }, 'Gratuitous ARP for 10.0.0.1 (Request)', ['arp.isgratuitous']],
    ['gratuitous reply', { opcode: 2, targetProtocol: ip('10.0.0.1') }, 'Gratuitous ARP for 10.0.0.1 (Reply)', ['arp.isgratuitous']],
    ['probe', { senderProtocol: ip('0.0.0.0'), targetProtocol: ip('10.0.0.9') }, 'Who has 10.0.0.9? (ARP Probe)', ['arp.isprobe']],
    ['RARP request', { opcode: 3, targetHardware: mac('00:11:22:33:44:55') }, 'Who is 00:11:22:33:44:55? Tell 00:11:22:33:44:55', []],
    ['RARP reply', { opcode: 4, targetProtocol: ip('10.0.0.5') }, '00:00:00:00:00:00 is at 10.0.0.5', []],
    ['InARP reply', { opcode: 9 }, '00:11:22:33:44:55 is at 10.0.0.1', []],
    ['reserved opcode', { opcode: 0 }, 'Reserved opcode 0', []],
    ['unknown opcode', { opcode: 99 }, 'Unknown ARP opcode 0x0063', []],
  ])('%s', (_name, change, info, flags) => {
    const p = decode(arpFrame({ ...base, ...change }), 1);
    const a = p.layers[1] as ArpLayer;
    expect(a.info()).toBe(info);
    const names = a.fields().map((f) => f.name);
    expect(names.filter((n) => n.startsWith('arp.is'))).toEqual(flags);
  });

  it('shows other address kinds as bytes (arp.src.hw, arp.src.proto)', () => {
    const p = decode(
      arpFrame({ ...base, hardwareType: 7, senderHardware: Uint8Array.of(1), targetHardware: Uint8Array.of(2), protocolType: 0x86dd, senderProtocol: new Uint8Array(16).fill(0xab), targetProtocol: new Uint8Array(16) }),
      1,
    );
    expect(fieldsOf(p, 'arp')).toMatchObject({
      'arp.hw.size': 1,
      'arp.proto.size': 16,
      'arp.src.hw': '01',
      'arp.dst.hw': '02',
      'arp.src.proto': 'ab'.repeat(16),
    });
    expect((p.layers[1] as ArpLayer).info()).toBe(`Who has ${'00'.repeat(16)}? Tell ${'ab'.repeat(16)}`);
  });

  it('accepts IEEE 802 hardware (type 6) as MAC addresses', () => {
    const p = decode(arpFrame({ ...base, hardwareType: 6 }), 1);
    expect(fieldsOf(p, 'arp')['arp.src.hw_mac']).toBe('00:11:22:33:44:55');
  });

  it('is bound to RARP (0x8035) too', () => {
    const bytes = arpFrame({ ...base, opcode: 3 });
    bytes[12] = 0x80;
    bytes[13] = 0x35;
    expect(protos(decode(bytes, 1))).toBe('eth:arp');
  });

  it('is truncated when the snap length cuts the addresses, malformed when the packet ends first', () => {
    const cut = arpFrame(base).subarray(0, 30);
    const t = decode(cut, 1, 42);
    expect(protos(t)).toBe('eth:arp(truncated)');
    // Only what was captured is listed.
    expect(t.layers[1]!.fields().map((f) => f.name)).toEqual(['arp.hw.type', 'arp.proto.type', 'arp.hw.size', 'arp.proto.size', 'arp.opcode', 'arp.src.hw_mac']);
    const m = decode(cut, 1);
    expect(protos(m)).toBe('eth:arp(malformed)');
    expect(m.layers[1]!.problem).toMatchObject({ code: 'WL_MALFORMED_ARP_ADDRESSES', offset: 14 });
    const short = decode(arpFrame(base).subarray(0, 19), 1);
    expect(protos(short)).toBe('eth:arp(malformed)');
    expect(short.layers[1]!.problem?.code).toBe('WL_MALFORMED_ARP_SHORT');
    expect(short.layers[1]!.fields().map((f) => f.name)).toEqual(['arp.hw.type', 'arp.proto.type', 'arp.hw.size']);
  });

  it('never throws on random bytes', () => {
    expect(() => fuzz(dissectArp, [1], 3000, 3)).not.toThrow();
  });
});

describe.skipIf(!haveReal)('ARP in real captures, against tshark 4.0', () => {
  it('sll2_icmp_icmpv6_arp.pcap: an ARP request and a RARP request over SLL2', () => {
    const { frames } = readCaptureFileSync(join(REAL, 'sll2_icmp_icmpv6_arp.pcap'));
    const [arp, rarp] = frames.slice(4).map((f) => decodePacket(f));
    const common = {
      'arp.hw.type': 1,
      'arp.proto.type': 0x0800,
      'arp.hw.size': 6,
      'arp.proto.size': 4,
      'arp.src.hw_mac': '8e:36:06:44:ac:af',
      'arp.src.proto_ipv4': '192.0.2.1',
      'arp.dst.hw_mac': '00:00:00:00:00:00',
      'arp.dst.proto_ipv4': '192.0.2.2',
    };
    expect(fieldsOf(arp!, 'arp')).toEqual({ ...common, 'arp.opcode': 1 });
    expect(fieldsOf(rarp!, 'arp')).toEqual({ ...common, 'arp.opcode': 3 });
    expect((arp!.layers[1] as ArpLayer).info()).toBe('Who has 192.0.2.2? Tell 192.0.2.1');
    expect((rarp!.layers[1] as ArpLayer).info()).toBe('Who is 00:00:00:00:00:00? Tell 8e:36:06:44:ac:af');
  });

  it('http_chunked_keepalive_nsec.pcapng: the ARP frames decode whole', () => {
    const { frames } = readCaptureFileSync(join(REAL, 'http_chunked_keepalive_nsec.pcapng'));
    const arps = frames.map((f) => decodePacket(f)).filter((p) => p.layers.some((l) => l.proto === 'arp'));
    expect(arps.length).toBeGreaterThan(0);
    for (const p of arps) expect(protos(p)).toBe('eth:arp');
  });
});

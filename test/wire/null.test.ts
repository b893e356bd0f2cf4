import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCaptureFileSync } from '../../src/capture/reader.js';
import { decodePacket } from '../../src/decode/bindings.js';
import { dissectLoop, dissectNull, emitNull, LINKTYPE_LOOP, NullLayer, nullHeaderValue, parseNull } from '../../src/wire/null.js';
import { decode, fieldsOf, fuzz, haveReal, hex, protos, REAL } from './link-helpers.js';

// null_lo0_macos_ipv6_http.pcap frame 1 (tcpdump -xx), macOS lo0: AF 30 little-endian, then IPv6:
//   0x0000:  1e00 0000 6000 0000 0204 0640 0000 0000
const MACOS = hex('1e00 0000 6000 0000');

const dissect = (bytes: Uint8Array, linkType = 0) =>
  (linkType === LINKTYPE_LOOP ? dissectLoop : dissectNull)(bytes, { offset: 0, end: bytes.length, reportedEnd: bytes.length }, { frame: undefined as never, layers: [] });

describe('BSD loopback (NULL, LOOP)', () => {
  it('reads a macOS header: AF_INET6 = 30, next layer IPv6', () => {
    const d = dissect(MACOS);
    const l = d.layer as NullLayer;
    expect(l.fields()).toEqual([{ name: 'null.family', value: 30, offset: 0, length: 4 }]);
    expect([l.length, l.family, l.isEtherType, l.nextEtherType]).toEqual([4, 30, false, 0x86dd]);
    expect(d.next).toEqual({ table: 'ethertype', key: 0x86dd });
    expect(d.payload).toEqual({ offset: 4, end: 8, reportedEnd: 8 });
    expect(l.info()).toBe('Null/Loopback');
  });

  // Header bytes → what tshark 4.0 shows (null.family or null.type) and where the packet goes next.
  it.each<[string, string, 'family' | 'type', number, number | undefined]>([
    ['AF_INET, little-endian', '02000000', 'family', 2, 0x0800],
    ['AF_INET, big-endian', '00000002', 'family', 2, 0x0800],
    ['AF_INET6 NetBSD/OpenBSD', '18000000', 'family', 24, 0x86dd],
    ['AF_INET6 FreeBSD', '1c000000', 'family', 28, 0x86dd],
    ['AF_INET6 Darwin, big-endian', '0000001e', 'family', 30, 0x86dd],
    ['IRIX 16-bit family first', '00020000', 'family', 2, 0x0800],
    ['IRIX 16-bit family, other order', '00000200', 'family', 2, 0x0800],
    ['old Linux EtherType', '00000800', 'type', 0x0800, 0x0800],
    ['old Linux EtherType, swapped', 'dd860000', 'type', 0x86dd, 0x86dd],
    ['Linux AF_INET6 (10) is not a BSD family: data, as in Wireshark', '0a000000', 'family', 10, undefined],
    ['AF_ISO', '07000000', 'family', 7, undefined],
  ])('%s', (_name, header, kind, value, next) => {
    const d = dissect(hex(header + '4500'));
    expect(d.layer.fields()).toEqual([{ name: `null.${kind}`, value, offset: 0, length: 4 }]);
    expect(d.next?.key).toBe(next);
  });

  it('reads LOOP in network order only', () => {
    expect(dissect(hex('00000002'), LINKTYPE_LOOP).layer.fields()[0]!.value).toBe(2);
    expect(dissect(hex('02000000'), LINKTYPE_LOOP).layer.fields()[0]!.value).toBe(0x02000000);
    const ether = dissect(hex('00000800'), LINKTYPE_LOOP);
    expect(ether.layer.fields()[0]).toMatchObject({ name: 'null.family', value: 2048 });
    expect(ether.next).toBeUndefined();
    expect(protos(decode(hex('00000800 4500'), LINKTYPE_LOOP))).toBe('null:data');
  });

  it('leaves PPP in HDLC framing (FF 03) as data under an empty null layer', () => {
    const p = decode(hex('ff03 0021 4500'), 0);
    expect(protos(p)).toBe('null:data');
    expect(p.layers[0]!.length).toBe(0);
    expect(p.layers[0]!.fields()).toEqual([]);
  });

  it('parses and emits symmetrically (NULL little-endian, LOOP big-endian)', () => {
    expect(parseNull(MACOS)).toEqual({ family: 30 });
    expect(emitNull({ family: 30 }, MACOS.subarray(4))).toEqual(MACOS);
    const loop = emitNull({ family: 24 }, new Uint8Array(0), LINKTYPE_LOOP);
    expect(loop).toEqual(hex('00000018'));
    expect(parseNull(loop, 0, LINKTYPE_LOOP)).toEqual({ family: 24 });
    expect(parseNull(emitNull({ family: 0x86dd }, new Uint8Array(0)))).toEqual({ family: 0x86dd });
    expect(nullHeaderValue(hex('00000002'), 0)).toBe(2);
  });

  it('is truncated when cut by the snap length, malformed when the packet is shorter than 4 bytes', () => {
    expect(protos(decode(hex('1e00'), 0, 100))).toBe('null(truncated)');
    const m = decode(hex('020000'), 0);
    expect(protos(m)).toBe('null(malformed)');
    expect(m.layers[0]!.problem).toMatchObject({ code: 'WL_MALFORMED_NULL_SHORT', offset: 0 });
    expect(m.layers[0]!.fields()).toEqual([]);
  });

  it('never throws on random bytes', () => {
    expect(() => fuzz(dissectNull, [0], 3000, 21)).not.toThrow();
    expect(() => fuzz(dissectLoop, [108], 2000, 22)).not.toThrow();
  });
});

describe.skipIf(!haveReal)('loopback captures, against tshark 4.0', () => {
  it.each(['null_lo0_macos_ipv6_http.pcap', 'null_lo0_ipv6_quic_handshake.pcap'])('%s: every frame is AF 30, IPv6', (file) => {
    const { frames } = readCaptureFileSync(join(REAL, file));
    expect(frames.length).toBeGreaterThan(0);
    for (const f of frames) {
      const p = decodePacket(f);
      expect(fieldsOf(p, 'null')).toEqual({ 'null.family': 30 });
      expect(p.layers[1]?.proto).toBe('ipv6');
    }
  });

  it('pcapng_le_all_block_types_eth_null.pcapng: the NULL interface frame is AF_INET', () => {
    const { frames } = readCaptureFileSync(join(REAL, 'pcapng_le_all_block_types_eth_null.pcapng'));
    const nulls = frames.filter((f) => f.linkType === 0).map((f) => decodePacket(f));
    expect(nulls.length).toBe(1);
    expect(fieldsOf(nulls[0]!, 'null')).toEqual({ 'null.family': 2 });
    expect(nulls[0]!.layers[1]?.proto).toBe('ip');
  });

  it('fuzz_cut_short_nsec_null.pcap: tshark shows null.type 0x006c and data', () => {
    const { frames } = readCaptureFileSync(join(REAL, 'fuzz_cut_short_nsec_null.pcap'));
    for (const f of frames) {
      const p = decodePacket(f);
      expect(fieldsOf(p, 'null')).toEqual({ 'null.type': 0x006c });
      expect(protos(p)).toBe('null:data');
    }
  });
});

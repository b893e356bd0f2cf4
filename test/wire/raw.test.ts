import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCaptureFileSync } from '../../src/capture/reader.js';
import { decodePacket } from '../../src/decode/bindings.js';
import { dissectRaw, emitRaw, RawLayer } from '../../src/wire/raw.js';
import { decode, fuzz, haveReal, hex, protos, REAL } from './link-helpers.js';

// rawip_android_dns_http_tls.pcap frame 1 (tcpdump -xx): IPv4 from the first byte.
//   0x0000:  4500 003c a6f3 4000 4006 2578 c0a8 b402
//   0x0010:  40e9 b8bc ba53 146c 02fd d809 0000 0000
//   0x0020:  a002 3908 74f6 0000 0204 05b4 0402 080a
//   0x0030:  0035 81b6 0000 0000 0103 0306
const SYN = hex(`
  4500 003c a6f3 4000 4006 2578 c0a8 b402 40e9 b8bc ba53 146c 02fd d809 0000 0000
  a002 3908 74f6 0000 0204 05b4 0402 080a 0035 81b6 0000 0000 0103 0306`);
const IPV6 = hex('6000 0000 0000 3b40' + '00'.repeat(15) + '01' + '00'.repeat(15) + '01');

const dissect = (bytes: Uint8Array, reportedEnd = bytes.length) =>
  dissectRaw(bytes, { offset: 0, end: bytes.length, reportedEnd }, { frame: undefined as never, layers: [] });

describe('raw IP link types', () => {
  it('LINKTYPE_RAW: an empty raw layer, then IPv4 or IPv6 by the version nibble (as tshark: raw:ip, raw:ipv6)', () => {
    const d = dissect(SYN);
    const l = d.layer as RawLayer;
    expect([l.proto, l.offset, l.length, l.status, l.ipVersion]).toEqual(['raw', 0, 0, 'ok', 4]);
    expect(l.fields()).toEqual([]);
    expect(l.info()).toBe('Raw packet data');
    expect(d.payload).toEqual({ offset: 0, end: SYN.length, reportedEnd: SYN.length });
    expect(d.next).toEqual({ table: 'ethertype', key: 0x0800 });
    expect(dissect(IPV6).next).toEqual({ table: 'ethertype', key: 0x86dd });
    expect(decode(SYN, 101).layers.map((x) => x.proto).slice(0, 2)).toEqual(['raw', 'ip']);
    expect(decode(IPV6, 101).layers.map((x) => x.proto).slice(0, 2)).toEqual(['raw', 'ipv6']);
  });

  it('accepts the old DLT_RAW values 12 and 14 like 101', () => {
    for (const lt of [12, 14]) expect(decode(SYN, lt).layers.map((x) => x.proto).slice(0, 2)).toEqual(['raw', 'ip']);
  });

  it('LINKTYPE_IPV4 / IPV6: no raw layer, straight to IP (as tshark)', () => {
    expect(decode(SYN, 228).layers[0]!.proto).toBe('ip');
    expect(decode(IPV6, 229).layers[0]!.proto).toBe('ipv6');
  });

  it('leaves another version as data', () => {
    const d = dissect(hex('30 00 00'));
    expect(d.next).toBeUndefined();
    expect(protos(decode(hex('30 00 00'), 101))).toBe('raw:data');
  });

  it('is truncated with no byte captured of a longer packet, malformed when the packet is empty', () => {
    expect(dissect(new Uint8Array(0), 40).layer.status).toBe('truncated');
    const m = dissect(new Uint8Array(0));
    expect(m.layer.status).toBe('malformed');
    expect(m.layer.problem?.code).toBe('WL_MALFORMED_RAW_EMPTY');
    expect((m.layer as RawLayer).ipVersion).toBeUndefined();
  });

  it('emits the IP packet unchanged', () => {
    expect(emitRaw(SYN)).toBe(SYN);
  });

  it('never throws on random bytes', () => {
    expect(() => fuzz(dissectRaw, [101, 228, 229], 3000, 31)).not.toThrow();
  });
});

describe.skipIf(!haveReal)('raw IP captures, against tshark 4.0', () => {
  it.each([
    ['rawip_android_dns_http_tls.pcap', 946],
    ['pcapng_be_rawip_pfcp_misnamed.pcap', 200],
  ])('%s: every frame is raw then IPv4', (file, count) => {
    const { frames } = readCaptureFileSync(join(REAL, file));
    expect(frames.length).toBe(count);
    for (const f of frames) {
      const p = decodePacket(f);
      expect(p.layers[0]!.proto).toBe('raw');
      expect(p.layers[1]!.proto).toBe('ip');
    }
  });

  it('pcap_linktype_fcs_bits_snaplen1.pcap: one captured byte (version 3) under a raw layer', () => {
    const { frames } = readCaptureFileSync(join(REAL, 'pcap_linktype_fcs_bits_snaplen1.pcap'));
    expect(frames.length).toBe(1);
    expect(protos(decodePacket(frames[0]!))).toBe('raw:data');
  });
});

import { describe, expect, it } from 'vitest';
import type { DissectContext, NetworkContext, Span } from '../../src/decode/dissector.js';
import type { FieldValue } from '../../src/decode/layer.js';
import { dissectUdp, emitUdp, parseUdp, UdpLayer, WL_MALFORMED_UDP_LENGTH, type UdpRepr } from '../../src/wire/udp.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

/**
 * Frame 2 of pcapng_2if_nsec_usec_linux_windows_dns.pcapng (tcpdump -xx), a DNS answer from 1.1.1.1:
 *   0x0000:  2eba 22ed 482d 3276 9952 62da 0800 4500
 *   0x0010:  00c8 3500 4000 fa11 9d0f 0101 0101 ac11
 *   0x0020:  0002 0035 8df7 00b4 e37f 4fe8 8180 0001
 *   ... (180-byte datagram, checksum 0xe37f good)
 */
const DNS_FRAME = hex(`
  2eba 22ed 482d 3276 9952 62da 0800 4500
  00c8 3500 4000 fa11 9d0f 0101 0101 ac11
  0002 0035 8df7 00b4 e37f 4fe8 8180 0001
  0004 0000 0001 0377 7777 0561 7070 6c65
  0363 6f6d 0000 0100 01c0 0c00 0500 0100
  0001 0f00 1a0d 7777 772d 6170 706c 652d
  636f 6d01 7607 6161 706c 696d 67c0 16c0
  2b00 0500 0100 0001 0f00 1b03 7777 7705
  6170 706c 6503 636f 6d07 6564 6765 6b65
  7903 6e65 7400 c051 0005 0001 0000 010f
  0019 0565 3638 3538 0564 7363 6539 0a61
  6b61 6d61 6965 6467 65c0 67c0 7800 0100
  0100 0000 0900 0417 c265 1800 0029 04d0
  0000 0000 0000`);
const UDP_OFF = 0x22;

/** Frame 1 of the same file: the query, whose checksum the sender's NIC was to fill in (tshark: bad). */
const QUERY_FRAME = hex(`
  3276 9952 62da 2eba 22ed 482d 0800 4500
  0052 07e1 0000 4011 c4a5 ac11 0002 0101
  0101 8df7 0035 003e ae64 4fe8 0120 0001
  0000 0000 0001 0377 7777 0561 7070 6c65
  0363 6f6d 0000 0100 0100 0029 04d0 0000
  0000 000c 000a 0008 53d4 fe03 d5bc 8577`);

const net4 = (frame: Uint8Array, ip = 14): NetworkContext => ({
  version: 4,
  src: frame.subarray(ip + 12, ip + 16),
  dst: frame.subarray(ip + 16, ip + 20),
});
const NET: NetworkContext = { version: 4, src: Uint8Array.from([10, 0, 0, 1]), dst: Uint8Array.from([10, 0, 0, 2]) };
const NET6: NetworkContext = { version: 6, src: hex('20010db8000000000000000000000001'), dst: hex('20010db8000000000000000000000002') };

function dissect(data: Uint8Array, span: Span, network?: NetworkContext) {
  const d = dissectUdp(data, span, { frame: undefined, layers: [], network } as unknown as DissectContext);
  return { ...d, layer: d.layer as UdpLayer };
}

function fieldMap(layer: UdpLayer): Record<string, FieldValue[]> {
  const out: Record<string, FieldValue[]> = {};
  for (const f of layer.fields()) (out[f.name] ??= []).push(f.value);
  return out;
}

const whole = (b: Uint8Array, offset = 0): Span => ({ offset, end: b.length, reportedEnd: b.length });

describe('UDP on a known DNS answer', () => {
  const { layer, payload, next } = dissect(DNS_FRAME, whole(DNS_FRAME, UDP_OFF), net4(DNS_FRAME));

  it('reads every field', () => {
    expect(layer.status).toBe('ok');
    expect(layer.proto).toBe('udp');
    expect(layer.offset).toBe(UDP_OFF);
    expect(layer.length).toBe(8);
    expect(layer.srcPort).toBe(53);
    expect(layer.dstPort).toBe(36343);
    expect(layer.udpLength).toBe(180);
    expect(layer.datagramLength).toBe(180);
    expect(layer.checksum).toBe(0xe37f);
    expect(layer.checksumStatus).toBe('good');
    expect(layer.payloadOffset).toBe(UDP_OFF + 8);
    expect(layer.payloadLength).toBe(172);
    const o = UDP_OFF;
    expect(layer.fields()).toEqual([
      { name: 'udp.srcport', value: 53, offset: o, length: 2 },
      { name: 'udp.dstport', value: 36343, offset: o + 2, length: 2 },
      { name: 'udp.port', value: 53, offset: o, length: 2 },
      { name: 'udp.port', value: 36343, offset: o + 2, length: 2 },
      { name: 'udp.length', value: 180, offset: o + 4, length: 2 },
      { name: 'udp.checksum', value: 0xe37f, offset: o + 6, length: 2 },
      { name: 'udp.checksum.status', value: 'good', offset: o + 6, length: 0 },
      { name: 'udp.payload', value: Buffer.from(DNS_FRAME.subarray(o + 8)).toString('hex'), offset: o + 8, length: 172 },
    ]);
  });

  it('hands the payload to the udp.port table under the lower port', () => {
    expect(payload).toEqual({ offset: UDP_OFF + 8, end: DNS_FRAME.length, reportedEnd: DNS_FRAME.length });
    expect(next).toEqual({ table: 'udp.port', key: 53 });
  });

  it('round-trips through parse and emit', () => {
    const dg = DNS_FRAME.subarray(UDP_OFF);
    const repr = parseUdp(dg);
    expect(repr.srcPort).toBe(53);
    expect(repr.length).toBe(180);
    expect(repr.checksum).toBe(0xe37f);
    expect(repr.payload).toEqual(dg.subarray(8));
    expect(emitUdp(repr, net4(DNS_FRAME))).toEqual(dg);
    const bare: UdpRepr = { ...repr, length: undefined, checksum: undefined };
    expect(emitUdp(bare, net4(DNS_FRAME))).toEqual(dg);
    expect(parseUdp(emitUdp(bare, net4(DNS_FRAME)))).toEqual(repr);
  });

  it('calls the offloaded query checksum bad', () => {
    expect(dissect(QUERY_FRAME, whole(QUERY_FRAME, UDP_OFF), net4(QUERY_FRAME)).layer.checksumStatus).toBe('bad');
  });
});

const payload = Uint8Array.from(Buffer.from('hello, world'));
const dgram = (extra: Partial<UdpRepr> = {}, net = NET) => emitUdp({ srcPort: 40000, dstPort: 40001, payload, ...extra }, net);

describe('UDP checksum', () => {
  it('is good over IPv4 and IPv6 when emit computed it', () => {
    const d4 = dgram();
    expect(dissect(d4, whole(d4), NET).layer.checksumStatus).toBe('good');
    const d6 = dgram({}, NET6);
    expect(dissect(d6, whole(d6), NET6).layer.checksumStatus).toBe('good');
  });

  it('zero means none over IPv4 (RFC 768), and is illegal over IPv6 (RFC 8200 §8.1)', () => {
    const d = dgram({ checksum: 0 });
    expect(dissect(d, whole(d), NET).layer.checksumStatus).toBe('not present');
    expect(dissect(d, whole(d), NET6).layer.checksumStatus).toBe('illegal');
  });

  it('emits a computed zero as 0xffff', () => {
    // Choose the payload's last word so that the sum comes to exactly zero.
    const base = emitUdp({ srcPort: 1, dstPort: 2, payload: new Uint8Array(2) }, NET);
    const fix = base[6]! * 256 + base[7]!;
    const d = emitUdp({ srcPort: 1, dstPort: 2, payload: Uint8Array.from([fix >> 8, fix & 0xff]) }, NET);
    expect(parseUdp(d).checksum).toBe(0xffff);
    expect(dissect(d, whole(d), NET).layer.checksumStatus).toBe('good');
  });

  it('is unverified without addresses, for a fragment, or when cut by the snap length', () => {
    const d = dgram();
    expect(dissect(d, whole(d)).layer.checksumStatus).toBe('unverified');
    expect(dissect(d, whole(d), { ...NET, fragmented: true }).layer.checksumStatus).toBe('unverified');
    const cut = dissect(d, { offset: 0, end: 10, reportedEnd: d.length }, NET);
    expect(cut.layer.status).toBe('ok');
    expect(cut.layer.checksumStatus).toBe('unverified');
    expect(cut.payload).toEqual({ offset: 8, end: 10, reportedEnd: d.length });
  });
});

describe('UDP lengths', () => {
  it('the length field bounds the payload, not the IP payload (Ethernet padding, trailing bytes)', () => {
    const d = dgram();
    const padded = new Uint8Array(d.length + 10);
    padded.set(d);
    const { layer, payload: p } = dissect(padded, whole(padded), NET);
    expect(layer.status).toBe('ok');
    expect(layer.checksumStatus).toBe('good');
    expect(p).toEqual({ offset: 8, end: d.length, reportedEnd: d.length });
  });

  it('length below 8 is malformed and stops the fields at udp.length', () => {
    const d = dgram({ length: 4, checksum: 0 });
    const { layer, payload: p, next } = dissect(d, whole(d), NET);
    expect(layer.status).toBe('malformed');
    expect(layer.problem).toMatchObject({ code: WL_MALFORMED_UDP_LENGTH, offset: 4 });
    expect(Object.keys(fieldMap(layer))).toEqual(['udp.srcport', 'udp.dstport', 'udp.port', 'udp.length']);
    expect(next).toBeUndefined();
    expect(p).toEqual({ offset: 8, end: d.length, reportedEnd: d.length });
  });

  it('length past the IP payload is malformed', () => {
    const d = dgram({ length: 40 });
    const { layer, payload: p, next } = dissect(d, whole(d), NET);
    expect(layer.status).toBe('malformed');
    expect(layer.problem).toMatchObject({ code: WL_MALFORMED_UDP_LENGTH, offset: 4 });
    expect(layer.problem!.message).toContain('40');
    expect(layer.checksumStatus).toBe('unverified');
    expect(fieldMap(layer)['udp.checksum.status']).toEqual(['unverified']);
    expect(next).toBeUndefined();
    expect(p).toEqual({ offset: 8, end: d.length, reportedEnd: d.length });
  });

  it('a datagram shorter than the header is malformed', () => {
    const d = dgram().subarray(0, 6);
    const { layer, payload: p } = dissect(d, whole(d), NET);
    expect(layer.status).toBe('malformed');
    expect(layer.problem).toMatchObject({ code: WL_MALFORMED_UDP_LENGTH, offset: 0 });
    expect(p.offset).toBe(6);
    expect(fieldMap(layer)['udp.length']).toEqual([20]);
  });

  it('a header cut by the snap length is truncated', () => {
    const d = dgram();
    for (const end of [3, 6]) {
      const { layer, payload: p, next } = dissect(d, { offset: 0, end, reportedEnd: d.length }, NET);
      expect(layer.status).toBe('truncated');
      expect(layer.checksumStatus).toBe('unverified');
      expect(next).toBeUndefined();
      expect(p.offset).toBe(end);
      expect(layer.fields().every((f) => f.offset + f.length <= end)).toBe(true);
    }
  });

  it('a jumbogram over IPv6 takes its length from the IP layer (RFC 2675 §4)', () => {
    const big = new Uint8Array(70000);
    big.set(emitUdp({ srcPort: 1, dstPort: 2, payload: new Uint8Array(0), length: 0, checksum: 1 }, NET6));
    const { layer, payload: p } = dissect(big, whole(big), NET6);
    expect(layer.status).toBe('ok');
    expect(layer.datagramLength).toBe(70000);
    expect(p.end).toBe(70000);
    // The same zero length over IPv4 is malformed.
    expect(dissect(big, whole(big), NET).layer.status).toBe('malformed');
  });
});

describe('UDP dissector robustness', () => {
  it('never throws on random bytes and spans', () => {
    let seed = 777;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000);
    for (let i = 0; i < 5000; i++) {
      const len = Math.floor(rnd() * 40);
      const data = new Uint8Array(len);
      for (let j = 0; j < len; j++) data[j] = Math.floor(rnd() * 256);
      if (len > 6 && rnd() < 0.5) data[4] = 0;
      const offset = Math.floor(rnd() * Math.min(len + 1, 4));
      const end = offset + Math.floor(rnd() * (len - offset + 1));
      const reportedEnd = end + Math.floor(rnd() * 20);
      const { layer, payload: p } = dissect(data, { offset, end, reportedEnd }, rnd() < 0.5 ? NET : NET6);
      layer.fields();
      expect(p.offset).toBeGreaterThanOrEqual(offset);
      expect(p.offset).toBeLessThanOrEqual(p.end);
      expect(p.end).toBeLessThanOrEqual(p.reportedEnd);
      parseUdp(data, offset, end);
    }
  });
});

describe('UDP in the first fragment of a datagram', () => {
  it('takes the length as the whole datagram, not this fragment: not malformed, payload left undecoded', () => {
    // A 1710-byte UDP length in a fragment carrying only 40 bytes of it (RFC 791 §2.3).
    const d = emitUdp({ srcPort: 53, dstPort: 4000, payload: new Uint8Array(32), length: 1710, checksum: 0x1234 }, NET);
    const fragmentNet: NetworkContext = { ...NET, fragmented: true };
    const r = dissect(d, whole(d), fragmentNet);
    expect(r.layer.status).toBe('ok');
    expect(r.layer.problem).toBeUndefined();
    expect(r.layer.checksumStatus).toBe('unverified');
    expect(fieldMap(r.layer)['udp.length']).toEqual([1710]);
    expect(r.payload).toEqual({ offset: 8, end: 40, reportedEnd: 40 });
    expect(r.next).toBeUndefined();
    // The same bytes outside a fragment contradict the IP payload length.
    expect(dissect(d, whole(d), NET).layer.status).toBe('malformed');
  });
});

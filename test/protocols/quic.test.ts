import { existsSync } from 'node:fs';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  QUIC_V1,
  QUIC_V2,
  QuicFlows,
  QuicLayer,
  WL_MALFORMED_QUIC_HEADER,
  WL_MALFORMED_QUIC_LENGTH,
  dissectQuic,
  dissectQuicDatagram,
  emitQuicLongHeader,
  emitVarint,
  looksLikeQuicLongHeader,
  parseQuicLongHeader,
  readVarint,
  type QuicLongHeaderRepr,
} from '../../src/protocols/quic.js';
import { findLayer, type Field } from '../../src/decode/layer.js';
import { readCaptureFileSync } from '../../src/capture/reader.js';
import { decodePacket } from '../../src/decode/bindings.js';
import { flowKeyOf } from '../../src/analysis/flows.js';
import { canonTshark, randomBuffers, tsharkRows } from './tcp-payloads.js';

const DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/traces/real');
const present = existsSync(DIR);
if (!present) console.warn(`QUIC corpus tests skipped: ${DIR} is absent`);

const ctx = { frame: undefined as never, layers: [] };
const layerOf = (b: Uint8Array, reportedEnd = b.length) => dissectQuic(b, { offset: 0, end: b.length, reportedEnd }, ctx).layer as QuicLayer;
const values = (fields: Field[], name: string) => fields.filter((f) => f.name === name).map((f) => f.value);
const hex = (s: string) => Uint8Array.from(s.replace(/\s+/g, '').match(/../g)!.map((b) => parseInt(b, 16)));

const dcid = hex('95412c47018cdfe8');
const initial: QuicLongHeaderRepr = { type: 'initial', version: QUIC_V1, dcid, scid: new Uint8Array(0), typeSpecificBits: 1, token: new Uint8Array(0), payload: new Uint8Array(1161) };

describe('varints (RFC 9000 §16)', () => {
  it('round trip at each size boundary, and cut ones are undefined', () => {
    for (const v of [0, 63, 64, 16383, 16384, 2 ** 30 - 1, 2 ** 30, 2 ** 40 + 5]) {
      const b = Uint8Array.from(emitVarint(v));
      expect(readVarint(b, 0, b.length)).toEqual({ value: v, length: b.length });
      expect(readVarint(b, 0, b.length - 1)).toBeUndefined();
    }
    // RFC 9000 Appendix A.1 examples.
    expect(readVarint(hex('c2197c5eff14e88c'), 0, 8)!.value).toBe(151288809941952652);
    expect(readVarint(hex('7bbd'), 0, 2)!.value).toBe(15293);
  });
});

describe('long headers', () => {
  it('Initial (chromium frame 1 shape): fields, Info and round trip', () => {
    const b = emitQuicLongHeader(initial);
    // tcpdump -xx of quic_v1_chromium_initial_sni.pcap frame 1 starts: c1 00000001 08 95412c47018cdfe8 00 00 4489
    expect([...b.subarray(0, 18)]).toEqual([...hex('c1 00000001 08 95412c47018cdfe8 00 00 4489')]);
    const l = layerOf(b);
    expect(l.status).toBe('ok');
    expect(l.info()).toBe('Initial, DCID=95412c47018cdfe8');
    const f = l.fields();
    expect(values(f, 'quic.packet_length')).toEqual([1179]);
    expect(values(f, 'quic.header_form')).toEqual([1]);
    expect(values(f, 'quic.fixed_bit')).toEqual([true]);
    expect(values(f, 'quic.long.packet_type')).toEqual([0]);
    expect(values(f, 'quic.version')).toEqual([1]);
    expect(values(f, 'quic.dcil')).toEqual([8]);
    expect(values(f, 'quic.dcid')).toEqual(['95412c47018cdfe8']);
    expect(values(f, 'quic.scil')).toEqual([0]);
    expect(values(f, 'quic.scid')).toEqual([]);
    expect(values(f, 'quic.token_length')).toEqual([0]);
    expect(values(f, 'quic.length')).toEqual([1161]);
    expect(parseQuicLongHeader(b).repr).toEqual(initial);
  });
  it('Handshake, 0-RTT, Retry, version 2 and Version Negotiation round trip', () => {
    const cases: QuicLongHeaderRepr[] = [
      { type: 'handshake', version: QUIC_V1, dcid: new Uint8Array(0), scid: dcid, typeSpecificBits: 0, payload: new Uint8Array(20) },
      { type: '0rtt', version: QUIC_V1, dcid, scid: dcid, typeSpecificBits: 3, payload: new Uint8Array(70) },
      { type: 'retry', version: QUIC_V1, dcid, scid: dcid, typeSpecificBits: 0, token: Uint8Array.of(1, 2, 3), payload: new Uint8Array(16).fill(5) },
      { type: 'initial', version: QUIC_V2, dcid, scid: new Uint8Array(0), typeSpecificBits: 0, token: Uint8Array.of(9, 9), payload: new Uint8Array(30) },
      { type: 'version_negotiation', version: 0, dcid, scid: dcid, typeSpecificBits: 0x2a, supportedVersions: [QUIC_V1, 0x1a2a3a4a] },
    ];
    for (const r of cases) expect(parseQuicLongHeader(emitQuicLongHeader(r)).repr).toEqual(r);
    const vn = layerOf(emitQuicLongHeader(cases[4]!));
    expect(vn.info()).toBe('Version Negotiation, DCID=95412c47018cdfe8, SCID=95412c47018cdfe8');
    expect(values(vn.fields(), 'quic.supported_version')).toEqual([1, 0x1a2a3a4a]);
    const v2 = layerOf(emitQuicLongHeader(cases[3]!)).fields();
    expect(values(v2, 'quic.long.packet_type_v2')).toEqual([1]);
    expect(values(v2, 'quic.token_length')).toEqual([2]);
    expect(layerOf(emitQuicLongHeader(cases[2]!)).info()).toBe('Retry, DCID=95412c47018cdfe8, SCID=95412c47018cdfe8');
  });
  it('coalesced packets are walked by their Length; a short header takes the rest', () => {
    const hs: QuicLongHeaderRepr = { type: 'handshake', version: QUIC_V1, dcid: new Uint8Array(0), scid: dcid, payload: new Uint8Array(221) };
    const dgram = Uint8Array.from([...emitQuicLongHeader({ ...initial, dcid: new Uint8Array(0), scid: dcid, payload: new Uint8Array(930) }), ...emitQuicLongHeader(hs), 0x40, ...new Uint8Array(63)]);
    const l = layerOf(dgram);
    expect(l.packets.map((p) => p.type)).toEqual(['initial', 'handshake', 'short']);
    // tshark on chromium frame 2: quic.packet_length 948,238,64; quic.length 930,221
    expect(values(l.fields(), 'quic.packet_length')).toEqual([948, 238, 64]);
    expect(values(l.fields(), 'quic.length')).toEqual([930, 221]);
    expect(l.info()).toBe('Protected Payload (KP0)');
  });
  it('malformed and truncated headers', () => {
    const b = emitQuicLongHeader(initial);
    const lie = layerOf(b.subarray(0, 100));
    expect(lie.status).toBe('malformed');
    expect(lie.problem).toMatchObject({ code: WL_MALFORMED_QUIC_LENGTH, offset: 16 });
    const snap = layerOf(b.subarray(0, 10), b.length);
    expect(snap.status).toBe('truncated');
    const cutCid = layerOf(b.subarray(0, 9));
    expect(cutCid.problem?.code).toBe(WL_MALFORMED_QUIC_HEADER);
    expect(() => cutCid.fields()).not.toThrow();
    for (let n = 0; n < 40; n++) expect(() => (layerOf(b.subarray(0, n)).fields(), layerOf(b.subarray(0, n)).info())).not.toThrow();
  });
  it('the heuristic accepts long headers of known versions only', () => {
    const b = emitQuicLongHeader(initial);
    expect(looksLikeQuicLongHeader(b, 0, b.length)).toBe(true);
    const odd = b.slice();
    odd[4] = 7; // version 7
    expect(looksLikeQuicLongHeader(odd, 0, odd.length)).toBe(false);
    const big = b.slice();
    big[5] = 40; // DCID over 20 bytes
    expect(looksLikeQuicLongHeader(big, 0, big.length)).toBe(false);
    expect(looksLikeQuicLongHeader(Uint8Array.of(0x40, 1, 2), 0, 3)).toBe(false);
  });
  it('random bytes never throw', () => {
    for (const r of randomBuffers(2000, 11)) {
      const b = r.length ? r : Uint8Array.of(0xc0);
      b[0] |= 0x80;
      expect(() => {
        const l = layerOf(b);
        l.fields();
        l.info();
        new QuicFlows().onDatagram(l, 'k', true);
        l.fields();
        parseQuicLongHeader(b);
        looksLikeQuicLongHeader(b, 0, b.length);
      }).not.toThrow();
    }
  });
});

describe('QuicFlows', () => {
  it('gives short headers the DCID length the other side announced', () => {
    const flows = new QuicFlows();
    const client = layerOf(emitQuicLongHeader({ ...initial, scid: Uint8Array.of(1, 2, 3, 4) }));
    flows.onDatagram(client, 'k', true);
    const server = layerOf(emitQuicLongHeader({ type: 'handshake', version: QUIC_V1, dcid: Uint8Array.of(1, 2, 3, 4), scid: dcid, payload: new Uint8Array(5) }));
    flows.onDatagram(server, 'k', false);
    const fromClient = dissectQuicDatagram(Uint8Array.from([0x60, ...dcid, 1, 2, 3]), { offset: 0, end: 12, reportedEnd: 12 });
    flows.onDatagram(fromClient, 'k', true);
    expect(fromClient.info()).toBe('Protected Payload (KP0), DCID=95412c47018cdfe8');
    expect(values(fromClient.fields(), 'quic.spin_bit')).toEqual([true]);
    const fromServer = dissectQuicDatagram(Uint8Array.from([0x40, 1, 2, 3, 4, 9]), { offset: 0, end: 6, reportedEnd: 6 });
    flows.onDatagram(fromServer, 'k', false);
    expect(values(fromServer.fields(), 'quic.dcid')).toEqual(['01020304']);
    expect(flows.isKnown('k')).toBe(true);
    const unknown = dissectQuicDatagram(Uint8Array.from([0x40, 1, 2]), { offset: 0, end: 3, reportedEnd: 3 });
    new QuicFlows().onDatagram(unknown, 'other', true);
    expect(unknown.info()).toBe('Protected Payload (KP0)');
  });
});

const FIELDS = ['quic.packet_length', 'quic.header_form', 'quic.fixed_bit', 'quic.spin_bit', 'quic.long.packet_type', 'quic.version', 'quic.dcil', 'quic.dcid', 'quic.scil', 'quic.scid', 'quic.token_length', 'quic.length'];

describe.skipIf(!present)('QUIC corpus against tshark', () => {
  for (const file of ['quic_v1_chromium_initial_sni.pcap', 'null_lo0_ipv6_quic_handshake.pcap']) {
    it(`${file}: every header field agrees; Info agrees except where tshark decrypted an Initial`, async () => {
      const path = `${DIR}/${file}`;
      const flows = new QuicFlows();
      const ours = new Map<number, QuicLayer>();
      for (const f of readCaptureFileSync(path).frames) {
        const p = decodePacket(f);
        const q = findLayer<QuicLayer>(p, 'quic');
        const k = flowKeyOf(p);
        if (q && k) flows.onDatagram(q, k.key, k.lowToHigh);
        if (q) ours.set(f.number, q);
      }
      expect(ours.size).toBeGreaterThan(15);
      const rows = await tsharkRows(path, ['frame.number', '_ws.col.Info', ...FIELDS]);
      if (!rows) return console.warn('tshark absent: QUIC differential skipped');
      let compared = 0;
      const mismatches: string[] = [];
      for (const row of rows) {
        const frame = Number(row[0]);
        const q = ours.get(frame);
        if (!q) continue;
        // tshark decrypts Initial packets with the keys RFC 9001 §5.2 derives from the DCID and
        // appends ", PKN: n, CRYPTO, ..."; we do not decrypt, so we compare the part before it.
        const info = row[1]!.replace(/, PKN: .*$/, '');
        compared++;
        if (q.info() !== info) mismatches.push(`#${frame} Info ${q.info()} | ${info}`);
        const fields = q.fields();
        FIELDS.forEach((name, i) => {
          const t = canonTshark(row[i + 2] ?? '');
          const o = values(fields, name).map((v) => (typeof v === 'boolean' ? (v ? '1' : '0') : String(v))).join(',');
          if (!o && !t) return;
          compared++;
          if (o !== t) mismatches.push(`#${frame} ${name} ${o} | ${t}`);
        });
      }
      if (process.env.WL_FIGURES) console.log(`${file}: ${compared} QUIC values compared, ${mismatches.length} differ`);
      expect(mismatches).toEqual([]);
    });
  }
});

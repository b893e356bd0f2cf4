import { existsSync } from 'node:fs';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  ContentType,
  TlsConnection,
  TlsRecordFramer,
  WL_MALFORMED_TLS_HELLO,
  WL_MALFORMED_TLS_RECORD,
  alpnExtension,
  emitClientHello,
  emitHandshake,
  emitServerHello,
  emitTlsRecord,
  parseClientHello,
  parseServerHello,
  sniExtension,
  summarizeHello,
  supportedVersionsExtension,
  tlsInfo,
  tlsRecordFields,
  type ClientHelloRepr,
  type ServerHelloRepr,
  type TlsRecordEvent,
} from '../../src/protocols/tls.js';
import { canonTshark, frameAt, randomBuffers, splits, tcpConnections, tsharkRows } from './tcp-payloads.js';

const DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/traces/real');
const present = existsSync(DIR);
if (!present) console.warn(`TLS corpus tests skipped: ${DIR} is absent`);

const client: ClientHelloRepr = {
  legacyVersion: 0x0303,
  random: Uint8Array.from({ length: 32 }, (_, i) => i),
  sessionId: Uint8Array.from({ length: 32 }, (_, i) => 0xa0 + (i & 15)),
  cipherSuites: [0x1301, 0x1302, 0xc02f],
  compressionMethods: [0],
  extensions: [sniExtension('example.com'), alpnExtension(['h2', 'http/1.1']), supportedVersionsExtension([0x0304, 0x0303])],
};
const server: ServerHelloRepr = {
  legacyVersion: 0x0303,
  random: new Uint8Array(32).fill(7),
  sessionId: new Uint8Array(0),
  cipherSuite: 0x1301,
  compressionMethod: 0,
  extensions: [supportedVersionsExtension([0x0304], true), alpnExtension(['h2'])],
};
const ch = emitHandshake(1, emitClientHello(client));
const sh = emitHandshake(2, emitServerHello(server));

describe('hellos', () => {
  it('ClientHello parse/emit round trip and summary', () => {
    const r = parseClientHello(emitClientHello(client));
    expect(r.problem).toBeUndefined();
    expect(r.repr).toEqual(client);
    expect(emitClientHello(r.repr!)).toEqual(emitClientHello(client));
    expect(summarizeHello(r.repr!)).toEqual({ sni: 'example.com', alpn: ['h2', 'http/1.1'], versions: [0x0304, 0x0303] });
  });
  it('ServerHello round trip; the selected version comes from supported_versions', () => {
    const r = parseServerHello(emitServerHello(server));
    expect(r.repr).toEqual(server);
    expect(summarizeHello(r.repr!)).toEqual({ alpn: ['h2'], versions: [0x0304] });
    const tls12 = { ...server, extensions: undefined };
    delete (tls12 as Partial<ServerHelloRepr>).extensions;
    expect(summarizeHello(parseServerHello(emitServerHello(tls12)).repr!).versions).toEqual([0x0303]);
  });
  it('a hello cut anywhere is a problem value, never a throw', () => {
    const body = emitClientHello(client);
    for (let n = 0; n < body.length; n++) {
      const r = parseClientHello(body.subarray(0, n));
      // Cutting exactly before the extensions block leaves a valid TLS 1.2-style hello.
      if (n === 2 + 32 + 33 + 2 + 6 + 2) expect(r.problem).toBeUndefined();
      else expect(r.problem?.code).toBe(WL_MALFORMED_TLS_HELLO);
    }
    const bad = body.slice();
    bad[2 + 32 + 33 + 2 + 6 + 2 + 1] = 0xff; // extensions length past the end
    expect(parseClientHello(bad).problem?.code).toBe(WL_MALFORMED_TLS_HELLO);
  });
});

describe('TlsRecordFramer', () => {
  const stream = Uint8Array.from([...emitTlsRecord(22, 0x0301, ch), ...emitTlsRecord(20, 0x0303, Uint8Array.of(1)), ...emitTlsRecord(23, 0x0303, new Uint8Array(0)), ...emitTlsRecord(23, 0x0303, new Uint8Array(300).fill(9))]);
  const expected = [
    { contentType: 22, length: ch.length, streamOffset: 0 },
    { contentType: 20, length: 1, streamOffset: 5 + ch.length },
    { contentType: 23, length: 0, streamOffset: 11 + ch.length },
    { contentType: 23, length: 300, streamOffset: 16 + ch.length },
  ];
  it('frames records whole, split at every boundary and byte by byte', () => {
    for (const parts of splits(stream)) {
      const f = new TlsRecordFramer();
      const recs = parts.flatMap((p) => f.push(p));
      expect(recs.map((r) => ({ contentType: r.contentType, length: r.length, streamOffset: r.streamOffset }))).toEqual(expected);
      expect(recs[0]!.body).toEqual(ch);
      expect(recs[3]!.body.every((b) => b === 9)).toBe(true);
      expect(f.buffered).toBe(0);
      expect(f.problem).toBeUndefined();
    }
  });
  it('stops at a header that is not TLS, with the stream offset', () => {
    const junk = Uint8Array.from([...emitTlsRecord(23, 0x0303, Uint8Array.of(1, 2)), 0x47, 0x45, 0x54, 0x20, 0x2f, 0x20]);
    for (const parts of splits(junk)) {
      const f = new TlsRecordFramer();
      const recs = parts.flatMap((p) => f.push(p));
      expect(recs).toHaveLength(1);
      expect(f.problem).toMatchObject({ code: WL_MALFORMED_TLS_RECORD, offset: 7 });
    }
    const f = new TlsRecordFramer();
    f.push(Uint8Array.of(23, 3, 3, 0xff, 0xff));
    expect(f.problem?.message).toMatch(/over/);
  });
  it('random bytes never throw', () => {
    for (const b of randomBuffers(400, 7)) {
      const c = new TlsConnection();
      expect(() => {
        c.push('c2s', b);
        c.push('s2c', b);
        parseClientHello(b);
        parseServerHello(b);
        const f = new TlsRecordFramer();
        f.push(Uint8Array.of(22, 3, 1, b.length >> 8, b.length & 0xff));
        for (const ev of c.push('c2s', Uint8Array.from([22, 3, 1, b.length >> 8, b.length & 0xff, ...b]))) tlsRecordFields(ev);
      }).not.toThrow();
    }
  });
});

describe('TlsConnection', () => {
  const c2s = Uint8Array.from([...emitTlsRecord(22, 0x0301, ch.subarray(0, 40)), ...emitTlsRecord(22, 0x0301, ch.subarray(40)), ...emitTlsRecord(20, 0x0303, Uint8Array.of(1)), ...emitTlsRecord(23, 0x0303, new Uint8Array(20))]);
  const s2c = Uint8Array.from([...emitTlsRecord(22, 0x0303, sh), ...emitTlsRecord(20, 0x0303, Uint8Array.of(1)), ...emitTlsRecord(23, 0x0303, new Uint8Array(50)), ...emitTlsRecord(23, 0x0303, new Uint8Array(50))]);
  it('reassembles a hello split over records and segments; TLS 1.3 records are opaque and counted', () => {
    for (const parts of splits(c2s)) {
      const c = new TlsConnection();
      const evs: TlsRecordEvent[] = parts.flatMap((p) => c.push('c2s', p));
      evs.push(...c.push('s2c', s2c));
      expect(evs.map((e) => e.record.contentType)).toEqual([22, 22, 20, 23, 22, 20, 23, 23]);
      expect(evs[0]!.handshakes).toHaveLength(0);
      expect(tlsInfo([evs[1]!])).toBe('Client Hello');
      expect(c.clientHello?.summary?.sni).toBe('example.com');
      expect(c.serverHello?.summary?.versions).toEqual([0x0304]);
      expect(c.tls13).toBe(true);
      expect(tlsInfo(evs.slice(4, 6))).toBe('Server Hello, Change Cipher Spec');
      expect(evs[7]!.opaque).toBe(true);
      expect(c.encryptedRecords('s2c')).toBe(2);
      expect(c.encryptedRecords('c2s')).toBe(1);
    }
  });
  it('TLS 1.2: handshake after ChangeCipherSpec is an encrypted handshake message', () => {
    const c = new TlsConnection();
    const evs = c.push('c2s', Uint8Array.from([...emitTlsRecord(22, 0x0303, emitHandshake(16, new Uint8Array(5))), ...emitTlsRecord(20, 0x0303, Uint8Array.of(1)), ...emitTlsRecord(22, 0x0303, new Uint8Array(40)), ...emitTlsRecord(21, 0x0303, new Uint8Array(26))]));
    expect(tlsInfo(evs)).toBe('Client Key Exchange, Change Cipher Spec, Encrypted Handshake Message, Encrypted Alert');
    expect(tlsRecordFields(evs[0]!).map((f) => f.name)).toEqual(['tls.record', 'tls.record.content_type', 'tls.record.version', 'tls.record.length', 'tls.handshake', 'tls.handshake.type', 'tls.handshake.length']);
    // The encrypted Finished is still a handshake subtree for tshark; the alert is not.
    expect(tlsRecordFields(evs[2]!).map((f) => f.name)).toEqual(['tls.record', 'tls.record.content_type', 'tls.record.version', 'tls.record.length', 'tls.handshake']);
    expect(tlsRecordFields(evs[3]!).map((f) => f.name)).toEqual(['tls.record', 'tls.record.content_type', 'tls.record.version', 'tls.record.length']);
  });
  it('a handshake length beyond the bound stops handshake parsing with a problem', () => {
    const c = new TlsConnection();
    c.push('c2s', emitTlsRecord(22, 0x0303, Uint8Array.of(1, 0x7f, 0xff, 0xff)));
    expect(c.problems[0]?.code).toBe('WL_MALFORMED_TLS_HANDSHAKE');
  });
});

/** Feeds every connection of a capture through TlsConnection; fields and Info per completing frame. */
function decodeTls(path: string): Map<number, TlsRecordEvent[]> {
  const byFrame = new Map<number, TlsRecordEvent[]>();
  for (const conn of tcpConnections(path).connections) {
    const tls = new TlsConnection();
    // Interleave both directions in frame order, so the ServerHello is known when later records come.
    const chunks = [...conn.c2s.map((c) => ({ ...c, dir: 'c2s' as const })), ...conn.s2c.map((c) => ({ ...c, dir: 's2c' as const }))].sort((a, b) => a.frame - b.frame);
    for (const c of chunks) {
      for (const ev of tls.push(c.dir, c.bytes)) {
        const frame = frameAt(c.dir === 'c2s' ? conn.c2s : conn.s2c, ev.record.streamEnd - 1);
        byFrame.set(frame, [...(byFrame.get(frame) ?? []), ev]);
      }
    }
  }
  return byFrame;
}

const COMPARED = [
  'tls.record.content_type',
  'tls.record.opaque_type',
  'tls.record.version',
  'tls.record.length',
  'tls.handshake.type',
  'tls.handshake.length',
  'tls.handshake.version',
  'tls.handshake.session_id_length',
  'tls.handshake.ciphersuite',
  'tls.handshake.comp_method',
  'tls.handshake.extension.type',
  'tls.handshake.extensions_server_name',
  'tls.handshake.extensions_alpn_str',
  'tls.handshake.extensions.supported_version',
];

describe.skipIf(!present)('TLS corpus', () => {
  it('tls_clienthello_split_segments.pcap: the ClientHello completes in frame 5 with its SNI', () => {
    const evs = decodeTls(`${DIR}/tls_clienthello_split_segments.pcap`);
    expect(evs.has(4)).toBe(false);
    const f5 = evs.get(5)!;
    expect(tlsInfo(f5)).toBe('Client Hello');
    const hs = f5[0]!.handshakes[0]!;
    // tshark: tls.record.length 1724, SNI clients2.google.com, ALPN h2,http/1.1, versions 0x9a9a,0x0304,0x0303
    expect(f5[0]!.record.length).toBe(1724);
    expect(hs.summary).toEqual({ sni: 'clients2.google.com', alpn: ['h2', 'http/1.1'], versions: [0x9a9a, 0x0304, 0x0303] });
    expect(tlsInfo(evs.get(8)!)).toBe('Server Hello, Change Cipher Spec');
  });
  it('tls13_curl_sni_dns_fin.pcap frame 8 and 10 (single-segment hellos)', () => {
    const evs = decodeTls(`${DIR}/tls13_curl_sni_dns_fin.pcap`);
    expect(evs.get(8)![0]!.handshakes[0]!.summary).toEqual({ sni: 'enabled.tls13.com', alpn: ['h2', 'http/1.1'], versions: [0x0304] });
    expect(evs.get(10)![0]!.handshakes[0]!.server?.cipherSuite).toBe(0x1302);
  });
  for (const file of ['tls13_curl_sni_dns_fin.pcap', 'tls_clienthello_split_segments.pcap', 'rawip_android_dns_http_tls.pcap']) {
    it(`${file}: every TLS field and Info agree with tshark`, async () => {
      const path = `${DIR}/${file}`;
      const rows = await tsharkRows(path, ['frame.number', 'tls.record.content_type', '_ws.col.Info', ...COMPARED]);
      if (!rows) return console.warn('tshark absent: TLS differential skipped');
      const evs = decodeTls(path);
      let compared = 0;
      const mismatches: string[] = [];
      for (const row of rows) {
        const frame = Number(row[0]);
        if (!frame) continue;
        const ours = evs.get(frame) ?? [];
        const fields = ours.flatMap(tlsRecordFields);
        if (ours.length && row[1] !== undefined) {
          compared++;
          if (tlsInfo(ours) !== row[2]) mismatches.push(`#${frame} Info ${tlsInfo(ours)} | ${row[2]}`);
        }
        COMPARED.forEach((name, i) => {
          const t = canonTshark(row[i + 3] ?? '');
          const o = fields.filter((f) => f.name === name).map((f) => String(f.value)).join(',');
          if (!o && !t) return;
          compared++;
          if (o !== t) mismatches.push(`#${frame} ${name} ${o} | ${t}`);
        });
      }
      if (process.env.WL_FIGURES) console.log(`${file}: ${compared} TLS values compared, ${mismatches.length} differ`);
      expect(mismatches).toEqual([]);
      expect(compared).toBeGreaterThan(20);
    });
  }
});

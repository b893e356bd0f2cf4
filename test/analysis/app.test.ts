/**
 * The application stage on built TCP conversations (any split of the same bytes gives the same
 * messages and puts the layers on the frame that completes each message), on corpus captures
 * (frame.protocols, Info and Protocol columns as tshark shows them), and on random bytes.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Frame } from '../../src/capture/frame.js';
import { readCaptureFileSync } from '../../src/capture/reader.js';
import { decodePacket } from '../../src/decode/bindings.js';
import type { Packet } from '../../src/decode/layer.js';
import { emitEthernet } from '../../src/wire/ethernet.js';
import { emitIpv4 } from '../../src/wire/ipv4.js';
import { emitTcp, TcpFlag } from '../../src/wire/tcp.js';
import { emitUdp } from '../../src/wire/udp.js';
import { openTrace } from '../../src/assert/trace.js';
import { Analyzer } from '../../src/analysis/analyzer.js';
import { AppStage, appAnalyzerOptions, readsHttpBodies, type AppMessage } from '../../src/analysis/app.js';
import { packetToJson } from '../../src/output/json.js';
import { summarize } from '../../src/output/summary.js';
import { compileFilter } from '../../src/filter/index.js';
import { encodePcap } from '../../src/capture/pcap-writer.js';
import { DESCRIBED_STATUS_CODES } from '../../src/protocols/http-status.js';
import { tsharkEscape } from '../differential/tshark.js';
import { tlsRecord } from './tcp-build.js';
import { emitWsFrame, websocketAccept, WsOpcode } from '../../src/protocols/websocket.js';
import { emitClientHello, emitHandshake, emitServerHello, emitTlsRecord, ExtensionType, sniExtension, supportedVersionsExtension } from '../../src/protocols/tls.js';

const DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/traces/real');
const present = existsSync(DIR);
if (!present) console.warn(`app stage corpus tests skipped: ${DIR} is absent`);
const tsharkOk = spawnSync('tshark', ['--version']).status === 0;
if (!tsharkOk) console.warn('app stage body-layer comparison skipped: tshark is not installed');

const enc = (s: string) => new TextEncoder().encode(s);
const C = Uint8Array.of(10, 0, 0, 1);
const S = Uint8Array.of(10, 0, 0, 2);

/** A connection (handshake, then each piece as one segment from its side, then FINs) as frames. */
function conversation(pieces: { from: 'c' | 's'; bytes: Uint8Array }[], serverPort = 8080): Frame[] {
  const seq = { c: 1000, s: 5000 };
  const specs: { from: 'c' | 's'; flags: number; payload: Uint8Array }[] = [
    { from: 'c', flags: TcpFlag.SYN, payload: new Uint8Array(0) },
    { from: 's', flags: TcpFlag.SYN | TcpFlag.ACK, payload: new Uint8Array(0) },
    { from: 'c', flags: TcpFlag.ACK, payload: new Uint8Array(0) },
    ...pieces.map((p) => ({ from: p.from, flags: TcpFlag.ACK | TcpFlag.PSH, payload: p.bytes })),
    { from: 'c', flags: TcpFlag.FIN | TcpFlag.ACK, payload: new Uint8Array(0) },
    { from: 's', flags: TcpFlag.FIN | TcpFlag.ACK, payload: new Uint8Array(0) },
  ];
  return specs.map((s, i) => {
    const fromC = s.from === 'c';
    const mySeq = seq[s.from];
    const ack = seq[fromC ? 's' : 'c'];
    const tcp = emitTcp(
      { srcPort: fromC ? 40000 : serverPort, dstPort: fromC ? serverPort : 40000, seq: mySeq, ack: i === 0 ? 0 : ack, flags: s.flags, window: 65535, urgentPointer: 0, options: [], payload: s.payload },
      { version: 4, src: fromC ? C : S, dst: fromC ? S : C },
    );
    seq[s.from] += s.payload.length + (s.flags & (TcpFlag.SYN | TcpFlag.FIN) ? 1 : 0);
    const ip = emitIpv4({ dscp: 0, ecn: 0, ident: i, dontFragment: true, moreFragments: false, fragmentOffset: 0, ttl: 64, protocol: 6, src: fromC ? C : S, dst: fromC ? S : C }, tcp);
    const data = emitEthernet({ dst: Uint8Array.of(2, 0, 0, 0, 0, fromC ? 2 : 1), src: Uint8Array.of(2, 0, 0, 0, 0, fromC ? 1 : 2), etherType: 0x0800 }, ip);
    return { number: i + 1, tsSec: 1_700_000_000, tsNsec: i * 1000, origLen: data.length, data, linkType: 1, interfaceId: 0, fileOffset: 0 };
  });
}

function run(frames: Frame[]): { packets: Packet[]; messages: AppMessage[]; json: ReturnType<typeof packetToJson>[] } {
  const messages: AppMessage[] = [];
  const a = new Analyzer(appAnalyzerOptions(new AppStage({ onMessage: (m) => messages.push(m) })));
  const packets: Packet[] = [];
  const json = [];
  for (const f of frames) {
    const p = decodePacket(f);
    json.push(packetToJson(p, a.analyze(p)));
    packets.push(p);
  }
  a.finish();
  return { packets, messages, json };
}

const strip = (ms: AppMessage[]) =>
  ms.map(({ frame: _f, time: _t, ...rest }) => JSON.stringify(rest, (k, v) => (['response_frame', 'request_frame', 'latency'].includes(k) ? undefined : v)));

/** tshark's output (`-n -r FILE` and `args`) on frames written to a temporary pcap, its last newline dropped. */
function tsharkOn(frames: Frame[], args: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'wl-app-'));
  try {
    const path = join(dir, 'built.pcap');
    writeFileSync(path, encodePcap(frames, { linkType: 1 }));
    return spawnSync('tshark', ['-n', '-r', path, ...args], { encoding: 'utf8' }).stdout.trimEnd();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A field value of ours as a `tshark -T fields` column shows it (presence as 1, absence empty). */
const tsharkColumn = (v: unknown) => (v === true ? '1' : v === undefined ? '' : String(v));

const REQ = enc('POST /api/items?x=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t/1\r\nContent-Length: 5\r\n\r\nhello');
const RESP = enc('HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{"a"\r\n3\r\n:1}\r\n0\r\n\r\n');

describe('AppStage on built conversations', () => {
  it('declines a stream that carries none of its protocols, and one that is over, but not one it reads', () => {
    const analyze = (frames: Frame[]) => {
      const a = new Analyzer(appAnalyzerOptions(new AppStage()));
      const packets = frames.map((f) => decodePacket(f));
      for (const p of packets) a.analyze(p);
      return { conn: a.connections()[0]!, packets };
    };
    // Binary from the start: given up on at its first bytes, and its later segments keep `data`.
    const other = analyze(conversation([{ from: 'c', bytes: Uint8Array.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11) }, { from: 's', bytes: Uint8Array.of(9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9) }]));
    expect(other.conn.declined).toBe(1);
    expect(other.packets[4]!.layers.map((l) => l.proto)).toEqual(['eth', 'ip', 'tcp', 'data']);
    // HTTP: read to the end; the last FIN ends both directions, after which nothing more is read.
    const http = analyze(conversation([{ from: 'c', bytes: REQ }, { from: 's', bytes: enc('HTTP/1.1 204 No Content\r\n\r\n') }]));
    expect(http.packets[4]!.layers.map((l) => l.proto)).toEqual(['eth', 'ip', 'tcp', 'http']);
    expect(http.conn.declined).toBe(0);
  });

  it('gives the headers tshark names their fields, every line, and the full URI; -Y reads them', () => {
    const req = enc('GET /a/b?x=1&y HTTP/1.1\r\nHost: example.com\r\nCookie: a=1; b=2\r\nX-Custom:  v \r\n\r\n');
    const resp = enc('HTTP/1.1 200 OK\r\nServer: nginx/1.25\r\nCache-Control: max-age=9   \r\nContent-Length: 0\r\n\r\n');
    const { json, packets } = run(conversation([{ from: 'c', bytes: req }, { from: 's', bytes: resp }]));
    expect(json[3]).toMatchObject({
      'http.host': 'example.com',
      'http.cookie': 'a=1; b=2',
      'http.cookie_pair': ['a=1', 'b=2'],
      'http.request.line': ['Host: example.com\r\n', 'Cookie: a=1; b=2\r\n', 'X-Custom:  v \r\n'],
      'http.request.uri.path': '/a/b',
      'http.request.uri.query': 'x=1&y',
      'http.request.uri.query.parameter': ['x=1', 'y'],
      'http.request.full_uri': 'http://example.com/a/b?x=1&y',
      'http.chat': true,
      'http.request': true,
    });
    // As tshark: the value after the colon's blanks, trailing blanks kept.
    expect(json[4]).toMatchObject({ 'http.server': 'nginx/1.25', 'http.cache_control': 'max-age=9   ', 'http.content_length_header': '0', 'http.content_length': 0, 'http.response_for.uri': 'http://example.com/a/b?x=1&y' });
    expect(compileFilter('http.server contains "nginx"').matches(packets[4]!)).toBe(true);
    expect(compileFilter('http.request.line contains "X-Custom"').matches(packets[3]!)).toBe(true);
  });

  it('puts each HTTP message on the frame that completes it, whatever the segmentation', () => {
    const whole = run(conversation([{ from: 'c', bytes: REQ }, { from: 's', bytes: RESP }]));
    expect(whole.messages.map((m) => [m.proto, m.kind, m.frame])).toEqual([['http', 'request', 4], ['http', 'response', 5]]);
    expect(whole.json[3]!['http.request.method']).toBe('POST');
    // As tshark: a body without Content-Type is `data`, an application/json one `json`.
    expect(whole.json[3]!['frame.protocols']).toBe('eth:ip:tcp:http:data');
    expect(whole.json[4]!['frame.protocols']).toBe('eth:ip:tcp:http:json');
    expect(whole.json[4]).toMatchObject({ 'http.response.code': 201, 'http.content_type': 'application/json', 'http.request_in': 4, 'http.time': 0.000001 });
    expect(summarize(whole.packets[3]!).info).toBe('POST /api/items?x=1 HTTP/1.1 ');
    expect(summarize(whole.packets[4]!).info).toBe('HTTP/1.1 201 Created  (application/json)');
    expect(compileFilter('http.response.code == 201').matches(whole.packets[4]!)).toBe(true);
    expect(compileFilter('http').matches(whole.packets[3]!)).toBe(true);
    for (const cut of [1, 10, 40, REQ.length - 1]) {
      for (const rcut of [1, 30, RESP.length - 2]) {
        const split = run(conversation([
          { from: 'c', bytes: REQ.subarray(0, cut) },
          { from: 'c', bytes: REQ.subarray(cut) },
          { from: 's', bytes: RESP.subarray(0, rcut) },
          { from: 's', bytes: RESP.subarray(rcut) },
        ]));
        expect(strip(split.messages)).toEqual(strip(whole.messages));
        expect(split.messages.map((m) => m.frame)).toEqual([5, 7]);
        // The first piece is part of a message: bare tcp, as tshark shows it, once enough bytes
        // came to recognise HTTP (SNIFF_BYTES); a shorter one keeps its data layer.
        expect(split.json[3]!['frame.protocols']).toBe(cut >= 10 ? 'eth:ip:tcp' : 'eth:ip:tcp:data');
        expect(split.json[4]!['frame.protocols']).toBe('eth:ip:tcp:http:data');
        expect(split.json[4]!['http.request.uri']).toBe('/api/items?x=1');
      }
    }
  });

  it('recognises HTTP on any port, DNS over TCP on port 53, and leaves other bytes alone', () => {
    const other = run(conversation([{ from: 'c', bytes: enc('SSH-2.0-OpenSSH_9.0\r\n') }, { from: 's', bytes: enc('SSH-2.0-x\r\n') }], 22));
    expect(other.messages).toEqual([]);
    expect(other.json[3]!['frame.protocols']).toBe('eth:ip:tcp:data');
    const q = Uint8Array.of(0, 29, 0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 7, ...enc('example'), 3, ...enc('com'), 0, 0, 1, 0, 1);
    const dns = run(conversation([{ from: 'c', bytes: q.subarray(0, 3) }, { from: 'c', bytes: q.subarray(3) }], 53));
    expect(dns.messages).toMatchObject([{ proto: 'dns', kind: 'query', id: 0x1234, name: 'example.com', type: 'A', frame: 5 }]);
    expect(dns.json[4]).toMatchObject({ 'dns.id': 0x1234, 'dns.qry.name': 'example.com', 'frame.protocols': 'eth:ip:tcp:dns' });
    expect(summarize(dns.packets[4]!).info).toBe('Standard query 0x1234 A example.com');
  });

  it('never throws on random payloads, and marks a malformed HTTP message', () => {
    let s = 7;
    const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 8) & 0xff;
    for (let i = 0; i < 200; i++) {
      const head = i % 3 === 0 ? enc('GET / HTTP/1.1\r\n') : i % 3 === 1 ? Uint8Array.of(22, 3, 1, 0, 40) : new Uint8Array(0);
      const body = Uint8Array.from({ length: rnd() * 2 }, rnd);
      const bytes = new Uint8Array(head.length + body.length);
      bytes.set(head);
      bytes.set(body, head.length);
      expect(() => run(conversation([{ from: 'c', bytes }, { from: 's', bytes: body }], i % 2 ? 53 : 443))).not.toThrow();
    }
    const bad = run(conversation([{ from: 'c', bytes: enc('GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n') }]));
    expect(bad.json[3]!['_ws.malformed']).toBe(true);
    expect(bad.json[3]!['wl.error.code']).toBe('WL_HTTP_BAD_CONTENT_LENGTH');
  });

  it('lists DNS retransmissions as such, and the Trace API counts them on their transaction', async () => {
    const query = Uint8Array.of(0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 7, ...enc('example'), 3, ...enc('com'), 0, 0, 1, 0, 1);
    const answer = Uint8Array.of(0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 7, ...enc('example'), 3, ...enc('com'), 0, 0, 1, 0, 1, 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 1, 2, 3, 4);
    // The query at 0 s, again at 1 s (a retransmission), the answer twice, then the query alone
    // at 20 s and 25.5 s: more than tshark's 5 s apart, so two transactions, the first unanswered.
    const sends: ['c' | 's', number][] = [['c', 0], ['c', 1], ['s', 1.5], ['s', 1.6], ['c', 20], ['c', 25.5]];
    const frames: Frame[] = sends.map(([from, at], i) => {
      const fromC = from === 'c';
      const udp = emitUdp({ srcPort: fromC ? 40000 : 53, dstPort: fromC ? 53 : 40000, payload: fromC ? query : answer }, { version: 4, src: fromC ? C : S, dst: fromC ? S : C });
      const ip = emitIpv4({ dscp: 0, ecn: 0, ident: i, dontFragment: false, moreFragments: false, fragmentOffset: 0, ttl: 64, protocol: 17, src: fromC ? C : S, dst: fromC ? S : C }, udp);
      const data = emitEthernet({ dst: Uint8Array.of(2, 0, 0, 0, 0, 2), src: Uint8Array.of(2, 0, 0, 0, 0, 1), etherType: 0x0800 }, ip);
      return { number: i + 1, tsSec: 1_700_000_000 + Math.floor(at), tsNsec: Math.round((at % 1) * 1e9), origLen: data.length, data, linkType: 1, interfaceId: 0, fileOffset: 0 };
    });
    const { messages, json } = run(frames);
    expect(messages.map((m) => [m.frame, m.kind, m['retransmission_of'] ?? null])).toEqual([
      [1, 'query', null],
      [2, 'query', 1],
      [3, 'response', null],
      [4, 'response', 3],
      [5, 'query', null],
      [6, 'query', null],
    ]);
    expect(json[3]).toMatchObject({ 'dns.retransmission': true, 'dns.retransmit_response_in': 3 });
    const trace = await openTrace(frames);
    expect(trace.dns.transactions().map((t) => [t.queryFrame, t.responseFrame, t.retransmissions])).toEqual([
      [1, 3, 2],
      [5, undefined, 0],
      [6, undefined, 0],
    ]);
  });

  // Both found by test/fuzz/analysis.test.ts: messages named frame -1 and frame 0.
  it('dates what the capture end releases by the connection’s last packet', () => {
    const get = enc('GET /a HTTP/1.1\r\nHost: h\r\n\r\n');
    const ok = (body: string) => enc(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    const frames = conversation([{ from: 'c', bytes: get }, { from: 'c', bytes: get }, { from: 's', bytes: ok('one') }, { from: 's', bytes: ok('two') }]);
    // The first response was never captured and nothing acknowledges past it before the capture
    // ends (no FINs): the second response waits out of order until the end releases it.
    const kept = frames.filter((f) => f.number !== 6 && f.number < 8);
    const { messages } = run(kept);
    const s2c = messages.filter((m) => m.dir === 's2c');
    expect(s2c.map((m) => m.kind)).toEqual(['malformed', 'response']);
    expect(s2c[0]).toMatchObject({ error: 'WL_HTTP_GAP' });
    // Frame 7 is the connection's last packet; its time is 6 µs after the first.
    for (const m of s2c) expect(m).toMatchObject({ frame: 7, time: 0.000006 });
  });

  it('names the frame that revealed a loss when a direction lost its first bytes', () => {
    const upgrade = enc('GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
    const switched = enc('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n');
    const masked = Uint8Array.of(0x81, 0x82, 1, 2, 3, 4, 0x68 ^ 1, 0x69 ^ 2);
    const frames = conversation([{ from: 'c', bytes: upgrade }, { from: 's', bytes: switched }, { from: 's', bytes: Uint8Array.of(0x81, 2, 0x68, 0x69) }, { from: 'c', bytes: masked }]);
    // The server's first WebSocket frame (6) is lost. The hole is known when the server's FIN (9)
    // comes after it (an acknowledgment with nothing held beyond the hole declares nothing).
    const { messages } = run(frames.filter((f) => f.number !== 6));
    expect(messages.find((m) => m.kind === 'lost_sync')).toMatchObject({ proto: 'websocket', dir: 's2c', frame: 9, time: 0.000008 });
  });
});

describe.skipIf(!tsharkOk)('frame.protocols of HTTP bodies, against tshark (WebSocket: test/differential/app.test.ts)', () => {
  // One keep-alive connection on port 80 (tshark's HTTP port): a response per media type.
  const TYPES = [undefined, 'text/html; charset=utf-8', 'TEXT/PLAIN', 'text/css', 'application/x-javascript', 'application/javascript', 'application/json', 'application/problem+json',
    'application/xml', 'text/xml', 'image/svg+xml', 'application/octet-stream', 'application/x-www-form-urlencoded', 'text/csv', 'video/mp4', 'application/grpc', 'message/http'];
  const body = (t: string | undefined) => (t?.includes('json') ? '{"a":1}\n' : t?.includes('xml') ? '<?xml version="1.0"?><a>1</a>\n' : 'hello\nworld\n');
  const pieces = TYPES.flatMap((t, i) => [
    { from: 'c' as const, bytes: enc(`GET /${i} HTTP/1.1\r\nHost: x\r\n\r\n`) },
    { from: 's' as const, bytes: enc(`HTTP/1.1 200 OK\r\n${t ? `Content-Type: ${t}\r\n` : ''}Content-Length: ${body(t).length}\r\n\r\n${body(t)}`) },
  ]);

  it('names each body layer as tshark 4.0 does (data-text-lines, json, xml, media, data…)', () => {
    const frames = conversation(pieces, 80);
    const ours = run(frames).json.map((j) => String(j['frame.protocols']));
    // tshark 4.0 adds an `ethertype` pseudo-layer after eth (known-differences.md).
    const theirs = tsharkOn(frames, ['-T', 'fields', '-e', 'frame.protocols']).split('\n').map((l) => l.replace(':ethertype', ''));
    expect(ours).toEqual(theirs);
    expect(new Set(ours.map((p) => p.split(':').slice(3).join(':')))).toEqual(new Set(['', 'http', 'http:data', 'http:data-text-lines', 'http:media', 'http:json', 'http:xml', 'http:urlencoded-form', 'http:grpc', 'http:message-http']));
  });
});

describe.skipIf(!tsharkOk)('http.response.code.desc, against tshark', () => {
  it('names every status code as tshark 4.0 does, the unlisted ones included', () => {
    // Every code the table lists, and some it does not (tshark: "Unknown (N)").
    const codes = [...DESCRIBED_STATUS_CODES, 220, 306, 420, 600, 999];
    const frames = conversation(codes.flatMap((c) => [
      { from: 'c' as const, bytes: enc(`GET /${c} HTTP/1.1\r\nHost: x\r\n\r\n`) },
      { from: 's' as const, bytes: enc(`HTTP/1.1 ${c} X\r\nContent-Length: 0\r\n\r\n`) },
    ]), 80);
    const ours = run(frames).json.filter((j) => j['http.response.code'] !== undefined).map((j) => `${j['http.response.code']}\t${j['http.response.code.desc']}`);
    expect(ours).toEqual(tsharkOn(frames, ['-Y', 'http.response', '-T', 'fields', '-e', 'http.response.code', '-e', 'http.response.code.desc']).split('\n'));
    expect(ours).toHaveLength(codes.length);
  });
});

describe.skipIf(!present)('AppStage on the corpus: columns as tshark shows them', () => {
  const columns = (file: string) => {
    const a = new Analyzer(appAnalyzerOptions(new AppStage(), { defragment: true }));
    return readCaptureFileSync(`${DIR}/${file}`).frames.map((f) => {
      const p = decodePacket(f);
      const an = a.analyze(p);
      const c = summarize(p, an);
      return [f.number, c.protocol, c.info, packetToJson(p, an)['frame.protocols']];
    });
  };
  it('TLS 1.3: the Protocol column names the version; the split ClientHello completes on frame 5', () => {
    const t = columns('tls13_curl_sni_dns_fin.pcap');
    // tshark: 8 TLSv1 Client Hello; 10 TLSv1.3 Server Hello, Change Cipher Spec; 16 Change Cipher Spec, Application Data
    expect(t[7]!.slice(1, 3)).toEqual(['TLSv1', 'Client Hello']);
    expect(t[9]!.slice(1, 3)).toEqual(['TLSv1.3', 'Server Hello, Change Cipher Spec']);
    expect(t[15]!.slice(1, 3)).toEqual(['TLSv1.3', 'Change Cipher Spec, Application Data']);
    const s = columns('tls_clienthello_split_segments.pcap');
    expect(s[4]!.slice(2)).toEqual(['Client Hello', 'eth:ip:tcp:tls']);
  });
  it('HTTP pipelined: several messages of one frame join their Info as tshark does', () => {
    const t = columns('http_pipelined_scanner.pcap');
    expect(String(t[3]![2]).startsWith('GET /postinfo.html HTTP/1.1 GET /_vti_bin/_vti_aut/author.dll HTTP/1.1 ')).toBe(true);
    expect(t[6]![2]).toMatch(/^HTTP\/1\.1 404 Not Found {2}\(text\/html\)HTTP\/1\.1 404 Not Found {2}\(text\/html\)/);
  });
});

describe('http.file_data', () => {
  const gzip = (s: string | Uint8Array) => new Uint8Array(gzipSync(typeof s === 'string' ? enc(s) : s));
  const head = (extra: string, length: number) => enc(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n${extra}Content-Length: ${length}\r\n\r\n`);
  const withBody = (h: Uint8Array, body: Uint8Array) => Uint8Array.from([...h, ...body]);
  const gz = gzip(Uint8Array.from([...enc('zipped text'), 0, ...enc('after the NUL')]));
  const chunked = Uint8Array.from([...enc(`HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n`), ...gz.subarray(0, 5), ...enc(`\r\n${(gz.length - 5).toString(16)}\r\n`), ...gz.subarray(5), ...enc('\r\n0\r\n\r\n')]);
  const bodies: Uint8Array[] = [
    chunked,
    withBody(head('', 4), Uint8Array.of(0x41, 0x80, 0xff, 0x42)),
    withBody(head('Content-Encoding: deflate\r\n', deflateSync(enc('deflated text')).length), new Uint8Array(deflateSync(enc('deflated text')))),
    withBody(head('Content-Encoding: br\r\n', brotliCompressSync(enc('brotli text')).length), new Uint8Array(brotliCompressSync(enc('brotli text')))),
    withBody(head('', 12), enc('line 1\r\n\tx\x08y')),
    enc('HTTP/1.1 204 No Content\r\n\r\n'),
  ];
  const post = enc('POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 16\r\n\r\nuser=a&pw=secret');
  const frames = conversation([
    ...bodies.flatMap((b, i) => [{ from: 'c' as const, bytes: enc(`GET /${i} HTTP/1.1\r\nHost: x\r\n\r\n`) }, { from: 's' as const, bytes: b }]),
    { from: 'c', bytes: post },
    { from: 's', bytes: enc('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n') },
  ]);
  const fileData = (stage: AppStage) => {
    const a = new Analyzer(appAnalyzerOptions(stage));
    return frames.map((f) => {
      const p = decodePacket(f);
      const v = packetToJson(p, a.analyze(p))['http.file_data'];
      return { p, v: v === undefined ? undefined : String(v) };
    });
  };

  it('is the body with its transfer and content codings undone, read as ASCII up to a NUL; only when bodies are kept', () => {
    const got = fileData(new AppStage({ bodies: true }));
    expect(got.map((g) => g.v).filter((v) => v !== undefined)).toEqual(['zipped text', 'A\ufffd\ufffdB', 'deflated text', 'brotli text', 'line 1\r\n\tx\by', 'user=a&pw=secret']);
    const login = got.find((g) => g.v === 'user=a&pw=secret')!;
    expect(compileFilter('http.file_data contains "pw=secret"').matches(login.p)).toBe(true);
    expect(got.filter((g) => compileFilter('http.file_data contains "text"').matches(g.p))).toHaveLength(3);
    // Without `bodies` (stats, timelines without such a filter), bodies are counted, not kept.
    expect(fileData(new AppStage()).every((g) => g.v === undefined)).toBe(true);
  });

  it.skipIf(!tsharkOk)('equals tshark 4.0 on the same capture', () => {
    const ours = fileData(new AppStage({ bodies: true })).flatMap((g) => (g.v === undefined ? [] : [`${g.p.frame.number}\t${tsharkEscape(g.v)}`]));
    expect(ours).toEqual(tsharkOn(frames, ['-Y', 'http.file_data', '-T', 'fields', '-e', 'frame.number', '-e', 'http.file_data']).split('\n'));
  });
});

describe('HTTP chunk fields', () => {
  // Chunks with an extension, a request body in chunks, trailers, and a response whose chunks come
  // in separate segments. (A bare LF after a chunk's data, which we read as the line ending it is,
  // tshark 4.0 takes for CRLF: its boundary swallows the next byte. test/protocols/http.test.ts.)
  const frames = conversation([
    { from: 'c', bytes: enc('POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;name=v\r\nabc\r\n2\r\nde\r\n0\r\n\r\n') },
    { from: 's', bytes: enc('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n') },
    { from: 's', bytes: enc('1\r\n!\r\n0\r\nX-Checksum: 1\r\nX-Other:  two \r\n\r\n') },
  ]);
  const FIELDS = ['http.chunk_size', 'http.chunk_data', 'http.chunk_boundary', 'http.chunked_trailer_part'];
  const chunkRows = (stage: AppStage) => {
    const a = new Analyzer(appAnalyzerOptions(stage));
    return frames.flatMap((f) => {
      const p = decodePacket(f);
      const j = packetToJson(p, a.analyze(p));
      return j['http.chunk_size'] === undefined ? [] : [[f.number, ...FIELDS.map((k) => tsharkEscape(tsharkColumn(j[k])))].join('\t')];
    });
  };

  it('lists each chunk\'s size and line ending, the last-chunk\'s 0, and the data when bodies are kept', () => {
    const trailers = 'X-Checksum: 1\\r\\nX-Other:  two \\r\\n';
    expect(chunkRows(new AppStage())).toEqual(['4\t3,2,0\t\t0d0a,0d0a\t', `6\t5,1,0\t\t0d0a,0d0a\t${trailers}`]);
    expect(chunkRows(new AppStage({ bodies: true }))).toEqual(['4\t3,2,0\t616263,6465\t0d0a,0d0a\t', `6\t5,1,0\t68656c6c6f,21\t0d0a,0d0a\t${trailers}`]);
    // A filter on a chunk's data keeps bodies, as one on http.file_data does.
    expect(readsHttpBodies(compileFilter('http.chunk_data contains "hello"'))).toBe(true);
    expect(readsHttpBodies(compileFilter('http.chunk_size == 5'))).toBe(false);
  });

  it.skipIf(!tsharkOk)('as tshark 4.0 does', () => {
    expect(chunkRows(new AppStage({ bodies: true }))).toEqual(tsharkOn(frames, ['-Y', 'http.chunk_size', '-T', 'fields', '-e', 'frame.number', ...FIELDS.flatMap((f) => ['-e', f])]).split('\n'));
  });
});

describe('http.authbasic', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const requests = [
    `Authorization: Basic ${b64('alice:open sesame')}`,
    `Proxy-Authorization: Basic ${b64('proxy:pw')}`,
    // tshark reads "Basic " as written only; a NUL ends what it shows.
    `Authorization: basic ${b64('bob:x')}`,
    `Authorization: Basic ${b64('carol:a\0b')}`,
    'Authorization: Bearer abc.def',
  ];
  const frames = conversation(requests.flatMap((h, i) => [
    { from: 'c' as const, bytes: enc(`GET /${i} HTTP/1.1\r\nHost: x\r\n${h}\r\n\r\n`) },
    { from: 's' as const, bytes: enc('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n') },
  ]));
  const ours = run(frames).json.flatMap((j) => (j['http.authbasic'] === undefined ? [] : [`${j['frame.number']}\t${j['http.authbasic']}`]));

  it('decodes Basic credentials (RFC 7617 §2) from Authorization and Proxy-Authorization', () => {
    expect(ours.map((l) => l.split('\t')[1])).toEqual(['alice:open sesame', 'proxy:pw', 'carol:a']);
  });

  it.skipIf(!tsharkOk)('as tshark 4.0 does', () => {
    expect(ours).toEqual(tsharkOn(frames, ['-Y', 'http.authbasic', '-T', 'fields', '-e', 'frame.number', '-e', 'http.authbasic']).split('\n'));
  });
});

describe('websocket.payload.*', () => {
  const key = 'dGhlIHNhbXBsZSBub25jZQ==';
  const ws = (opcode: number, payload: Uint8Array, client: boolean) => emitWsFrame({ opcode, payload, ...(client ? { maskingKey: 0x37fa213d } : {}) });
  const close = (code: number, reason: string) => Uint8Array.from([code >> 8, code & 0xff, ...enc(reason)]);
  const frames = conversation([
    { from: 'c', bytes: enc(`GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`) },
    { from: 's', bytes: enc(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${websocketAccept(key)}\r\n\r\n`) },
    { from: 'c', bytes: ws(WsOpcode.TEXT, enc('hello, server'), true) },
    { from: 's', bytes: ws(WsOpcode.TEXT, enc('héllo, client'), false) },
    { from: 'c', bytes: ws(WsOpcode.PING, enc('are you there'), true) },
    { from: 's', bytes: ws(WsOpcode.PONG, enc('are you there'), false) },
    { from: 'c', bytes: ws(WsOpcode.BINARY, Uint8Array.of(1, 2, 3), true) },
    { from: 'c', bytes: ws(WsOpcode.CLOSE, close(1001, 'going away'), true) },
    { from: 's', bytes: ws(WsOpcode.CLOSE, close(1000, ''), false) },
  ]);
  const FIELDS = ['websocket.payload', 'websocket.masked_payload', 'websocket.payload.text', 'websocket.payload.ping', 'websocket.payload.pong', 'websocket.payload.close', 'websocket.payload.close.status_code', 'websocket.payload.close.reason'];
  const ours = run(frames).json.filter((j) => j['websocket.opcode'] !== undefined).map((j) => [j['frame.number'], ...FIELDS.map((f) => tsharkColumn(j[f]))].join('\t'));

  it('shows what each frame carried: text, ping and pong bytes, close code and reason', () => {
    const ping = Buffer.from('are you there').toString('hex');
    expect(ours.map((l) => l.split('\t').slice(3).filter((v) => v !== '').join(' '))).toEqual(['hello, server', 'héllo, client', ping, ping, '', '1 1001 going away', '1 1000']);
  });

  it.skipIf(!tsharkOk)('as tshark 4.0 does', () => {
    // (tsharkOn drops the output's trailing white space: the last line's empty columns too.)
    expect(ours.join('\n').trimEnd()).toEqual(tsharkOn(frames, ['-Y', 'websocket', '-T', 'fields', '-e', 'frame.number', ...FIELDS.flatMap((f) => ['-e', f])]));
  });
});

describe('WebSocket messages in fragments', () => {
  const key = 'dGhlIHNhbXBsZSBub25jZQ==';
  const frag = (opcode: number, fin: boolean, payload: Uint8Array, client: boolean) => emitWsFrame({ opcode, fin, payload, ...(client ? { maskingKey: 0x37fa213d } : {}) });
  const { packets, json } = run(
    conversation([
      { from: 'c', bytes: enc(`GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`) },
      { from: 's', bytes: enc(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${websocketAccept(key)}\r\n\r\n`) },
      { from: 'c', bytes: frag(WsOpcode.TEXT, false, enc('Hel'), true) },
      { from: 'c', bytes: frag(WsOpcode.CONTINUATION, false, enc('lo '), true) },
      { from: 'c', bytes: frag(WsOpcode.CONTINUATION, true, enc('wörld'), true) },
      { from: 's', bytes: frag(WsOpcode.BINARY, false, Uint8Array.of(1, 2), false) },
      { from: 's', bytes: frag(WsOpcode.CONTINUATION, true, Uint8Array.of(3), false) },
      // A ping between the fragments of a message (RFC 6455 §5.4: control frames may come between).
      { from: 's', bytes: frag(WsOpcode.TEXT, false, enc('a'), false) },
      { from: 's', bytes: frag(WsOpcode.PING, true, enc('p'), false) },
      { from: 's', bytes: frag(WsOpcode.CONTINUATION, true, enc('b'), false) },
    ]),
  );
  const FIELDS = ['websocket.opcode', 'websocket.payload.text', 'websocket.payload.continue', 'websocket.fragments', 'websocket.fragment', 'websocket.fragment.count', 'websocket.reassembled.length'];
  const ours = json.flatMap((j, i) => (j['websocket.opcode'] === undefined ? [] : [[j['frame.number'], ...FIELDS.map((f) => tsharkColumn(j[f])), summarize(packets[i]!).info].join('\t')]));

  it('shows each middle fragment\'s bytes and, on the last, the whole text and the frames it came in', () => {
    expect(ours.map((l) => l.split('\t').slice(1, 8).join('|'))).toEqual([
      '1||||||',
      '0||6c6f20||||',
      '0|Hello wörld||1|6,7,8|3|12',
      '2||||||',
      '0|||1|9,10|2|3',
      '1||||||',
      '9||||||',
      '0|ab||1|11,13|2|2',
    ]);
    expect(ours.map((l) => l.split('\t')[8])).toEqual([
      'WebSocket Text[FRAGMENT]  [MASKED]',
      'WebSocket Continuation[FRAGMENT]  [MASKED]',
      'WebSocket Continuation [FIN] [MASKED]',
      'WebSocket Binary[FRAGMENT]  ',
      'WebSocket Continuation [FIN] ',
      'WebSocket Text[FRAGMENT]  ',
      'WebSocket Ping [FIN] ',
      'WebSocket Continuation [FIN] ',
    ]);
    // The fields are there for display filters too.
    const selected = (f: string) => packets.filter((p) => compileFilter(f).matches(p)).map((p) => p.frame.number);
    expect(selected('websocket.fragment == 7')).toEqual([8]);
    expect(selected('websocket.payload.continue == "lo "')).toEqual([7]);
    expect(selected('websocket.fragment.count > 2 && websocket.reassembled.length == 12')).toEqual([8]);
  });

  it.skipIf(!tsharkOk)('as tshark 4.0 does', () => {
    expect(ours.join('\n').trimEnd()).toEqual(tsharkOn(packets.map((p) => p.frame), ['-Y', 'websocket', '-T', 'fields', '-e', 'frame.number', ...FIELDS.flatMap((f) => ['-e', f]), '-e', '_ws.col.Info']));
  });
});

describe('TLS fingerprints (JA3, JA3S)', () => {
  // A Chrome-like ClientHello: GREASE (RFC 8701) among its cipher suites, extensions and groups.
  const u16s = (...v: number[]) => Uint8Array.from(v.flatMap((x) => [x >>> 8, x & 0xff]));
  const groups = { type: ExtensionType.SupportedGroups, data: Uint8Array.from([0, 8, ...u16s(0x3a3a, 29, 23, 24)]) };
  const formats = { type: ExtensionType.EcPointFormats, data: Uint8Array.of(1, 0) };
  const client = emitHandshake(1, emitClientHello({ legacyVersion: 0x0303, random: new Uint8Array(32), sessionId: new Uint8Array(0), cipherSuites: [0x0a0a, 0x1301, 0xc02b, 0x00ff], compressionMethods: [0], extensions: [{ type: 0x2a2a, data: new Uint8Array(0) }, sniExtension('fp.example'), groups, formats, supportedVersionsExtension([0x0304, 0x0303])] }));
  const server = emitHandshake(2, emitServerHello({ legacyVersion: 0x0303, random: new Uint8Array(32), sessionId: new Uint8Array(0), cipherSuite: 0x1301, compressionMethod: 0, extensions: [supportedVersionsExtension([0x0304], true)] }));
  const frames = conversation([{ from: 'c', bytes: emitTlsRecord(22, 0x0301, client) }, { from: 's', bytes: emitTlsRecord(22, 0x0303, server) }], 443);
  const FIELDS = ['tls.handshake.ja3_full', 'tls.handshake.ja3', 'tls.handshake.ja3s_full', 'tls.handshake.ja3s'];
  const ours = run(frames).json.flatMap((j) => (j['tls.handshake.type'] === undefined ? [] : [[j['frame.number'], ...FIELDS.map((f) => tsharkColumn(j[f]))].join('\t')]));

  it('leaves GREASE out and hashes the fields with MD5', () => {
    const full = '771,4865-49195-255,0-10-11-43,29-23-24,0';
    expect(ours).toEqual([`4\t${full}\t${createHash('md5').update(full).digest('hex')}\t\t`, `5\t\t\t771,4865,43\t${createHash('md5').update('771,4865,43').digest('hex')}`]);
    // `messages` gives each hello's hash.
    expect(run(frames).messages.map((m) => [m.kind, m['ja3'] ?? m['ja3s']])).toEqual([
      ['client_hello', createHash('md5').update(full).digest('hex')],
      ['server_hello', createHash('md5').update('771,4865,43').digest('hex')],
    ]);
  });

  it.skipIf(!tsharkOk)('as tshark 4.0 does', () => {
    expect(ours.join('\n')).toEqual(tsharkOn(frames, ['-Y', 'tls.handshake', '-T', 'fields', '-e', 'frame.number', ...FIELDS.flatMap((f) => ['-e', f])]));
  });
});

describe('TLS alerts, ChangeCipherSpec and application data', () => {
  const frames = conversation([
    { from: 'c', bytes: tlsRecord(20, 1) },
    { from: 's', bytes: tlsRecord(21, 2, 40) },
    { from: 's', bytes: tlsRecord(21, 1, 0) },
    { from: 's', bytes: tlsRecord(21, 2, 199) },
    { from: 'c', bytes: tlsRecord(21, 1, 0) },
    { from: 's', bytes: tlsRecord(23, 0xde, 0xad, 0xbe, 0xef) },
  ], 443);
  const FIELDS = ['tls.change_cipher_spec', 'tls.alert_message', 'tls.alert_message.level', 'tls.alert_message.desc', 'tls.app_data'];
  const { json, packets } = run(frames);
  const ours = json.flatMap((j, i) => (j['tls.record'] === undefined ? [] : [[j['frame.number'], ...FIELDS.map((f) => tsharkColumn(j[f])), summarize(packets[i]!).info].join('\t')]));

  it('names a plaintext alert, and marks ChangeCipherSpec and encrypted data', () => {
    expect(ours.map((l) => l.split('\t').slice(1).filter((v) => v !== '').join(' '))).toEqual([
      '1 Change Cipher Spec',
      '1 2 40 Alert (Level: Fatal, Description: Handshake Failure)',
      '1 1 0 Alert (Level: Warning, Description: Close Notify)',
      '1 2 199 Alert (Level: Fatal, Description: Unknown)',
      // Two bytes are a plaintext alert even after the client's ChangeCipherSpec (an encrypted one is longer).
      '1 1 0 Alert (Level: Warning, Description: Close Notify)',
      'deadbeef Application Data',
    ]);
  });

  it.skipIf(!tsharkOk)('as tshark 4.0 does', () => {
    expect(ours.join('\n').trimEnd()).toEqual(tsharkOn(frames, ['-Y', 'tls', '-T', 'fields', '-e', 'frame.number', ...FIELDS.flatMap((f) => ['-e', f]), '-e', '_ws.col.Info']));
  });
});

describe('TLS alerts in messages', () => {
  it('are messages of their own, with the names tshark gives them', async () => {
    const { formatMessage } = await import('../../src/cli/messages.js');
    const { messages } = run(conversation([{ from: 'c', bytes: tlsRecord(22, 1, 0, 0, 0) }, { from: 's', bytes: tlsRecord(21, 2, 40) }], 443));
    const alert = messages.find((m) => m.kind === 'alert')!;
    expect(alert).toMatchObject({ proto: 'tls', dir: 's2c', frame: 5, level: 2, level_name: 'Fatal', description: 40, description_name: 'Handshake Failure' });
    expect(formatMessage(alert)).toMatch(/tcp\/0 s2c tls alert Fatal, Handshake Failure \(2\/40\)$/);
  });
});

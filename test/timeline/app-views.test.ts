/**
 * explain, ladder, the terminal UI's stream pane and the Trace API see the application layer as
 * `read` does: the same application stage runs under them (src/analysis/app.ts), so the Protocol
 * and Info columns agree with read's, display filters on http, tls and dns select the same frames,
 * TLS hellos, QUIC headers, DNS over TCP and IP fragments are explained (checked against tshark's
 * fields), and a message that only the capture's end completes is shown on the packet of its last
 * bytes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Analyzer } from '../../src/analysis/analyzer.js';
import { AppStage, appAnalyzerOptions } from '../../src/analysis/app.js';
import { openTrace } from '../../src/assert/trace.js';
import { readCaptureFileSync } from '../../src/capture/reader.js';
import { decodePacket } from '../../src/decode/bindings.js';
import { compileFilter } from '../../src/filter/index.js';
import { summarize } from '../../src/output/summary.js';
import { buildLadder } from '../../src/timeline/ladder.js';
import { buildTimeline, TimelineBuilder, type Timeline } from '../../src/timeline/pipeline.js';
import { ACK, buildFrames, FIN, PSH, SYN, responseOnlyTheEndCompletes, tlsRecord } from '../analysis/tcp-build.js';

const REAL = resolve(import.meta.dirname, '../../../shared/traces/real');
const haveCorpus = existsSync(REAL);
if (!haveCorpus) console.warn(`SKIPPED: test/timeline/app-views.test.ts corpus cases need ${REAL}`);
const haveTshark = spawnSync('tshark', ['-v']).status === 0;
if (!haveTshark) console.warn('SKIPPED: test/timeline/app-views.test.ts tshark comparisons need tshark');

/** Captures with HTTP, WebSocket, TLS, DNS over TCP, and IP fragments (both reassemble them). */
const FILES = [
  'rawip_android_dns_http_tls.pcap',
  'tls13_curl_sni_dns_fin.pcap',
  'tls_clienthello_split_segments.pcap',
  'dns_over_tcp.pcap',
  'http_pipelined_scanner.pcap',
  'websocket_fragmented_ping_pong_close.pcap',
  'ipv4_ipv6_fragmented_dnssec.pcap',
  'ipv6_ext_hbh_rh_frag_dstopts_http.pcap',
];

/** read's pipeline on a file: per frame, its Protocol and Info columns and the packet and analysis for filters. */
function readColumns(file: string) {
  const analyzer = new Analyzer(appAnalyzerOptions(new AppStage(), { defragment: true }));
  return readCaptureFileSync(file).frames.map((f) => {
    const packet = decodePacket(f);
    const analysis = analyzer.analyze(packet);
    return { frame: f.number, packet, analysis, ...summarize(packet, analysis) };
  });
}

/** tshark's values of `fields` for the frames `filter` selects: the first occurrence of each, or all of them joined by ','. */
function tshark(file: string, filter: string, fields: string[], occurrence: 'f' | 'a' = 'f'): string[][] {
  const r = spawnSync('tshark', ['-n', '-r', file, '-Y', filter, '-T', 'fields', '-E', `occurrence=${occurrence}`, '-E', 'aggregator=,', ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
}

const codesOf = (t: Timeline, frame: number) => t.entries.find((e) => e.frame === frame)?.explained.explanations.map((x) => x.code) ?? [];

describe.skipIf(!haveCorpus)('the timeline sees what read sees', () => {
  for (const name of FILES) {
    it(`${name}: Protocol and Info, and -Y http / tls / dns`, async () => {
      const file = join(REAL, name);
      const read = readColumns(file);
      const t = await buildTimeline(file);
      expect(t.entries.map((e) => [e.frame, e.protocol, e.info])).toEqual(read.map((r) => [r.frame, r.protocol, r.info]));
      for (const proto of ['http', 'tls', 'dns', 'websocket']) {
        const want = read.filter((r) => compileFilter(proto).matches(r.packet, r.analysis)).map((r) => r.frame);
        const got = (await buildTimeline(file, { filter: compileFilter(proto) })).entries.map((e) => e.frame);
        expect(got, `-Y ${proto}`).toEqual(want);
      }
    });
  }
});

describe.skipIf(!haveCorpus || !haveTshark)('application messages explained, against tshark', () => {
  it('explains every TLS ClientHello with its SNI, and every ServerHello, on the frame tshark shows it', async () => {
    for (const name of ['rawip_android_dns_http_tls.pcap', 'tls13_curl_sni_dns_fin.pcap', 'tls_clienthello_split_segments.pcap']) {
      const file = join(REAL, name);
      const t = await buildTimeline(file);
      const hellos = t.entries.flatMap((e) => e.explained.explanations.filter((x) => x.code === 'WL_EXPLAIN_TLS_CLIENT_HELLO').map((x) => [String(e.frame), String(x.params.sni)]));
      const want = tshark(file, 'tls.handshake.type == 1', ['frame.number', 'tls.handshake.extensions_server_name']);
      expect(hellos, name).toEqual(want.map(([f, sni]) => [f, sni ?? '']));
      expect(hellos.length).toBeGreaterThan(0);
      const servers = t.entries.filter((e) => e.explained.explanations.some((x) => x.code === 'WL_EXPLAIN_TLS_SERVER_HELLO')).map((e) => String(e.frame));
      expect(servers, name).toEqual(tshark(file, 'tls.handshake.type == 2', ['frame.number']).map(([f]) => f));
      // The ladder labels the arrow with the hello.
      const labels = buildLadder(t).groups.flatMap((g) => g.rows.map((r) => ('label' in r ? r.label : '')));
      expect(labels.some((l) => l.startsWith('TLS ClientHello'))).toBe(true);
    }
  });

  it('explains each QUIC datagram by its first packet, the type tshark reads from the header', async () => {
    const LONG = ['initial', '0rtt', 'handshake', 'retry'];
    for (const name of ['quic_v1_chromium_initial_sni.pcap', 'null_lo0_ipv6_quic_handshake.pcap']) {
      const file = join(REAL, name);
      const t = await buildTimeline(file);
      const want = tshark(file, 'quic', ['frame.number', 'quic.header_form', 'quic.long.packet_type']);
      expect(want.length).toBeGreaterThan(0);
      for (const [frame, form, type] of want) {
        const quic = t.entries.find((e) => e.frame === Number(frame))?.explained.explanations.find((x) => x.code === 'WL_EXPLAIN_QUIC');
        expect(quic?.params.type, `${name} frame ${frame}`).toBe(form === '0' ? 'short' : LONG[Number(type)]);
      }
    }
  });

  it('explains IP fragments, and each datagram whole on the fragment that completes it, as tshark reassembles them', async () => {
    for (const name of ['ipv4_ipv6_fragmented_dnssec.pcap']) {
      const file = join(REAL, name);
      const t = await buildTimeline(file);
      const codes = (frame: number) => t.entries.find((e) => e.frame === frame)?.explained.explanations ?? [];
      // tshark lists a datagram's fragments on the frame that completes it.
      const done = tshark(file, 'ip.fragment || ipv6.fragment', ['frame.number', 'ip.fragment', 'ipv6.fragment'], 'a').map(([f, a, b]) => [Number(f), (a || b)!.split(',').map(Number)] as const);
      expect(done.length, name).toBeGreaterThan(0);
      for (const [frame, fragments] of done) {
        expect(codes(frame).find((x) => x.code === 'WL_EXPLAIN_IP_REASSEMBLED')?.params.frames, `${name} frame ${frame}`).toBe(fragments.join(','));
        // What the datagram carries is explained first, as for an unfragmented packet.
        expect(codes(frame)[0]!.concept).not.toBe('ip-fragmentation');
        for (const f of fragments.filter((x) => x !== frame)) expect(codes(f)[0]?.code, `${name} frame ${f}`).toBe('WL_EXPLAIN_IP_FRAGMENT');
      }
    }
    // The reassembled DNSSEC answer names its records' types (no address among them).
    expect((await buildTimeline(join(REAL, 'ipv4_ipv6_fragmented_dnssec.pcap'))).entries[2]!.explained.explanations[0]!.text).toBe(
      'DNS DNSKEY? weberlab.de → 4 records (DNSKEY, DNSKEY, RRSIG, RRSIG), in 0.59 ms',
    );
  });

  it('explains DNS over TCP: each query and response on the frame tshark decodes it in', async () => {
    const file = join(REAL, 'dns_over_tcp.pcap');
    const t = await buildTimeline(file);
    const want = tshark(file, 'dns', ['frame.number', 'dns.flags.response', 'dns.qry.name']);
    expect(want.length).toBeGreaterThan(0);
    for (const [frame, response, name] of want) {
      const dns = t.entries.find((e) => e.frame === Number(frame))?.explained.explanations.find((x) => x.concept === 'dns');
      expect(dns, `frame ${frame}`).toMatchObject({ code: response === 'True' || response === '1' ? 'WL_EXPLAIN_DNS_RESPONSE' : 'WL_EXPLAIN_DNS_QUERY', params: { name } });
    }
  });
});

describe('a message only the capture end completes', () => {
  // Only the capture's end completes the response (tcp-build.ts). It belongs to the packet that
  // carried its last bytes (as `messages` dates it), not to the client's ACK after it.
  const frames = responseOnlyTheEndCompletes();
  const last = 5;

  it('is explained and labelled on the packet of its last bytes (timeline and Trace)', async () => {
    const b = new TimelineBuilder();
    for (const f of frames) b.add(decodePacket(f));
    const t = b.finish();
    expect(codesOf(t, last)[0]).toBe('WL_EXPLAIN_HTTP_RESPONSE');
    expect(t.entries.find((e) => e.frame === last)?.app).toEqual(['200 OK']);
    const trace = await openTrace(frames);
    expect(trace.packet(last)?.explanation.explanations[0]).toMatchObject({ code: 'WL_EXPLAIN_HTTP_RESPONSE', params: { status: 200, bodyLen: 5 } });
  });

  it('is kept by the stream pane’s record too (its window replays it)', async () => {
    const { StreamRecorder } = await import('../../src/tui/stream-record.js');
    const r = new StreamRecorder(0, 2);
    for (const f of frames) r.add(decodePacket(f));
    const record = r.finishRecord([]);
    const segs = Array.from({ length: record.segments }, (_, k) => record.segment(k, (n) => frames[n - 1])).flat();
    expect(segs.find((e) => e.frame === last)?.app).toEqual(['200 OK']);
    // A FIN would have completed it on a packet of its own: not here.
    expect(frames.some((f) => decodePacket(f).layers.some((l) => 'flags' in l && ((l as { flags: number }).flags & FIN) !== 0))).toBe(false);
  });
});

describe('HTTP Basic credentials', () => {
  it('are pointed out on the request that sends them, the user named and the password not (RFC 7617 §4)', () => {
    const enc = (x: string) => new TextEncoder().encode(x);
    const get = enc(`GET /admin HTTP/1.1\r\nHost: h\r\nAuthorization: Basic ${Buffer.from('alice:open sesame').toString('base64')}\r\n\r\n`);
    const frames = buildFrames([
      { from: 'c', seq: 100, flags: SYN, t: 0 },
      { from: 's', seq: 500, ack: 101, flags: SYN | ACK, t: 0.001 },
      { from: 'c', seq: 101, ack: 501, flags: ACK, t: 0.002 },
      { from: 'c', seq: 101, ack: 501, flags: PSH | ACK, payload: get, t: 0.003 },
    ]);
    // The timeline keeps only the headers it reads (no -Y on http.*): the credentials are among them.
    const b = new TimelineBuilder();
    for (const f of frames) b.add(decodePacket(f));
    const x = b.finish().entries.find((e) => e.frame === 4)!.explained.explanations[0]!;
    expect(x).toMatchObject({ code: 'WL_EXPLAIN_HTTP_REQUEST', severity: 'note', params: { method: 'GET', uri: '/admin', user: 'alice' } });
    expect(x.text).toBe("HTTP request GET /admin (host h), with Basic credentials for user 'alice': the password is only base64-encoded, readable by anyone on the path");
  });
});

describe('TLS alerts', () => {
  it('are explained (a fatal one as a warning) and labelled on the ladder', () => {
    const hello = tlsRecord(22, 1, 0, 0, 0);
    const alert = tlsRecord(21, 2, 40);
    const frames = buildFrames([
      { from: 'c', seq: 100, flags: SYN, t: 0 },
      { from: 's', seq: 500, ack: 101, flags: SYN | ACK, t: 0.001 },
      { from: 'c', seq: 101, ack: 501, flags: ACK, t: 0.002 },
      { from: 'c', seq: 101, ack: 501, flags: PSH | ACK, payload: hello, t: 0.003 },
      { from: 's', seq: 501, ack: 101 + hello.length, flags: PSH | ACK, payload: alert, t: 0.004 },
    ]);
    const b = new TimelineBuilder();
    for (const f of frames) b.add(decodePacket(f));
    const entry = b.finish().entries.find((e) => e.frame === 5)!;
    expect(entry.explained.explanations[0]).toMatchObject({ code: 'WL_EXPLAIN_TLS_ALERT', severity: 'warn', params: { level: 2, description: 40 } });
    expect(entry.explained.explanations[0]!.text).toBe('TLS alert (server→client): Fatal, Handshake Failure: the connection is being torn down');
    expect(entry.app).toEqual(['TLS alert Handshake Failure']);
  });
});

/**
 * Fuzzing the analysis path: the read-path fuzzer (fuzz.test.ts) decodes each mutated frame on its
 * own, but conversations, IP defragmentation, TCP analysis and reassembly, and the application
 * parsers fed by reassembled bytes (HTTP, WebSocket, SSE, TLS, DNS over TCP) only run when a whole
 * capture goes through the Analyzer with the application stage, as `read`, `messages` and `stats`
 * do. Here every mutated capture does: nothing may throw, every packet (with the layers the stage
 * added) must pass the same checks as in the read-path fuzzer, and every application message must
 * print as JSON and as one escaped line. A third suite runs the other views a capture feeds (the
 * typed Trace API, `explain`'s lines, the ladder in every format) over the same mutations.
 *
 * Seeds: the real corpus's captures with application traffic (longer than the read-path fuzzer's,
 * so whole exchanges are in them), plus synthetic conversations built here, so the suite has
 * exchanges to break when the corpus is absent. Mutations aim at the payload bytes (flips, the
 * bytes of another packet spliced in, lengths and line endings changed in place) as well as the
 * read-path fuzzer's file-level ones. Deterministic like fuzz.test.ts: replay a failing case with
 *   WIRELENS_FUZZ_CASE=<suite>:<index> npx vitest run test/fuzz/analysis
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Frame } from '../../src/capture/frame.js';
import { readCaptureFile } from '../../src/capture/reader.js';
import { encodePcap } from '../../src/capture/pcap-writer.js';
import { Analyzer } from '../../src/analysis/analyzer.js';
import { AppStage, appAnalyzerOptions, type AppMessage } from '../../src/analysis/app.js';
import { decodePacket } from '../../src/decode/bindings.js';
import { WirelensError } from '../../src/errors.js';
import { packetToJson } from '../../src/output/json.js';
import { formatSummaryLine, summarize } from '../../src/output/summary.js';
import { DEFAULT_FIELDS_FORMAT, fieldsLine } from '../../src/output/fields-text.js';
import { lookupField } from '../../src/filter/fields.js';
import { formatMessage } from '../../src/cli/messages.js';
import { explainJson, explainLines } from '../../src/cli/explain.js';
import { followStream, formatFollow } from '../../src/cli/follow.js';
import { collectFlows, formatTable } from '../../src/cli/flows.js';
import { openTrace } from '../../src/assert/trace.js';
import { TimelineBuilder } from '../../src/timeline/pipeline.js';
import { buildLadder } from '../../src/timeline/ladder.js';
import { renderLadder, type LadderFormat } from '../../src/timeline/render.js';
import { emitEthernet, EtherType } from '../../src/wire/ethernet.js';
import { emitIpv4, IpProtocol } from '../../src/wire/ipv4.js';
import { emitTcp, TcpFlag } from '../../src/wire/tcp.js';
import { checkPacket, hexDump, saveFailure } from './check.js';
import { mutate } from './mutators.js';
import { caseSeed, Rng, suiteSalt, suiteTimeout } from './prng.js';
import { analyse, REAL_DIR, type Seed } from './seeds.js';

const RUN_SEED = Number(process.env.WIRELENS_FUZZ_SEED ?? 0x5eed) >>> 0;
const SCALE = Number(process.env.WIRELENS_FUZZ_SCALE ?? 1);
const ONLY = process.env.WIRELENS_FUZZ_CASE;
const MAX_REPORTED = 8;
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Corpus captures whose application traffic the stage decodes, cut to their first records. */
const APP_CORPUS = [
  'http_chunked_keepalive_nsec.pcapng',
  'http_keepalive_sequential_requests.pcap',
  'http_pipelined_scanner.pcap',
  'pcap_le_usec_eth_http_get_fin.pcap',
  'tcp_retrans_dupack_ooo_keepalive_http.pcap',
  'tcp_zero_window_ooo_retrans_http_range.pcap',
  'websocket_fragmented_ping_pong_close.pcap',
  'websocket_permessage_deflate_rsv1.pcap',
  'websocket_wstunnel_ssh_masked_binary.pcap',
  'tls13_curl_sni_dns_fin.pcap',
  'tls_clienthello_split_segments.pcap',
  'dns_over_tcp.pcap',
  'ipv4_ipv6_fragmented_dnssec.pcap',
  'null_lo0_ipv6_quic_handshake.pcap',
  'quic_v1_chromium_initial_sni.pcap',
  'rawip_android_dns_http_tls.pcap',
  'tcp_snaplen68_truncated.pcap',
];
const MAX_RECORDS = 160;
const MAX_BYTES = 192 * 1024;

function corpusAppSeeds(): Seed[] {
  if (!existsSync(REAL_DIR)) return [];
  const out: Seed[] = [];
  for (const f of APP_CORPUS) {
    const path = join(REAL_DIR, f);
    if (!existsSync(path)) continue;
    const b = readFileSync(path);
    const seed = analyse(f, new Uint8Array(b.buffer, b.byteOffset, b.length).slice());
    const cutAt = seed.records.find((r, i) => i >= MAX_RECORDS || r.at >= MAX_BYTES)?.at;
    out.push(cutAt === undefined ? seed : analyse(f, seed.bytes.slice(0, cutAt)));
  }
  return out;
}

// --- Synthetic conversations: one TCP connection each, handshake, the client's and the server's
// payloads in turn (each cut into segments), then FIN both ways.

const text = (s: string) => new TextEncoder().encode(s);
const MAC_C = Uint8Array.of(0x02, 0, 0, 0, 0, 1);
const MAC_S = Uint8Array.of(0x02, 0, 0, 0, 0, 2);
const IP_C = Uint8Array.of(192, 0, 2, 1);
const IP_S = Uint8Array.of(198, 51, 100, 7);

function conversation(name: string, port: number, turns: readonly { client: boolean; bytes: Uint8Array }[], segment = 700): Seed {
  const frames: Uint8Array[] = [];
  const seq = [1000, 50_000];
  const send = (client: boolean, flags: number, payload: Uint8Array = new Uint8Array(0)) => {
    const d = client ? 0 : 1;
    const src = client ? IP_C : IP_S;
    const dst = client ? IP_S : IP_C;
    const tcp = emitTcp(
      { srcPort: client ? 40_000 : port, dstPort: client ? port : 40_000, seq: seq[d]!, ack: seq[1 - d]!, flags, window: 65_535, urgentPointer: 0, options: [], payload },
      { version: 4, src, dst },
    );
    seq[d] = (seq[d]! + payload.length + (flags & (TcpFlag.SYN | TcpFlag.FIN) ? 1 : 0)) >>> 0;
    const ip = emitIpv4({ dscp: 0, ecn: 0, ident: frames.length, dontFragment: true, moreFragments: false, fragmentOffset: 0, ttl: 64, protocol: IpProtocol.TCP, src, dst }, tcp);
    frames.push(emitEthernet({ dst: client ? MAC_S : MAC_C, src: client ? MAC_C : MAC_S, etherType: EtherType.IPv4 }, ip));
  };
  send(true, TcpFlag.SYN);
  send(false, TcpFlag.SYN | TcpFlag.ACK);
  send(true, TcpFlag.ACK);
  for (const t of turns) {
    for (let o = 0; o < t.bytes.length; o += segment) send(t.client, TcpFlag.ACK | TcpFlag.PSH, t.bytes.subarray(o, o + segment));
    send(!t.client, TcpFlag.ACK);
  }
  send(true, TcpFlag.FIN | TcpFlag.ACK);
  send(false, TcpFlag.FIN | TcpFlag.ACK);
  send(true, TcpFlag.ACK);
  const records = frames.map((data, i) => ({ data, tsSec: 1_700_000_000, tsNsec: i * 1000, interfaceId: 0, origLen: data.length }));
  return analyse(name, encodePcap(records, { linkType: 1 }));
}

/** A WebSocket frame (RFC 6455 §5.2), masked with a fixed key when sent by the client. */
function wsFrame(opcode: number, payload: Uint8Array, fin = true, masked = false, rsv1 = false): Uint8Array {
  const len = payload.length;
  const ext = len < 126 ? 0 : len < 65_536 ? 2 : 8;
  const out = new Uint8Array(2 + ext + (masked ? 4 : 0) + len);
  out[0] = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode;
  out[1] = (masked ? 0x80 : 0) | (ext === 0 ? len : ext === 2 ? 126 : 127);
  const view = new DataView(out.buffer);
  if (ext === 2) view.setUint16(2, len);
  if (ext === 8) view.setBigUint64(2, BigInt(len));
  let p = 2 + ext;
  const key = [0x12, 0x34, 0x56, 0x78];
  if (masked) out.set(key, p), (p += 4);
  for (let i = 0; i < len; i++) out[p + i] = payload[i]! ^ (masked ? key[i % 4]! : 0);
  return out;
}

function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) out.set(p, o), (o += p.length);
  return out;
}

function syntheticAppSeeds(): Seed[] {
  const chunkedBody = '5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: yes\r\n\r\n';
  return [
    conversation('http keep-alive: length, chunked with trailer, HEAD, 304', 8080, [
      { client: true, bytes: text('GET /a HTTP/1.1\r\nHost: example.test\r\nUser-Agent: fuzz\r\n\r\nHEAD /b HTTP/1.1\r\nHost: example.test\r\n\r\n') },
      { client: false, bytes: text(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello worldHTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n`) },
      { client: true, bytes: text('POST /c HTTP/1.1\r\nHost: example.test\r\nTransfer-Encoding: chunked\r\n\r\n' + chunkedBody) },
      { client: false, bytes: text('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n' + chunkedBody) },
      { client: true, bytes: text('GET /d HTTP/1.1\r\nIf-None-Match: "x"\r\n\r\n') },
      { client: false, bytes: text('HTTP/1.1 304 Not Modified\r\nETag: "x"\r\n\r\n') },
    ], 37),
    conversation('sse with a reconnect id', 80, [
      { client: true, bytes: text('GET /events HTTP/1.1\r\nHost: example.test\r\nAccept: text/event-stream\r\nLast-Event-ID: 4\r\n\r\n') },
      { client: false, bytes: text('HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n: comment\r\nid: 5\r\nevent: tick\r\ndata: one\r\ndata: two\r\n\r\nretry: 3000\r\ndata: three\n\n') },
    ], 23),
    conversation('websocket upgrade, fragments, ping/pong, close', 8000, [
      { client: true, bytes: text('GET /chat HTTP/1.1\r\nHost: example.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n') },
      { client: false, bytes: text('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n') },
      { client: true, bytes: concatBytes(wsFrame(1, text('Hel'), false, true), wsFrame(9, text('p'), true, true), wsFrame(0, text('lo'), true, true)) },
      { client: false, bytes: concatBytes(wsFrame(10, text('p')), wsFrame(2, new Uint8Array(300).fill(7)), wsFrame(1, text('ok'))) },
      { client: true, bytes: wsFrame(8, concatBytes(Uint8Array.of(0x03, 0xe8), text('bye')), true, true) },
      { client: false, bytes: wsFrame(8, Uint8Array.of(0x03, 0xe8)) },
    ], 19),
    conversation('dns over tcp, two messages in one segment', 53, [
      {
        client: true,
        bytes: concatBytes(
          Uint8Array.of(0, 30, 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 7, 101, 120, 97, 109, 112, 108, 101, 4, 116, 101, 115, 116, 0, 0, 1, 0, 1),
          Uint8Array.of(0, 30, 0x12, 0x35, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 7, 101, 120, 97, 109, 112, 108, 101, 4, 116, 101, 115, 116, 0, 0, 28, 0, 1),
        ),
      },
      {
        client: false,
        bytes: Uint8Array.of(0, 46, 0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 7, 101, 120, 97, 109, 112, 108, 101, 4, 116, 101, 115, 116, 0, 0, 1, 0, 1, 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 9),
      },
    ], 11),
  ];
}

// --- Payload-aware mutations: the file-level mutators rarely keep a capture's structure and change
// an application message in a way its parser has to survive.

function payloadMutate(seed: Seed, r: Rng): { bytes: Uint8Array; what: string } | undefined {
  const withData = seed.records.filter((rec) => rec.dataLen > 60);
  if (withData.length === 0) return undefined;
  const out = seed.bytes.slice();
  const rec = withData[r.int(withData.length)]!;
  // Past the usual headers (Ethernet + IPv4 + TCP is 54 bytes): mostly payload.
  const from = rec.dataStart + Math.min(54, rec.dataLen - 1);
  const end = rec.dataStart + rec.dataLen;
  const kind = r.int(4);
  if (kind === 0) {
    const n = r.range(1, 6);
    for (let i = 0; i < n; i++) out[r.range(from, end - 1)] = r.pick([0x00, 0x0a, 0x0d, 0x20, 0x3a, 0x7f, 0x80, 0xff, 0x30 + r.int(10), r.byte()]);
    return { bytes: out, what: `payload bytes of the record at ${rec.at}` };
  }
  if (kind === 1) {
    // Another record's bytes copied over this one's payload (a header where a body was, ...).
    const other = withData[r.int(withData.length)]!;
    const n = Math.min(end - from, other.dataLen, r.range(1, 400));
    const src = other.dataStart + r.int(Math.max(1, other.dataLen - n));
    out.copyWithin(from, src, src + n);
    return { bytes: out, what: `${n} bytes of the record at ${other.at} over the record at ${rec.at}` };
  }
  if (kind === 2) {
    // Digits changed where lengths live: Content-Length, chunk sizes, DNS and WebSocket lengths.
    for (let p = from; p < end; p++) if (out[p]! >= 0x30 && out[p]! <= 0x39 && r.chance(0.3)) out[p] = r.pick([0x30, 0x39, 0x66, 0x2d]);
    return { bytes: out, what: `digits in the record at ${rec.at}` };
  }
  // A run of one byte: a line that never ends, a length of 0xffff, zeros.
  const at = r.range(from, end - 1);
  out.fill(r.pick([0x41, 0xff, 0x00, 0x0d]), at, Math.min(end, at + r.range(1, 300)));
  return { bytes: out, what: `a run of bytes in the record at ${rec.at}` };
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

interface Outcome {
  problems: string[];
  frames: number;
  messages: number;
}

/** The capture's frames; undefined when the reader refuses it (a WirelensError is an answer, anything else a problem). */
async function readFrames(bytes: Uint8Array, problems: string[]): Promise<Frame[] | undefined> {
  try {
    return (await readCaptureFile(once(bytes), { name: 'fuzz' })).frames;
  } catch (e) {
    if (!(e instanceof WirelensError)) problems.push(`reader threw ${String(e)}`);
    return undefined;
  }
}

/** The whole capture through the Analyzer with the application stage, as `read` and `messages` run it. */
async function analyseCase(bytes: Uint8Array): Promise<Outcome> {
  const problems: string[] = [];
  const frames = await readFrames(bytes, problems);
  if (!frames) return { problems, frames: 0, messages: 0 };
  let messages = 0;
  const onMessage = (m: AppMessage) => {
    messages++;
    try {
      JSON.stringify(m);
      const line = formatMessage(m);
      const c = RAW_CONTROL.exec(line);
      if (c) problems.push(`raw control character U+${c[0].charCodeAt(0).toString(16).padStart(4, '0')} in message line ${JSON.stringify(line)}`);
      if (!(m.frame >= 1 && m.frame <= frames.length)) problems.push(`message completed by frame ${m.frame} of ${frames.length}`);
      if (!Number.isFinite(m.time)) problems.push(`message time ${m.time}`);
    } catch (e) {
      problems.push(`printing a ${m.proto} ${m.kind} message threw ${e instanceof Error ? e.stack : String(e)}`);
    }
  };
  try {
    // Bodies kept, as `read --json` keeps them (http.file_data undoes content codings).
    const analyzer = new Analyzer(appAnalyzerOptions(new AppStage({ onMessage, bodies: true }), { defragment: true }));
    for (const frame of frames) {
      const packet = decodePacket(frame);
      const analysis = analyzer.analyze(packet);
      for (const p of checkPacket(packet)) problems.push(`frame ${frame.number}: ${p}`);
      const json = packetToJson(packet, analysis);
      JSON.stringify(json);
      const line = formatSummaryLine(frame.number, '0.000000', summarize(packet, analysis), frame.origLen);
      const c = RAW_CONTROL.exec(line);
      if (c) problems.push(`frame ${frame.number}: raw control character in summary line ${JSON.stringify(line)}`);
      // `read -e` of every field the packet has (tab and newline are tshark's escapes, not raw).
      const fields = fieldsLine(json, { ...DEFAULT_FIELDS_FORMAT, fields: Object.keys(json).flatMap((n) => lookupField(n) ?? []) });
      if (RAW_CONTROL.exec(fields.replaceAll('\t', ' '))) problems.push(`frame ${frame.number}: raw control character in -e fields ${JSON.stringify(fields)}`);
    }
    analyzer.finish();
  } catch (e) {
    problems.push(`analysis threw ${e instanceof Error ? e.stack : String(e)}`);
  }
  return { problems, frames: frames.length, messages };
}

const LADDER_FORMATS: readonly LadderFormat[] = ['text', 'markdown', 'mermaid', 'plantuml', 'svg'];
/** Raw control characters but the line feed (the renderers write many lines). */
// eslint-disable-next-line no-control-regex
const RAW_CONTROL_BUT_LF = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

/** Where the views suite writes each case for the commands that read a file themselves. */
let scratch: string | undefined;
afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/**
 * Every other view of the capture: the typed Trace API (every query, as JSON), the timeline's
 * explanations (as `explain` prints them), the ladder in every format, `flows`' table and `follow`
 * in its text formats. Nothing may throw, and the text each writes for a terminal or a document
 * has no raw control character (but `follow`'s tab before the second side's lines and the CR of
 * a CR LF, as tshark's).
 */
async function viewsCase(bytes: Uint8Array): Promise<Outcome> {
  const problems: string[] = [];
  let messages = 0;
  const clean = (what: string, text: string) => {
    const c = RAW_CONTROL_BUT_LF.exec(text);
    if (c) problems.push(`raw control character U+${c[0].charCodeAt(0).toString(16).padStart(4, '0')} in ${what}`);
  };
  const frames = await readFrames(bytes, problems);
  if (!frames) return { problems, frames: 0, messages: 0 };
  try {
    const trace = await openTrace(frames);
    const found = [trace.http.exchanges(), trace.websocket.messages(), trace.sse.events(), trace.dns.transactions(), trace.tls.hellos()];
    messages = found.reduce((n, l) => n + l.length, 0);
    JSON.stringify([trace.tcp.connections(), trace.udp.flows(), ...found, trace.expert('chat')]);
    for (const p of trace.packets()) clean(`the summary of frame ${p.number}`, p.summary);
    if (frames.length) clean('a Trace ladder', trace.ladder(frames.slice(0, 40).map((f) => f.number)));
  } catch (e) {
    problems.push(`the Trace API threw ${e instanceof Error ? e.stack : String(e)}`);
  }
  try {
    const builder = new TimelineBuilder();
    for (const f of frames) builder.add(decodePacket(f));
    const timeline = builder.finish();
    for (const e of timeline.entries) {
      JSON.stringify(explainJson(e));
      for (const line of explainLines(e, timeline.startSec, timeline.startNsec)) clean(`explain's lines for frame ${e.frame}`, line);
    }
    const ladder = buildLadder(timeline);
    for (const format of LADDER_FORMATS) clean(`the ${format} ladder`, renderLadder(ladder, format));
  } catch (e) {
    problems.push(`the timeline or a ladder threw ${e instanceof Error ? e.stack : String(e)}`);
  }
  const file = join((scratch ??= mkdtempSync(join(tmpdir(), 'wirelens-fuzz-views-'))), 'case.pcap');
  writeFileSync(file, bytes);
  try {
    const { rows, firstTime } = await collectFlows(file);
    for (const line of formatTable(rows, firstTime)) clean('a flows row', line);
    const streams = (await followStream(file, 0)).streams;
    for (let stream = 0; stream < Math.min(streams, 3); stream++) {
      const { conn, chunks } = await followStream(file, stream);
      if (!conn) continue;
      // tshark's layout: a tab before the second side's lines, and CR LF line ends kept as sent.
      for (const format of ['ascii', 'hex'] as const) for (const line of formatFollow(conn, stream, chunks, format)) clean(`follow ${format}`, line.replace(/^\t/, '').replace(/\r$/, ''));
    }
  } catch (e) {
    problems.push(`flows or follow threw ${e instanceof Error ? e.stack : String(e)}`);
  }
  return { problems, frames: frames.length, messages };
}

async function fuzzAnalysis(suite: string, seeds: Seed[], count: number, check: (bytes: Uint8Array) => Promise<Outcome> = analyseCase): Promise<void> {
  const salt = suiteSalt(suite) ^ RUN_SEED;
  let indices = Array.from({ length: Math.round(count * SCALE) }, (_, i) => i);
  if (ONLY) {
    const [s, i] = ONLY.split(':');
    indices = s === suite ? [Number(i)] : [];
  }
  const failures: string[] = [];
  let frames = 0;
  let messages = 0;
  for (const i of indices) {
    const cs = caseSeed(salt, i);
    const r = new Rng(cs);
    const seed = seeds[r.int(seeds.length)]!;
    // Mostly payload mutations (what this suite is for), sometimes the file-level ones.
    const pm = r.chance(0.75) ? payloadMutate(seed, r) : undefined;
    const m = pm ? { bytes: pm.bytes, steps: [`payload: ${pm.what}`] } : mutate(seed, r);
    const out = await check(m.bytes);
    frames += out.frames;
    messages += out.messages;
    if (out.problems.length || ONLY) {
      const replay = `suite ${suite} case ${i} (case seed ${cs}, run seed ${RUN_SEED}) on ${seed.name}: ${m.steps.join('; ')} — replay with WIRELENS_FUZZ_CASE=${suite}:${i}`;
      const path = saveFailure(m.bytes, `analysis-${suite}-${i}`);
      const report = `${replay}\n  input saved to ${path} (${m.bytes.length} bytes)\n  ${out.problems.slice(0, 4).join('\n  ') || 'no problem'}`;
      if (ONLY) console.log(`${report}\n${hexDump(m.bytes)}`);
      if (out.problems.length) failures.push(report);
    }
  }
  console.log(`fuzz analysis ${suite}: ${indices.length} cases, ${frames} frames analysed, ${messages} application messages`);
  const shown = failures.slice(0, MAX_REPORTED);
  const more = failures.length > shown.length ? `\n… and ${failures.length - shown.length} more failing cases` : '';
  expect(shown.join('\n\n') + more, `${failures.length} of ${indices.length} cases failed`).toBe('');
}

const corpus = corpusAppSeeds();
if (corpus.length === 0) console.warn(`${REAL_DIR} is absent: the analysis fuzzer runs on its synthetic conversations only`);

describe('fuzzing the analysis path (Analyzer with the application stage)', () => {
  it('the synthetic conversations decode to the messages they were built with', async () => {
    const seeds = syntheticAppSeeds();
    const kinds: string[] = [];
    for (const s of seeds) {
      const { frames } = await readCaptureFile(once(s.bytes), { name: s.name });
      const analyzer = new Analyzer(appAnalyzerOptions(new AppStage({ onMessage: (m) => kinds.push(`${m.proto}.${m.kind}`) }), { defragment: true }));
      for (const f of frames) analyzer.analyze(decodePacket(f));
      analyzer.finish();
    }
    const count = (k: string) => kinds.filter((x) => x === k).length;
    expect(count('http.request')).toBe(6);
    expect(count('http.response')).toBe(7);
    expect(count('sse.event')).toBe(2);
    expect(count('websocket.message')).toBe(3);
    expect(count('websocket.ping')).toBe(1);
    expect(count('websocket.pong')).toBe(1);
    expect(count('websocket.close')).toBe(2);
    expect(count('dns.query')).toBe(2);
    expect(count('dns.response')).toBe(1);
  });

  it('mutated synthetic conversations never throw, and every packet and message prints', async () => {
    await fuzzAnalysis('synthetic', syntheticAppSeeds(), 600);
  }, suiteTimeout(SCALE));

  describe.skipIf(corpus.length === 0)('real corpus seeds', () => {
    it('mutated corpus captures with application traffic never throw, and every packet and message prints', async () => {
      await fuzzAnalysis('corpus', corpus, 600);
    }, suiteTimeout(SCALE));
  });

  it('every view of a mutated capture (Trace API, explanations, ladders, flows, follow) stays whole and escaped', async () => {
    await fuzzAnalysis('views', [...syntheticAppSeeds(), ...corpus], 300, viewsCase);
  }, suiteTimeout(SCALE));
});

/**
 * A capture as a typed, queryable object, for tests that assert what a service did on the wire:
 *
 *   const trace = await openTrace('run.pcapng');
 *   const [conn] = trace.tcp.connections();
 *   conn.state;                                  // 'SF'
 *   trace.http.exchanges()[0]?.response?.status; // 200
 *   trace.packets('tcp.analysis.retransmission').length;
 *
 * openTrace reads the whole capture once, through the same pipeline as the commands (decode,
 * sequence analysis, lifecycle, application stage, explainer), and keeps every decoded packet in
 * memory: a test trace is small, and queries then cost nothing but a scan. It is not meant for
 * multi-gigabyte files (use the streaming commands there).
 *
 * Times are seconds: `time` and `start` since the first packet of the capture, `epoch` since 1970.
 * Every object a query returns is plain data (toEqual-friendly); the trace it came from is
 * remembered on the side (traceOf) so matchers can draw a ladder of the relevant packets.
 */
import type { Frame } from '../capture/frame.js';
import { openCapture, type CaptureFormat, type ReaderOptions } from '../capture/reader.js';
import type { ReadWarning } from '../errors.js';
import { decodePacket } from '../decode/bindings.js';
import type { FieldValue, Layer, Packet } from '../decode/layer.js';
import { Analyzer, type PacketAnalysis } from '../analysis/analyzer.js';
import { AppRecordTap, AppStage, appAnalyzerOptions, type AppMessage as StageMessage, type AppRecord } from '../analysis/app.js';
import type { Dir } from '../analysis/connection.js';
import { UdpConversations } from '../analysis/conversations.js';
import { TcpLifecycle, type Side, type ZeekConnState } from '../analysis/tcp-lifecycle.js';
import { TcpAnalysisFlag } from '../analysis/tcp-tracker.js';
import { compileFilter, type PacketFilter } from '../filter/index.js';
import { packetToJson, type PacketJson } from '../output/json.js';
import { summarize } from '../output/summary.js';
import { Explainer } from '../timeline/explainer.js';
import type { PacketExplanation, Severity } from '../timeline/explanation.js';
import { severityRank } from '../timeline/explanation.js';
import { explainLate, findFrame, timelineEntry, type Timeline, type TimelineEntry } from '../timeline/pipeline.js';
import { buildLadder } from '../timeline/ladder.js';
import { renderText } from '../timeline/render-text.js';
import type { HttpResponse } from '../protocols/http.js';
import { round9 } from '../protocols/stream.js';
import { FrameClock } from '../capture/frame-clock.js';

export type Direction = 'c2s' | 's2c';

export interface Endpoint {
  ip: string;
  port: number;
}

/** A packet named by its frame number, with where and what it was (for messages and reports). */
export interface PacketRef {
  frame: number;
  /** Seconds since the first packet of the capture. */
  time: number;
  /** Wireshark's Info column for the packet. */
  info: string;
}

export interface TracePacket {
  /** frame.number, from 1. */
  readonly number: number;
  /** Seconds since the first packet of the capture. */
  readonly time: number;
  /** Seconds since 1970. */
  readonly epoch: number;
  readonly layers: readonly Layer[];
  /** What the packet means, in sentences (the explainer's, as `wirelens explain` prints them). */
  readonly explanation: PacketExplanation;
  /** tcp.stream or udp.stream, when the packet belongs to one. */
  readonly stream?: { proto: 'tcp' | 'udp'; id: number };
  /** The first value of a field by Wireshark name (`tcp.flags.syn`, `http.response.code`), or undefined. */
  get(field: string): FieldValue | undefined;
  /** Every value of a field, in frame order. */
  getAll(field: string): FieldValue[];
  /** True when the display filter `field` (a field or protocol name, or any filter) matches. */
  has(field: string): boolean;
  /** The packet as `read --json` prints it. */
  json(): PacketJson;
  /** The Info column. */
  readonly info: string;
  /** The summary line as `wirelens read` prints it (number, time, addresses, protocol, length, info). */
  readonly summary: string;
}

export interface Handshake {
  /** SYN, SYN-ACK and the client's ACK were all captured. */
  complete: boolean;
  /** tcp.analysis.initial_rtt: SYN to the first ACK, seconds. */
  rtt?: number;
  clientIsn?: number;
  serverIsn?: number;
  /** MSS each side announced (RFC 9293 §3.7.1). */
  mss: { client?: number; server?: number };
  /** Window-scale shift each side announced (RFC 7323 §2.2); undefined when absent. */
  windowScale: { client?: number; server?: number };
  /** Both SYNs carried SACK-permitted (RFC 2018). */
  sackPermitted: boolean;
}

export interface TcpConnectionInfo {
  stream: number;
  client: Endpoint;
  server: Endpoint;
  /** Zeek's conn_state (SF normal close, S0 no answer, REJ refused, RSTO/RSTR reset, …). */
  state: ZeekConnState;
  /** Zeek's history letters (upper case = client). */
  history: string;
  /** Present when the client's SYN was captured. */
  handshake?: Handshake;
  /** The side whose FIN came first. */
  closedBy?: Side;
  /** The side that sent the first RST. */
  resetBy?: Side;
  /** Segments flagged tcp.analysis.retransmission, fast or spurious. */
  retransmissions: PacketRef[];
  /** TCP payload bytes each way. */
  bytes: { c2s: number; s2c: number };
  packets: { c2s: number; s2c: number };
  /** First packet, seconds since the capture's first packet. */
  start: number;
  /** First packet to last, seconds. */
  duration: number;
  /** Frame numbers of the connection's packets, in order. */
  frames: number[];
}

export interface UdpFlowInfo {
  stream: number;
  client: Endpoint;
  server: Endpoint;
  state: ZeekConnState;
  history: string;
  /** UDP payload bytes each way. */
  bytes: { c2s: number; s2c: number };
  packets: { c2s: number; s2c: number };
  start: number;
  duration: number;
  frames: number[];
}

export interface HttpHeaderPair {
  name: string;
  value: string;
}

export interface HttpExchange {
  stream: number;
  request: { method: string; uri: string; version: string; headers: HttpHeaderPair[]; frame: number; time: number };
  response?: { status: number; phrase: string; version?: string; headers: HttpHeaderPair[]; frame: number; time: number; contentType?: string; bodyLength: number };
  /** Request to response, seconds (http.time). */
  latency?: number;
}

export interface WebSocketMessage {
  stream: number;
  dir: Direction;
  /** RFC 6455 §5.2: 1 text, 2 binary, 8 close, 9 ping, 10 pong. */
  opcode: number;
  text?: string;
  /** Message size (after inflation), or the control frame's payload length. */
  bytes: number;
  /** Frames the message took (1 for control frames). */
  frames: number;
  /** Close frames: the status code (RFC 6455 §7.4) and reason. */
  closeCode?: number;
  closeReason?: string;
  /** The frame that completed it. */
  frame: number;
  time: number;
}

export interface SseEventInfo {
  stream: number;
  event: string;
  id?: string;
  data: string;
  retry?: number;
  frame: number;
  time: number;
}

export interface DnsTransaction {
  id: number;
  name: string | null;
  type: string | null;
  /** Undefined when no response was captured. */
  rcode?: number;
  answers: string[];
  /** Query to response, seconds. */
  latency?: number;
  queryFrame?: number;
  responseFrame?: number;
  /** Repeated copies of the query and of the response (tshark's dns.retransmission), not counted as transactions of their own. */
  retransmissions: number;
  transport: 'tcp' | 'udp';
  stream: number;
}

export interface TlsHello {
  kind: 'client' | 'server';
  stream: number;
  sni: string | null;
  alpn: string[];
  versions: string[];
  /** ServerHello: the chosen cipher suite as 0xNNNN. */
  cipher?: string;
  frame: number;
  time: number;
}

export interface ExpertItem {
  frame: number;
  severity: Severity;
  /** WL_EXPLAIN_* */
  code: string;
  message: string;
}

export interface OpenTraceOptions extends ReaderOptions {}

/** One packet as kept by the trace: what the pipeline produced for it. */
interface Kept {
  packet: Packet;
  analysis: PacketAnalysis;
  explanation: PacketExplanation;
  app: AppRecord[];
}

const RETRANSMITTED = TcpAnalysisFlag.RETRANSMISSION | TcpAnalysisFlag.FAST_RETRANSMISSION | TcpAnalysisFlag.SPURIOUS_RETRANSMISSION;

const owners = new WeakMap<object, Trace>();

/** The trace a query result (connection, exchange, message…) came from. */
export function traceOf(value: unknown): Trace | undefined {
  if (value instanceof Trace) return value;
  return typeof value === 'object' && value !== null ? owners.get(value) : undefined;
}

function own<T extends object>(trace: Trace, items: T[]): T[] {
  for (const i of items) owners.set(i, trace);
  return items;
}

/** Reads a capture (path, bytes or frames) through the whole analysis pipeline. */
export async function openTrace(source: string | Uint8Array | AsyncIterable<Frame> | Iterable<Frame>, options: OpenTraceOptions = {}): Promise<Trace> {
  const lifecycle = new TcpLifecycle();
  const udp = new UdpConversations();
  const records = new AppRecordTap();
  const messages: StageMessage[] = [];
  const stage = new AppStage({ onMessage: (m) => messages.push(m), onRecord: records.onRecord });
  const analyzer = new Analyzer(appAnalyzerOptions(stage, { defragment: true, tcpObservers: [lifecycle], udpObservers: [udp] }));
  const explainer = new Explainer({ lifecycle });
  const kept: Kept[] = [];
  let warnings: ReadWarning[] = [];
  let format: CaptureFormat | undefined;
  let name = options.name ?? (typeof source === 'string' ? source : 'trace');
  const take = (frame: Frame) => {
    const packet = decodePacket(frame);
    const analysis = analyzer.analyze(packet);
    const app = records.take();
    const explanation = explainer.explain(packet, analysis, app);
    kept.push({ packet, analysis, explanation, app: app.length ? [...app] : [] });
  };
  if (typeof source === 'string' || source instanceof Uint8Array) {
    // Bytes are offered to the reader as a one-chunk stream: the same sniffing and parsing as a file.
    const input = typeof source === 'string' ? source : oneChunk(source);
    const reader = await openCapture(input, { ...options, name });
    try {
      for await (const batch of reader.batches()) for (const f of batch) take(f);
    } finally {
      reader.close();
    }
    warnings = reader.warnings;
    format = reader.format;
    name = reader.name;
  } else if (Symbol.asyncIterator in source) {
    for await (const f of source) take(f);
  } else {
    for (const f of source) take(f);
  }
  analyzer.finish();
  // What only the capture's end completed goes on the frame it names (AppStageOptions.onRecord).
  for (const [frame, app] of records.takeLate()) {
    const k = findFrame(kept, frame, (x) => x.packet.frame.number);
    if (!k) continue;
    k.app.push(...app);
    explainLate(k.explanation, app);
  }
  return new Trace(name, format, warnings, kept, analyzer, lifecycle, udp, messages);
}

async function* oneChunk(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}


export class Trace {
  /** TCP connections, by tcp.stream. */
  readonly tcp: { connections(): TcpConnectionInfo[]; connection(stream: number): TcpConnectionInfo | undefined };
  readonly udp: { flows(): UdpFlowInfo[] };
  readonly http: { exchanges(): HttpExchange[] };
  readonly websocket: { messages(): WebSocketMessage[] };
  readonly sse: { events(): SseEventInfo[] };
  readonly dns: { transactions(): DnsTransaction[] };
  readonly tls: { hellos(): TlsHello[] };
  private readonly views: TracePacket[];
  private readonly t0Sec: number;
  private readonly t0Nsec: number;
  private readonly filters = new Map<string, PacketFilter>();
  private cache = new Map<string, unknown>();

  /** @internal use openTrace */
  constructor(
    readonly name: string,
    readonly format: CaptureFormat | undefined,
    /** Problems the reader met that did not stop it. */
    readonly warnings: readonly ReadWarning[],
    private readonly kept: readonly Kept[],
    private readonly analyzer: Analyzer,
    private readonly lifecycle: TcpLifecycle,
    private readonly udpConvs: UdpConversations,
    private readonly messages: readonly StageMessage[],
  ) {
    const first = kept[0]?.packet.frame;
    this.t0Sec = first?.tsSec ?? 0;
    this.t0Nsec = first?.tsNsec ?? 0;
    this.views = kept.map((k, i) => this.view(k, i));
    const memo = <T>(key: string, make: () => T[]): T[] => {
      // Each call returns fresh copies of the cached objects' array, so a caller's sort or splice stays its own.
      let v = this.cache.get(key) as T[] | undefined;
      if (!v) this.cache.set(key, (v = own(this, make() as (T & object)[]) as T[]));
      return [...v];
    };
    this.tcp = {
      connections: () => memo('tcp', () => this.buildConnections()),
      connection: (stream) => this.tcp.connections().find((c) => c.stream === stream),
    };
    this.udp = { flows: () => memo('udp', () => this.buildUdpFlows()) };
    this.http = { exchanges: () => memo('http', () => this.buildExchanges()) };
    this.websocket = { messages: () => memo('ws', () => this.buildWsMessages()) };
    this.sse = { events: () => memo('sse', () => this.buildSseEvents()) };
    this.dns = { transactions: () => memo('dns', () => this.buildDns()) };
    this.tls = { hellos: () => memo('tls', () => this.buildTlsHellos()) };
  }

  /** Number of packets in the capture. */
  get size(): number {
    return this.kept.length;
  }

  /** First packet to last, seconds. */
  get duration(): number {
    const last = this.kept[this.kept.length - 1]?.packet.frame;
    return last ? this.rel(last.tsSec, last.tsNsec) : 0;
  }

  /** Packets, optionally those a display filter matches. A bad filter throws its FilterError. */
  packets(filter?: string): TracePacket[] {
    if (filter === undefined || filter.trim() === '') return [...this.views];
    const f = this.compile(filter);
    const out: TracePacket[] = [];
    const clock = new FrameClock();
    for (let i = 0; i < this.kept.length; i++) {
      const k = this.kept[i]!;
      clock.advance(k.packet.frame);
      if (!f.matches(k.packet, k.analysis, clock)) continue;
      clock.shown();
      out.push(this.views[i]!);
    }
    return out;
  }

  /** One packet by frame number. */
  packet(frame: number): TracePacket | undefined {
    const i = this.indexOf(frame);
    return i < 0 ? undefined : this.views[i];
  }

  private keptOf(frame: number): Kept | undefined {
    const i = this.indexOf(frame);
    return i < 0 ? undefined : this.kept[i];
  }

  /** Frames are numbered from 1 in order, so the index is usually frame - 1 (frames given as an iterable may not be). */
  private indexOf(frame: number): number {
    const v = this.views[frame - 1];
    return v && v.number === frame ? frame - 1 : this.views.findIndex((p) => p.number === frame);
  }

  /** Expert items: every explanation at or above `min` severity (default note), in frame order. */
  expert(min: Severity = 'note'): ExpertItem[] {
    const out: ExpertItem[] = [];
    for (const k of this.kept) {
      for (const e of k.explanation.explanations) {
        if (severityRank(e.severity) >= severityRank(min)) out.push({ frame: k.packet.frame.number, severity: e.severity, code: e.code, message: e.text });
      }
    }
    return out;
  }

  /** A reference to a packet for reports. */
  ref(frame: number): PacketRef {
    const p = this.packet(frame);
    return { frame, time: p?.time ?? 0, info: p?.info ?? '' };
  }

  /**
   * A short text ladder (sequence diagram with explanations) of these frames, at most `max` rows
   * (the first ones, then a line saying how many were left out). ASCII, so that it reads the same
   * in any test reporter or CI log.
   */
  ladder(frames: readonly number[], options: { max?: number } = {}): string {
    const max = options.max ?? 12;
    const wanted = [...new Set(frames)].sort((a, b) => a - b);
    const shown = wanted.slice(0, max);
    const entries: TimelineEntry[] = [];
    for (const n of shown) {
      const k = this.keptOf(n);
      if (k) entries.push(timelineEntry(k.packet, k.analysis, k.app, k.explanation));
    }
    if (entries.length === 0) return '';
    const timeline: Timeline = {
      entries,
      initialRtt: (s) => this.analyzer.tcp.initialRtt(s),
      warnings: [],
      startSec: this.t0Sec,
      startNsec: this.t0Nsec,
    };
    const text = renderText(buildLadder(timeline, { all: true, title: '' }), { ascii: true, laneWidth: 30 });
    const more = wanted.length - shown.length;
    return more > 0 ? `${text.trimEnd()}\n  … ${more} more packet(s) not shown\n` : text;
  }

  // -------------------------------------------------------------------------------------------

  private compile(text: string): PacketFilter {
    let f = this.filters.get(text);
    if (!f) this.filters.set(text, (f = compileFilter(text)));
    return f;
  }

  private rel(sec: number, nsec: number): number {
    return round9(sec - this.t0Sec + (nsec - this.t0Nsec) / 1e9);
  }

  /** The clock at the i-th packet, every packet shown (what `read` without a filter gives it). */
  private clockAt(i: number): FrameClock {
    const clock = new FrameClock();
    clock.advance(this.kept[0]!.packet.frame);
    if (i > 1) clock.advance(this.kept[i - 1]!.packet.frame);
    if (i > 0) {
      clock.shown();
      clock.advance(this.kept[i]!.packet.frame);
    }
    return clock;
  }

  private view(k: Kept, index: number): TracePacket {
    const trace = this;
    const f = k.packet.frame;
    let json: PacketJson | undefined;
    let info: string | undefined;
    const ex = k.explanation;
    const stream = k.analysis.tcp ? { proto: 'tcp' as const, id: k.analysis.tcp.stream } : k.analysis.udpStream !== undefined ? { proto: 'udp' as const, id: k.analysis.udpStream } : undefined;
    const getJson = () => (json ??= packetToJson(k.packet, k.analysis, trace.clockAt(index)));
    return {
      number: f.number,
      time: this.rel(f.tsSec, f.tsNsec),
      epoch: f.tsSec + f.tsNsec / 1e9,
      layers: (k.analysis.reassembled ?? k.packet).layers,
      explanation: ex,
      ...(stream ? { stream } : {}),
      get(field) {
        const v = getJson()[field];
        return Array.isArray(v) ? v[0] : v;
      },
      getAll(field) {
        const v = getJson()[field];
        return v === undefined ? [] : Array.isArray(v) ? [...v] : [v];
      },
      has(field) {
        return trace.compile(field).matches(k.packet, k.analysis, trace.clockAt(index));
      },
      json: () => ({ ...getJson() }),
      get info() {
        return (info ??= summarize(k.packet, k.analysis).info);
      },
      get summary() {
        const c = summarize(k.packet, k.analysis);
        const t = trace.rel(f.tsSec, f.tsNsec).toFixed(6);
        return `${String(f.number).padStart(5)} ${t.padStart(11)} ${c.source} → ${c.destination} ${c.protocol} ${f.origLen} ${c.info}`;
      },
    };
  }

  private framesByStream(proto: 'tcp' | 'udp'): Map<number, number[]> {
    const key = `frames:${proto}`;
    let m = this.cache.get(key) as Map<number, number[]> | undefined;
    if (m) return m;
    m = new Map();
    for (const k of this.kept) {
      const s = proto === 'tcp' ? k.analysis.tcp?.stream : k.analysis.udpStream;
      if (s === undefined) continue;
      let list = m.get(s);
      if (!list) m.set(s, (list = []));
      list.push(k.packet.frame.number);
    }
    this.cache.set(key, m);
    return m;
  }

  private buildConnections(): TcpConnectionInfo[] {
    const frames = this.framesByStream('tcp');
    const retrans = new Map<number, PacketRef[]>();
    for (const k of this.kept) {
      const t = k.analysis.tcp;
      if (t && (t.flags & RETRANSMITTED) !== 0) {
        let l = retrans.get(t.stream);
        if (!l) retrans.set(t.stream, (l = []));
        l.push(this.ref(k.packet.frame.number));
      }
    }
    return this.analyzer.connections().map((c) => {
      const s = this.lifecycle.summary(c.stream);
      const dir: Dir = s?.clientDir ?? 0;
      const [cl, sv] = dir === 0 ? [c.a, c.b] : [c.b, c.a];
      const each = (pair: readonly [number, number]) => (dir === 0 ? { c2s: pair[0], s2c: pair[1] } : { c2s: pair[1], s2c: pair[0] });
      const fl = frames.get(c.stream) ?? [];
      const info: TcpConnectionInfo = {
        stream: c.stream,
        client: { ip: cl.address, port: cl.port },
        server: { ip: sv.address, port: sv.port },
        state: s?.state ?? 'OTH',
        history: s?.history ?? '',
        retransmissions: retrans.get(c.stream) ?? [],
        bytes: each(c.payloadBytes),
        packets: each(c.packets),
        ...this.span(fl),
        frames: fl,
      };
      const hs = s?.handshake;
      if (s && hs && hs.synTime !== undefined) {
        info.handshake = {
          complete: hs.complete,
          ...(hs.rtt !== undefined ? { rtt: round9(hs.rtt) } : {}),
          ...(hs.client.isn !== undefined ? { clientIsn: hs.client.isn } : {}),
          ...(hs.server.isn !== undefined ? { serverIsn: hs.server.isn } : {}),
          mss: { client: hs.client.mss, server: hs.server.mss },
          windowScale: { client: hs.client.wscale, server: hs.server.wscale },
          sackPermitted: hs.client.sackPermitted && hs.server.sackPermitted,
        };
      }
      if (s?.closedBy) info.closedBy = s.closedBy;
      if (s?.resetBy) info.resetBy = s.resetBy;
      return info;
    });
  }

  /** start and duration from the frames' own timestamps (exact, as flows.ts computes them). */
  private span(frames: readonly number[]): { start: number; duration: number } {
    const a = frames.length ? this.packet(frames[0]!) : undefined;
    const b = frames.length ? this.packet(frames[frames.length - 1]!) : undefined;
    if (!a || !b) return { start: 0, duration: 0 };
    return { start: a.time, duration: round9(b.time - a.time) };
  }

  private buildUdpFlows(): UdpFlowInfo[] {
    const frames = this.framesByStream('udp');
    return this.analyzer.udpConversations().map((c) => {
      const s = this.udpConvs.summary(c.stream);
      const dir: Dir = s?.clientDir ?? 0;
      const [cl, sv] = dir === 0 ? [c.a, c.b] : [c.b, c.a];
      const each = (pair: readonly [number, number]) => (dir === 0 ? { c2s: pair[0], s2c: pair[1] } : { c2s: pair[1], s2c: pair[0] });
      const fl = frames.get(c.stream) ?? [];
      return {
        stream: c.stream,
        client: { ip: cl.address, port: cl.port },
        server: { ip: sv.address, port: sv.port },
        state: s?.state ?? 'OTH',
        history: s?.history ?? '',
        bytes: each(c.payloadBytes),
        packets: each(c.packets),
        ...this.span(fl),
        frames: fl,
      };
    });
  }

  /**
   * Requests and responses pair in order per connection (RFC 9112 §9.3: responses come in the
   * order of the requests); an interim 1xx other than 101 does not answer a request (RFC 9110
   * §15.2). Response headers come from the parser's own records (the stage's messages carry only
   * the request's), matched by stream and completing frame.
   */
  private buildExchanges(): HttpExchange[] {
    const responses = new Map<string, HttpResponse[]>();
    for (const k of this.kept) {
      for (const m of k.app) {
        if (m.kind !== 'http' || m.msg.kind !== 'response' || !k.analysis.tcp) continue;
        const key = `${k.analysis.tcp.stream}|${m.msg.frame}`;
        const l = responses.get(key);
        if (l) l.push(m.msg);
        else responses.set(key, [m.msg]);
      }
    }
    const out: HttpExchange[] = [];
    const open = new Map<number, HttpExchange[]>();
    for (const m of this.messages) {
      if (m.proto !== 'http') continue;
      if (m.kind === 'request') {
        const ex: HttpExchange = {
          stream: m.stream,
          request: {
            method: String(m['method']),
            uri: String(m['uri']),
            version: String(m['version']),
            headers: (m['headers'] as [string, string][]).map(([name, value]) => ({ name, value })),
            frame: m.frame,
            time: m.time,
          },
        };
        out.push(ex);
        let q = open.get(m.stream);
        if (!q) open.set(m.stream, (q = []));
        q.push(ex);
      } else if (m.kind === 'response') {
        const status = m['status'] as number;
        const raw = responses.get(`${m.stream}|${m.frame}`)?.find((r) => r.status === status);
        const response = {
          status,
          phrase: String(m['phrase']),
          ...(raw ? { version: raw.version } : {}),
          headers: raw ? raw.headers.map((h) => ({ name: h.name, value: h.value })) : [],
          frame: m.frame,
          time: m.time,
          ...(m['content_type'] ? { contentType: String(m['content_type']) } : {}),
          bodyLength: m['body_len'] as number,
        };
        if (status >= 100 && status < 200 && status !== 101) continue;
        const ex = open.get(m.stream)?.shift();
        if (ex) {
          ex.response = response;
          if (typeof m['latency'] === 'number') ex.latency = m['latency'];
        }
      }
    }
    return out;
  }

  private buildWsMessages(): WebSocketMessage[] {
    const out: WebSocketMessage[] = [];
    for (const m of this.messages) {
      if (m.proto !== 'websocket') continue;
      const base = { stream: m.stream, dir: m.dir, frame: m.frame, time: m.time };
      if (m.kind === 'message') {
        const w: WebSocketMessage = { ...base, opcode: m['opcode'] as number, bytes: m['bytes'] as number, frames: m['frames'] as number };
        if (typeof m['text'] === 'string') w.text = m['text'];
        out.push(w);
      } else if (m.kind === 'close') {
        const w: WebSocketMessage = { ...base, opcode: 8, bytes: m['payload_len'] as number, frames: 1 };
        if (m['close_code'] !== null) w.closeCode = m['close_code'] as number;
        if (m['close_reason'] !== null) w.closeReason = m['close_reason'] as string;
        out.push(w);
      } else if (m.kind === 'ping' || m.kind === 'pong') {
        out.push({ ...base, opcode: m.kind === 'ping' ? 9 : 10, bytes: m['payload_len'] as number, frames: 1 });
      }
    }
    return out;
  }

  private buildSseEvents(): SseEventInfo[] {
    return this.messages
      .filter((m) => m.proto === 'sse' && m.kind === 'event')
      .map((m) => {
        const e: SseEventInfo = { stream: m.stream, event: String(m['event']), data: String(m['data']), frame: m.frame, time: m.time };
        if (m['id']) e.id = String(m['id']);
        if (m['retry'] !== undefined) e.retry = m['retry'] as number;
        return e;
      });
  }

  private buildDns(): DnsTransaction[] {
    const out: DnsTransaction[] = [];
    const answered = new Set<number>();
    // Copies sent again, counted on the first copy's transaction (by the first copy's frame).
    const repeats = new Map<number, number>();
    for (const m of this.messages) {
      const first = m['retransmission_of'];
      if (m.proto === 'dns' && typeof first === 'number') repeats.set(first, (repeats.get(first) ?? 0) + 1);
    }
    for (const m of this.messages) {
      if (m.proto !== 'dns' || m.kind !== 'response' || m['retransmission_of'] !== undefined) continue;
      const t: DnsTransaction = {
        id: m['id'] as number,
        name: m['name'] as string | null,
        type: m['type'] as string | null,
        rcode: m['rcode'] as number,
        answers: [...(m['answers'] as string[])],
        responseFrame: m.frame,
        transport: m.transport,
        stream: m.stream,
        retransmissions: repeats.get(m.frame) ?? 0,
      };
      if (typeof m['latency'] === 'number') t.latency = round9(m['latency']);
      if (typeof m['query_frame'] === 'number') {
        t.queryFrame = m['query_frame'];
        t.retransmissions += repeats.get(m['query_frame']) ?? 0;
        answered.add(m['query_frame']);
      }
      out.push(t);
    }
    // Queries nobody answered are transactions too: an assertion on them is often the point.
    for (const m of this.messages) {
      if (m.proto !== 'dns' || m.kind !== 'query' || answered.has(m.frame) || m['retransmission_of'] !== undefined) continue;
      const retransmissions = repeats.get(m.frame) ?? 0;
      out.push({ id: m['id'] as number, name: m['name'] as string | null, type: m['type'] as string | null, answers: [], queryFrame: m.frame, transport: m.transport, stream: m.stream, retransmissions });
    }
    return out.sort((a, b) => (a.queryFrame ?? a.responseFrame ?? 0) - (b.queryFrame ?? b.responseFrame ?? 0));
  }

  private buildTlsHellos(): TlsHello[] {
    return this.messages
      .filter((m) => m.proto === 'tls')
      .map((m) => {
        const h: TlsHello = {
          kind: m.kind === 'client_hello' ? 'client' : 'server',
          stream: m.stream,
          sni: (m['sni'] as string | null) ?? null,
          alpn: [...((m['alpn'] as string[]) ?? [])],
          versions: [...((m['versions'] as string[]) ?? [])],
          frame: m.frame,
          time: m.time,
        };
        if (typeof m['cipher'] === 'string') h.cipher = m['cipher'];
        return h;
      });
  }
}


/**
 * From a capture file to timeline entries: read, decode, analyse (sequence analysis, lifecycle,
 * application messages), explain, then select. Every packet goes through the analysis and the
 * Explainer, selected or not, because both keep cross-packet state; the selection (-Y, --stream)
 * only decides what is kept. An entry keeps small values only (no frame bytes), so a long capture
 * costs a few hundred bytes per selected packet.
 */
import { openCapture } from '../capture/reader.js';
import { Analyzer, type PacketAnalysis } from '../analysis/analyzer.js';
import { TcpLifecycle } from '../analysis/tcp-lifecycle.js';
import { decodePacket } from '../decode/bindings.js';
import type { Frame } from '../capture/frame.js';
import type { Packet } from '../decode/layer.js';
import type { ReadWarning } from '../errors.js';
import type { PacketFilter } from '../filter/index.js';
import { summarize } from '../output/summary.js';
import { TcpLayer } from '../wire/tcp.js';
import { UdpLayer } from '../wire/udp.js';
import { AppRecordTap, AppStage, appAnalyzerOptions, readsHttpBodies, readsHttpFields, type AppRecord } from '../analysis/app.js';
import { dnsLabel, Explainer, explainApp } from './explainer.js';
import { bytesText, maxSeverity, type PacketExplanation } from './explanation.js';
import { WsOpcode } from '../protocols/websocket.js';
import { HandshakeType, tlsAlertText, tlsVersionText } from '../protocols/tls.js';
import { FrameClock } from '../capture/frame-clock.js';

export interface TcpEntry {
  stream: number;
  /** TCP header flags (TcpFlag bits). */
  flags: number;
  /** Relative sequence and acknowledgment numbers, as Wireshark shows them. */
  seq: number;
  ack: number;
  len: number;
  window: number;
  /** TcpAnalysisFlag bits. */
  analysis: number;
  /** tcp.analysis.ack_rtt in seconds, NaN when the segment has none. */
  ackRtt: number;
}

export interface TimelineEntry {
  frame: number;
  tsSec: number;
  tsNsec: number;
  origLen: number;
  /** Network (or link) addresses, and transport ports when there are any. */
  srcHost: string;
  dstHost: string;
  srcPort?: number;
  dstPort?: number;
  /** Wireshark's Protocol and Info columns (Info escaped for control characters). */
  protocol: string;
  info: string;
  tcp?: TcpEntry;
  udpStream?: number;
  /** Short labels of the application messages this packet completed (wire text unescaped). */
  app: string[];
  comments: string[];
  explained: PacketExplanation;
}

export interface TimelineOptions {
  filter?: PacketFilter;
  /** Keep only this tcp.stream. */
  stream?: number;
  /** Stop after this many selected packets. */
  max?: number;
}

export interface Timeline {
  entries: TimelineEntry[];
  /** Handshake RTT (seconds) per tcp.stream, NaN when unknown. */
  initialRtt(stream: number): number;
  warnings: ReadWarning[];
  /** Capture start (the first packet's time), for relative times. */
  startSec: number;
  startNsec: number;
}

/**
 * The pipeline one packet at a time, for callers that read the file themselves (the terminal UI
 * reads in time slices so that keys are handled while a long capture is read).
 */
export class TimelineBuilder {
  private readonly lifecycle = new TcpLifecycle();
  private readonly records = new AppRecordTap();
  private readonly stage: AppStage;
  private readonly analyzer: Analyzer;
  protected readonly explainer = new Explainer({ lifecycle: this.lifecycle });
  private readonly entries: TimelineEntry[] = [];
  private readonly max: number;
  /** The capture's first packet's time, NaN before it. */
  protected startSec = Number.NaN;
  protected startNsec = 0;
  /** For -Y's frame.time_relative and deltas: a frame is displayed when it is selected. */
  private readonly clock = new FrameClock();

  constructor(private readonly options: TimelineOptions = {}) {
    this.max = options.max ?? Number.POSITIVE_INFINITY;
    // The application stage `read` runs, so Protocol, Info and -Y (http, tls, dns…) are the same
    // here; with one stream selected, only that stream's bytes are parsed.
    const only = options.stream;
    // Explanations read no header but Host and the credentials, which are always kept: the others
    // (and bodies) only for a filter.
    this.stage = new AppStage({ onRecord: this.records.onRecord, allHeaders: readsHttpFields(options.filter), bodies: readsHttpBodies(options.filter), ...(only !== undefined ? { tcpStreams: (s: number) => s === only } : {}) });
    // IP reassembly as read does it (Wireshark's default): a datagram is explained whole on its last fragment.
    this.analyzer = new Analyzer(appAnalyzerOptions(this.stage, { defragment: true, tcpObservers: [this.lifecycle] }));
  }

  /** True once `max` packets were selected: the rest of the file need not be read. */
  get full(): boolean {
    return this.entries.length >= this.max;
  }

  add(packet: Packet): void {
    const frame = packet.frame;
    if (Number.isNaN(this.startSec)) {
      this.startSec = frame.tsSec;
      this.startNsec = frame.tsNsec;
      // Message times count from the capture's start whichever stream is parsed (latencies are
      // differences of them: the same base gives the same digits).
      this.stage.setTimeBase(frame.tsSec, frame.tsNsec);
    }
    const analysis = this.analyzer.analyze(packet);
    this.clock.advance(frame);
    // A datagram this fragment completed is shown whole, as read shows it.
    const shown = analysis.reassembled ?? packet;
    const app = this.records.take();
    const explained = this.explainer.explain(shown, analysis, app);
    if (this.full) return;
    if (this.options.stream !== undefined && analysis.tcp?.stream !== this.options.stream) return;
    if (this.options.filter && !this.options.filter.matches(packet, analysis, this.clock)) return;
    this.clock.shown();
    this.select(shown, analysis, app, explained);
  }

  /** Keeps a selected packet, as a timeline entry (the terminal UI keeps less: tui/stream-record.ts). */
  protected select(packet: Packet, analysis: PacketAnalysis, app: readonly AppRecord[], explained: PacketExplanation): void {
    this.entries.push(timelineEntry(packet, analysis, app, explained));
  }

  /**
   * Messages only the capture's end completed (a body delimited by a close that was never
   * captured, a message cut short), on the frame the stage names for them (the packet of their
   * last bytes, AppStageOptions.onRecord).
   */
  protected late(frame: number, app: AppRecord[]): void {
    const e = findFrame(this.entries, frame, (x) => x.frame);
    if (e) addLateRecords(e, app);
  }

  /** The selected entries; call once, after the last packet. */
  finish(warnings: ReadWarning[] = []): Timeline {
    this.analyzer.finish();
    for (const [frame, app] of this.records.takeLate()) this.late(frame, app);
    const tcp = this.analyzer.tcp;
    return {
      entries: this.entries,
      initialRtt: (s) => tcp.initialRtt(s),
      warnings,
      startSec: Number.isNaN(this.startSec) ? 0 : this.startSec,
      startNsec: this.startNsec,
    };
  }
}

/** Runs the whole pipeline over a capture file and returns the selected entries. */
export async function buildTimeline(file: string, options: TimelineOptions = {}): Promise<Timeline> {
  const builder = new TimelineBuilder(options);
  const reader = await openCapture(file);
  try {
    outer: for await (const batch of reader.batches()) {
      for (const frame of batch) {
        builder.add(decodePacket(frame));
        if (builder.full) break outer;
      }
    }
  } finally {
    reader.close();
  }
  return builder.finish(reader.warnings);
}

/** A packet's timeline record (also what a Trace's ladder is drawn from: src/assert/trace.ts). */
export function timelineEntry(
  packet: Packet,
  analysis: PacketAnalysis,
  app: readonly AppRecord[],
  explained: PacketExplanation,
): TimelineEntry {
  const f = packet.frame;
  const info = analysis.tcp;
  const udpStream = analysis.udpStream;
  const cols = summarize(packet, analysis);
  const e: TimelineEntry = {
    frame: f.number,
    tsSec: f.tsSec,
    tsNsec: f.tsNsec,
    origLen: f.origLen,
    srcHost: cols.source,
    dstHost: cols.destination,
    protocol: cols.protocol,
    info: cols.info,
    app: app.map(appLabel),
    comments: f.comments ?? [],
    explained,
  };
  let t: TcpLayer | UdpLayer | undefined;
  for (let i = packet.layers.length - 1; i > 0; i--) {
    const l = packet.layers[i];
    if (l instanceof TcpLayer || l instanceof UdpLayer) {
      t = l;
      break;
    }
  }
  if (t) {
    e.srcPort = t.srcPort;
    e.dstPort = t.dstPort;
  }
  if (t instanceof TcpLayer && info) {
    const len = tcpLen(t, f);
    e.tcp = { stream: info.stream, flags: t.flags, seq: info.seq, ack: info.ack, len, window: info.window, analysis: info.flags, ackRtt: info.ackRtt };
  }
  if (udpStream !== undefined) e.udpStream = udpStream;
  return e;
}

/** tcp.len as the timeline counts it: 0 when the capture cut the header short of the payload's start. */
export function tcpLen(t: TcpLayer, frame: Frame): number {
  return t.payloadOffset <= frame.data.length || t.status === 'ok' ? t.payloadLength : 0;
}

/** The item of frame number `frame` among items in capture order (binary search), if there is one. */
export function findFrame<T>(items: readonly T[], frame: number, frameOf: (item: T) => number): T | undefined {
  let lo = 0;
  for (let hi = items.length; lo < hi; ) {
    const mid = (lo + hi) >> 1;
    if (frameOf(items[mid]!) < frame) lo = mid + 1;
    else hi = mid;
  }
  const found = items[lo];
  return found !== undefined && frameOf(found) === frame ? found : undefined;
}

/** Adds the sentences of messages completed after a packet was explained, first (as explainTcp orders them). */
export function explainLate(ex: PacketExplanation, app: readonly AppRecord[]): void {
  const sentences = app.map(explainApp).filter((x) => x !== undefined);
  ex.explanations.unshift(...sentences);
  for (const s of sentences) ex.severity = maxSeverity(ex.severity, s.severity);
}

/** Adds messages completed after an entry was made: their sentences and their labels. */
export function addLateRecords(e: TimelineEntry, app: readonly AppRecord[]): void {
  explainLate(e.explained, app);
  e.app.push(...app.map(appLabel));
}

/** A ladder label for an application message: what a sequence diagram would write on the arrow. */
export function appLabel(m: AppRecord): string {
  switch (m.kind) {
    case 'http':
      return m.msg.kind === 'request' ? `${m.msg.method} ${m.msg.uri}` : `${m.msg.status} ${m.msg.phrase}`.trim();
    case 'http-upgrade':
      return `upgrade to ${m.upgrade.protocol}`;
    case 'ws-message': {
      const k = m.msg.opcode === WsOpcode.TEXT ? 'WS text' : m.msg.opcode === WsOpcode.BINARY ? 'WS binary' : `WS opcode ${m.msg.opcode}`;
      return `${k} ${bytesText(m.msg.bytes)}${m.msg.frames > 1 ? ` (${m.msg.frames} fragments)` : ''}${m.masked ? ' masked' : ''}`;
    }
    case 'ws-ping':
      return 'WS ping';
    case 'ws-pong':
      return 'WS pong';
    case 'ws-close':
      return `WS close${m.close.closeCode !== undefined ? ` ${m.close.closeCode}` : ''}`;
    case 'sse':
      return `SSE ${m.event.event}${m.event.id ? ` #${m.event.id}` : ''}`;
    case 'tls-hello': {
      const s = m.hello.summary;
      if (m.hello.type === HandshakeType.ClientHello) return `TLS ClientHello${s?.sni !== undefined ? ` ${s.sni}` : ''}`;
      return `TLS ServerHello${s?.versions.length ? ` ${tlsVersionText(s.versions[0]!)}` : ''}`;
    }
    case 'tls-alert':
      return `TLS alert ${tlsAlertText(m).description}`;
    case 'dns':
      return dnsLabel(explainApp(m)!);
  }
}

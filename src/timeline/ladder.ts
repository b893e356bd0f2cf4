/**
 * The ladder (sequence diagram) model, shared by every renderer: lanes for endpoints, one arrow per
 * packet, rows grouped into the phases of their connection (handshake, data, teardown, abort), and
 * long runs of unremarkable bulk transfer collapsed into one row.
 *
 * Arrows carry a style derived from the analysis so that renderers draw a retransmission unlike its
 * original (tshark's `-z flow` draws both the same): 'retransmission' for retransmitted, spurious
 * and out-of-order data, 'warning' for other warnings (zero window, lost segment …), 'error' for
 * RST and malformed packets.
 *
 * All strings here are unescaped; each renderer escapes for its medium (escape.ts).
 */
import { TcpAnalysisFlag } from '../analysis/tcp-tracker.js';
import { TcpFlag } from '../wire/tcp.js';
import { dnsLabel } from './explainer.js';
import { bytesText, durationText, nsBetween, severityRank, type Explanation, type Phase, type Severity } from './explanation.js';
import type { Timeline, TimelineEntry } from './pipeline.js';

export type TimeMode = 'abs' | 'rel' | 'delta';
export type ArrowStyle = 'normal' | 'retransmission' | 'warning' | 'error';

export interface Lane {
  id: number;
  label: string;
}

export interface LadderArrow {
  kind: 'arrow';
  frame: number;
  from: number;
  to: number;
  /** Seconds since the capture's first packet (for time-scaled drawings). */
  t: number;
  /** The time as the chosen mode shows it. */
  time: string;
  label: string;
  /** The main explanation, then the others (comments excluded: see `comments`). */
  explanation: Explanation;
  extra: Explanation[];
  comments: string[];
  severity: Severity;
  style: ArrowStyle;
  /** Short tags for expert flags, e.g. "Retransmission", "Dup ACK #3". */
  marks: string[];
  stream?: number;
}

export interface LadderCollapsed {
  kind: 'collapsed';
  firstFrame: number;
  lastFrame: number;
  /** Direction of most of the bytes. */
  from: number;
  to: number;
  t: number;
  time: string;
  segments: number;
  bytes: number;
  durationNs: number;
  /** "… 48 segments, 69 120 bytes, 3.2 ms …" */
  text: string;
}

export type LadderRow = LadderArrow | LadderCollapsed;

export interface LadderGroup {
  /** undefined for packets outside a TCP connection (no bracket drawn). */
  phase?: Phase;
  stream?: number;
  label: string;
  rows: LadderRow[];
}

export interface Ladder {
  title: string;
  lanes: Lane[];
  groups: LadderGroup[];
  timeMode: TimeMode;
  /** Estimated one-way delay (half the handshake RTT) per stream in seconds, NaN unknown. */
  oneWay(stream: number): number;
  /** Time span of the rows in seconds since the capture start. */
  start: number;
  end: number;
}

export interface LadderOptions {
  /** Lanes per endpoint (host:port, default) or per host. */
  by?: 'endpoint' | 'host';
  time?: TimeMode;
  /** Show every packet (no collapsing). */
  all?: boolean;
  /** Shortest run of bulk packets that is collapsed (default 6). */
  collapseMin?: number;
  title?: string;
}

const RETRANSMITTED =
  TcpAnalysisFlag.RETRANSMISSION | TcpAnalysisFlag.FAST_RETRANSMISSION | TcpAnalysisFlag.SPURIOUS_RETRANSMISSION | TcpAnalysisFlag.OUT_OF_ORDER;

/** Expert flag tags, in the order tshark's Info column lists them. */
const MARKS: readonly (readonly [number, string])[] = [
  [TcpAnalysisFlag.SPURIOUS_RETRANSMISSION, 'Spurious retransmission'],
  [TcpAnalysisFlag.FAST_RETRANSMISSION, 'Fast retransmission'],
  [TcpAnalysisFlag.RETRANSMISSION, 'Retransmission'],
  [TcpAnalysisFlag.OUT_OF_ORDER, 'Out-of-order'],
  [TcpAnalysisFlag.LOST_SEGMENT, 'Previous segment not captured'],
  [TcpAnalysisFlag.ACK_LOST_SEGMENT, 'ACKed unseen segment'],
  [TcpAnalysisFlag.DUPLICATE_ACK, 'Dup ACK'],
  [TcpAnalysisFlag.ZERO_WINDOW, 'Zero window'],
  [TcpAnalysisFlag.ZERO_WINDOW_PROBE, 'Zero-window probe'],
  [TcpAnalysisFlag.ZERO_WINDOW_PROBE_ACK, 'Zero-window probe ACK'],
  [TcpAnalysisFlag.WINDOW_FULL, 'Window full'],
  [TcpAnalysisFlag.WINDOW_UPDATE, 'Window update'],
  [TcpAnalysisFlag.KEEP_ALIVE, 'Keep-alive'],
  [TcpAnalysisFlag.KEEP_ALIVE_ACK, 'Keep-alive ACK'],
  [TcpAnalysisFlag.REUSED_PORTS, 'Ports reused'],
];

const FLAG_NAMES: readonly (readonly [number, string])[] = [
  [TcpFlag.FIN, 'FIN'],
  [TcpFlag.SYN, 'SYN'],
  [TcpFlag.RST, 'RST'],
  [TcpFlag.PSH, 'PSH'],
  [TcpFlag.ACK, 'ACK'],
  [TcpFlag.URG, 'URG'],
];

/** Flag names in tshark's Info order (lowest bit first: "FIN, PSH, ACK"). */
export function tcpFlagsText(flags: number): string {
  const names: string[] = [];
  for (const [bit, name] of FLAG_NAMES) if (flags & bit) names.push(name);
  return names.length ? names.join(', ') : '<none>';
}

/** A lane's label: host:port ([v6]:port), or the host alone. */
export function endpointLabel(host: string, port: number | undefined, by: 'endpoint' | 'host'): string {
  if (by === 'host' || port === undefined) return host;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function arrowStyle(e: TimelineEntry): ArrowStyle {
  if (e.tcp && e.tcp.analysis & RETRANSMITTED) return 'retransmission';
  if (e.explained.severity === 'error' || (e.tcp && e.tcp.flags & TcpFlag.RST)) return 'error';
  if (severityRank(e.explained.severity) >= severityRank('warn')) return 'warning';
  return 'normal';
}

/** Longest label kept in the model; renderers cut further to fit. */
const MAX_LABEL = 80;

function labelOf(e: TimelineEntry): string {
  const s = rawLabel(e);
  return s.length > MAX_LABEL ? `${s.slice(0, MAX_LABEL - 1)}…` : s;
}

function rawLabel(e: TimelineEntry): string {
  if (e.app.length > 0) return e.app.join('; ');
  const main = e.explained.explanations[0];
  if (main?.code === 'WL_EXPLAIN_DNS_QUERY' || main?.code === 'WL_EXPLAIN_DNS_RESPONSE') return dnsLabel(main);
  const t = e.tcp;
  if (t) return `${tcpFlagsText(t.flags)} seq=${t.seq}${t.flags & TcpFlag.ACK ? ` ack=${t.ack}` : ''}${t.len > 0 ? ` len=${t.len}` : ''}`;
  return e.info ? `${e.protocol}: ${e.info}` : e.protocol;
}

function isBulk(a: LadderArrow, e: TimelineEntry): boolean {
  if (!e.tcp || a.style !== 'normal' || a.severity !== 'chat' || e.app.length > 0 || a.comments.length > 0) return false;
  if (e.explained.phase !== 'data') return false;
  if (e.tcp.flags & (TcpFlag.SYN | TcpFlag.FIN | TcpFlag.RST)) return false;
  return a.extra.length === 0 && (a.explanation.code === 'WL_EXPLAIN_TCP_DATA' || a.explanation.code === 'WL_EXPLAIN_TCP_ACK');
}

export function formatTime(mode: TimeMode, sec: number, nsec: number, startSec: number, startNsec: number, prevSec: number, prevNsec: number): string {
  if (mode === 'abs') {
    const d = new Date(sec * 1000);
    const hms = d.toISOString().slice(11, 19);
    return `${hms}.${String(Math.floor(nsec / 1000)).padStart(6, '0')}`;
  }
  const ns = mode === 'rel' ? nsBetween(sec, nsec, startSec, startNsec) : nsBetween(sec, nsec, prevSec, prevNsec);
  const neg = ns < 0;
  const us = Math.round(Math.abs(ns) / 1000);
  const s = `${Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, '0')}`;
  return mode === 'delta' ? `${neg ? '-' : '+'}${s}` : `${neg ? '-' : ''}${s}`;
}

/** Builds the ladder from timeline entries (in capture order). */
export function buildLadder(timeline: Timeline, options: LadderOptions = {}): Ladder {
  const by = options.by ?? 'endpoint';
  const mode = options.time ?? 'rel';
  const lanes: Lane[] = [];
  const laneIds = new Map<string, number>();
  const lane = (label: string): number => {
    let id = laneIds.get(label);
    if (id === undefined) {
      id = lanes.length;
      laneIds.set(label, id);
      lanes.push({ id, label });
    }
    return id;
  };
  const { startSec, startNsec } = timeline;
  let prevSec = startSec;
  let prevNsec = startNsec;
  const arrows: { a: LadderArrow; e: TimelineEntry }[] = [];
  for (const e of timeline.entries) {
    const from = lane(endpointLabel(e.srcHost, e.srcPort, by));
    const to = lane(endpointLabel(e.dstHost, e.dstPort, by));
    const [main, ...rest] = e.explained.explanations.filter((x) => x.code !== 'WL_EXPLAIN_COMMENT');
    const marks: string[] = [];
    if (e.tcp) {
      for (const [bit, name] of MARKS) {
        if (!(e.tcp.analysis & bit)) continue;
        // Fast and spurious retransmissions are retransmissions too (tshark shows both fields); one tag is enough.
        if (bit === TcpAnalysisFlag.RETRANSMISSION && e.tcp.analysis & (TcpAnalysisFlag.FAST_RETRANSMISSION | TcpAnalysisFlag.SPURIOUS_RETRANSMISSION)) continue;
        if (bit === TcpAnalysisFlag.DUPLICATE_ACK) {
          const n = e.explained.explanations.find((x) => x.code === 'WL_EXPLAIN_TCP_DUP_ACK')?.params.n;
          marks.push(n !== undefined ? `Dup ACK #${n}` : name);
        } else marks.push(name);
      }
      if (e.tcp.flags & TcpFlag.RST) marks.push('RST');
    }
    const a: LadderArrow = {
      kind: 'arrow',
      frame: e.frame,
      from,
      to,
      t: nsBetween(e.tsSec, e.tsNsec, startSec, startNsec) / 1e9,
      time: formatTime(mode, e.tsSec, e.tsNsec, startSec, startNsec, prevSec, prevNsec),
      label: labelOf(e),
      explanation: main!,
      extra: rest,
      comments: e.comments,
      severity: e.explained.severity,
      style: arrowStyle(e),
      marks,
      ...(e.tcp ? { stream: e.tcp.stream } : {}),
    };
    prevSec = e.tsSec;
    prevNsec = e.tsNsec;
    arrows.push({ a, e });
  }

  // Group into phases and collapse bulk runs inside each group.
  const groups: LadderGroup[] = [];
  const min = options.all ? Number.POSITIVE_INFINITY : Math.max(2, options.collapseMin ?? 6);
  let cur: LadderGroup | undefined;
  let run: { a: LadderArrow; e: TimelineEntry }[] = [];
  const flush = () => {
    if (!cur) return;
    if (run.length >= min) cur.rows.push(collapse(run, mode, startSec, startNsec));
    else for (const r of run) cur.rows.push(r.a);
    run = [];
  };
  for (const x of arrows) {
    const phase = x.e.explained.phase;
    const stream = x.e.tcp?.stream;
    if (!cur || cur.phase !== phase || cur.stream !== stream) {
      flush();
      cur = { ...(phase ? { phase } : {}), ...(stream !== undefined ? { stream } : {}), label: phase ? `${phase} · tcp.stream ${stream}` : '', rows: [] };
      groups.push(cur);
    }
    if (isBulk(x.a, x.e)) {
      // A run is one stream's bulk rows; anything else ends it.
      run.push(x);
      continue;
    }
    flush();
    cur.rows.push(x.a);
  }
  flush();
  const first = arrows[0]?.a.t ?? 0;
  const last = arrows[arrows.length - 1]?.a.t ?? 0;
  return {
    title: options.title ?? '',
    lanes,
    groups,
    timeMode: mode,
    oneWay: (s) => timeline.initialRtt(s) / 2,
    start: first,
    end: last,
  };
}

function collapse(run: { a: LadderArrow; e: TimelineEntry }[], mode: TimeMode, startSec: number, startNsec: number): LadderCollapsed {
  const first = run[0]!;
  const last = run[run.length - 1]!;
  const byDir = new Map<string, number>();
  let bytes = 0;
  for (const { a, e } of run) {
    const len = e.tcp?.len ?? 0;
    bytes += len;
    const k = `${a.from}>${a.to}`;
    byDir.set(k, (byDir.get(k) ?? 0) + len + 1e-9);
  }
  let best = `${first.a.from}>${first.a.to}`;
  for (const [k, v] of byDir) if (v > (byDir.get(best) ?? 0)) best = k;
  const [from, to] = best.split('>').map(Number) as [number, number];
  const durationNs = nsBetween(last.e.tsSec, last.e.tsNsec, first.e.tsSec, first.e.tsNsec);
  return {
    kind: 'collapsed',
    firstFrame: first.a.frame,
    lastFrame: last.a.frame,
    from,
    to,
    t: first.a.t,
    time: mode === 'delta' ? first.a.time : formatTime(mode, first.e.tsSec, first.e.tsNsec, startSec, startNsec, startSec, startNsec),
    segments: run.length,
    bytes,
    durationNs,
    text: `… ${run.length} segments, ${bytesText(bytes)}, ${durationText(durationNs)} …`,
  };
}

/**
 * The series behind the graphs view, computed from one TCP stream's segments: pure, so they are
 * unit-tested against tshark's fields without a terminal.
 *
 * The chart (blessed-contrib `line`) spaces its points evenly, one per label, so every graph is
 * sampled on one grid of equal time intervals: the interval is the smallest 1-2-5 step that covers
 * the stream's duration in at most the number of points the chart has room for. A value of NaN
 * means "nothing in this interval" (the chart leaves a gap).
 *
 * - Sequence number (Stevens' time-sequence graph, as tcptrace draws it): for the chosen direction,
 *   the highest relative sequence number sent so far (seq + len of new data), the retransmitted
 *   segments apart (lowest retransmitted seq in the interval), and the other end's cumulative ACK.
 * - Throughput: payload bytes sent in each interval, per direction (retransmissions included, as
 *   they cross the wire too).
 * - RTT: tcp.analysis.ack_rtt (the time from a segment to the ACK that covers it), the highest
 *   in each interval, per direction of the data being acknowledged.
 */
import { TcpAnalysisFlag } from '../analysis/tcp-tracker.js';
import { TcpFlag } from '../wire/tcp.js';

/**
 * One stream's TCP segments as the graphs need them, one column per value, in capture order: a
 * 600 000-segment stream costs a few tens of MB this way, where as many objects cost hundreds
 * (stream-record.ts fills the columns while it reads the stream).
 */
export interface SampleColumns {
  readonly length: number;
  /** Seconds since the capture's first packet (frame.time_relative, the packet list's Time). */
  readonly t: ArrayLike<number>;
  /** 0: sent by the endpoint that sent the stream's first packet (A); 1: by the other (B). */
  readonly dir: ArrayLike<number>;
  /** tcp.seq and tcp.ack, relative; tcp.len. */
  readonly seq: ArrayLike<number>;
  readonly ack: ArrayLike<number>;
  readonly len: ArrayLike<number>;
  /** TCP header flags (TcpFlag bits): with ACK set, tcp.ack means something. */
  readonly flags: ArrayLike<number>;
  /** TcpAnalysisFlag bits. */
  readonly analysis: ArrayLike<number>;
  /** tcp.analysis.ack_rtt in seconds, NaN when the segment has none. */
  readonly ackRtt: ArrayLike<number>;
}

/** One segment, as a row: what tests compare with tshark's fields. */
export interface GraphSample {
  t: number;
  dir: 0 | 1;
  seq: number;
  ack: number;
  len: number;
  hasAck: boolean;
  /** tcp.analysis.retransmission, which tshark also raises on fast and spurious retransmissions. */
  retransmission: boolean;
  ackRtt: number;
}

export interface StreamSamples {
  /** Endpoint labels (host:port) of A and B. */
  endpoints: [string, string];
  samples: SampleColumns;
}

const RETRANSMITTED = TcpAnalysisFlag.RETRANSMISSION | TcpAnalysisFlag.FAST_RETRANSMISSION | TcpAnalysisFlag.SPURIOUS_RETRANSMISSION;

/** tcp.analysis.retransmission is set (tshark sets it on fast and spurious retransmissions too). */
export function isRetransmission(analysis: number): boolean {
  return (analysis & RETRANSMITTED) !== 0;
}

export function sampleAt(c: SampleColumns, i: number): GraphSample {
  return {
    t: c.t[i]!,
    dir: c.dir[i] ? 1 : 0,
    seq: c.seq[i]!,
    ack: c.ack[i]!,
    len: c.len[i]!,
    hasAck: (c.flags[i]! & TcpFlag.ACK) !== 0,
    retransmission: isRetransmission(c.analysis[i]!),
    ackRtt: c.ackRtt[i]!,
  };
}

/** Rows as columns (for tests and small inputs). */
export function columnsOf(rows: readonly GraphSample[]): SampleColumns {
  const col = (f: (s: GraphSample) => number) => rows.map(f);
  return {
    length: rows.length,
    t: col((s) => s.t),
    dir: col((s) => s.dir),
    seq: col((s) => s.seq),
    ack: col((s) => s.ack),
    len: col((s) => s.len),
    flags: col((s) => (s.hasAck ? TcpFlag.ACK : 0)),
    analysis: col((s) => (s.retransmission ? TcpAnalysisFlag.RETRANSMISSION : 0)),
    ackRtt: col((s) => s.ackRtt),
  };
}

export type GraphKind = 'seq' | 'throughput' | 'rtt';
export const GRAPH_KINDS: readonly GraphKind[] = ['seq', 'throughput', 'rtt'];

export interface Series {
  /** Legend text. */
  title: string;
  /** blessed-contrib colour name. */
  color: string;
  /** One value per interval, in the graph's unit; NaN where there is none. */
  y: number[];
}

export interface Graph {
  kind: GraphKind;
  /** e.g. "Sequence number (kB) over time (s), A→B". */
  title: string;
  unit: string;
  /** Start time of each interval (seconds since the capture's first packet), as axis labels. */
  labels: string[];
  /** Interval length in seconds. */
  interval: number;
  series: Series[];
  /** A round top for the y axis, at or above every value. */
  maxY: number;
}

export interface TimeGrid {
  /** Start of the first interval (a multiple of `interval`). */
  start: number;
  interval: number;
  count: number;
}

/** The smallest m × 10^k not below `x` (x > 0), m one of `steps`. */
export function niceCeil(x: number, steps: readonly number[] = [1, 2, 5]): number {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of steps) if (m * p >= x * (1 - 1e-12)) return m * p;
  return 10 * p;
}

/** A top for a y axis at or above `max`, with five round label steps under it (0, 50, … 250). */
function axisTop(max: number): number {
  return niceCeil(max, [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8]);
}

/** Equal intervals over the samples' times: at most `maxPoints` of them, of a round length. */
export function timeGrid(samples: SampleColumns, maxPoints: number): TimeGrid {
  const n = Math.max(2, Math.floor(maxPoints));
  if (samples.length === 0) return { start: 0, interval: 1, count: 1 };
  const first = samples.t[0]!;
  const last = samples.t[samples.length - 1]!;
  // A microsecond is the finest step pcap timestamps commonly carry.
  let interval = Math.max(1e-6, niceCeil((last - first) / (n - 1)));
  let start = Math.floor(first / interval) * interval;
  // Aligning the start to the grid can add an interval: widen once if that overflows.
  if (Math.floor((last - start) / interval) + 1 > n) {
    interval = niceCeil(interval * 1.0001);
    start = Math.floor(first / interval) * interval;
  }
  return { start, interval, count: Math.min(n, Math.floor((last - start) / interval) + 1) };
}

function binOf(grid: TimeGrid, t: number): number {
  return Math.max(0, Math.min(grid.count - 1, Math.floor((t - grid.start) / grid.interval + 1e-9)));
}

function labelsOf(grid: TimeGrid): string[] {
  const decimals = Math.min(6, Math.max(0, -Math.floor(Math.log10(grid.interval) + 1e-9)));
  return Array.from({ length: grid.count }, (_, i) => (grid.start + i * grid.interval).toFixed(decimals));
}

/** Byte counts in B, kB or MB (SI), whichever keeps the largest under a thousand. */
function byteUnit(max: number): { unit: string; div: number } {
  return max >= 1e6 ? { unit: 'MB', div: 1e6 } : max >= 1e3 ? { unit: 'kB', div: 1e3 } : { unit: 'B', div: 1 };
}

function fill(count: number): number[] {
  return new Array<number>(count).fill(Number.NaN);
}

function maxOf(series: readonly Series[]): number {
  let m = 0;
  for (const s of series) for (const v of s.y) if (v > m) m = v;
  return m;
}

function scaled(series: Series[], div: number): Series[] {
  return series.map((s) => ({ ...s, y: s.y.map((v) => v / div) }));
}

/** The direction that sent more payload bytes (A when equal): the one a sequence graph shows first. */
export function busierDirection(samples: SampleColumns): 0 | 1 {
  const bytes = [0, 0];
  for (let i = 0; i < samples.length; i++) bytes[samples.dir[i]!]! += samples.len[i]!;
  return bytes[1]! > bytes[0]! ? 1 : 0;
}

export interface GraphOptions {
  /** Points the chart has room for. */
  maxPoints: number;
  /** The sequence graph's direction. */
  dir: 0 | 1;
}

const NAMES = ['A→B', 'B→A'] as const;

export function buildGraph(kind: GraphKind, samples: SampleColumns, options: GraphOptions): Graph {
  const grid = timeGrid(samples, options.maxPoints);
  const base = { kind, labels: labelsOf(grid), interval: grid.interval };
  const bin = (t: number) => binOf(grid, t);
  switch (kind) {
    case 'seq': {
      const d = options.dir;
      const sent = fill(grid.count);
      const retrans = fill(grid.count);
      const acked = fill(grid.count);
      const { t, dir, seq, ack, len, flags, analysis } = samples;
      for (let k = 0; k < samples.length; k++) {
        const i = bin(t[k]!);
        if (dir[k] === d) {
          if (isRetransmission(analysis[k]!)) retrans[i] = Number.isNaN(retrans[i]!) ? seq[k]! : Math.min(retrans[i]!, seq[k]!);
          else if (len[k]! > 0) sent[i] = Math.max(Number.isNaN(sent[i]!) ? 0 : sent[i]!, seq[k]! + len[k]!);
        } else if (flags[k]! & TcpFlag.ACK) acked[i] = Math.max(Number.isNaN(acked[i]!) ? 0 : acked[i]!, ack[k]!);
      }
      // Drawn in this order, later over earlier: the retransmissions stay visible on the line.
      const series: Series[] = [
        { title: `ack ${NAMES[1 - d]}`, color: 'green', y: runningMax(acked) },
        { title: `seq ${NAMES[d]}`, color: 'yellow', y: runningMax(sent) },
        { title: 'retransmitted', color: 'red', y: retrans },
      ];
      const { unit, div } = byteUnit(maxOf(series));
      return { ...base, title: `Sequence number (${unit}) over time (s), data ${NAMES[d]}`, unit, series: scaled(series, div), maxY: axisTop(maxOf(series) / div) };
    }
    case 'throughput': {
      const y = [fill(grid.count).fill(0), fill(grid.count).fill(0)];
      for (let k = 0; k < samples.length; k++) y[samples.dir[k]!]![bin(samples.t[k]!)]! += samples.len[k]!;
      const series: Series[] = [
        { title: NAMES[0], color: 'yellow', y: y[0]! },
        { title: NAMES[1], color: 'cyan', y: y[1]! },
      ];
      const { unit, div } = byteUnit(maxOf(series));
      return { ...base, title: `Throughput (${unit} per ${intervalText(grid.interval)}) over time (s)`, unit, series: scaled(series, div), maxY: axisTop(maxOf(series) / div) };
    }
    case 'rtt': {
      // The RTT is on the ACK; it measures the data sent the other way.
      const y = [fill(grid.count), fill(grid.count)];
      for (let k = 0; k < samples.length; k++) {
        const rtt = samples.ackRtt[k]!;
        if (Number.isNaN(rtt)) continue;
        const data = y[1 - samples.dir[k]!]!;
        const i = bin(samples.t[k]!);
        data[i] = Number.isNaN(data[i]!) ? rtt * 1e3 : Math.max(data[i]!, rtt * 1e3);
      }
      const series: Series[] = [
        { title: `${NAMES[0]} data`, color: 'yellow', y: y[0]! },
        { title: `${NAMES[1]} data`, color: 'cyan', y: y[1]! },
      ];
      return { ...base, title: 'RTT (ms, tcp.analysis.ack_rtt) over time (s)', unit: 'ms', series, maxY: axisTop(maxOf(series)) };
    }
  }
}

/** The running maximum, held over empty intervals (a sequence number sent stays sent); NaN before the first value. */
function runningMax(y: number[]): number[] {
  let m = Number.NaN;
  return y.map((v) => (Number.isNaN(v) || v <= m ? m : (m = v)));
}

/** An interval for a title: "10 ms", "2 s", "500 µs". */
export function intervalText(sec: number): string {
  if (sec >= 1) return `${+sec.toPrecision(6)} s`;
  if (sec >= 1e-3) return `${+(sec * 1e3).toPrecision(6)} ms`;
  return `${+(sec * 1e6).toPrecision(6)} µs`;
}

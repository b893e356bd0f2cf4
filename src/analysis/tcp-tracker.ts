/**
 * TCP connections and per-segment sequence analysis, matching what tshark 4.0 shows with its
 * default preferences (relative sequence numbers, sequence analysis, bytes in flight, conversation
 * timestamps, fast retransmissions taking precedence over out-of-order).
 *
 * The rules are Wireshark's (packet-tcp.c, tcp_analyze_sequence_number and dissect_tcp; user guide
 * "TCP Analysis"), restated here in our own code and checked against tshark on the corpus
 * (test/differential). Their order matters and is kept: zero-window probe first (it skips the
 * checks that follow), then zero window, lost segment, keep-alive, window update, window full,
 * keep-alive ACK and zero-window-probe ACK (both skip the duplicate-ACK check), duplicate ACK; then
 * ACKed-unseen-segment; then, for segments carrying data, SYN or FIN: spurious retransmission, fast
 * retransmission, out-of-order, retransmission, the first that applies.
 *
 * Sequence numbers compare modulo 2^32 through seq.ts (RFC 9293 §3.4). Where Wireshark compares
 * plainly (equality, or its unsigned "is this set" tests on 0), so do we, because those quirks show
 * in its output. Times are kept as whole seconds plus nanoseconds and subtracted pairwise, so that
 * differences stay exact.
 *
 * Per connection the tracker keeps two direction records and a list of the segments not yet
 * acknowledged. The list is in sending order; while every segment starts at or after the end of the
 * one before (the usual case), ACK processing touches only what it removes and bytes in flight read
 * the two ends, so work per segment is O(1) amortised. A retransmission or out-of-order segment
 * makes the list unordered until it drains; meanwhile both walk the whole list, as Wireshark does.
 */
import type { Field, Packet } from '../decode/layer.js';
import type { TcpLayer } from '../wire/tcp.js';
import { TcpFlag } from '../wire/tcp.js';
import type { Ipv4Layer } from '../wire/ipv4.js';
import type { Ipv6Layer } from '../wire/ipv6.js';
import { type Dir, type TcpConnection } from './connection.js';
import { endpointsOf, flowKeyOf, type FlowKey } from './flows.js';
import { FlowTable, type FlowEntry } from './flow-table.js';
import { seqGt, seqLe, seqLt } from './seq.js';

/** tcp.analysis.* expert flags, as bits (one per Wireshark flag). */
export const TcpAnalysisFlag = {
  RETRANSMISSION: 0x0001,
  LOST_SEGMENT: 0x0002,
  ACK_LOST_SEGMENT: 0x0004,
  KEEP_ALIVE: 0x0008,
  DUPLICATE_ACK: 0x0010,
  ZERO_WINDOW: 0x0020,
  ZERO_WINDOW_PROBE: 0x0040,
  ZERO_WINDOW_PROBE_ACK: 0x0080,
  KEEP_ALIVE_ACK: 0x0100,
  OUT_OF_ORDER: 0x0200,
  FAST_RETRANSMISSION: 0x0400,
  WINDOW_UPDATE: 0x0800,
  WINDOW_FULL: 0x1000,
  REUSED_PORTS: 0x2000,
  SPURIOUS_RETRANSMISSION: 0x4000,
} as const;

const F = TcpAnalysisFlag;

/** Field name of each flag, in the order tshark lists them in the analysis tree. */
export const TCP_ANALYSIS_FLAG_NAMES: readonly (readonly [number, string])[] = [
  [F.REUSED_PORTS, 'tcp.analysis.reused_ports'],
  [F.RETRANSMISSION, 'tcp.analysis.retransmission'],
  [F.FAST_RETRANSMISSION, 'tcp.analysis.fast_retransmission'],
  [F.SPURIOUS_RETRANSMISSION, 'tcp.analysis.spurious_retransmission'],
  [F.OUT_OF_ORDER, 'tcp.analysis.out_of_order'],
  [F.LOST_SEGMENT, 'tcp.analysis.lost_segment'],
  [F.ACK_LOST_SEGMENT, 'tcp.analysis.ack_lost_segment'],
  [F.WINDOW_UPDATE, 'tcp.analysis.window_update'],
  [F.WINDOW_FULL, 'tcp.analysis.window_full'],
  [F.KEEP_ALIVE, 'tcp.analysis.keep_alive'],
  [F.KEEP_ALIVE_ACK, 'tcp.analysis.keep_alive_ack'],
  [F.DUPLICATE_ACK, 'tcp.analysis.duplicate_ack'],
  [F.ZERO_WINDOW_PROBE, 'tcp.analysis.zero_window_probe'],
  [F.ZERO_WINDOW, 'tcp.analysis.zero_window'],
  [F.ZERO_WINDOW_PROBE_ACK, 'tcp.analysis.zero_window_probe_ack'],
];

/** Why a flag was raised, for the timeline. */
export interface TcpNote {
  /** Field name, e.g. tcp.analysis.retransmission. */
  flag: string;
  message: string;
}

const SYN = TcpFlag.SYN;
const ACK = TcpFlag.ACK;
const FIN = TcpFlag.FIN;
const RST = TcpFlag.RST;
const SYN_FIN_RST = SYN | FIN | RST;

/** Wireshark stops remembering unacknowledged segments of one direction past this many. */
const MAX_UNACKED_SEGMENTS = 10000;
/** Wireshark keeps at most three SACK blocks of a segment for bytes in flight (MAX_TCP_SACK_RANGES - 1). */
const MAX_SACK_BLOCKS_KEPT = 3;
/** A retransmission within 20 ms of the reverse direction's last ACK, after 2+ duplicate ACKs, is "fast". */
const FAST_RETRANSMISSION_NS = 20e6;
/** Out-of-order threshold while the handshake RTT is unknown. */
const DEFAULT_OOO_NS = 3e6;
const NS = 1e9;

/** Window-scale state of one direction: a shift 0..14, or these. */
const WS_UNKNOWN = -1;
const WS_NONE = -2;

/** Layout of one unacknowledged segment in Flow.u. */
const U_SEQ = 0;
const U_NEXT = 1;
const U_FRAME = 2;
const U_SEC = 3;
const U_NSEC = 4;
const U_STRIDE = 5;

/** What one direction of a connection has sent so far (Wireshark's tcp_flow_t and its analysis part). */
class Flow {
  baseSet = false;
  base = 0;
  winScale = WS_UNKNOWN;
  /** Last window as sent (unscaled); all ones before the first segment. */
  window = 0xffffffff;
  isFirstAck = false;
  validBif = true;
  /** Highest next sequence number seen; 0 means "none yet" (as in Wireshark, with the same ambiguity). */
  nextseq = 0;
  nextseqFrame = 0;
  nextseqSec = 0;
  nextseqNsec = 0;
  maxSeqToBeAcked = 0;
  lastAck = 0;
  lastAckSec = 0;
  lastAckNsec = 0;
  dupAckNum = 0;
  lastNonDupAck = 0;
  lastSegmentFlags = 0;
  /** SACK blocks of this direction's latest segment: how many were kept and their total length. */
  sackCount = 0;
  sackBytes = 0;
  /**
   * Unacknowledged segments in sending order, entries head..len-1 of one flat array of U_STRIDE
   * numbers each (first and next sequence number, frame, time): no object per segment, one array
   * per direction rather than five (an idle connection costs little), reused rather than shrunk.
   */
  readonly u: number[] = [];
  head = 0;
  len = 0;
  /** Every segment from head starts at or after the end of the one before it. */
  ordered = true;

  get segCount(): number {
    return this.len - this.head;
  }

  /** Keeps only positions [from, from + n), moved to the front. */
  compact(from: number, n: number): void {
    if (from > 0 && n > 0) this.u.copyWithin(0, from * U_STRIDE, (from + n) * U_STRIDE);
    this.len = n;
    this.head = 0;
  }
}

/** The tracker's own state of one connection (indexed by stream number). */
class ConnState implements FlowEntry {
  flowLo = 0;
  flowHi = 0;
  flowPorts = 0;
  flowNext: FlowEntry | undefined = undefined;
  readonly flows: [Flow, Flow] = [new Flow(), new Flow()];
  prevSec: number;
  prevNsec: number;
  synSec = 0;
  synNsec = 0;
  haveSyn = false;
  /** Handshake RTT in ns (Wireshark's ts_first_rtt); 0 while unknown. */
  firstRttNs = 0;
  firstRttSec = 0;
  firstRttNsec = 0;

  constructor(
    readonly conn: TcpConnection,
    /** Whether endpoint A (direction 0's source) is the canonically lower endpoint. */
    readonly aLow: boolean,
    readonly firstSec: number,
    readonly firstNsec: number,
  ) {
    this.prevSec = firstSec;
    this.prevNsec = firstNsec;
  }
}

/** Numbers behind the notes of a flagged segment (kept only when a flag is raised). */
interface NoteContext {
  seglen: number;
  /** Next expected sequence number of this direction before the segment, relative. */
  nextExpected: number;
  /** Retransmission: frame and time (ns) of the original; fast retransmission: ns since the last duplicate ACK. */
  refFrame: number;
  refNs: number;
  /** Out-of-order threshold (ns); duplicate ACKs before a fast retransmission. */
  aux: number;
  /** Window update: previous window; window full / ACKed unseen: the reverse direction's numbers. */
  prevWindow: number;
  edge: number;
  /** Reused ports: the stream the 4-tuple belonged to before, or -1 when the ISN was the same. */
  oldStream: number;
}

function nsBetween(sec: number, nsec: number, sec0: number, nsec0: number): number {
  return (sec - sec0) * NS + (nsec - nsec0);
}

/** A ns difference that Wireshark holds in an unsigned 64-bit integer: negative ones become huge. */
function unsignedNs(ns: number): number {
  return ns < 0 ? Number.POSITIVE_INFINITY : ns;
}

function ms(ns: number): string {
  const v = ns / 1e6;
  return `${Number.isInteger(v) ? v : v.toFixed(3)} ms`;
}

/** Numbers per TcpSegmentInfo in TcpSegmentInfo.pack's layout. */
export const PACKED_INFO = 32;

/** What the sequence analysis says about one segment (tcp.stream, tcp.seq, tcp.analysis.* …). */
export class TcpSegmentInfo {
  /** tcp.seq / tcp.ack: relative to each direction's base (raw where tshark leaves them raw). */
  seq = 0;
  ack = 0;
  /** tcp.nxtseq, or -1 when tshark shows none (first fragment of a fragmented datagram). */
  nxtseq = -1;
  /** tcp.window_size (scaled unless unknown or a SYN). */
  window = 0;
  /** tcp.window_size_scalefactor: the multiplier, -1 unknown, -2 no scaling; 0 for a SYN (not shown). */
  windowScale = 0;
  /**
   * Times are kept as whole seconds plus nanoseconds (small integers, so a segment's record needs
   * no boxed numbers) and read as seconds through the getters below.
   */
  relSec = 0;
  relNsec = 0;
  deltaSec = 0;
  deltaNsec = 0;
  /** TcpAnalysisFlag bits. */
  flags = 0;
  /** Whether tshark shows an analysis tree for the segment (the RTT and in-flight fields appear only there). */
  analysed = false;
  /** tcp.analysis.acks_frame (0 when none) and ack_rtt (shown when hasAckRtt). */
  acksFrame = 0;
  hasAckRtt = false;
  ackRttSec = 0;
  ackRttNsec = 0;
  /** tcp.analysis.initial_rtt (shown when hasInitialRtt). */
  hasInitialRtt = false;
  initialRttSec = 0;
  initialRttNsec = 0;
  /** tcp.analysis.bytes_in_flight (0 when not shown). */
  bytesInFlight = 0;
  dupAckNum = 0;
  dupAckFrame = 0;
  /** @internal */
  ctx: NoteContext | undefined = undefined;

  constructor(
    public stream: number,
    /** Offset of the TCP header in the frame, used as the offset of the generated fields. */
    private offset: number,
  ) {}

  /** Back to a fresh record (the tracker's reuse mode). */
  reset(stream: number, offset: number): this {
    this.stream = stream;
    this.offset = offset;
    this.seq = 0;
    this.ack = 0;
    this.nxtseq = -1;
    this.window = 0;
    this.windowScale = 0;
    this.relSec = 0;
    this.relNsec = 0;
    this.deltaSec = 0;
    this.deltaNsec = 0;
    this.flags = 0;
    this.analysed = false;
    this.acksFrame = 0;
    this.hasAckRtt = false;
    this.ackRttSec = 0;
    this.ackRttNsec = 0;
    this.hasInitialRtt = false;
    this.initialRttSec = 0;
    this.initialRttNsec = 0;
    this.bytesInFlight = 0;
    this.dupAckNum = 0;
    this.dupAckFrame = 0;
    this.ctx = undefined;
    return this;
  }

  /**
   * Writes every field into PACKED_INFO numbers of `to` from `at`, for a holder of many records
   * (the TUI's stream record): a record object costs about 500 bytes of heap, these 264.
   */
  pack(to: Float64Array, at: number): void {
    to[at] = this.stream;
    to[at + 1] = this.offset;
    to[at + 2] = this.seq;
    to[at + 3] = this.ack;
    to[at + 4] = this.nxtseq;
    to[at + 5] = this.window;
    to[at + 6] = this.windowScale;
    to[at + 7] = this.relSec;
    to[at + 8] = this.relNsec;
    to[at + 9] = this.deltaSec;
    to[at + 10] = this.deltaNsec;
    to[at + 11] = this.flags;
    to[at + 12] = this.analysed ? 1 : 0;
    to[at + 13] = this.acksFrame;
    to[at + 14] = this.hasAckRtt ? 1 : 0;
    to[at + 15] = this.ackRttSec;
    to[at + 16] = this.ackRttNsec;
    to[at + 17] = this.hasInitialRtt ? 1 : 0;
    to[at + 18] = this.initialRttSec;
    to[at + 19] = this.initialRttNsec;
    to[at + 20] = this.bytesInFlight;
    to[at + 21] = this.dupAckNum;
    to[at + 22] = this.dupAckFrame;
    const c = this.ctx;
    to[at + 23] = c === undefined ? 0 : 1;
    to[at + 24] = c?.seglen ?? 0;
    to[at + 25] = c?.nextExpected ?? 0;
    to[at + 26] = c?.refFrame ?? 0;
    to[at + 27] = c?.refNs ?? 0;
    to[at + 28] = c?.aux ?? 0;
    to[at + 29] = c?.prevWindow ?? 0;
    to[at + 30] = c?.edge ?? 0;
    to[at + 31] = c?.oldStream ?? 0;
  }

  /** The record pack() wrote at `at` of `from`. */
  static unpack(from: Float64Array, at: number): TcpSegmentInfo {
    const info = new TcpSegmentInfo(from[at]!, from[at + 1]!);
    info.seq = from[at + 2]!;
    info.ack = from[at + 3]!;
    info.nxtseq = from[at + 4]!;
    info.window = from[at + 5]!;
    info.windowScale = from[at + 6]!;
    info.relSec = from[at + 7]!;
    info.relNsec = from[at + 8]!;
    info.deltaSec = from[at + 9]!;
    info.deltaNsec = from[at + 10]!;
    info.flags = from[at + 11]!;
    info.analysed = from[at + 12] === 1;
    info.acksFrame = from[at + 13]!;
    info.hasAckRtt = from[at + 14] === 1;
    info.ackRttSec = from[at + 15]!;
    info.ackRttNsec = from[at + 16]!;
    info.hasInitialRtt = from[at + 17] === 1;
    info.initialRttSec = from[at + 18]!;
    info.initialRttNsec = from[at + 19]!;
    info.bytesInFlight = from[at + 20]!;
    info.dupAckNum = from[at + 21]!;
    info.dupAckFrame = from[at + 22]!;
    if (from[at + 23] === 1) {
      info.ctx = {
        seglen: from[at + 24]!,
        nextExpected: from[at + 25]!,
        refFrame: from[at + 26]!,
        refNs: from[at + 27]!,
        aux: from[at + 28]!,
        prevWindow: from[at + 29]!,
        edge: from[at + 30]!,
        oldStream: from[at + 31]!,
      };
    }
    return info;
  }

  /** tcp.time_relative: seconds since the connection's first packet. */
  get timeRelative(): number {
    return this.relSec + this.relNsec / NS;
  }
  /** tcp.time_delta: seconds since the connection's previous packet. */
  get timeDelta(): number {
    return this.deltaSec + this.deltaNsec / NS;
  }
  /** tcp.analysis.ack_rtt in seconds, NaN when not shown. */
  get ackRtt(): number {
    return this.hasAckRtt ? this.ackRttSec + this.ackRttNsec / NS : Number.NaN;
  }
  /** tcp.analysis.initial_rtt in seconds, NaN when not shown. */
  get initialRtt(): number {
    return this.hasInitialRtt ? this.initialRttSec + this.initialRttNsec / NS : Number.NaN;
  }

  /** As a PacketAnalysis (analyzer.ts): the segment's own analysis. */
  get tcp(): TcpSegmentInfo {
    return this;
  }

  has(flag: number): boolean {
    return (this.flags & flag) !== 0;
  }

  /** One explanation per raised flag (built on demand). */
  get notes(): TcpNote[] {
    const out: TcpNote[] = [];
    const c = this.ctx;
    if (!c || this.flags === 0) return out;
    for (const [bit, name] of TCP_ANALYSIS_FLAG_NAMES) if (this.flags & bit) out.push({ flag: name, message: this.explain(bit, c) });
    return out;
  }

  private explain(bit: number, c: NoteContext): string {
    const seq = this.seq;
    switch (bit) {
      case F.REUSED_PORTS:
        return c.oldStream >= 0
          ? `SYN with a new initial sequence number on the ports of stream ${c.oldStream}: a new connection`
          : 'SYN again with the same initial sequence number';
      case F.RETRANSMISSION:
        return c.refFrame > 0
          ? `seq ${seq} < next expected ${c.nextExpected}, ${ms(c.refNs)} after the original (frame ${c.refFrame})`
          : `seq ${seq} < next expected ${c.nextExpected}`;
      case F.FAST_RETRANSMISSION:
        return `seq ${seq} is what ${c.aux} duplicate ACKs asked for, ${ms(c.refNs)} after the last of them`;
      case F.SPURIOUS_RETRANSMISSION:
        return `data up to ${(seq + c.seglen) >>> 0} was already acknowledged (ack ${c.edge})`;
      case F.OUT_OF_ORDER:
        return `seq ${seq} < next expected ${c.nextExpected}, ${ms(c.refNs)} after the highest segment (within ${ms(c.aux)})`;
      case F.LOST_SEGMENT:
        return `seq ${seq} > next expected ${c.nextExpected}: ${(seq - c.nextExpected) >>> 0} bytes before it were not captured`;
      case F.ACK_LOST_SEGMENT:
        return `ack ${this.ack} is beyond ${c.edge}, the end of what the other side was seen to send`;
      case F.WINDOW_UPDATE:
        return `no data, same seq and ack, window ${c.prevWindow} → ${this.window} (as sent, unscaled values differ)`;
      case F.WINDOW_FULL:
        return `segment ends at ${(seq + c.seglen) >>> 0}, the right edge of the receiver's window`;
      case F.KEEP_ALIVE:
        return `seq ${seq} is one before the next expected ${c.nextExpected}, with ${c.seglen} byte(s)`;
      case F.KEEP_ALIVE_ACK:
        return 'repeats the previous ACK right after a keep-alive from the other side';
      case F.DUPLICATE_ACK:
        return `#${this.dupAckNum}: no data, same seq, ack ${this.ack} and window as frame ${this.dupAckFrame}`;
      case F.ZERO_WINDOW_PROBE:
        return `1 byte at the next expected seq ${seq} while the receiver's window is 0`;
      case F.ZERO_WINDOW:
        return 'the receive window is 0: the sender must stop';
      case F.ZERO_WINDOW_PROBE_ACK:
        return 'repeats the previous ACK with window 0, answering a zero-window probe';
    }
    return '';
  }

  /** tshark's generated fields for the segment, by name. */
  fields(): Field[] {
    const o = this.offset;
    const out: Field[] = [{ name: 'tcp.stream', value: this.stream, offset: o, length: 0 }];
    const add = (name: string, value: number | boolean) => out.push({ name, value, offset: o, length: 0 });
    add('tcp.seq', this.seq);
    if (this.nxtseq >= 0) add('tcp.nxtseq', this.nxtseq);
    add('tcp.ack', this.ack);
    add('tcp.window_size', this.window);
    if (this.windowScale !== 0) add('tcp.window_size_scalefactor', this.windowScale);
    add('tcp.time_relative', this.timeRelative);
    add('tcp.time_delta', this.timeDelta);
    if (!this.analysed) return out;
    if (this.acksFrame) {
      add('tcp.analysis.acks_frame', this.acksFrame);
      if (this.hasAckRtt) add('tcp.analysis.ack_rtt', this.ackRtt);
    }
    if (this.hasInitialRtt) add('tcp.analysis.initial_rtt', this.initialRtt);
    if (this.bytesInFlight) add('tcp.analysis.bytes_in_flight', this.bytesInFlight);
    const f = this.flags;
    if (f === 0) return out;
    add('tcp.analysis.flags', true);
    for (const [bit, name] of TCP_ANALYSIS_FLAG_NAMES) {
      if (!(f & bit)) continue;
      add(name, true);
      // tshark raises the generic retransmission expert info with the fast and spurious ones too.
      if (bit & (F.FAST_RETRANSMISSION | F.SPURIOUS_RETRANSMISSION) && !(f & F.RETRANSMISSION) && !out.some((x) => x.name === 'tcp.analysis.retransmission'))
        add('tcp.analysis.retransmission', true);
      if (bit === F.DUPLICATE_ACK) {
        add('tcp.analysis.duplicate_ack_num', this.dupAckNum);
        add('tcp.analysis.duplicate_ack_frame', this.dupAckFrame);
      }
    }
    return out;
  }
}

/** The result of tracking one segment; one object reused by every call (copy what you keep). */
export interface TcpTrackResult {
  conn: TcpConnection;
  info: TcpSegmentInfo;
  /** The segment's direction in its connection. */
  dir: Dir;
  /** Seconds since the epoch (TcpSegment.time). */
  time: number;
  /** The segment started a new connection (a new tcp.stream). */
  isNew: boolean;
}

/** Where a segment sits in its packet: the network layer and the TCP layer on it. */
export type TcpLocation = Pick<FlowKey, 'network' | 'transport'>;

export class TcpTracker {
  /**
   * Reuse one TcpSegmentInfo for every segment (valid until the next call) instead of a new one
   * each time: for callers that only want the analysis done and its per-connection results.
   */
  reuseInfo = false;
  private readonly scratch = new TcpSegmentInfo(0, 0);
  private readonly table = new FlowTable<ConnState>();
  private readonly states: ConnState[] = [];
  private readonly conns: TcpConnection[] = [];
  private readonly result: TcpTrackResult = { conn: undefined!, info: undefined!, dir: 0, time: 0, isNew: false };

  /** Connections in stream order. */
  connections(): readonly TcpConnection[] {
    return this.conns;
  }

  /** Handshake RTT of a stream in seconds (Wireshark's iRTT), NaN while unknown. */
  initialRtt(stream: number): number {
    const s = this.states[stream];
    return s && s.firstRttNs !== 0 ? s.firstRttNs / NS : Number.NaN;
  }

  /**
   * Analyses one TCP segment. `key` gives its network and TCP layers (flowKeyOf(packet, true) with
   * proto 'tcp' will do).
   */
  track(packet: Packet, key: TcpLocation): TcpTrackResult {
    const tcp = key.transport as TcpLayer;
    const frame = packet.frame;
    const num = frame.number;
    const sec = frame.tsSec;
    const nsec = frame.tsNsec;
    const flags = tcp.flags;
    const seq = tcp.seq;
    const ack = tcp.ack;
    const win = tcp.window;
    // Seconds as a double for the shared records (TcpSegment.time, lastTime); analysis uses sec/nsec.
    const time = sec + nsec / NS;

    const table = this.table;
    let st = table.find(packet, key.network, key.transport);
    const lowToHigh = table.lowToHigh;
    let isNew = false;
    if (!st) {
      st = this.open(packet, key, lowToHigh, num, time, sec, nsec);
      isNew = true;
    }
    let dir: Dir = lowToHigh === st.aLow ? 0 : 1;
    let fwd = st.flows[dir];
    let taFlags = 0;
    let oldStream = -1;
    // A SYN whose sequence number differs from the ISN this direction started with opens a new
    // connection on the same ports (RFC 9293 §3.4: a new incarnation picks a new ISN). The same
    // ISN again is a retransmitted SYN, which the checks below flag as such. Wireshark 4.0 does not
    // look at whether the earlier connection was closed.
    if ((flags & (SYN | ACK)) === SYN && fwd.baseSet && seq !== fwd.base) {
      oldStream = st.conn.stream;
      st = this.open(packet, key, lowToHigh, num, time, sec, nsec);
      isNew = true;
      dir = 0;
      fwd = st.flows[0];
      taFlags |= F.REUSED_PORTS;
    }
    // A SYN-ACK with another ISN than this direction's: Wireshark keeps the connection, takes the
    // new ISN as base and flags it.
    if ((flags & (SYN | ACK)) === (SYN | ACK) && fwd.baseSet && seq !== fwd.base) {
      fwd.base = seq;
      taFlags |= F.REUSED_PORTS;
    }
    const rev = st.flows[dir === 0 ? 1 : 0];
    const conn = st.conn;

    const info = this.reuseInfo ? this.scratch.reset(conn.stream, tcp.offset) : new TcpSegmentInfo(conn.stream, tcp.offset);
    let ds = sec - st.firstSec;
    let dn = nsec - st.firstNsec;
    if (dn < 0) {
      ds--;
      dn += NS;
    }
    info.relSec = ds;
    info.relNsec = dn;
    ds = sec - st.prevSec;
    dn = nsec - st.prevNsec;
    if (dn < 0) {
      ds--;
      dn += NS;
    }
    info.deltaSec = ds;
    info.deltaNsec = dn;
    st.prevSec = sec;
    st.prevNsec = nsec;
    fwd.sackCount = 0;

    // With IP defragmentation off, a first fragment's TCP header is shown but the segment length
    // is unknown; so is it when the data offset points past the segment. tshark then skips the
    // analysis and shows raw numbers, no next sequence number and the unscaled window.
    const hdrLen = tcp.headerLength;
    const haveSeglen = hdrLen >= 20 && hdrLen <= tcp.segmentLength && !isFirstFragment(key);
    const seglen = haveSeglen ? tcp.segmentLength - hdrLen : 0;
    if (haveSeglen) {
      this.analyse(st, fwd, rev, info, num, sec, nsec, seq, ack, seglen, flags, win, taFlags, oldStream);
      info.seq = (seq - fwd.base) >>> 0;
      info.ack = flags & ACK ? (ack - rev.base) >>> 0 : ack;
      info.window = !(flags & SYN) && fwd.winScale >= 0 ? win << fwd.winScale : win;
      info.nxtseq = (info.seq + seglen + (flags & (SYN | FIN) ? 1 : 0)) >>> 0;
    } else {
      info.seq = seq;
      info.ack = ack;
      info.window = win;
      // A data offset past the segment makes tshark's option dissection throw before the analysis
      // tree is added, so even a reused-ports flag is not shown.
      if (taFlags && hdrLen <= tcp.segmentLength) {
        info.analysed = true;
        info.flags = taFlags;
        info.ctx = noteContext(seglen, 0, oldStream);
      }
    }
    info.windowScale = flags & SYN ? 0 : fwd.winScale >= 0 ? 1 << fwd.winScale : fwd.winScale;

    if (flags & SYN) {
      if (!(flags & ACK)) {
        st.synSec = sec;
        st.synNsec = nsec;
        st.haveSyn = true;
      }
      fwd.isFirstAck = true;
    }
    if ((flags & (SYN | ACK)) === ACK) {
      // The first ACK after a SYN closes the handshake: its distance from the latest SYN is the iRTT.
      if (st.haveSyn && st.firstRttNs === 0) {
        st.firstRttNs = nsBetween(sec, nsec, st.synSec, st.synNsec);
        st.firstRttSec = sec - st.synSec;
        st.firstRttNsec = nsec - st.synNsec;
        if (st.firstRttNsec < 0) {
          st.firstRttSec--;
          st.firstRttNsec += NS;
        }
      }
      fwd.isFirstAck = false;
    }
    if (info.analysed && st.firstRttNs !== 0) {
      info.hasInitialRtt = true;
      info.initialRttSec = st.firstRttSec;
      info.initialRttNsec = st.firstRttNsec;
    }

    // Options take effect for later segments: RFC 7323 §2.2 window scale (capped at 14, §2.3) and
    // RFC 2018 SACK blocks (for the other direction's bytes in flight).
    if (hdrLen > 20) readOptions(frame.data, tcp.offset, hdrLen, fwd);
    if (flags & SYN) verifyWindowScaling((flags & ACK) !== 0, fwd, rev);

    conn.packets[dir]++;
    conn.bytes[dir] += frame.origLen;
    conn.payloadBytes[dir] += seglen;
    conn.lastFrame = num;
    conn.lastTime = time;

    const r = this.result;
    r.conn = conn;
    r.dir = dir;
    r.time = time;
    r.info = info;
    r.isNew = isNew;
    return r;
  }

  private open(packet: Packet, key: TcpLocation, lowToHigh: boolean, num: number, time: number, sec: number, nsec: number): ConnState {
    const { src, dst } = endpointsOf(packet, key as FlowKey);
    const canonical = flowKeyOf(packet, true)?.key ?? '';
    // A literal rather than `{ ...newConversationBase(…), proto }`: V8 gave every object made by that
    // spread a map of its own (about 400 bytes more per connection, and slower property access).
    const conn: TcpConnection = {
      stream: this.conns.length,
      key: canonical,
      a: src,
      b: dst,
      firstFrame: num,
      startTime: time,
      lastFrame: num,
      lastTime: time,
      packets: [0, 0],
      bytes: [0, 0],
      payloadBytes: [0, 0],
      proto: 'tcp',
      declined: 0,
    };
    const st = new ConnState(conn, lowToHigh, sec, nsec);
    this.conns.push(conn);
    this.states.push(st);
    this.table.set(st);
    return st;
  }

  /** Wireshark's tcp_analyze_sequence_number for one segment, plus the printing conditions. */
  private analyse(
    st: ConnState,
    fwd: Flow,
    rev: Flow,
    info: TcpSegmentInfo,
    num: number,
    sec: number,
    nsec: number,
    seq: number,
    ack: number,
    seglen: number,
    flags: number,
    win: number,
    taFlags: number,
    oldStream: number,
  ): void {
    // Relative numbers start at 0 from a SYN, else at 1 from the first segment seen (RFC 9293
    // §3.4: the SYN occupies one sequence number). The other direction's base comes from the
    // first ACK, when its SYN was not seen.
    if (!fwd.baseSet) {
      fwd.base = flags & SYN ? seq : (seq - 1) >>> 0;
      fwd.baseSet = true;
    }
    if (!rev.baseSet && flags & ACK) {
      rev.base = (ack - 1) >>> 0;
      rev.baseSet = true;
    }
    if (flags & ACK) rev.validBif = true;

    let f = taFlags;
    let analysed = taFlags !== 0;
    const nextExpected = fwd.nextseq;
    const plainSeg = (flags & SYN_FIN_RST) === 0;
    let refFrame = 0;
    let refNs = 0;
    let aux = 0;
    let prevWindow = 0;
    let edge = 0;

    checks: {
      // RFC 9293 §3.8.6.1: a probe of one byte into a zero window.
      if (seglen === 1 && seq === fwd.nextseq && rev.window === 0) {
        f |= F.ZERO_WINDOW_PROBE;
        break checks;
      }
      if (win === 0 && plainSeg) f |= F.ZERO_WINDOW;
      if (fwd.nextseq !== 0 && seqGt(seq, fwd.nextseq) && !(flags & RST)) {
        f |= F.LOST_SEGMENT;
        fwd.validBif = false;
      }
      // RFC 9293 §3.8.4: keep-alives carry the last sent sequence number minus one, with 0 or 1 byte.
      if ((seglen === 0 || seglen === 1) && seq === ((fwd.nextseq - 1) >>> 0) && plainSeg) f |= F.KEEP_ALIVE;
      const sameState = seglen === 0 && seq === fwd.nextseq && ack === fwd.lastAck && plainSeg;
      if (sameState && win !== 0 && win !== fwd.window) {
        f |= F.WINDOW_UPDATE;
        prevWindow = fwd.window;
      }
      if (seglen > 0 && rev.winScale !== WS_UNKNOWN && plainSeg) {
        const shift = rev.isFirstAck || rev.winScale === WS_NONE ? 0 : rev.winScale;
        const right = (rev.lastAck + (rev.window << shift)) >>> 0;
        if (((seq + seglen) >>> 0) === right) f |= F.WINDOW_FULL;
      }
      if (sameState && win !== 0 && win === fwd.window && rev.lastSegmentFlags & F.KEEP_ALIVE) {
        f |= F.KEEP_ALIVE_ACK;
        break checks;
      }
      if (sameState && win === 0 && fwd.window === 0 && rev.lastSegmentFlags & F.ZERO_WINDOW_PROBE) {
        f |= F.ZERO_WINDOW_PROBE_ACK;
        break checks;
      }
      if (sameState && win !== 0 && win === fwd.window) {
        fwd.dupAckNum = fwd.dupAckNum === -1 ? 1 : fwd.dupAckNum + 1;
        f |= F.DUPLICATE_ACK;
        info.dupAckNum = fwd.dupAckNum;
        info.dupAckFrame = fwd.lastNonDupAck;
      }
    }
    if (ack !== fwd.lastAck) {
      fwd.lastNonDupAck = num;
      fwd.dupAckNum = 0;
    }

    // An ACK beyond anything the other direction was seen to send: segments were missed there.
    if (rev.maxSeqToBeAcked !== 0 && seqGt(ack, rev.maxSeqToBeAcked) && flags & ACK) {
      analysed = true;
      edge = (rev.maxSeqToBeAcked - rev.base) >>> 0;
      // Flagged once per gap: the acknowledgeable edge jumps to the highest sequence number seen.
      // When it is there already, the other direction is only sending pure ACKs: flag once more
      // unless that direction already counted this (its duplicate-ACK counter then reads -1).
      if (seqLt(rev.maxSeqToBeAcked, rev.nextseq)) {
        rev.maxSeqToBeAcked = rev.nextseq;
        f |= F.ACK_LOST_SEGMENT;
      } else {
        if (rev.dupAckNum === 0) f |= F.ACK_LOST_SEGMENT;
        rev.dupAckNum = -1;
      }
    }

    if (seglen > 0 || flags & (SYN | FIN)) {
      retrans: {
        if (f & F.KEEP_ALIVE) break retrans;
        let notAdvanced = fwd.nextseq !== 0 && seqLt(seq, fwd.nextseq);
        // One byte short of the next expected number with more than one byte of data: the
        // previous segment was probably a zero-window probe; this one brings new data.
        if (seglen > 1 && ((fwd.nextseq - 1) >>> 0) === seq) notAdvanced = false;
        if (seglen > 0 && rev.lastAck !== 0 && seqLe((seq + seglen) >>> 0, rev.lastAck)) {
          f |= F.SPURIOUS_RETRANSMISSION;
          edge = (rev.lastAck - fwd.base) >>> 0;
          break retrans;
        }
        // RFC 5681 §3.2: after duplicate ACKs the sender retransmits the segment they ask for.
        const sinceAck = unsignedNs(nsBetween(sec, nsec, rev.lastAckSec, rev.lastAckNsec));
        // Wireshark 4.0 keeps the counter unsigned, so the -1 left by an ACKed-unseen-segment counts as many.
        const dupAcks = rev.dupAckNum === -1 ? 0xffffffff : rev.dupAckNum;
        if (notAdvanced && dupAcks >= 2 && rev.lastAck === seq && sinceAck < FAST_RETRANSMISSION_NS) {
          f |= F.FAST_RETRANSMISSION;
          refNs = sinceAck;
          aux = dupAcks;
          break retrans;
        }
        const sinceHighest = unsignedNs(nsBetween(sec, nsec, fwd.nextseqSec, fwd.nextseqNsec));
        const threshold = st.firstRttNs === 0 ? DEFAULT_OOO_NS : unsignedNs(st.firstRttNs);
        const end = (seq + seglen + (flags & (SYN | FIN) ? 1 : 0)) >>> 0;
        if (notAdvanced && sinceHighest < threshold && fwd.nextseq !== end) {
          f |= F.OUT_OF_ORDER;
          refNs = sinceHighest;
          aux = threshold;
          break retrans;
        }
        if (notAdvanced) {
          f |= F.RETRANSMISSION;
          // The oldest unacknowledged segment is most likely the one resent; else the highest one.
          if (fwd.segCount > 0) {
            const h = fwd.head * U_STRIDE;
            const u = fwd.u;
            refFrame = u[h + U_FRAME]!;
            refNs = nsBetween(sec, nsec, u[h + U_SEC]!, u[h + U_NSEC]!);
          } else {
            refFrame = fwd.nextseqFrame;
            refNs = nsBetween(sec, nsec, fwd.nextseqSec, fwd.nextseqNsec);
          }
        }
      }
    }

    let nextseq = (seq + seglen) >>> 0;
    if ((seglen > 0 || flags & (SYN | FIN)) && fwd.segCount < MAX_UNACKED_SEGMENTS) {
      if (flags & (SYN | FIN)) nextseq = (nextseq + 1) >>> 0;
      pushUnacked(fwd, seq, nextseq, num, sec, nsec);
    }
    if (seqGt(nextseq, fwd.nextseq) || fwd.nextseq === 0) {
      if (!(f & F.ZERO_WINDOW_PROBE)) {
        fwd.nextseq = nextseq;
        fwd.nextseqFrame = num;
        fwd.nextseqSec = sec;
        fwd.nextseqNsec = nsec;
      }
    }
    if (seq === fwd.maxSeqToBeAcked || fwd.maxSeqToBeAcked === 0) {
      if (!(f & F.ZERO_WINDOW_PROBE)) fwd.maxSeqToBeAcked = fwd.nextseq;
    }
    fwd.window = win;
    fwd.lastAck = ack;
    fwd.lastAckSec = sec;
    fwd.lastAckNsec = nsec;
    fwd.lastSegmentFlags = analysed || f !== 0 ? f : 0;

    // This segment's acknowledgment number retires the other direction's segments it covers (the
    // field is read even without the ACK flag, as Wireshark does).
    const acked = retireAcked(rev, ack);
    if (acked >= 0) {
      analysed = true;
      info.acksFrame = retiredFrame;
      let rs = sec - retiredSec;
      let rn = nsec - retiredNsec;
      if (rn < 0) {
        rs--;
        rn += NS;
      }
      if (rs !== 0 || rn !== 0) {
        info.hasAckRtt = true;
        info.ackRttSec = rs;
        info.ackRttNsec = rn;
      }
    }

    // Bytes in flight: from the lowest unacknowledged byte to the highest one sent (relative,
    // compared unsigned as Wireshark does), less what the receiver SACKed in its latest segment.
    if (seglen !== 0 && fwd.segCount > 0 && fwd.validBif) {
      analysed = true;
      let inFlight = inFlightSpan(fwd);
      if (rev.sackCount > 0) inFlight = (inFlight - rev.sackBytes) >>> 0;
      if (inFlight > 0 && inFlight < 2_000_000_000) info.bytesInFlight = flags & (SYN | FIN) ? inFlight - 1 : inFlight;
    }

    if (f !== 0) analysed = true;
    info.flags = f;
    info.analysed = analysed;
    if (f !== 0) {
      info.ctx = {
        seglen,
        nextExpected: (nextExpected - fwd.base) >>> 0,
        refFrame,
        refNs,
        aux,
        prevWindow,
        edge,
        oldStream,
      };
    }
  }
}

/**
 * Window scale (RFC 7323 §2.2, shift capped at 14 by §2.3) and SACK blocks (RFC 2018 §3) of one
 * segment, read from the frame without allocating. Stops at the end of the option list (EOL), at
 * an option whose length is impossible, and at the captured end.
 */
function readOptions(d: Uint8Array, offset: number, hdrLen: number, fwd: Flow): void {
  const end = Math.min(offset + hdrLen, d.length);
  let p = offset + 20;
  while (p < end) {
    const kind = d[p]!;
    if (kind === 0) return;
    if (kind === 1) {
      p++;
      continue;
    }
    if (p + 1 >= end) return;
    const len = d[p + 1]!;
    if (len < 2 || p + len > end) return;
    if (kind === 3 && len === 3) {
      fwd.winScale = Math.min(d[p + 2]!, 14);
    } else if (kind === 5 && (len - 2) % 8 === 0) {
      let n = 0;
      let bytes = 0;
      for (let q = p + 2; q + 8 <= p + len && n < MAX_SACK_BLOCKS_KEPT; q += 8, n++) {
        const left = ((d[q]! << 24) | (d[q + 1]! << 16) | (d[q + 2]! << 8) | d[q + 3]!) >>> 0;
        const right = ((d[q + 4]! << 24) | (d[q + 5]! << 16) | (d[q + 6]! << 8) | d[q + 7]!) >>> 0;
        bytes = (bytes + ((right - left) >>> 0)) >>> 0;
      }
      fwd.sackCount = n;
      fwd.sackBytes = bytes;
    }
    p += len;
  }
}

function noteContext(seglen: number, nextExpected: number, oldStream: number): NoteContext {
  return { seglen, nextExpected, refFrame: 0, refNs: 0, aux: 0, prevWindow: 0, edge: 0, oldStream };
}

function isFirstFragment(key: TcpLocation): boolean {
  const n = key.network;
  return n.proto === 'ip' ? (n as Ipv4Layer).moreFragments : (n as Ipv6Layer).moreFragments;
}

/**
 * RFC 7323 §1.3: scaling is in effect only when both SYNs carry the option. After a SYN without
 * it, neither side scales; a SYN-ACK with it answering a SYN without it changes nothing.
 */
function verifyWindowScaling(isSynAck: boolean, fwd: Flow, rev: Flow): void {
  if (fwd.winScale === WS_UNKNOWN) {
    fwd.winScale = WS_NONE;
    rev.winScale = WS_NONE;
  } else if (isSynAck && rev.winScale === WS_NONE) {
    fwd.winScale = WS_NONE;
  }
}

function pushUnacked(flow: Flow, seq: number, next: number, frame: number, sec: number, nsec: number): void {
  if (flow.head === flow.len) {
    flow.head = 0;
    flow.len = 0;
    flow.ordered = true;
  } else if (flow.ordered && seqLt(seq, flow.u[(flow.len - 1) * U_STRIDE + U_NEXT]!)) {
    flow.ordered = false;
  }
  const u = flow.u;
  const i = flow.len++ * U_STRIDE;
  u[i + U_SEQ] = seq;
  u[i + U_NEXT] = next;
  u[i + U_FRAME] = frame;
  u[i + U_SEC] = sec;
  u[i + U_NSEC] = nsec;
}

/** The segment retireAcked found acknowledged exactly (valid when it returns >= 0). */
let retiredFrame = 0;
let retiredSec = 0;
let retiredNsec = 0;

/**
 * Removes the segments an acknowledgment number covers and trims one it covers in part. Returns
 * 1 when it acknowledges the end of a segment exactly (the earliest sent, when several end there:
 * its frame and time, in retired*, give tcp.analysis.acks_frame and ack_rtt), else -1.
 */
function retireAcked(flow: Flow, ack: number): number {
  const end = flow.len;
  if (flow.head >= end) return -1;
  const u = flow.u;
  let found = -1;
  if (flow.ordered) {
    let i = flow.head;
    for (; i < end; i++) {
      const at = i * U_STRIDE;
      const next = u[at + U_NEXT]!;
      if (next === ack) {
        if (found < 0) found = i;
        continue;
      }
      if (seqGt(ack, u[at + U_SEQ]!) && seqLe(ack, next)) {
        u[at + U_SEQ] = ack;
        break;
      }
      if (seqGt(next, ack)) break;
    }
    if (found >= 0) noteRetired(flow, found);
    if (i === end) flow.compact(0, 0);
    else {
      flow.head = i;
      if (i > 64 && i * 2 > end) flow.compact(i, end - i);
    }
    return found >= 0 ? 1 : -1;
  }
  // Unordered: examine every segment, keep the ones still outstanding, and see whether what is
  // left is ordered again.
  let w = 0;
  let ordered = true;
  for (let i = flow.head; i < end; i++) {
    const at = i * U_STRIDE;
    const next = u[at + U_NEXT]!;
    if (next === ack) {
      if (found < 0) {
        found = i;
        noteRetired(flow, i);
      }
      continue;
    }
    if (seqGt(ack, u[at + U_SEQ]!) && seqLe(ack, next)) u[at + U_SEQ] = ack;
    else if (!seqGt(next, ack)) continue;
    const to = w * U_STRIDE;
    if (w > 0 && seqLt(u[at + U_SEQ]!, u[to - U_STRIDE + U_NEXT]!)) ordered = false;
    if (to !== at) for (let k = 0; k < U_STRIDE; k++) u[to + k] = u[at + k]!;
    w++;
  }
  flow.compact(0, w);
  flow.ordered = ordered;
  return found >= 0 ? 1 : -1;
}

function noteRetired(flow: Flow, i: number): void {
  const at = i * U_STRIDE;
  retiredFrame = flow.u[at + U_FRAME]!;
  retiredSec = flow.u[at + U_SEC]!;
  retiredNsec = flow.u[at + U_NSEC]!;
}

/** Highest relative end minus lowest relative start over the unacknowledged segments. */
function inFlightSpan(flow: Flow): number {
  const base = flow.base;
  const u = flow.u;
  const end = flow.len;
  if (flow.ordered) {
    const first = (u[flow.head * U_STRIDE + U_SEQ]! - base) >>> 0;
    const last = (u[(end - 1) * U_STRIDE + U_NEXT]! - base) >>> 0;
    // Ordered and not straddling the point where relative numbers wrap: the ends are the extremes.
    if (first <= last) return last - first;
  }
  let first = 0xffffffff;
  let last = 0;
  for (let i = flow.head; i < end; i++) {
    const s = (u[i * U_STRIDE + U_SEQ]! - base) >>> 0;
    const e = (u[i * U_STRIDE + U_NEXT]! - base) >>> 0;
    if (s < first) first = s;
    if (e > last) last = e;
  }
  return (last - first) >>> 0;
}

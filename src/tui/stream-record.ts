/**
 * One TCP stream as the terminal UI keeps it: the numbers of every segment in typed arrays (what
 * the graphs draw, and what the timeline needs to explain a segment again), and full timeline
 * entries only for the window of packets the ladder shows.
 *
 * A timeline entry costs about 2 kB (its sentences, their parameters, the Info text); a row here
 * costs 47 bytes, so a 600 000-packet bulk transfer takes about 45 MB (with the few segments kept
 * whole and the checkpoints) instead of over 1 GB.
 *
 * How a window is explained again without the packets before it: a segment's entry depends on its
 * own bytes (read again by file offset), its sequence analysis, the application messages it
 * completed, and what the Explainer knows about the stream at that point (explainer.ts,
 * streamState). The analysis of a segment is kept as numbers (the whole TcpSegmentInfo for the few
 * segments with expert flags, whose notes need more), the messages as they came, and the
 * Explainer's state every CHECKPOINT_STEP rows, with that row's entry: a fresh Explainer resumed
 * from a checkpoint explains the rows after it exactly as the read did. The rows from one
 * checkpoint to the next are a segment; a window is made of whole segments.
 */
import { PACKED_INFO, TcpSegmentInfo } from '../analysis/tcp-tracker.js';
import { summarize, type SummaryColumns } from '../output/summary.js';
import type { Frame } from '../capture/frame.js';
import type { ReadWarning } from '../errors.js';
import { decodePacket } from '../decode/bindings.js';
import type { Layer, Packet } from '../decode/layer.js';
import type { AppRecord } from '../analysis/app.js';
import { Explainer, type StreamState } from '../timeline/explainer.js';
import { nsBetween, type PacketExplanation } from '../timeline/explanation.js';
import { endpointLabel } from '../timeline/ladder.js';
import { addLateRecords, tcpLen, TimelineBuilder, timelineEntry, type Timeline, type TimelineEntry } from '../timeline/pipeline.js';
import type { PacketAnalysis } from '../analysis/analyzer.js';
import type { ReassembledPacket } from '../analysis/defrag.js';
import { TcpLayer } from '../wire/tcp.js';
import type { SampleColumns } from './graphs.js';

/** Rows from one checkpoint to the next; windows start at checkpoints. */
export const CHECKPOINT_STEP = 500;

/**
 * The columns double until they hold this many rows, then grow by as many: a long stream's read
 * then never holds more than this much spare room, nor a second copy twice its size.
 */
const GROW_MAX_ROWS = 131_072;

/** Kept analyses per page of numbers (a page is 1 MiB; pages are added, never copied). */
const WHOLE_PAGE = 4096;

/** Rough sizes of what is kept per object, for the cache's byte budget. */
const KEPT_INFO_BYTES = PACKED_INFO * 8 + 40;
const KEPT_APP_BYTES = 600;
const KEPT_ENTRY_BYTES = 2500;
const KEPT_COLUMNS_BYTES = 200;

/** Reads frame `number` again (CaptureReader.readFrameAt, at the offset the packet index has). */
export type FrameAt = (number: number) => Frame | undefined;

interface Checkpoint {
  entry: TimelineEntry;
  state: StreamState | undefined;
}

export class StreamRecord implements SampleColumns {
  length = 0;
  /** Frame number of each row. */
  frame = new Uint32Array(0);
  t = new Float64Array(0);
  dir = new Uint8Array(0);
  flags = new Uint16Array(0);
  analysis = new Uint32Array(0);
  seq = new Uint32Array(0);
  ack = new Uint32Array(0);
  len = new Uint32Array(0);
  /** tcp.window_size and tcp.analysis.bytes_in_flight. */
  window = new Uint32Array(0);
  inFlight = new Uint32Array(0);
  ackRtt = new Float64Array(0);
  /**
   * Rows whose Protocol and Info the application stage made (an http, tls or dns layer on the
   * segment): their slot in `columns` (0: none). A frame decoded again has no such layers, so a
   * replay takes these instead. Made with the first such row: a plain bulk transfer has none.
   */
  appColumns: Uint32Array | null = null;
  /**
   * Rows carrying part of a PDU completed later (TcpLayer.pduInfo, the Info's "[TCP segment of a
   * reassembled PDU]"): 0 none, 1 the segment's own Info before it, k ≥ 2 the text pduTexts[k].
   * Made with the first such row.
   */
  pduParts: Uint32Array | null = null;
  /** Endpoint labels (host:port) of A (the first packet's sender) and B. */
  endpoints: [string, string] = ['', ''];
  /** Handshake RTT in seconds, NaN unknown. */
  initialRtt = Number.NaN;
  startSec = 0;
  startNsec = 0;
  warnings: ReadWarning[] = [];
  /**
   * Rows whose analysis is kept whole, packed (TcpSegmentInfo.pack: as objects, a lossy transfer's
   * flagged rows took half the record), by row: their slot in `wholePages`.
   */
  private readonly whole = new Map<number, number>();
  private readonly wholePages: Float64Array[] = [];
  /**
   * Rows that completed a fragmented datagram: the datagram as reassembled (decoding the frame again
   * gives its last fragment only). Fragmented TCP is rare (path MTU discovery avoids it).
   */
  private readonly reassembled = new Map<number, ReassembledPacket>();
  /** The application messages rows completed. */
  private readonly apps = new Map<number, readonly AppRecord[]>();
  private readonly checkpoints: Checkpoint[] = [];
  /** Protocol and Info pairs appColumns points at, each kept once (a TLS stream repeats a few). */
  private readonly columns: [string, string][] = [['', '']];
  private readonly columnSlots = new Map<string, number>();
  /** The texts pduParts points at (a message's start line, or '' for a column TLS cleared), each once. */
  private readonly pduTexts: string[] = ['', ''];
  private readonly pduSlots = new Map<string, number>();
  /**
   * Rows the stream can still have at most, once known (the frames up to its last one): the
   * columns then grow to it and no further, instead of doubling past it.
   */
  maxRows = Number.POSITIVE_INFINITY;
  /** For checking that a row's numbers give its analysis back. */
  private readonly scratch = new TcpSegmentInfo(0, 0);
  private srcAddr = '';
  private srcPort = -1;

  constructor(
    readonly stream: number,
    /** Rows from one checkpoint to the next (tests take small ones). */
    readonly step = CHECKPOINT_STEP,
  ) {}

  /** Appends one segment of the stream; `state` gives the Explainer's state after it (asked at checkpoints only). */
  add(packet: Packet, info: TcpSegmentInfo, app: readonly AppRecord[], explained: PacketExplanation, start: { sec: number; nsec: number }, state: () => StreamState | undefined): void {
    const layers = packet.layers;
    const at = innermostTcp(layers);
    const tcp = layers[at];
    if (!(tcp instanceof TcpLayer)) return;
    const ends = layers[at - 1]?.endpoints?.();
    const src = ends?.src ?? '';
    const r = this.length;
    if (r === 0) {
      this.srcAddr = src;
      this.srcPort = tcp.srcPort;
      this.endpoints = [endpointLabel(src, tcp.srcPort, 'endpoint'), endpointLabel(ends?.dst ?? '', tcp.dstPort, 'endpoint')];
    }
    if (r === this.frame.length) this.grow(Math.max(r + 1, Math.min(r + Math.max(1024, Math.min(r, GROW_MAX_ROWS)), this.maxRows)));
    const f = packet.frame;
    this.frame[r] = f.number;
    this.t[r] = nsBetween(f.tsSec, f.tsNsec, start.sec, start.nsec) / 1e9;
    this.dir[r] = src === this.srcAddr && tcp.srcPort === this.srcPort ? 0 : 1;
    this.flags[r] = tcp.flags;
    this.analysis[r] = info.flags;
    this.seq[r] = info.seq;
    this.ack[r] = info.ack;
    this.len[r] = tcpLen(tcp, f);
    this.window[r] = info.window;
    this.inFlight[r] = info.bytesInFlight;
    this.ackRtt[r] = info.ackRtt;
    if (info.flags !== 0 || !sameAnalysis(this.restore(this.scratch, r), info)) this.keepWhole(r, info);
    if (app.length) this.apps.set(r, app);
    if ('fragment' in packet) this.reassembled.set(r, packet as ReassembledPacket);
    if (tcp.pduInfo !== undefined) {
      this.pduParts ??= new Uint32Array(this.frame.length);
      this.pduParts[r] = this.pduSlot(tcp.pduInfo);
    }
    if (hasAppLayer(layers, at)) {
      this.appColumns ??= new Uint32Array(this.frame.length);
      this.appColumns[r] = this.columnSlot(summarize(packet, info));
    }
    if (r % this.step === 0) this.checkpoints.push({ entry: timelineEntry(packet, info, app, explained), state: state() });
    this.length++;
  }

  /** Messages that only the capture's end completed, on frame `frame`'s row (StreamRecorder.late). */
  addLate(frame: number, app: readonly AppRecord[]): void {
    const r = this.rowAt(frame);
    if (r >= this.length || this.frame[r] !== frame) return;
    this.apps.set(r, [...(this.apps.get(r) ?? []), ...app]);
    if (r % this.step === 0) addLateRecords(this.checkpoints[r / this.step]!.entry, app);
  }

  /** Drops the spare capacity once the stream is read (when worth the copy). */
  finish(initialRtt: number, startSec: number, startNsec: number, warnings: ReadWarning[]): void {
    if (this.frame.length - this.length > this.length / 8) this.grow(this.length);
    this.initialRtt = initialRtt;
    this.startSec = startSec;
    this.startNsec = startNsec;
    this.warnings = warnings;
  }

  /** About how many bytes the record holds. */
  get bytes(): number {
    // 47 bytes a row: the typed arrays above (4 more with appColumns, 4 more with pduParts).
    return this.frame.length * (47 + (this.appColumns ? 4 : 0) + (this.pduParts ? 4 : 0)) + this.columns.length * KEPT_COLUMNS_BYTES + this.whole.size * KEPT_INFO_BYTES + this.apps.size * KEPT_APP_BYTES + this.checkpoints.length * KEPT_ENTRY_BYTES;
  }

  /** The row of frame number `frame`, or of the first frame after it. */
  rowAt(frame: number): number {
    let lo = 0;
    for (let hi = this.length; lo < hi; ) {
      const mid = (lo + hi) >> 1;
      if (this.frame[mid]! < frame) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Checkpoints, hence segments: rows [k × step, (k + 1) × step). */
  get segments(): number {
    return this.checkpoints.length;
  }

  /**
   * The timeline entries of segment k (rows from checkpoint k to the next): the same entries as a
   * whole read of the capture gives for them. Stops early if a frame cannot be read again (the
   * file changed).
   */
  segment(k: number, frameAt: FrameAt): TimelineEntry[] {
    const cp = this.checkpoints[k];
    if (!cp) return [];
    const entries = [cp.entry];
    const explainer = new Explainer();
    if (cp.state) explainer.resume(this.stream, cp.state);
    for (let r = k * this.step + 1; r < Math.min((k + 1) * this.step, this.length); r++) {
      const frame = frameAt(this.frame[r]!);
      if (!frame) break;
      const whole = this.reassembled.get(r);
      const packet = whole ?? decodePacket(frame);
      const part = this.pduParts?.[r] ?? 0;
      if (part !== 0) {
        // The TCP layer add() read.
        const tcp = packet.layers[innermostTcp(packet.layers)];
        if (tcp instanceof TcpLayer) tcp.pduInfo = part === 1 ? null : this.pduTexts[part]!;
      }
      const slot = this.whole.get(r);
      const info = slot !== undefined ? this.wholeAt(slot) : this.restore(new TcpSegmentInfo(this.stream, 0), r);
      // The analysis as the read had it: the segment's, and the datagram its frame completed.
      const analysis: PacketAnalysis = whole ? { tcp: info, reassembled: whole, fields: () => info.fields() } : info;
      const app = this.apps.get(r) ?? [];
      const entry = timelineEntry(packet, analysis, app, explainer.explain(packet, analysis, app));
      const cols = this.appColumns?.[r] ?? 0;
      if (cols !== 0) [entry.protocol, entry.info] = this.columns[cols]!;
      entries.push(entry);
    }
    return entries;
  }

  /** Some of the stream's entries as a Timeline (what the ladder is built from). */
  timeline(entries: TimelineEntry[]): Timeline {
    const rtt = this.initialRtt;
    return { entries, initialRtt: (s) => (s === this.stream ? rtt : Number.NaN), warnings: this.warnings, startSec: this.startSec, startNsec: this.startNsec };
  }

  /**
   * Row r's analysis from its numbers: what the timeline reads of a segment without expert flags
   * (timelineEntry, the Explainer, the Info column). Rows where that would differ keep theirs whole.
   */
  private restore(info: TcpSegmentInfo, r: number): TcpSegmentInfo {
    info.seq = this.seq[r]!;
    info.ack = this.ack[r]!;
    info.window = this.window[r]!;
    info.bytesInFlight = this.inFlight[r]!;
    const rtt = this.ackRtt[r]!;
    info.hasAckRtt = false;
    info.ackRttSec = 0;
    info.ackRttNsec = 0;
    if (!Number.isNaN(rtt)) {
      // ack_rtt is kept as seconds (sec + nsec / 1e9); both parts come back exactly for any RTT
      // under days, and sameAnalysis() checks that they do.
      info.hasAckRtt = true;
      info.ackRttSec = Math.floor(rtt);
      info.ackRttNsec = Math.round((rtt - info.ackRttSec) * 1e9);
    }
    return info;
  }

  private columnSlot(cols: SummaryColumns): number {
    const key = `${cols.protocol}\u0000${cols.info}`;
    let slot = this.columnSlots.get(key);
    if (slot === undefined) {
      slot = this.columns.length;
      this.columns.push([cols.protocol, cols.info]);
      this.columnSlots.set(key, slot);
    }
    return slot;
  }

  private keepWhole(r: number, info: TcpSegmentInfo): void {
    const slot = this.whole.size;
    const page = Math.floor(slot / WHOLE_PAGE);
    if (page === this.wholePages.length) this.wholePages.push(new Float64Array(WHOLE_PAGE * PACKED_INFO));
    info.pack(this.wholePages[page]!, (slot % WHOLE_PAGE) * PACKED_INFO);
    this.whole.set(r, slot);
  }

  private wholeAt(slot: number): TcpSegmentInfo {
    return TcpSegmentInfo.unpack(this.wholePages[Math.floor(slot / WHOLE_PAGE)]!, (slot % WHOLE_PAGE) * PACKED_INFO);
  }

  private grow(capacity: number): void {
    const n = this.length;
    const to = <T extends Uint8Array | Uint16Array | Uint32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(capacity);
      b.set(a.subarray(0, n));
      return b;
    };
    this.frame = to(this.frame, (k) => new Uint32Array(k));
    this.t = to(this.t, (k) => new Float64Array(k));
    this.dir = to(this.dir, (k) => new Uint8Array(k));
    this.flags = to(this.flags, (k) => new Uint16Array(k));
    this.analysis = to(this.analysis, (k) => new Uint32Array(k));
    this.seq = to(this.seq, (k) => new Uint32Array(k));
    this.ack = to(this.ack, (k) => new Uint32Array(k));
    this.len = to(this.len, (k) => new Uint32Array(k));
    this.window = to(this.window, (k) => new Uint32Array(k));
    this.inFlight = to(this.inFlight, (k) => new Uint32Array(k));
    this.ackRtt = to(this.ackRtt, (k) => new Float64Array(k));
    if (this.appColumns) this.appColumns = to(this.appColumns, (k) => new Uint32Array(k));
    if (this.pduParts) this.pduParts = to(this.pduParts, (k) => new Uint32Array(k));
  }

  private pduSlot(info: string | null): number {
    if (info === null) return 1;
    let slot = this.pduSlots.get(info);
    if (slot === undefined) {
      slot = this.pduTexts.push(info) - 1;
      this.pduSlots.set(info, slot);
    }
    return slot;
  }
}

/** Where the innermost TCP layer is (the search stops at 0: check what is there). */
function innermostTcp(layers: readonly Layer[]): number {
  let at = layers.length - 1;
  while (at > 0 && !(layers[at] instanceof TcpLayer)) at--;
  return at;
}

/** A layer above TCP (at `tcpAt`) that is not plain `data`: the application stage named the segment. No copy of the list: this runs per row. */
function hasAppLayer(layers: readonly Layer[], tcpAt: number): boolean {
  for (let i = tcpAt + 1; i < layers.length; i++) if (layers[i]!.proto !== 'data') return true;
  return false;
}

/** The fields restore() sets are equal (the typed arrays hold them exactly). */
function sameAnalysis(a: TcpSegmentInfo, b: TcpSegmentInfo): boolean {
  return a.seq === b.seq && a.ack === b.ack && a.window === b.window && a.bytesInFlight === b.bytesInFlight && a.hasAckRtt === b.hasAckRtt && a.ackRttSec === b.ackRttSec && a.ackRttNsec === b.ackRttNsec;
}

/** The stream's read: the whole timeline pipeline, keeping a StreamRecord of the stream's packets. */
export class StreamRecorder extends TimelineBuilder {
  readonly record: StreamRecord;

  constructor(
    readonly stream: number,
    step = CHECKPOINT_STEP,
  ) {
    super({ stream });
    this.record = new StreamRecord(stream, step);
  }

  protected override select(packet: Packet, analysis: PacketAnalysis, app: readonly AppRecord[], explained: PacketExplanation): void {
    if (!analysis.tcp) return;
    this.record.add(packet, analysis.tcp, app, explained, { sec: this.startSec, nsec: this.startNsec }, () => this.explainer.streamState(this.stream));
  }

  protected override late(frame: number, app: AppRecord[]): void {
    this.record.addLate(frame, app);
  }

  /** The record, once the stream's last packet was read. */
  finishRecord(warnings: ReadWarning[]): StreamRecord {
    const t = this.finish(warnings);
    this.record.finish(t.initialRtt(this.stream), t.startSec, t.startNsec, warnings);
    return this.record;
  }
}

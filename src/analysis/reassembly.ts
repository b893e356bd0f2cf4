/**
 * Bidirectional TCP byte-stream reassembly: a TcpObserver that turns each connection's segments
 * into two ordered byte streams (RFC 9293 §3.10.7.4: segments are processed in sequence order,
 * data already received is trimmed, data beyond the next expected byte waits).
 *
 * Positions. Each direction numbers its bytes by *offset*: 0 is the first data byte, the one after
 * the SYN (the ISN itself is consumed by the SYN, RFC 9293 §3.4), or the first byte of the first
 * segment seen when the SYN was not captured. Offsets are plain numbers that keep counting past
 * 4 GiB; a segment's offset comes from the signed 32-bit distance between its sequence number and
 * the next expected one (seq.ts), so sequence wrap at 2^32 needs no special case. Ranges also give
 * the absolute 32-bit sequence number of their first byte.
 *
 * What is delivered, and when:
 * - In-order data goes to `onData` at once, as a subarray view of the frame (valid as long as the
 *   frame is); a segment that starts before the next expected byte (retransmission, repacketized
 *   overlap) is trimmed so every byte is delivered once: the copy delivered first wins. A segment
 *   that arrives in order is delivered whole, and held chunks it covers are trimmed (as Wireshark's
 *   Follow TCP Stream does); between held chunks, the one held first wins.
 * - Out-of-order data is copied (frames' buffers may be released) and held; it is released, in
 *   order and one chunk per original segment, as soon as the hole before it is filled.
 * - A hole becomes a gap (`onGap`, as Wireshark's "[N bytes missing in capture file]") when it
 *   cannot be filled any more by what the capture may still show: (1) the peer acknowledges data
 *   beyond the hole (the receiver had the bytes, the capture missed them: Wireshark's rule);
 *   (2) the connection is reset, or the capture ends (`finish`), with data held after the hole or a
 *   FIN beyond it; (3) bytes of a segment were cut by the snap length (known missing at once).
 *   The stream continues after every gap.
 * - Memory is bounded: at most `maxHeldBytes` (default 16 MiB) of out-of-order data per direction.
 *   A segment that would exceed it is dropped (not held); if the hole it belonged to is later
 *   declared a gap, that gap's cause is 'cap'.
 * - Overlapping copies of the same bytes are compared where both are at hand (held out-of-order
 *   data, and the last `overlapCheckBytes` delivered bytes when that option is set): a difference
 *   is reported through `onConflict` and the per-segment note `lastSegment.conflict`
 *   (Wireshark's tcp.segment.overlap.conflict).
 * - `onEnd` once per direction: 'fin' when every byte before the FIN has been delivered (the FIN
 *   takes one sequence number, RFC 9293 §3.4); 'rst' at once for the side that sends a RST (its
 *   held data flushed with gaps first) and, at the capture end, for the other side (whose data
 *   still in flight when the RST crossed it is delivered, as Wireshark's Follow shows it);
 *   'capture-end' from `finish` otherwise.
 */
import type { TcpObserver } from './analyzer.js';
import type { Dir, TcpConnection, TcpSegment } from './connection.js';
import { seqAdd, seqDiff } from './seq.js';
import { TcpFlag } from '../wire/tcp.js';

export const DEFAULT_MAX_HELD_BYTES = 16 * 1024 * 1024;

/** Where a chunk of stream data lies. */
export interface StreamRange {
  /** Offset of the first byte in this direction's stream (0 = first data byte). */
  offset: number;
  /** Offset just past the last byte. */
  end: number;
  /** Absolute 32-bit sequence number of the first byte. */
  seq: number;
}

export type GapCause =
  /** Never captured (the peer acknowledged past it, or the stream ended with it still missing). */
  | 'unseen'
  /** Part of a captured segment cut off by the snap length. */
  | 'snaplen'
  /** Dropped here because the direction already held `maxHeldBytes` of out-of-order data. */
  | 'cap';

export interface StreamGap extends StreamRange {
  length: number;
  cause: GapCause;
  /** The frame whose arrival (or the capture end: -1) decided that the bytes are missing. */
  frame: number;
}

export type EndReason = 'fin' | 'rst' | 'capture-end';

export interface OverlapConflict extends StreamRange {
  /** The frame whose bytes differ from the copy kept (first copy wins). */
  frame: number;
}

/** What a consumer of reassembled streams implements; only `onData` is required. */
export interface StreamHandler {
  /**
   * Bytes in stream order. `bytes` may be a view of the frame (in-order data) or a copy (released
   * out-of-order data); copy it to keep it. `frames` lists the frame numbers the bytes came from.
   */
  onData(conn: TcpConnection, dir: Dir, bytes: Uint8Array, range: StreamRange, frames: readonly number[]): void;
  onGap?(conn: TcpConnection, dir: Dir, gap: StreamGap): void;
  onEnd?(conn: TcpConnection, dir: Dir, reason: EndReason): void;
  onConflict?(conn: TcpConnection, dir: Dir, conflict: OverlapConflict): void;
  /**
   * Optional fast path. When present, a segment that arrives whole, in order, with nothing held
   * before or after it (the usual case) comes here instead of to `onData`: its bytes are
   * `data[start, end)` of the frame, at stream offset `offset`. No view and no range object is
   * made for it, so a consumer that only counts some bytes (an HTTP body nobody reads) pays nothing
   * for them; one that wants them calls `data.subarray(start, end)` (valid as long as the frame is).
   */
  onDataAt?(conn: TcpConnection, dir: Dir, data: Uint8Array, start: number, end: number, offset: number, frame: number): void;
}

export interface ReassemblerOptions {
  /** Most out-of-order bytes held per direction (default 16 MiB). */
  maxHeldBytes?: number;
  /**
   * Delivered bytes kept per direction to compare retransmissions against (default 0: only held
   * out-of-order data is compared). A ring of this size is allocated per direction with data.
   */
  overlapCheckBytes?: number;
  /** Which connections to reassemble (default all); the others cost nothing. */
  filter?: (conn: TcpConnection, first: TcpSegment) => boolean;
}

/** A held chunk: copied bytes, or null for bytes known to be missing (cut by the snap length). */
interface Held {
  offset: number;
  end: number;
  bytes: Uint8Array | null;
  frame: number;
}

class DirState {
  started = false;
  /**
   * Absolute sequence number of offset 0, kept as a signed 32-bit integer (`seq | 0`, the same
   * value modulo 2^32): V8 stores small integers in the object itself, where a sequence number
   * past 2^31 would make this field a separate heap box, one more load on every segment.
   */
  base = 0;
  /** Offset of the next byte to deliver. */
  next = 0;
  held: Held[] | null = null;
  heldBytes = 0;
  /** Offset the FIN occupies, or -1. */
  finAt = -1;
  ended = false;
  /** The peer reset the connection: this direction ends with 'rst' when the capture does. */
  resetByPeer = false;
  /** End offset of the furthest data dropped for the cap, or -1. */
  droppedEnd = -1;
  /** Ring of recently delivered bytes (overlapCheckBytes), and from which offset it is valid. */
  recent: Uint8Array | null = null;
  recentFrom = 0;

  /** An acknowledgment of this direction's bytes can decide something: a hole before held data, or the FIN. */
  awaitsAck(): boolean {
    return this.started && !this.ended && (this.held !== null || this.finAt >= 0);
  }

  seqAt(offset: number): number {
    // ToUint32 reduces the exact sum modulo 2^32 (offsets stay far below 2^53; a negative base is
    // the same residue), so no `%` is needed.
    return (this.base + offset) >>> 0;
  }
  /** Offset of sequence number `seq`, taken as the nearest to the next expected byte. */
  offsetOf(seq: number): number {
    return this.next + seqDiff(seq, this.seqAt(this.next));
  }
}

/*
 * The two directions are fields, not a pair in an array: every segment reads its direction and
 * its peer's, and an array would add two objects per connection to reach them through (about 10
 * ms of 130 for the application stage on the bench capture, where 96 connections interleave).
 */
class ConnState {
  readonly d0 = new DirState();
  readonly d1 = new DirState();
  constructor(readonly conn: TcpConnection) {}
  dir(d: Dir): DirState {
    return d === 0 ? this.d0 : this.d1;
  }
}

/** Stands for connections not reassembled (filtered out, or both directions ended). */
const SKIP = null;

const ONE_FRAME: number[] = [0];

export class TcpReassembler implements TcpObserver {
  private readonly states: (ConnState | typeof SKIP | undefined)[] = [];
  private readonly maxHeld: number;
  private readonly ringSize: number;
  private readonly filter?: (conn: TcpConnection, first: TcpSegment) => boolean;
  /** What happened to the last segment given to onSegment (for per-packet expert notes). */
  readonly lastSegment = { overlap: false, conflict: false };

  constructor(
    private readonly handler: StreamHandler,
    options: ReassemblerOptions = {},
  ) {
    this.maxHeld = options.maxHeldBytes ?? DEFAULT_MAX_HELD_BYTES;
    this.ringSize = options.overlapCheckBytes ?? 0;
    this.filter = options.filter;
  }

  onConnection(conn: TcpConnection, first: TcpSegment): void {
    this.states[conn.stream] = this.filter && !this.filter(conn, first) ? SKIP : new ConnState(conn);
  }

  onSegment(conn: TcpConnection, seg: TcpSegment): void {
    this.lastSegment.overlap = false;
    this.lastSegment.conflict = false;
    let st = this.states[conn.stream];
    if (st === undefined) {
      // No onConnection (a driver that only calls onSegment): decide on the first segment.
      this.onConnection(conn, seg);
      st = this.states[conn.stream];
    }
    if (!st) return;
    const tcp = seg.tcp;
    const flags = tcp.flags;
    const frame = seg.packet.frame;
    const d = seg.dir;
    const ds = st.dir(d);
    // The peer's acknowledgment tells which held-back bytes it had: holes before them are gaps.
    if (flags & TcpFlag.ACK) {
      const peer = st.dir((1 - d) as Dir);
      // Nothing held and no FIN seen: no hole can be declared and no end is due (the usual case,
      // tested here so the 32-bit ack is not even read).
      if (peer.awaitsAck()) this.acknowledged(st, (1 - d) as Dir, tcp.ack, frame.number);
    }
    if (ds.ended) return;
    // A RST from a side that has sent nothing (refusing a SYN) ends nothing of this connection.
    if (flags & TcpFlag.RST && !ds.started && tcp.payloadLength === 0) return;

    let seq = tcp.seq;
    if (flags & TcpFlag.SYN) {
      seq = seqAdd(seq, 1);
      // A SYN (or a retransmitted one) before any data defines where the stream starts.
      if (!ds.started || (ds.next === 0 && !ds.held)) {
        ds.started = true;
        ds.base = seq | 0;
        ds.next = 0;
      }
    }
    if (!ds.started) {
      ds.started = true;
      ds.base = seq | 0;
    }
    const len = tcp.payloadLength;
    const off = ds.offsetOf(seq);
    if (len > 0) {
      const data = frame.data;
      const avail = Math.min(data.length, frame.origLen - (frame.fcsLength ?? 0));
      const start = tcp.payloadOffset;
      const cap = Math.max(0, Math.min(len, avail - start));
      const h = this.handler;
      // Whole and in order with nothing held: segmentData would deliver it as it is, nothing to
      // trim, compare or release; with onDataAt the view need not even be made.
      if (off === ds.next && cap === len && ds.held === null && this.ringSize === 0 && h.onDataAt !== undefined) {
        ds.next = off + len;
        h.onDataAt(st.conn, d, data, start, start + len, off, frame.number);
      } else this.segmentData(st, d, off, data.subarray(start, start + cap), len, frame.number);
    }
    if (flags & TcpFlag.FIN && ds.finAt < 0) ds.finAt = off + len;
    if (flags & TcpFlag.RST) {
      // The sender is gone (RFC 9293 §3.10.7.3); the peer may still have data in flight that
      // crosses the RST on the wire, so its direction ends with 'rst' at the capture end.
      this.flush(st, d, frame.number);
      this.end(st, d, 'rst');
      st.dir((1 - d) as Dir).resetByPeer = true;
      return;
    }
    this.checkFin(st, d);
  }

  /**
   * Whether onSegment would change nothing for this segment: no data, SYN, FIN or RST, its
   * direction's stream already started, and nothing in the peer's waiting on an acknowledgment
   * (held data, a FIN) that it could declare missing. The usual pure ACK: a caller with work of its
   * own around onSegment may skip it all.
   */
  quietAck(conn: TcpConnection, seg: TcpSegment): boolean {
    const tcp = seg.tcp;
    if (tcp.payloadLength !== 0 || (tcp.flags & (TcpFlag.SYN | TcpFlag.FIN | TcpFlag.RST)) !== 0) return false;
    const st = this.states[conn.stream];
    if (st === SKIP) return true;
    if (st === undefined) return false;
    const d = seg.dir;
    return st.dir(d).started && !st.dir((1 - d) as Dir).awaitsAck();
  }

  finish(): void {
    for (const st of this.states) {
      if (!st) continue;
      for (const d of [0, 1] as const) {
        if (st.dir(d).ended) continue;
        this.flush(st, d, -1);
        const ds = st.dir(d);
        this.end(st, d, ds.finAt >= 0 && ds.next >= ds.finAt ? 'fin' : ds.resetByPeer ? 'rst' : 'capture-end');
      }
    }
  }

  /**
   * Stops reassembling one connection, as if the filter had refused it: its held data is let go and
   * nothing more of it is delivered (for a consumer that found the stream is not for it).
   */
  forget(stream: number): void {
    if (this.states[stream]) this.states[stream] = SKIP;
  }

  /** Bytes currently held out of order in one direction of a stream (for tests and memory figures). */
  heldBytes(stream: number, dir: Dir): number {
    return this.states[stream]?.dir(dir).heldBytes ?? 0;
  }

  private segmentData(st: ConnState, d: Dir, off: number, bytes: Uint8Array, len: number, frame: number): void {
    const ds = st.dir(d);
    let end = off + len;
    if (end <= ds.next) {
      // Wholly old: a retransmission of delivered bytes.
      this.lastSegment.overlap = true;
      this.compareRecent(st, d, off, bytes, frame);
      return;
    }
    let skip = 0;
    if (off < ds.next) {
      this.lastSegment.overlap = true;
      this.compareRecent(st, d, off, bytes, frame);
      skip = ds.next - off;
      off = ds.next;
    }
    const capEnd = Math.min(end, off - skip + bytes.length);
    if (off === ds.next) {
      if (capEnd > off) {
        const n = capEnd - off;
        // The whole captured segment, in order (the usual case): deliver the view as it is.
        const view = skip === 0 && n === bytes.length ? bytes : bytes.subarray(skip, skip + n);
        if (ds.held) this.compareHeld(st, d, off, view, frame);
        this.deliver(st, d, view, off, frame);
      }
      // Bytes the snap length cut are known to be missing, unless a held chunk has them.
      if (capEnd < end) this.hold(st, d, capEnd, capEnd, end, EMPTY, frame);
      this.release(st, d);
      return;
    }
    // Out of order: keep what no held chunk has yet (first copy wins), one piece per hole.
    end = Math.max(end, capEnd);
    this.hold(st, d, off, capEnd, end, bytes.subarray(skip), frame);
  }

  /** Holds [off, end) of which [off, capEnd) are in `bytes` (bytes[0] is at `off`). */
  private hold(st: ConnState, d: Dir, off: number, capEnd: number, end: number, bytes: Uint8Array, frame: number): void {
    const ds = st.dir(d);
    const held = (ds.held ??= []);
    let i = 0;
    let at = off;
    while (at < end) {
      while (i < held.length && held[i]!.end <= at) i++;
      const h = held[i];
      if (h && h.offset <= at) {
        // Already held: compare what both copies have, then skip past it.
        const upto = Math.min(end, h.end);
        this.lastSegment.overlap = true;
        if (h.bytes) this.compareBytes(st, d, h.bytes, h.offset, bytes, off, at, Math.min(upto, capEnd), frame);
        at = upto;
        continue;
      }
      const pieceEnd = Math.min(end, h ? h.offset : end);
      // A piece is data up to capEnd, then a marker for the bytes the snap length cut.
      const dataEnd = Math.min(pieceEnd, Math.max(at, capEnd));
      if (dataEnd > at) {
        const n = dataEnd - at;
        if (ds.heldBytes + n > this.maxHeld) {
          ds.droppedEnd = Math.max(ds.droppedEnd, dataEnd);
        } else {
          const copy = bytes.slice(at - off, dataEnd - off);
          held.splice(i++, 0, { offset: at, end: dataEnd, bytes: copy, frame });
          ds.heldBytes += n;
        }
      }
      if (pieceEnd > dataEnd) held.splice(i++, 0, { offset: dataEnd, end: pieceEnd, bytes: null, frame });
      at = pieceEnd;
    }
  }

  /** Delivers held chunks that have become in order. */
  private release(st: ConnState, d: Dir): void {
    const ds = st.dir(d);
    const held = ds.held;
    if (!held) return;
    let i = 0;
    for (; i < held.length; i++) {
      const h = held[i]!;
      if (h.offset > ds.next) break;
      if (h.bytes) ds.heldBytes -= h.bytes.length;
      if (h.end <= ds.next) continue;
      const from = ds.next - h.offset;
      if (h.bytes) this.deliver(st, d, from === 0 ? h.bytes : h.bytes.subarray(from), ds.next, h.frame);
      else this.gap(st, d, h.end - ds.next, 'snaplen', h.frame);
    }
    if (i > 0) held.splice(0, i);
    if (held.length === 0) ds.held = null;
  }

  private acknowledged(st: ConnState, d: Dir, ack: number, frame: number): void {
    const ds = st.dir(d);
    // Called only with data held or a FIN seen (see onSegment).
    const acked = ds.offsetOf(ack);
    for (;;) {
      const first = ds.held?.[0];
      if (first && acked > first.offset && first.offset > ds.next) {
        this.gap(st, d, first.offset - ds.next, this.causeAt(ds), frame);
        this.release(st, d);
        continue;
      }
      // Nothing held: a FIN beyond the hole still bounds it (the ack covers the FIN's number).
      if (!first && ds.finAt > ds.next && acked > ds.finAt) this.gap(st, d, ds.finAt - ds.next, this.causeAt(ds), frame);
      break;
    }
    this.checkFin(st, d);
  }

  /** Gives up waiting: every hole before held data, and before a FIN, becomes a gap. */
  private flush(st: ConnState, d: Dir, frame: number): void {
    const ds = st.dir(d);
    if (!ds.started || ds.ended) return;
    while (ds.held) {
      const first = ds.held[0]!;
      if (first.offset > ds.next) this.gap(st, d, first.offset - ds.next, this.causeAt(ds), frame);
      this.release(st, d);
    }
    if (ds.finAt > ds.next) this.gap(st, d, ds.finAt - ds.next, this.causeAt(ds), frame);
  }

  private causeAt(ds: DirState): GapCause {
    return ds.droppedEnd > ds.next ? 'cap' : 'unseen';
  }

  private checkFin(st: ConnState, d: Dir): void {
    const ds = st.dir(d);
    if (!ds.ended && ds.finAt >= 0 && ds.next >= ds.finAt && !ds.held) this.end(st, d, 'fin');
  }

  private end(st: ConnState, d: Dir, reason: EndReason): void {
    const ds = st.dir(d);
    if (ds.ended) return;
    ds.ended = true;
    ds.held = null;
    ds.heldBytes = 0;
    ds.recent = null;
    this.handler.onEnd?.(st.conn, d, reason);
    if (st.dir((1 - d) as Dir).ended) this.states[st.conn.stream] = SKIP;
  }

  private deliver(st: ConnState, d: Dir, bytes: Uint8Array, off: number, frame: number): void {
    const ds = st.dir(d);
    const end = off + bytes.length;
    ds.next = end;
    if (this.ringSize > 0) this.remember(ds, bytes, off);
    ONE_FRAME[0] = frame;
    this.handler.onData(st.conn, d, bytes, { offset: off, end, seq: ds.seqAt(off) }, ONE_FRAME);
  }

  private gap(st: ConnState, d: Dir, length: number, cause: GapCause, frame: number): void {
    const ds = st.dir(d);
    const off = ds.next;
    ds.next = off + length;
    ds.recentFrom = ds.next;
    this.handler.onGap?.(st.conn, d, { offset: off, end: off + length, seq: ds.seqAt(off), length, cause, frame });
  }

  private remember(ds: DirState, bytes: Uint8Array, off: number): void {
    const n = this.ringSize;
    const ring = (ds.recent ??= new Uint8Array(n));
    const from = Math.max(0, bytes.length - n);
    for (let i = from; i < bytes.length; i++) ring[(off + i) % n] = bytes[i]!;
  }

  /** Compares a retransmission's bytes (bytes[0] at offset `off`) with recently delivered ones. */
  private compareRecent(st: ConnState, d: Dir, off: number, bytes: Uint8Array, frame: number): void {
    const ds = st.dir(d);
    const ring = ds.recent;
    if (!ring) return;
    const from = Math.max(off, ds.recentFrom, ds.next - this.ringSize);
    const to = Math.min(ds.next, off + bytes.length);
    for (let o = from; o < to; o++) {
      if (ring[o % this.ringSize] !== bytes[o - off]) {
        this.conflict(st, d, from, to, frame);
        return;
      }
    }
  }

  /** Compares bytes about to be delivered (view[0] at `off`) with held chunks they overlap. */
  private compareHeld(st: ConnState, d: Dir, off: number, view: Uint8Array, frame: number): void {
    const held = st.dir(d).held;
    if (!held) return;
    const end = off + view.length;
    for (const h of held) {
      if (h.offset >= end) break;
      if (h.end <= off || !h.bytes) continue;
      this.lastSegment.overlap = true;
      this.compareBytes(st, d, h.bytes, h.offset, view, off, Math.max(off, h.offset), Math.min(end, h.end), frame);
    }
  }

  /** Compares a (at offset aOff) with b (at offset bOff) over [from, to). */
  private compareBytes(st: ConnState, d: Dir, a: Uint8Array, aOff: number, b: Uint8Array, bOff: number, from: number, to: number, frame: number): void {
    for (let o = from; o < to; o++) {
      if (a[o - aOff] !== b[o - bOff]) {
        this.conflict(st, d, from, to, frame);
        return;
      }
    }
  }

  private conflict(st: ConnState, d: Dir, from: number, to: number, frame: number): void {
    this.lastSegment.conflict = true;
    this.handler.onConflict?.(st.conn, d, { offset: from, end: to, seq: st.dir(d).seqAt(from), frame });
  }
}

const EMPTY = new Uint8Array(0);

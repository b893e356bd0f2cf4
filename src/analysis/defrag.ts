/**
 * IP defragmentation, IPv4 (RFC 791 §3.2 "Fragmentation and reassembly") and IPv6 (RFC 8200 §4.5),
 * so that a fragmented datagram is decoded once, as a whole, like tshark with ip.defragment on.
 *
 * Keys: IPv4 fragments belong together when source, destination, protocol and identification are
 * equal (RFC 791 §3.2); IPv6 fragments when source, destination and the Fragment header's
 * identification are (RFC 8200 §4.5).
 *
 * Holes are tracked as a sorted list of received byte ranges; the datagram is complete when the
 * last fragment (MF / M clear) has fixed its length and one range covers it all.
 *
 * Overlaps (each flagged: `overlap`, and `conflict` when the bytes differ):
 * - IPv4: the bytes received first are kept (first wins) and the datagram is still reassembled.
 * - IPv6: RFC 5722 §4: a datagram with overlapping fragments is discarded, and so are its fragments
 *   still to come (kept as a tombstone until the timeout); a duplicate (bytes already received,
 *   identical) is only dropped, as RFC 8200 §4.5 allows for exact duplicates.
 * - A non-last IPv6 fragment whose length is not a multiple of 8 is dropped (RFC 8200 §4.5), as is
 *   a fragment that would take an IPv4 datagram past 65 535 bytes (RFC 791 §3.1 total length).
 *
 * Timeout: a datagram not complete `timeout` seconds of capture time after its first fragment
 * (default 60: RFC 8200 §4.5's 60 s, within RFC 1122 §3.3.2's 60 to 120 s for IPv4) is abandoned
 * and listed by `incomplete()` with its frames; so is whatever is pending at `finish()`.
 *
 * The reassembled packet. Its `frame` is the completing fragment's frame (number, time, lengths)
 * with `data` replaced by a new buffer: the completing frame's bytes up to the end of its IP header
 * (IPv4) or Fragment header (IPv6), then the reassembled payload. The outer layers are the
 * completing packet's own layer objects (same offsets, same bytes, so their fields are unchanged
 * and show that fragment's header, as tshark does); the layers above are decoded from the
 * reassembled payload with the ip.proto binding table, so flowKeyOf and the trackers see an
 * ordinary TCP or UDP packet whose field offsets refer to the new buffer. `frame.data.length` is
 * then the reassembled size (use `fragment.frame` for the captured fragment itself).
 */
import type { Frame } from '../capture/frame.js';
import { DataLayer } from '../decode/data.js';
import { defaultTables } from '../decode/bindings.js';
import type { DissectContext, NetworkContext, Span } from '../decode/dissector.js';
import type { Field, Layer, Packet } from '../decode/layer.js';
import { formatIPv4, formatIPv6 } from '../wire/addr.js';
import type { Ipv4Layer } from '../wire/ipv4.js';
import { FRAGMENT_HEADER_LEN, IPV6_HEADER_LEN, type Ipv6Layer } from '../wire/ipv6.js';

export const DEFAULT_FRAGMENT_TIMEOUT = 60;
/** Most datagrams being reassembled at once; the oldest is abandoned past it. */
export const DEFAULT_MAX_PENDING = 4096;
/** An IPv4 datagram is at most 65 535 bytes, header included (RFC 791 §3.1). */
const IPV4_MAX_DATAGRAM = 65535;
/** IPv6 without jumbograms: the payload length field is 16 bits (RFC 8200 §3). */
const IPV6_MAX_PAYLOAD = 65535;
/** Same as the layer driver's bound on encapsulation depth. */
const MAX_LAYERS = 24;

export interface DefragOptions {
  /** Seconds of capture time after the first fragment before a datagram is abandoned. */
  timeout?: number;
  maxPending?: number;
}

/** What was found while reassembling one datagram (Wireshark's ip.fragment.* expert items). */
export interface DatagramInfo {
  version: 4 | 6;
  src: string;
  dst: string;
  /** IPv4 protocol, or the IPv6 Fragment header's next header. */
  protocol: number;
  id: number;
  /** Frame numbers of the fragments used, in arrival order. */
  frames: number[];
  /** Reassembled payload length (ip.reassembled.length). */
  length: number;
  /** Fragments overlapped (or duplicated). */
  overlap: boolean;
  /** Overlapping fragments carried different bytes. */
  conflict: boolean;
  /** More than one last fragment, with different lengths (ip.fragment.multipletails). */
  multipleTails: boolean;
  /** A fragment went past the datagram's end or the maximum size (ip.fragment.toolongfragment). */
  tooLong: boolean;
}

export type IncompleteReason = 'timeout' | 'capture-end' | 'evicted' | 'overlap';

export interface IncompleteDatagram extends Omit<DatagramInfo, 'length'> {
  reason: IncompleteReason;
  /** Payload bytes received. */
  received: number;
  /** Payload length, once the last fragment fixed it. */
  length?: number;
  /** Capture time (seconds) of the first fragment. */
  firstTime: number;
}

export interface ReassembledPacket extends Packet {
  /** The fragment whose arrival completed the datagram, as decoded on its own. */
  readonly fragment: Packet;
  readonly datagram: DatagramInfo;
}

interface Pending {
  info: DatagramInfo;
  firstTime: number;
  /** Received ranges [start, end), sorted, disjoint, not adjacent. */
  ranges: number[];
  buf: Uint8Array;
  /** Payload length once the last fragment is in, else -1. */
  total: number;
  received: number;
  /** IPv6 overlap: everything with this key is dropped until the timeout (RFC 5722). */
  discarded: boolean;
}

/** Where one fragment's bytes are. */
export interface FragmentView {
  version: 4 | 6;
  network: Layer;
  key: string;
  protocol: number;
  id: number;
  more: boolean;
  /** Fragment offset in bytes. */
  offset: number;
  /** Start of the fragment's data in the frame (end of the IP header, or of the Fragment header). */
  dataStart: number;
  dataEnd: number;
}

export class Defragmenter {
  private readonly pending = new Map<string, Pending>();
  private readonly abandoned: IncompleteDatagram[] = [];
  private readonly timeout: number;
  private readonly maxPending: number;
  /** The last packet given to `process`, when it was a fragment: its IP layer and where its data lies. */
  lastFragment: FragmentView | undefined = undefined;

  constructor(options: DefragOptions = {}) {
    this.timeout = options.timeout ?? DEFAULT_FRAGMENT_TIMEOUT;
    this.maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
  }

  /** True when the last packet given to `process` was a fragment (whether or not it completed a datagram). */
  get consumed(): boolean {
    return this.lastFragment !== undefined;
  }

  /**
   * Takes every packet in capture order. Returns the reassembled packet when this fragment completes
   * a datagram, undefined otherwise; `consumed` tells a waiting fragment (undefined, consumed) from
   * a packet that is no fragment at all (undefined, not consumed), which the caller handles itself.
   */
  process(packet: Packet): ReassembledPacket | undefined {
    const frag = fragmentOf(packet);
    this.lastFragment = frag;
    if (!frag) return undefined;
    const frame = packet.frame;
    const now = frame.tsSec + frame.tsNsec / 1e9;
    this.expire(now);
    let p = this.pending.get(frag.key);
    if (!p) {
      if (this.pending.size >= this.maxPending) this.evictOldest();
      p = newPending(frag, packet, now);
      this.pending.set(frag.key, p);
    }
    if (p.discarded) {
      p.info.frames.push(frame.number);
      return undefined;
    }
    if (!this.add(p, frag, frame)) return undefined;
    this.pending.delete(frag.key);
    return reassemble(packet, frag, p);
  }

  /** Abandons datagrams whose first fragment is more than `timeout` seconds older than `now`. */
  expire(now: number): void {
    // Map order is creation order, so the oldest come first.
    for (const [key, p] of this.pending) {
      if (now - p.firstTime <= this.timeout) break;
      this.pending.delete(key);
      this.abandon(p, p.discarded ? 'overlap' : 'timeout');
    }
  }

  /** The capture ended: whatever is pending is incomplete. */
  finish(): void {
    for (const p of this.pending.values()) this.abandon(p, p.discarded ? 'overlap' : 'capture-end');
    this.pending.clear();
  }

  /** Datagrams abandoned so far, in the order they were given up. */
  incomplete(): readonly IncompleteDatagram[] {
    return this.abandoned;
  }

  private evictOldest(): void {
    for (const [key, p] of this.pending) {
      this.pending.delete(key);
      this.abandon(p, p.discarded ? 'overlap' : 'evicted');
      return;
    }
  }

  private abandon(p: Pending, reason: IncompleteReason): void {
    const { length: _length, ...rest } = p.info;
    const item: IncompleteDatagram = { ...rest, reason, received: p.received, firstTime: p.firstTime };
    if (p.total >= 0) item.length = p.total;
    this.abandoned.push(item);
  }

  /** Adds one fragment; true when the datagram is now complete. */
  private add(p: Pending, f: FragmentView, frame: Frame): boolean {
    const info = p.info;
    const len = f.dataEnd - f.dataStart;
    const start = f.offset;
    let end = start + len;
    info.frames.push(frame.number);
    if (f.version === 6 && f.more && len % 8 !== 0) {
      info.tooLong = true;
      return false;
    }
    const max = f.version === 4 ? IPV4_MAX_DATAGRAM - (f.dataStart - f.network.offset) : IPV6_MAX_PAYLOAD;
    if (end > max) {
      info.tooLong = true;
      return false;
    }
    if (!f.more) {
      if (p.total >= 0 && p.total !== end) info.multipleTails = true;
      else p.total = end;
    }
    if (p.total >= 0 && end > p.total) {
      info.tooLong = true;
      end = p.total;
    }
    if (end <= start) return this.complete(p);
    const data = frame.data;
    const r = p.ranges;
    // Compare with what overlaps, then copy only what is new (first wins).
    let duplicate = false;
    let overlapped = false;
    for (let i = 0; i < r.length; i += 2) {
      const a = Math.max(start, r[i]!);
      const b = Math.min(end, r[i + 1]!);
      if (a >= b) continue;
      overlapped = info.overlap = true;
      if (r[i]! <= start && r[i + 1]! >= end) duplicate = true;
      for (let o = a; o < b; o++) {
        if (p.buf[o] !== data[f.dataStart + o - start]) {
          info.conflict = true;
          duplicate = false;
          break;
        }
      }
    }
    if (overlapped && f.version === 6) {
      if (duplicate) return false;
      // RFC 5722 §4: discard the datagram and its fragments yet to come.
      p.discarded = true;
      p.buf = EMPTY;
      return false;
    }
    if (p.buf.length < end) {
      const grown = new Uint8Array(Math.min(Math.max(end, p.buf.length * 2, 2048), Math.max(end, max)));
      grown.set(p.buf);
      p.buf = grown;
    }
    let at = start;
    for (let i = 0; i <= r.length && at < end; i += 2) {
      const holeEnd = i < r.length ? Math.min(end, r[i]!) : end;
      if (holeEnd > at) {
        p.buf.set(data.subarray(f.dataStart + at - start, f.dataStart + holeEnd - start), at);
        p.received += holeEnd - at;
      }
      if (i < r.length) at = Math.max(at, r[i + 1]!);
    }
    insertRange(r, start, end);
    return this.complete(p);
  }

  private complete(p: Pending): boolean {
    return p.total >= 0 && p.ranges.length === 2 && p.ranges[0] === 0 && p.ranges[1]! >= p.total;
  }
}

const EMPTY = new Uint8Array(0);

/** Merges [start, end) into the sorted range list. */
function insertRange(r: number[], start: number, end: number): void {
  let i = 0;
  while (i < r.length && r[i + 1]! < start) i += 2;
  let j = i;
  let s = start;
  let e = end;
  while (j < r.length && r[j]! <= e) {
    s = Math.min(s, r[j]!);
    e = Math.max(e, r[j + 1]!);
    j += 2;
  }
  r.splice(i, j - i, s, e);
}

function newPending(f: FragmentView, packet: Packet, now: number): Pending {
  const d = packet.frame.data;
  const n = f.network.offset;
  const v6 = f.version === 6;
  return {
    info: {
      version: f.version,
      src: v6 ? formatIPv6(d, n + 8) : formatIPv4(d, n + 12),
      dst: v6 ? formatIPv6(d, n + 24) : formatIPv4(d, n + 16),
      protocol: f.protocol,
      id: f.id,
      frames: [],
      length: 0,
      overlap: false,
      conflict: false,
      multipleTails: false,
      tooLong: false,
    },
    firstTime: now,
    ranges: [],
    buf: EMPTY,
    total: -1,
    received: 0,
    discarded: false,
  };
}

function keyBytes(d: Uint8Array, from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i += 2) s += String.fromCharCode((d[i]! << 8) | d[i + 1]!);
  return s;
}

/** The innermost IP header of the packet, when it is a fragment whose data was captured whole. */
export function fragmentOf(packet: Packet): FragmentView | undefined {
  const layers = packet.layers;
  for (let i = layers.length - 1; i >= 0; i--) {
    const l = layers[i]!;
    if (l.proto === 'ip') return l.status === 'ok' ? ipv4Fragment(packet, l as Ipv4Layer) : undefined;
    if (l.proto === 'ipv6') return l.status === 'ok' ? ipv6Fragment(packet, l as Ipv6Layer) : undefined;
  }
  return undefined;
}

function ipv4Fragment(packet: Packet, ip: Ipv4Layer): FragmentView | undefined {
  // Most packets are whole: MF clear and offset 0 is the flags/offset word (RFC 791 §3.1, bytes
  // 6-7) with its low 14 bits zero, tested on the bytes before any accessor runs.
  const w = packet.frame.data;
  if (((w[ip.offset + 6]! & 0x3f) | w[ip.offset + 7]!) === 0) return undefined;
  const offset = ip.fragmentOffset;
  const more = ip.moreFragments;
  if (offset === 0 && !more) return undefined;
  const d = packet.frame.data;
  const o = ip.offset;
  const dataStart = o + ip.headerLength;
  const dataEnd = o + ip.datagramLength;
  // A fragment cut by the snap length cannot be used; its datagram will stay incomplete.
  if (dataEnd > capturedEnd(packet.frame) || dataEnd < dataStart) return undefined;
  const protocol = ip.protocol;
  const id = ip.ident;
  // RFC 791 §3.2: source, destination, protocol and identification.
  const key = '4' + keyBytes(d, o + 12, o + 20) + String.fromCharCode(protocol, id);
  return { version: 4, network: ip, key, protocol, id, more, offset, dataStart, dataEnd };
}

function ipv6Fragment(packet: Packet, ip: Ipv6Layer): FragmentView | undefined {
  const f = ip.fragmentHeader;
  if (f < 0) return undefined;
  const offset = ip.fragmentOffset!;
  const more = ip.moreFragments;
  // An atomic fragment (offset 0, M clear) is a whole datagram (RFC 8200 §4.5, RFC 6946).
  if (offset === 0 && !more) return undefined;
  const d = packet.frame.data;
  const o = ip.offset;
  const plen = ip.payloadLength;
  const dataStart = f + FRAGMENT_HEADER_LEN;
  const dataEnd = o + IPV6_HEADER_LEN + plen;
  if (plen === 0 || dataEnd > capturedEnd(packet.frame) || dataEnd < dataStart) return undefined;
  const id = ip.fragmentIdent!;
  // RFC 8200 §4.5: source, destination and fragment identification.
  const key = '6' + keyBytes(d, o + 8, o + 40) + String.fromCharCode(id >>> 16, id & 0xffff);
  return { version: 6, network: ip, key, protocol: d[f]!, id, more, offset, dataStart, dataEnd };
}

function capturedEnd(frame: Frame): number {
  return Math.min(frame.data.length, frame.origLen - (frame.fcsLength ?? 0));
}

function reassemble(packet: Packet, f: FragmentView, p: Pending): ReassembledPacket {
  const src = packet.frame.data;
  const total = p.total;
  const data = new Uint8Array(f.dataStart + total);
  data.set(src.subarray(0, f.dataStart));
  data.set(p.buf.subarray(0, total), f.dataStart);
  const frame: Frame = { ...packet.frame, data };
  p.info.length = total;
  const n = f.network.offset;
  // The pseudo-header for the transport checksum (RFC 9293 §3.1, RFC 768, RFC 8200 §8.1).
  const network: NetworkContext =
    f.version === 4
      ? { version: 4, src: data.subarray(n + 12, n + 16), dst: data.subarray(n + 16, n + 20) }
      : { version: 6, src: data.subarray(n + 8, n + 24), dst: data.subarray(n + 24, n + 40) };
  const upTo = packet.layers.indexOf(f.network);
  const ctx: DissectContext = { frame, layers: packet.layers.slice(0, upTo + 1), network };
  let span: Span = { offset: f.dataStart, end: data.length, reportedEnd: data.length };
  let dissector = defaultTables.lookup('ip.proto', f.protocol);
  while (dissector && ctx.layers.length < MAX_LAYERS) {
    const d = dissector(data, span, ctx);
    ctx.layers.push(d.layer);
    span = d.payload;
    if (d.layer.status !== 'ok' || !d.next) break;
    dissector = defaultTables.lookup(d.next.table, d.next.key);
  }
  if (span.end > span.offset) ctx.layers.push(new DataLayer(data, span.offset, span.end - span.offset));
  return { frame, layers: ctx.layers, fragment: packet, datagram: p.info };
}

/**
 * Wireshark's fields for a reassembled datagram, shown on the completing frame: ip.fragment (each
 * frame), ip.fragment.count, ip.reassembled.length, and the overlap flags (ipv6.* for IPv6).
 */
export function reassemblyFields(info: DatagramInfo): Field[] {
  const p = info.version === 4 ? 'ip' : 'ipv6';
  const out: Field[] = [];
  for (const n of info.frames) out.push({ name: `${p}.fragment`, value: n, offset: 0, length: 0 });
  if (info.overlap) out.push({ name: `${p}.fragment.overlap`, value: true, offset: 0, length: 0 });
  if (info.conflict) out.push({ name: `${p}.fragment.overlap.conflict`, value: true, offset: 0, length: 0 });
  if (info.multipleTails) out.push({ name: `${p}.fragment.multipletails`, value: true, offset: 0, length: 0 });
  if (info.tooLong) out.push({ name: `${p}.fragment.toolongfragment`, value: true, offset: 0, length: 0 });
  out.push({ name: `${p}.fragment.count`, value: info.frames.length, offset: 0, length: 0 });
  out.push({ name: `${p}.reassembled.length`, value: info.length, offset: 0, length: 0 });
  return out;
}

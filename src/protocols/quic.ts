/**
 * QUIC packet headers (RFC 9000 §17, version-independent parts per RFC 8999 §5), without
 * decryption: long headers (version, connection IDs, packet type, Initial token, Length), Version
 * Negotiation (RFC 9000 §17.2.1), Retry, and short headers (RFC 9000 §17.3). A datagram may carry
 * several coalesced packets (RFC 9000 §12.2): each long header's Length says where the next one
 * starts; a short header runs to the end of the datagram. A short header's DCID has no length on
 * the wire (RFC 8999 §5.2), so it is known only from the long headers seen earlier on the flow:
 * `QuicFlows` keeps that per conversation and tells the layer.
 *
 *   tcpdump -xx (quic_v1_chromium_initial_sni.pcap frame 1, QUIC starts at 0x2a):
 *   0x0020:  ....      c000 0000 0108 9541 2c47 018c   long, Initial, v1, DCIL 8 95412c47018c..
 *   0x0030:  dfe8 0000 4489 ...                          ..dfe8, SCIL 0, token length 0, Length 0x489
 */
import type { Binding, Dissection, DissectContext, Span } from '../decode/dissector.js';
import { bytesHex, FieldList, type Field, type Layer, type LayerProblem, type LayerStatus } from '../decode/layer.js';
import { u32 } from '../wire/bytes.js';

export const QUIC_PORT = 443;
export const QUIC_V1 = 0x00000001;
/** RFC 9369 §3.1. */
export const QUIC_V2 = 0x6b3343cf;
/** RFC 9000 §17.2: version 1 limits connection IDs to 20 bytes (RFC 8999 allows up to 255). */
export const QUIC_MAX_CID_LEN = 20;
/** RFC 9000 §12.2: coalesced packets in one datagram; more than this is not a real sender. */
const MAX_PACKETS_PER_DATAGRAM = 64;

export const WL_MALFORMED_QUIC_HEADER = 'WL_MALFORMED_QUIC_HEADER';
export const WL_MALFORMED_QUIC_LENGTH = 'WL_MALFORMED_QUIC_LENGTH';

export type QuicPacketType = 'initial' | '0rtt' | 'handshake' | 'retry' | 'version_negotiation' | 'short';

const V1_TYPES: QuicPacketType[] = ['initial', '0rtt', 'handshake', 'retry'];
/** RFC 9369 §3.2 reorders the type bits. */
const V2_TYPES: QuicPacketType[] = ['retry', 'initial', '0rtt', 'handshake'];
const TYPE_INFO: Record<QuicPacketType, string> = {
  initial: 'Initial',
  '0rtt': '0-RTT',
  handshake: 'Handshake',
  retry: 'Retry',
  version_negotiation: 'Version Negotiation',
  short: 'Protected Payload',
};

/** RFC 9000 §16: a 2-bit length prefix, then 6, 14, 30 or 62 bits. Undefined when cut short. */
export function readVarint(d: Uint8Array, o: number, end: number): { value: number; length: number } | undefined {
  if (o >= end) return undefined;
  const length = 1 << (d[o]! >> 6);
  if (o + length > end) return undefined;
  let value = d[o]! & 0x3f;
  for (let i = 1; i < length; i++) value = value * 256 + d[o + i]!;
  return { value, length };
}

export function emitVarint(v: number): number[] {
  if (v < 0x40) return [v];
  if (v < 0x4000) return [0x40 | (v >> 8), v & 0xff];
  if (v < 0x40000000) return [0x80 | (v >>> 24), (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
  const hi = Math.floor(v / 2 ** 32);
  return [0xc0 | (hi >>> 24), (hi >>> 16) & 0xff, (hi >>> 8) & 0xff, hi & 0xff, (v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}

/** One packet of a datagram; offsets are in the frame. */
export interface QuicPacketView {
  offset: number;
  /** Bytes of this packet in the datagram (tshark's quic.packet_length). */
  length: number;
  type: QuicPacketType;
  firstByte: number;
  version?: number;
  dcidOffset?: number;
  dcidLength?: number;
  scidOffset?: number;
  scidLength?: number;
  tokenLengthOffset?: number;
  tokenLengthSize?: number;
  tokenLength?: number;
  lengthOffset?: number;
  lengthSize?: number;
  /** The Length field: packet number and payload bytes. */
  payloadLength?: number;
  /** Version Negotiation: where the supported versions start. */
  versionsOffset?: number;
}

/** Heuristic (tshark decodes QUIC on any port): a long header of a version we know, with sane CIDs. */
export function looksLikeQuicLongHeader(d: Uint8Array, o: number, end: number): boolean {
  if (o + 7 > end || (d[o]! & 0x80) === 0) return false;
  const v = u32(d, o + 1);
  const known = v === 0 || v === QUIC_V1 || v === QUIC_V2 || (v >>> 8) === 0xff0000 || (v & 0x0f0f0f0f) === 0x0a0a0a0a;
  if (!known) return false;
  if (v !== 0 && (d[o]! & 0x40) === 0) return false;
  const dcil = d[o + 5]!;
  if (dcil > QUIC_MAX_CID_LEN || o + 6 + dcil >= end) return false;
  return d[o + 6 + dcil]! <= QUIC_MAX_CID_LEN;
}

interface Walked {
  packets: QuicPacketView[];
  status: LayerStatus;
  problem?: LayerProblem;
}

/** Walks the coalesced packets of [o, end); `reportedEnd` tells a snaplen cut from a lie. */
function walkDatagram(d: Uint8Array, o: number, end: number, reportedEnd: number): Walked {
  const packets: QuicPacketView[] = [];
  let p = o;
  const cut = (at: number, code: string, message: string): Walked =>
    end < reportedEnd && at >= end ? { packets, status: 'truncated' } : { packets, status: 'malformed', problem: { code, offset: Math.min(at, end), message } };
  while (p < end && packets.length < MAX_PACKETS_PER_DATAGRAM) {
    const b = d[p]!;
    if ((b & 0x80) === 0) {
      packets.push({ offset: p, length: reportedEnd - p, type: 'short', firstByte: b });
      break;
    }
    if (p + 6 > end) return cut(p + 6, WL_MALFORMED_QUIC_HEADER, `QUIC long header at ${p} is cut before its DCID length`);
    const version = u32(d, p + 1);
    const pk: QuicPacketView = { offset: p, length: 0, type: 'initial', firstByte: b, version };
    let q = p + 5;
    pk.dcidLength = d[q]!;
    pk.dcidOffset = q + 1;
    q += 1 + pk.dcidLength;
    if (q + 1 > end) return cut(q + 1, WL_MALFORMED_QUIC_HEADER, `QUIC DCID (${pk.dcidLength} bytes) at ${p + 6} runs past the datagram`);
    pk.scidLength = d[q]!;
    pk.scidOffset = q + 1;
    q += 1 + pk.scidLength;
    if (q > end) return cut(q, WL_MALFORMED_QUIC_HEADER, `QUIC SCID (${pk.scidLength} bytes) runs past the datagram`);
    if (version === 0) {
      // RFC 9000 §17.2.1: the rest of the datagram lists versions; it cannot be coalesced.
      pk.type = 'version_negotiation';
      pk.versionsOffset = q;
      pk.length = reportedEnd - p;
      packets.push(pk);
      break;
    }
    const bits = (b & 0x30) >> 4;
    pk.type = (version === QUIC_V2 ? V2_TYPES : V1_TYPES)[bits]!;
    if (pk.type === 'retry') {
      // RFC 9000 §17.2.5: token then a 16-byte integrity tag, to the end of the datagram.
      pk.length = reportedEnd - p;
      packets.push(pk);
      break;
    }
    if (pk.type === 'initial') {
      const t = readVarint(d, q, end);
      if (!t) return cut(q + 1, WL_MALFORMED_QUIC_HEADER, `QUIC Initial token length at ${q} is cut`);
      pk.tokenLengthOffset = q;
      pk.tokenLengthSize = t.length;
      pk.tokenLength = t.value;
      q += t.length + t.value;
      if (q > end) return cut(q, WL_MALFORMED_QUIC_HEADER, `QUIC Initial token (${t.value} bytes) runs past the datagram`);
    }
    const len = readVarint(d, q, end);
    if (!len) return cut(q + 1, WL_MALFORMED_QUIC_HEADER, `QUIC Length field at ${q} is cut`);
    pk.lengthOffset = q;
    pk.lengthSize = len.length;
    pk.payloadLength = len.value;
    const pktEnd = q + len.length + len.value;
    if (pktEnd > reportedEnd) {
      pk.length = reportedEnd - p;
      packets.push(pk);
      return { packets, status: 'malformed', problem: { code: WL_MALFORMED_QUIC_LENGTH, offset: q, message: `QUIC Length ${len.value} at ${q} runs past the ${reportedEnd - p}-byte datagram` } };
    }
    pk.length = pktEnd - p;
    packets.push(pk);
    p = pktEnd;
  }
  return { packets, status: 'ok' };
}

/** Connection IDs as tshark's -T fields and Info column print them: lower-case hex, no separators. */
function cid(d: Uint8Array, o: number, n: number): string {
  return bytesHex(d, o, o + n);
}

export class QuicLayer implements Layer {
  readonly proto = 'quic';
  problem?: LayerProblem;
  /** DCID length for short headers, when the flow's long headers told it (QuicFlows sets it). */
  shortDcidLength?: number;

  constructor(
    private readonly data: Uint8Array,
    readonly offset: number,
    readonly length: number,
    public status: LayerStatus,
    readonly packets: readonly QuicPacketView[],
    private readonly capturedEnd: number,
  ) {}

  /** The DCID of the packet (for a short header only once its length is known). */
  dcid(pk: QuicPacketView): string | undefined {
    if (pk.type === 'short') {
      const n = this.shortDcidLength;
      return n !== undefined && pk.offset + 1 + n <= this.capturedEnd ? cid(this.data, pk.offset + 1, n) : undefined;
    }
    return pk.dcidOffset !== undefined && pk.dcidOffset + pk.dcidLength! <= this.capturedEnd ? cid(this.data, pk.dcidOffset, pk.dcidLength!) : undefined;
  }
  scid(pk: QuicPacketView): string | undefined {
    return pk.scidOffset !== undefined && pk.scidOffset + pk.scidLength! <= this.capturedEnd ? cid(this.data, pk.scidOffset, pk.scidLength!) : undefined;
  }

  /** tshark's Info: the last packet's, as each packet overwrites the column. */
  info(): string {
    const pk = this.packets[this.packets.length - 1];
    if (!pk) return 'QUIC';
    if (pk.type === 'short') {
      // The key phase bit is under header protection (RFC 9001 §5.4.1); tshark shows 0 without keys.
      const dcid = this.dcid(pk);
      return `Protected Payload (KP0)${dcid ? `, DCID=${dcid}` : ''}`;
    }
    let s = TYPE_INFO[pk.type];
    const dcid = this.dcid(pk);
    const scid = this.scid(pk);
    if (dcid) s += `, DCID=${dcid}`;
    if (scid) s += `, SCID=${scid}`;
    return s;
  }

  fields(): Field[] {
    const f = new FieldList(this.capturedEnd);
    const d = this.data;
    for (const pk of this.packets) {
      const o = pk.offset;
      const b = pk.firstByte;
      f.add('quic.packet_length', pk.length, o, 0);
      f.add('quic.header_form', b >> 7, o, 1);
      if (pk.type === 'short') {
        f.add('quic.fixed_bit', (b & 0x40) !== 0, o, 1).add('quic.spin_bit', (b & 0x20) !== 0, o, 1);
        const dcid = this.dcid(pk);
        if (dcid) f.add('quic.dcid', dcid, o + 1, this.shortDcidLength!);
        continue;
      }
      if (pk.type === 'version_negotiation') {
        f.add('quic.version', 0, o + 1, 4);
      } else {
        f.add('quic.fixed_bit', (b & 0x40) !== 0, o, 1);
        f.add(pk.version === QUIC_V2 ? 'quic.long.packet_type_v2' : 'quic.long.packet_type', (b & 0x30) >> 4, o, 1);
        f.add('quic.version', pk.version!, o + 1, 4);
      }
      f.add('quic.dcil', pk.dcidLength!, o + 5, 1);
      if (pk.dcidLength) f.add('quic.dcid', cid(d, pk.dcidOffset!, pk.dcidLength), pk.dcidOffset!, pk.dcidLength);
      if (pk.scidOffset === undefined) continue;
      f.add('quic.scil', pk.scidLength!, pk.scidOffset - 1, 1);
      if (pk.scidLength) f.add('quic.scid', cid(d, pk.scidOffset, pk.scidLength), pk.scidOffset, pk.scidLength);
      if (pk.versionsOffset !== undefined) {
        for (let q = pk.versionsOffset; q + 4 <= o + pk.length; q += 4) f.add('quic.supported_version', u32(d, q), q, 4);
        continue;
      }
      if (pk.tokenLengthOffset !== undefined) {
        f.add('quic.token_length', pk.tokenLength!, pk.tokenLengthOffset, pk.tokenLengthSize!);
        if (pk.tokenLength) f.add('quic.token', cid(d, pk.tokenLengthOffset + pk.tokenLengthSize!, pk.tokenLength), pk.tokenLengthOffset + pk.tokenLengthSize!, pk.tokenLength);
      }
      if (pk.lengthOffset !== undefined) f.add('quic.length', pk.payloadLength!, pk.lengthOffset, pk.lengthSize!);
    }
    return f.items;
  }
}

/** Builds the layer for the datagram in span (any port: the caller decided it is QUIC). */
export function dissectQuicDatagram(data: Uint8Array, span: Span): QuicLayer {
  const end = Math.min(span.end, span.reportedEnd);
  const w = walkDatagram(data, span.offset, end, span.reportedEnd);
  const layer = new QuicLayer(data, span.offset, Math.max(0, span.reportedEnd - span.offset), w.status, w.packets, end);
  if (w.problem) layer.problem = w.problem;
  return layer;
}

export const dissectQuic = (data: Uint8Array, span: Span, _ctx: DissectContext): Dissection => {
  const layer = dissectQuicDatagram(data, span);
  // Payloads are encrypted: nothing after the headers is decoded.
  const end = Math.min(span.end, span.reportedEnd);
  return { layer, payload: { offset: end, end, reportedEnd: end } };
};

export const bindings: readonly Binding[] = [{ table: 'udp.port', key: QUIC_PORT, dissector: dissectQuic }];

// ---------------------------------------------------------------------------------------------
// Flow state: who the client is and how long each side's connection IDs are

interface FlowState {
  /** Direction (lowToHigh of the conversation key) of the first Initial: the client's. */
  clientLowToHigh: boolean;
  clientCidLength?: number;
  serverCidLength?: number;
}

/**
 * Per-conversation QUIC state the analyzer drives, once per datagram in capture order. A short
 * header's DCID is the receiver's own connection ID (RFC 9000 §5.1), whose length that side
 * announced as SCID in its long headers; so a client's short packets carry the server's CID
 * length and the other way round. Bounded: at most `maxFlows` conversations (oldest dropped).
 */
export class QuicFlows {
  private readonly flows = new Map<string, FlowState>();
  constructor(private readonly maxFlows = 65536) {}

  isKnown(conversationKey: string): boolean {
    return this.flows.has(conversationKey);
  }

  /** Learns from the datagram's long headers, then gives its short headers their DCID length. */
  onDatagram(layer: QuicLayer, conversationKey: string, lowToHigh: boolean): void {
    let st = this.flows.get(conversationKey);
    for (const pk of layer.packets) {
      if (pk.type === 'short' || pk.type === 'version_negotiation' || pk.scidLength === undefined) continue;
      if (!st) {
        // The first long header is normally the client's Initial; a server packet first means the capture started late.
        const fromClient = pk.type === 'initial' || pk.type === '0rtt' ? true : pk.type === 'retry' ? false : true;
        st = { clientLowToHigh: fromClient ? lowToHigh : !lowToHigh };
        if (this.flows.size >= this.maxFlows) this.flows.delete(this.flows.keys().next().value!);
        this.flows.set(conversationKey, st);
      }
      if (lowToHigh === st.clientLowToHigh) st.clientCidLength = pk.scidLength;
      else st.serverCidLength = pk.scidLength;
    }
    if (!st) return;
    const fromClient = lowToHigh === st.clientLowToHigh;
    const n = fromClient ? st.serverCidLength : st.clientCidLength;
    if (n !== undefined) layer.shortDcidLength = n;
  }
}

// ---------------------------------------------------------------------------------------------
// Repr

export interface QuicLongHeaderRepr {
  /** 'version_negotiation' needs version 0 and `supportedVersions`. */
  type: Exclude<QuicPacketType, 'short'>;
  version: number;
  dcid: Uint8Array;
  scid: Uint8Array;
  /** Low 4 bits of the first byte (protected on the wire). */
  typeSpecificBits?: number;
  token?: Uint8Array;
  /** Packet number and protected payload, opaque here. */
  payload?: Uint8Array;
  supportedVersions?: number[];
}

export function emitQuicLongHeader(r: QuicLongHeaderRepr): Uint8Array {
  const out: number[] = [];
  const types = r.version === QUIC_V2 ? V2_TYPES : V1_TYPES;
  const first = r.type === 'version_negotiation' ? 0x80 | ((r.typeSpecificBits ?? 0) & 0x7f) : 0xc0 | (types.indexOf(r.type) << 4) | ((r.typeSpecificBits ?? 0) & 0x0f);
  const v = r.type === 'version_negotiation' ? 0 : r.version;
  out.push(first, v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff, r.dcid.length, ...r.dcid, r.scid.length, ...r.scid);
  if (r.type === 'version_negotiation') {
    for (const sv of r.supportedVersions ?? []) out.push(sv >>> 24, (sv >>> 16) & 0xff, (sv >>> 8) & 0xff, sv & 0xff);
    return Uint8Array.from(out);
  }
  if (r.type === 'retry') {
    out.push(...(r.token ?? []), ...(r.payload ?? new Uint8Array(16)));
    return Uint8Array.from(out);
  }
  if (r.type === 'initial') out.push(...emitVarint(r.token?.length ?? 0), ...(r.token ?? []));
  const payload = r.payload ?? new Uint8Array(0);
  out.push(...emitVarint(payload.length), ...payload);
  return Uint8Array.from(out);
}

/** Reads the long header of a single packet at offset 0 (no coalescing). Never throws. */
export function parseQuicLongHeader(d: Uint8Array): { repr?: QuicLongHeaderRepr; problem?: LayerProblem } {
  const w = walkDatagram(d, 0, d.length, d.length);
  const pk = w.packets[0];
  if (!pk || pk.type === 'short') return { problem: w.problem ?? { code: WL_MALFORMED_QUIC_HEADER, offset: 0, message: 'not a QUIC long header' } };
  const repr: QuicLongHeaderRepr = {
    type: pk.type,
    version: pk.version!,
    dcid: d.slice(pk.dcidOffset!, pk.dcidOffset! + pk.dcidLength!),
    scid: d.slice(pk.scidOffset!, pk.scidOffset! + pk.scidLength!),
    typeSpecificBits: pk.type === 'version_negotiation' ? pk.firstByte & 0x7f : pk.firstByte & 0x0f,
  };
  if (pk.type === 'version_negotiation') {
    repr.supportedVersions = [];
    for (let q = pk.versionsOffset!; q + 4 <= d.length; q += 4) repr.supportedVersions.push(u32(d, q));
  } else if (pk.type === 'retry') {
    const from = pk.scidOffset! + pk.scidLength!;
    repr.token = d.slice(from, Math.max(from, d.length - 16));
    repr.payload = d.slice(Math.max(from, d.length - 16));
  } else {
    if (pk.type === 'initial') repr.token = d.slice(pk.tokenLengthOffset! + pk.tokenLengthSize!, pk.tokenLengthOffset! + pk.tokenLengthSize! + pk.tokenLength!);
    const from = pk.lengthOffset! + pk.lengthSize!;
    repr.payload = d.slice(from, Math.min(d.length, from + pk.payloadLength!));
  }
  return w.problem ? { repr, problem: w.problem } : { repr };
}

/**
 * Decoded layers. A Layer is the header of one protocol inside a frame: where it sits, whether it
 * was whole, and its fields by Wireshark name. Decoding never throws: a header that runs past the
 * captured bytes because of the snap length is `truncated`; one that contradicts itself (IHL below
 * 5, an option longer than the header) is `malformed` with a stable code and the byte offset.
 */
import type { Frame } from '../capture/frame.js';

export type FieldValue = number | string | boolean;

/** One field occurrence: its Wireshark name, value, and where its bytes are in the frame. */
export interface Field {
  name: string;
  value: FieldValue;
  /** Byte offset in the frame. */
  offset: number;
  /** Length in bytes (0 for fields computed rather than read, such as checksum status). */
  length: number;
}

export type LayerStatus = 'ok' | 'truncated' | 'malformed';

export interface LayerProblem {
  /** Stable code, e.g. WL_MALFORMED_IPV4_IHL. */
  code: string;
  /** Byte offset in the frame of the offending bytes. */
  offset: number;
  message: string;
}

export interface Layer {
  /** Wireshark's protocol name: eth, vlan, arp, sll, null, ip, ipv6, icmp, icmpv6, tcp, udp, data. */
  readonly proto: string;
  /** Offset of the header in the frame. */
  readonly offset: number;
  /** Header length in bytes (what this layer consumed before its payload). */
  readonly length: number;
  status: LayerStatus;
  problem?: LayerProblem;
  /**
   * Every field of the layer, in header order; computed on demand (not needed for summaries).
   * `payloadBytes` false leaves out the fields that copy the payload as hex (tcp.payload,
   * udp.payload, data.data): a display filter on another field need not build them
   * (filter/access.ts reads those from the bytes).
   */
  fields(payloadBytes?: boolean): Field[];
  /** The Info column text this layer would show when it is the top layer (tshark's style). */
  info?(): string;
  /** Source and destination as the Source/Destination columns show them (network or link addresses). */
  endpoints?(): { src: string; dst: string } | undefined;
}

/** A decoded frame: its layers from the link layer up. */
export interface Packet {
  frame: Frame;
  layers: Layer[];
}

/** Finds the first layer of a protocol (typed by the caller, who knows which class implements it). */
export function findLayer<L extends Layer>(packet: Packet, proto: string): L | undefined {
  for (const l of packet.layers) if (l.proto === proto) return l as L;
  return undefined;
}

/**
 * A bytes field's value (FT_BYTES): bytes[start, end) in lower-case hex without separators, as
 * `tshark -T fields` prints them (display filters read it back: filter/values.ts parseBytes). A
 * range past the array is cut at its end.
 */
export function bytesHex(bytes: Uint8Array, start = 0, end = bytes.length): string {
  const from = Math.min(Math.max(0, start), bytes.length);
  return Buffer.from(bytes.buffer, bytes.byteOffset + from, Math.max(0, Math.min(end, bytes.length) - from)).toString('hex');
}

/**
 * Small builder so that protocol files list fields without repeating object literals. Fields whose
 * bytes lie past `capturedEnd` are left out, so a truncated header lists only what was captured.
 */
export class FieldList {
  readonly items: Field[] = [];
  constructor(private readonly capturedEnd = Number.POSITIVE_INFINITY) {}
  add(name: string, value: FieldValue, offset: number, length: number): this {
    if (offset + length <= this.capturedEnd) this.items.push({ name, value, offset, length });
    return this;
  }
}

/** Whether a header of `need` bytes at `offset` is whole, cut by the snap length, or longer than the packet. */
export function headerStatus(offset: number, need: number, end: number, reportedEnd: number): LayerStatus {
  if (offset + need <= end) return 'ok';
  return offset + need <= reportedEnd ? 'truncated' : 'malformed';
}

/**
 * Checksum verdict, as Wireshark's `*.checksum.status` value strings: 'not present' is a UDP zero
 * checksum over IPv4 (RFC 768: none was computed), 'illegal' the same over IPv6 (RFC 8200 §8.1).
 */
export type ChecksumStatus = 'good' | 'bad' | 'unverified' | 'not present' | 'illegal';

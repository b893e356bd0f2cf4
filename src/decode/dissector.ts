/**
 * The contract between the layer driver and each protocol file.
 *
 * Like Wireshark's tvbuffs, a layer sees two ends: `end`, how far the captured bytes go, and
 * `reportedEnd`, how far the packet went on the wire (from frame.len or an outer length field).
 * A header that needs bytes past `end` but within `reportedEnd` was cut by the snap length
 * (truncated); one that needs bytes past `reportedEnd` contradicts its own length fields (malformed).
 */
import type { Frame } from '../capture/frame.js';
import type { Layer } from './layer.js';

/** The bytes a dissector may look at: [offset, end) are captured, [offset, reportedEnd) were sent. */
export interface Span {
  offset: number;
  end: number;
  reportedEnd: number;
}

/** Names of the binding tables (gopacket's NextLayerType, scapy's bind_layers). */
export type TableName = 'linktype' | 'ethertype' | 'ip.proto' | 'null.family' | 'udp.port' | 'tcp.port';

/** What the network layer tells the transport layer (pseudo-header for checksums, RFC 793 §3.1, RFC 8200 §8.1). */
export interface NetworkContext {
  version: 4 | 6;
  /** Views of the source and destination addresses inside the frame. */
  src: Uint8Array;
  dst: Uint8Array;
  /**
   * True when the payload is the first fragment of a fragmented datagram (IPv4 MF set, or an IPv6
   * Fragment header with M set): the transport header is there but its checksum covers bytes that
   * are not, so it cannot be verified until reassembly.
   */
  fragmented?: boolean;
}

export interface DissectContext {
  readonly frame: Frame;
  /** Layers decoded so far, outermost first. */
  readonly layers: Layer[];
  /** Set by ip/ipv6 for the layer above. */
  network?: NetworkContext;
}

export interface Dissection {
  layer: Layer;
  /** The payload the next layer gets; `payload.end` may stop short of the frame (Ethernet padding). */
  payload: Span;
  /** Which table and key pick the next dissector; absent when the payload is not to be decoded further. */
  next?: { table: TableName; key: number };
}

export type Dissector = (data: Uint8Array, span: Span, ctx: DissectContext) => Dissection;

export interface Binding {
  table: TableName;
  key: number;
  dissector: Dissector;
}

/**
 * Raw IP link types (tcpdump.org/linktypes/LINKTYPE_RAW.html): the packet starts with its IP
 * header, no link layer at all.
 *
 * LINKTYPE_RAW (101, and the DLT_RAW values 12 and 14 that some old files carry, 14 on OpenBSD)
 * may hold IPv4 or IPv6; the version nibble of the first byte (RFC 791 §3.1, RFC 8200 §3) tells
 * which. Wireshark shows such frames with an empty "Raw packet data" layer (`raw`) before the IP
 * layer, and so do we: a zero-length `raw` layer with no fields.
 *
 * LINKTYPE_IPV4 (228) and LINKTYPE_IPV6 (229) say the version in the link type itself, and Wireshark
 * shows no `raw` layer for them: the link type is bound straight to the IPv4 or IPv6 dissector.
 *
 *   tcpdump -xx (rawip_android_dns_http_tls.pcap #1): 4500 003c a6f3 4000 …   IPv4 at offset 0
 */
import type { Binding, Dissection, DissectContext, Span } from '../decode/dissector.js';
import type { Field, Layer, LayerProblem, LayerStatus } from '../decode/layer.js';
import { EtherType } from './ethernet.js';
import { dissectIpv4 } from './ipv4.js';
import { dissectIpv6 } from './ipv6.js';

export const LINKTYPE_RAW = 101;
/** DLT_RAW as written by BSD/OS and most systems before LINKTYPE_RAW existed. */
export const LINKTYPE_RAW_DLT12 = 12;
/** DLT_RAW as written by OpenBSD. */
export const LINKTYPE_RAW_DLT14 = 14;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;

export class RawLayer implements Layer {
  readonly proto = 'raw';
  readonly length = 0;
  status: LayerStatus;
  problem?: LayerProblem;
  constructor(
    private readonly data: Uint8Array,
    readonly offset: number,
    status: LayerStatus,
  ) {
    this.status = status;
  }
  /** The IP version nibble of the first byte, undefined when no byte was captured. */
  get ipVersion(): number | undefined {
    const b = this.data[this.offset];
    return b === undefined ? undefined : b >>> 4;
  }
  fields(): Field[] {
    return [];
  }
  info(): string {
    return 'Raw packet data';
  }
  endpoints(): { src: string; dst: string } {
    return { src: 'N/A', dst: 'N/A' };
  }
}

export const dissectRaw = (data: Uint8Array, span: Span, _ctx: DissectContext): Dissection => {
  const o = span.offset;
  const payload = { ...span };
  if (o >= span.end) {
    // Not even the version byte: cut by the snap length, or an empty packet.
    const layer = new RawLayer(data, o, o < span.reportedEnd ? 'truncated' : 'malformed');
    if (layer.status === 'malformed') layer.problem = { code: 'WL_MALFORMED_RAW_EMPTY', offset: o, message: 'raw IP packet has no bytes' };
    return { layer, payload };
  }
  const layer = new RawLayer(data, o, 'ok');
  const v = layer.ipVersion;
  // Any other version is left as data (Wireshark does the same).
  if (v === 4) return { layer, payload, next: { table: 'ethertype', key: EtherType.IPv4 } };
  if (v === 6) return { layer, payload, next: { table: 'ethertype', key: EtherType.IPv6 } };
  return { layer, payload };
};

/** Raw IP has no header: emitting a frame is the IP packet itself (kept for the same shape as other files). */
export function emitRaw(payload: Uint8Array): Uint8Array {
  return payload;
}

export const bindings: readonly Binding[] = [
  { table: 'linktype', key: LINKTYPE_RAW, dissector: dissectRaw },
  { table: 'linktype', key: LINKTYPE_RAW_DLT12, dissector: dissectRaw },
  { table: 'linktype', key: LINKTYPE_RAW_DLT14, dissector: dissectRaw },
  { table: 'linktype', key: LINKTYPE_IPV4, dissector: dissectIpv4 },
  { table: 'linktype', key: LINKTYPE_IPV6, dissector: dissectIpv6 },
];

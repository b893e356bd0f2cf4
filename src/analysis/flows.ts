/**
 * Conversation keys. A TCP or UDP conversation is identified by its 5-tuple; the canonical key
 * is the same whichever direction a packet goes, so both directions find one conversation.
 * Keys are built from the address bytes in place (16-bit code units in a short string), not
 * from formatted text: this runs once per packet.
 */
import type { Layer, Packet } from '../decode/layer.js';
import { formatIPv4, formatIPv6 } from '../wire/addr.js';
import type { TcpLayer } from '../wire/tcp.js';

export type TransportProto = 'tcp' | 'udp';

export interface Endpoint {
  address: string;
  port: number;
}

export interface FlowKey {
  proto: TransportProto;
  /** Canonical key: equal for both directions of one 5-tuple. */
  key: string;
  /** True when this packet goes from the canonically lower endpoint to the higher one. */
  lowToHigh: boolean;
  /** The network layer (ip or ipv6) and the transport layer it carries. */
  network: Layer;
  transport: Layer;
}

/**
 * The innermost ip/ipv6 layer directly followed by tcp or udp, or undefined for packets that are
 * not part of a TCP or UDP conversation (ARP, ICMP, non-first fragments, damaged headers).
 *
 * `damagedTcp`: also a TCP header that is damaged or cut short after its fixed 20 bytes (bad
 * options, a data offset past the segment): tshark still numbers and analyses such segments, so
 * the TCP tracker takes them; observers that need a sound header get only 'ok' ones.
 */
export function flowKeyOf(packet: Packet, damagedTcp = false): FlowKey | undefined {
  const layers = packet.layers;
  for (let i = layers.length - 1; i > 0; i--) {
    const t = layers[i]!;
    if (t.proto !== 'tcp' && t.proto !== 'udp') continue;
    const n = layers[i - 1]!;
    if (n.proto !== 'ip' && n.proto !== 'ipv6') return undefined;
    if (t.status !== 'ok' && !(damagedTcp && t.proto === 'tcp' && soundFixedHeader(packet, t))) return undefined;
    return makeKey(packet.frame.data, n, t, t.proto);
  }
  return undefined;
}

/** The 20-byte fixed TCP header (RFC 9293 §3.1) is captured and within the segment. */
function soundFixedHeader(packet: Packet, t: Layer): boolean {
  return t.offset + 20 <= packet.frame.data.length && (t as TcpLayer).segmentLength >= 20;
}

function makeKey(d: Uint8Array, n: Layer, t: Layer, proto: TransportProto): FlowKey {
  const v6 = n.proto === 'ipv6';
  // RFC 791 §3.1: addresses at 12 and 16; RFC 8200 §3: at 8 and 24.
  const srcAt = n.offset + (v6 ? 8 : 12);
  const dstAt = n.offset + (v6 ? 24 : 16);
  const alen = v6 ? 16 : 4;
  const sport = (d[t.offset]! << 8) | d[t.offset + 1]!;
  const dport = (d[t.offset + 2]! << 8) | d[t.offset + 3]!;
  let cmp = 0;
  for (let i = 0; i < alen && cmp === 0; i++) cmp = d[srcAt + i]! - d[dstAt + i]!;
  if (cmp === 0) cmp = sport - dport;
  const lowToHigh = cmp <= 0;
  const [loAt, hiAt, loPort, hiPort] = lowToHigh ? [srcAt, dstAt, sport, dport] : [dstAt, srcAt, dport, sport];
  let key = proto === 'tcp' ? 'T' : 'U';
  for (let i = 0; i < alen; i += 2) key += String.fromCharCode((d[loAt + i]! << 8) | d[loAt + i + 1]!);
  for (let i = 0; i < alen; i += 2) key += String.fromCharCode((d[hiAt + i]! << 8) | d[hiAt + i + 1]!);
  key += String.fromCharCode(loPort, hiPort);
  return { proto, key, lowToHigh, network: n, transport: t };
}

/** Source and destination endpoints of the packet a key was made from, as text. */
export function endpointsOf(packet: Packet, k: FlowKey): { src: Endpoint; dst: Endpoint } {
  const d = packet.frame.data;
  const n = k.network;
  const v6 = n.proto === 'ipv6';
  const fmt = v6 ? formatIPv6 : formatIPv4;
  const t = k.transport.offset;
  return {
    src: { address: fmt(d, n.offset + (v6 ? 8 : 12)), port: (d[t]! << 8) | d[t + 1]! },
    dst: { address: fmt(d, n.offset + (v6 ? 24 : 16)), port: (d[t + 2]! << 8) | d[t + 3]! },
  };
}

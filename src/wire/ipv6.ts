/**
 * IPv6 (RFC 8200 §3): the fixed 40-byte header, then the extension-header chain (§4), which belongs
 * to this layer as in Wireshark: Hop-by-Hop (0), Routing (43), Fragment (44), Destination Options
 * (60) and AH (51, RFC 4302 §2.2) are walked by their lengths; anything else (TCP, UDP, ICMPv6,
 * ESP, Mobility, No Next Header …) ends the chain and picks the next layer.
 *
 *   tcpdump -xx:  000e: 6000 0000 0020 3aff 2001 0db8 0001 0000 0000 0000 0000 0001 2001 0db8 ...
 *   (payload length 32, next header 58 ICMPv6, hop limit 255, 2001:db8:1::1 → 2001:db8:1::2)
 */
import type { Binding, Dissection, DissectContext, Span } from '../decode/dissector.js';
import { bytesHex, FieldList, type Field, type Layer, type LayerProblem, type LayerStatus } from '../decode/layer.js';
import { formatIPv6 } from './addr.js';
import { put16, put32, putBytes, u16, u32 } from './bytes.js';
import { IpProtocol } from './ipv4.js';

export const IPV6_HEADER_LEN = 40;
const VTF = 0;
const PAYLOAD_LEN = 4;
const NEXT_HEADER = 6;
const HOP_LIMIT = 7;
const SRC = 8;
const DST = 24;
/** More extension headers than this is an attack or garbage; the walk stops there (RFC 8200 §4.1 lists at most 8 kinds). */
const MAX_EXT_HEADERS = 16;

export const FRAGMENT_HEADER_LEN = 8;

/** Option types inside Hop-by-Hop and Destination Options headers (RFC 8200 §4.2, RFC 2711, RFC 2675). */
export const Ipv6Option = { Pad1: 0, PadN: 1, RouterAlert: 5, Jumbo: 0xc2 } as const;


/** Length of the extension header of kind `nh` at `at`, or -1 when `nh` does not start one we walk. */
function extLength(b: Uint8Array, nh: number, at: number): number {
  switch (nh) {
    case IpProtocol.HopByHop:
    case IpProtocol.Routing:
    case IpProtocol.DestinationOptions:
      return (b[at + 1]! + 1) * 8;
    case IpProtocol.Fragment:
      return FRAGMENT_HEADER_LEN;
    case IpProtocol.AH:
      // AH counts 32-bit words minus 2 (RFC 4302 §2.2), unlike the other headers' 8-octet units.
      return (b[at + 1]! + 2) * 4;
    default:
      return -1;
  }
}

function isExtensionHeader(nh: number): boolean {
  return nh === IpProtocol.HopByHop || nh === IpProtocol.Routing || nh === IpProtocol.Fragment || nh === IpProtocol.DestinationOptions || nh === IpProtocol.AH;
}

/** Where the TLV options in [start, end) go wrong (length past the header), or -1 (RFC 8200 §4.2). */
function badTlvOffset(b: Uint8Array, start: number, end: number): number {
  for (let i = start; i < end; ) {
    if (b[i] === Ipv6Option.Pad1) {
      i++;
      continue;
    }
    if (i + 2 > end || i + 2 + b[i + 1]! > end) return i;
    i += 2 + b[i + 1]!;
  }
  return -1;
}

export class Ipv6Layer implements Layer {
  readonly proto = 'ipv6';
  problem?: LayerProblem;
  /** Offset in the frame of the Fragment header, or -1. */
  fragmentHeader = -1;
  /** The protocol after the extension headers (the upper layer's ip.proto key). */
  upperProtocol = 0;
  constructor(
    private readonly data: Uint8Array,
    readonly offset: number,
    /** Fixed header plus the extension headers walked. */
    public length: number,
    public status: LayerStatus,
    /** End of the captured bytes this layer could see. */
    private readonly end: number,
  ) {}
  get version(): number {
    return this.data[this.offset + VTF]! >> 4;
  }
  get trafficClass(): number {
    return (u16(this.data, this.offset + VTF) >> 4) & 0xff;
  }
  get flowLabel(): number {
    return u32(this.data, this.offset + VTF) & 0xfffff;
  }
  get payloadLength(): number {
    return u16(this.data, this.offset + PAYLOAD_LEN);
  }
  /** The fixed header's Next Header (ipv6.nxt), not the upper-layer protocol. */
  get nextHeader(): number {
    return this.data[this.offset + NEXT_HEADER]!;
  }
  get hopLimit(): number {
    return this.data[this.offset + HOP_LIMIT]!;
  }
  get src(): string {
    return formatIPv6(this.data, this.offset + SRC);
  }
  get dst(): string {
    return formatIPv6(this.data, this.offset + DST);
  }
  /** Fragment offset in bytes, or undefined without a Fragment header. */
  get fragmentOffset(): number | undefined {
    const f = this.fragmentHeader;
    return f < 0 ? undefined : u16(this.data, f + 2) & 0xfff8;
  }
  get moreFragments(): boolean {
    const f = this.fragmentHeader;
    return f >= 0 && (this.data[f + 3]! & 1) === 1;
  }
  get fragmentIdent(): number | undefined {
    const f = this.fragmentHeader;
    return f < 0 ? undefined : u32(this.data, f + 4);
  }
  fields(): Field[] {
    const o = this.offset;
    const b = this.data;
    const list = new FieldList(this.end);
    // Wireshark also lists ip.version under IPv6, so `ip.version == 6` filters work.
    list.add('ipv6.version', this.version, o, 1).add('ip.version', this.version, o, 1);
    if (this.problem?.code === 'WL_MALFORMED_IPV6_VERSION') return list.items;
    const tc = this.trafficClass;
    list
      .add('ipv6.tclass', tc, o, 4)
      .add('ipv6.tclass.dscp', tc >> 2, o, 4)
      .add('ipv6.tclass.ecn', tc & 3, o, 4)
      .add('ipv6.flow', this.flowLabel, o + 1, 3)
      .add('ipv6.plen', this.payloadLength, o + PAYLOAD_LEN, 2)
      .add('ipv6.nxt', this.nextHeader, o + NEXT_HEADER, 1)
      .add('ipv6.hlim', this.hopLimit, o + HOP_LIMIT, 1)
      .add('ipv6.src', this.src, o + SRC, 16)
      .add('ipv6.dst', this.dst, o + DST, 16);
    let nh = this.nextHeader;
    let at = o + IPV6_HEADER_LEN;
    // A header that overran the payload is not part of `length`, but its first two bytes are shown.
    const stop = this.problem?.code === 'WL_MALFORMED_IPV6_EXT_LENGTH' ? this.problem.offset + 1 : o + this.length;
    for (let n = 0; n < MAX_EXT_HEADERS && at < stop && at + 2 <= this.end; n++) {
      const len = extLength(b, nh, at);
      if (len < 0) break;
      const next = b[at]!;
      this.extFields(list, nh, at, len);
      nh = next;
      at += len;
    }
    return list.items;
  }
  private extFields(list: FieldList, nh: number, at: number, len: number): void {
    const b = this.data;
    const bad = this.problem && this.problem.offset >= at && this.problem.offset < at + len ? this.problem.offset : -1;
    if (bad === at && (nh === IpProtocol.Fragment || nh === IpProtocol.AH)) {
      list.add(nh === IpProtocol.AH ? 'ah.next_header' : 'ipv6.fraghdr.nxt', b[at]!, at, 1);
      return;
    }
    if (nh === IpProtocol.Fragment) {
      const w = u16(b, at + 2);
      list
        .add('ipv6.fraghdr.nxt', b[at]!, at, 1)
        .add('ipv6.fraghdr.reserved_octet', b[at + 1]!, at + 1, 1)
        // tshark shows the 8-octet-unit count (its tree text adds the byte value).
        .add('ipv6.fraghdr.offset', w >> 3, at + 2, 2)
        .add('ipv6.fraghdr.reserved_bits', (w >> 1) & 3, at + 2, 2)
        .add('ipv6.fraghdr.more', (w & 1) === 1, at + 2, 2)
        .add('ipv6.fraghdr.ident', u32(b, at + 4), at + 4, 4);
      return;
    }
    if (nh === IpProtocol.AH) return; // Wireshark gives AH its own `ah` protocol; we only skip over it.
    const name = nh === IpProtocol.HopByHop ? 'ipv6.hopopts' : nh === IpProtocol.Routing ? 'ipv6.routing' : 'ipv6.dstopts';
    list
      .add(`${name}.nxt`, b[at]!, at, 1)
      .add(`${name}.len`, b[at + 1]!, at + 1, 1)
      .add(`${name}.len_oct`, len, at + 1, 1);
    if (bad === at) return;
    const end = Math.min(at + len, this.end);
    if (nh === IpProtocol.Routing) {
      const type = b[at + 2]!;
      list.add('ipv6.routing.type', type, at + 2, 1).add('ipv6.routing.segleft', b[at + 3]!, at + 3, 1);
      if (type === 0) {
        list.add('ipv6.routing.src.reserved', bytesHex(b, at + 4, at + 8), at + 4, 4);
        for (let a = at + 8; a + 16 <= at + len; a += 16) list.add('ipv6.routing.src.addr', formatIPv6(b, a), a, 16);
      } else if (type === 2 && len >= 24) {
        list.add('ipv6.routing.mipv6.reserved', bytesHex(b, at + 4, at + 8), at + 4, 4);
        list.add('ipv6.routing.mipv6.home_address', formatIPv6(b, at + 8), at + 8, 16);
      }
      return;
    }
    for (let i = at + 2; i < end; ) {
      const type = b[i]!;
      list
        .add('ipv6.opt.type', type, i, 1)
        .add('ipv6.opt.type.action', type >> 6, i, 1)
        .add('ipv6.opt.type.change', (type & 0x20) !== 0, i, 1)
        .add('ipv6.opt.type.rest', type & 0x1f, i, 1);
      if (type === Ipv6Option.Pad1) {
        i++;
        continue;
      }
      const olen = b[i + 1];
      if (olen === undefined || i + 1 >= at + len) break;
      list.add('ipv6.opt.length', olen, i + 1, 1);
      if (i === bad) break;
      const v = i + 2;
      if (type === Ipv6Option.PadN && olen > 0) list.add('ipv6.opt.padn', bytesHex(b, v, Math.min(v + olen, end)), v, olen);
      else if (type === Ipv6Option.RouterAlert && olen === 2) list.add('ipv6.opt.router_alert', u16(b, v), v, 2);
      else if (type === Ipv6Option.Jumbo && olen === 4) list.add('ipv6.opt.jumbo', u32(b, v), v, 4);
      i = v + olen;
    }
  }
  info(): string {
    const off = this.fragmentOffset;
    if (this.status !== 'ok' || off === undefined || (off === 0 && !this.moreFragments)) return '';
    const f = this.fragmentHeader;
    return `IPv6 fragment (off=${off} more=${this.moreFragments ? 'y' : 'n'} ident=0x${this.fragmentIdent!.toString(16).padStart(8, '0')} nxt=${this.data[f]})`;
  }
  endpoints(): { src: string; dst: string } | undefined {
    // Source and destination end the 40-byte fixed header (RFC 8200 §3).
    return this.offset + 40 <= this.end ? { src: this.src, dst: this.dst } : undefined;
  }
}

export const dissectIpv6 = (data: Uint8Array, span: Span, ctx: DissectContext): Dissection => {
  const o = span.offset;
  const fail = (layer: Ipv6Layer, code: string, at: number, message: string, payload: Span): Dissection => {
    layer.status = 'malformed';
    layer.problem = { code, offset: at, message };
    return { layer, payload };
  };
  if (span.end > o && data[o]! >> 4 !== 6) {
    const layer = new Ipv6Layer(data, o, 1, 'malformed', span.end);
    return fail(layer, 'WL_MALFORMED_IPV6_VERSION', o, `IP version ${data[o]! >> 4} in an IPv6 header`, { offset: o + 1, end: span.end, reportedEnd: span.reportedEnd });
  }
  if (o + IPV6_HEADER_LEN > span.end) {
    const layer = new Ipv6Layer(data, o, IPV6_HEADER_LEN, 'truncated', span.end);
    const rest = { offset: span.end, end: span.end, reportedEnd: Math.max(span.end, span.reportedEnd) };
    if (o + IPV6_HEADER_LEN <= span.reportedEnd) return { layer, payload: rest };
    return fail(layer, 'WL_MALFORMED_IPV6_SHORT', o, `only ${span.reportedEnd - o} bytes left for the 40-byte IPv6 header`, rest);
  }
  const plen = u16(data, o + PAYLOAD_LEN);
  // Payload length 0 means a Jumbo payload (RFC 2675) or TSO on the capturing host: either way, to the end.
  const reportedEnd = plen === 0 ? span.reportedEnd : Math.min(o + IPV6_HEADER_LEN + plen, span.reportedEnd);
  const end = Math.min(reportedEnd, span.end);
  const layer = new Ipv6Layer(data, o, IPV6_HEADER_LEN, 'ok', end);

  let nh = data[o + NEXT_HEADER]!;
  let at = o + IPV6_HEADER_LEN;
  let finalDst = o + DST;
  let fragmentOffset = 0;
  let more = false;
  let walked = 0;
  for (; walked < MAX_EXT_HEADERS; walked++) {
    if (!isExtensionHeader(nh)) break;
    if (at + 2 > end) {
      if (at + 2 > reportedEnd) return fail(layer, 'WL_MALFORMED_IPV6_EXT_LENGTH', at, `extension header ${nh} at offset ${at} lies past the payload length`, { offset: Math.min(at, end), end, reportedEnd });
      layer.status = 'truncated';
      return { layer, payload: { offset: end, end, reportedEnd } };
    }
    const len = extLength(data, nh, at);
    if (at + len > reportedEnd) {
      layer.length = Math.min(at, end) - o;
      return fail(layer, 'WL_MALFORMED_IPV6_EXT_LENGTH', at, `extension header ${nh} at offset ${at} is ${len} bytes long and runs past the payload length`, { offset: at, end, reportedEnd });
    }
    if (at + len > end) {
      layer.length = at + len - o;
      layer.status = 'truncated';
      return { layer, payload: { offset: end, end, reportedEnd } };
    }
    if (nh === IpProtocol.HopByHop || nh === IpProtocol.DestinationOptions) {
      const bad = badTlvOffset(data, at + 2, at + len);
      if (bad >= 0) {
        layer.length = at + len - o;
        return fail(layer, 'WL_MALFORMED_IPV6_OPTION', bad, `option ${data[bad]} at offset ${bad} runs past its extension header`, { offset: at + len, end, reportedEnd });
      }
    } else if (nh === IpProtocol.Routing && data[at + 3]! > 0) {
      // With segments left, the pseudo-header uses the final destination (RFC 8200 §8.1):
      // the last address of a type 0/2 header, Segment List[0] of an SRH (RFC 8754 §4.3.1).
      const type = data[at + 2]!;
      if ((type === 0 || type === 2) && len >= 24) finalDst = at + len - 16;
      else if (type === 4 && len >= 24) finalDst = at + 8;
    } else if (nh === IpProtocol.Fragment) {
      layer.fragmentHeader = at;
      const w = u16(data, at + 2);
      fragmentOffset = w & 0xfff8;
      more = (w & 1) === 1;
    }
    const next = data[at]!;
    at += len;
    nh = next;
    layer.length = at - o;
    // Past a non-first fragment's header come fragment bytes, not more headers.
    if (fragmentOffset > 0) break;
  }
  layer.upperProtocol = nh;
  const payload = { offset: at, end, reportedEnd };
  ctx.network = { version: 6, src: data.subarray(o + SRC, o + SRC + 16), dst: data.subarray(finalDst, finalDst + 16) };
  if (fragmentOffset > 0 || walked === MAX_EXT_HEADERS || nh === IpProtocol.NoNextHeader) return { layer, payload };
  // An atomic fragment (offset 0, M clear; RFC 6946) is a whole datagram.
  if (more) ctx.network.fragmented = true;
  return { layer, payload, next: { table: 'ip.proto', key: nh } };
};

export interface Ipv6Repr {
  trafficClass: number;
  flowLabel: number;
  /** Computed on emit (extension headers + payload) when undefined. */
  payloadLength?: number;
  /** The fixed header's Next Header: the first extension header's kind, or the upper protocol. */
  nextHeader: number;
  hopLimit: number;
  src: Uint8Array;
  dst: Uint8Array;
  /** The extension-header chain, already encoded, each header's Next Header filled in. */
  extensionHeaders?: Uint8Array;
}

/** Reads the fixed header and keeps the extension headers walked by the dissector as raw bytes. */
export function parseIpv6(data: Uint8Array, offset = 0): Ipv6Repr {
  const w = u32(data, offset);
  const repr: Ipv6Repr = {
    trafficClass: (w >>> 20) & 0xff,
    flowLabel: w & 0xfffff,
    payloadLength: u16(data, offset + PAYLOAD_LEN),
    nextHeader: data[offset + NEXT_HEADER]!,
    hopLimit: data[offset + HOP_LIMIT]!,
    src: data.slice(offset + SRC, offset + SRC + 16),
    dst: data.slice(offset + DST, offset + DST + 16),
  };
  const d = dissectIpv6(data, { offset, end: data.length, reportedEnd: data.length }, { frame: undefined as never, layers: [] });
  if (d.layer.length > IPV6_HEADER_LEN) repr.extensionHeaders = data.slice(offset + IPV6_HEADER_LEN, offset + d.layer.length);
  return repr;
}

/** Builds a Fragment header (RFC 8200 §4.5) for `extensionHeaders`; `offset` in bytes, a multiple of 8. */
export function emitFragmentHeader(nextHeader: number, offset: number, more: boolean, ident: number): Uint8Array {
  const out = new Uint8Array(FRAGMENT_HEADER_LEN);
  out[0] = nextHeader;
  put16(out, 2, (offset & 0xfff8) | (more ? 1 : 0));
  put32(out, 4, ident);
  return out;
}

export function emitIpv6(repr: Ipv6Repr, payload: Uint8Array): Uint8Array {
  const hlen = ipv6HeaderLength(repr);
  const out = new Uint8Array(hlen + payload.length);
  emitIpv6Into(repr, payload.length, out, 0);
  out.set(payload, hlen);
  return out;
}

/** Bytes emitIpv6Into writes: the fixed header and the extension headers. */
export function ipv6HeaderLength(repr: Ipv6Repr): number {
  return IPV6_HEADER_LEN + (repr.extensionHeaders?.length ?? 0);
}

/**
 * Writes the fixed header and the extension headers at `offset` for an upper-layer payload of
 * `payloadLength` bytes that goes right after them, and returns the header length. IPv6 has no
 * header checksum (RFC 8200 §3), so the payload may be written before or after. Every header byte
 * is written, so `buf` need not be zeroed.
 */
export function emitIpv6Into(repr: Ipv6Repr, payloadLength: number, buf: Uint8Array, offset: number): number {
  const ext = repr.extensionHeaders;
  const extLen = ext ? ext.length : 0;
  const o = offset;
  put32(buf, o + VTF, ((6 << 28) | ((repr.trafficClass & 0xff) << 20) | (repr.flowLabel & 0xfffff)) >>> 0);
  put16(buf, o + PAYLOAD_LEN, repr.payloadLength ?? extLen + payloadLength);
  buf[o + NEXT_HEADER] = repr.nextHeader;
  buf[o + HOP_LIMIT] = repr.hopLimit;
  putBytes(buf, o + SRC, repr.src);
  putBytes(buf, o + DST, repr.dst);
  if (ext) buf.set(ext, o + IPV6_HEADER_LEN);
  return IPV6_HEADER_LEN + extLen;
}

export const bindings: readonly Binding[] = [
  { table: 'ethertype', key: 0x86dd, dissector: dissectIpv6 },
  // IPv6 in IPv4 or IPv6 (6in4, RFC 4213 §3.5; RFC 2473).
  { table: 'ip.proto', key: IpProtocol.IPv6, dissector: dissectIpv6 },
];

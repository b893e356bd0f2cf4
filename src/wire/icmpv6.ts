/**
 * ICMPv6 (RFC 4443) with its checksum over the IPv6 pseudo-header (RFC 8200 §8.1), and Neighbor
 * Discovery (RFC 4861 §4): Router Solicitation/Advertisement, Neighbor Solicitation/Advertisement
 * and Redirect with their options. The ND message, options included, is this layer; for echo and
 * errors the header is 8 bytes and the rest (echo data, the invoking packet) is left as data.
 *
 *   tcpdump -xx:  0036: 8800 546c e000 0000 2001 0db8 0001 0000 0000 0000 0000 0001 0201 aa00 0400 0a04
 *   (Neighbor Advertisement, R S O, target 2001:db8:1::1, target link-layer address aa:00:04:00:0a:04)
 */
import type { Binding, Dissection, DissectContext, NetworkContext, Span } from '../decode/dissector.js';
import { bytesHex, FieldList, type ChecksumStatus, type Field, type Layer, type LayerProblem, type LayerStatus } from '../decode/layer.js';
import { formatIPv6, formatMac } from './addr.js';
import { internetChecksum, pseudoHeaderSum } from './checksum.js';
import { put16, put32, u16, u32 } from './bytes.js';
import { IpProtocol } from './ipv4.js';

const TYPE = 0;
const CODE = 1;
const CHECKSUM = 2;
const BODY = 4;
export const ICMPV6_HEADER_LEN = 4;

export const Icmpv6Type = {
  DestinationUnreachable: 1,
  PacketTooBig: 2,
  TimeExceeded: 3,
  ParameterProblem: 4,
  EchoRequest: 128,
  EchoReply: 129,
  RouterSolicitation: 133,
  RouterAdvertisement: 134,
  NeighborSolicitation: 135,
  NeighborAdvertisement: 136,
  Redirect: 137,
} as const;

/** ND option types (RFC 4861 §4.6). */
export const NdOption = { SourceLinkLayerAddress: 1, TargetLinkLayerAddress: 2, PrefixInformation: 3, RedirectedHeader: 4, Mtu: 5 } as const;

/** Fixed length of each message before its data or ND options. */
function fixedLength(type: number): number {
  switch (type) {
    case Icmpv6Type.RouterSolicitation:
      return 8;
    case Icmpv6Type.RouterAdvertisement:
      return 16;
    case Icmpv6Type.NeighborSolicitation:
    case Icmpv6Type.NeighborAdvertisement:
      return 24;
    case Icmpv6Type.Redirect:
      return 40;
    default:
      // Echo and the four error messages have a 32-bit word after the checksum (RFC 4443 §3, §4).
      return type <= 4 || type === 128 || type === 129 ? 8 : ICMPV6_HEADER_LEN;
  }
}

function isNd(type: number): boolean {
  return type >= Icmpv6Type.RouterSolicitation && type <= Icmpv6Type.Redirect;
}


/** Where the ND options in [start, end) go wrong, or -1: length 0 or past the message (RFC 4861 §4.6). */
function badOptionOffset(b: Uint8Array, start: number, end: number, capEnd: number): number {
  for (let i = start; i < end && i + 2 <= capEnd; ) {
    const len = b[i + 1]! * 8;
    if (len === 0 || i + len > end) return i;
    i += len;
  }
  return -1;
}

const TYPE_TEXT: Record<number, string> = {
  1: 'Destination Unreachable',
  2: 'Packet Too Big',
  3: 'Time Exceeded',
  4: 'Parameter Problem',
  128: 'Echo (ping) request',
  129: 'Echo (ping) reply',
  130: 'Multicast Listener Query',
  131: 'Multicast Listener Report',
  132: 'Multicast Listener Done',
  133: 'Router Solicitation',
  134: 'Router Advertisement',
  135: 'Neighbor Solicitation',
  136: 'Neighbor Advertisement',
  137: 'Redirect',
  143: 'Multicast Listener Report Message v2',
};

export class Icmpv6Layer implements Layer {
  readonly proto = 'icmpv6';
  problem?: LayerProblem;
  constructor(
    private readonly data: Uint8Array,
    readonly offset: number,
    readonly length: number,
    public status: LayerStatus,
    /** End of the captured bytes of the message. */
    private readonly end: number,
    /** End of the message as sent. */
    private readonly messageEnd: number,
    /** The pseudo-header's sum, or -1 when the checksum cannot be verified (no IPv6 below, fragment, not captured whole). */
    private readonly pseudoSum: number,
    /** Hop limit of the enclosing IPv6 header (for the Info column), or -1. */
    private readonly hopLimit: number,
  ) {}
  get type(): number {
    return this.data[this.offset + TYPE]!;
  }
  get code(): number {
    return this.data[this.offset + CODE]!;
  }
  get checksum(): number {
    return u16(this.data, this.offset + CHECKSUM);
  }
  get checksumStatus(): ChecksumStatus {
    if (this.pseudoSum < 0) return 'unverified';
    return internetChecksum(this.data, this.offset, this.messageEnd, this.pseudoSum) === 0 ? 'good' : 'bad';
  }
  get ident(): number | undefined {
    const t = this.type;
    return t === 128 || t === 129 ? u16(this.data, this.offset + 4) : undefined;
  }
  get seq(): number | undefined {
    const t = this.type;
    return t === 128 || t === 129 ? u16(this.data, this.offset + 6) : undefined;
  }
  /** NS, NA and Redirect target address. */
  get targetAddress(): string | undefined {
    const t = this.type;
    return t >= 135 && t <= 137 ? formatIPv6(this.data, this.offset + 8) : undefined;
  }
  /** The link-layer address of the first source/target link-layer address option, as text. */
  linkLayerAddress(kind: number): string | undefined {
    const b = this.data;
    const start = this.offset + fixedLength(this.type);
    const stop = Math.min(this.offset + this.length, this.end);
    for (let i = start; i + 2 <= stop && b[i + 1]! > 0; i += b[i + 1]! * 8) {
      if (b[i] === kind && i + 8 <= stop) return b[i + 1] === 1 ? formatMac(b, i + 2) : bytesHex(b, i + 2, Math.min(i + b[i + 1]! * 8, stop));
    }
    return undefined;
  }
  fields(): Field[] {
    const o = this.offset;
    const b = this.data;
    const t = this.type;
    const list = new FieldList(this.end)
      .add('icmpv6.type', t, o + TYPE, 1)
      .add('icmpv6.code', this.code, o + CODE, 1)
      .add('icmpv6.checksum', this.checksum, o + CHECKSUM, 2);
    if (o + CHECKSUM + 2 <= this.end) list.add('icmpv6.checksum.status', this.checksumStatus, o + CHECKSUM, 0);
    const w = o + BODY;
    switch (t) {
      case Icmpv6Type.PacketTooBig:
        list.add('icmpv6.mtu', u32(b, w), w, 4);
        break;
      case Icmpv6Type.ParameterProblem:
        list.add('icmpv6.pointer', u32(b, w), w, 4);
        break;
      case Icmpv6Type.EchoRequest:
      case Icmpv6Type.EchoReply:
        list.add('icmpv6.echo.identifier', u16(b, w), w, 2).add('icmpv6.echo.sequence_number', u16(b, w + 2), w + 2, 2);
        break;
      case Icmpv6Type.RouterSolicitation:
        list.add('icmpv6.reserved', bytesHex(b, w, w + 4), w, 4);
        break;
      case Icmpv6Type.RouterAdvertisement: {
        const f = b[w + 1]!;
        list
          .add('icmpv6.nd.ra.cur_hop_limit', b[w]!, w, 1)
          .add('icmpv6.nd.ra.flag', f, w + 1, 1)
          .add('icmpv6.nd.ra.flag.m', (f & 0x80) !== 0, w + 1, 1)
          .add('icmpv6.nd.ra.flag.o', (f & 0x40) !== 0, w + 1, 1)
          .add('icmpv6.nd.ra.flag.h', (f & 0x20) !== 0, w + 1, 1)
          .add('icmpv6.nd.ra.flag.prf', (f >> 3) & 3, w + 1, 1)
          .add('icmpv6.nd.ra.flag.p', (f & 0x04) !== 0, w + 1, 1)
          .add('icmpv6.nd.ra.router_lifetime', u16(b, w + 2), w + 2, 2)
          .add('icmpv6.nd.ra.reachable_time', u32(b, w + 4), w + 4, 4)
          .add('icmpv6.nd.ra.retrans_timer', u32(b, w + 8), w + 8, 4);
        break;
      }
      case Icmpv6Type.NeighborSolicitation:
        list.add('icmpv6.reserved', bytesHex(b, w, w + 4), w, 4).add('icmpv6.nd.ns.target_address', formatIPv6(b, w + 4), w + 4, 16);
        break;
      case Icmpv6Type.NeighborAdvertisement: {
        const f = u32(b, w);
        list
          .add('icmpv6.nd.na.flag', f, w, 4)
          .add('icmpv6.nd.na.flag.r', (f & 0x80000000) !== 0, w, 4)
          .add('icmpv6.nd.na.flag.s', (f & 0x40000000) !== 0, w, 4)
          .add('icmpv6.nd.na.flag.o', (f & 0x20000000) !== 0, w, 4)
          .add('icmpv6.nd.na.flag.rsv', f & 0x1fffffff, w, 4)
          .add('icmpv6.nd.na.target_address', formatIPv6(b, w + 4), w + 4, 16);
        break;
      }
      case Icmpv6Type.Redirect:
        list
          .add('icmpv6.reserved', bytesHex(b, w, w + 4), w, 4)
          .add('icmpv6.nd.rd.target_address', formatIPv6(b, w + 4), w + 4, 16)
          .add('icmpv6.rd.na.destination_address', formatIPv6(b, w + 20), w + 20, 16);
        break;
    }
    if (isNd(t)) this.optionFields(list, o + fixedLength(t));
    return list.items;
  }
  private optionFields(list: FieldList, start: number): void {
    const b = this.data;
    const stop = Math.min(this.offset + this.length, this.end);
    for (let i = start; i + 2 <= stop; ) {
      const type = b[i]!;
      const units = b[i + 1]!;
      const len = units * 8;
      list.add('icmpv6.opt.type', type, i, 1).add('icmpv6.opt.length', units, i + 1, 1);
      if (len === 0 || (this.problem && this.problem.offset === i)) break;
      const v = i + 2;
      if (type === NdOption.SourceLinkLayerAddress || type === NdOption.TargetLinkLayerAddress) {
        const n = units === 1 ? 6 : len - 2;
        const text = n === 6 ? formatMac(b, v) : bytesHex(b, v, Math.min(v + n, stop));
        list.add('icmpv6.opt.linkaddr', text, v, n).add(type === 1 ? 'icmpv6.opt.src_linkaddr' : 'icmpv6.opt.target_linkaddr', text, v, n);
      } else if (type === NdOption.PrefixInformation && units === 4) {
        const f = b[v + 1]!;
        list
          .add('icmpv6.opt.prefix.length', b[v]!, v, 1)
          .add('icmpv6.opt.prefix.flag', f, v + 1, 1)
          .add('icmpv6.opt.prefix.flag.l', (f & 0x80) !== 0, v + 1, 1)
          .add('icmpv6.opt.prefix.flag.a', (f & 0x40) !== 0, v + 1, 1)
          .add('icmpv6.opt.prefix.flag.r', (f & 0x20) !== 0, v + 1, 1)
          .add('icmpv6.opt.prefix.valid_lifetime', u32(b, v + 2), v + 2, 4)
          .add('icmpv6.opt.prefix.preferred_lifetime', u32(b, v + 6), v + 6, 4)
          .add('icmpv6.opt.prefix', formatIPv6(b, v + 14), v + 14, 16);
      } else if (type === NdOption.Mtu && units === 1) {
        list.add('icmpv6.opt.mtu', u32(b, v + 2), v + 2, 4);
      }
      i += len;
    }
  }
  info(): string {
    const t = this.type;
    const text = TYPE_TEXT[t] ?? `Unknown (${t})`;
    if (this.status !== 'ok') return text;
    switch (t) {
      case Icmpv6Type.EchoRequest:
      case Icmpv6Type.EchoReply:
        return `${text} id=0x${this.ident!.toString(16).padStart(4, '0')}, seq=${this.seq}${this.hopLimit >= 0 ? `, hop limit=${this.hopLimit}` : ''}`;
      case Icmpv6Type.RouterSolicitation:
      case Icmpv6Type.RouterAdvertisement: {
        const from = this.linkLayerAddress(NdOption.SourceLinkLayerAddress);
        return from ? `${text} from ${from}` : text;
      }
      case Icmpv6Type.NeighborSolicitation: {
        const from = this.linkLayerAddress(NdOption.SourceLinkLayerAddress);
        return `${text} for ${this.targetAddress}${from ? ` from ${from}` : ''}`;
      }
      case Icmpv6Type.NeighborAdvertisement: {
        const f = this.data[this.offset + 4]!;
        const flags = [f & 0x80 ? 'rtr' : '', f & 0x40 ? 'sol' : '', f & 0x20 ? 'ovr' : ''].filter(Boolean).join(', ');
        const at = this.linkLayerAddress(NdOption.TargetLinkLayerAddress);
        return `${text} ${this.targetAddress}${flags ? ` (${flags})` : ''}${at ? ` is at ${at}` : ''}`;
      }
      default:
        return text;
    }
  }
}

export const dissectIcmpv6 = (data: Uint8Array, span: Span, ctx: DissectContext): Dissection => {
  const o = span.offset;
  const net = ctx.network;
  const whole = span.end >= span.reportedEnd;
  const pseudo = net && net.version === 6 && !net.fragmented && whole ? pseudoHeaderSum(net, IpProtocol.ICMPv6, span.reportedEnd - o) : -1;
  const below = ctx.layers[ctx.layers.length - 1];
  const hopLimit = below?.proto === 'ipv6' ? data[below.offset + 7]! : -1;
  const type = span.end > o ? data[o]! : -1;
  const fixed = fixedLength(type);
  // ND messages carry their options to the end of the message; they are all this layer.
  const length = isNd(type) ? Math.max(fixed, span.reportedEnd - o) : fixed;
  const layer = new Icmpv6Layer(data, o, length, 'ok', span.end, span.reportedEnd, pseudo, hopLimit);
  const after = Math.min(o + length, span.end);
  const payload = { offset: after, end: span.end, reportedEnd: Math.max(after, span.reportedEnd) };
  if (o + fixed > span.reportedEnd) {
    layer.status = 'malformed';
    layer.problem = { code: 'WL_MALFORMED_ICMPV6_LENGTH', offset: o, message: `ICMPv6 type ${type} needs ${fixed} bytes, the message has ${span.reportedEnd - o}` };
    return { layer, payload };
  }
  if (o + fixed > span.end) {
    layer.status = 'truncated';
    return { layer, payload };
  }
  if (isNd(type)) {
    const bad = badOptionOffset(data, o + fixed, span.reportedEnd, span.end);
    if (bad >= 0) {
      layer.status = 'malformed';
      layer.problem = { code: 'WL_MALFORMED_ICMPV6_OPTION', offset: bad, message: `ND option ${data[bad]} at offset ${bad} has length ${data[bad + 1]! * 8}, which is zero or runs past the message` };
    } else if (span.end < span.reportedEnd) layer.status = 'truncated';
  }
  return { layer, payload };
};

export interface Icmpv6Option {
  type: number;
  /** The option body after its type and length octets; emit pads it with zeros to a multiple of 8. */
  data: Uint8Array;
}

export interface Icmpv6Repr {
  type: number;
  code: number;
  /** Computed on emit over the pseudo-header and message when undefined. */
  checksum?: number;
  /** Echo request/reply. */
  ident?: number;
  seq?: number;
  /** The 32-bit word after the checksum for other types: MTU, pointer, NA flags, RA hop limit/flags/lifetime, reserved. */
  restOfHeader?: number;
  /** Router Advertisement. */
  reachableTime?: number;
  retransTimer?: number;
  /** NS, NA, Redirect. */
  targetAddress?: Uint8Array;
  /** Redirect. */
  destinationAddress?: Uint8Array;
  /** ND options. */
  options?: Icmpv6Option[];
}

/** Reads the message at `offset`; `end` bounds the ND options (defaults to the end of `data`). */
export function parseIcmpv6(data: Uint8Array, offset = 0, end = data.length): Icmpv6Repr {
  const type = data[offset + TYPE]!;
  const repr: Icmpv6Repr = { type, code: data[offset + CODE]!, checksum: u16(data, offset + CHECKSUM) };
  const w = offset + BODY;
  if (type === 128 || type === 129) {
    repr.ident = u16(data, w);
    repr.seq = u16(data, w + 2);
    return repr;
  }
  if (fixedLength(type) >= 8) repr.restOfHeader = u32(data, w);
  if (type === Icmpv6Type.RouterAdvertisement) {
    repr.reachableTime = u32(data, w + 4);
    repr.retransTimer = u32(data, w + 8);
  }
  if (type >= 135 && type <= 137) repr.targetAddress = data.slice(w + 4, w + 20);
  if (type === Icmpv6Type.Redirect) repr.destinationAddress = data.slice(w + 20, w + 36);
  if (isNd(type)) {
    repr.options = [];
    for (let i = offset + fixedLength(type); i + 2 <= end && data[i + 1]! > 0; i += data[i + 1]! * 8) {
      repr.options.push({ type: data[i]!, data: data.slice(i + 2, Math.min(i + data[i + 1]! * 8, end)) });
    }
  }
  return repr;
}

/** The message followed by `payload`; the checksum covers the pseudo-header of `net` (source, destination). */
export function emitIcmpv6(repr: Icmpv6Repr, payload: Uint8Array, net: Pick<NetworkContext, 'src' | 'dst'>): Uint8Array {
  const fixed = fixedLength(repr.type);
  let optLen = 0;
  for (const opt of repr.options ?? []) optLen += (opt.data.length + 2 + 7) & ~7;
  const out = new Uint8Array(fixed + optLen + payload.length);
  out[TYPE] = repr.type;
  out[CODE] = repr.code;
  const w = BODY;
  if (repr.type === 128 || repr.type === 129) {
    put16(out, w, repr.ident ?? 0);
    put16(out, w + 2, repr.seq ?? 0);
  } else if (fixed >= 8) put32(out, w, repr.restOfHeader ?? 0);
  if (repr.type === Icmpv6Type.RouterAdvertisement) {
    put32(out, w + 4, repr.reachableTime ?? 0);
    put32(out, w + 8, repr.retransTimer ?? 0);
  }
  if (repr.targetAddress && fixed >= 24) out.set(repr.targetAddress, w + 4);
  if (repr.destinationAddress && fixed >= 40) out.set(repr.destinationAddress, w + 20);
  let i = fixed;
  for (const opt of repr.options ?? []) {
    const len = (opt.data.length + 2 + 7) & ~7;
    out[i] = opt.type;
    out[i + 1] = len / 8;
    out.set(opt.data, i + 2);
    i += len;
  }
  out.set(payload, i);
  const pseudo = pseudoHeaderSum({ version: 6, src: net.src, dst: net.dst }, IpProtocol.ICMPv6, out.length);
  put16(out, CHECKSUM, repr.checksum ?? internetChecksum(out, 0, out.length, pseudo));
  return out;
}

export const bindings: readonly Binding[] = [{ table: 'ip.proto', key: IpProtocol.ICMPv6, dissector: dissectIcmpv6 }];

/**
 * IPv4 (RFC 791 §3.1): the fixed 20-byte header, options, and the payload span the total length
 * gives (which trims Ethernet padding). Fragments: a first fragment (offset 0, MF set) is decoded
 * by the next layer with `ctx.network.fragmented` set; later fragments stay data until reassembly.
 *
 *   tcpdump -xx:  0010: 4500 0028 fe4c 4000 8006 8d6d c0a8 0102 e000 0001 ...
 *   (version 4, IHL 5, total length 40, DF, TTL 128, TCP, 192.168.1.2 → 224.0.0.1)
 */
import type { Binding, Dissection, DissectContext, NetworkContext, Span } from '../decode/dissector.js';
import { FieldList, type ChecksumStatus, type Field, type Layer, type LayerProblem, type LayerStatus } from '../decode/layer.js';
import { formatIPv4 } from './addr.js';
import { internetChecksum } from './checksum.js';
import { put16, putBytes, u16 } from './bytes.js';

export const IPV4_MIN_HEADER_LEN = 20;
/** IHL is 4 bits of 32-bit words, so a header is at most 60 bytes. */
export const IPV4_MAX_HEADER_LEN = 60;
const VER_IHL = 0;
const DS = 1;
const LENGTH = 2;
const IDENT = 4;
const FLAGS_FRAG = 6;
const TTL = 8;
const PROTOCOL = 9;
const CHECKSUM = 10;
const SRC = 12;
const DST = 16;
const OPTIONS = 20;

/** Assigned Internet protocol numbers (IANA) that this project binds or names. */
export const IpProtocol = {
  HopByHop: 0,
  ICMP: 1,
  IGMP: 2,
  IPIP: 4,
  TCP: 6,
  UDP: 17,
  IPv6: 41,
  Routing: 43,
  Fragment: 44,
  GRE: 47,
  ESP: 50,
  AH: 51,
  ICMPv6: 58,
  NoNextHeader: 59,
  DestinationOptions: 60,
  SCTP: 132,
} as const;

const PROTOCOL_NAME: Record<number, string> = {
  0: 'IPv6 Hop-by-Hop Option',
  1: 'ICMP',
  2: 'IGMP',
  4: 'IPIP',
  6: 'TCP',
  17: 'UDP',
  41: 'IPv6',
  47: 'GRE',
  50: 'ESP',
  51: 'AH',
  58: 'ICMPv6',
  132: 'SCTP',
};

/** Protocol name as Wireshark's "proto=UDP 17" shows it. */
export function ipProtocolName(p: number): string {
  return PROTOCOL_NAME[p] ?? (p >= 146 && p <= 252 ? 'Unassigned' : 'Unknown');
}

/** Option kinds of RFC 791 §3.1 and later RFCs that get their own fields. */
export const Ipv4Option = {
  EndOfList: 0,
  NoOperation: 1,
  /** RFC 2113: 0x94 = copied, class 0, number 20; 2-byte value (0 = "router shall examine packet"). */
  RouterAlert: 148,
} as const;

export const IPV4_FLAG_RB = 0x4;
export const IPV4_FLAG_DF = 0x2;
export const IPV4_FLAG_MF = 0x1;

/**
 * Where the option list first goes wrong, or -1. An option needs a length of at least 2 that stays
 * within the header (RFC 791 §3.1 "option-length octet counts the option-type octet and the
 * option-length octet as well as the option-data octets"). Only captured bytes are examined.
 */
function badOptionOffset(b: Uint8Array, start: number, hdrEnd: number, capEnd: number): number {
  let i = start;
  const stop = Math.min(hdrEnd, capEnd);
  while (i < stop) {
    const kind = b[i]!;
    if (kind === Ipv4Option.EndOfList) return -1;
    if (kind === Ipv4Option.NoOperation) {
      i++;
      continue;
    }
    if (i + 1 >= stop) return i + 1 >= hdrEnd ? i : -1;
    const len = b[i + 1]!;
    if (len < 2 || i + len > hdrEnd) return i;
    i += len;
  }
  return -1;
}

export class Ipv4Layer implements Layer {
  readonly proto = 'ip';
  problem?: LayerProblem;
  constructor(
    private readonly data: Uint8Array,
    readonly offset: number,
    /** Header length in bytes (IHL × 4, or what was readable when IHL is bogus). */
    readonly length: number,
    public status: LayerStatus,
    /** End of the captured bytes this layer could see. */
    private readonly end: number,
    /** The datagram length used for the payload span: ip.len, or the reported length when ip.len is 0 (TSO). */
    readonly datagramLength: number,
  ) {}
  get version(): number {
    return this.data[this.offset + VER_IHL]! >> 4;
  }
  /** IHL in bytes, as ip.hdr_len shows it. */
  get headerLength(): number {
    return (this.data[this.offset + VER_IHL]! & 0x0f) * 4;
  }
  get dsField(): number {
    return this.data[this.offset + DS]!;
  }
  get dscp(): number {
    return this.dsField >> 2;
  }
  get ecn(): number {
    return this.dsField & 0x3;
  }
  /** The total length field as sent (0 when the capturing host used TSO). */
  get totalLength(): number {
    return u16(this.data, this.offset + LENGTH);
  }
  get ident(): number {
    return u16(this.data, this.offset + IDENT);
  }
  /** The three flag bits (RB, DF, MF) as ip.flags shows them: 0..7. */
  get flags(): number {
    return this.data[this.offset + FLAGS_FRAG]! >> 5;
  }
  get dontFragment(): boolean {
    return (this.flags & IPV4_FLAG_DF) !== 0;
  }
  get moreFragments(): boolean {
    // MF is bit 0x20 of the flags byte (IPV4_FLAG_MF after the shift in `flags`): one load, as the
    // TCP tracker asks this of every segment.
    return (this.data[this.offset + FLAGS_FRAG]! & (IPV4_FLAG_MF << 5)) !== 0;
  }
  /** Fragment offset in bytes (the field counts 8-byte units, RFC 791 §3.1). */
  get fragmentOffset(): number {
    return (u16(this.data, this.offset + FLAGS_FRAG) & 0x1fff) * 8;
  }
  get ttl(): number {
    return this.data[this.offset + TTL]!;
  }
  get protocol(): number {
    return this.data[this.offset + PROTOCOL]!;
  }
  get checksum(): number {
    return u16(this.data, this.offset + CHECKSUM);
  }
  /** The header checksum verdict; unverified when the header was not captured whole. */
  get checksumStatus(): ChecksumStatus {
    const hl = this.headerLength;
    if (hl < IPV4_MIN_HEADER_LEN || this.offset + hl > this.end) return 'unverified';
    return internetChecksum(this.data, this.offset, this.offset + hl) === 0 ? 'good' : 'bad';
  }
  get src(): string {
    return formatIPv4(this.data, this.offset + SRC);
  }
  get dst(): string {
    return formatIPv4(this.data, this.offset + DST);
  }
  fields(): Field[] {
    const o = this.offset;
    const b = this.data;
    const list = new FieldList(this.end);
    list.add('ip.version', this.version, o, 1);
    // Wireshark stops at a bogus version or IHL; so do we.
    if (this.problem?.code === 'WL_MALFORMED_IPV4_VERSION') return list.items;
    list.add('ip.hdr_len', this.headerLength, o, 1);
    if (this.problem?.code === 'WL_MALFORMED_IPV4_IHL') return list.items;
    list
      .add('ip.dsfield', this.dsField, o + DS, 1)
      .add('ip.dsfield.dscp', this.dscp, o + DS, 1)
      .add('ip.dsfield.ecn', this.ecn, o + DS, 1)
      .add('ip.len', this.totalLength === 0 ? this.datagramLength : this.totalLength, o + LENGTH, 2);
    if (this.problem && this.problem.offset === o + LENGTH) return list.items;
    const flags = this.flags;
    list
      .add('ip.id', this.ident, o + IDENT, 2)
      .add('ip.flags', flags, o + FLAGS_FRAG, 1)
      .add('ip.flags.rb', (flags & IPV4_FLAG_RB) !== 0, o + FLAGS_FRAG, 1)
      .add('ip.flags.df', (flags & IPV4_FLAG_DF) !== 0, o + FLAGS_FRAG, 1)
      .add('ip.flags.mf', (flags & IPV4_FLAG_MF) !== 0, o + FLAGS_FRAG, 1)
      // tshark 4.0 shows the raw 8-byte-unit count here (its tree text says bytes).
      .add('ip.frag_offset', this.fragmentOffset / 8, o + FLAGS_FRAG, 2)
      .add('ip.ttl', this.ttl, o + TTL, 1)
      .add('ip.proto', this.protocol, o + PROTOCOL, 1)
      .add('ip.checksum', this.checksum, o + CHECKSUM, 2);
    if (o + CHECKSUM + 2 <= this.end) list.add('ip.checksum.status', this.checksumStatus, o + CHECKSUM, 0);
    list.add('ip.src', this.src, o + SRC, 4).add('ip.dst', this.dst, o + DST, 4);
    const hdrEnd = o + this.headerLength;
    const stopAt = this.problem?.code === 'WL_MALFORMED_IPV4_OPTION' ? this.problem.offset : hdrEnd;
    for (let i = o + OPTIONS; i < hdrEnd && i < this.end; ) {
      const kind = b[i]!;
      list
        .add('ip.opt.type', kind, i, 1)
        .add('ip.opt.type.copy', (kind & 0x80) !== 0, i, 1)
        .add('ip.opt.type.class', (kind >> 5) & 0x3, i, 1)
        .add('ip.opt.type.number', kind & 0x1f, i, 1);
      if (kind === Ipv4Option.EndOfList) break;
      if (kind === Ipv4Option.NoOperation) {
        i++;
        continue;
      }
      const len = b[i + 1];
      if (len !== undefined && i + 1 < hdrEnd) list.add('ip.opt.len', len, i + 1, 1);
      if (i >= stopAt || len === undefined || len < 2) break;
      if (kind === Ipv4Option.RouterAlert && len === 4) list.add('ip.opt.ra', u16(b, i + 2), i + 2, 2);
      i += len;
    }
    return list.items;
  }
  info(): string {
    if (this.problem?.code === 'WL_MALFORMED_IPV4_VERSION') return `Bogus IPv4 version (${this.version}, must be 4)`;
    // A fragment's (shown when nothing above IP is: a later fragment, or any with reassembly on).
    if (this.status !== 'ok' || (this.fragmentOffset === 0 && !this.moreFragments)) return '';
    const p = this.protocol;
    return `Fragmented IP protocol (proto=${ipProtocolName(p)} ${p}, off=${this.fragmentOffset}, ID=${this.ident.toString(16).padStart(4, '0')})`;
  }
  endpoints(): { src: string; dst: string } | undefined {
    // A header cut before its addresses has none to show; the link layer's stay in the columns.
    return this.offset + DST + 4 <= this.end ? { src: this.src, dst: this.dst } : undefined;
  }
}

/**
 * The pseudo-header source handed to the transport layer. The address views are made only when
 * asked for (a checksum being verified): two subarrays per packet are a measurable part of a
 * `stats` run, which never verifies checksums.
 */
class Ipv4Network implements NetworkContext {
  readonly version = 4;
  fragmented?: boolean;
  constructor(
    private readonly data: Uint8Array,
    private readonly offset: number,
  ) {}
  get src(): Uint8Array {
    return this.data.subarray(this.offset + SRC, this.offset + SRC + 4);
  }
  get dst(): Uint8Array {
    return this.data.subarray(this.offset + DST, this.offset + DST + 4);
  }
}

/** A header that contradicts itself: shown as far as it goes, the rest becomes data. (Module level, not a closure in dissectIpv4, which would allocate one per packet.) */
function malformed(data: Uint8Array, span: Span, length: number, code: string, at: number, message: string, datagram = 0): Dissection {
  const o = span.offset;
  const layer = new Ipv4Layer(data, o, length, 'malformed', span.end, datagram);
  layer.problem = { code, offset: at, message };
  const start = Math.min(o + length, span.end);
  return { layer, payload: { offset: start, end: span.end, reportedEnd: Math.max(start, span.reportedEnd) } };
}

export const dissectIpv4 = (data: Uint8Array, span: Span, ctx: DissectContext): Dissection => {
  const o = span.offset;
  const avail = span.end - o;
  if (avail >= 1) {
    const b0 = data[o]!;
    if (b0 >> 4 !== 4) return malformed(data, span, 1, 'WL_MALFORMED_IPV4_VERSION', o, `IP version ${b0 >> 4} in an IPv4 header`);
    if ((b0 & 0xf) < 5) return malformed(data, span, 1, 'WL_MALFORMED_IPV4_IHL', o, `header length ${(b0 & 0xf) * 4} bytes is below the minimum of 20 (IHL ${b0 & 0xf})`);
  }
  if (o + IPV4_MIN_HEADER_LEN > span.reportedEnd) {
    return malformed(data, span, Math.max(0, Math.min(avail, span.reportedEnd - o)), 'WL_MALFORMED_IPV4_SHORT', o, `only ${span.reportedEnd - o} bytes left for a 20-byte IPv4 header`);
  }
  if (avail < IPV4_MIN_HEADER_LEN) {
    const layer = new Ipv4Layer(data, o, IPV4_MIN_HEADER_LEN, 'truncated', span.end, 0);
    return { layer, payload: { offset: span.end, end: span.end, reportedEnd: span.reportedEnd } };
  }
  const hlen = (data[o]! & 0xf) * 4;
  const totalField = u16(data, o + LENGTH);
  // A total length of 0 is what hosts doing TCP segmentation offload hand to the capture; Wireshark then uses the reported length.
  const total = totalField === 0 ? span.reportedEnd - o : totalField;
  if (total < hlen) return malformed(data, span, LENGTH + 2, 'WL_MALFORMED_IPV4_TOTAL_LENGTH', o + LENGTH, `total length ${total} is less than the header length ${hlen}`, total);
  if (o + hlen > span.reportedEnd) return malformed(data, span, Math.min(hlen, avail), 'WL_MALFORMED_IPV4_SHORT', o, `header length ${hlen} runs past the end of the packet (${span.reportedEnd - o} bytes)`, total);
  // The datagram ends where the total length says (trimming link padding), never past what was sent.
  const reportedEnd = Math.min(o + total, span.reportedEnd);
  const end = Math.min(reportedEnd, span.end);
  if (o + hlen > span.end) {
    const layer = new Ipv4Layer(data, o, hlen, 'truncated', span.end, total);
    return { layer, payload: { offset: span.end, end: span.end, reportedEnd } };
  }
  const layer = new Ipv4Layer(data, o, hlen, 'ok', span.end, total);
  if (hlen > IPV4_MIN_HEADER_LEN) {
    const bad = badOptionOffset(data, o + OPTIONS, o + hlen, span.end);
    if (bad >= 0) {
      layer.status = 'malformed';
      layer.problem = { code: 'WL_MALFORMED_IPV4_OPTION', offset: bad, message: `option ${data[bad]} at offset ${bad} has length ${data[bad + 1] ?? '?'} and does not fit in the ${hlen}-byte header` };
      return { layer, payload: { offset: o + hlen, end, reportedEnd } };
    }
  }
  const payload = { offset: o + hlen, end, reportedEnd };
  const flagsFrag = u16(data, o + FLAGS_FRAG);
  const fragmentOffset = flagsFrag & 0x1fff;
  const more = (flagsFrag & 0x2000) !== 0;
  ctx.network = new Ipv4Network(data, o);
  // Only the first fragment carries the upper-layer header; the rest wait for reassembly (RFC 791 §3.2).
  if (fragmentOffset > 0) return { layer, payload };
  if (more) ctx.network.fragmented = true;
  return { layer, payload, next: { table: 'ip.proto', key: data[o + PROTOCOL]! } };
};

export interface Ipv4Repr {
  dscp: number;
  ecn: number;
  /** Computed on emit (header + payload) when undefined. */
  totalLength?: number;
  ident: number;
  reservedBit?: boolean;
  dontFragment: boolean;
  moreFragments: boolean;
  /** In bytes; a multiple of 8. */
  fragmentOffset: number;
  ttl: number;
  protocol: number;
  /** Computed on emit when undefined. */
  checksum?: number;
  src: Uint8Array;
  dst: Uint8Array;
  /** Raw option bytes; emit pads them with EOL to a multiple of 4. */
  options?: Uint8Array;
}

export function parseIpv4(data: Uint8Array, offset = 0): Ipv4Repr {
  const hlen = (data[offset + VER_IHL]! & 0xf) * 4;
  const flags = data[offset + FLAGS_FRAG]! >> 5;
  const repr: Ipv4Repr = {
    dscp: data[offset + DS]! >> 2,
    ecn: data[offset + DS]! & 3,
    totalLength: u16(data, offset + LENGTH),
    ident: u16(data, offset + IDENT),
    dontFragment: (flags & IPV4_FLAG_DF) !== 0,
    moreFragments: (flags & IPV4_FLAG_MF) !== 0,
    fragmentOffset: (u16(data, offset + FLAGS_FRAG) & 0x1fff) * 8,
    ttl: data[offset + TTL]!,
    protocol: data[offset + PROTOCOL]!,
    checksum: u16(data, offset + CHECKSUM),
    src: data.slice(offset + SRC, offset + SRC + 4),
    dst: data.slice(offset + DST, offset + DST + 4),
  };
  if (flags & IPV4_FLAG_RB) repr.reservedBit = true;
  if (hlen > IPV4_MIN_HEADER_LEN) repr.options = data.slice(offset + OPTIONS, offset + hlen);
  return repr;
}

/** Header followed by the payload. */
export function emitIpv4(repr: Ipv4Repr, payload: Uint8Array): Uint8Array {
  const hlen = ipv4HeaderLength(repr);
  const out = new Uint8Array(hlen + payload.length);
  emitIpv4Into(repr, payload.length, out, 0);
  out.set(payload, hlen);
  return out;
}

/** Bytes emitIpv4Into writes: 20 plus the options padded to a multiple of 4. */
export function ipv4HeaderLength(repr: Ipv4Repr): number {
  return IPV4_MIN_HEADER_LEN + (repr.options ? (repr.options.length + 3) & ~3 : 0);
}

/**
 * Writes the header alone at `offset` for a payload of `payloadLength` bytes that goes right after
 * it (the checksum covers the header only, so the payload may be written before or after), and
 * returns the header length. Every header byte is written, so `buf` need not be zeroed.
 */
export function emitIpv4Into(repr: Ipv4Repr, payloadLength: number, buf: Uint8Array, offset: number): number {
  const hlen = ipv4HeaderLength(repr);
  const o = offset;
  buf[o + VER_IHL] = 0x40 | (hlen / 4);
  buf[o + DS] = ((repr.dscp & 0x3f) << 2) | (repr.ecn & 3);
  put16(buf, o + LENGTH, repr.totalLength ?? hlen + payloadLength);
  put16(buf, o + IDENT, repr.ident);
  const flags = (repr.reservedBit ? IPV4_FLAG_RB : 0) | (repr.dontFragment ? IPV4_FLAG_DF : 0) | (repr.moreFragments ? IPV4_FLAG_MF : 0);
  put16(buf, o + FLAGS_FRAG, (flags << 13) | ((repr.fragmentOffset / 8) & 0x1fff));
  buf[o + TTL] = repr.ttl;
  buf[o + PROTOCOL] = repr.protocol;
  put16(buf, o + CHECKSUM, 0);
  putBytes(buf, o + SRC, repr.src);
  putBytes(buf, o + DST, repr.dst);
  if (repr.options) {
    buf.set(repr.options, o + OPTIONS);
    // Padding is EOL (0), RFC 791 §3.1.
    buf.fill(0, o + OPTIONS + repr.options.length, o + hlen);
  }
  put16(buf, o + CHECKSUM, repr.checksum ?? internetChecksum(buf, o, o + hlen));
  return hlen;
}

export const bindings: readonly Binding[] = [
  { table: 'ethertype', key: 0x0800, dissector: dissectIpv4 },
  // IP-in-IP (RFC 2003).
  { table: 'ip.proto', key: IpProtocol.IPIP, dissector: dissectIpv4 },
];

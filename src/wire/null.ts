/**
 * BSD loopback encapsulations (tcpdump.org/linktypes/LINKTYPE_NULL.html, LINKTYPE_LOOP.html): a
 * 4-byte address family in front of the packet. LINKTYPE_NULL stores it in the byte order of the
 * machine that captured, so the file alone does not say which order it is in; LINKTYPE_LOOP
 * (OpenBSD) always uses network byte order.
 *
 * AF_INET is 2 everywhere; AF_INET6 is 24 on NetBSD/OpenBSD, 28 on FreeBSD and 30 on macOS.
 *
 * For NULL we read the value as Wireshark does (on a little-endian host), so the same files give
 * the same answers: a value whose upper half is set is byte-swapped, except for the IRIX and
 * UNICOS/mp snoop form that puts a 16-bit family in the first two bytes; and old Linux libpcap wrote
 * an EtherType there instead of a family, which shows as a value above 1500 (`null.type`). A header
 * starting FF 03 is PPP in HDLC framing (FreeBSD ISDN), which we do not decode: the layer then has no
 * fields and what follows is data.
 *
 *   tcpdump -xx (null_lo0_macos_ipv6_http.pcap #1): 1e00 0000 | 6000 0000 …   AF 30 little-endian, IPv6
 */
import type { Binding, Dissection, DissectContext, Span } from '../decode/dissector.js';
import { FieldList, headerStatus, type Field, type Layer, type LayerProblem, type LayerStatus } from '../decode/layer.js';
import { put32, u16, u32 } from './bytes.js';
import { ETH_MAX_LENGTH_FIELD, EtherType } from './ethernet.js';

export const NULL_HEADER_LEN = 4;
export const LINKTYPE_NULL = 0;
export const LINKTYPE_LOOP = 108;

export const AddressFamily = {
  INET: 2,
  INET6_BSD: 24,
  INET6_FREEBSD: 28,
  INET6_DARWIN: 30,
} as const;

/** Address families we can hand on, mapped to the EtherType whose dissector takes them. */
const FAMILY_ETHERTYPE: ReadonlyMap<number, number> = new Map([
  [AddressFamily.INET, EtherType.IPv4],
  [AddressFamily.INET6_BSD, EtherType.IPv6],
  [AddressFamily.INET6_FREEBSD, EtherType.IPv6],
  [AddressFamily.INET6_DARWIN, EtherType.IPv6],
]);

const PPP_HDLC = 0xff03;

function bswap32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

/**
 * The NULL header as Wireshark reads it on a little-endian host: either an address family or, when
 * above 1500, an EtherType.
 */
export function nullHeaderValue(b: Uint8Array, offset: number): number {
  let h = (b[offset]! | (b[offset + 1]! << 8) | (b[offset + 2]! << 16) | (b[offset + 3]! << 24)) >>> 0;
  if ((h & 0xffff0000) !== 0) {
    // Upper half set: a family in the other byte order, a byte-swapped Linux EtherType, or an IRIX
    // 16-bit family in the first two bytes (then below 0x0600 and with a zero top byte).
    h = (h & 0xff000000) === 0 && (h & 0x00ff0000) < 0x00060000 ? h >>> 16 : bswap32(h);
  } else if ((h & 0xff) === 0 && (h & 0xff00) < 0x0600) {
    // IRIX/UNICOS snoop header read in the wrong order: a big-endian 16-bit family.
    h = (h >>> 8) & 0xff;
  }
  return h;
}

export class NullLayer implements Layer {
  readonly proto = 'null';
  status: LayerStatus;
  problem?: LayerProblem;
  constructor(
    private readonly data: Uint8Array,
    readonly offset: number,
    /** 4, or 0 when the header is PPP (which we leave as data). */
    readonly length: number,
    readonly linkType: number,
    status: LayerStatus,
  ) {
    this.status = status;
  }
  /** The header value in the host's order (NULL) or network order (LOOP). */
  get value(): number {
    return this.linkType === LINKTYPE_LOOP ? u32(this.data, this.offset) : nullHeaderValue(this.data, this.offset);
  }
  /** True when the value is an EtherType rather than an address family (old Linux NULL captures). */
  get isEtherType(): boolean {
    return this.linkType !== LINKTYPE_LOOP && this.value > ETH_MAX_LENGTH_FIELD;
  }
  /** The address family, or undefined when the header holds an EtherType. */
  get family(): number | undefined {
    return this.isEtherType ? undefined : this.value;
  }
  /** The EtherType that picks the next layer, if any. */
  get nextEtherType(): number | undefined {
    return this.isEtherType ? this.value & 0xffff : FAMILY_ETHERTYPE.get(this.value);
  }
  fields(): Field[] {
    const f = new FieldList(this.data.length);
    if (this.length === 0) return f.items;
    const v = this.value;
    return this.isEtherType ? f.add('null.type', v & 0xffff, this.offset, 4).items : f.add('null.family', v, this.offset, 4).items;
  }
  info(): string {
    return 'Null/Loopback';
  }
  endpoints(): { src: string; dst: string } {
    return { src: 'N/A', dst: 'N/A' };
  }
}

function dissect(linkType: number, data: Uint8Array, span: Span): Dissection {
  const o = span.offset;
  if (linkType === LINKTYPE_NULL && o + 2 <= span.end && u16(data, o) === PPP_HDLC) {
    return { layer: new NullLayer(data, o, 0, linkType, 'ok'), payload: { ...span } };
  }
  const status = headerStatus(o, NULL_HEADER_LEN, span.end, span.reportedEnd);
  const layer = new NullLayer(data, o, NULL_HEADER_LEN, linkType, status);
  const payload = { offset: Math.min(o + NULL_HEADER_LEN, span.end), end: span.end, reportedEnd: span.reportedEnd };
  if (status === 'malformed') {
    layer.problem = {
      code: 'WL_MALFORMED_NULL_SHORT',
      offset: o,
      message: `loopback header needs ${NULL_HEADER_LEN} bytes, the packet has ${Math.max(0, span.reportedEnd - o)}`,
    };
  }
  if (status !== 'ok') return { layer, payload };
  const key = layer.nextEtherType;
  return key === undefined ? { layer, payload } : { layer, payload, next: { table: 'ethertype', key } };
}

export const dissectNull = (data: Uint8Array, span: Span, _ctx: DissectContext): Dissection => dissect(LINKTYPE_NULL, data, span);
export const dissectLoop = (data: Uint8Array, span: Span, _ctx: DissectContext): Dissection => dissect(LINKTYPE_LOOP, data, span);

export interface NullRepr {
  /** Address family (AF_INET 2, AF_INET6 24/28/30), or for NULL an EtherType above 1500. */
  family: number;
}

/**
 * Reads a NULL header the way `dissectNull` does (any byte order), or a LOOP header in network
 * order when `linkType` is LINKTYPE_LOOP.
 */
export function parseNull(data: Uint8Array, offset = 0, linkType: number = LINKTYPE_NULL): NullRepr {
  return { family: linkType === LINKTYPE_LOOP ? u32(data, offset) : nullHeaderValue(data, offset) };
}

/**
 * NULL headers are written little-endian, as on the x86 and ARM machines that write them today
 * (macOS, FreeBSD); LOOP headers in network order.
 */
export function emitNull(repr: NullRepr, payload: Uint8Array, linkType: number = LINKTYPE_NULL): Uint8Array {
  const out = new Uint8Array(NULL_HEADER_LEN + payload.length);
  if (linkType === LINKTYPE_LOOP) put32(out, 0, repr.family);
  else put32(out, 0, bswap32(repr.family >>> 0));
  out.set(payload, NULL_HEADER_LEN);
  return out;
}

export const bindings: readonly Binding[] = [
  { table: 'linktype', key: LINKTYPE_NULL, dissector: dissectNull },
  { table: 'linktype', key: LINKTYPE_LOOP, dissector: dissectLoop },
];

/**
 * Linux "cooked" capture headers (tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html and
 * LINKTYPE_LINUX_SLL2.html), which libpcap writes for the "any" device and for links without a
 * usable link-layer header. Both carry the packet direction, the ARPHRD_ type of the device, the
 * sender's link-layer address (up to 8 bytes) and a protocol type; v2 adds the interface index.
 *
 *   v1 (16 bytes): pkttype(2) hatype(2) halen(2) addr(8) protocol(2)
 *   v2 (20 bytes): protocol(2) reserved(2) ifindex(4) hatype(2) pkttype(1) halen(1) addr(8)
 *
 * Like Linux, a protocol value of 1536 or less is not an EtherType but a Linux-internal protocol
 * (ETH_P_802_2 = 4 is 802.2 LLC, ETH_P_CAN = 12 …), shown as `sll.ltype` and left as data. For a
 * GRE tunnel device (ARPHRD_IPGRE) the value is a GRE protocol type (`sll.gretype`), which RFC 2784
 * §2.4 defines as an EtherType, so it is looked up in the same table.
 *
 *   tcpdump -xx (pcap_nsec_sll_tcp_handshake.pcap #1):  0004 0200 0000 0000 0000 0000 0000 0800 | 4500 …
 *     outgoing, hatype 512 (ARPHRD_NONE), no address, IPv4
 *   tcpdump -xx (sll2_icmp_icmpv6_arp.pcap #1): 0800 0000 0000 0001 0304 0006 0000 0000 0000 0000 | 4500 …
 *     IPv4, ifindex 1, hatype 772 (loopback), to us, 6-byte address 00:00:00:00:00:00
 */
import type { Binding, Dissection, DissectContext, Span } from '../decode/dissector.js';
import { bytesHex, FieldList, headerStatus, type Field, type Layer, type LayerProblem, type LayerStatus } from '../decode/layer.js';
import { formatIPv4, formatMac } from './addr.js';
import { put16, put32, u16, u32 } from './bytes.js';

export const SLL_HEADER_LEN = 16;
export const SLL2_HEADER_LEN = 20;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_LINUX_SLL2 = 276;
/** Size of the address field; longer addresses (halen > 8) are cut to it. */
export const SLL_ADDR_LEN = 8;

/** Byte offsets of each field in the two versions. */
const V1 = { pkttype: 0, pkttypeLen: 2, hatype: 2, halen: 4, halenLen: 2, addr: 6, protocol: 14 } as const;
const V2 = { protocol: 0, reserved: 2, ifindex: 4, hatype: 8, pkttype: 10, pkttypeLen: 1, halen: 11, halenLen: 1, addr: 12 } as const;

/** Protocol values up to this are Linux ETH_P_ values, not EtherTypes (as in the kernel). */
export const SLL_MAX_LINUX_PROTOCOL = 1536;
/** ARPHRD_IPGRE: the protocol field holds a GRE protocol type. */
export const ARPHRD_IPGRE = 778;

export const SllPacketType = { Host: 0, Broadcast: 1, Multicast: 2, OtherHost: 3, Outgoing: 4 } as const;
const PACKET_TYPE_NAMES = ['Unicast to us', 'Broadcast', 'Multicast', 'Unicast to another host', 'Sent by us'];

export class SllLayer implements Layer {
  readonly proto = 'sll';
  readonly length: number;
  status: LayerStatus;
  problem?: LayerProblem;
  constructor(
    private readonly data: Uint8Array,
    readonly offset: number,
    readonly version: 1 | 2,
    status: LayerStatus,
  ) {
    this.length = version === 1 ? SLL_HEADER_LEN : SLL2_HEADER_LEN;
    this.status = status;
  }
  private get v() {
    return this.version === 1 ? V1 : V2;
  }
  get packetType(): number {
    const at = this.offset + this.v.pkttype;
    return this.version === 1 ? u16(this.data, at) : this.data[at]!;
  }
  /** ARPHRD_ type of the capturing device. */
  get hatype(): number {
    return u16(this.data, this.offset + this.v.hatype);
  }
  get addressLength(): number {
    const at = this.offset + this.v.halen;
    return this.version === 1 ? u16(this.data, at) : this.data[at]!;
  }
  get addressOffset(): number {
    return this.offset + this.v.addr;
  }
  /** The link-layer source address: the first min(halen, 8) bytes of the address field. */
  get address(): Uint8Array {
    const at = this.addressOffset;
    return this.data.subarray(at, at + Math.min(this.addressLength, SLL_ADDR_LEN));
  }
  get protocol(): number {
    return u16(this.data, this.offset + (this.version === 1 ? V1.protocol : V2.protocol));
  }
  /** Interface index (v2 only). */
  get interfaceIndex(): number | undefined {
    return this.version === 2 ? u32(this.data, this.offset + V2.ifindex) : undefined;
  }
  /** Source address as the Source column shows it: a MAC for 6 bytes, dotted quad for 4, else nothing (as Wireshark). */
  get sourceText(): string {
    const n = this.addressLength;
    const at = this.addressOffset;
    if ((n !== 4 && n !== 6) || at + n > this.data.length) return '';
    return n === 6 ? formatMac(this.data, at) : formatIPv4(this.data, at);
  }

  private protocolField(f: FieldList): void {
    const p = this.protocol;
    const at = this.offset + (this.version === 1 ? V1.protocol : V2.protocol);
    const name = p <= SLL_MAX_LINUX_PROTOCOL ? 'sll.ltype' : this.hatype === ARPHRD_IPGRE ? 'sll.gretype' : 'sll.etype';
    f.add(name, p, at, 2);
  }

  private addressFields(f: FieldList): void {
    const n = this.addressLength;
    const at = this.addressOffset;
    // Wireshark guesses the address kind from its length alone (4 → IPv4, 6 → Ethernet).
    if (n === 4) f.add('sll.src.ipv4', formatIPv4(this.data, at), at, 4);
    else if (n === 6) f.add('sll.src.eth', formatMac(this.data, at), at, 6);
    else if (n !== 0) f.add('sll.src.other', bytesHex(this.data, at, at + Math.min(n, SLL_ADDR_LEN)), at, Math.min(n, SLL_ADDR_LEN));
    if (n < SLL_ADDR_LEN) f.add('sll.unused', bytesHex(this.data, at + n, at + SLL_ADDR_LEN), at + n, SLL_ADDR_LEN - n);
  }

  fields(): Field[] {
    const o = this.offset;
    const f = new FieldList(this.data.length);
    const v = this.v;
    if (this.version === 1) {
      f.add('sll.pkttype', this.packetType, o + v.pkttype, v.pkttypeLen)
        .add('sll.hatype', this.hatype, o + v.hatype, 2)
        .add('sll.halen', this.addressLength, o + v.halen, v.halenLen);
      this.addressFields(f);
      this.protocolField(f);
    } else {
      this.protocolField(f);
      f.add('sll.ifindex', this.interfaceIndex!, o + V2.ifindex, 4)
        .add('sll.hatype', this.hatype, o + v.hatype, 2)
        .add('sll.pkttype', this.packetType, o + v.pkttype, v.pkttypeLen)
        .add('sll.halen', this.addressLength, o + v.halen, v.halenLen);
      this.addressFields(f);
    }
    return f.items;
  }

  info(): string {
    const t = this.packetType;
    return PACKET_TYPE_NAMES[t] ?? `Unknown (${t})`;
  }

  /** Wireshark puts the sender's address in the Source column and leaves Destination empty. */
  endpoints(): { src: string; dst: string } {
    return { src: this.sourceText, dst: '' };
  }
}

function dissect(version: 1 | 2, data: Uint8Array, span: Span): Dissection {
  const len = version === 1 ? SLL_HEADER_LEN : SLL2_HEADER_LEN;
  const status = headerStatus(span.offset, len, span.end, span.reportedEnd);
  const layer = new SllLayer(data, span.offset, version, status);
  const payload = { offset: Math.min(span.offset + len, span.end), end: span.end, reportedEnd: span.reportedEnd };
  if (status === 'malformed') {
    layer.problem = {
      code: 'WL_MALFORMED_SLL_SHORT',
      offset: span.offset,
      message: `Linux cooked header v${version} needs ${len} bytes, the packet has ${Math.max(0, span.reportedEnd - span.offset)}`,
    };
  }
  if (status !== 'ok') return { layer, payload };
  const p = layer.protocol;
  return p > SLL_MAX_LINUX_PROTOCOL ? { layer, payload, next: { table: 'ethertype', key: p } } : { layer, payload };
}

export const dissectSll = (data: Uint8Array, span: Span, _ctx: DissectContext): Dissection => dissect(1, data, span);
export const dissectSll2 = (data: Uint8Array, span: Span, _ctx: DissectContext): Dissection => dissect(2, data, span);

export interface SllRepr {
  packetType: number;
  /** ARPHRD_ type (1 Ethernet, 772 loopback, 512 none …). */
  hatype: number;
  /** Source link-layer address, at most 8 bytes (zero-padded to 8 on the wire). */
  address: Uint8Array;
  /** The halen field; defaults to address.length (set it for addresses longer than 8 bytes). */
  addressLength?: number;
  /** EtherType, or a Linux ETH_P_ value of 1536 or less. */
  protocol: number;
  /** SLL2 only; emitSll ignores it. */
  interfaceIndex?: number;
}

export function parseSll(data: Uint8Array, offset = 0): SllRepr {
  const halen = u16(data, offset + V1.halen);
  return {
    packetType: u16(data, offset + V1.pkttype),
    hatype: u16(data, offset + V1.hatype),
    address: data.slice(offset + V1.addr, offset + V1.addr + Math.min(halen, SLL_ADDR_LEN)),
    addressLength: halen,
    protocol: u16(data, offset + V1.protocol),
  };
}

export function parseSll2(data: Uint8Array, offset = 0): SllRepr {
  const halen = data[offset + V2.halen]!;
  return {
    packetType: data[offset + V2.pkttype]!,
    hatype: u16(data, offset + V2.hatype),
    address: data.slice(offset + V2.addr, offset + V2.addr + Math.min(halen, SLL_ADDR_LEN)),
    addressLength: halen,
    protocol: u16(data, offset + V2.protocol),
    interfaceIndex: u32(data, offset + V2.ifindex),
  };
}

export function emitSll(repr: SllRepr, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(SLL_HEADER_LEN + payload.length);
  put16(out, V1.pkttype, repr.packetType);
  put16(out, V1.hatype, repr.hatype);
  put16(out, V1.halen, repr.addressLength ?? repr.address.length);
  out.set(repr.address.subarray(0, SLL_ADDR_LEN), V1.addr);
  put16(out, V1.protocol, repr.protocol);
  out.set(payload, SLL_HEADER_LEN);
  return out;
}

/** The reserved field is written as zero, as the format requires. */
export function emitSll2(repr: SllRepr, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(SLL2_HEADER_LEN + payload.length);
  put16(out, V2.protocol, repr.protocol);
  put32(out, V2.ifindex, repr.interfaceIndex ?? 0);
  put16(out, V2.hatype, repr.hatype);
  out[V2.pkttype] = repr.packetType;
  out[V2.halen] = repr.addressLength ?? repr.address.length;
  out.set(repr.address.subarray(0, SLL_ADDR_LEN), V2.addr);
  out.set(payload, SLL2_HEADER_LEN);
  return out;
}

export const bindings: readonly Binding[] = [
  { table: 'linktype', key: LINKTYPE_LINUX_SLL, dissector: dissectSll },
  { table: 'linktype', key: LINKTYPE_LINUX_SLL2, dissector: dissectSll2 },
];

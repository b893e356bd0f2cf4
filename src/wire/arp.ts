/**
 * ARP (RFC 826) and RARP (RFC 903), for any hardware and protocol type: an 8-byte fixed part
 * (hardware type, protocol type, their address sizes, opcode) and then sender hardware, sender
 * protocol, target hardware and target protocol addresses, whose sizes the fixed part gives.
 * Ethernet (or IEEE 802) 6-byte hardware addresses and IPv4 4-byte protocol addresses are shown as
 * MAC and dotted-quad text (arp.src.hw_mac, arp.src.proto_ipv4); other sizes as bytes (arp.src.hw).
 *
 * The packet ends where its addresses end; what follows is Ethernet padding, not payload.
 *
 *   tcpdump -xx (vlan_8021ad_qinq_arp.pcap #1, from the ARP header):
 *     0001 0800 0604 0001 0020 d25a fb3f ac15 4f61 0000 0000 0000 ac15 4f64
 *     Ethernet/IPv4 request: who has 172.21.79.100? tell 172.21.79.97 (00:20:d2:5a:fb:3f)
 */
import type { Binding, Dissection, DissectContext, Span } from '../decode/dissector.js';
import { bytesHex, FieldList, headerStatus, type Field, type Layer, type LayerProblem, type LayerStatus } from '../decode/layer.js';
import { formatIPv4, formatMac } from './addr.js';
import { put16, u16 } from './bytes.js';
import { EtherType } from './ethernet.js';

/** The fixed part before the addresses. */
export const ARP_FIXED_LEN = 8;
const HTYPE = 0;
const PTYPE = 2;
const HLEN = 4;
const PLEN = 5;
const OPER = 6;

export const ArpHardware = { Ethernet: 1, IEEE802: 6 } as const;

export const ArpOpcode = {
  Request: 1,
  Reply: 2,
  ReverseRequest: 3,
  ReverseReply: 4,
  DrarpRequest: 5,
  DrarpReply: 6,
  DrarpError: 7,
  InverseRequest: 8,
  InverseReply: 9,
} as const;

/** RARP's EtherType (RFC 903); same packet format as ARP. */
export const ETHERTYPE_RARP = 0x8035;
/** AX.25 PID for IP, which Wireshark also accepts as an IPv4 protocol type. */
const AX25_PID_IP = 0xcc;

const isEtherHw = (htype: number, hlen: number) => (htype === ArpHardware.Ethernet || htype === ArpHardware.IEEE802) && hlen === 6;
const isIPv4Proto = (ptype: number, plen: number) => (ptype === EtherType.IPv4 || ptype === AX25_PID_IP) && plen === 4;

export class ArpLayer implements Layer {
  readonly proto = 'arp';
  status: LayerStatus;
  problem?: LayerProblem;
  constructor(
    private readonly data: Uint8Array,
    readonly offset: number,
    /** The whole packet: fixed part plus addresses (or 8 when not even the fixed part was sent). */
    readonly length: number,
    status: LayerStatus,
  ) {
    this.status = status;
  }
  get hardwareType(): number {
    return u16(this.data, this.offset + HTYPE);
  }
  get protocolType(): number {
    return u16(this.data, this.offset + PTYPE);
  }
  get hardwareSize(): number {
    return this.data[this.offset + HLEN]!;
  }
  get protocolSize(): number {
    return this.data[this.offset + PLEN]!;
  }
  get opcode(): number {
    return u16(this.data, this.offset + OPER);
  }
  get senderHardwareOffset(): number {
    return this.offset + ARP_FIXED_LEN;
  }
  get senderProtocolOffset(): number {
    return this.senderHardwareOffset + this.hardwareSize;
  }
  get targetHardwareOffset(): number {
    return this.senderProtocolOffset + this.protocolSize;
  }
  get targetProtocolOffset(): number {
    return this.targetHardwareOffset + this.hardwareSize;
  }
  /** Whether the hardware addresses are MACs (Ethernet or IEEE 802, 6 bytes). */
  get isEthernet(): boolean {
    return isEtherHw(this.hardwareType, this.hardwareSize);
  }
  get isIPv4(): boolean {
    return isIPv4Proto(this.protocolType, this.protocolSize);
  }
  /** Views of the four addresses (empty past the captured bytes). */
  get senderHardware(): Uint8Array {
    return this.data.subarray(this.senderHardwareOffset, this.senderHardwareOffset + this.hardwareSize);
  }
  get senderProtocol(): Uint8Array {
    return this.data.subarray(this.senderProtocolOffset, this.senderProtocolOffset + this.protocolSize);
  }
  get targetHardware(): Uint8Array {
    return this.data.subarray(this.targetHardwareOffset, this.targetHardwareOffset + this.hardwareSize);
  }
  get targetProtocol(): Uint8Array {
    return this.data.subarray(this.targetProtocolOffset, this.targetProtocolOffset + this.protocolSize);
  }
  /** Text of a hardware address: a MAC for Ethernet, otherwise its bytes in hex (FT_BYTES). */
  hardwareText(at: number): string {
    return this.isEthernet ? formatMac(this.data, at) : bytesHex(this.data, at, at + this.hardwareSize);
  }
  protocolText(at: number): string {
    return this.isIPv4 ? formatIPv4(this.data, at) : bytesHex(this.data, at, at + this.protocolSize);
  }

  /** Sender and target protocol addresses equal (RFC 5227 §3 announcements, failover replies). */
  get isGratuitous(): boolean {
    const op = this.opcode;
    if (op !== ArpOpcode.Request && op !== ArpOpcode.Reply) return false;
    const n = this.protocolSize;
    // Wireshark never calls an exchange without protocol addresses gratuitous.
    if (n === 0 || this.targetProtocolOffset + n > this.offset + this.length) return false;
    for (let i = 0; i < n; i++) if (this.data[this.senderProtocolOffset + i] !== this.data[this.targetProtocolOffset + i]) return false;
    return true;
  }
  private get targetHardwareZero(): boolean {
    // Wireshark looks at six bytes whatever the hardware size; so do we, within the packet.
    const at = this.targetHardwareOffset;
    if (at + 6 > this.data.length) return false;
    for (let i = 0; i < 6; i++) if (this.data[at + i] !== 0) return false;
    return true;
  }
  /** RFC 5227 §2.3: a gratuitous request with an all-zero target hardware address. */
  get isAnnouncement(): boolean {
    return this.opcode === ArpOpcode.Request && this.isGratuitous && this.targetHardwareZero;
  }
  /** RFC 5227 §2.1.1: a request from sender protocol address 0.0.0.0 with an all-zero target hardware address. */
  get isProbe(): boolean {
    if (this.opcode !== ArpOpcode.Request || this.isGratuitous || !this.targetHardwareZero) return false;
    const at = this.senderProtocolOffset;
    if (at + 4 > this.data.length) return false;
    return this.data[at] === 0 && this.data[at + 1] === 0 && this.data[at + 2] === 0 && this.data[at + 3] === 0;
  }

  fields(): Field[] {
    const o = this.offset;
    const hlen = this.hardwareSize;
    const plen = this.protocolSize;
    const f = new FieldList(Math.min(this.data.length, o + this.length));
    f.add('arp.hw.type', this.hardwareType, o + HTYPE, 2)
      .add('arp.proto.type', this.protocolType, o + PTYPE, 2)
      .add('arp.hw.size', hlen, o + HLEN, 1)
      .add('arp.proto.size', plen, o + PLEN, 1)
      .add('arp.opcode', this.opcode, o + OPER, 2);
    if (o + ARP_FIXED_LEN > this.data.length) return f.items;
    if (this.isGratuitous) f.add('arp.isgratuitous', true, o, 0);
    if (this.isProbe) f.add('arp.isprobe', true, o, 0);
    if (this.isAnnouncement) f.add('arp.isannouncement', true, o, 0);
    const hw = this.isEthernet ? 'hw_mac' : 'hw';
    const pr = this.isIPv4 ? 'proto_ipv4' : 'proto';
    const addHw = (name: string, at: number) => {
      if (hlen && at + hlen <= this.data.length) f.add(name, this.hardwareText(at), at, hlen);
    };
    const addPr = (name: string, at: number) => {
      if (plen && at + plen <= this.data.length) f.add(name, this.protocolText(at), at, plen);
    };
    addHw(`arp.src.${hw}`, this.senderHardwareOffset);
    addPr(`arp.src.${pr}`, this.senderProtocolOffset);
    addHw(`arp.dst.${hw}`, this.targetHardwareOffset);
    if (this.opcode === ArpOpcode.DrarpError) {
      // RFC 1931: the target protocol address field carries the error code in its first byte.
      if (plen) f.add('arp.dst.drarp_error_status', this.data[this.targetProtocolOffset] ?? 0, this.targetProtocolOffset, 1);
    } else {
      addPr(`arp.dst.${pr}`, this.targetProtocolOffset);
    }
    return f.items;
  }

  /** Wireshark's Info text for the opcodes people meet (requests, replies, RARP, InARP). */
  info(): string {
    const op = this.opcode;
    const hw = (at: number) => (this.hardwareSize === 0 ? '<No address>' : this.isEthernet ? formatMac(this.data, at) : bytesHex(this.data, at, at + this.hardwareSize));
    const pr = (at: number) => (this.protocolSize === 0 ? '<No address>' : this.isIPv4 ? formatIPv4(this.data, at) : bytesHex(this.data, at, at + this.protocolSize));
    const sha = this.senderHardwareOffset;
    const spa = this.senderProtocolOffset;
    const tha = this.targetHardwareOffset;
    const tpa = this.targetProtocolOffset;
    if (this.offset + ARP_FIXED_LEN > this.data.length || tpa + this.protocolSize > this.data.length) return '';
    switch (op) {
      case ArpOpcode.Request:
        if (this.isAnnouncement) return `ARP Announcement for ${pr(tpa)}`;
        if (this.isGratuitous) return `Gratuitous ARP for ${pr(tpa)} (Request)`;
        if (this.isProbe) return `Who has ${pr(tpa)}? (ARP Probe)`;
        return `Who has ${pr(tpa)}? Tell ${pr(spa)}`;
      case ArpOpcode.Reply:
        return this.isGratuitous ? `Gratuitous ARP for ${pr(spa)} (Reply)` : `${pr(spa)} is at ${hw(sha)}`;
      case ArpOpcode.ReverseRequest:
      case ArpOpcode.DrarpRequest:
      case ArpOpcode.InverseRequest:
        return `Who is ${hw(tha)}? Tell ${hw(sha)}`;
      case ArpOpcode.ReverseReply:
      case ArpOpcode.DrarpReply:
        return `${hw(tha)} is at ${pr(tpa)}`;
      case ArpOpcode.DrarpError:
        return 'DRARP Error';
      case ArpOpcode.InverseReply:
        return `${hw(sha)} is at ${pr(spa)}`;
      case 0:
      case 0xffff:
        return `Reserved opcode ${op}`;
      default:
        return `Unknown ARP opcode 0x${op.toString(16).padStart(4, '0')}`;
    }
  }
}

export const dissectArp = (data: Uint8Array, span: Span, _ctx: DissectContext): Dissection => {
  const o = span.offset;
  let status = headerStatus(o, ARP_FIXED_LEN, span.end, span.reportedEnd);
  let length = ARP_FIXED_LEN;
  if (status === 'ok') {
    length = ARP_FIXED_LEN + 2 * data[o + HLEN]! + 2 * data[o + PLEN]!;
    status = headerStatus(o, length, span.end, span.reportedEnd);
  }
  const layer = new ArpLayer(data, o, length, status);
  if (status === 'malformed') {
    layer.problem = {
      code: length === ARP_FIXED_LEN ? 'WL_MALFORMED_ARP_SHORT' : 'WL_MALFORMED_ARP_ADDRESSES',
      offset: o,
      message:
        length === ARP_FIXED_LEN
          ? `ARP needs ${ARP_FIXED_LEN} bytes, the packet has ${Math.max(0, span.reportedEnd - o)}`
          : `ARP addresses end at byte ${length} of the ARP packet, which has ${span.reportedEnd - o}`,
    };
  }
  // Nothing follows ARP: bytes after its addresses are link-layer padding, not a payload.
  const end = Math.min(o + length, span.end);
  const payload = status === 'ok' ? { offset: end, end, reportedEnd: end } : { offset: end, end: span.end, reportedEnd: span.reportedEnd };
  return { layer, payload };
};

export interface ArpRepr {
  hardwareType: number;
  protocolType: number;
  /** Defaults to senderHardware.length. */
  hardwareSize?: number;
  /** Defaults to senderProtocol.length. */
  protocolSize?: number;
  opcode: number;
  senderHardware: Uint8Array;
  senderProtocol: Uint8Array;
  targetHardware: Uint8Array;
  targetProtocol: Uint8Array;
}

export function parseArp(data: Uint8Array, offset = 0): ArpRepr {
  const hlen = data[offset + HLEN]!;
  const plen = data[offset + PLEN]!;
  let at = offset + ARP_FIXED_LEN;
  const take = (n: number) => data.slice(at, (at += n));
  return {
    hardwareType: u16(data, offset + HTYPE),
    protocolType: u16(data, offset + PTYPE),
    hardwareSize: hlen,
    protocolSize: plen,
    opcode: u16(data, offset + OPER),
    senderHardware: take(hlen),
    senderProtocol: take(plen),
    targetHardware: take(hlen),
    targetProtocol: take(plen),
  };
}

/** The ARP packet alone (ARP has no payload); addresses shorter than their size are zero-filled. */
export function emitArp(repr: ArpRepr): Uint8Array {
  const hlen = repr.hardwareSize ?? repr.senderHardware.length;
  const plen = repr.protocolSize ?? repr.senderProtocol.length;
  const out = new Uint8Array(ARP_FIXED_LEN + 2 * hlen + 2 * plen);
  put16(out, HTYPE, repr.hardwareType);
  put16(out, PTYPE, repr.protocolType);
  out[HLEN] = hlen;
  out[PLEN] = plen;
  put16(out, OPER, repr.opcode);
  let at = ARP_FIXED_LEN;
  const put = (b: Uint8Array, n: number) => {
    out.set(b.subarray(0, n), at);
    at += n;
  };
  put(repr.senderHardware, hlen);
  put(repr.senderProtocol, plen);
  put(repr.targetHardware, hlen);
  put(repr.targetProtocol, plen);
  return out;
}

export const bindings: readonly Binding[] = [
  { table: 'ethertype', key: EtherType.ARP, dissector: dissectArp },
  { table: 'ethertype', key: ETHERTYPE_RARP, dissector: dissectArp },
];

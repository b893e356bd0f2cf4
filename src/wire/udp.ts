/**
 * UDP header (RFC 768): ports, length, checksum. The length field bounds the payload; bytes of the
 * IP payload past it are not UDP's. A zero checksum over IPv4 means the sender computed none
 * (RFC 768); over IPv6 it is not allowed (RFC 8200 §8.1).
 *
 *   tcpdump -xx (DNS query from pcapng_2if_nsec_usec_linux_windows_dns.pcapng, UDP starts at 0x22):
 *   0x0020:  ..   8df7 0035 003e ae64 ...   sport 36343 dport 53 length 62 cksum 0xae64
 */
import { internetChecksum, pseudoHeaderSum } from './checksum.js';
import type { Binding, Dissection, DissectContext, NetworkContext, Span } from '../decode/dissector.js';
import { bytesHex, FieldList, type ChecksumStatus, type Layer, type LayerStatus } from '../decode/layer.js';
import { put16, u16 } from './bytes.js';

export const UDP_HEADER_LEN = 8;
export const IP_PROTO_UDP = 17;

const SRC_PORT = 0;
const DST_PORT = 2;
const LENGTH = 4;
const CHECKSUM = 6;

export const WL_MALFORMED_UDP_LENGTH = 'WL_MALFORMED_UDP_LENGTH';

export class UdpLayer implements Layer {
  readonly proto = 'udp';
  readonly length = UDP_HEADER_LEN;
  problem?: Layer['problem'];
  private verdict?: ChecksumStatus;

  constructor(
    private readonly data: Uint8Array,
    readonly offset: number,
    public status: LayerStatus,
    /** Captured end of the datagram in the frame. */
    private readonly capturedEnd: number,
    /**
     * Datagram length in use: the length field, or the IP payload length for an RFC 2675 jumbogram
     * or when the field is past the IP payload.
     */
    readonly datagramLength: number,
    /** The pseudo-header's source, or undefined when the checksum is not to be checked (damaged header). */
    private readonly network: NetworkContext | undefined,
  ) {}

  /** tshark's Info text for a datagram no application dissector claimed: "53 → 4000 Len=32". */
  info(): string {
    if (this.capturedEnd < this.offset + DST_PORT + 2) return '';
    return `${this.srcPort} → ${this.dstPort} Len=${Math.max(0, this.datagramLength - UDP_HEADER_LEN)}`;
  }

  /** Summed on first use (it reads the whole datagram; summaries and flows do not need it). */
  get checksumStatus(): ChecksumStatus {
    this.verdict ??= checksumStatus(this.data, this.offset, this.datagramLength, this.capturedEnd, this.network);
    return this.verdict;
  }

  get srcPort(): number {
    return u16(this.data, this.offset + SRC_PORT);
  }
  get dstPort(): number {
    return u16(this.data, this.offset + DST_PORT);
  }
  /** The length field as sent (header included). */
  get udpLength(): number {
    return u16(this.data, this.offset + LENGTH);
  }
  get checksum(): number {
    return u16(this.data, this.offset + CHECKSUM);
  }
  get payloadOffset(): number {
    return this.offset + UDP_HEADER_LEN;
  }
  get payloadLength(): number {
    return Math.max(0, this.datagramLength - UDP_HEADER_LEN);
  }
  /** The payload's captured bytes (a view), what udp.payload shows (a first fragment's part); undefined for none. */
  payloadBytes(): Uint8Array | undefined {
    const start = this.payloadOffset;
    const end = Math.min(start + this.payloadLength, this.capturedEnd);
    return this.datagramLength >= UDP_HEADER_LEN && end > start ? this.data.subarray(start, end) : undefined;
  }

  fields(payloadBytes = true) {
    const o = this.offset;
    const f = new FieldList(this.capturedEnd)
      .add('udp.srcport', this.srcPort, o + SRC_PORT, 2)
      .add('udp.dstport', this.dstPort, o + DST_PORT, 2)
      .add('udp.port', this.srcPort, o + SRC_PORT, 2)
      .add('udp.port', this.dstPort, o + DST_PORT, 2)
      .add('udp.length', this.udpLength, o + LENGTH, 2);
    // tshark stops at a length below the header's own (a jumbogram's 0 is not one).
    if (this.datagramLength < UDP_HEADER_LEN) return f.items;
    f.add('udp.checksum', this.checksum, o + CHECKSUM, 2);
    if (o + CHECKSUM + 2 <= this.capturedEnd) f.add('udp.checksum.status', this.checksumStatus, o + CHECKSUM, 0);
    const payload = payloadBytes ? this.payloadBytes() : undefined;
    if (payload) f.add('udp.payload', bytesHex(payload), this.payloadOffset, payload.length);
    return f.items;
  }
}

function checksumStatus(data: Uint8Array, o: number, len: number, capEnd: number, net: NetworkContext | undefined): ChecksumStatus {
  if (!net || net.fragmented || o + len > capEnd) return 'unverified';
  const field = u16(data, o + CHECKSUM);
  // tshark: "not present" over IPv4, "illegal" over IPv6 (where a receiver must drop the datagram).
  if (field === 0) return net.version === 4 ? 'not present' : 'illegal';
  return internetChecksum(data, o, o + len, pseudoHeaderSum(net, IP_PROTO_UDP, len)) === 0 ? 'good' : 'bad';
}

export const dissectUdp = (data: Uint8Array, span: Span, ctx: DissectContext): Dissection => {
  const o = span.offset;
  const available = Math.max(0, span.reportedEnd - o);
  const capEnd = Math.min(span.end, span.reportedEnd);
  const net = ctx.network;
  let problem: string | undefined;
  let status: LayerStatus = 'ok';
  let len = available;
  let problemOffset = o + LENGTH;
  // In a first fragment the length covers the whole datagram, whose rest is in later fragments.
  let partial = false;
  if (available < UDP_HEADER_LEN) {
    status = 'malformed';
    problem = `UDP datagram of ${available} bytes is shorter than the ${UDP_HEADER_LEN}-byte header`;
    problemOffset = o;
  } else if (o + LENGTH + 2 > capEnd) {
    status = 'truncated';
  } else {
    const field = u16(data, o + LENGTH);
    // RFC 2675 §4: a jumbogram over IPv6 carries length 0 and takes its length from the IP layer.
    const jumbo = field === 0 && net?.version === 6 && available > 0xffff;
    if (!jumbo) len = field;
    if (len < UDP_HEADER_LEN) {
      status = 'malformed';
      problem = `UDP length ${field} is below the ${UDP_HEADER_LEN}-byte header`;
    } else if (len > available && net?.fragmented) {
      partial = true;
    } else if (len > available) {
      status = 'malformed';
      problem = `UDP length ${field} is past the ${available}-byte IP payload`;
    } else if (o + UDP_HEADER_LEN > capEnd) {
      status = 'truncated';
    }
  }
  const sound = status !== 'malformed';
  const dgramEnd = sound && !partial ? o + len : span.reportedEnd;
  const layer = new UdpLayer(data, o, status, Math.min(capEnd, dgramEnd), sound || len < UDP_HEADER_LEN ? len : available, status === 'ok' ? net : undefined);
  if (problem) layer.problem = { code: WL_MALFORMED_UDP_LENGTH, offset: problemOffset, message: problem };
  const payloadOffset = Math.min(o + UDP_HEADER_LEN, capEnd, dgramEnd);
  const payload = { offset: payloadOffset, end: Math.min(capEnd, dgramEnd), reportedEnd: Math.max(payloadOffset, dgramEnd) };
  if (status !== 'ok' || partial) return { layer, payload };
  // Wireshark tries the lower port first; one key keeps the driver a plain table lookup.
  return { layer, payload, next: { table: 'udp.port', key: Math.min(layer.srcPort, layer.dstPort) } };
};

export interface UdpRepr {
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
  /** Length field; header plus payload when undefined. */
  length?: number;
  /** Computed on emit when undefined (0 is written as is: "no checksum" over IPv4). */
  checksum?: number;
}

/** Reads a datagram [offset, end); the payload stops at the length field when it is shorter. Never throws. */
export function parseUdp(data: Uint8Array, offset = 0, end = data.length): UdpRepr {
  const dgEnd = Math.max(offset, Math.min(end, data.length));
  const rd16 = (at: number) => (at + 2 <= dgEnd ? u16(data, at) : 0);
  const length = rd16(offset + LENGTH);
  const payloadEnd = length >= UDP_HEADER_LEN ? Math.min(offset + length, dgEnd) : dgEnd;
  return {
    srcPort: rd16(offset + SRC_PORT),
    dstPort: rd16(offset + DST_PORT),
    payload: data.slice(Math.min(offset + UDP_HEADER_LEN, payloadEnd), payloadEnd),
    length,
    checksum: rd16(offset + CHECKSUM),
  };
}

export function emitUdp(repr: UdpRepr, net: NetworkContext): Uint8Array {
  const out = new Uint8Array(UDP_HEADER_LEN + repr.payload.length);
  const length = repr.length ?? out.length;
  put16(out, SRC_PORT, repr.srcPort);
  put16(out, DST_PORT, repr.dstPort);
  put16(out, LENGTH, length);
  out.set(repr.payload, UDP_HEADER_LEN);
  let checksum = repr.checksum;
  if (checksum === undefined) {
    checksum = internetChecksum(out, 0, out.length, pseudoHeaderSum(net, IP_PROTO_UDP, length));
    // RFC 768: a computed zero is sent as all ones, since zero means "no checksum".
    if (checksum === 0) checksum = 0xffff;
  }
  put16(out, CHECKSUM, checksum);
  return out;
}

export const bindings: readonly Binding[] = [{ table: 'ip.proto', key: IP_PROTO_UDP, dissector: dissectUdp }];

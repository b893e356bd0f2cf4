/**
 * ICMP for IPv4 (RFC 792): type, code, checksum over the whole message, and the 4-byte "rest of
 * header" — identifier and sequence number for echo, timestamp and information messages. The data
 * that follows (an echo payload, or the quoted IP header of an error) is left to the next layer as data.
 *
 *   tcpdump -xx:  0022: 0800 66b4 0008 0001 e24e 0d00 ...   echo request, id 8, seq 1
 */
import type { Binding, Dissection, DissectContext, Span } from '../decode/dissector.js';
import { FieldList, type ChecksumStatus, type Field, type Layer, type LayerProblem, type LayerStatus } from '../decode/layer.js';
import { internetChecksum } from './checksum.js';
import { put16, put32, u16, u32 } from './bytes.js';
import { IpProtocol } from './ipv4.js';

export const ICMP_HEADER_LEN = 8;
const TYPE = 0;
const CODE = 1;
const CHECKSUM = 2;
const IDENT = 4;
const SEQ = 6;

export const IcmpType = {
  EchoReply: 0,
  DestinationUnreachable: 3,
  SourceQuench: 4,
  Redirect: 5,
  EchoRequest: 8,
  TimeExceeded: 11,
  ParameterProblem: 12,
  Timestamp: 13,
  TimestampReply: 14,
  InformationRequest: 15,
  InformationReply: 16,
  AddressMaskRequest: 17,
  AddressMaskReply: 18,
} as const;

/** Types whose rest-of-header is identifier + sequence number (RFC 792, RFC 950 for address masks). */
function hasIdentSeq(type: number): boolean {
  return type === 0 || type === 8 || (type >= 13 && type <= 18);
}

const TYPE_TEXT: Record<number, string> = {
  0: 'Echo (ping) reply',
  3: 'Destination unreachable',
  4: 'Source quench (flow control)',
  5: 'Redirect',
  8: 'Echo (ping) request',
  11: 'Time-to-live exceeded',
  12: 'Parameter problem',
  13: 'Timestamp request',
  14: 'Timestamp reply',
  15: 'Information request',
  16: 'Information reply',
  17: 'Address mask request',
  18: 'Address mask reply',
};

const UNREACHABLE_TEXT = [
  'Network unreachable',
  'Host unreachable',
  'Protocol unreachable',
  'Port unreachable',
  'Fragmentation needed',
  'Source route failed',
  'Destination network unknown',
  'Destination host unknown',
  'Source host isolated',
  'Network administratively prohibited',
  'Host administratively prohibited',
  'Network unreachable for TOS',
  'Host unreachable for TOS',
  'Communication administratively filtered',
  'Host precedence violation',
  'Precedence cutoff in effect',
];

export class IcmpLayer implements Layer {
  readonly proto = 'icmp';
  readonly length = ICMP_HEADER_LEN;
  problem?: LayerProblem;
  constructor(
    private readonly data: Uint8Array,
    readonly offset: number,
    public status: LayerStatus,
    /** End of the captured bytes of the message. */
    private readonly end: number,
    /** End of the message as sent (from the IP total length). */
    private readonly messageEnd: number,
    /** Checksum cannot be checked: the message is a fragment or was not captured whole. */
    private readonly partial: boolean,
    /** TTL of the enclosing IPv4 header (for the Info column), or -1. */
    private readonly ipTtl: number,
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
  /** Over the whole ICMP message (RFC 792); unverified when part of it is missing. */
  get checksumStatus(): ChecksumStatus {
    if (this.partial) return 'unverified';
    return internetChecksum(this.data, this.offset, this.messageEnd) === 0 ? 'good' : 'bad';
  }
  get ident(): number | undefined {
    return hasIdentSeq(this.type) ? u16(this.data, this.offset + IDENT) : undefined;
  }
  get seq(): number | undefined {
    return hasIdentSeq(this.type) ? u16(this.data, this.offset + SEQ) : undefined;
  }
  /** The 32-bit word after the checksum (gateway address, pointer, MTU, identifier + sequence …). */
  get restOfHeader(): number {
    return u32(this.data, this.offset + IDENT);
  }
  fields(): Field[] {
    const o = this.offset;
    const list = new FieldList(this.end)
      .add('icmp.type', this.type, o + TYPE, 1)
      .add('icmp.code', this.code, o + CODE, 1)
      .add('icmp.checksum', this.checksum, o + CHECKSUM, 2);
    if (o + CHECKSUM + 2 <= this.end) list.add('icmp.checksum.status', this.checksumStatus, o + CHECKSUM, 0);
    if (hasIdentSeq(this.type)) list.add('icmp.ident', u16(this.data, o + IDENT), o + IDENT, 2).add('icmp.seq', u16(this.data, o + SEQ), o + SEQ, 2);
    return list.items;
  }
  info(): string {
    const t = this.type;
    let text = TYPE_TEXT[t] ?? `Unknown ICMP (obsolete or malformed?)`;
    if (t === IcmpType.DestinationUnreachable) text += ` (${UNREACHABLE_TEXT[this.code] ?? 'Unknown code'})`;
    if (hasIdentSeq(t) && this.offset + ICMP_HEADER_LEN <= this.end) {
      const id = this.ident!;
      const seq = this.seq!;
      const le = ((seq & 0xff) << 8) | (seq >> 8);
      // tshark pads "request"/"reply" so the ids line up.
      text += `${t === 8 ? '  ' : t === 0 ? '    ' : ' '}id=0x${id.toString(16).padStart(4, '0')}, seq=${seq}/${le}`;
      if (this.ipTtl >= 0) text += `, ttl=${this.ipTtl}`;
    }
    return text;
  }
}

export const dissectIcmp = (data: Uint8Array, span: Span, ctx: DissectContext): Dissection => {
  const o = span.offset;
  const partial = span.end < span.reportedEnd || ctx.network?.fragmented === true;
  const below = ctx.layers[ctx.layers.length - 1];
  const ttl = below?.proto === 'ip' ? data[below.offset + 8]! : -1;
  let status: LayerStatus = 'ok';
  if (o + ICMP_HEADER_LEN > span.reportedEnd) status = 'malformed';
  else if (o + ICMP_HEADER_LEN > span.end) status = 'truncated';
  const layer = new IcmpLayer(data, o, status, span.end, span.reportedEnd, partial, ttl);
  if (status === 'malformed') {
    layer.problem = { code: 'WL_MALFORMED_ICMP_LENGTH', offset: o, message: `ICMP message of ${span.reportedEnd - o} bytes is shorter than its 8-byte header` };
  }
  const start = Math.min(o + ICMP_HEADER_LEN, span.end);
  return { layer, payload: { offset: start, end: span.end, reportedEnd: Math.max(start, span.reportedEnd) } };
};

export interface IcmpRepr {
  type: number;
  code: number;
  /** Computed on emit (over header and payload) when undefined. */
  checksum?: number;
  /** Echo, timestamp, information and address-mask messages. */
  ident?: number;
  seq?: number;
  /** The raw rest-of-header word for other types (gateway address, pointer, next-hop MTU …); 0 if undefined. */
  restOfHeader?: number;
}

export function parseIcmp(data: Uint8Array, offset = 0): IcmpRepr {
  const type = data[offset + TYPE]!;
  const repr: IcmpRepr = { type, code: data[offset + CODE]!, checksum: u16(data, offset + CHECKSUM) };
  if (hasIdentSeq(type)) {
    repr.ident = u16(data, offset + IDENT);
    repr.seq = u16(data, offset + SEQ);
  } else repr.restOfHeader = u32(data, offset + IDENT);
  return repr;
}

export function emitIcmp(repr: IcmpRepr, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(ICMP_HEADER_LEN + payload.length);
  out[TYPE] = repr.type;
  out[CODE] = repr.code;
  if (repr.ident !== undefined || repr.seq !== undefined) {
    put16(out, IDENT, repr.ident ?? 0);
    put16(out, SEQ, repr.seq ?? 0);
  } else put32(out, IDENT, repr.restOfHeader ?? 0);
  out.set(payload, ICMP_HEADER_LEN);
  put16(out, CHECKSUM, repr.checksum ?? internetChecksum(out, 0, out.length));
  return out;
}

export const bindings: readonly Binding[] = [{ table: 'ip.proto', key: IpProtocol.ICMP, dissector: dissectIcmp }];

/**
 * Ethernet II (IEEE 802.3 clause 3.2.6): destination, source, EtherType. A type/length value of
 * 1500 or less is an 802.3 length field followed by LLC, which we leave as data.
 *
 *   tcpdump -xx:  0000: 0000 0c9f f0a6 0050 56a5 1f6c 0800 ...   dst 00:00:0c:9f:f0:a6 src 00:50:56:a5:1f:6c IPv4
 */
import type { Binding, Dissection, DissectContext, Span } from '../decode/dissector.js';
import { FieldList, headerStatus, type Layer, type LayerProblem, type LayerStatus } from '../decode/layer.js';
import { formatMac } from './addr.js';
import { put16, putBytes, u16 } from './bytes.js';

export const ETH_HEADER_LEN = 14;
const DST = 0;
const SRC = 6;
const TYPE = 12;
/** Values up to 1500 are 802.3 lengths, not EtherTypes (IEEE 802.3 §3.2.6). */
export const ETH_MAX_LENGTH_FIELD = 1500;

export const LINKTYPE_ETHERNET = 1;

export const EtherType = {
  IPv4: 0x0800,
  ARP: 0x0806,
  VLAN: 0x8100,
  IPv6: 0x86dd,
  QinQ: 0x88a8,
  /** Pre-standard QinQ value some switches still send. */
  QinQOld: 0x9100,
} as const;

export class EthernetLayer implements Layer {
  readonly proto = 'eth';
  readonly length = ETH_HEADER_LEN;
  problem?: LayerProblem;
  constructor(
    private readonly data: Uint8Array,
    readonly offset: number,
    public status: LayerStatus,
  ) {}
  get dst(): string {
    return formatMac(this.data, this.offset + DST);
  }
  get src(): string {
    return formatMac(this.data, this.offset + SRC);
  }
  get etherType(): number {
    return u16(this.data, this.offset + TYPE);
  }
  endpoints(): { src: string; dst: string } | undefined {
    return this.status === 'ok' ? { src: this.src, dst: this.dst } : undefined;
  }
  fields() {
    const o = this.offset;
    // Reading past the captured bytes yields undefined, never a throw; FieldList drops those fields.
    const t = this.etherType;
    return new FieldList(this.data.length)
      .add('eth.dst', this.dst, o + DST, 6)
      .add('eth.src', this.src, o + SRC, 6)
      .add(t <= ETH_MAX_LENGTH_FIELD ? 'eth.len' : 'eth.type', t, o + TYPE, 2).items;
  }
}

export const dissectEthernet = (data: Uint8Array, span: Span, _ctx: DissectContext): Dissection => {
  const status = headerStatus(span.offset, ETH_HEADER_LEN, span.end, span.reportedEnd);
  const layer = new EthernetLayer(data, span.offset, status);
  if (status === 'malformed') {
    const have = span.reportedEnd - span.offset;
    layer.problem = { code: 'WL_MALFORMED_ETH_SHORT', offset: span.offset, message: `frame of ${have} bytes is shorter than the ${ETH_HEADER_LEN}-byte Ethernet header` };
  }
  const payloadOffset = Math.min(span.offset + ETH_HEADER_LEN, span.end);
  const payload = { offset: payloadOffset, end: span.end, reportedEnd: span.reportedEnd };
  if (status !== 'ok') return { layer, payload };
  const type = layer.etherType;
  return type > ETH_MAX_LENGTH_FIELD ? { layer, payload, next: { table: 'ethertype', key: type } } : { layer, payload };
};

export interface EthernetRepr {
  dst: Uint8Array;
  src: Uint8Array;
  etherType: number;
}

export function parseEthernet(data: Uint8Array, offset = 0): EthernetRepr {
  return {
    dst: data.slice(offset + DST, offset + DST + 6),
    src: data.slice(offset + SRC, offset + SRC + 6),
    etherType: u16(data, offset + TYPE),
  };
}

/** Header followed by the payload. Ethernet's 60-byte minimum is not padded here: captures on the sending host show frames unpadded. */
export function emitEthernet(repr: EthernetRepr, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(ETH_HEADER_LEN + payload.length);
  emitEthernetInto(repr, out, 0);
  out.set(payload, ETH_HEADER_LEN);
  return out;
}

/**
 * Writes the header alone at `offset` and returns its length; the payload goes after it. Lets a
 * caller lay out a whole frame in one buffer, inner layers first, without a copy per layer.
 */
export function emitEthernetInto(repr: EthernetRepr, buf: Uint8Array, offset: number): number {
  putBytes(buf, offset + DST, repr.dst);
  putBytes(buf, offset + SRC, repr.src);
  put16(buf, offset + TYPE, repr.etherType);
  return ETH_HEADER_LEN;
}

export const bindings: readonly Binding[] = [{ table: 'linktype', key: LINKTYPE_ETHERNET, dissector: dissectEthernet }];

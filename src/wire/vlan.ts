/**
 * VLAN tags (IEEE 802.1Q §9.6): a 2-byte Tag Control Information word (3-bit priority code point,
 * 1-bit drop eligible indicator, 12-bit VLAN id) and the EtherType of what follows. The TPID that
 * announces a tag sits in the header before it: 0x8100 for a customer tag (C-tag), 0x88a8 for an
 * 802.1ad service tag (S-tag), and 0x9100 for the pre-standard QinQ tag some switches still send.
 * Each tag is its own layer, so stacked tags repeat `vlan.id`.
 *
 * Wireshark names the two kinds differently and we follow it: C-tags and 0x9100 tags are `vlan`
 * (vlan.priority, vlan.dei as a flag, vlan.id, vlan.etype or vlan.len), S-tags are `ieee8021ad`
 * (ieee8021ad.priority, ieee8021ad.dei as a number, ieee8021ad.id, and the inner type under
 * Wireshark's `ieee8021ah.etype`). Two S-tags in a row are one 8-byte `ieee8021ad` layer with
 * `ieee8021ad.svid` and `ieee8021ad.cvid`, as Wireshark shows them.
 *
 *   tcpdump -xx (vlan_8021ad_qinq_arp.pcap #1, after the Ethernet addresses):
 *     0x0000: ... 88a8 00c8 8100 07d1 0806 ...   S-tag id 200, C-tag id 2001, ARP
 */
import type { Binding, Dissection, DissectContext, Span } from '../decode/dissector.js';
import { FieldList, headerStatus, type Field, type Layer, type LayerProblem, type LayerStatus } from '../decode/layer.js';
import { put16, u16 } from './bytes.js';
import { ETH_MAX_LENGTH_FIELD, EtherType } from './ethernet.js';

export const VLAN_TAG_LEN = 4;
const TCI = 0;
const TYPE = 2;
const PRIORITY_SHIFT = 13;
const DEI_BIT = 0x1000;
const ID_MASK = 0x0fff;

export type VlanKind = 'vlan' | 'ieee8021ad';

export class VlanLayer implements Layer {
  status: LayerStatus;
  problem?: LayerProblem;
  constructor(
    private readonly data: Uint8Array,
    readonly offset: number,
    readonly proto: VlanKind,
    /** 4, or 8 for two S-tags shown as one layer. */
    readonly length: number,
    status: LayerStatus,
  ) {
    this.status = status;
  }
  /** Tag Control Information of the (first) tag. */
  get tci(): number {
    return u16(this.data, this.offset + TCI);
  }
  get priority(): number {
    return this.tci >>> PRIORITY_SHIFT;
  }
  /** Drop eligible indicator (802.1Q-2011; the CFI bit before that). */
  get dei(): boolean {
    return (this.tci & DEI_BIT) !== 0;
  }
  get id(): number {
    return this.tci & ID_MASK;
  }
  /** Id of the inner S-tag when two S-tags form this layer. */
  get innerId(): number | undefined {
    return this.length === 2 * VLAN_TAG_LEN ? u16(this.data, this.offset + VLAN_TAG_LEN + TCI) & ID_MASK : undefined;
  }
  /** EtherType (or 802.3 length) of what follows the last tag of this layer. */
  get etherType(): number {
    return u16(this.data, this.offset + this.length - VLAN_TAG_LEN + TYPE);
  }
  fields(): Field[] {
    const o = this.offset;
    const f = new FieldList(this.data.length);
    if (this.proto === 'vlan') {
      const t = this.etherType;
      return f
        .add('vlan.priority', this.priority, o, 2)
        .add('vlan.dei', this.dei, o, 2)
        .add('vlan.id', this.id, o, 2)
        .add(t <= ETH_MAX_LENGTH_FIELD ? 'vlan.len' : 'vlan.etype', t, o + TYPE, 2).items;
    }
    const tci = (at: number) => u16(this.data, at);
    f.add('ieee8021ad.priority', tci(o) >>> PRIORITY_SHIFT, o, 2).add('ieee8021ad.dei', (tci(o) & DEI_BIT) >>> 12, o, 2);
    if (this.length === VLAN_TAG_LEN) {
      f.add('ieee8021ad.id', tci(o) & ID_MASK, o, 2);
    } else {
      const i = o + VLAN_TAG_LEN;
      f.add('ieee8021ad.svid', tci(o) & ID_MASK, o, 2)
        .add('ieee8021ad.priority', tci(i) >>> PRIORITY_SHIFT, i, 2)
        .add('ieee8021ad.dei', (tci(i) & DEI_BIT) >>> 12, i, 2)
        .add('ieee8021ad.cvid', tci(i) & ID_MASK, i, 2);
    }
    // Wireshark's 802.1ad dissector reuses the 802.1ah type field for the inner EtherType.
    return f.add('ieee8021ah.etype', this.etherType, o + this.length - VLAN_TAG_LEN + TYPE, 2).items;
  }
  info(): string {
    return this.proto === 'vlan'
      ? `PRI: ${this.priority}  DEI: ${this.dei ? 1 : 0}  ID: ${this.id}`
      : `PRI: ${this.priority}  DROP: ${this.dei ? 1 : 0} ID: ${this.id}`;
  }
}

function dissect(kind: VlanKind, data: Uint8Array, span: Span): Dissection {
  let length = VLAN_TAG_LEN;
  let status = headerStatus(span.offset, length, span.end, span.reportedEnd);
  if (status === 'ok' && kind === 'ieee8021ad' && u16(data, span.offset + TYPE) === EtherType.QinQ) {
    length = 2 * VLAN_TAG_LEN;
    status = headerStatus(span.offset, length, span.end, span.reportedEnd);
  }
  const layer = new VlanLayer(data, span.offset, kind, length, status);
  const payload = { offset: Math.min(span.offset + length, span.end), end: span.end, reportedEnd: span.reportedEnd };
  if (status === 'malformed') {
    layer.problem = {
      code: 'WL_MALFORMED_VLAN_SHORT',
      offset: span.offset,
      message: `VLAN tag needs ${length} bytes, the packet has ${Math.max(0, span.reportedEnd - span.offset)}`,
    };
  }
  if (status !== 'ok') return { layer, payload };
  const type = layer.etherType;
  // A value of 1500 or less is an 802.3 length followed by LLC, which we leave as data.
  return type > ETH_MAX_LENGTH_FIELD ? { layer, payload, next: { table: 'ethertype', key: type } } : { layer, payload };
}

export const dissectVlan = (data: Uint8Array, span: Span, _ctx: DissectContext): Dissection => dissect('vlan', data, span);
export const dissectQinQ = (data: Uint8Array, span: Span, _ctx: DissectContext): Dissection => dissect('ieee8021ad', data, span);

/** One tag; the TPID that announces it belongs to the header before it (Ethernet or the outer tag). */
export interface VlanRepr {
  priority: number;
  dei: boolean;
  id: number;
  /** EtherType (or 802.3 length) of the payload. */
  etherType: number;
}

export function parseVlan(data: Uint8Array, offset = 0): VlanRepr {
  const tci = u16(data, offset + TCI);
  return {
    priority: tci >>> PRIORITY_SHIFT,
    dei: (tci & DEI_BIT) !== 0,
    id: tci & ID_MASK,
    etherType: u16(data, offset + TYPE),
  };
}

export function emitVlan(repr: VlanRepr, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(VLAN_TAG_LEN + payload.length);
  put16(out, TCI, ((repr.priority & 7) << PRIORITY_SHIFT) | (repr.dei ? DEI_BIT : 0) | (repr.id & ID_MASK));
  put16(out, TYPE, repr.etherType);
  out.set(payload, VLAN_TAG_LEN);
  return out;
}

export const bindings: readonly Binding[] = [
  { table: 'ethertype', key: EtherType.VLAN, dissector: dissectVlan },
  // Wireshark's vlan dissector also takes the old QinQ value (its vlan.qinq_ethertype preference).
  { table: 'ethertype', key: EtherType.QinQOld, dissector: dissectVlan },
  { table: 'ethertype', key: EtherType.QinQ, dissector: dissectQinQ },
];

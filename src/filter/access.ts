/**
 * Field accessors: how a compiled filter reads one field of one packet. An accessor calls a test on
 * each occurrence of the field until the test says yes, so "any occurrence equals" needs no array,
 * and a packet without the field costs one scan of its (short) layer list.
 *
 * Only the layers of the field's own protocol are asked for their fields(), once per packet per
 * layer (cached for the packet); the analysis record likewise. The most used fields (addresses,
 * ports, TCP flags) are read straight from the frame bytes at their RFC offsets when the header is
 * whole, which skips fields() (and, for TCP, its checksum verification) altogether.
 */
import type { PacketAnalysis } from '../analysis/analyzer.js';
import type { Field, Layer, Packet } from '../decode/layer.js';
import { epochNs, type FrameClock } from '../capture/frame-clock.js';
import { DataLayer } from '../decode/data.js';
import { TcpLayer } from '../wire/tcp.js';
import { UdpLayer } from '../wire/udp.js';
import { EITHER_FIELDS, MARKER_FIELDS, lookupField, type FieldDef } from './fields.js';
import { fromFieldValue, type Value } from './values.js';

/** Per-filter evaluation state, reset for each packet. */
export class EvalContext {
  packet!: Packet;
  analysis: PacketAnalysis | undefined;
  /** The caller's clock, advanced to this packet's frame: frame.time_relative and the deltas. */
  clock: FrameClock | undefined;
  private readonly layerFields = new Map<Layer, Field[]>();
  private analysisFields: Field[] | undefined;

  reset(packet: Packet, analysis: PacketAnalysis | undefined, clock?: FrameClock): void {
    this.packet = packet;
    this.analysis = analysis;
    this.clock = clock;
    if (this.layerFields.size) this.layerFields.clear();
    this.analysisFields = undefined;
  }
  /** The layer's fields but those copying its payload (PAYLOAD_BYTES reads them from the bytes). */
  fieldsOf(layer: Layer): Field[] {
    let f = this.layerFields.get(layer);
    if (!f) this.layerFields.set(layer, (f = layer.fields(false)));
    return f;
  }
  fieldsOfAnalysis(): Field[] {
    return (this.analysisFields ??= this.analysis ? this.analysis.fields() : []);
  }
}

export type Test = (v: Value) => boolean;
/** Calls `test` on each occurrence; true as soon as one passes. */
export type Accessor = (c: EvalContext, test: Test) => boolean;

const u16 = (d: Uint8Array, o: number) => (d[o]! << 8) | d[o + 1]!;
const u32 = (d: Uint8Array, o: number) => ((d[o]! << 24) | (d[o + 1]! << 16) | (d[o + 2]! << 8) | d[o + 3]!) >>> 0;

/**
 * Direct reads for whole headers, by field name: the values fields() would give, from the frame
 * bytes. Offsets: Ethernet IEEE 802.3 §3.2.3 (dst 0, src 6, type 12); IPv4 RFC 791 §3.1 (TTL 8,
 * protocol 9, src 12, dst 16; IHL 0, id 4, flags and fragment offset 6); IPv6 RFC 8200 §3 (src 8, dst 24); TCP RFC 9293 §3.1 (ports 0 and 2,
 * seq 4, ack 8, data offset in the top nibble of 12, flags in its low 12 bits, window 14); UDP
 * RFC 768 (ports 0 and 2, length 4).
 * test/filter/access.test.ts checks each against fields() on the whole corpus.
 */
type Direct = (d: Uint8Array, o: number, test: Test) => boolean;
const tcpFlag =
  (mask: number): Direct =>
  (d, o, t) =>
    t((u16(d, o + 12) & mask) !== 0);
const DIRECT: Record<string, { proto: string; read: Direct }> = {
  'eth.dst': { proto: 'eth', read: (d, o, t) => t(d.subarray(o, o + 6)) },
  'eth.src': { proto: 'eth', read: (d, o, t) => t(d.subarray(o + 6, o + 12)) },
  // Wireshark adds eth.addr after eth.dst and again after eth.src.
  'eth.addr': { proto: 'eth', read: (d, o, t) => t(d.subarray(o, o + 6)) || t(d.subarray(o + 6, o + 12)) },
  'ip.ttl': { proto: 'ip', read: (d, o, t) => t(d[o + 8]!) },
  'ip.proto': { proto: 'ip', read: (d, o, t) => t(d[o + 9]!) },
  'ip.src': { proto: 'ip', read: (d, o, t) => t(u32(d, o + 12)) },
  'ip.dst': { proto: 'ip', read: (d, o, t) => t(u32(d, o + 16)) },
  'ip.addr': { proto: 'ip', read: (d, o, t) => t(u32(d, o + 12)) || t(u32(d, o + 16)) },
  'ipv6.src': { proto: 'ipv6', read: (d, o, t) => t(d.subarray(o + 8, o + 24)) },
  'ipv6.dst': { proto: 'ipv6', read: (d, o, t) => t(d.subarray(o + 24, o + 40)) },
  'ipv6.addr': { proto: 'ipv6', read: (d, o, t) => t(d.subarray(o + 8, o + 24)) || t(d.subarray(o + 24, o + 40)) },
  'tcp.srcport': { proto: 'tcp', read: (d, o, t) => t(u16(d, o)) },
  'tcp.dstport': { proto: 'tcp', read: (d, o, t) => t(u16(d, o + 2)) },
  'tcp.port': { proto: 'tcp', read: (d, o, t) => t(u16(d, o)) || t(u16(d, o + 2)) },
  'tcp.flags': { proto: 'tcp', read: (d, o, t) => t(u16(d, o + 12) & 0x0fff) },
  'tcp.flags.fin': { proto: 'tcp', read: tcpFlag(0x001) },
  'tcp.flags.syn': { proto: 'tcp', read: tcpFlag(0x002) },
  'tcp.flags.reset': { proto: 'tcp', read: tcpFlag(0x004) },
  'tcp.flags.push': { proto: 'tcp', read: tcpFlag(0x008) },
  'tcp.flags.ack': { proto: 'tcp', read: tcpFlag(0x010) },
  'tcp.seq_raw': { proto: 'tcp', read: (d, o, t) => t(u32(d, o + 4)) },
  'tcp.ack_raw': { proto: 'tcp', read: (d, o, t) => t(u32(d, o + 8)) },
  'tcp.hdr_len': { proto: 'tcp', read: (d, o, t) => t((d[o + 12]! >> 4) * 4) },
  'tcp.window_size_value': { proto: 'tcp', read: (d, o, t) => t(u16(d, o + 14)) },
  'udp.length': { proto: 'udp', read: (d, o, t) => t(u16(d, o + 4)) },
  'ip.hdr_len': { proto: 'ip', read: (d, o, t) => t((d[o]! & 0x0f) * 4) },
  'ip.id': { proto: 'ip', read: (d, o, t) => t(u16(d, o + 4)) },
  'ip.flags.df': { proto: 'ip', read: (d, o, t) => t((d[o + 6]! & 0x40) !== 0) },
  'ip.flags.mf': { proto: 'ip', read: (d, o, t) => t((d[o + 6]! & 0x20) !== 0) },
  'ip.frag_offset': { proto: 'ip', read: (d, o, t) => t(u16(d, o + 6) & 0x1fff) },
  'udp.srcport': { proto: 'udp', read: (d, o, t) => t(u16(d, o)) },
  'udp.dstport': { proto: 'udp', read: (d, o, t) => t(u16(d, o + 2)) },
  'udp.port': { proto: 'udp', read: (d, o, t) => t(u16(d, o)) || t(u16(d, o + 2)) },
};

/** Names with a direct read (for tests). */
export const DIRECT_FIELDS: readonly string[] = Object.keys(DIRECT);

/**
 * The fields that copy a layer's payload as hex (fields(false) leaves them out), read as the bytes
 * themselves: a filter on tcp.len builds no hex of every segment, one on tcp.payload none either.
 * Whatever the layer's status, as fields() gives them.
 */
const PAYLOAD_BYTES: Record<string, (l: Layer) => Uint8Array | undefined> = {
  'tcp.payload': (l) => (l instanceof TcpLayer ? l.payloadBytes() : undefined),
  'udp.payload': (l) => (l instanceof UdpLayer ? l.payloadBytes() : undefined),
  // A `data` layer of the application stage (a body it counted) has no bytes to show.
  'data.data': (l) => (l instanceof DataLayer ? l.bytes() : undefined),
};

/** Names read from the payload's bytes (for tests). */
export const PAYLOAD_FIELDS: readonly string[] = Object.keys(PAYLOAD_BYTES);

/**
 * Which layers a reference looks at: all of the protocol's layers, or only the n-th (`#n`, 1-based;
 * negative counts from the innermost), as Wireshark's layer operator.
 */
function forLayers(proto: string | readonly string[], layer: number | undefined, each: (l: Layer) => boolean): (c: EvalContext) => boolean {
  if (typeof proto !== 'string') {
    const set = new Set(proto);
    return (c) => {
      const ls = c.packet.layers;
      let k = 0;
      for (let i = 0; i < ls.length; i++) if (set.has(ls[i]!.proto) && (layer === undefined || ++k === layer) && each(ls[i]!)) return true;
      return false;
    };
  }
  if (layer === undefined) {
    return (c) => {
      const ls = c.packet.layers;
      for (let i = 0; i < ls.length; i++) if (ls[i]!.proto === proto && each(ls[i]!)) return true;
      return false;
    };
  }
  return (c) => {
    const ls = c.packet.layers;
    let want = layer;
    if (want < 0) {
      let total = 0;
      for (const l of ls) if (l.proto === proto) total++;
      want = total + 1 + want;
    }
    let k = 0;
    for (const l of ls) if (l.proto === proto && ++k === want) return each(l);
    return false;
  };
}

/** What a per-layer closure reads: the packet's context and test, set by withState for each call. */
interface ScanState {
  c: EvalContext;
  test: Test;
}

function scanState(): ScanState {
  return { c: undefined as unknown as EvalContext, test: () => false };
}

/** The accessor running `scan` with `state` holding this call's context and test, restored afterwards (a nested call may reuse the accessor). */
function withState(state: ScanState, scan: (c: EvalContext) => boolean): Accessor {
  return (c, test) => {
    const saved = state.test;
    const savedC = state.c;
    state.c = c;
    state.test = test;
    try {
      return scan(c);
    } finally {
      state.test = saved;
      state.c = savedC;
    }
  };
}

/** The accessor for a registered field or protocol, optionally restricted to one layer. */
export function accessorFor(def: FieldDef, layer?: number): Accessor {
  if (def.type === 'protocol') return protocolAccessor(def.name, layer, 'tvb');
  if (def.source === 'frame') return frameAccessor(def);
  if (def.source === 'status') return statusAccessor(def);
  if (def.source === 'analysis') return analysisAccessor(def);
  const either = EITHER_FIELDS[def.name];
  const marker = MARKER_FIELDS[def.name];
  const direct = DIRECT[def.name];
  const payload = PAYLOAD_BYTES[def.name];
  const generic = (l: Layer, c: EvalContext, test: Test): boolean => {
    if (payload) {
      const b = payload(l);
      return b !== undefined && test(b);
    }
    if (either) return layerValues(c, l, lookupField(either[0])!, test) || layerValues(c, l, lookupField(either[1])!, test);
    if (marker) return layerValues(c, l, lookupField(marker)!, () => true) && test(true);
    return layerValues(c, l, def, test);
  };
  // Closures made once here, not per packet: `state` carries the packet's context and test.
  const state = scanState();
  const each = direct
    ? (l: Layer) => (l.status === 'ok' && l.proto === direct.proto ? direct.read(state.c.packet.frame.data, l.offset, state.test) : generic(l, state.c, state.test))
    : (l: Layer) => generic(l, state.c, state.test);
  const scan = forLayers(def.alsoFrom ? [def.source, ...def.alsoFrom] : def.source, layer, each);
  return withState(state, scan);
}

function layerValues(c: EvalContext, l: Layer, def: FieldDef, test: Test): boolean {
  const fields = c.fieldsOf(l);
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    if (f.name !== def.name) continue;
    const v = fromFieldValue(def, f.value);
    if (v !== undefined && test(v)) return true;
  }
  return false;
}

/**
 * A protocol's bytes. `tvb`: from its header to the end of what it carries (tshark searches
 * `tcp contains "GET"` in the payload too); `header`: the header alone (what `len(tcp)` and
 * `tcp[13]` see: tshark 4.0 gives `len(tcp)` as the header length). The end of what a layer carries
 * is the furthest end among it and the layers after it (the IP total length has trimmed padding).
 */
export function protocolAccessor(proto: string, layer: number | undefined, part: 'tvb' | 'header'): Accessor {
  if (proto === 'frame') return (c, test) => test(c.packet.frame.data);
  const state = scanState();
  const scan = forLayers(proto, layer, (l) => {
    const p = state.c.packet;
    const d = p.frame.data;
    let end = Math.min(d.length, l.offset + l.length);
    if (part === 'tvb') {
      const ls = p.layers;
      for (let i = ls.indexOf(l) + 1; i < ls.length; i++) end = Math.max(end, Math.min(d.length, ls[i]!.offset + ls[i]!.length));
    }
    return state.test(d.subarray(Math.min(l.offset, end), end));
  });
  return withState(state, scan);
}

function frameAccessor(def: FieldDef): Accessor {
  switch (def.name) {
    case 'frame.number':
      return (c, t) => t(c.packet.frame.number);
    case 'frame.len':
      return (c, t) => t(c.packet.frame.origLen);
    case 'frame.cap_len':
      return (c, t) => t(c.packet.frame.data.length);
    case 'frame.interface_id':
      return (c, t) => t(c.packet.frame.interfaceId);
    case 'frame.time_epoch':
      return (c, t) => t(epochNs(c.packet.frame.tsSec, c.packet.frame.tsNsec));
    // Only with a clock: a caller that does not walk the capture in order has none to give.
    case 'frame.time_relative':
      return (c, t) => c.clock !== undefined && t(c.clock.relative);
    case 'frame.time_delta':
      return (c, t) => c.clock !== undefined && t(c.clock.delta);
    // Since the last frame this filter kept (0 before any), as tshark tests it: `> 0` keeps nothing,
    // for no first frame can pass it.
    case 'frame.time_delta_displayed':
      return (c, t) => c.clock !== undefined && t(c.clock.deltaDisplayed);
    case 'frame.protocols':
      return (c, t) => t(c.packet.layers.map((l) => l.proto).join(':'));
    case 'frame.comment':
      return (c, t) => (c.packet.frame.comments ?? []).some(t);
    default:
      // A frame field registered without a reader here: never present (registry.test.ts lists frame fields).
      return () => false;
  }
}

function statusAccessor(def: FieldDef): Accessor {
  switch (def.name) {
    case '_ws.malformed':
      return (c, t) => c.packet.layers.some((l) => l.status === 'malformed') && t(true);
    case 'wl.truncated':
      return (c, t) => c.packet.layers.some((l) => l.status === 'truncated' && t(l.proto));
    case 'wl.error.code':
      return (c, t) => c.packet.layers.some((l) => l.problem !== undefined && t(l.problem.code));
    case 'wl.error.offset':
      return (c, t) => c.packet.layers.some((l) => l.problem !== undefined && t(l.problem.offset));
    case 'wl.error.message':
      return (c, t) => c.packet.layers.some((l) => l.problem !== undefined && t(l.problem.message));
    default:
      return () => false;
  }
}

function analysisAccessor(def: FieldDef): Accessor {
  // tcp.analysis.flags is Wireshark's parent of the expert flags: present when any flag is.
  const isFlag = (name: string) => name.startsWith('tcp.analysis.') && lookupField(name)?.type === 'none';
  if (def.name === 'tcp.analysis.flags') return (c, t) => c.fieldsOfAnalysis().some((f) => isFlag(f.name)) && t(true);
  return (c, t) => {
    const fields = c.fieldsOfAnalysis();
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      if (f.name !== def.name) continue;
      const v = fromFieldValue(def, f.value);
      if (v !== undefined && t(v)) return true;
    }
    return false;
  };
}

/** Number of layers of a protocol, and their header lengths, for `len(tcp)` and `count(tcp)`. */
export function protocolHeaderLengths(proto: string, layer: number | undefined): Accessor {
  if (proto === 'frame') return (c, t) => t(c.packet.frame.data.length);
  const state = scanState();
  const scan = forLayers(proto, layer, (l) => state.test(l.length));
  return withState(state, scan);
}

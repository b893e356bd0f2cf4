/**
 * The layer driver: a short loop that asks the binding tables which dissector comes next.
 * It never throws; whatever no dissector claims becomes a `data` layer.
 */
import type { Frame } from '../capture/frame.js';
import { DataLayer } from './data.js';
import type { Binding, DissectContext, Dissector, Span, TableName } from './dissector.js';
import type { Packet } from './layer.js';

/** Encapsulations deeper than this are treated as data (stops VLAN-in-VLAN or IP-in-IP bombs). */
const MAX_LAYERS = 24;

export class BindingTables {
  private readonly tables = new Map<TableName, Map<number, Dissector>>();

  constructor(bindings: Iterable<Binding>) {
    for (const b of bindings) {
      let t = this.tables.get(b.table);
      if (!t) this.tables.set(b.table, (t = new Map()));
      t.set(b.key, b.dissector);
    }
  }

  lookup(table: TableName, key: number): Dissector | undefined {
    return this.tables.get(table)?.get(key);
  }
}

export function decodeFrame(frame: Frame, tables: BindingTables): Packet {
  const data = frame.data;
  const fcs = frame.fcsLength ?? 0;
  // The FCS is not part of any layer's payload (Wireshark shows it as eth.fcs).
  const reported = Math.max(0, frame.origLen - fcs);
  const captured = Math.min(data.length, reported);
  const ctx: DissectContext = { frame, layers: [] };
  let span: Span = { offset: 0, end: captured, reportedEnd: Math.max(reported, captured) };
  let dissector = tables.lookup('linktype', frame.linkType);
  while (dissector && ctx.layers.length < MAX_LAYERS) {
    const d = dissector(data, span, ctx);
    ctx.layers.push(d.layer);
    span = d.payload;
    // A damaged header ends decoding; what follows it stays visible as data.
    if (d.layer.status !== 'ok' || !d.next) break;
    dissector = tables.lookup(d.next.table, d.next.key);
  }
  if (span.end > span.offset) ctx.layers.push(new DataLayer(span.offset, span.end - span.offset));
  return { frame, layers: ctx.layers };
}

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

/**
 * One binding table. Keys 0..0xffff (every link type, ethertype, IP protocol and port) are found
 * with two array loads through 256-entry pages; this runs once per layer of every packet, where a
 * Map would hash the key each time. Other keys fall back to a Map.
 */
class Table {
  private readonly pages: ((Dissector | undefined)[] | undefined)[] = new Array<(Dissector | undefined)[] | undefined>(256).fill(undefined);
  private readonly others = new Map<number, Dissector>();

  set(key: number, dissector: Dissector): void {
    if (key >= 0 && key <= 0xffff && Number.isInteger(key)) {
      const hi = key >>> 8;
      const page = (this.pages[hi] ??= new Array<Dissector | undefined>(256).fill(undefined));
      page[key & 0xff] = dissector;
    } else this.others.set(key, dissector);
  }

  get(key: number): Dissector | undefined {
    if ((key & 0xffff) === key) {
      const page = this.pages[key >>> 8];
      return page === undefined ? undefined : page[key & 0xff];
    }
    return this.others.get(key);
  }
}

export class BindingTables {
  private readonly tables = new Map<TableName, Table>();

  constructor(bindings: Iterable<Binding>) {
    for (const b of bindings) {
      let t = this.tables.get(b.table);
      if (!t) this.tables.set(b.table, (t = new Table()));
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
  // `network` is there from the start so that ip/ipv6 setting it does not change the object's shape.
  const ctx: DissectContext = { frame, layers: [], network: undefined };
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
  if (span.end > span.offset) ctx.layers.push(new DataLayer(data, span.offset, span.end - span.offset));
  return { frame, layers: ctx.layers };
}

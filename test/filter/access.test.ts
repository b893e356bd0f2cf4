/**
 * The direct reads of hot fields, and the reads of payload bytes (tcp.payload, udp.payload,
 * data.data: never built as hex for a filter), give exactly what the generic path (layer.fields())
 * gives, on the whole corpus.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { EvalContext, accessorFor, DIRECT_FIELDS, PAYLOAD_FIELDS } from '../../src/filter/access.js';
import { EITHER_FIELDS, lookupField, type FieldDef } from '../../src/filter/fields.js';
import { fromFieldValue, type Value } from '../../src/filter/values.js';
import { HAVE_CORPUS, decodeCorpus, type Decoded } from './corpus.js';

const show = (v: Value) => (v instanceof Uint8Array ? [...v].join('.') : String(v));

describe.skipIf(!HAVE_CORPUS)('direct field reads', () => {
  let corpus: Decoded[];
  beforeAll(async () => {
    corpus = await decodeCorpus();
  });
  it.each([...DIRECT_FIELDS, ...PAYLOAD_FIELDS])('%s equals the fields() values', (name) => {
    const def = lookupField(name)!;
    const access = accessorFor(def);
    const ctx = new EvalContext();
    const parts = (EITHER_FIELDS[name] ?? [name]).map((n) => lookupField(n)!) as FieldDef[];
    let compared = 0;
    for (const { packet } of corpus.flatMap((d) => d.packets)) {
      ctx.reset(packet, undefined);
      const got: string[] = [];
      access(ctx, (v) => (got.push(show(v)), false));
      const want: string[] = [];
      for (const l of packet.layers) {
        if (l.proto !== def.source) continue;
        const fields = l.fields();
        // Either fields: Wireshark lists the pair per layer (eth: dst then src).
        for (const p of parts) for (const f of fields) if (f.name === p.name) want.push(show(fromFieldValue(p, f.value)!));
      }
      expect(got.sort(), `frame ${packet.frame.number}`).toEqual(want.sort());
      compared += want.length;
    }
    expect(compared).toBeGreaterThan(0);
  });
});

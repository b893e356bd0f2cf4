/**
 * The registry is complete: every field any layer or the analysis emits on the corpus is
 * registered, under the source that emits it, with a type its values convert to. A new field in a
 * protocol file fails here until it is added to src/filter/fields.ts.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { packetToJson } from '../../src/output/json.js';
import { allFields, lookupField } from '../../src/filter/fields.js';
import { APP_FIELDS_DECODED } from '../../src/filter/fields-app.js';
import { Analyzer } from '../../src/analysis/analyzer.js';
import { AppStage, appAnalyzerOptions } from '../../src/analysis/app.js';
import { readCaptureFileSync } from '../../src/capture/reader.js';
import { decodePacket } from '../../src/decode/bindings.js';
import { compileFilter } from '../../src/filter/index.js';
import { fromFieldValue } from '../../src/filter/values.js';
import { HAVE_CORPUS, PROJECT_ROOT, TRACE_DIR, decodeCorpus, type Decoded } from './corpus.js';

describe('registry', () => {
  it('has a name, type, protocol and description for every entry, names unique', () => {
    const defs = allFields();
    expect(new Set(defs.map((d) => d.name)).size).toBe(defs.length);
    for (const d of defs) {
      expect(d.name).toMatch(/^[a-z_][a-z0-9_.]*$/);
      expect(d.description.length).toBeGreaterThan(0);
      expect(d.proto.length).toBeGreaterThan(0);
    }
  });
  it('registers the analysis fields with their Wireshark types', () => {
    expect(lookupField('tcp.stream')).toMatchObject({ type: 'uint', source: 'analysis' });
    expect(lookupField('tcp.analysis.retransmission')).toMatchObject({ type: 'none', source: 'analysis' });
    expect(lookupField('tcp.analysis.ack_rtt')).toMatchObject({ type: 'time' });
    expect(lookupField('tcp.time_relative')).toMatchObject({ type: 'time' });
    expect(lookupField('udp.stream')).toMatchObject({ type: 'uint' });
    expect(lookupField('ip.addr')).toMatchObject({ type: 'ipv4', derived: true });
  });
});

/** `tshark -G fields` rows by name: its type (FT_*) and display base, when tshark is installed. */
const tsharkFields = (() => {
  const r = spawnSync('tshark', ['-G', 'fields'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) return undefined;
  const rows = new Map<string, { ft: string; base: string }>();
  for (const line of r.stdout.split('\n')) {
    const p = line.split('\t');
    if (p[0] === 'F') rows.set(p[2]!, { ft: p[3]!, base: p[5]! });
  }
  return rows;
})();
if (!tsharkFields) console.warn('registry: display bases not checked (tshark not installed)');

describe.skipIf(!tsharkFields)('display information against tshark -G fields', () => {
  const HEX_WIDTH: Record<string, number> = { FT_UINT8: 2, FT_UINT16: 4, FT_UINT24: 6, FT_UINT32: 8 };
  it('gives hex digits to exactly the decoded integer fields tshark shows in hex, with their type width', () => {
    for (const d of allFields()) {
      const t = tsharkFields!.get(d.name);
      if (d.undecoded || !t) continue;
      const hex = (t.base === 'BASE_HEX' || t.base === 'BASE_HEX_DEC') && HEX_WIDTH[t.ft] !== undefined ? HEX_WIDTH[t.ft] : undefined;
      expect(d.hexDigits, d.name).toBe(hex);
    }
  });
  it('marks exactly the FT_ABSOLUTE_TIME fields as absolute', () => {
    for (const d of allFields()) {
      const t = tsharkFields!.get(d.name);
      if (!t) continue;
      expect(d.absolute === true, d.name).toBe(t.ft === 'FT_ABSOLUTE_TIME');
    }
  });
});

describe('fields wirelens does not decode', () => {
  it('are marked, and a filter names them back; decoded ones are not', () => {
    expect(lookupField('http.proxy_connect_host')?.undecoded).toBe(true);
    expect(lookupField('http.server')?.undecoded).toBeUndefined();
    expect(lookupField('tcp.port')?.undecoded).toBeUndefined();
    expect(compileFilter('http.proxy_connect_host contains "pw" || http.server').undecoded).toEqual(['http.proxy_connect_host']);
    // tshark's TCP reassembly fields: a Wireshark filter naming one compiles, and says so.
    expect(compileFilter('tcp.reassembled_in || tcp.segment_data').undecoded).toEqual(['tcp.reassembled_in', 'tcp.segment_data']);
  });

  it('APP_FIELDS_DECODED names only fields the application-layer sources write', () => {
    // A name in the list that no source writes would silence the note for a field that never matches.
    const dirs = [join(PROJECT_ROOT, 'src/protocols'), join(PROJECT_ROOT, 'src/analysis')];
    const text = dirs.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.ts')).map((f) => readFileSync(join(d, f), 'utf8'))).join('\n');
    for (const name of APP_FIELDS_DECODED) expect(text.includes(`'${name}'`), name).toBe(true);
  });
});

describe.skipIf(!HAVE_CORPUS)('registry against the corpus', () => {
  it('marks as decoded every application field the application stage emits on the corpus', () => {
    const undecoded = new Set<string>();
    for (const file of readdirSync(TRACE_DIR).filter((f) => /\.pcap(ng)?$/.test(f))) {
      let frames;
      try {
        frames = readCaptureFileSync(join(TRACE_DIR, file)).frames;
      } catch {
        continue; // files the reader refuses
      }
      const analyzer = new Analyzer(appAnalyzerOptions(new AppStage(), { defragment: true }));
      for (const f of frames) {
        const p = decodePacket(f);
        for (const name of Object.keys(packetToJson(p, analyzer.analyze(p)))) if (lookupField(name)?.undecoded) undecoded.add(`${name} (${file})`);
      }
      analyzer.finish();
    }
    expect([...undecoded]).toEqual([]);
  });

  let corpus: Decoded[];
  beforeAll(async () => {
    corpus = await decodeCorpus();
  });

  it('registers every emitted field under the layer (or analysis) that emits it, with convertible values', () => {
    const problems = new Set<string>();
    for (const { file, packets } of corpus) {
      for (const { packet, analysis } of packets) {
        const check = (name: string, value: unknown, source: string) => {
          const def = lookupField(name);
          if (!def) problems.add(`${name}: not registered (seen in ${file} from ${source})`);
          else if (def.source !== source && !def.alsoFrom?.includes(source)) problems.add(`${name}: registered with source ${def.source}, emitted by ${source}`);
          else if (fromFieldValue(def, value as never) === undefined) problems.add(`${name}: value ${JSON.stringify(value)} does not fit type ${def.type}`);
        };
        for (const layer of packet.layers) {
          if (lookupField(layer.proto)?.type !== 'protocol') problems.add(`protocol ${layer.proto}: not registered (seen in ${file})`);
          for (const f of layer.fields()) check(f.name, f.value, layer.proto);
        }
        for (const f of analysis.fields()) check(f.name, f.value, 'analysis');
        // Frame and status fields come from the JSON writer itself.
        for (const name of Object.keys(packetToJson(packet, analysis))) if (!lookupField(name)) problems.add(`${name}: not registered (JSON of ${file})`);
      }
    }
    expect([...problems]).toEqual([]);
  });
});

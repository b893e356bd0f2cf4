/**
 * `wirelens fields [PREFIX] [--json]`: the names a display filter may use, like `tshark -G fields`
 * (one line per field: name, type, protocol, description), optionally only those starting with PREFIX.
 * Wireshark's application-protocol names that wirelens never emits say so.
 */
import { allFields, type FieldDef } from '../filter/index.js';

export interface FieldsOptions {
  json?: boolean;
}

export function runFields(prefix: string | undefined, opts: FieldsOptions): number {
  const defs = listFields(prefix);
  const lines = opts.json ? defs.map((d) => JSON.stringify(fieldJson(d))) : formatTable(defs);
  if (lines.length) process.stdout.write(lines.join('\n') + '\n');
  // Like grep: nothing matched is exit code 1, so scripts can test for a name.
  return defs.length ? 0 : 1;
}

/** Registered fields whose name is the prefix or starts with it, protocols first, then by name. */
export function listFields(prefix?: string): FieldDef[] {
  const p = prefix ?? '';
  return allFields()
    .filter((d) => d.name.startsWith(p))
    .sort((a, b) => Number(b.type === 'protocol') - Number(a.type === 'protocol') || a.name.localeCompare(b.name));
}

function fieldJson(d: FieldDef): Record<string, unknown> {
  const out: Record<string, unknown> = { name: d.name, type: d.type, protocol: d.proto, description: d.description };
  if (d.valueStrings) out.values = Object.fromEntries(d.valueStrings);
  if (d.source === 'analysis') out.analysis = true;
  if (d.undecoded) out.decoded = false;
  return out;
}

function formatTable(defs: FieldDef[]): string[] {
  const w = (f: (d: FieldDef) => string) => Math.max(0, ...defs.map((d) => f(d).length));
  const wn = w((d) => d.name);
  const wt = w((d) => d.type);
  const wp = w((d) => d.proto);
  return defs.map((d) => `${d.name.padEnd(wn)}  ${d.type.padEnd(wt)}  ${d.proto.padEnd(wp)}  ${d.description}${d.undecoded ? ' (not decoded by wirelens)' : ''}`);
}

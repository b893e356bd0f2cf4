/**
 * Chosen fields of each packet as `tshark -T fields -e NAME …` prints them: one line per packet,
 * the fields in the order given, separated by a tab; several occurrences of a field joined by a
 * comma. Values as tshark 4.0 writes them: integers in the field's display base (`0x0800` for
 * eth.type: FieldDef.hexDigits), booleans and presence-only items as `1`/`0`, relative times with
 * nine decimals, addresses and byte strings as in `--json`. `-E` options as tshark's: separator,
 * aggregator, occurrence (f, l, a), header, quote (d, s, n).
 *
 * tshark writes a string's control characters raw except tab, newline, carriage return, form
 * feed and backspace (`\t \n \r \f \b`); those five are escaped the same way here, and every other
 * control character as `\xHH`, for bytes from the wire never reach a terminal raw.
 */
import type { FieldValue } from '../decode/layer.js';
import type { FieldDef } from '../filter/fields.js';
import { escapeControl } from './escape.js';
import type { PacketJson } from './json.js';
import { absoluteTimeText } from './time-column.js';

export interface FieldsFormat {
  fields: readonly FieldDef[];
  /** Between fields (tshark -E separator=, default tab). */
  separator: string;
  /** Between occurrences of one field (-E aggregator=, default ","). */
  aggregator: string;
  /** Which occurrences (-E occurrence=): a all, f the first, l the last. */
  occurrence: 'a' | 'f' | 'l';
  /** A first line with the field names (-E header=y). */
  header: boolean;
  /** Around each field's text (-E quote=): d double quotes, s single quotes, n nothing. */
  quote: 'd' | 's' | 'n';
}

/**
 * tshark's column pseudo-fields (`-e _ws.col.Info`): the summary line's columns, by the titles of
 * its default columns. Not display-filter fields (tshark 4.0 refuses them in -Y too).
 */
export const COLUMN_FIELDS: readonly FieldDef[] = (
  [
    ['_ws.col.No.', 'uint', 'No.'],
    ['_ws.col.Time', 'string', 'Time (as -t sets it)'],
    ['_ws.col.Source', 'string', 'Source'],
    ['_ws.col.Destination', 'string', 'Destination'],
    ['_ws.col.Protocol', 'string', 'Protocol'],
    ['_ws.col.Length', 'uint', 'Length'],
    ['_ws.col.Info', 'string', 'Info'],
  ] as const
).map(([name, type, description]) => ({ name, type, proto: '_ws.col', description, source: 'column' }));

export const DEFAULT_FIELDS_FORMAT: Omit<FieldsFormat, 'fields'> = { separator: '\t', aggregator: ',', occurrence: 'a', header: false, quote: 'n' };

const TSHARK_ESCAPES: Readonly<Record<string, string>> = { '\t': '\\t', '\n': '\\n', '\r': '\\r', '\f': '\\f', '\b': '\\b' };

/** A number in the base Wireshark displays `def` in: `0x0800` for eth.type (FieldDef.hexDigits), else decimal. */
export function numberText(def: FieldDef | undefined, v: number): string {
  return def?.hexDigits !== undefined && Number.isInteger(v) && v >= 0 ? `0x${v.toString(16).padStart(def.hexDigits, '0')}` : String(v);
}

/** One value of `def` as tshark prints it. */
export function fieldText(def: FieldDef, v: FieldValue): string {
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'number') {
    if (def.absolute) return absoluteTimeText(v);
    if (def.type === 'time') return v.toFixed(9);
    return numberText(def, v);
  }
  // A value_string name (checksum statuses: "good" for "Good"): tshark prints the number it names.
  if (def.valueStrings) {
    const lower = v.toLowerCase();
    for (const [n, name] of def.valueStrings) if (name.toLowerCase() === lower) return String(n);
  }
  return escapeControl(v.replace(/[\t\n\r\f\b]/g, (c) => TSHARK_ESCAPES[c]!));
}

function quoted(text: string, quote: FieldsFormat['quote']): string {
  return quote === 'd' ? `"${text}"` : quote === 's' ? `'${text}'` : text;
}

/** The header line (-E header=y): the field names, never quoted (as tshark writes it). */
export function fieldsHeader(f: FieldsFormat): string {
  return f.fields.map((d) => d.name).join(f.separator);
}

/** One packet's line, from its JSON (packetToJson): an absent field is an empty column. */
export function fieldsLine(json: PacketJson, f: FieldsFormat): string {
  const cols: string[] = [];
  for (const def of f.fields) {
    const raw = json[def.name];
    // An absent field is an empty column, unquoted (tshark's).
    if (raw === undefined) {
      cols.push('');
      continue;
    }
    const all = Array.isArray(raw) ? raw : [raw];
    const picked = f.occurrence === 'f' ? all.slice(0, 1) : f.occurrence === 'l' ? all.slice(-1) : all;
    cols.push(quoted(picked.map((v) => fieldText(def, v)).join(f.aggregator), f.quote));
  }
  return cols.join(f.separator);
}

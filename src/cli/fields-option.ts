/**
 * `-T fields -e NAME … -E OPTION=VALUE …` as tshark takes them (read and capture): the fields to
 * print per packet and how (output/fields-text.ts). A name that is not a field, or an option
 * tshark does not have, is a usage error (exit code 2) that says what would be right.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { WirelensError } from '../errors.js';
import { collect } from './common.js';
import { lookupField, suggestFields } from '../filter/fields.js';
import { COLUMN_FIELDS, DEFAULT_FIELDS_FORMAT, type FieldsFormat } from '../output/fields-text.js';
import type { FieldDef } from '../filter/fields.js';

/** A registered field, or one of tshark's column pseudo-fields (_ws.col.Info…). */
function fieldDef(name: string): FieldDef | undefined {
  return lookupField(name) ?? COLUMN_FIELDS.find((c) => c.name === name);
}

/** What commander collects: -T, every -e and every -E. */
export interface FieldsCliOptions {
  outputFormat?: 'fields';
  field?: string[];
  fieldOption?: string[];
}

/** A field name for -e: registered, not a protocol (tshark prints a protocol's summary text there). */
function fieldName(value: string, previous: string[] | undefined): string[] {
  const def = fieldDef(value);
  if (def === undefined) {
    const near = suggestFields(value);
    throw new InvalidArgumentError(`"${value}" is not a field${near.length ? `: did you mean ${near.join(', ')}?` : ' (wirelens fields lists them)'}`);
  }
  if (def.type === 'protocol') throw new InvalidArgumentError(`"${value}" is a protocol: name one of its fields (wirelens fields ${value}.)`);
  return collect(value, previous);
}

/** The -T/-e/-E options, on a command whose action passes them to fieldsFormat. */
export function fieldsOptions(command: Command): Command {
  return command
    .addOption(new Option('-T, --output-format <format>', 'fields: print the -e fields of each packet, as tshark -T fields').choices(['fields']))
    .option('-e, --field <name>', 'a field to print per packet (repeatable; implies -T fields)', fieldName)
    .option('-E, --field-option <option=value>', 'as tshark -E: separator=/t|/s|char, aggregator=char, occurrence=f|l|a, header=y|n, quote=d|s|n (repeatable)', collect);
}

/** Found when the command runs (the options are read together), so a WirelensError: exit code 2. */
function usage(message: string): WirelensError {
  return new WirelensError('WL_ERR_USAGE', message);
}

const SEPARATOR_NAMES: Readonly<Record<string, string>> = { '/t': '\t', '/s': ' ' };

/** The fields format the options ask for, or undefined when they ask for none. */
export function fieldsFormat(o: FieldsCliOptions): FieldsFormat | undefined {
  if (!o.field?.length) {
    if (o.outputFormat === 'fields') throw usage('-T fields needs at least one -e FIELD');
    if (o.fieldOption?.length) throw usage('-E applies to -e fields: give at least one -e FIELD');
    return undefined;
  }
  const f: FieldsFormat = { ...DEFAULT_FIELDS_FORMAT, fields: o.field.map((n) => fieldDef(n)!) };
  // As -Y says of them: tshark would print these, wirelens knows the names but never has values.
  for (const d of f.fields) if (d.undecoded) process.stderr.write(`wirelens: note: -e names ${d.name}, a Wireshark field wirelens does not decode: its column stays empty\n`);
  for (const opt of o.fieldOption ?? []) {
    const eq = opt.indexOf('=');
    const key = eq < 0 ? opt : opt.slice(0, eq);
    const value = eq < 0 ? '' : opt.slice(eq + 1);
    const bad = (allowed: string) => usage(`-E ${opt}: ${key} takes ${allowed}`);
    switch (key) {
      case 'separator':
        if (value === '') throw bad('/t (tab), /s (space) or one character');
        f.separator = SEPARATOR_NAMES[value] ?? value;
        break;
      case 'aggregator':
        if (value === '') throw bad('/s (space) or one character');
        f.aggregator = SEPARATOR_NAMES[value] ?? value;
        break;
      case 'occurrence':
        if (value !== 'a' && value !== 'f' && value !== 'l') throw bad('a (all), f (first) or l (last)');
        f.occurrence = value;
        break;
      case 'header':
        if (value !== 'y' && value !== 'n') throw bad('y or n');
        f.header = value === 'y';
        break;
      case 'quote':
        if (value !== 'd' && value !== 's' && value !== 'n') throw bad('d (double), s (single) or n (none)');
        f.quote = value;
        break;
      default:
        throw usage(`-E ${opt}: wirelens knows separator, aggregator, occurrence, header and quote`);
    }
  }
  return f;
}

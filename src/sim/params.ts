/**
 * Scenario parameters: declared once (name, kind, default, range, help), parsed from the command
 * line ("80ms", "2%", "1MB"), validated with a message that names the allowed range, and listed by
 * `wirelens synth --list`. A bad value is a WirelensError WL_ERR_USAGE (exit code 2).
 */
import { WirelensError } from '../errors.js';
import { formatDuration, type Nanos } from './clock.js';

export type ParamKind = 'duration' | 'percent' | 'size' | 'int' | 'rate' | 'choice' | 'bool';

export interface ParamSpec {
  name: string;
  kind: ParamKind;
  /** In base units: ns, a fraction 0..1, bytes, a count, bits/s, a choice, a boolean. */
  default: number | string | boolean;
  min?: number;
  max?: number;
  choices?: readonly string[];
  help: string;
}

export type ParamValues = Record<string, number | string | boolean>;

const DURATION_UNITS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9 };
const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, k: 1e3, m: 1e6, g: 1e9 };
const RATE_UNITS: Record<string, number> = { '': 1, bps: 1, kbps: 1e3, mbps: 1e6, gbps: 1e9, kbit: 1e3, mbit: 1e6, gbit: 1e9, k: 1e3, m: 1e6, g: 1e9 };

function bad(spec: ParamSpec, value: string, why: string): never {
  throw new WirelensError('WL_ERR_USAGE', `--${spec.name} ${value}: ${why}; allowed: ${describeRange(spec)}`);
}

export function formatParam(spec: ParamSpec, v: number | string | boolean): string {
  if (typeof v !== 'number' || v === 0) return String(v);
  switch (spec.kind) {
    case 'duration':
      return formatDuration(v).replace(' ', '');
    case 'percent':
      return `${Math.round(v * 1e6) / 1e4}%`;
    case 'size':
      return v >= 1e6 && v % 1e5 === 0 ? `${v / 1e6}MB` : v >= 1e3 && v % 100 === 0 ? `${v / 1e3}kB` : `${v}B`;
    case 'rate':
      return v >= 1e6 ? `${v / 1e6}Mbit` : v >= 1e3 ? `${v / 1e3}kbit` : `${v}bit`;
    default:
      return String(v);
  }
}

export function describeRange(spec: ParamSpec): string {
  if (spec.kind === 'choice') return spec.choices!.join(' | ');
  if (spec.kind === 'bool') return 'true | false';
  const lo = spec.min !== undefined ? formatParam(spec, spec.min) : undefined;
  const hi = spec.max !== undefined ? formatParam(spec, spec.max) : undefined;
  const unit = { duration: ' (e.g. 80ms, 1.5s)', percent: ' (e.g. 2%, 0.5%)', size: ' (e.g. 64kB, 1MB)', rate: ' (e.g. 10Mbit)', int: '' }[spec.kind];
  return `${lo ?? '…'} to ${hi ?? '…'}${unit}`;
}

export function parseParam(spec: ParamSpec, text: string): number | string | boolean {
  const t = text.trim();
  let v: number;
  switch (spec.kind) {
    case 'choice':
      if (!spec.choices!.includes(t)) bad(spec, text, 'not one of the choices');
      return t;
    case 'bool':
      if (t === 'true' || t === 'yes' || t === '1' || t === '') return true;
      if (t === 'false' || t === 'no' || t === '0') return false;
      return bad(spec, text, 'not a boolean');
    case 'duration': {
      const m = /^(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s)$/i.exec(t);
      if (!m) bad(spec, text, 'not a duration');
      v = Math.round(Number(m[1]) * DURATION_UNITS[m[2]!.toLowerCase()]!);
      break;
    }
    case 'percent': {
      const m = /^(-?\d+(?:\.\d+)?)\s*(%?)$/.exec(t);
      if (!m) bad(spec, text, 'not a percentage');
      v = m[2] ? Number(m[1]) / 100 : Number(m[1]);
      break;
    }
    case 'size': {
      const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(t);
      const u = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
      if (!m || u === undefined) bad(spec, text, 'not a size');
      v = Math.round(Number(m[1]) * u);
      break;
    }
    case 'rate': {
      const m = /^(\d+(?:\.\d+)?)\s*([a-z/]*)$/i.exec(t);
      const u = m ? RATE_UNITS[m[2]!.toLowerCase().replace('/s', '')] : undefined;
      if (!m || u === undefined) bad(spec, text, 'not a rate');
      v = Math.round(Number(m[1]) * u);
      break;
    }
    case 'int':
      if (!/^-?\d+$/.test(t)) bad(spec, text, 'not a whole number');
      v = Number(t);
      break;
  }
  if ((spec.min !== undefined && v < spec.min) || (spec.max !== undefined && v > spec.max)) bad(spec, text, 'out of range');
  return v;
}

/** Defaults overlaid with the given texts; unknown names are refused with the list of known ones. */
export function resolveParams(specs: readonly ParamSpec[], given: Record<string, string>, scenario: string): ParamValues {
  const out: ParamValues = {};
  for (const s of specs) out[s.name] = s.default;
  for (const [k, v] of Object.entries(given)) {
    const spec = specs.find((s) => s.name === k);
    if (!spec) {
      const known = specs.map((s) => `--${s.name}`).join(', ') || 'none';
      throw new WirelensError('WL_ERR_USAGE', `scenario ${scenario} has no parameter --${k} (its parameters: ${known})`);
    }
    out[k] = parseParam(spec, v);
  }
  return out;
}

export const num = (p: ParamValues, k: string): number => p[k] as number;
export const ns = (p: ParamValues, k: string): Nanos => p[k] as number;

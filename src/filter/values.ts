/**
 * Filter values: one JavaScript representation per field type, so that comparing is cheap and
 * exact. Integers and IPv4 addresses are numbers (an address as its 32-bit value, which makes CIDR
 * a mask and ordering numeric, as Wireshark orders FT_IPv4); times are bigint nanoseconds (epoch
 * seconds with 9 decimals do not fit a double); addresses of other kinds and byte strings are bytes.
 *
 * Literal texts are typed against the field they are compared with, as Wireshark does with the
 * "unparsed" literals of its grammar (wireshark-filter(4), "Display Filter Fields" and "Literals").
 */
import type { FieldValue } from '../decode/layer.js';
import { parseIPv4, parseIPv6, parseMac } from '../wire/addr.js';
import type { FieldDef, FieldType } from './fields.js';

export type Value = number | bigint | boolean | string | Uint8Array;

/** A CIDR block: `bits` leading bits of `prefix` (4 bytes for IPv4, 16 for IPv6). */
export interface Network {
  prefix: Uint8Array;
  bits: number;
}

/** Human words for types, for messages. */
export const TYPE_NAMES: Record<FieldType, string> = {
  uint: 'unsigned integer',
  int: 'signed integer',
  bool: 'boolean',
  float: 'floating-point number',
  time: 'time offset',
  string: 'character string',
  ipv4: 'IPv4 address',
  ipv6: 'IPv6 address',
  ether: 'Ethernet (MAC) address',
  bytes: 'byte sequence',
  protocol: 'protocol',
  none: 'label (presence only)',
};

/** "a string", "an IPv4 address". */
export function article(noun: string): string {
  return `${/^[aeiou]|^IPv|^MAC/i.test(noun) ? 'an' : 'a'} ${noun}`;
}

/** What a literal for each type looks like, for "which types fit" messages. */
export function expectedFor(def: { type: FieldType; valueStrings?: ReadonlyMap<number, string> }): string {
  const names = def.valueStrings ? ` or one of ${[...def.valueStrings.values()].map((v) => `"${v}"`).join(', ')}` : '';
  switch (def.type) {
    case 'uint':
      return `a whole number such as 80, 0x50 or 0120${names}`;
    case 'int':
      return 'a whole number such as -3, 42 or 0x2a';
    case 'bool':
      return '1, 0, True or False';
    case 'float':
      return 'a number such as 1.5';
    case 'time':
      return 'a number of seconds such as 0.25 or 1591780863.720289';
    case 'string':
      return 'a quoted string such as "GET"';
    case 'ipv4':
      return 'an IPv4 address such as 192.0.2.1 or a CIDR block such as 10.0.0.0/8';
    case 'ipv6':
      return 'an IPv6 address such as 2001:db8::1 or a prefix such as fe80::/10';
    case 'ether':
      return 'a MAC address such as 00:11:22:33:44:55';
    case 'bytes':
    case 'protocol':
      return 'bytes such as aa:bb:cc or 0xc0, or a quoted string';
    case 'none':
      return 'nothing: it can only be tested for presence (write the name alone)';
  }
}

const utf8 = new TextEncoder();

/** Bytes of a value, for slices, `contains` and `len`; undefined for types that are not byte-like (numbers, booleans, times). */
export function bytesOf(type: FieldType, v: Value): Uint8Array | undefined {
  if (v instanceof Uint8Array) return v;
  if (type === 'ipv4' && typeof v === 'number') return new Uint8Array([v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]);
  if (typeof v === 'string') return utf8.encode(v);
  return undefined;
}

export const SLICEABLE: ReadonlySet<FieldType> = new Set(['string', 'ipv4', 'ipv6', 'ether', 'bytes', 'protocol']);

/** Converts a decoded field value (as layers and the analysis emit it) to the filter's representation. */
export function fromFieldValue(def: FieldDef, fv: FieldValue): Value | undefined {
  switch (def.type) {
    case 'uint':
    case 'int':
    case 'float':
      if (typeof fv === 'number') return fv;
      if (typeof fv === 'boolean') return fv ? 1 : 0;
      if (def.valueStrings) return valueStringNumber(def.valueStrings, fv);
      return /^-?\d+(\.\d+)?$/.test(fv) ? Number(fv) : undefined;
    case 'bool':
      return typeof fv === 'boolean' ? fv : typeof fv === 'number' ? fv !== 0 : fv === 'true' || fv === '1';
    case 'time':
      return typeof fv === 'boolean' ? undefined : parseTime(typeof fv === 'number' ? fv.toFixed(9) : fv);
    case 'string':
      return typeof fv === 'string' ? fv : String(fv);
    case 'ipv4':
      return typeof fv === 'string' ? ipv4Number(fv) : undefined;
    case 'ipv6':
      return typeof fv === 'string' ? parseIPv6(fv) : undefined;
    case 'ether':
      return typeof fv === 'string' ? parseMac(fv) : undefined;
    case 'bytes':
      return typeof fv === 'string' ? parseBytes(fv) : undefined;
    case 'protocol':
    case 'none':
      return true;
  }
}

function valueStringNumber(vs: ReadonlyMap<number, string>, text: string): number | undefined {
  const t = text.toLowerCase();
  for (const [n, s] of vs) if (s.toLowerCase() === t) return n;
  return undefined;
}

export function ipv4Number(text: string): number | undefined {
  const b = parseIPv4(text);
  return b ? ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0 : undefined;
}

/** Decimal seconds (optionally negative) to nanoseconds; more than 9 decimals are cut. */
export function parseTime(text: string): bigint | undefined {
  const m = /^(-?)(\d+)(?:\.(\d*))?$/.exec(text.trim());
  if (!m) return undefined;
  const ns = BigInt(m[2]!) * 1_000_000_000n + BigInt(((m[3] ?? '') + '000000000').slice(0, 9));
  return m[1] ? -ns : ns;
}

/**
 * Byte strings as Wireshark writes them: `aa:bb:cc`, `aa-bb-cc`, `aabb.ccdd`, `aabbcc`, or a single
 * byte (`c0`, `0xc0`). Each separated group is one or more whole bytes; one hex digit is one byte.
 */
export function parseBytes(text: string): Uint8Array | undefined {
  const t = text.trim();
  const single = /^0x([0-9a-f]{1,2})$/i.exec(t);
  if (single) return new Uint8Array([Number.parseInt(single[1]!, 16)]);
  if (t === '') return new Uint8Array(0);
  const out: number[] = [];
  for (const g of t.split(/[:.-]/)) {
    if (!/^[0-9a-f]+$/i.test(g)) return undefined;
    if (g.length === 1) out.push(Number.parseInt(g, 16));
    else if (g.length % 2 !== 0) return undefined;
    else for (let i = 0; i < g.length; i += 2) out.push(Number.parseInt(g.slice(i, i + 2), 16));
  }
  return new Uint8Array(out);
}

/** Whole numbers as C and Wireshark write them: decimal, 0x hex, 0b binary, leading-0 octal; optional minus. */
export function parseInteger(text: string): number | undefined {
  const m = /^(-?)(0x[0-9a-f]+|0b[01]+|0[0-7]*|[1-9][0-9]*)$/i.exec(text);
  if (!m) return undefined;
  const body = m[2]!.toLowerCase();
  const n = body.startsWith('0x') ? Number.parseInt(body.slice(2), 16) : body.startsWith('0b') ? Number.parseInt(body.slice(2), 2) : body.length > 1 && body[0] === '0' ? Number.parseInt(body, 8) : Number(body);
  if (!Number.isSafeInteger(n)) return undefined;
  return m[1] ? -n : n;
}

/** A literal typed for a field: a value, or for addresses possibly a network. */
export type Typed = { value: Value; net?: undefined } | { net: Network; value?: undefined };

/**
 * Types a literal against `def`. `kind` says how it was written: a bare word, a quoted string or a
 * character constant. Returns an error message (without the filter) when it does not fit.
 */
export function typeLiteral(def: { type: FieldType; name: string; valueStrings?: ReadonlyMap<number, string> }, kind: 'word' | 'string' | 'char', text: string): Typed | string {
  const t = def.type;
  const where = `${def.name} is ${article(TYPE_NAMES[t])}`;
  const quotedNo = `${where} and cannot be compared with a quoted string; use ${expectedFor(def)}`;
  switch (t) {
    case 'uint':
    case 'int': {
      if (kind === 'char') return { value: text.codePointAt(0)! };
      if (def.valueStrings) {
        const n = valueStringNumber(def.valueStrings, text);
        if (n !== undefined) return { value: n };
      }
      if (kind === 'string') return quotedNo;
      const n = parseInteger(text);
      if (n === undefined) return `"${text}" is not a valid number: ${where}; use ${expectedFor(def)}`;
      if (t === 'uint' && n < 0) return `${def.name} is unsigned and ${text} is negative`;
      return { value: n };
    }
    case 'bool': {
      if (kind !== 'word') return `${where}; use ${expectedFor(def)}`;
      if (/^true$/i.test(text)) return { value: true };
      if (/^false$/i.test(text)) return { value: false };
      const n = parseInteger(text);
      // tshark 4.0 takes any non-zero number as true (`ip.flags.df == 2` selects DF packets).
      if (n === undefined) return `"${text}" is not a boolean: ${where}; use ${expectedFor(def)}`;
      return { value: n !== 0 };
    }
    case 'float': {
      const n = kind === 'word' && /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text) ? Number(text) : Number.NaN;
      return Number.isFinite(n) ? { value: n } : `"${text}" is not a valid number: ${where}; use ${expectedFor(def)}`;
    }
    case 'time': {
      const ns = kind === 'word' ? parseTime(text) : undefined;
      return ns === undefined ? `"${text}" is not a valid time: ${where}; use ${expectedFor(def)}` : { value: ns };
    }
    case 'string':
      return { value: text };
    case 'ipv4': {
      if (kind !== 'word') return quotedNo;
      const [addr, bits, extra] = text.split('/');
      const v = ipv4Number(addr!);
      if (v === undefined || extra !== undefined) return `"${text}" is not a valid IPv4 address (host names are not resolved); ${where}: use ${expectedFor(def)}`;
      if (bits === undefined) return { value: v };
      const b = /^\d+$/.test(bits) ? Number(bits) : Number.NaN;
      if (!(b >= 0 && b <= 32)) return `netmask bits in a CIDR IPv4 address should be between 0 and 32, not ${bits}`;
      return { net: { prefix: bytesOf('ipv4', v)!, bits: b } };
    }
    case 'ipv6': {
      if (kind !== 'word') return quotedNo;
      const [addr, bits, extra] = text.split('/');
      const v = parseIPv6(addr!);
      if (!v || extra !== undefined) return `"${text}" is not a valid IPv6 address (host names are not resolved); ${where}: use ${expectedFor(def)}`;
      if (bits === undefined) return { value: v };
      const b = /^\d+$/.test(bits) ? Number(bits) : Number.NaN;
      if (!(b >= 0 && b <= 128)) return `prefix length of an IPv6 network should be between 0 and 128, not ${bits}`;
      return { net: { prefix: v, bits: b } };
    }
    case 'ether': {
      if (kind !== 'word') return quotedNo;
      const v = parseBytes(text);
      if (!v || v.length !== 6) return `"${text}" is not a valid MAC address: ${where}; use ${expectedFor(def)}`;
      return { value: v };
    }
    case 'bytes':
    case 'protocol': {
      if (kind === 'string' || kind === 'char') return { value: utf8.encode(text) };
      const v = parseBytes(text);
      if (!v) return `"${text}" is not a valid byte string: ${where}; use ${expectedFor(def)}`;
      return { value: v };
    }
    case 'none':
      return `${def.name} can only be tested for presence (write it alone, as in "${def.name}"), not compared with a value`;
  }
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function bytesCompare(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** Order of two values of one family (numbers, bigints, strings, booleans, bytes). */
export function compareValues(a: Value, b: Value): number {
  if (a instanceof Uint8Array) return b instanceof Uint8Array ? bytesCompare(a, b) : Number.NaN;
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' || typeof b === 'boolean') return Number(a) - Number(b);
  return (a as number) - (b as number);
}

export function valuesEqual(a: Value, b: Value): boolean {
  if (a instanceof Uint8Array) return b instanceof Uint8Array && bytesEqual(a, b);
  return a === b;
}

/** Whether bytes `v` lie in the network (its address family's length). */
export function inNetwork(v: Uint8Array, net: Network): boolean {
  if (v.length !== net.prefix.length) return false;
  const whole = net.bits >> 3;
  for (let i = 0; i < whole; i++) if (v[i] !== net.prefix[i]) return false;
  const rest = net.bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (v[whole]! & mask) === (net.prefix[whole]! & mask);
}

export function indexOfBytes(hay: Uint8Array, needle: Uint8Array): number {
  if (needle.length === 0) return 0;
  const first = needle[0]!;
  const last = hay.length - needle.length;
  outer: for (let i = hay.indexOf(first); i >= 0 && i <= last; i = hay.indexOf(first, i + 1)) {
    for (let j = 1; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Bytes as a string of code units 0–255, so that a RegExp can run over them (Wireshark matches raw bytes). */
export function latin1(b: Uint8Array, max: number): string {
  let s = '';
  const n = Math.min(b.length, max);
  for (let i = 0; i < n; i += 8192) s += String.fromCharCode(...b.subarray(i, Math.min(n, i + 8192)));
  return s;
}

/**
 * Display-filter tokens. The vocabulary is Wireshark 4.0's (wireshark-filter(4)): an unquoted run of
 * letters, digits and `_ . : - /` is one word (a field name, a number, an address, a CIDR block, a
 * byte string); what a word means is decided later, against the type of the field it is compared
 * with, as Wireshark does with its "unparsed" literals. `..` ends a word so that `80..90` is a range.
 */
import { FilterError } from './errors.js';

export type TokenKind =
  | 'lparen'
  | 'rparen'
  | 'lbrace'
  | 'rbrace'
  | 'comma'
  | 'range'
  | 'string'
  | 'char'
  | 'word'
  | 'op'
  | 'slice'
  | 'layer'
  | 'eof';

export interface Token {
  kind: TokenKind;
  /** The word, operator, unescaped string, slice body (between the brackets) or layer number text. */
  text: string;
  /** Offset of the token's first character in the filter. */
  pos: number;
  /** Characters the token covers in the filter. */
  len: number;
}

/** Symbolic operators, longest first so that `===` is not read as `==` then `=`. */
const OPERATORS = ['===', '!==', '==', '!=', '~=', '>=', '<=', '&&', '||', '>', '<', '!', '~', '&'] as const;

const isWordChar = (c: string): boolean => /[A-Za-z0-9_.:\-/]/.test(c);

export function tokenize(filter: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = filter.length;
  const push = (kind: TokenKind, text: string, pos: number, len: number) => tokens.push({ kind, text, pos, len });
  const fail = (reason: string, pos: number, width = 1): never => {
    throw new FilterError('WL_ERR_FILTER_SYNTAX', reason, filter, pos, width);
  };
  while (i < n) {
    const c = filter[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const single: Partial<Record<string, TokenKind>> = { '(': 'lparen', ')': 'rparen', '{': 'lbrace', '}': 'rbrace', ',': 'comma' };
    const kind = single[c];
    if (kind) {
      push(kind, c, i, 1);
      i++;
      continue;
    }
    if (c === '.' && filter[i + 1] === '.') {
      push('range', '..', i, 2);
      i += 2;
      continue;
    }
    if (c === '[') {
      const close = filter.indexOf(']', i + 1);
      if (close < 0) fail('unclosed "[": expected a slice such as [0:3] ending with "]"', i);
      push('slice', filter.slice(i + 1, close), i, close - i + 1);
      i = close + 1;
      continue;
    }
    if (c === '#') {
      const m = /^#(-?\d+)/.exec(filter.slice(i));
      if (!m) fail('expected a layer number after "#" (as in ip.src#2)', i);
      push('layer', m![1]!, i, m![0].length);
      i += m![0].length;
      continue;
    }
    if (c === '"' || ((c === 'r' || c === 'R') && filter[i + 1] === '"' && (i === 0 || !isWordChar(filter[i - 1]!)))) {
      const raw = c !== '"';
      const start = i;
      const { value, end } = readString(filter, raw ? i + 1 : i, raw, fail);
      push('string', value, start, end - start);
      i = end;
      continue;
    }
    if (c === "'") {
      const { value, end } = readChar(filter, i, fail);
      push('char', value, i, end - i);
      i = end;
      continue;
    }
    const op = OPERATORS.find((o) => filter.startsWith(o, i));
    if (op) {
      push('op', op, i, op.length);
      i += op.length;
      continue;
    }
    if (isWordChar(c)) {
      const start = i;
      while (i < n && isWordChar(filter[i]!) && !(filter[i] === '.' && filter[i + 1] === '.' && i > start)) i++;
      push('word', filter.slice(start, i), start, i - start);
      continue;
    }
    fail(`unexpected character "${c}"`, i);
  }
  push('eof', '', n, 0);
  return tokens;
}

/**
 * A double-quoted string from `at` (the opening quote). Escapes as in C and Wireshark 4.0:
 * \\ \" \' \a \b \f \n \r \t \v, \xHH, \NNN (octal), \uXXXX and \UXXXXXXXX. A raw string (r"...")
 * keeps backslashes; `\"` still does not end it, as in Python.
 */
function readString(s: string, at: number, raw: boolean, fail: (r: string, p: number, w?: number) => never): { value: string; end: number } {
  let out = '';
  let i = at + 1;
  while (i < s.length) {
    const c = s[i]!;
    if (c === '"') return { value: out, end: i + 1 };
    if (c !== '\\') {
      out += c;
      i++;
      continue;
    }
    if (raw) {
      out += s.slice(i, i + 2);
      i += 2;
      continue;
    }
    const { text, len } = readEscape(s, i, fail);
    out += text;
    i += len;
  }
  return fail('unterminated string: expected a closing "', at, s.length - at);
}

const SIMPLE_ESCAPES: Record<string, string> = { '\\': '\\', '"': '"', "'": "'", a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

function readEscape(s: string, i: number, fail: (r: string, p: number, w?: number) => never): { text: string; len: number } {
  const e = s[i + 1];
  if (e === undefined) return fail('a backslash ends the filter: expected an escape such as \\n or \\x41', i);
  const simple = SIMPLE_ESCAPES[e];
  if (simple !== undefined) return { text: simple, len: 2 };
  const hex = (digits: number, skip: number) => {
    const m = new RegExp(`^[0-9a-fA-F]{${digits === 2 ? '1,2' : digits}}`).exec(s.slice(i + skip));
    if (!m) fail(`bad escape "\\${e}": expected ${digits === 2 ? 'one or two' : digits} hex digits`, i, skip);
    const cp = Number.parseInt(m![0], 16);
    if (cp > 0x10ffff) fail(`escape "\\${e}${m![0]}" is not a Unicode code point`, i, skip + m![0].length);
    return { text: String.fromCodePoint(cp), len: skip + m![0].length };
  };
  if (e === 'x') return hex(2, 2);
  if (e === 'u') return hex(4, 2);
  if (e === 'U') return hex(8, 2);
  const oct = /^[0-7]{1,3}/.exec(s.slice(i + 1));
  if (oct) return { text: String.fromCharCode(Number.parseInt(oct[0], 8) & 0xff), len: 1 + oct[0].length };
  return fail(`unknown escape "\\${e}"`, i, 2);
}

/** A character constant such as 'a' or '\x41' (Wireshark 4.0 accepts them where a number or a byte fits). */
function readChar(s: string, at: number, fail: (r: string, p: number, w?: number) => never): { value: string; end: number } {
  let i = at + 1;
  let value: string;
  if (s[i] === '\\') {
    const { text, len } = readEscape(s, i, fail);
    value = text;
    i += len;
  } else if (s[i] !== undefined && s[i] !== "'") {
    value = String.fromCodePoint(s.codePointAt(i)!);
    i += value.length;
  } else return fail("empty character constant: expected one character between ' and '", at, 2);
  if (s[i] !== "'") return fail("character constant not closed: expected ' after one character", at, i - at + 1);
  return { value, end: i + 1 };
}

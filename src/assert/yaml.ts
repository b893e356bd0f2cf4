/**
 * The small YAML subset check specs are written in (YAML 1.2 where it overlaps), so that specs
 * need no YAML library:
 *  - block mappings (`key: value`, nested by indentation) and block sequences (`- item`, including
 *    `- key: value` items that continue as a mapping);
 *  - flow mappings and sequences on one line: `{ status: 200, method: GET }`, `[a, b]`;
 *  - scalars: "double" (with \" \\ \n \t escapes) and 'single' quoted strings, integers, floats,
 *    true/false, null/~, and plain strings (everything else, trimmed);
 *  - `#` comments (at a line start, or after whitespace outside quotes).
 * Not supported (a clear error names the line): anchors and aliases, tags, multi-line scalars
 * (`|`, `>`), multiple documents. JSON is valid input too (it is flow YAML), but check specs that
 * are JSON go through JSON.parse.
 */
import { WirelensError } from '../errors.js';

export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };

interface Line {
  indent: number;
  text: string;
  no: number;
}

export function parseYaml(source: string, name = 'spec'): YamlValue {
  const lines: Line[] = [];
  // YAML 1.2 §5.4: a line break is CR LF, LF or a lone CR.
  source.split(/\r\n|\r|\n/).forEach((raw, i) => {
    const text = stripComment(raw).trimEnd();
    if (text.trim() === '' || text.trim() === '---') return;
    if (/^\s*\t/.test(text)) fail(name, i + 1, 'tabs are not allowed for indentation');
    const indent = text.length - text.trimStart().length;
    lines.push({ indent, text: text.trimStart(), no: i + 1 });
  });
  if (lines.length === 0) return null;
  const p = { i: 0 };
  const v = block(lines, p, lines[0]!.indent, name);
  if (p.i < lines.length) fail(name, lines[p.i]!.no, 'unexpected indentation');
  return v;
}

function fail(name: string, line: number, msg: string): never {
  throw new WirelensError('WL_ERR_USAGE', `${name}:${line}: ${msg}`);
}

function stripComment(s: string): string {
  let q: string | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (q) {
      if (c === '\\' && q === '"') i++;
      else if (c === q) q = null;
    } else if (c === '"' || c === "'") q = c;
    else if (c === '#' && (i === 0 || s[i - 1] === ' ' || s[i - 1] === '\t')) return s.slice(0, i);
  }
  return s;
}

/** A block node whose lines are indented exactly `indent`. */
function block(lines: Line[], p: { i: number }, indent: number, name: string): YamlValue {
  const first = lines[p.i]!;
  if (first.text.startsWith('- ') || first.text === '-') {
    const out: YamlValue[] = [];
    while (p.i < lines.length && lines[p.i]!.indent === indent && (lines[p.i]!.text.startsWith('- ') || lines[p.i]!.text === '-')) {
      const l = lines[p.i]!;
      const rest = l.text.slice(1).trimStart();
      if (rest === '') {
        p.i++;
        out.push(p.i < lines.length && lines[p.i]!.indent > indent ? block(lines, p, lines[p.i]!.indent, name) : null);
      } else if (isMapEntry(rest)) {
        // "- key: v" starts a mapping whose further keys sit under "key".
        const inner = indent + (l.text.length - rest.length);
        lines[p.i] = { indent: inner, text: rest, no: l.no };
        out.push(block(lines, p, inner, name));
      } else {
        p.i++;
        out.push(scalarOrFlow(rest, name, l.no));
      }
    }
    return out;
  }
  if (isMapEntry(first.text)) {
    const out: { [k: string]: YamlValue } = {};
    while (p.i < lines.length && lines[p.i]!.indent === indent) {
      const l = lines[p.i]!;
      if (!isMapEntry(l.text)) fail(name, l.no, `expected "key: value", got ${JSON.stringify(l.text)}`);
      const [key, rest] = splitEntry(l.text, name, l.no);
      if (key in out) fail(name, l.no, `duplicate key ${JSON.stringify(key)}`);
      p.i++;
      if (rest === '') {
        const next = lines[p.i];
        // A sequence may sit at the same indentation as its key (a common YAML style).
        if (next && (next.indent > indent || (next.indent === indent && next.text.startsWith('- ')))) out[key] = block(lines, p, next.indent, name);
        else out[key] = null;
      } else out[key] = scalarOrFlow(rest, name, l.no);
    }
    return out;
  }
  p.i++;
  return scalarOrFlow(first.text, name, first.no);
}

function isMapEntry(t: string): boolean {
  if (t.startsWith('{') || t.startsWith('[')) return false;
  if (t.startsWith('"') || t.startsWith("'")) {
    const end = t.indexOf(t[0]!, 1);
    return end > 0 && /^:(\s|$)/.test(t.slice(end + 1));
  }
  return /^[^:]+?:(\s|$)/.test(t);
}

function splitEntry(t: string, name: string, no: number): [string, string] {
  if (t.startsWith('"') || t.startsWith("'")) {
    const end = t.indexOf(t[0]!, 1);
    const key = scalar(t.slice(0, end + 1), name, no);
    return [String(key), t.slice(end + 2).trim()];
  }
  // `s`: the value may hold characters `.` would not match (U+2028, U+2029), which are not line breaks in YAML.
  const m = /^([^:]+?):(\s+|$)(.*)$/s.exec(t)!;
  return [m[1]!.trim(), m[3]!.trim()];
}

function scalarOrFlow(t: string, name: string, no: number): YamlValue {
  if (t.startsWith('{') || t.startsWith('[')) {
    const p = { s: t, i: 0 };
    const v = flow(p, name, no);
    skipWs(p);
    if (p.i < t.length) fail(name, no, `unexpected ${JSON.stringify(t.slice(p.i))} after a flow collection`);
    return v;
  }
  if (/^[&*!|>]/.test(t)) fail(name, no, `unsupported YAML (${t[0]}): anchors, aliases, tags and block scalars are not part of the spec subset`);
  return scalar(t, name, no);
}

function skipWs(p: { s: string; i: number }): void {
  while (p.i < p.s.length && /\s/.test(p.s[p.i]!)) p.i++;
}

function flow(p: { s: string; i: number }, name: string, no: number): YamlValue {
  skipWs(p);
  const c = p.s[p.i];
  if (c === '{' || c === '[') {
    const close = c === '{' ? '}' : ']';
    p.i++;
    const map: { [k: string]: YamlValue } = {};
    const list: YamlValue[] = [];
    skipWs(p);
    if (p.s[p.i] === close) {
      p.i++;
      return c === '{' ? map : list;
    }
    for (;;) {
      if (c === '{') {
        const key = flowToken(p, ':', name, no);
        if (p.s[p.i] !== ':') fail(name, no, `expected ":" after key ${JSON.stringify(key)}`);
        p.i++;
        map[String(scalar(key, name, no))] = flow(p, name, no);
      } else list.push(flow(p, name, no));
      skipWs(p);
      const d = p.s[p.i];
      p.i++;
      if (d === close) return c === '{' ? map : list;
      if (d !== ',') fail(name, no, `expected "," or "${close}" in a flow collection`);
    }
  }
  return scalar(flowToken(p, '', name, no), name, no);
}

/** A scalar token inside a flow collection: up to , ] } (and `stop`), quotes respected. */
function flowToken(p: { s: string; i: number }, stop: string, name: string, no: number): string {
  skipWs(p);
  const start = p.i;
  const q = p.s[p.i];
  if (q === '"' || q === "'") {
    p.i++;
    for (;;) {
      if (p.i >= p.s.length) break;
      const ch = p.s[p.i]!;
      if (ch === '\\' && q === '"') p.i += 2;
      // A doubled quote inside single quotes is a quote (YAML 1.2 §7.3.2).
      else if (ch === "'" && q === "'" && p.s[p.i + 1] === "'") p.i += 2;
      else if (ch === q) break;
      else p.i++;
    }
    if (p.i >= p.s.length) fail(name, no, 'unterminated quoted string');
    p.i++;
    const tok = p.s.slice(start, p.i);
    skipWs(p);
    return tok;
  }
  // A colon ends a key only when followed by a space or a flow indicator (YAML 1.2 §7.4).
  while (p.i < p.s.length && !',]}'.includes(p.s[p.i]!) && !(stop === ':' && p.s[p.i] === ':' && /[\s,\]}]|$/.test(p.s[p.i + 1] ?? ''))) p.i++;
  return p.s.slice(start, p.i).trim();
}

function scalar(t: string, name: string, no: number): YamlValue {
  if (t.startsWith('"')) {
    if (!t.endsWith('"') || t.length < 2) fail(name, no, 'unterminated quoted string');
    try {
      return JSON.parse(t) as string;
    } catch {
      fail(name, no, `bad escape in ${t}`);
    }
  }
  if (t.startsWith("'")) {
    if (!t.endsWith("'") || t.length < 2) fail(name, no, 'unterminated quoted string');
    return t.slice(1, -1).replace(/''/g, "'");
  }
  if (t === 'true') return true;
  if (t === 'false') return false;
  if (t === 'null' || t === '~' || t === '') return null;
  if (/^[-+]?\d+$/.test(t)) return Number(t);
  if (/^[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?$/.test(t)) return Number(t);
  return t;
}

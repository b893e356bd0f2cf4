/**
 * Check specs: named expectations about a capture, in YAML (the subset yaml.ts reads) or JSON,
 * for `wirelens check FILE --spec checks.yaml`:
 *
 *   checks:
 *     - name: API connection
 *       filter: tcp.port == 8080        # selector (optional): connections with a matching packet
 *       expect:
 *         handshake: complete
 *         close: graceful                # or { by: client }
 *         reset: false                   # true, false, client or server
 *         retransmissions: 0             # or { min: 1, max: 3 }
 *         history: ShADadFf              # exact, or /regex/
 *         http: { method: GET, uri: /health, status: 200 }
 *         websocket: { close_code: 1000 }
 *         count: { filter: http.response.code >= 500, max: 0 }
 *         within: 2                      # seconds, first packet to last
 *
 * Selectors: `stream: N` (one tcp.stream) or `filter: …` (every TCP connection with a packet the
 * display filter matches); none means the whole trace. Rules about every connection (handshake,
 * close, history, within) must hold for each selected connection; events (reset: true, http,
 * websocket) for some; counts add up over the selection. The top level may also be the list of
 * checks itself.
 */
import { readFileSync } from 'node:fs';
import { WirelensError } from '../errors.js';
import { compileFilter } from '../filter/index.js';
import type { Side } from '../analysis/tcp-lifecycle.js';
import { parseYaml, type YamlValue } from './yaml.js';
import { Trace, traceOf, type TcpConnectionInfo } from './trace.js';
import {
  closedGracefully,
  completedHandshake,
  completeWithin,
  explainOutcome,
  historyMatches,
  httpExchange,
  matchFilter,
  retransmissions,
  wasReset,
  webSocketMessage,
  type CountRange,
  type HttpExpectation,
  type Outcome,
  type WebSocketExpectation,
} from './matchers.js';

export type Expectation =
  | { kind: 'handshake' }
  | { kind: 'close'; by?: Side }
  | { kind: 'reset'; expected: boolean; by?: Side }
  | { kind: 'retransmissions'; range: CountRange }
  | { kind: 'history'; pattern: string | RegExp }
  | { kind: 'http'; http: HttpExpectation }
  | { kind: 'websocket'; ws: WebSocketExpectation }
  | { kind: 'count'; filter: string; range: CountRange }
  | { kind: 'within'; seconds: number };

export interface Check {
  name: string;
  stream?: number;
  filter?: string;
  expect: Expectation[];
  /** Results are named by the check alone (command-line --expect checks have one expectation). */
  bare?: boolean;
}

export interface CheckResult {
  name: string;
  pass: boolean;
  /** Expected, found and the ladder; for a failed check, what a reporter prints. */
  message: string;
}

const SIDES = new Set(['client', 'server']);

function usage(where: string, msg: string): never {
  throw new WirelensError('WL_ERR_USAGE', `${where}: ${msg}`);
}

function isMap(v: YamlValue | undefined): v is { [k: string]: YamlValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads a spec file: JSON when it looks like JSON (or ends in .json), the YAML subset otherwise. */
export function loadSpec(path: string): Check[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new WirelensError('WL_ERR_FILE_OPEN', `${path}: cannot read the spec (${(err as Error).message})`);
  }
  return parseSpec(text, path);
}

export function parseSpec(text: string, name = 'spec'): Check[] {
  let doc: YamlValue;
  if (name.endsWith('.json') || /^\s*[{[]/.test(text)) {
    try {
      doc = JSON.parse(text) as YamlValue;
    } catch (err) {
      usage(name, `not valid JSON (${(err as Error).message})`);
    }
  } else doc = parseYaml(text, name);
  const list = Array.isArray(doc) ? doc : isMap(doc) ? doc['checks'] : undefined;
  if (!Array.isArray(list)) usage(name, 'expected a list of checks (or a map with "checks:")');
  return list.map((c, i) => checkOf(c, `${name}: check ${i + 1}`));
}

function checkOf(v: YamlValue, where: string): Check {
  if (!isMap(v)) usage(where, 'a check is a map with name, an optional selector and expect');
  const name = v['name'] === undefined ? where.replace(/^.*: /, '') : String(v['name']);
  const at = v['name'] === undefined ? where : `${where} (${name})`;
  for (const k of Object.keys(v)) if (!['name', 'stream', 'filter', 'expect'].includes(k)) usage(at, `unknown key "${k}" (name, stream, filter, expect)`);
  const check: Check = { name, expect: [] };
  if (v['stream'] !== undefined) {
    if (typeof v['stream'] !== 'number' || !Number.isInteger(v['stream']) || v['stream'] < 0) usage(at, 'stream must be a tcp.stream number');
    check.stream = v['stream'];
  }
  if (v['filter'] !== undefined) {
    check.filter = String(v['filter']);
    compileFilter(check.filter); // a bad selector is a usage error now, not a failed check later
  }
  const ex = v['expect'];
  if (!isMap(ex) || Object.keys(ex).length === 0) usage(at, 'expect must be a map of expectations');
  for (const [k, val] of Object.entries(ex)) check.expect.push(expectationOf(k, val, `${at}: ${k}`));
  return check;
}

function rangeOf(v: YamlValue, where: string): CountRange {
  if (typeof v === 'number') return { count: v };
  if (!isMap(v)) usage(where, 'expected a number or { min, max }');
  const r: CountRange = {};
  for (const k of ['count', 'min', 'max'] as const) {
    const x = v[k];
    if (x === undefined) continue;
    if (typeof x !== 'number' || x < 0) usage(where, `${k} must be a number >= 0`);
    r[k] = x;
  }
  return r;
}

function sideOf(v: YamlValue | undefined, where: string): Side | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || !SIDES.has(v)) usage(where, 'by must be client or server');
  return v as Side;
}

function patternOf(v: string): string | RegExp {
  const m = /^\/(.*)\/([a-z]*)$/.exec(v);
  return m ? new RegExp(m[1]!, m[2]) : v;
}

function expectationOf(key: string, v: YamlValue, where: string): Expectation {
  switch (key) {
    case 'handshake':
      if (v !== 'complete' && v !== true) usage(where, 'the only handshake expectation is "complete"');
      return { kind: 'handshake' };
    case 'close':
      if (v === 'graceful' || v === true) return { kind: 'close' };
      if (isMap(v)) return { kind: 'close', by: sideOf(v['by'], where) };
      return usage(where, 'close is "graceful" or { by: client|server }');
    case 'reset':
      if (typeof v === 'boolean') return { kind: 'reset', expected: v };
      if (typeof v === 'string' && SIDES.has(v)) return { kind: 'reset', expected: true, by: v as Side };
      if (isMap(v)) return { kind: 'reset', expected: true, by: sideOf(v['by'], where) };
      return usage(where, 'reset is true, false, client or server');
    case 'retransmissions':
      return { kind: 'retransmissions', range: rangeOf(v, where) };
    case 'history':
      if (typeof v !== 'string') usage(where, 'history is a string or /regex/');
      return { kind: 'history', pattern: patternOf(v) };
    case 'http': {
      if (!isMap(v)) usage(where, 'http is a map: { method, uri, status }');
      const h: HttpExpectation = {};
      if (v['method'] !== undefined) h.method = String(v['method']);
      if (v['uri'] !== undefined) h.uri = patternOf(String(v['uri']));
      if (v['status'] !== undefined) {
        if (typeof v['status'] !== 'number') usage(where, 'status must be a number');
        h.status = v['status'];
      }
      return { kind: 'http', http: h };
    }
    case 'websocket': {
      if (!isMap(v)) usage(where, 'websocket is a map: { text, opcode, dir, close_code }');
      const w: WebSocketExpectation = {};
      if (v['text'] !== undefined) w.text = patternOf(String(v['text']));
      if (typeof v['opcode'] === 'number') w.opcode = v['opcode'];
      if (v['dir'] === 'c2s' || v['dir'] === 's2c') w.dir = v['dir'];
      const code = v['close_code'] ?? v['closeCode'];
      if (typeof code === 'number') w.closeCode = code;
      return { kind: 'websocket', ws: w };
    }
    case 'count': {
      if (!isMap(v) || typeof v['filter'] !== 'string') usage(where, 'count is { filter, min, max } or { filter, count }');
      const filter = v['filter'];
      compileFilter(filter);
      const { filter: _f, ...rest } = v;
      return { kind: 'count', filter, range: rangeOf(rest, where) };
    }
    case 'within':
    case 'duration': {
      const s = isMap(v) ? v['max'] : v;
      if (typeof s !== 'number') usage(where, 'within is a number of seconds');
      return { kind: 'within', seconds: s };
    }
    default:
      return usage(where, `unknown expectation (handshake, close, reset, retransmissions, history, http, websocket, count, within)`);
  }
}

/** What an expectation's words are in a result's name. */
function label(e: Expectation): string {
  switch (e.kind) {
    case 'handshake':
      return 'handshake complete';
    case 'close':
      return `graceful close${e.by ? ` by ${e.by}` : ''}`;
    case 'reset':
      return e.expected ? `reset${e.by ? ` by ${e.by}` : ''}` : 'no reset';
    case 'retransmissions':
      return `retransmissions ${JSON.stringify(e.range)}`;
    case 'history':
      return `history ${e.pattern}`;
    case 'http':
      return `http ${[e.http.method, e.http.uri, e.http.status].filter((x) => x !== undefined).join(' ')}`.trim();
    case 'websocket':
      return `websocket ${JSON.stringify(e.ws)}`;
    case 'count':
      return `count "${e.filter}" ${JSON.stringify(e.range)}`;
    case 'within':
      return `within ${e.seconds} s`;
  }
}

/** The outcome of one expectation on one subject. */
function evaluate(e: Expectation, subject: Trace | TcpConnectionInfo): Outcome {
  switch (e.kind) {
    case 'handshake':
      return completedHandshake(subject);
    case 'close':
      return closedGracefully(subject, { by: e.by });
    case 'reset': {
      const o = wasReset(subject, { by: e.by });
      return e.expected ? o : { ...o, pass: !o.pass, expected: `not ${o.expected}` };
    }
    case 'retransmissions':
      return retransmissions(subject, { min: 0, ...e.range });
    case 'history':
      return historyMatches(subject, e.pattern);
    case 'http':
      return httpExchange(subject, e.http);
    case 'websocket':
      return webSocketMessage(subject, e.ws);
    case 'count':
      return matchFilter(subject, e.filter, e.range);
    case 'within':
      return completeWithin(subject, e.seconds);
  }
}

/** Events need some subject to show them; counts add up; everything else must hold for each. */
function quantifier(e: Expectation): 'some' | 'sum' | 'every' {
  if (e.kind === 'http' || e.kind === 'websocket' || (e.kind === 'reset' && e.expected)) return 'some';
  if (e.kind === 'count' || e.kind === 'retransmissions') return 'sum';
  return 'every';
}

/** Runs the checks on a trace: one result per expectation. */
export function runChecks(trace: Trace, checks: readonly Check[]): CheckResult[] {
  const out: CheckResult[] = [];
  for (const c of checks) {
    let subjects: (Trace | TcpConnectionInfo)[] = [trace];
    let selection = '';
    if (c.stream !== undefined || c.filter !== undefined) {
      let conns = trace.tcp.connections();
      if (c.stream !== undefined) conns = conns.filter((x) => x.stream === c.stream);
      if (c.filter !== undefined) {
        const streams = new Set(trace.packets(c.filter).map((p) => (p.stream?.proto === 'tcp' ? p.stream.id : -1)));
        conns = conns.filter((x) => streams.has(x.stream));
      }
      subjects = conns;
      selection = c.stream !== undefined ? `tcp.stream ${c.stream}` : `connections matching "${c.filter}"`;
    }
    for (const e of c.expect) {
      const name = c.bare ? c.name : `${c.name}: ${label(e)}`;
      if (subjects.length === 0) {
        out.push({ name, pass: false, message: `the selector (${selection}) matched no TCP connection in ${trace.name}` });
        continue;
      }
      out.push(combine(name, e, subjects, trace));
    }
  }
  return out;
}

function combine(name: string, e: Expectation, subjects: (Trace | TcpConnectionInfo)[], trace: Trace): CheckResult {
  const q = quantifier(e);
  if (q === 'sum' && subjects.length > 1) {
    // One filter over the union of the selected streams counts each packet once.
    const streams = subjects.map((s) => (s as TcpConnectionInfo).stream);
    const sel = `tcp.stream in {${streams.join(' ')}}`;
    const o =
      e.kind === 'count'
        ? matchFilter(trace, `(${sel}) && (${e.filter})`, e.range)
        : matchFilter(trace, `(${sel}) && tcp.analysis.retransmission`, { min: 0, ...(e as { range: CountRange }).range });
    return result(name, trace, o, e);
  }
  const outcomes = subjects.map((s) => ({ s, o: evaluate(e, s) }));
  const pick = q === 'some' ? (outcomes.find((x) => x.o.pass) ?? outcomes[0]!) : (outcomes.find((x) => !x.o.pass) ?? outcomes[0]!);
  return result(name, pick.s, pick.o, e);
}

function result(name: string, subject: Trace | TcpConnectionInfo, o: Outcome, e: Expectation): CheckResult {
  let message = explainOutcome(subject, o);
  if (!o.pass && e.kind === 'count' && o.frames.length) {
    // The frames that broke a count, as `read` prints them: the quickest way to see why.
    const trace = traceOf(subject);
    const lines = trace ? o.frames.slice(0, 5).map((f) => trace.packet(f)?.summary ?? `#${f}`) : [];
    if (lines.length) message += `\nfirst matching frames:\n${lines.map((l) => `  ${l.trimEnd()}`).join('\n')}`;
  }
  return { name, pass: o.pass, message };
}

/** `--expect FILTER`: some packet matches. */
export function expectAny(filter: string): Check {
  compileFilter(filter);
  return { name: `expect ${filter}`, bare: true, expect: [{ kind: 'count', filter, range: { min: 1 } }] };
}

/** `--expect-none FILTER`: no packet matches. */
export function expectNone(filter: string): Check {
  compileFilter(filter);
  return { name: `expect none ${filter}`, bare: true, expect: [{ kind: 'count', filter, range: { min: 0, max: 0 } }] };
}

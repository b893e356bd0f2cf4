/**
 * The assertions behind the vitest matchers and `wirelens check`, as plain functions: each takes
 * a subject (a Trace, or one thing a query returned) and gives an Outcome saying whether it held,
 * what was expected, what was found and which frames show it. The vitest entry and the check
 * command only word and render outcomes; the rules live here once.
 *
 * Quantifiers when the subject is a whole Trace: properties every connection should have
 * (completed handshake, graceful close, history) must hold for EVERY TCP connection (and there
 * must be one); events (a reset, an HTTP exchange, a WebSocket message) need SOME occurrence;
 * counts (retransmissions, matching packets) add up over the trace.
 */
import { WirelensError } from '../errors.js';
import type { Side } from '../analysis/tcp-lifecycle.js';
import { Trace, traceOf, type DnsTransaction, type HttpExchange, type TcpConnectionInfo, type WebSocketMessage } from './trace.js';

export interface Outcome {
  pass: boolean;
  /** What the assertion asks, as a phrase after "expected … to": "complete its TCP handshake". */
  expected: string;
  /** What the trace shows, as a sentence fragment: "stream 0 is S0 (history S)". */
  found: string;
  /** Frames that show it (drawn as a ladder in messages). */
  frames: number[];
}

export type Subject = Trace | TcpConnectionInfo | HttpExchange | DnsTransaction | WebSocketMessage;

export interface CountRange {
  count?: number;
  min?: number;
  max?: number;
}

function isConnection(v: unknown): v is TcpConnectionInfo {
  return typeof v === 'object' && v !== null && 'history' in v && 'client' in v && 'retransmissions' in v;
}

/** The TCP connections an assertion is about. */
function connectionsOf(subject: unknown, what: string): { conns: TcpConnectionInfo[]; trace: Trace } {
  if (subject instanceof Trace) return { conns: subject.tcp.connections(), trace: subject };
  if (isConnection(subject)) {
    const trace = traceOf(subject);
    if (trace) return { conns: [subject], trace };
  }
  throw new WirelensError('WL_ERR_USAGE', `${what} needs a Trace (from openTrace) or a connection from trace.tcp.connections(), got ${describeValue(subject)}`);
}

function describeValue(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'object') return v.constructor?.name ?? 'object';
  return typeof v;
}

/** "stream 0 (127.0.0.1:5000 → 127.0.0.1:80)" */
export function connName(c: TcpConnectionInfo): string {
  const ep = (e: { ip: string; port: number }) => (e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`);
  return `tcp.stream ${c.stream} (${ep(c.client)} → ${ep(c.server)})`;
}

function connState(c: TcpConnectionInfo): string {
  return `${c.state}, history ${c.history || '-'}${c.closedBy ? `, closed by ${c.closedBy}` : ''}${c.resetBy ? `, reset by ${c.resetBy}` : ''}`;
}

function head(frames: readonly number[], n: number): number[] {
  return frames.slice(0, n);
}

function tail(frames: readonly number[], n: number): number[] {
  return frames.slice(Math.max(0, frames.length - n));
}

/** For every-connection rules: the failing ones decide what is reported. */
function everyConnection(subject: unknown, what: string, expected: string, ok: (c: TcpConnectionInfo) => boolean, frames: (c: TcpConnectionInfo) => number[]): Outcome {
  const { conns } = connectionsOf(subject, what);
  if (conns.length === 0) return { pass: false, expected, found: 'the trace has no TCP connection', frames: [] };
  const bad = conns.filter((c) => !ok(c));
  if (bad.length === 0) {
    const only = conns.length === 1 ? `${connName(conns[0]!)} did (${connState(conns[0]!)})` : `all ${conns.length} TCP connections did`;
    return { pass: true, expected, found: only, frames: frames(conns[0]!) };
  }
  const list = bad.slice(0, 3).map((c) => `${connName(c)} is ${connState(c)}`);
  const more = bad.length > 3 ? ` and ${bad.length - 3} more` : '';
  return { pass: false, expected, found: `${list.join('; ')}${more}`, frames: frames(bad[0]!) };
}

export function completedHandshake(subject: unknown): Outcome {
  return everyConnection(
    subject,
    'toHaveCompletedHandshake',
    'complete its TCP handshake (SYN, SYN-ACK, ACK)',
    (c) => c.handshake?.complete === true,
    (c) => head(c.frames, 4),
  );
}

export function closedGracefully(subject: unknown, opts: { by?: Side } = {}): Outcome {
  const by = opts.by;
  return everyConnection(
    subject,
    'toHaveClosedGracefully',
    `close gracefully (FIN both ways, no RST${by ? `, first FIN from the ${by}` : ''})`,
    // Zeek's SF: both sides closed normally; a RST after both FINs would have made it RSTO/RSTR.
    (c) => c.state === 'SF' && c.closedBy !== undefined && c.resetBy === undefined && (by === undefined || c.closedBy === by),
    (c) => tail(c.frames, 5),
  );
}

export function historyMatches(subject: unknown, pattern: string | RegExp): Outcome {
  const want = typeof pattern === 'string' ? `have Zeek history "${pattern}"` : `have a Zeek history matching ${pattern}`;
  return everyConnection(
    subject,
    'toHaveHistory',
    want,
    (c) => (typeof pattern === 'string' ? c.history === pattern : pattern.test(c.history)),
    (c) => head(c.frames, 8),
  );
}

export function wasReset(subject: unknown, opts: { by?: Side } = {}): Outcome {
  const { conns } = connectionsOf(subject, 'toHaveBeenReset');
  const by = opts.by;
  const expected = `be reset${by ? ` by the ${by}` : ''}`;
  const hit = conns.filter((c) => c.resetBy !== undefined && (by === undefined || c.resetBy === by));
  if (hit.length) {
    const c = hit[0]!;
    return { pass: true, expected, found: `${connName(c)} was reset by the ${c.resetBy} (${c.state})`, frames: tail(c.frames, 5) };
  }
  const other = conns.find((c) => c.resetBy !== undefined);
  const found = other
    ? `${connName(other)} was reset by the ${other.resetBy}, not the ${by}`
    : conns.length === 0
      ? 'the trace has no TCP connection'
      : `no connection saw a RST (${conns.slice(0, 3).map((c) => `${connName(c)}: ${connState(c)}`).join('; ')})`;
  const show = other ?? conns[0];
  return { pass: false, expected, found, frames: show ? tail(show.frames, 5) : [] };
}

function range(r: CountRange, defaultMin: number): { min: number; max: number; text: string } {
  if (r.count !== undefined) return { min: r.count, max: r.count, text: `exactly ${r.count}` };
  // A bare upper bound reads as "at most": the default minimum applies only when no bound is given.
  const min = r.min ?? (r.max !== undefined ? 0 : defaultMin);
  const max = r.max ?? Number.POSITIVE_INFINITY;
  if (max === 0) return { min: 0, max: 0, text: 'no' };
  if (max === Number.POSITIVE_INFINITY) return { min, max, text: `at least ${min}` };
  if (min <= 0) return { min, max, text: `at most ${max}` };
  return { min, max, text: min === max ? `exactly ${min}` : `between ${min} and ${max}` };
}

export function retransmissions(subject: unknown, r: CountRange = {}): Outcome {
  const { conns } = connectionsOf(subject, 'toHaveRetransmissions');
  const { min, max, text } = range(r, 1);
  const refs = conns.flatMap((c) => c.retransmissions);
  const n = refs.length;
  const pass = n >= min && n <= max;
  const listed = refs
    .slice(0, 5)
    .map((x) => `#${x.frame} ${x.info.trim()}`)
    .join('; ');
  return {
    pass,
    expected: `have ${text} TCP retransmission(s)`,
    found: n === 0 ? 'no segment was retransmitted' : `${n} retransmission(s): ${listed}${n > 5 ? '; …' : ''}`,
    frames: refs.map((x) => x.frame),
  };
}

export function noRetransmissions(subject: unknown): Outcome {
  return retransmissions(subject, { min: 0, max: 0 });
}

export interface HttpExpectation {
  method?: string;
  uri?: string | RegExp;
  status?: number;
}

function describeHttp(e: HttpExpectation): string {
  const parts = [e.method, e.uri !== undefined ? String(e.uri) : undefined, e.status !== undefined ? `→ ${e.status}` : undefined].filter(Boolean);
  return parts.length ? parts.join(' ') : 'any';
}

export function httpExchange(subject: unknown, e: HttpExpectation = {}): Outcome {
  let list: HttpExchange[];
  if (subject instanceof Trace) list = subject.http.exchanges();
  else if (isConnection(subject)) list = traceOf(subject)?.http.exchanges().filter((x) => x.stream === subject.stream) ?? [];
  else if (typeof subject === 'object' && subject !== null && 'request' in subject) list = [subject as HttpExchange];
  else throw new WirelensError('WL_ERR_USAGE', `toHaveHttpExchange needs a Trace, a connection or an exchange, got ${describeValue(subject)}`);
  const ok = (x: HttpExchange) =>
    (e.method === undefined || x.request.method === e.method) &&
    (e.uri === undefined || (typeof e.uri === 'string' ? x.request.uri === e.uri : e.uri.test(x.request.uri))) &&
    (e.status === undefined || x.response?.status === e.status);
  const hit = list.find(ok);
  const line = (x: HttpExchange) => `${x.request.method} ${x.request.uri} → ${x.response ? `${x.response.status} ${x.response.phrase}`.trim() : 'no response'} (tcp.stream ${x.stream})`;
  const expected = `have an HTTP exchange ${describeHttp(e)}`;
  if (hit) return { pass: true, expected, found: `found ${line(hit)}`, frames: [hit.request.frame, ...(hit.response ? [hit.response.frame] : [])] };
  const found = list.length === 0 ? 'no HTTP exchange was seen' : `the exchanges were: ${list.slice(0, 6).map(line).join('; ')}${list.length > 6 ? `; and ${list.length - 6} more` : ''}`;
  return { pass: false, expected, found, frames: list.slice(0, 4).flatMap((x) => [x.request.frame, ...(x.response ? [x.response.frame] : [])]) };
}

export interface WebSocketExpectation {
  text?: string | RegExp;
  opcode?: number;
  dir?: 'c2s' | 's2c';
  /** A Close frame (opcode 8) with this status code (RFC 6455 §7.4.1). */
  closeCode?: number;
}

const OPCODES: Record<number, string> = { 0: 'continuation', 1: 'text', 2: 'binary', 8: 'close', 9: 'ping', 10: 'pong' };

function wsLine(m: WebSocketMessage): string {
  const what = m.opcode === 8 ? `close ${m.closeCode ?? '(no code)'}` : m.text !== undefined ? `text ${JSON.stringify(m.text.length > 40 ? `${m.text.slice(0, 40)}…` : m.text)}` : `${OPCODES[m.opcode] ?? `opcode ${m.opcode}`} ${m.bytes} B`;
  return `${m.dir} ${what} (frame ${m.frame})`;
}

export function webSocketMessage(subject: unknown, e: WebSocketExpectation = {}): Outcome {
  let list: WebSocketMessage[];
  if (subject instanceof Trace) list = subject.websocket.messages();
  else if (isConnection(subject)) list = traceOf(subject)?.websocket.messages().filter((x) => x.stream === subject.stream) ?? [];
  else throw new WirelensError('WL_ERR_USAGE', `toHaveWebSocketMessage needs a Trace or a connection, got ${describeValue(subject)}`);
  const opcode = e.closeCode !== undefined ? 8 : e.opcode;
  const ok = (m: WebSocketMessage) =>
    (opcode === undefined || m.opcode === opcode) &&
    (e.dir === undefined || m.dir === e.dir) &&
    (e.closeCode === undefined || m.closeCode === e.closeCode) &&
    (e.text === undefined || (m.text !== undefined && (typeof e.text === 'string' ? m.text === e.text : e.text.test(m.text))));
  const parts: string[] = [];
  if (opcode !== undefined) parts.push(OPCODES[opcode] ?? `opcode ${opcode}`);
  if (e.closeCode !== undefined) parts.push(`code ${e.closeCode}`);
  if (e.text !== undefined) parts.push(typeof e.text === 'string' ? JSON.stringify(e.text) : String(e.text));
  if (e.dir) parts.push(e.dir);
  const expected = `have a WebSocket message${parts.length ? ` (${parts.join(', ')})` : ''}`;
  const hit = list.find(ok);
  if (hit) return { pass: true, expected, found: `found ${wsLine(hit)}`, frames: [hit.frame] };
  const found = list.length === 0 ? 'no WebSocket message was seen' : `the messages were: ${list.slice(0, 8).map(wsLine).join('; ')}${list.length > 8 ? '; …' : ''}`;
  return { pass: false, expected, found, frames: list.slice(0, 8).map((m) => m.frame) };
}

export function matchFilter(subject: unknown, filter: string, r: CountRange = {}): Outcome {
  let trace: Trace | undefined;
  let text = filter;
  if (subject instanceof Trace) trace = subject;
  else if (isConnection(subject)) {
    trace = traceOf(subject);
    text = `tcp.stream == ${subject.stream} && (${filter})`;
  }
  if (!trace) throw new WirelensError('WL_ERR_USAGE', `toMatchFilter needs a Trace or a connection, got ${describeValue(subject)}`);
  const { min, max, text: want } = range(r, 1);
  const hits = trace.packets(text);
  const n = hits.length;
  const pass = n >= min && n <= max;
  const listed = hits
    .slice(0, 5)
    .map((p) => `#${p.number} ${p.info.trim()}`)
    .join('; ');
  return {
    pass,
    expected: `have ${want} packet(s) matching "${filter}"`,
    found: n === 0 ? 'no packet matched' : `${n} matched: ${listed}${n > 5 ? '; …' : ''}`,
    frames: hits.map((p) => p.number),
  };
}

export function completeWithin(subject: unknown, seconds: number): Outcome {
  const expected = `complete within ${seconds} s`;
  if (subject instanceof Trace) {
    const d = subject.duration;
    return { pass: d <= seconds, expected, found: `the capture spans ${fmt(d)} s`, frames: [1, subject.size] };
  }
  if (isConnection(subject)) return { pass: subject.duration <= seconds, expected, found: `${connName(subject)} lasted ${fmt(subject.duration)} s`, frames: [subject.frames[0]!, subject.frames[subject.frames.length - 1]!] };
  if (typeof subject === 'object' && subject !== null && 'request' in subject) {
    const x = subject as HttpExchange;
    if (x.latency === undefined) return { pass: false, expected, found: `${x.request.method} ${x.request.uri} got no response`, frames: [x.request.frame] };
    return { pass: x.latency <= seconds, expected, found: `${x.request.method} ${x.request.uri} was answered in ${fmt(x.latency)} s`, frames: [x.request.frame, x.response!.frame] };
  }
  if (typeof subject === 'object' && subject !== null && 'answers' in subject) {
    const d = subject as DnsTransaction;
    const frames = [d.queryFrame, d.responseFrame].filter((f): f is number => f !== undefined);
    if (d.latency === undefined) return { pass: false, expected, found: `the ${d.type ?? ''} query for ${d.name ?? '?'} got no response`, frames };
    return { pass: d.latency <= seconds, expected, found: `the ${d.type ?? ''} query for ${d.name ?? '?'} was answered in ${fmt(d.latency)} s`, frames };
  }
  throw new WirelensError('WL_ERR_USAGE', `toCompleteWithin needs a Trace, a connection, an HTTP exchange or a DNS transaction, got ${describeValue(subject)}`);
}

function fmt(s: number): string {
  return s >= 1 ? s.toFixed(3) : s.toPrecision(3);
}

/** The subject in a message: "trace run.pcapng", "tcp.stream 0 (…)". */
export function subjectName(subject: unknown): string {
  if (subject instanceof Trace) return `trace ${subject.name}`;
  if (isConnection(subject)) return connName(subject);
  if (typeof subject === 'object' && subject !== null && 'request' in subject) {
    const x = subject as HttpExchange;
    return `HTTP exchange ${x.request.method} ${x.request.uri}`;
  }
  if (typeof subject === 'object' && subject !== null && 'answers' in subject) return `DNS transaction ${(subject as DnsTransaction).name ?? ''}`;
  return describeValue(subject);
}

/**
 * The whole message: what was expected, what was found, and the frames as a ladder. `negated`
 * words it for `.not` (the assertion held when it should not have).
 */
export function explainOutcome(subject: unknown, o: Outcome, negated = false): string {
  const trace = traceOf(subject);
  const lines = [`expected ${subjectName(subject)} ${negated ? 'not ' : ''}to ${o.expected}`, `found: ${o.found}`];
  const ladder = trace && o.frames.length ? trace.ladder(o.frames.filter((f) => f > 0), { max: 10 }) : '';
  if (ladder) lines.push('', ladder.trimEnd());
  return lines.join('\n');
}

/**
 * Explanations as data. Every packet gets a list of these: a stable code (what tests and exports
 * key on), a severity on Wireshark's expert scale, the concept it illustrates, the numbers behind
 * it, and the sentence shown to people. The sentence is built from the parameters here and only
 * here, so every output (explain, ladder, exports, TUI) says the same thing.
 *
 * Text that came off the wire (an HTTP URI, a WebSocket message, a DNS name, a packet comment) is
 * put into the sentence as it is: each renderer escapes for its own medium (terminal, XML, Mermaid,
 * PlantUML, Markdown). Nothing here is safe to print raw.
 */

/**
 * Wireshark's expert levels in increasing order (epan/expert.h: PI_CHAT, PI_NOTE, PI_WARN,
 * PI_ERROR; its PI_COMMENT level is what packet comments get, shown here as 'note').
 */
export type Severity = 'chat' | 'note' | 'warn' | 'error';

const SEVERITY_RANK: Record<Severity, number> = { chat: 0, note: 1, warn: 2, error: 3 };

export function severityRank(s: Severity): number {
  return SEVERITY_RANK[s];
}

export function maxSeverity(a: Severity, b: Severity): Severity {
  return SEVERITY_RANK[a] >= SEVERITY_RANK[b] ? a : b;
}

/** What a packet illustrates, for grouping explanations by lesson (and linking to a glossary). */
export type Concept =
  | 'tcp-handshake'
  | 'tcp-data'
  | 'tcp-ack'
  | 'tcp-teardown'
  | 'tcp-reset'
  | 'tcp-retransmission'
  | 'tcp-duplicate-ack'
  | 'tcp-flow-control'
  | 'tcp-keep-alive'
  | 'tcp-capture-loss'
  | 'tcp-ports-reused'
  | 'udp'
  | 'ip-fragmentation'
  | 'dns'
  | 'arp'
  | 'icmp'
  | 'http'
  | 'websocket'
  | 'sse'
  | 'tls'
  | 'quic'
  | 'malformed'
  | 'comment'
  | 'other';

export type ParamValue = string | number | boolean;

export interface Explanation {
  /** Stable code, WL_EXPLAIN_*. */
  code: ExplainCode;
  severity: Severity;
  concept: Concept;
  /** The numbers and names the sentence is made of (wire-derived strings unescaped). */
  params: Record<string, ParamValue>;
  /** The sentence (wire-derived parts unescaped: escape when rendering). */
  text: string;
}

/** Every explanation code; the sentence templates live with the code that builds them (explainer.ts). */
export const ExplainCodes = [
  'WL_EXPLAIN_TCP_SYN',
  'WL_EXPLAIN_TCP_SYN_ACK',
  'WL_EXPLAIN_TCP_HANDSHAKE_ACK',
  'WL_EXPLAIN_TCP_DATA',
  'WL_EXPLAIN_TCP_ACK',
  'WL_EXPLAIN_TCP_FIN',
  'WL_EXPLAIN_TCP_FIN_ACK',
  'WL_EXPLAIN_TCP_RST',
  'WL_EXPLAIN_TCP_REFUSED',
  'WL_EXPLAIN_TCP_RETRANSMISSION',
  'WL_EXPLAIN_TCP_FAST_RETRANSMISSION',
  'WL_EXPLAIN_TCP_SPURIOUS_RETRANSMISSION',
  'WL_EXPLAIN_TCP_OUT_OF_ORDER',
  'WL_EXPLAIN_TCP_LOST_SEGMENT',
  'WL_EXPLAIN_TCP_ACK_LOST_SEGMENT',
  'WL_EXPLAIN_TCP_DUP_ACK',
  'WL_EXPLAIN_TCP_ZERO_WINDOW',
  'WL_EXPLAIN_TCP_ZERO_WINDOW_PROBE',
  'WL_EXPLAIN_TCP_ZERO_WINDOW_PROBE_ACK',
  'WL_EXPLAIN_TCP_WINDOW_UPDATE',
  'WL_EXPLAIN_TCP_WINDOW_FULL',
  'WL_EXPLAIN_TCP_KEEP_ALIVE',
  'WL_EXPLAIN_TCP_KEEP_ALIVE_ACK',
  'WL_EXPLAIN_TCP_REUSED_PORTS',
  'WL_EXPLAIN_UDP',
  'WL_EXPLAIN_IP_FRAGMENT',
  'WL_EXPLAIN_IP_REASSEMBLED',
  'WL_EXPLAIN_DNS_QUERY',
  'WL_EXPLAIN_DNS_RESPONSE',
  'WL_EXPLAIN_ARP_REQUEST',
  'WL_EXPLAIN_ARP_REPLY',
  'WL_EXPLAIN_ARP_GRATUITOUS',
  'WL_EXPLAIN_ICMP_ECHO_REQUEST',
  'WL_EXPLAIN_ICMP_ECHO_REPLY',
  'WL_EXPLAIN_ICMP_UNREACHABLE',
  'WL_EXPLAIN_ICMP_TIME_EXCEEDED',
  'WL_EXPLAIN_ICMP_OTHER',
  'WL_EXPLAIN_ICMPV6_NEIGHBOR',
  'WL_EXPLAIN_HTTP_REQUEST',
  'WL_EXPLAIN_HTTP_RESPONSE',
  'WL_EXPLAIN_HTTP_UPGRADE',
  'WL_EXPLAIN_WS_MESSAGE',
  'WL_EXPLAIN_WS_PING',
  'WL_EXPLAIN_WS_PONG',
  'WL_EXPLAIN_WS_CLOSE',
  'WL_EXPLAIN_SSE_EVENT',
  'WL_EXPLAIN_TLS_CLIENT_HELLO',
  'WL_EXPLAIN_TLS_SERVER_HELLO',
  'WL_EXPLAIN_TLS_ALERT',
  'WL_EXPLAIN_QUIC',
  'WL_EXPLAIN_MALFORMED',
  'WL_EXPLAIN_TRUNCATED',
  'WL_EXPLAIN_COMMENT',
  'WL_EXPLAIN_OTHER',
] as const;

export type ExplainCode = (typeof ExplainCodes)[number];

/** One packet's explanations: the first is the main one; the list is never empty. */
export interface PacketExplanation {
  frame: number;
  /** tcp.stream or udp.stream when the packet belongs to one. */
  stream?: { proto: 'tcp' | 'udp'; id: number };
  /** Where in its connection's life the packet is (TCP only). */
  phase?: Phase;
  explanations: Explanation[];
  /** Highest severity over the explanations. */
  severity: Severity;
}

export type Phase = 'handshake' | 'data' | 'teardown' | 'abort';

export function explanation(code: ExplainCode, severity: Severity, concept: Concept, text: string, params: Record<string, ParamValue> = {}): Explanation {
  return { code, severity, concept, params, text };
}

// ---------------------------------------------------------------------------------------------
// Number formatting shared by the sentences and the renderers.

/** Byte counts with thousands grouped by a space, as in "69 120 bytes" (ISNs and ports are not grouped). */
export function groupDigits(n: number): string {
  const s = String(Math.trunc(Math.abs(n)));
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (i > 0 && (s.length - i) % 3 === 0) out += ' ';
    out += s[i];
  }
  return (n < 0 ? '-' : '') + out;
}

export function bytesText(n: number): string {
  return `${groupDigits(n)} byte${n === 1 ? '' : 's'}`;
}

/**
 * A duration for people: two significant digits below a millisecond ("0.27 ms"), one decimal
 * below 10 ms ("3.2 ms"), whole milliseconds below 10 s ("204 ms"), then seconds.
 */
export function durationText(ns: number): string {
  if (!Number.isFinite(ns)) return '? ms';
  const neg = ns < 0;
  const a = Math.abs(ns);
  let s: string;
  if (a === 0) s = '0 ms';
  else if (a < 1e6) s = `${trimZeros(Number((a / 1e6).toPrecision(2)).toString())} ms`;
  else if (a < 1e7) s = `${trimZeros((a / 1e6).toFixed(1))} ms`;
  else if (a < 1e10) s = `${Math.round(a / 1e6)} ms`;
  else s = `${trimZeros((a / 1e9).toFixed(1))} s`;
  return neg ? `-${s}` : s;
}

function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

/** Nanoseconds between two (sec, nsec) timestamps, exact for any realistic capture span. */
export function nsBetween(sec: number, nsec: number, sec0: number, nsec0: number): number {
  return (sec - sec0) * 1e9 + (nsec - nsec0);
}

/**
 * Application models on top of the simulated transports: DNS over UDP (RFC 1035), HTTP/1.1
 * requests and responses as plain bytes (RFC 9112), and WebSocket frames (RFC 6455) built with the
 * protocol files' own emit functions. Each write carries a note for the packet comments.
 */
import { DnsType, emitDns, parseDns } from '../protocols/dns.js';
import { emitWsFrame, websocketAccept, WsOpcode } from '../protocols/websocket.js';
import type { Host } from './network.js';
import type { TcpSocket } from './tcp.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

export const text = (s: string): Uint8Array => enc.encode(s);

// ---------------------------------------------------------------- DNS

/** A resolver that answers A queries from a table; unknown names get NXDOMAIN (RFC 1035 §4.1.1 RCODE 3). */
export function dnsServer(host: Host, records: Record<string, string>, port = 53): void {
  host.udp.bind(port, (from, payload) => {
    const { repr } = parseDns(payload);
    const q = repr.questions[0];
    const address = q ? records[q.name.toLowerCase()] : undefined;
    // QR=1, opcode 0, AA=1, RD copied, RA=1 (RFC 1035 §4.1.1).
    const flags = 0x8000 | 0x0400 | (repr.flags & 0x0100) | 0x0080 | (address ? 0 : 3);
    const answers = address && q ? [{ name: q.name, type: DnsType.A, class: 1, ttl: 300, data: { address } }] : [];
    const reply = emitDns({ id: repr.id, flags, questions: repr.questions, answers, authorities: [], additionals: [] });
    host.udp.send(port, from.ip, from.port, reply, address ? `DNS response: ${q!.name} is ${address}` : `DNS response: ${q?.name ?? '?'} does not exist (NXDOMAIN)`);
  });
}

/** Sends an A query and calls back with the address (or undefined); retries once after `timeout`. */
export function dnsLookup(host: Host, server: number, name: string, done: (address: string | undefined) => void, timeout = 1e9): void {
  const port = host.ephemeralPort();
  const id = host.prng.int(0, 0xffff);
  let answered = false;
  const query = emitDns({ id, flags: 0x0100, questions: [{ name, type: DnsType.A, class: 1 }], answers: [], authorities: [], additionals: [] });
  host.udp.bind(port, (_from, payload) => {
    const { repr } = parseDns(payload);
    if (repr.id !== id || answered) return;
    answered = true;
    host.udp.unbind(port);
    const a = repr.answers.find((r) => r.type === DnsType.A);
    done(a && 'address' in a.data ? a.data.address : undefined);
  });
  host.udp.send(port, server, 53, query, `DNS query: what is the address of ${name}? (A record, recursion desired)`);
  host.engine.after(timeout, () => {
    if (answered) return;
    host.udp.send(port, server, 53, query, `DNS query again after ${timeout / 1e6} ms without an answer (UDP has no retransmission; the resolver client retries)`);
  });
}

// ---------------------------------------------------------------- HTTP/1.1

export interface HttpRequestSpec {
  method?: string;
  path: string;
  host: string;
  headers?: Record<string, string>;
  body?: Uint8Array;
}

export function httpRequest(r: HttpRequestSpec): Uint8Array {
  const lines = [`${r.method ?? 'GET'} ${r.path} HTTP/1.1`, `Host: ${r.host}`];
  for (const [k, v] of Object.entries(r.headers ?? {})) lines.push(`${k}: ${v}`);
  if (r.body) lines.push(`Content-Length: ${r.body.length}`);
  const head = text(lines.join('\r\n') + '\r\n\r\n');
  if (!r.body) return head;
  const out = new Uint8Array(head.length + r.body.length);
  out.set(head);
  out.set(r.body, head.length);
  return out;
}

export function httpResponseHead(status: number, reason: string, headers: Record<string, string>): Uint8Array {
  const lines = [`HTTP/1.1 ${status} ${reason}`];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  return text(lines.join('\r\n') + '\r\n\r\n');
}

/** An HTML-ish body of exactly `size` bytes. */
export function htmlBody(size: number, title = 'wirelens'): Uint8Array {
  const head = `<!doctype html><html><head><title>${title}</title></head><body>\n`;
  const tail = '</body></html>\n';
  const line = '<p>Every packet of this page was simulated by wirelens synth.</p>\n';
  let s = head;
  while (s.length + line.length + tail.length <= size) s += line;
  s += ' '.repeat(Math.max(0, size - s.length - tail.length)) + tail;
  return text(s.slice(0, size));
}

/** Collects a stream until the HTTP head ("\r\n\r\n") is complete; calls back with the head text and what followed. */
export function onHttpHead(s: TcpSocket, cb: (head: string, rest: Uint8Array) => void): void {
  let buf = '';
  let done = false;
  s.onData = (_s, data) => {
    if (done) return;
    buf += dec.decode(data);
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0) return;
    done = true;
    cb(buf.slice(0, end), text(buf.slice(end + 4)));
  };
}

export const headerValue = (head: string, name: string): string | undefined =>
  new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(head)?.[1]?.trim();

// ---------------------------------------------------------------- WebSocket

export function wsKey(host: Host): string {
  const b = new Uint8Array(16);
  for (let i = 0; i < 16; i++) b[i] = host.prng.int(0, 255);
  return Buffer.from(b).toString('base64');
}

export { websocketAccept, WsOpcode };

/** A client frame: RFC 6455 §5.3 requires a fresh random masking key per frame. */
export function wsClientFrame(host: Host, opcode: number, payload: Uint8Array): Uint8Array {
  return emitWsFrame({ opcode, payload, maskingKey: host.prng.u32() });
}

export function wsServerFrame(opcode: number, payload: Uint8Array): Uint8Array {
  return emitWsFrame({ opcode, payload });
}

export function wsClosePayload(code: number, reason: string): Uint8Array {
  const r = text(reason);
  const out = new Uint8Array(2 + r.length);
  out[0] = code >> 8;
  out[1] = code & 0xff;
  out.set(r, 2);
  return out;
}

/** Splits a stream of unmasked or masked frames into (opcode, payload) as they complete. */
export function wsReader(cb: (opcode: number, payload: Uint8Array) => void): (data: Uint8Array) => void {
  let buf = new Uint8Array(0);
  return (data) => {
    const n = new Uint8Array(buf.length + data.length);
    n.set(buf);
    n.set(data, buf.length);
    buf = n;
    for (;;) {
      if (buf.length < 2) return;
      const masked = (buf[1]! & 0x80) !== 0;
      let len = buf[1]! & 0x7f;
      let p = 2;
      if (len === 126) {
        if (buf.length < 4) return;
        len = (buf[2]! << 8) | buf[3]!;
        p = 4;
      } else if (len === 127) {
        if (buf.length < 10) return;
        len = Number(new DataView(buf.buffer, buf.byteOffset + 2, 8).getBigUint64(0));
        p = 10;
      }
      const keyAt = p;
      if (masked) p += 4;
      if (buf.length < p + len) return;
      const payload = buf.slice(p, p + len);
      if (masked) for (let i = 0; i < len; i++) payload[i] = payload[i]! ^ buf[keyAt + (i & 3)]!;
      cb(buf[0]! & 0x0f, payload);
      buf = buf.subarray(p + len);
    }
  };
}

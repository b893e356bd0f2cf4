/**
 * Application models on top of the simulated transports: DNS over UDP (RFC 1035), HTTP/1.1
 * requests and responses as plain bytes (RFC 9112), WebSocket frames (RFC 6455) built with the
 * protocol files' own emit functions, a request/response RPC client and server with timeouts
 * (HTTP/1.1 persistent connections), and server-sent events (WHATWG HTML §9.2). Each write carries a note for the packet comments.
 */
import { DnsType, emitDns, parseDns } from '../protocols/dns.js';
import { emitWsFrame, websocketAccept, WsOpcode } from '../protocols/websocket.js';
import { formatDuration } from './clock.js';
import type { Host, IpFamily } from './network.js';
import type { TcpSocket } from './tcp.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

export const text = (s: string): Uint8Array => enc.encode(s);

// ---------------------------------------------------------------- DNS

/**
 * A resolver that answers from a table of names and their addresses (IPv4 and IPv6 text, one or
 * several): an A query gets the IPv4 ones, an AAAA query (RFC 3596 §2.1) the IPv6 ones. A name with
 * no address of the asked type gets an empty NOERROR answer (RFC 2308 §2.2, "NODATA"); an unknown
 * name gets NXDOMAIN (RFC 1035 §4.1.1 RCODE 3).
 */
export function dnsServer(host: Host, records: Record<string, string | readonly string[]>, port = 53): void {
  host.udp.bind(port, (from, payload) => {
    const { repr } = parseDns(payload);
    const q = repr.questions[0];
    const known = q ? records[q.name.toLowerCase()] : undefined;
    const wantV6 = q?.type === DnsType.AAAA;
    const addresses = (known === undefined ? [] : typeof known === 'string' ? [known] : known).filter((a) => a.includes(':') === wantV6);
    // QR=1, opcode 0, AA=1, RD copied, RA=1 (RFC 1035 §4.1.1).
    const flags = 0x8000 | 0x0400 | (repr.flags & 0x0100) | 0x0080 | (known ? 0 : 3);
    const answers = q ? addresses.map((address) => ({ name: q.name, type: q.type, class: 1, ttl: 300, data: { address } })) : [];
    const reply = emitDns({ id: repr.id, flags, questions: repr.questions, answers, authorities: [], additionals: [] });
    const what = wantV6 ? 'AAAA' : 'A';
    const note = addresses.length > 0 ? `DNS response: ${q!.name} is ${addresses.join(', ')}${wantV6 ? ' (AAAA)' : ''}` : known ? `DNS response: ${q!.name} has no ${what} record (NOERROR, no answer)` : `DNS response: ${q?.name ?? '?'} does not exist (NXDOMAIN)`;
    host.udp.send(port, from.ip, from.port, reply, note);
  });
}

/**
 * Sends a query for `name`'s address (an A record, or AAAA when `family` is 6) and calls back with
 * the first address (or undefined); retries once after `timeout`.
 */
export function dnsLookup(host: Host, server: number, name: string, done: (address: string | undefined) => void, timeout = 1e9, family: IpFamily = 4): void {
  const port = host.ephemeralPort();
  const id = host.prng.int(0, 0xffff);
  let answered = false;
  const type = family === 6 ? DnsType.AAAA : DnsType.A;
  const query = emitDns({ id, flags: 0x0100, questions: [{ name, type, class: 1 }], answers: [], authorities: [], additionals: [] });
  host.udp.bind(port, (_from, payload) => {
    const { repr } = parseDns(payload);
    if (repr.id !== id || answered) return;
    answered = true;
    host.udp.unbind(port);
    const a = repr.answers.find((r) => r.type === type);
    done(a && 'address' in a.data ? a.data.address : undefined);
  });
  host.udp.send(port, server, 53, query, `DNS query: what is the address of ${name}? (${family === 6 ? 'AAAA record, IPv6' : 'A record'}, recursion desired)`);
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

// ---------------------------------------------------------------- RPC: request/response over HTTP/1.1

export interface HttpMsg {
  head: string;
  body: string;
  /** The message exactly as it came, for proxies that relay it. */
  raw: Uint8Array;
}

const latin1 = (b: Uint8Array): string => {
  let s = '';
  for (let i = 0; i < b.length; i += 4096) s += String.fromCharCode(...b.subarray(i, i + 4096));
  return s;
};
const fromLatin1 = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** Splits a byte stream into HTTP/1.1 messages framed by Content-Length (RFC 9112 §6.3: none means no body, for these apps). */
export function httpMessageReader(cb: (m: HttpMsg) => void): (data: Uint8Array) => void {
  let buf = '';
  return (data) => {
    buf += latin1(data);
    for (;;) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.slice(0, end);
      const len = Number(headerValue(head, 'Content-Length') ?? 0);
      const total = end + 4 + len;
      if (buf.length < total) return;
      cb({ head, body: buf.slice(end + 4, total), raw: fromLatin1(buf.slice(0, total)) });
      buf = buf.slice(total);
    }
  };
}

const REASONS: Record<number, string> = { 200: 'OK', 204: 'No Content', 404: 'Not Found', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' };

export function httpResponse(status: number, body: string, headers: Record<string, string> = {}): Uint8Array {
  const b = text(body);
  const head = httpResponseHead(status, REASONS[status] ?? 'Unknown', { 'Content-Type': 'text/plain', 'Content-Length': String(b.length), ...headers });
  const out = new Uint8Array(head.length + b.length);
  out.set(head);
  out.set(b, head.length);
  return out;
}

export interface RpcRequest {
  method: string;
  path: string;
  head: string;
  body: string;
  socket: TcpSocket;
}

/** Answers a request; nothing is sent when the connection is already gone (the caller gave up). Returns whether it was sent. */
export type RpcReply = (status: number, body: string, note: string, headers?: Record<string, string>) => boolean;

/**
 * A request/response server: HTTP/1.1 with persistent connections (RFC 9112 §9.3), one request at a
 * time per connection. `sockets` holds the open connections (a crash resets them).
 */
export function rpcServer(host: Host, port: number, label: string, handle: (req: RpcRequest, reply: RpcReply) => void): { sockets: Set<TcpSocket> } {
  const sockets = new Set<TcpSocket>();
  host.tcp.listen(port, (s) => {
    s.label = label;
    sockets.add(s);
    const read = httpMessageReader((m) => {
      const [method = 'GET', path = '/'] = m.head.split('\r\n')[0]!.split(' ');
      handle({ method, path, head: m.head, body: m.body, socket: s }, (status, body, note, headers) => {
        if (s.state !== 'ESTABLISHED' && s.state !== 'CLOSE_WAIT') return false;
        s.write(httpResponse(status, body, headers), note);
        return true;
      });
    });
    s.onData = (_s, d) => read(d);
    s.onPeerClose = () => s.close();
    s.onReset = () => {};
    s.onClosed = () => sockets.delete(s);
  });
  return { sockets };
}

export interface RpcResult {
  ok: boolean;
  status?: number;
  head?: string;
  body?: string;
  raw?: Uint8Array;
  /** Why the call failed: "timeout", "connection refused", "reset by the peer", … */
  error?: string;
}

export interface RpcClientOptions {
  label: string;
  /** Give up on a call after this long: the connection is reset (HTTP/1.1 cannot cancel a request otherwise). */
  timeout: number;
  /** Keep connections open for the next call (default) or close after each answer. */
  keepAlive?: boolean;
  hostHeader?: string;
}

interface Pending {
  cb: (r: RpcResult) => void;
  done: boolean;
}

/** A client with a pool of persistent connections to one server; each call takes an idle connection or opens one. */
export class RpcClient {
  private readonly idle: TcpSocket[] = [];
  private readonly pending = new Map<TcpSocket, Pending>();
  /** Calls made, answered, failed (for reports and tests). */
  stats = { calls: 0, ok: 0, failed: 0 };

  constructor(
    readonly host: Host,
    readonly dstIp: number,
    readonly port: number,
    readonly options: RpcClientOptions,
  ) {}

  call(path: string, note: string, cb: (r: RpcResult) => void, headers: Record<string, string> = {}): void {
    this.stats.calls++;
    const p: Pending = { cb, done: false };
    const req = httpRequest({ path, host: this.options.hostHeader ?? 'service', headers: { ...headers, ...(this.options.keepAlive === false ? { Connection: 'close' } : {}) } });
    let s = this.idle.pop();
    while (s && s.state !== 'ESTABLISHED') s = this.idle.pop();
    if (s) {
      this.pending.set(s, p);
      s.write(req, note);
    } else {
      s = this.open(p, req, note);
    }
    const sock = s;
    const t = this.options.timeout;
    this.host.engine.after(t, () => {
      if (p.done) return;
      this.finish(sock, p, { ok: false, error: 'timeout' });
      sock.abort(`${this.options.label} gives up: no answer within ${formatDuration(t)}`);
    });
  }

  private open(p: Pending, req: Uint8Array, note: string): TcpSocket {
    const s = this.host.tcp.connect(
      this.dstIp,
      this.port,
      {
        onConnect: (c) => c.write(req, note),
        onPeerClose: (c) => {
          const q = this.pending.get(c);
          if (q) this.finish(c, q, { ok: false, error: 'closed by the server' });
          c.close();
        },
        onReset: (c, why) => {
          const q = this.pending.get(c);
          if (q) this.finish(c, q, { ok: false, error: why });
        },
        onClosed: (c) => {
          const i = this.idle.indexOf(c);
          if (i >= 0) this.idle.splice(i, 1);
        },
      },
      { note: `SYN: ${this.options.label} opens a connection for: ${note}` },
    );
    s.label = this.options.label;
    const read = httpMessageReader((m) => {
      const q = this.pending.get(s);
      if (!q) return;
      const status = Number(m.head.split(' ')[1]);
      this.finish(s, q, { ok: status >= 200 && status < 300, status, head: m.head, body: m.body, raw: m.raw, error: status >= 300 ? `status ${status}` : undefined });
      if (this.options.keepAlive === false) s.close();
      else if (s.state === 'ESTABLISHED') this.idle.push(s);
    });
    s.onData = (_s, d) => read(d);
    this.pending.set(s, p);
    return s;
  }

  private finish(s: TcpSocket, p: Pending, r: RpcResult): void {
    if (p.done) return;
    p.done = true;
    this.pending.delete(s);
    if (r.ok) this.stats.ok++;
    else this.stats.failed++;
    p.cb(r);
  }

  /** Closes idle connections (FIN), e.g. at the end of a run. */
  closeIdle(note?: string): void {
    for (const s of this.idle.splice(0)) s.close(note);
  }
}

// ---------------------------------------------------------------- Server-sent events

export interface SseEventSpec {
  id: string;
  event?: string;
  data: string;
  /** Reconnection time the client should use (WHATWG HTML §9.2.6 "retry" field), ms. */
  retry?: number;
}

/** One event in the text/event-stream format (WHATWG HTML §9.2.5), ending with its blank line. */
export function sseEvent(e: SseEventSpec): string {
  let s = '';
  if (e.retry !== undefined) s += `retry: ${e.retry}\n`;
  s += `id: ${e.id}\n`;
  if (e.event) s += `event: ${e.event}\n`;
  for (const line of e.data.split('\n')) s += `data: ${line}\n`;
  return s + '\n';
}

/** One chunk of a chunked body (RFC 9112 §7.1): hex size, CRLF, data, CRLF. A zero-length chunk ends the body. */
export function httpChunk(data: string): Uint8Array {
  const b = text(data);
  const head = text(`${b.length.toString(16)}\r\n`);
  const out = new Uint8Array(head.length + b.length + 2);
  out.set(head);
  out.set(b, head.length);
  out[out.length - 2] = 13;
  out[out.length - 1] = 10;
  return out;
}

/**
 * TLS record layer and hellos (RFC 8446 §5.1, §4.1.2-4.1.3; RFC 5246 §6.2.1, §7.4.1): records are
 * framed from reassembled TCP bytes in any split; handshake messages are reassembled across
 * records (RFC 8446 §5.1: a message may span records and a record may hold several); ClientHello
 * and ServerHello are decoded (version, random, session id, cipher suites, compression,
 * extensions with server_name (RFC 6066 §3), ALPN (RFC 7301 §3.1) and supported_versions
 * (RFC 8446 §4.2.1)). Everything after ChangeCipherSpec, and application data, is encrypted:
 * counted, never decoded.
 *
 *   tcpdump -xx (tls13_curl_sni_dns_fin.pcap frame 8, TLS starts at 0x42):
 *   0x0040:  ....  1603 0102 0001 fc03 03..   handshake, 0x0301, len 512; ClientHello len 508, 0x0303
 */
import { createHash } from 'node:crypto';
import { bytesHex, type Field, type LayerProblem } from '../decode/layer.js';
import { u16 } from '../wire/bytes.js';

export const TLS_RECORD_HEADER_LEN = 5;
/** RFC 5246 §6.2.3: a TLSCiphertext fragment is at most 2^14 + 2048 bytes (RFC 8446 §5.2 allows less). */
export const TLS_MAX_RECORD_LEN = (1 << 14) + 2048;
/** Handshake bytes held while a message is incomplete; a hello larger than this is not believed. */
export const TLS_MAX_HANDSHAKE_BUFFER = 1 << 18;

export const ContentType = { ChangeCipherSpec: 20, Alert: 21, Handshake: 22, ApplicationData: 23, Heartbeat: 24 } as const;
export const HandshakeType = {
  HelloRequest: 0,
  ClientHello: 1,
  ServerHello: 2,
  NewSessionTicket: 4,
  EndOfEarlyData: 5,
  EncryptedExtensions: 8,
  Certificate: 11,
  ServerKeyExchange: 12,
  CertificateRequest: 13,
  ServerHelloDone: 14,
  CertificateVerify: 15,
  ClientKeyExchange: 16,
  Finished: 20,
  KeyUpdate: 24,
} as const;
export const ExtensionType = { ServerName: 0, SupportedGroups: 10, EcPointFormats: 11, SignatureAlgorithms: 13, Alpn: 16, SupportedVersions: 43 } as const;
export const TLS13 = 0x0304;

/** Alert levels and descriptions (RFC 8446 §6, RFC 5246 §7.2; IANA "TLS Alerts"), as tshark names them. */
const ALERT_LEVELS: Record<number, string> = { 1: 'Warning', 2: 'Fatal' };
const ALERT_DESCRIPTIONS: Record<number, string> = {
  0: 'Close Notify', 1: 'End of Early Data', 10: 'Unexpected Message', 20: 'Bad Record MAC', 21: 'Decryption Failed',
  22: 'Record Overflow', 30: 'Decompression Failure', 40: 'Handshake Failure', 41: 'No Certificate', 42: 'Bad Certificate',
  43: 'Unsupported Certificate', 44: 'Certificate Revoked', 45: 'Certificate Expired', 46: 'Certificate Unknown',
  47: 'Illegal Parameter', 48: 'Unknown CA', 49: 'Access Denied', 50: 'Decode Error', 51: 'Decrypt Error',
  60: 'Export Restriction', 70: 'Protocol Version', 71: 'Insufficient Security', 80: 'Internal Error',
  86: 'Inappropriate Fallback', 90: 'User Canceled', 100: 'No Renegotiation', 109: 'Missing Extension',
  110: 'Unsupported Extension', 111: 'Certificate Unobtainable', 112: 'Unrecognized Name',
  113: 'Bad Certificate Status Response', 114: 'Bad Certificate Hash Value', 115: 'Unknown PSK Identity',
  116: 'Certificate Required', 120: 'No application Protocol', 121: 'ECH Required',
};

/**
 * An alert's level and description (RFC 8446 §6: two bytes), or undefined. A record of exactly two
 * bytes is read as plaintext even after ChangeCipherSpec, as tshark does: an encrypted one always
 * carries more (its MAC or AEAD tag).
 */
export function tlsAlert(ev: TlsRecordEvent): { level: number; description: number } | undefined {
  const r = ev.record;
  if (r.contentType !== ContentType.Alert || r.body.length !== 2) return undefined;
  return { level: r.body[0]!, description: r.body[1]! };
}

/** The names of an alert's level and description, as tshark's Info has them ("Unknown" for others). */
export function tlsAlertText(a: { level: number; description: number }): { level: string; description: string } {
  return { level: ALERT_LEVELS[a.level] ?? 'Unknown', description: ALERT_DESCRIPTIONS[a.description] ?? 'Unknown' };
}

const HANDSHAKE_NAMES: Record<number, string> = {
  0: 'Hello Request',
  1: 'Client Hello',
  2: 'Server Hello',
  4: 'New Session Ticket',
  5: 'End of Early Data',
  8: 'Encrypted Extensions',
  11: 'Certificate',
  12: 'Server Key Exchange',
  13: 'Certificate Request',
  14: 'Server Hello Done',
  15: 'Certificate Verify',
  16: 'Client Key Exchange',
  20: 'Finished',
  24: 'Key Update',
};

export const WL_MALFORMED_TLS_RECORD = 'WL_MALFORMED_TLS_RECORD';
export const WL_MALFORMED_TLS_HANDSHAKE = 'WL_MALFORMED_TLS_HANDSHAKE';
export const WL_MALFORMED_TLS_HELLO = 'WL_MALFORMED_TLS_HELLO';

// ---------------------------------------------------------------------------------------------
// Record framing

export interface TlsRecord {
  contentType: number;
  version: number;
  length: number;
  /** The fragment: a view of the pushed chunk, or a copy when the record spanned chunks. */
  body: Uint8Array;
  /** Stream offset of the record header, and just past the record. */
  streamOffset: number;
  streamEnd: number;
}

/** Whether 5 bytes look like a TLS record header (RFC 8446 §5.1: known type, major version 3). */
export function looksLikeTlsRecord(d: Uint8Array, o: number, end: number): boolean {
  if (o + TLS_RECORD_HEADER_LEN > end) return false;
  const t = d[o]!;
  return t >= ContentType.ChangeCipherSpec && t <= ContentType.Heartbeat && d[o + 1] === 3 && d[o + 2]! <= 4 && u16(d, o + 3) <= TLS_MAX_RECORD_LEN;
}

/**
 * Splits one direction of a TCP stream into TLS records, fed in-order bytes in any split. A header
 * that is not TLS stops the framer for good (there is no way to find the next record boundary):
 * `problem` says where, and later bytes are ignored.
 */
export class TlsRecordFramer {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private consumed = 0;
  problem?: LayerProblem;

  get buffered(): number {
    return this.pendingBytes;
  }

  push(chunk: Uint8Array): TlsRecord[] {
    const out: TlsRecord[] = [];
    if (this.problem) return out;
    let buf = chunk;
    while (this.pendingBytes > 0 && buf.length > 0) {
      const header = this.pendingBytes >= TLS_RECORD_HEADER_LEN ? join(this.pending, TLS_RECORD_HEADER_LEN) : undefined;
      const target = header ? TLS_RECORD_HEADER_LEN + u16(header, 3) : TLS_RECORD_HEADER_LEN;
      const take = Math.min(buf.length, target - this.pendingBytes);
      // Copied: the caller may reuse the chunk's buffer once push returns.
      this.pending.push(buf.slice(0, take));
      this.pendingBytes += take;
      buf = buf.subarray(take);
      if (this.pendingBytes === TLS_RECORD_HEADER_LEN && !header) {
        const h = join(this.pending, TLS_RECORD_HEADER_LEN);
        this.pending = [h];
        if (!this.check(h, 0)) return out;
        if (u16(h, 3) === 0) this.emitPending(out);
        continue;
      }
      if (header && this.pendingBytes === target) this.emitPending(out);
    }
    let p = 0;
    while (this.pendingBytes === 0 && p + TLS_RECORD_HEADER_LEN <= buf.length) {
      if (!this.check(buf, p)) return out;
      const total = TLS_RECORD_HEADER_LEN + u16(buf, p + 3);
      if (p + total > buf.length) break;
      out.push(record(buf, p, total, this.consumed));
      this.consumed += total;
      p += total;
    }
    if (this.pendingBytes === 0 && p < buf.length) {
      this.pending.push(buf.slice(p));
      this.pendingBytes = buf.length - p;
    }
    return out;
  }

  private emitPending(out: TlsRecord[]): void {
    const whole = join(this.pending, this.pendingBytes);
    out.push(record(whole, 0, whole.length, this.consumed));
    this.consumed += whole.length;
    this.pending = [];
    this.pendingBytes = 0;
  }

  private check(d: Uint8Array, o: number): boolean {
    if (looksLikeTlsRecord(d, o, o + TLS_RECORD_HEADER_LEN)) return true;
    // Records are emitted as they complete, so the bad header starts where the last one ended.
    const at = this.consumed;
    const len = u16(d, o + 3);
    this.problem = {
      code: WL_MALFORMED_TLS_RECORD,
      offset: at,
      message: len > TLS_MAX_RECORD_LEN ? `TLS record length ${len} at stream offset ${at} is over ${TLS_MAX_RECORD_LEN}` : `bytes at stream offset ${at} are not a TLS record header (type ${d[o]}, version 0x${u16(d, o + 1).toString(16)})`,
    };
    this.pending = [];
    this.pendingBytes = 0;
    return false;
  }
}

function record(d: Uint8Array, o: number, total: number, at: number): TlsRecord {
  return { contentType: d[o]!, version: u16(d, o + 1), length: total - TLS_RECORD_HEADER_LEN, body: d.subarray(o + TLS_RECORD_HEADER_LEN, o + total), streamOffset: at, streamEnd: at + total };
}

function join(parts: Uint8Array[], n: number): Uint8Array {
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    const take = Math.min(p.length, n - o);
    out.set(p.subarray(0, take), o);
    o += take;
    if (o === n) break;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Hellos

export interface TlsExtension {
  type: number;
  data: Uint8Array;
}

export interface ClientHelloRepr {
  legacyVersion: number;
  random: Uint8Array;
  sessionId: Uint8Array;
  cipherSuites: number[];
  compressionMethods: number[];
  /** Undefined when the hello has no extensions block (allowed before TLS 1.3, RFC 5246 §7.4.1.2). */
  extensions?: TlsExtension[];
}

export interface ServerHelloRepr {
  legacyVersion: number;
  random: Uint8Array;
  sessionId: Uint8Array;
  cipherSuite: number;
  compressionMethod: number;
  extensions?: TlsExtension[];
}

/** What users ask of a hello, read from its extensions. */
export interface HelloSummary {
  sni?: string;
  alpn: string[];
  /** ClientHello: the offered versions (supported_versions, else legacy_version). ServerHello: the selected one. */
  versions: number[];
}

interface Cursor {
  d: Uint8Array;
  p: number;
  end: number;
}

class HelloError extends Error {}

function need(c: Cursor, n: number, what: string): void {
  if (c.p + n > c.end) throw new HelloError(`${what} runs past the end of the hello`);
}
function rd8(c: Cursor, what: string): number {
  need(c, 1, what);
  return c.d[c.p++]!;
}
function rd16(c: Cursor, what: string): number {
  need(c, 2, what);
  const v = u16(c.d, c.p);
  c.p += 2;
  return v;
}
function bytes(c: Cursor, n: number, what: string): Uint8Array {
  need(c, n, what);
  const b = c.d.slice(c.p, c.p + n);
  c.p += n;
  return b;
}

function readExtensions(c: Cursor): TlsExtension[] | undefined {
  if (c.p === c.end) return undefined;
  const len = rd16(c, 'extensions length');
  need(c, len, 'extensions');
  const end = c.p + len;
  const out: TlsExtension[] = [];
  while (c.p < end) {
    const type = rd16(c, 'extension type');
    const n = rd16(c, 'extension length');
    if (c.p + n > end) throw new HelloError(`extension ${type} runs past the extensions block`);
    out.push({ type, data: bytes(c, n, 'extension data') });
  }
  return out;
}

export interface ParseResult<T> {
  repr?: T;
  problem?: LayerProblem;
}

/**
 * Reads a ClientHello body (after the 4-byte handshake header). Never throws; `offset` in a
 * problem is relative to the body. The parse works on a private cursor and reports the first
 * fault as a value.
 */
export function parseClientHello(body: Uint8Array): ParseResult<ClientHelloRepr> {
  const c: Cursor = { d: body, p: 0, end: body.length };
  try {
    const legacyVersion = rd16(c, 'legacy_version');
    const random = bytes(c, 32, 'random');
    const sessionId = bytes(c, rd8(c, 'session id length'), 'session id');
    const csLen = rd16(c, 'cipher suites length');
    need(c, csLen, 'cipher suites');
    const cipherSuites: number[] = [];
    for (let i = 0; i + 1 < csLen; i += 2) cipherSuites.push(u16(body, c.p + i));
    c.p += csLen;
    const cmLen = rd8(c, 'compression methods length');
    const compressionMethods = Array.from(bytes(c, cmLen, 'compression methods'));
    const extensions = readExtensions(c);
    return { repr: extensions ? { legacyVersion, random, sessionId, cipherSuites, compressionMethods, extensions } : { legacyVersion, random, sessionId, cipherSuites, compressionMethods } };
  } catch (e) {
    return { problem: { code: WL_MALFORMED_TLS_HELLO, offset: c.p, message: `ClientHello: ${(e as Error).message}` } };
  }
}

export function parseServerHello(body: Uint8Array): ParseResult<ServerHelloRepr> {
  const c: Cursor = { d: body, p: 0, end: body.length };
  try {
    const legacyVersion = rd16(c, 'legacy_version');
    const random = bytes(c, 32, 'random');
    const sessionId = bytes(c, rd8(c, 'session id length'), 'session id');
    const cipherSuite = rd16(c, 'cipher suite');
    const compressionMethod = rd8(c, 'compression method');
    const extensions = readExtensions(c);
    return { repr: extensions ? { legacyVersion, random, sessionId, cipherSuite, compressionMethod, extensions } : { legacyVersion, random, sessionId, cipherSuite, compressionMethod } };
  } catch (e) {
    return { problem: { code: WL_MALFORMED_TLS_HELLO, offset: c.p, message: `ServerHello: ${(e as Error).message}` } };
  }
}

const latin1 = (b: Uint8Array) => String.fromCharCode(...b);

/** SNI host_name (RFC 6066 §3), ALPN protocols (RFC 7301 §3.1), versions (RFC 8446 §4.2.1). */
export function summarizeHello(h: ClientHelloRepr | ServerHelloRepr): HelloSummary {
  const out: HelloSummary = { alpn: [], versions: [] };
  const client = 'cipherSuites' in h;
  for (const e of h.extensions ?? []) {
    const d = e.data;
    if (e.type === ExtensionType.ServerName && d.length >= 2) {
      const end = Math.min(d.length, 2 + u16(d, 0));
      for (let p = 2; p + 3 <= end; ) {
        const n = u16(d, p + 1);
        if (p + 3 + n > end) break;
        if (d[p] === 0 && out.sni === undefined) out.sni = latin1(d.subarray(p + 3, p + 3 + n));
        p += 3 + n;
      }
    } else if (e.type === ExtensionType.Alpn && d.length >= 2) {
      const end = Math.min(d.length, 2 + u16(d, 0));
      for (let p = 2; p < end && p + 1 + d[p]! <= end; p += 1 + d[p]!) out.alpn.push(latin1(d.subarray(p + 1, p + 1 + d[p]!)));
    } else if (e.type === ExtensionType.SupportedVersions) {
      if (client && d.length >= 1) for (let p = 1; p + 2 <= Math.min(d.length, 1 + d[0]!); p += 2) out.versions.push(u16(d, p));
      else if (!client && d.length >= 2) out.versions.push(u16(d, 0));
    }
  }
  if (out.versions.length === 0) out.versions.push(h.legacyVersion);
  return out;
}

/** Builds a handshake message (type, 24-bit length, body: RFC 8446 §4). */
export function emitHandshake(type: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + body.length);
  out[0] = type;
  out[1] = (body.length >>> 16) & 0xff;
  out[2] = (body.length >>> 8) & 0xff;
  out[3] = body.length & 0xff;
  out.set(body, 4);
  return out;
}

/** Builds one record around a fragment (RFC 8446 §5.1). */
export function emitTlsRecord(contentType: number, version: number, fragment: Uint8Array): Uint8Array {
  const out = new Uint8Array(TLS_RECORD_HEADER_LEN + fragment.length);
  out[0] = contentType;
  out[1] = version >>> 8;
  out[2] = version & 0xff;
  out[3] = fragment.length >>> 8;
  out[4] = fragment.length & 0xff;
  out.set(fragment, TLS_RECORD_HEADER_LEN);
  return out;
}

function pushExtensions(out: number[], exts: TlsExtension[] | undefined): void {
  if (!exts) return;
  const len = exts.reduce((n, e) => n + 4 + e.data.length, 0);
  out.push(len >>> 8, len & 0xff);
  for (const e of exts) out.push(e.type >>> 8, e.type & 0xff, e.data.length >>> 8, e.data.length & 0xff, ...e.data);
}

/** The ClientHello body (wrap with emitHandshake(1, …)). */
export function emitClientHello(h: ClientHelloRepr): Uint8Array {
  const out: number[] = [h.legacyVersion >>> 8, h.legacyVersion & 0xff, ...h.random, h.sessionId.length, ...h.sessionId];
  out.push((h.cipherSuites.length * 2) >>> 8, (h.cipherSuites.length * 2) & 0xff);
  for (const s of h.cipherSuites) out.push(s >>> 8, s & 0xff);
  out.push(h.compressionMethods.length, ...h.compressionMethods);
  pushExtensions(out, h.extensions);
  return Uint8Array.from(out);
}

export function emitServerHello(h: ServerHelloRepr): Uint8Array {
  const out: number[] = [h.legacyVersion >>> 8, h.legacyVersion & 0xff, ...h.random, h.sessionId.length, ...h.sessionId, h.cipherSuite >>> 8, h.cipherSuite & 0xff, h.compressionMethod];
  pushExtensions(out, h.extensions);
  return Uint8Array.from(out);
}

/** Extension bodies for tests and the simulator. */
export function sniExtension(host: string): TlsExtension {
  const n = host.length;
  return { type: ExtensionType.ServerName, data: Uint8Array.from([(n + 3) >>> 8, (n + 3) & 0xff, 0, n >>> 8, n & 0xff, ...Array.from(host, (ch) => ch.charCodeAt(0))]) };
}
export function alpnExtension(protocols: string[]): TlsExtension {
  const list = protocols.flatMap((p) => [p.length, ...Array.from(p, (ch) => ch.charCodeAt(0))]);
  return { type: ExtensionType.Alpn, data: Uint8Array.from([list.length >>> 8, list.length & 0xff, ...list]) };
}
export function supportedVersionsExtension(versions: number[], server = false): TlsExtension {
  const list = versions.flatMap((v) => [v >>> 8, v & 0xff]);
  return { type: ExtensionType.SupportedVersions, data: Uint8Array.from(server ? list : [list.length, ...list]) };
}

// ---------------------------------------------------------------------------------------------
// Connection: two directions, handshake reassembly, encryption state

export type TlsDirection = 'c2s' | 's2c';

export interface TlsHandshakeMessage {
  type: number;
  /** The whole message, header included. */
  message: Uint8Array;
  client?: ClientHelloRepr;
  server?: ServerHelloRepr;
  summary?: HelloSummary;
  problem?: LayerProblem;
}

export interface TlsRecordEvent {
  dir: TlsDirection;
  record: TlsRecord;
  /** Sent under encryption: application data, or anything after ChangeCipherSpec in its direction. */
  encrypted: boolean;
  /** TLS 1.3 hides the true type (RFC 8446 §5.2): tshark calls 23 there an opaque type. */
  opaque: boolean;
  /** Handshake messages this record completed, in order. */
  handshakes: TlsHandshakeMessage[];
}

interface DirState {
  framer: TlsRecordFramer;
  hs: Uint8Array[];
  hsBytes: number;
  ccs: boolean;
  encryptedRecords: number;
}

/**
 * Follows one TCP connection's TLS: feed each direction's reassembled bytes with `push`. Counts
 * encrypted records per direction. Bounded: a handshake message over TLS_MAX_HANDSHAKE_BUFFER
 * stops handshake parsing in that direction (reported as a problem).
 */
export class TlsConnection {
  private readonly dirs: Record<TlsDirection, DirState> = { c2s: newDir(), s2c: newDir() };
  /** Set once a ServerHello selected TLS 1.3. */
  tls13 = false;
  clientHello?: TlsHandshakeMessage;
  serverHello?: TlsHandshakeMessage;
  problems: LayerProblem[] = [];

  encryptedRecords(dir: TlsDirection): number {
    return this.dirs[dir].encryptedRecords;
  }

  /** Bytes of an unfinished record held in one direction (0: the next byte begins a record). */
  buffered(dir: TlsDirection): number {
    return this.dirs[dir].framer.buffered;
  }

  push(dir: TlsDirection, chunk: Uint8Array): TlsRecordEvent[] {
    const st = this.dirs[dir];
    const hadProblem = st.framer.problem;
    const events: TlsRecordEvent[] = [];
    for (const record of st.framer.push(chunk)) events.push(this.onRecord(dir, st, record));
    if (st.framer.problem && !hadProblem) this.problems.push(st.framer.problem);
    return events;
  }

  private onRecord(dir: TlsDirection, st: DirState, record: TlsRecord): TlsRecordEvent {
    const t = record.contentType;
    const ev: TlsRecordEvent = { dir, record, encrypted: false, opaque: false, handshakes: [] };
    if (t === ContentType.ChangeCipherSpec) {
      st.ccs = true;
      return ev;
    }
    if (t === ContentType.ApplicationData) {
      ev.encrypted = true;
      ev.opaque = this.tls13;
    } else if (st.ccs) {
      // RFC 5246 §7.1: everything after ChangeCipherSpec is under the new keys.
      ev.encrypted = true;
    }
    if (ev.encrypted) {
      st.encryptedRecords++;
      return ev;
    }
    if (t !== ContentType.Handshake) return ev;
    this.reassemble(st, record, ev);
    return ev;
  }

  private reassemble(st: DirState, record: TlsRecord, ev: TlsRecordEvent): void {
    if (st.hsBytes + record.body.length > TLS_MAX_HANDSHAKE_BUFFER) {
      this.problems.push({ code: WL_MALFORMED_TLS_HANDSHAKE, offset: record.streamOffset, message: `TLS handshake message over ${TLS_MAX_HANDSHAKE_BUFFER} bytes; handshake parsing stopped` });
      st.ccs = true;
      st.hs = [];
      st.hsBytes = 0;
      return;
    }
    st.hs.push(record.body.slice());
    st.hsBytes += record.body.length;
    let buf = st.hs.length === 1 ? st.hs[0]! : join(st.hs, st.hsBytes);
    let p = 0;
    while (p + 4 <= buf.length) {
      const len = (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!;
      if (len > TLS_MAX_HANDSHAKE_BUFFER) {
        this.problems.push({ code: WL_MALFORMED_TLS_HANDSHAKE, offset: record.streamOffset, message: `TLS handshake length ${len} is over ${TLS_MAX_HANDSHAKE_BUFFER}` });
        st.ccs = true;
        break;
      }
      if (p + 4 + len > buf.length) break;
      ev.handshakes.push(this.onHandshake(buf.subarray(p, p + 4 + len)));
      p += 4 + len;
    }
    buf = buf.subarray(p);
    st.hs = buf.length ? [buf] : [];
    st.hsBytes = buf.length;
  }

  private onHandshake(message: Uint8Array): TlsHandshakeMessage {
    const type = message[0]!;
    const m: TlsHandshakeMessage = { type, message };
    const body = message.subarray(4);
    if (type === HandshakeType.ClientHello) {
      const r = parseClientHello(body);
      if (r.repr) {
        m.client = r.repr;
        m.summary = summarizeHello(r.repr);
      }
      if (r.problem) m.problem = r.problem;
      this.clientHello ??= m;
    } else if (type === HandshakeType.ServerHello) {
      const r = parseServerHello(body);
      if (r.repr) {
        m.server = r.repr;
        m.summary = summarizeHello(r.repr);
        if (m.summary.versions[0] === TLS13) {
          this.tls13 = true;
          // RFC 8446 §2: everything the server sends after its hello is encrypted.
          this.dirs.s2c.ccs = true;
        }
      }
      if (r.problem) m.problem = r.problem;
      this.serverHello ??= m;
    }
    return m;
  }
}

function newDir(): DirState {
  return { framer: new TlsRecordFramer(), hs: [], hsBytes: 0, ccs: false, encryptedRecords: 0 };
}

// ---------------------------------------------------------------------------------------------
// Presentation: tshark's Info text and fields

/** The Info text of a frame's records, tshark's way: "Server Hello, Change Cipher Spec". */
export function tlsInfo(events: readonly TlsRecordEvent[]): string {
  const parts: string[] = [];
  for (const ev of events) {
    const t = ev.record.contentType;
    if (t === ContentType.ChangeCipherSpec) parts.push('Change Cipher Spec');
    else if (t === ContentType.ApplicationData) parts.push('Application Data');
    else if (t === ContentType.Alert) {
      const a = tlsAlert(ev);
      const names = a && tlsAlertText(a);
      parts.push(names ? `Alert (Level: ${names.level}, Description: ${names.description})` : ev.encrypted ? 'Encrypted Alert' : 'Alert');
    }
    else if (t === ContentType.Heartbeat) parts.push(ev.encrypted ? 'Encrypted Heartbeat' : 'Heartbeat');
    else if (ev.encrypted) parts.push('Encrypted Handshake Message');
    else for (const h of ev.handshakes) parts.push(HANDSHAKE_NAMES[h.type] ?? `Unknown Handshake Message (${h.type})`);
  }
  return parts.join(', ');
}

/**
 * tshark's fields for one record and the handshake messages it completed. Offsets are stream
 * offsets (the record may lie across segments); the integrator maps them to frames if it wants.
 */
export function tlsRecordFields(ev: TlsRecordEvent): Field[] {
  const out: Field[] = [];
  const r = ev.record;
  const o = r.streamOffset;
  const add = (name: string, value: number | string | boolean, offset: number, length: number) => out.push({ name, value, offset, length });
  // tshark's record and handshake subtrees (FT_NONE): present per record, per handshake message, so
  // `-Y tls.handshake` finds the frames with one.
  add('tls.record', true, o, TLS_RECORD_HEADER_LEN + r.length);
  add(ev.opaque ? 'tls.record.opaque_type' : 'tls.record.content_type', r.contentType, o, 1);
  add('tls.record.version', r.version, o + 1, 2);
  add('tls.record.length', r.length, o + 3, 2);
  // Before TLS 1.3 an encrypted handshake record (Finished) is still a handshake subtree for
  // tshark ("Encrypted Handshake Message"); TLS 1.3 hides it in an opaque record (RFC 8446 §5.2).
  if (ev.encrypted && !ev.opaque && r.contentType === ContentType.Handshake) add('tls.handshake', true, o + TLS_RECORD_HEADER_LEN, r.length);
  const bodyAt = o + TLS_RECORD_HEADER_LEN;
  if (r.contentType === ContentType.ChangeCipherSpec && !ev.opaque) add('tls.change_cipher_spec', true, bodyAt, r.length);
  const alert = tlsAlert(ev);
  if (alert) {
    add('tls.alert_message', true, bodyAt, 2);
    add('tls.alert_message.level', alert.level, bodyAt, 1);
    add('tls.alert_message.desc', alert.description, bodyAt + 1, 1);
  }
  // Encrypted application data (an opaque record in TLS 1.3 is one too), as its bytes.
  if (r.contentType === ContentType.ApplicationData && r.body.length > 0) add('tls.app_data', bytesHex(r.body), bodyAt, r.length);
  // Handshake offsets are approximate when a message started in an earlier record.
  let p = bodyAt;
  for (const h of ev.handshakes) {
    helloFields(h, p, add);
    p += h.message.length;
  }
  return out;
}

type Adder = (name: string, value: number | string | boolean, offset: number, length: number) => void;

function helloFields(h: TlsHandshakeMessage, o: number, add: Adder): void {
  add('tls.handshake', true, o, h.message.length);
  add('tls.handshake.type', h.type, o, 1);
  add('tls.handshake.length', h.message.length - 4, o + 1, 3);
  const hello = h.client ?? h.server;
  if (!hello) return;
  let p = o + 4;
  add('tls.handshake.version', hello.legacyVersion, p, 2);
  add('tls.handshake.random', bytesHex(hello.random), p + 2, 32);
  p += 34;
  add('tls.handshake.session_id_length', hello.sessionId.length, p, 1);
  if (hello.sessionId.length) add('tls.handshake.session_id', bytesHex(hello.sessionId), p + 1, hello.sessionId.length);
  p += 1 + hello.sessionId.length;
  if (h.client) {
    const cs = h.client.cipherSuites;
    add('tls.handshake.cipher_suites_length', cs.length * 2, p, 2);
    cs.forEach((s, i) => add('tls.handshake.ciphersuite', s, p + 2 + 2 * i, 2));
    p += 2 + cs.length * 2;
    add('tls.handshake.comp_methods_length', h.client.compressionMethods.length, p, 1);
    h.client.compressionMethods.forEach((m, i) => add('tls.handshake.comp_method', m, p + 1 + i, 1));
    p += 1 + h.client.compressionMethods.length;
  } else if (h.server) {
    add('tls.handshake.ciphersuite', h.server.cipherSuite, p, 2);
    add('tls.handshake.comp_method', h.server.compressionMethod, p + 2, 1);
    p += 3;
  }
  if (hello.extensions) {
    add('tls.handshake.extensions_length', hello.extensions.reduce((n, e) => n + 4 + e.data.length, 0), p, 2);
    p += 2;
    for (const e of hello.extensions) {
      add('tls.handshake.extension.type', e.type, p, 2);
      add('tls.handshake.extension.len', e.data.length, p + 2, 2);
      extensionFields(e, p + 4, !!h.client, add);
      p += 4 + e.data.length;
    }
  }
  // The hello's fingerprint, after its extensions as tshark lists it.
  const fp = helloFingerprint(h);
  if (fp && h.client) {
    add('tls.handshake.ja3_full', fp.full, o, 0);
    add('tls.handshake.ja3', fp.hash, o, 0);
  } else if (fp) {
    add('tls.handshake.ja3s_full', fp.full, o, 0);
    add('tls.handshake.ja3s', fp.hash, o, 0);
  }
}

/** A hello's JA3 (ClientHello) or JA3S (ServerHello): the string and its MD5, as tshark shows them. */
export function helloFingerprint(h: TlsHandshakeMessage): { full: string; hash: string } | undefined {
  const full = h.client ? ja3Full(h.client) : h.server ? ja3sFull(h.server) : undefined;
  return full === undefined ? undefined : { full, hash: createHash('md5').update(full).digest('hex') };
}

/** RFC 8701 GREASE values (0x0A0A, 0x1A1A … 0xFAFA), which a fingerprint leaves out: they are drawn at random. */
function isGrease(v: number): boolean {
  return (v & 0x0f0f) === 0x0a0a && v >> 8 === (v & 0xff);
}

/** Decimal values joined by '-', GREASE left out. */
function ja3List(values: readonly number[]): string {
  return values.filter((v) => !isGrease(v)).join('-');
}

/** An extension body that is a list of 16-bit values after a 16-bit byte length (groups, signature schemes): the whole values within both ends. */
function u16List(d: Uint8Array | undefined): number[] {
  const out: number[] = [];
  if (d === undefined || d.length < 2) return out;
  for (let p = 2; p + 2 <= Math.min(d.length, 2 + u16(d, 0)); p += 2) out.push(u16(d, p));
  return out;
}

/** An extension body that is a list of bytes after an 8-bit length (EC point formats): the bytes within both ends. */
function u8List(d: Uint8Array | undefined): number[] {
  return d === undefined || d.length < 1 ? [] : [...d.subarray(1, 1 + d[0]!)];
}

/**
 * JA3 (Salesforce's TLS client fingerprint, which tshark 4.0 computes): the ClientHello's
 * legacy_version, cipher suites, extension types, supported groups and EC point formats, in
 * decimal, lists joined by '-' and the five by ','; tls.handshake.ja3 is its MD5.
 */
function ja3Full(c: ClientHelloRepr): string {
  const exts = c.extensions ?? [];
  const body = (type: number) => exts.find((e) => e.type === type)?.data;
  return [c.legacyVersion, ja3List(c.cipherSuites), ja3List(exts.map((e) => e.type)), ja3List(u16List(body(ExtensionType.SupportedGroups))), u8List(body(ExtensionType.EcPointFormats)).join('-')].join(',');
}

/** JA3S, the ServerHello's: legacy_version, the chosen cipher suite and the extension types. */
function ja3sFull(s: ServerHelloRepr): string {
  return [s.legacyVersion, s.cipherSuite, ja3List((s.extensions ?? []).map((e) => e.type))].join(',');
}

function extensionFields(e: TlsExtension, o: number, client: boolean, add: Adder): void {
  const d = e.data;
  if (e.type === ExtensionType.ServerName && d.length >= 2) {
    add('tls.handshake.extensions_server_name_list_len', u16(d, 0), o, 2);
    const end = Math.min(d.length, 2 + u16(d, 0));
    for (let p = 2; p + 3 <= end; ) {
      const n = u16(d, p + 1);
      if (p + 3 + n > end) break;
      add('tls.handshake.extensions_server_name_type', d[p]!, o + p, 1);
      add('tls.handshake.extensions_server_name_len', n, o + p + 1, 2);
      add('tls.handshake.extensions_server_name', latin1(d.subarray(p + 3, p + 3 + n)), o + p + 3, n);
      p += 3 + n;
    }
  } else if (e.type === ExtensionType.Alpn && d.length >= 2) {
    add('tls.handshake.extensions_alpn_len', u16(d, 0), o, 2);
    const end = Math.min(d.length, 2 + u16(d, 0));
    for (let p = 2; p < end && p + 1 + d[p]! <= end; p += 1 + d[p]!) {
      add('tls.handshake.extensions_alpn_str_len', d[p]!, o + p, 1);
      add('tls.handshake.extensions_alpn_str', latin1(d.subarray(p + 1, p + 1 + d[p]!)), o + p + 1, d[p]!);
    }
  } else if (e.type === ExtensionType.SupportedGroups && d.length >= 2) {
    // RFC 8446 §4.2.7 (RFC 8422 §5.1.1 before it): the key-exchange groups the client supports.
    add('tls.handshake.extensions_supported_groups_length', u16(d, 0), o, 2);
    add('tls.handshake.extensions_supported_groups', true, o + 2, u16(d, 0));
    u16List(d).forEach((g, i) => add('tls.handshake.extensions_supported_group', g, o + 2 + 2 * i, 2));
  } else if (e.type === ExtensionType.EcPointFormats && d.length >= 1) {
    // RFC 8422 §5.1.2.
    add('tls.handshake.extensions_ec_point_formats_length', d[0]!, o, 1);
    add('tls.handshake.extensions_ec_point_formats', true, o + 1, d[0]!);
    u8List(d).forEach((f, i) => add('tls.handshake.extensions_ec_point_format', f, o + 1 + i, 1));
  } else if (e.type === ExtensionType.SignatureAlgorithms && d.length >= 2) {
    // RFC 8446 §4.2.3: each scheme a 16-bit code; its bytes were TLS 1.2's hash and signature (RFC 5246 §7.4.1.4.1).
    add('tls.handshake.sig_hash_alg_len', u16(d, 0), o, 2);
    add('tls.handshake.sig_hash_algs', true, o + 2, u16(d, 0));
    u16List(d).forEach((scheme, i) => {
      const at = o + 2 + 2 * i;
      add('tls.handshake.sig_hash_alg', scheme, at, 2);
      add('tls.handshake.sig_hash_hash', scheme >> 8, at, 1);
      add('tls.handshake.sig_hash_sig', scheme & 0xff, at + 1, 1);
    });
  } else if (e.type === ExtensionType.SupportedVersions) {
    if (client && d.length >= 1) {
      add('tls.handshake.extensions.supported_versions_len', d[0]!, o, 1);
      for (let p = 1; p + 2 <= Math.min(d.length, 1 + d[0]!); p += 2) add('tls.handshake.extensions.supported_version', u16(d, p), o + p, 2);
    } else if (!client && d.length >= 2) add('tls.handshake.extensions.supported_version', u16(d, 0), o, 2);
  }
}

/** A TLS version number as people write it ("TLS 1.3" for 0x0304, RFC 8446 §4.2.1). */
export function tlsVersionText(v: number): string {
  const names: Record<number, string> = { 0x0300: 'SSL 3.0', 0x0301: 'TLS 1.0', 0x0302: 'TLS 1.1', 0x0303: 'TLS 1.2', 0x0304: 'TLS 1.3' };
  return names[v] ?? `0x${v.toString(16).padStart(4, '0')}`;
}

/** A cipher suite's number as the IANA registry writes it ("0x1301"). */
export function cipherSuiteText(suite: number): string {
  return `0x${suite.toString(16).padStart(4, '0')}`;
}


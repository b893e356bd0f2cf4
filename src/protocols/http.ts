/**
 * HTTP/1.x (RFC 9112) as a streaming parser over both directions of one connection: requests on
 * the client side, responses on the server side, paired in order (pipelining, §9.3). The body
 * length rules are §6.3's, which need the request method for a response (HEAD), hence one object
 * for both directions. A 101 response hands the rest of both directions to WebSocket (or reports
 * it raw for another protocol); a text/event-stream response body goes to the SSE parser.
 *
 * Invariants: headers are bounded (maxHeaderSize, counted from the start line to the blank line);
 * bodies are streamed, never held; each message is reported on the frame that completes it. A
 * malformed message is reported with a problem code, then the parser resynchronises on the next
 * line that looks like a request or status line. Nothing here throws on any bytes.
 */
import { isAscii } from 'node:buffer';
import { BoundedBuffer, headerText, latin1Text, LineReader, type Direction, type MessageSpan, type ProtocolProblem, type StreamSink } from './stream.js';
import { acceptedDeflate, WebSocketConnection, websocketAccept, type PerMessageDeflate, type WebSocketHandler } from './websocket.js';
import { isEventStream, SseParser, type SseHandler } from './sse.js';

export const WL_HTTP_HEADER_TOO_LARGE = 'WL_HTTP_HEADER_TOO_LARGE';
export const WL_HTTP_BAD_START_LINE = 'WL_HTTP_BAD_START_LINE';
export const WL_HTTP_BAD_HEADER = 'WL_HTTP_BAD_HEADER';
export const WL_HTTP_BAD_CONTENT_LENGTH = 'WL_HTTP_BAD_CONTENT_LENGTH';
export const WL_HTTP_BAD_TRANSFER_ENCODING = 'WL_HTTP_BAD_TRANSFER_ENCODING';
export const WL_HTTP_BAD_CHUNK = 'WL_HTTP_BAD_CHUNK';
export const WL_HTTP_GAP = 'WL_HTTP_GAP';
export const WL_HTTP_INCOMPLETE = 'WL_HTTP_INCOMPLETE';

export interface HttpHeader {
  name: string;
  /** The value without the white space around it (RFC 9112 §5: OWS is not part of the value). */
  value: string;
  /** The line as written, without its line ending (kept with HttpOptions.allHeaders: tshark's http.request.line shows it). */
  line?: string;
}

interface HttpMessageBase extends MessageSpan {
  dir: Direction;
  /** "HTTP/1.1" as written. */
  version: string;
  /** Header fields in order, names as written (with HttpOptions.allHeaders off, only the ones the parser reads). */
  headers: HttpHeader[];
  /** Trailer fields of a chunked body (RFC 9112 §7.1.2), kept as `headers` are. */
  trailers: HttpHeader[];
  /** Content-Length when present and valid (http.content_length). */
  contentLength?: number;
  /** Content-Type as written (http.content_type). */
  contentType?: string;
  chunked: boolean;
  /**
   * A chunked body's chunks in order, the last-chunk (size 0) included: the first MAX_CHUNKS_LISTED
   * of them (tshark's http.chunk_size, http.chunk_boundary; http.chunk_data when bodies are kept).
   */
  chunks?: HttpChunk[];
  /** Body bytes after removing the chunked coding (including missing ones). */
  bodyLen: number;
  /** Body bytes never seen (gaps). */
  missing: number;
  /** Bytes from the start line to the blank line after the headers, inclusive. */
  headerBytes: number;
  /**
   * The body as sent, transfer coding removed (content coding kept), with HttpOptions.maxBodyKept:
   * at most that many bytes (bodyLen tells how many there were). Undefined when bodies are not kept.
   */
  body?: Uint8Array;
  /** The frame that completed the header section. */
  headersFrame: number;
  headersTime: number;
  /** False when the stream ended or lost bytes before the message's end. */
  complete: boolean;
  problem?: ProtocolProblem;
  /** Position in its direction, from 0. */
  index: number;
  /** The frame that completed the message before it in its direction (http.prev_request_in / prev_response_in). */
  previousFrame?: number;
}

/** One chunk of a chunked body (RFC 9112 §7.1). */
export interface HttpChunk {
  /** chunk-size: its data's length (0 for the last-chunk). */
  size: number;
  /** The line ending after its data as sent: 2 for CRLF, 1 for a bare LF, 0 when not seen (or the last-chunk). */
  boundary: number;
}

/** Most chunks a message lists (HttpMessageBase.chunks); a longer body is still read whole. */
export const MAX_CHUNKS_LISTED = 10_000;

export interface HttpRequest extends HttpMessageBase {
  kind: 'request';
  method: string;
  uri: string;
  host?: string;
  userAgent?: string;
  /** Last-Event-ID (an SSE reconnect names the last event it saw). */
  lastEventId?: string;
  /** Set when the response is complete (http.response_in). */
  responseFrame?: number;
}

export interface HttpResponse extends HttpMessageBase {
  kind: 'response';
  status: number;
  /** Reason phrase ("" when absent). */
  phrase: string;
  /** The request this answers, when it was seen (pairing is in order, RFC 9112 §9.3). */
  request?: HttpRequest;
  /** http.request_in. */
  requestFrame?: number;
  /** time minus the request's time (http.time). */
  latency?: number;
}

export type HttpMessage = HttpRequest | HttpResponse;

/** Bytes that were not an HTTP message: from a bad start line up to where parsing resumed. */
export interface HttpMalformed extends MessageSpan {
  dir: Direction;
  problem: ProtocolProblem;
  /** Bytes skipped (known to this parser; gaps not counted). */
  bytes: number;
}

export interface HttpUpgrade {
  /** The protocol switched to (the response's Upgrade, else the request's), or "CONNECT". */
  protocol: string;
  request?: HttpRequest;
  response: HttpResponse;
  /** Set for a WebSocket upgrade (RFC 6455 §4). */
  websocket?: {
    key?: string;
    accept?: string;
    /** Sec-WebSocket-Accept equals base64(SHA-1(key + GUID)) (§4.2.2). */
    acceptValid: boolean;
    extensions?: string;
    deflate?: PerMessageDeflate;
    subprotocol?: string;
  };
  frame: number;
  time: number;
}

export interface HttpHandler {
  /** A message's header section is complete; its body (if any) follows. */
  httpHeaders?(msg: HttpMessage): void;
  /** A piece of a body, transfer coding removed. The view is valid only during the call. */
  httpBody?(msg: HttpMessage, chunk: Uint8Array, frame: number, time: number): void;
  httpRequest?(req: HttpRequest): void;
  httpResponse?(res: HttpResponse): void;
  httpMalformed?(m: HttpMalformed): void;
  httpUpgrade?(u: HttpUpgrade): void;
  /** Bytes after a switch to a protocol other than WebSocket (or a CONNECT tunnel). */
  httpTunnel?(dir: Direction, bytes: Uint8Array, frame: number, time: number): void;
}

/** Everything one connection can report: HTTP, then WebSocket or SSE on top of it. */
export interface HttpConnectionHandler extends HttpHandler, WebSocketHandler, SseHandler {}

export interface HttpOptions {
  /** Most bytes in a header section plus trailer section (and in one line while resynchronising); default 64 KiB. */
  maxHeaderSize?: number;
  /** Most requests waiting for their response (default 1024); older ones are forgotten. */
  maxPending?: number;
  /** Most client bytes held while waiting to learn whether an Upgrade was accepted (default 256 KiB). */
  maxUpgradeBuffer?: number;
  /** Most bytes kept per WebSocket message (default 16 MiB). */
  maxWebSocketMessage?: number;
  /**
   * Keep every header field in `headers` and `trailers` (default true). False keeps only the fields
   * this parser and its readers use (PARSED_HEADERS: framing, Content-Type, Upgrade and the
   * WebSocket handshake's, Host, User-Agent, credentials): the other lines are checked but never
   * turned into strings, which is most of the cost of a header section when nobody lists them.
   */
  allHeaders?: boolean;
  /**
   * With `allHeaders` off, still keep the fields the parser's readers describe: Host and User-Agent
   * (HttpMessage.host, userAgent), Authorization and Proxy-Authorization (default true). False
   * keeps only what the parser reads itself, for a consumer that shows no message detail (`stats`
   * counts layers): as tshark dissects without a tree when it prints none.
   */
  describedHeaders?: boolean;
  /**
   * Keep each message's body, up to this many bytes (HttpMessage.body; default 0, none kept): for
   * http.file_data. Kept bodies are read byte by byte, where unkept ones are only counted.
   */
  maxBodyKept?: number;
}

/** The body of a message without one, when bodies are kept. */
const NO_BODY = new Uint8Array(0);

const METHODS = [
  'GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'CONNECT', 'TRACE',
  'PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'SEARCH', 'REPORT', 'PRI',
].map((m) => new TextEncoder().encode(m + ' '));

/**
 * Cheap sniff of a stream's first bytes: a known method and a space, or "HTTP/1." / "HTTP/0.".
 * For choosing HTTP by content on any port; false for anything else, including too few bytes.
 */
export function looksLikeHttp(first: Uint8Array): 'request' | 'response' | false {
  // Every method and "HTTP/" begin with an upper-case letter: most other streams stop here.
  const c0 = first[0];
  if (c0 === undefined || c0 < 0x41 || c0 > 0x5a) return false;
  if (first.length >= 8 && first[0] === 0x48 && first[1] === 0x54 && first[2] === 0x54 && first[3] === 0x50 && first[4] === 0x2f
    && (first[5] === 0x31 || first[5] === 0x30) && first[6] === 0x2e) return 'response';
  outer: for (let k = 0; k < METHODS.length; k++) {
    const m = METHODS[k]!;
    if (first.length < m.length || m[0] !== c0) continue;
    for (let i = 0; i < m.length; i++) if (first[i] !== m[i]) continue outer;
    return 'request';
  }
  return false;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** TOKEN's characters (RFC 9110 §5.6.2 tchar) by byte value, for checking names in the bytes. */
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TCHAR[c.charCodeAt(0)] = 1;

/** What String#trim removes, among ASCII bytes (WhiteSpace and LineTerminator, ECMA-262 §12.2-3). */
function trimmed(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}
const VERSION = /^HTTP\/\d\.\d$/;
const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+)[ \t]+(\S+)[ \t]+(HTTP\/\d\.\d)[ \t]*$/;
const STATUS_LINE = /^(HTTP\/\d\.\d)[ \t]+(\d{3})(?:[ \t](.*))?$/;

interface RequestLine {
  method: string;
  uri: string;
  version: string;
}
interface StatusLine {
  version: string;
  status: number;
  phrase: string;
}

/** @internal REQUEST_LINE on a line's text (exported for the test that checks the byte path against it). */
export function parseRequestLine(s: string): RequestLine | undefined {
  const m = REQUEST_LINE.exec(s);
  return m ? { method: m[1]!, uri: m[2]!, version: m[3]! } : undefined;
}

/** @internal STATUS_LINE on a line's text. */
export function parseStatusLine(s: string): StatusLine | undefined {
  const m = STATUS_LINE.exec(s);
  return m ? { version: m[1]!, status: Number(m[2]), phrase: (m[3] ?? '').trim() } : undefined;
}

/*
 * The same two grammars read from the bytes of an all-ASCII line (the usual case), without
 * decoding the line, running a regex and cutting three strings out of it: the method and version
 * come back as shared constants. Lines with other bytes go through the regexes on their text
 * (headerText), where \S and trim() also know non-ASCII white space.
 */

/** JavaScript's \s among ASCII bytes: space and TAB to CR. */
const isSpace = trimmed;
const isBlank = (c: number) => c === 0x20 || c === 0x09;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

/** Bytes [start, end) of `b` are ASCII: a long run is checked natively, a short one is not worth a view. */
function asciiRange(b: Uint8Array, start: number, end: number): boolean {
  if (end - start > 64) return isAscii(b.subarray(start, end));
  for (let i = start; i < end; i++) if (b[i]! >= 0x80) return false;
  return true;
}

const METHOD_NAMES = METHODS.map((m) => new TextDecoder().decode(m.subarray(0, m.length - 1)));
/** "HTTP/d.d" for each pair of digits, made once. */
const VERSION_NAMES = Array.from({ length: 100 }, (_, i) => `HTTP/${Math.floor(i / 10)}.${i % 10}`);

/** The method token b[start, end): a known method's constant, else its text. */
function methodName(b: Uint8Array, start: number, end: number): string {
  const n = end - start;
  outer: for (let k = 0; k < METHODS.length; k++) {
    const m = METHODS[k]!;
    if (m.length - 1 !== n) continue;
    for (let i = 0; i < n; i++) if (b[start + i] !== m[i]) continue outer;
    return METHOD_NAMES[k]!;
  }
  return latin1Text(b, start, end);
}

/** "HTTP/d.d" at b[at, at + 8) within b[…, end), or undefined. */
function versionAt(b: Uint8Array, at: number, end: number): string | undefined {
  if (at + 8 > end || b[at] !== 0x48 || b[at + 1] !== 0x54 || b[at + 2] !== 0x54 || b[at + 3] !== 0x50 || b[at + 4] !== 0x2f || b[at + 6] !== 0x2e) return undefined;
  const major = b[at + 5]!;
  const minor = b[at + 7]!;
  return isDigit(major) && isDigit(minor) ? VERSION_NAMES[(major - 0x30) * 10 + minor - 0x30] : undefined;
}

/** REQUEST_LINE on the ASCII line b[start, n). */
function requestLineBytes(b: Uint8Array, start: number, n: number): RequestLine | undefined {
  let i = start;
  while (i < n && TCHAR[b[i]!] === 1) i++;
  const methodEnd = i;
  if (methodEnd === start || i === n || !isBlank(b[i]!)) return undefined;
  while (i < n && isBlank(b[i]!)) i++;
  const uriStart = i;
  while (i < n && !isSpace(b[i]!)) i++;
  const uriEnd = i;
  if (uriEnd === uriStart || i === n || !isBlank(b[i]!)) return undefined;
  while (i < n && isBlank(b[i]!)) i++;
  const version = versionAt(b, i, n);
  if (version === undefined) return undefined;
  for (i += 8; i < n; i++) if (!isBlank(b[i]!)) return undefined;
  return { method: methodName(b, start, methodEnd), uri: latin1Text(b, uriStart, uriEnd), version };
}

/** STATUS_LINE on the ASCII line b[start, n). */
function statusLineBytes(b: Uint8Array, start: number, n: number): StatusLine | undefined {
  const version = versionAt(b, start, n);
  if (version === undefined || n === start + 8 || !isBlank(b[start + 8]!)) return undefined;
  let i = start + 9;
  while (i < n && isBlank(b[i]!)) i++;
  if (i + 3 > n || !isDigit(b[i]!) || !isDigit(b[i + 1]!) || !isDigit(b[i + 2]!)) return undefined;
  const status = (b[i]! - 0x30) * 100 + (b[i + 1]! - 0x30) * 10 + (b[i + 2]! - 0x30);
  i += 3;
  if (i === n) return { version, status, phrase: '' };
  if (!isBlank(b[i]!)) return undefined;
  // `.` in the regex stops at a line terminator: a bare CR or LF inside the phrase fails the line.
  let s = i + 1;
  let e = n;
  for (let k = s; k < n; k++) if (b[k] === 0x0d || b[k] === 0x0a) return undefined;
  while (s < e && isSpace(b[s]!)) s++;
  while (e > s && isSpace(b[e - 1]!)) e--;
  return { version, status, phrase: s === e ? '' : phraseText(b, s, e) };
}

/** @internal A request line from its bytes. */
export function requestLine(line: Uint8Array): RequestLine | undefined {
  return requestLineIn(line, 0, line.length);
}

/** A request line from the bytes b[start, end), read where they are (no view per line). */
function requestLineIn(b: Uint8Array, start: number, end: number): RequestLine | undefined {
  return asciiRange(b, start, end) ? requestLineBytes(b, start, end) : parseRequestLine(headerText(b.subarray(start, end)));
}

/** @internal A status line from its bytes. */
export function statusLine(line: Uint8Array): StatusLine | undefined {
  return statusLineIn(line, 0, line.length);
}

/** A status line from the bytes b[start, end), read where they are. */
function statusLineIn(b: Uint8Array, start: number, end: number): StatusLine | undefined {
  return asciiRange(b, start, end) ? statusLineBytes(b, start, end) : parseStatusLine(headerText(b.subarray(start, end)));
}

/** A field name this parser reads: its usual spelling, as a string and as bytes, and lower-cased bytes. */
interface ParsedName {
  text: string;
  bytes: Uint8Array;
  lower: Uint8Array;
  /** Where headersDone finds it in KnownFields (None: read by the Upgrade checks only). */
  slot: Slot;
  /** The last value read for it (plainField compares a new value with it before making a string). */
  last: string;
}

/** The fields headersDone reads. */
const enum Slot {
  None,
  Host,
  UserAgent,
  ContentType,
  LastEventId,
  ContentLength,
  TransferEncoding,
}

/** Field names by length, each list in the order its names were given. */
type NameTable = readonly (readonly ParsedName[])[];

function nameTable(names: readonly string[]): NameTable {
  const byLength: ParsedName[][] = [];
  const enc = new TextEncoder();
  const slots: Record<string, Slot> = { Host: Slot.Host, 'User-Agent': Slot.UserAgent, 'Content-Type': Slot.ContentType, 'Last-Event-ID': Slot.LastEventId, 'Content-Length': Slot.ContentLength, 'Transfer-Encoding': Slot.TransferEncoding };
  for (const text of names) (byLength[text.length] ??= []).push({ text, bytes: enc.encode(text), lower: enc.encode(text.toLowerCase()), slot: slots[text] ?? Slot.None, last: '' });
  return Array.from(byLength, (l) => l ?? []);
}

/**
 * The fields this parser reads itself: what ends a message (RFC 9112 §6.3), what its body is
 * (Content-Type, Content-Encoding for http.file_data), the SSE resume point and the Upgrade and
 * WebSocket handshake checks.
 */
const FRAMING_NAMES = ['Upgrade', 'Content-Type', 'Content-Encoding', 'Last-Event-ID', 'Content-Length', 'Transfer-Encoding', 'Sec-WebSocket-Key', 'Sec-WebSocket-Accept', 'Sec-WebSocket-Protocol', 'Sec-WebSocket-Extensions'];
const FRAMING_HEADERS = nameTable(FRAMING_NAMES);
/**
 * Those and the ones the parser's readers describe (knownHeaders' Host and User-Agent, the
 * credentials the explainer points out): with `allHeaders` off only these are kept, or only the
 * framing ones with `describedHeaders` off too.
 */
const PARSED_HEADERS = nameTable(['Host', 'User-Agent', 'Authorization', 'Proxy-Authorization', ...FRAMING_NAMES]);

/**
 * Whether the name the last parsedHeader call found was spelled as the table spells it (the usual
 * case), which fieldName then need not compare again. A second result kept here rather than in an
 * object per call: this runs for every header line.
 */
let parsedExactly = false;

/** The field of `table` the token b[start, end) names (ASCII case-insensitive), if any. */
function parsedHeader(table: NameTable, b: Uint8Array, start: number, end: number): ParsedName | undefined {
  const candidates = table[end - start];
  if (candidates === undefined) return undefined;
  // Indexed loops: this runs per header line, also before the function is optimised.
  outer: for (let k = 0; k < candidates.length; k++) {
    const name = candidates[k]!;
    const exact = name.bytes;
    const lower = name.lower;
    // The usual spelling first; from its first difference on, case-insensitively. Token bytes:
    // OR-ing 0x20 lower-cases letters and leaves '-' and digits as they are.
    let i = 0;
    while (i < exact.length && b[start + i] === exact[i]) i++;
    parsedExactly = i === exact.length;
    for (; i < lower.length; i++) if ((b[start + i]! | 0x20) !== lower[i]) continue outer;
    return name;
  }
  return undefined;
}

/** Whether b[start, end) spells `text`, one byte per character (as latin1Text reads them). */
function spells(b: Uint8Array, start: number, end: number, text: string): boolean {
  if (text.length !== end - start) return false;
  for (let i = 0; i < text.length; i++) if (b[start + i] !== text.charCodeAt(i)) return false;
  return true;
}

/** The last reason phrase read: most responses repeat one ("OK"), which is then not made again. */
let lastPhrase = 'OK';

/** The reason phrase b[start, end). */
function phraseText(b: Uint8Array, start: number, end: number): string {
  if (spells(b, start, end, lastPhrase)) return lastPhrase;
  return (lastPhrase = latin1Text(b, start, end));
}

/**
 * The name b[start, end) as written: the shared string when it is spelled the usual way (`known`
 * is what parsedHeader just found for it, and parsedExactly says how it was spelled).
 */
function fieldName(b: Uint8Array, start: number, end: number, known: ParsedName | undefined): string {
  return known !== undefined && parsedExactly ? known.text : latin1Text(b, start, end);
}

/** The value of the first field named `name` (lower case; names compare case-insensitively, RFC 9110 §5.1). */
export function header(headers: readonly HttpHeader[], name: string): string | undefined {
  for (const h of headers) if (h.name.length === name.length && h.name.toLowerCase() === name) return h.value;
  return undefined;
}
function listHas(value: string | undefined, token: string): boolean {
  return value !== undefined && value.split(',').some((v) => v.trim().toLowerCase() === token);
}

/**
 * The number 1 to 15 ASCII digits b[start, end) write with no leading zero (a usual Content-Length,
 * RFC 9110 §8.6), whose String() is those same bytes; -1 for anything else.
 */
function plainDecimal(b: Uint8Array, start: number, end: number): number {
  const len = end - start;
  if (len === 0 || len > 15 || (len > 1 && b[start] === 0x30)) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = b[i]! - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** The value of 1 to 15 ASCII digits (a Content-Length, RFC 9110 §8.6), else undefined. */
function digitsValue(text: string): number | undefined {
  const len = text.length;
  if (len === 0 || len > 15) return undefined;
  let n = 0;
  for (let i = 0; i < len; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return undefined;
    n = n * 10 + d;
  }
  return n;
}

/** RFC 9112 §6.3 rule 5: several Content-Length values (or a list) must agree, and be digits. */
function contentLength(fields: HttpHeader[] | undefined): number | 'invalid' | undefined {
  if (fields === undefined) return undefined;
  // The usual single plain value, without splitting it (the same answer as the loop below).
  if (fields.length === 1) {
    const k = digitsValue(fields[0]!.value);
    if (k !== undefined) return k;
  }
  let n: number | undefined;
  for (const f of fields) {
    for (const part of f.value.split(',')) {
      const k = digitsValue(part.trim());
      if (k === undefined || (n !== undefined && n !== k)) return 'invalid';
      n = k;
    }
  }
  return n;
}

/**
 * The header fields headersDone reads, noted while the section is parsed (their names are matched
 * then anyway): no second pass over the fields, no lower-cased copies of names. First occurrence
 * wins for single-valued fields; Content-Length and Transfer-Encoding keep every occurrence (§6.3).
 * The field objects are kept, not their values, so an obs-fold line still extends what is read.
 */
class KnownFields {
  host: HttpHeader | undefined = undefined;
  userAgent: HttpHeader | undefined = undefined;
  contentType: HttpHeader | undefined = undefined;
  lastEventId: HttpHeader | undefined = undefined;
  contentLength: HttpHeader[] | undefined = undefined;
  transferEncoding: HttpHeader[] | undefined = undefined;

  clear(): void {
    this.host = this.userAgent = this.contentType = this.lastEventId = undefined;
    this.contentLength = this.transferEncoding = undefined;
  }

  note(slot: Slot, field: HttpHeader): void {
    switch (slot) {
      case Slot.Host:
        this.host ??= field;
        break;
      case Slot.UserAgent:
        this.userAgent ??= field;
        break;
      case Slot.ContentType:
        this.contentType ??= field;
        break;
      case Slot.LastEventId:
        this.lastEventId ??= field;
        break;
      case Slot.ContentLength:
        (this.contentLength ??= []).push(field);
        break;
      case Slot.TransferEncoding:
        (this.transferEncoding ??= []).push(field);
        break;
    }
  }
}

/** Where one direction's parser is (a number, so `push` switches on it with a jump table). */
const enum State {
  Start,
  Headers,
  Body,
  ChunkSize,
  ChunkData,
  ChunkEnd,
  Trailers,
  Close,
  AwaitUpgrade,
  Tunnel,
  Resync,
}

type Held = { bytes: Uint8Array; frame: number; time: number } | { gap: number };

/** One direction of an HTTP connection: a StreamSink that can also take body bytes unseen. */
export interface HttpSink extends StreamSink {
  /**
   * Takes the next `n` bytes without looking at them, when they are all body that no handler
   * reads (no httpBody, no event stream), exactly as push would; returns false, taking nothing,
   * otherwise (then push them).
   */
  skipBody(n: number, frame: number, time: number): boolean;
  /** The message whose body is being read; undefined between messages. */
  inBody(): HttpMessage | undefined;
  /**
   * Whether the body being read has its end known from a Content-Length (not a chunked body, nor
   * one the connection's end ends) and its header section ended before `frame`: a segment in its
   * middle, which tshark's HTTP dissector does not look at. Asked of every such segment, and
   * answered from the parser's own state, without reading the message.
   */
  inKnownBodyAfter(frame: number): boolean;
}

/** One direction's message parser; requests on the client side, responses on the server side. */
class HttpReceiver implements HttpSink {
  private state: State = State.Start;
  private readonly lines: LineReader;
  private msg: HttpMessage | undefined;
  private remaining = 0;
  private frame = 0;
  private time = 0;
  private index = 0;
  private ended = false;
  // Resynchronisation: the damage being skipped.
  private skipProblem: ProtocolProblem | undefined;
  private skipBytes = 0;
  private skipFirst = 0;
  private skipFirstTime = 0;
  // Client bytes held while an Upgrade or CONNECT is pending (a list made for the first: seldom any).
  private held: Held[] | null = null;
  private heldBytes = 0;
  private tunnelSink: StreamSink | undefined;
  private sse: SseParser | undefined;
  /** Body bytes skipBody took for the current message, not yet in its bodyLen. */
  private skipped = 0;
  /** The frame that completed the last header section (its message's headersFrame). */
  private headersFrame = 0;
  /** A handler takes body bytes (else they are only counted). */
  private readonly readsBody: boolean;
  /** Bodies are kept (maxBodyKept > 0). */
  private readonly keepsBody: boolean;
  /**
   * The current message's body so far, when bodies are kept: made at its first byte and let go
   * when it ends (a buffer kept for the next message would stay as large as the largest body).
   */
  private kept: BoundedBuffer | undefined;
  /** The last field line was one allHeaders=false does not keep (so is an obs-fold after it). */
  private skippedField = false;
  /** The current message's fields headersDone reads. */
  private readonly known = new KnownFields();
  /** The frame that completed this direction's last message (none yet: undefined). */
  private previousFrame: number | undefined = undefined;

  constructor(
    readonly dir: Direction,
    private readonly conn: HttpConnection,
  ) {
    this.lines = new LineReader(conn.maxHeader);
    this.readsBody = conn.handler.httpBody !== undefined;
    this.keepsBody = conn.maxBodyKept > 0;
  }

  private get isRequest(): boolean {
    return this.dir === 'c2s';
  }

  push(bytes: Uint8Array, frame: number, time: number): void {
    if (this.ended) return;
    this.frame = frame;
    this.time = time;
    let pos = 0;
    while (pos < bytes.length) {
      switch (this.state) {
        case State.Start:
        case State.Headers:
        case State.Trailers:
        case State.ChunkSize:
        case State.ChunkEnd:
        case State.Resync:
          pos = this.line(bytes, pos);
          break;
        case State.Body:
        case State.ChunkData: {
          const n = Math.min(this.remaining, bytes.length - pos);
          this.body(bytes, pos, pos + n);
          pos += n;
          this.remaining -= n;
          if (this.remaining === 0) {
            if (this.state === State.Body) this.complete();
            else this.state = State.ChunkEnd;
          }
          break;
        }
        case State.Close:
          this.body(bytes, pos, bytes.length);
          pos = bytes.length;
          break;
        case State.AwaitUpgrade:
          this.hold(bytes.subarray(pos), frame, time);
          pos = bytes.length;
          break;
        case State.Tunnel:
          this.tunnel(bytes.subarray(pos));
          pos = bytes.length;
          break;
      }
    }
  }

  inBody(): HttpMessage | undefined {
    const s = this.state;
    const inBody = s === State.Body || s === State.ChunkSize || s === State.ChunkData || s === State.ChunkEnd || s === State.Trailers || s === State.Close;
    return inBody ? this.msg : undefined;
  }

  inKnownBodyAfter(frame: number): boolean {
    return this.state === State.Body && this.headersFrame !== frame;
  }

  skipBody(n: number, frame: number, time: number): boolean {
    const state = this.state;
    if (this.ended || n <= 0 || this.sse !== undefined || this.readsBody || this.keepsBody) return false;
    // Counted here, added to the message when it ends (settleBody): the message object is not
    // touched per segment.
    if (state === State.Close) {
      this.frame = frame;
      this.time = time;
      this.skipped += n;
      return true;
    }
    if ((state !== State.Body && state !== State.ChunkData) || n > this.remaining) return false;
    // What push does with n bytes that all fall in the body (see its Body case and body()).
    this.frame = frame;
    this.time = time;
    this.skipped += n;
    this.remaining -= n;
    if (this.remaining === 0) {
      if (state === State.Body) this.complete();
      else this.state = State.ChunkEnd;
    }
    return true;
  }

  gap(length: number): void {
    if (this.ended || length <= 0) return;
    const msg = this.msg;
    switch (this.state) {
      case State.Body:
      case State.ChunkData:
        if (msg && length <= this.remaining) {
          this.missingBody(msg, length);
          this.remaining -= length;
          if (this.remaining === 0) {
            if (this.state === State.Body) this.complete();
            else this.state = State.ChunkEnd;
          }
          return;
        }
        break;
      case State.Close:
        if (msg) this.missingBody(msg, length);
        return;
      case State.AwaitUpgrade:
        (this.held ??= []).push({ gap: length });
        return;
      case State.Tunnel:
        this.tunnelSink?.gap(length);
        return;
      case State.Resync:
        this.lines.reset();
        return;
      case State.Start:
        if (this.lines.pending === 0 && this.msg === undefined) {
          // Lost between messages: the next bytes may be a message's middle.
          this.enterResync({ code: WL_HTTP_GAP, message: `${length} bytes missing between messages` }, 0);
          this.lines.reset();
          return;
        }
        break;
      default:
        break;
    }
    if (msg) {
      msg.missing += length;
      this.abort({ code: WL_HTTP_GAP, message: `${length} bytes of the message are missing` });
    } else {
      this.enterResync({ code: WL_HTTP_GAP, message: `${length} bytes missing inside a start line` }, this.lines.pending);
    }
    this.lines.reset();
  }

  end(): void {
    if (this.ended) return;
    switch (this.state) {
      case State.Close:
        this.complete();
        break;
      case State.AwaitUpgrade:
        this.release();
        this.end();
        return;
      case State.Tunnel:
        this.tunnelSink?.end();
        break;
      case State.Resync:
        this.skipBytes += this.lines.pending;
        this.reportSkipped();
        break;
      case State.Start:
        if (this.lines.pending > 0) {
          this.enterResync({ code: WL_HTTP_INCOMPLETE, message: 'stream ended inside a start line' }, this.lines.pending);
          this.reportSkipped();
        }
        break;
      default:
        if (this.msg) this.abort({ code: WL_HTTP_INCOMPLETE, message: 'stream ended before the end of the message' });
        break;
    }
    this.ended = true;
  }

  // --- lines: start line, header fields, chunk sizes, trailers, resynchronisation

  private line(bytes: Uint8Array, pos: number): number {
    const lines = this.lines;
    const src = lines.takeBounds(bytes, pos);
    // Read before anything below can take another line.
    const next = lines.next;
    if (src === undefined) return next;
    const overflow = lines.lineOverflow;
    const size = lines.lineSize;
    const state = this.state;
    // Field and start lines, the most numerous, are read from the bounds: no view per line.
    if (state === State.Headers || state === State.Trailers) {
      this.fieldLine(src, lines.lineStart, lines.lineEnd, overflow, size);
      return next;
    }
    if (state === State.Start) {
      this.startLine(src, lines.lineStart, lines.lineEnd, overflow, size);
      return next;
    }
    const line = src.subarray(lines.lineStart, lines.lineEnd);
    switch (state) {
      case State.Resync:
        this.resyncLine(line, overflow, size);
        break;
      case State.ChunkSize:
        this.chunkSize(line, overflow);
        break;
      case State.ChunkEnd:
        if (line.length !== 0 || overflow) {
          // §7.1: chunk-data is followed by CRLF.
          this.abort({ code: WL_HTTP_BAD_CHUNK, message: 'chunk data not followed by CRLF' });
        } else {
          const chunks = this.msg?.chunks;
          const last = chunks?.[chunks.length - 1];
          if (last !== undefined && last.boundary === 0) last.boundary = size;
          this.state = State.ChunkSize;
        }
        break;
      default:
        break;
    }
    return next;
  }

  /** The start line src[start, end). */
  private startLine(src: Uint8Array, start: number, end: number, overflow: boolean, total: number): void {
    // RFC 9112 §2.2: empty lines before a request line are ignored (robustness).
    if (!overflow && start === end) return;
    if (!overflow) {
      let msg: HttpMessage | undefined;
      if (this.isRequest) {
        const rl = requestLineIn(src, start, end);
        if (rl) msg = this.newRequest(rl.method, rl.uri, rl.version, total);
      } else {
        const sl = statusLineIn(src, start, end);
        if (sl) msg = this.newResponse(sl.status, sl.phrase, sl.version, total);
      }
      if (msg) {
        this.msg = msg;
        this.state = State.Headers;
        this.skippedField = false;
        this.known.clear();
        return;
      }
    }
    const text = overflow ? '' : headerText(src.subarray(start, end));
    const problem = overflow
      ? { code: WL_HTTP_HEADER_TOO_LARGE, message: `start line longer than ${this.conn.maxHeader} bytes` }
      : { code: WL_HTTP_BAD_START_LINE, message: `not a ${this.isRequest ? 'request' : 'status'} line: ${JSON.stringify(text.slice(0, 60))}` };
    this.enterResync(problem, total);
  }

  // Messages are built as whole literals, every optional key present (undefined until known), so
  // all requests share one hidden class and all responses another. Built by spreading and then
  // growing key by key, V8 turned each into a dictionary-mode object (~2.4 KB, slow stores).
  private newRequest(method: string, uri: string, version: string, headerBytes: number): HttpRequest {
    return {
      dir: this.dir,
      version,
      headers: [],
      trailers: [],
      chunked: false,
      chunks: undefined,
      bodyLen: 0,
      missing: 0,
      headerBytes,
      body: undefined,
      headersFrame: 0,
      headersTime: 0,
      complete: false,
      index: this.index++,
      previousFrame: this.previousFrame,
      firstFrame: this.frame,
      firstTime: this.time,
      frame: this.frame,
      time: this.time,
      kind: 'request',
      method,
      uri,
      contentLength: undefined,
      contentType: undefined,
      problem: undefined,
      host: undefined,
      userAgent: undefined,
      lastEventId: undefined,
      responseFrame: undefined,
    };
  }

  private newResponse(status: number, phrase: string, version: string, headerBytes: number): HttpResponse {
    return {
      dir: this.dir,
      version,
      headers: [],
      trailers: [],
      chunked: false,
      chunks: undefined,
      bodyLen: 0,
      missing: 0,
      headerBytes,
      body: undefined,
      headersFrame: 0,
      headersTime: 0,
      complete: false,
      index: this.index++,
      previousFrame: this.previousFrame,
      firstFrame: this.frame,
      firstTime: this.time,
      frame: this.frame,
      time: this.time,
      kind: 'response',
      status,
      phrase,
      contentLength: undefined,
      contentType: undefined,
      problem: undefined,
      request: undefined,
      requestFrame: undefined,
      latency: undefined,
    };
  }

  /** The field line [start, end) of `src`. */
  private fieldLine(src: Uint8Array, start: number, end: number, overflow: boolean, size: number): void {
    const msg = this.msg!;
    // Trailers count against the same bound as the header section.
    msg.headerBytes += size;
    if (overflow || msg.headerBytes > this.conn.maxHeader) {
      this.abort({ code: WL_HTTP_HEADER_TOO_LARGE, message: `header section longer than ${this.conn.maxHeader} bytes` });
      return;
    }
    const list = this.state === State.Trailers ? msg.trailers : msg.headers;
    if (start === end) {
      this.skippedField = false;
      if (this.state === State.Trailers) this.complete();
      else this.headersDone(msg);
      return;
    }
    const c0 = src[start];
    if (c0 !== 0x20 && c0 !== 0x09 && this.plainField(src, start, end, list)) return;
    const line = src.subarray(start, end);
    const text = headerText(line);
    if (c0 === 0x20 || c0 === 0x09) {
      // §5.2 obs-fold: a continuation line; its value joins the previous one with a space.
      if (this.skippedField) return;
      const last = list[list.length - 1];
      if (last) last.value = (last.value + ' ' + text.trim()).trim();
      else this.flag(msg, { code: WL_HTTP_BAD_HEADER, message: 'continuation line before any header field' });
      return;
    }
    const colon = text.indexOf(':');
    const name = colon < 0 ? '' : text.slice(0, colon);
    // §5.1: no whitespace is allowed between the field name and the colon.
    if (!TOKEN.test(name)) {
      this.flag(msg, { code: WL_HTTP_BAD_HEADER, message: `not a header field: ${JSON.stringify(text.slice(0, 60))}` });
      return;
    }
    // A token name is ASCII: its string index is its byte index.
    const known = parsedHeader(this.conn.parsedNames, line, 0, colon);
    if (!this.conn.allHeaders && known === undefined) {
      this.skippedField = true;
      return;
    }
    this.keep(list, this.conn.allHeaders ? { name, value: text.slice(colon + 1).trim(), line: text } : { name, value: text.slice(colon + 1).trim() }, known);
  }

  /** Adds a field line to the section being read. */
  private keep(list: HttpHeader[], field: HttpHeader, known: ParsedName | undefined): void {
    list.push(field);
    this.skippedField = false;
    if (known !== undefined && known.slot !== Slot.None && this.state === State.Headers) this.known.note(known.slot, field);
  }

  /**
   * The usual field line, all ASCII with a token name, read from the bytes: the same name and
   * trimmed value as the general path below gives, without decoding the line whole, a regex test
   * and two more strings. False (nothing added) for anything else, which that path handles.
   */
  private plainField(src: Uint8Array, start: number, end: number, list: HttpHeader[]): boolean {
    let colon = start;
    for (; colon < end; colon++) {
      const c = src[colon]!;
      if (c === 0x3a) break;
      if (c >= 0x80 || TCHAR[c] === 0) return false;
    }
    if (colon === start || colon === end) return false;
    // A field nobody reads (allHeaders off): a well-formed line, not kept, whatever its value.
    const known = parsedHeader(this.conn.parsedNames, src, start, colon);
    if (!this.conn.allHeaders && known === undefined) {
      this.skippedField = true;
      return true;
    }
    const name = fieldName(src, start, colon, known);
    let vs = colon + 1;
    let ve = end;
    while (vs < ve && trimmed(src[vs]!)) vs++;
    while (ve > vs && trimmed(src[ve - 1]!)) ve--;
    let value: string;
    let n: number;
    // A capture repeats its Host, User-Agent and Content-Type values message after message: the
    // same bytes as the last one's string are that (ASCII) string, with no check or string to make.
    if (known !== undefined && spells(src, vs, ve, known.last)) value = known.last;
    // A Content-Length changes message to message: plain digits make their string in JS (String(n)
    // spells those very bytes) rather than through a call into Node for a few bytes.
    else if (known !== undefined && known.slot === Slot.ContentLength && (n = plainDecimal(src, vs, ve)) >= 0) value = known.last = String(n);
    else {
      if (!asciiRange(src, colon + 1, end)) return false;
      value = latin1Text(src, vs, ve);
      if (known !== undefined) known.last = value;
    }
    this.keep(list, this.conn.allHeaders ? { name, value, line: latin1Text(src, start, end) } : { name, value }, known);
    return true;
  }

  private flag(msg: HttpMessage, problem: ProtocolProblem): void {
    msg.problem ??= problem;
  }

  private headersDone(msg: HttpMessage): void {
    msg.headersFrame = this.headersFrame = this.frame;
    msg.headersTime = this.time;
    const known = this.known;
    if (known.contentType !== undefined) msg.contentType = known.contentType.value;
    const cl = contentLength(known.contentLength);
    if (typeof cl === 'number') msg.contentLength = cl;
    const te = known.transferEncoding === undefined ? '' : known.transferEncoding.map((f) => f.value).join(',');
    const codings = te === '' ? [] : te.split(',').map((c) => c.trim().toLowerCase()).filter((c) => c !== '');
    const chunkedLast = codings.length > 0 && codings[codings.length - 1] === 'chunked';
    if (msg.kind === 'request') {
      if (known.host !== undefined) msg.host = known.host.value;
      if (known.userAgent !== undefined) msg.userAgent = known.userAgent.value;
      if (known.lastEventId !== undefined) msg.lastEventId = known.lastEventId.value;
      this.conn.queueRequest(msg);
      this.conn.handler.httpHeaders?.(msg);
      // §6.3 rules 4-6 for requests: chunked last, else a valid Content-Length, else no body.
      if (codings.length > 0) {
        if (!chunkedLast) {
          this.abort({ code: WL_HTTP_BAD_TRANSFER_ENCODING, message: `request transfer coding ${JSON.stringify(te)} does not end in chunked` });
          return;
        }
        this.beginChunked(msg);
      } else if (cl === 'invalid') {
        this.abort({ code: WL_HTTP_BAD_CONTENT_LENGTH, message: 'invalid or conflicting Content-Length' });
      } else {
        this.beginLength(cl ?? 0);
      }
      return;
    }
    const req = this.conn.requestFor(msg);
    if (req) {
      msg.request = req;
    }
    this.sseFor(msg, req);
    this.conn.handler.httpHeaders?.(msg);
    const s = msg.status;
    // §6.3 rule 1: no body after HEAD, nor in 1xx, 204 and 304 responses.
    if (req?.method === 'HEAD' || (s >= 100 && s < 200) || s === 204 || s === 304) {
      this.complete();
      return;
    }
    if (req?.method === 'CONNECT' && s >= 200 && s < 300) {
      // §6.3 rule 2: a successful CONNECT turns the connection into a tunnel.
      this.complete();
      return;
    }
    if (codings.length > 0) {
      if (chunkedLast) this.beginChunked(msg);
      else this.state = State.Close; // §6.3 rule 4: read until the connection closes.
      return;
    }
    if (cl === 'invalid') {
      // §6.3 rule 5: unrecoverable framing; what follows is taken as body until close.
      this.flag(msg, { code: WL_HTTP_BAD_CONTENT_LENGTH, message: 'invalid or conflicting Content-Length' });
      this.state = State.Close;
      return;
    }
    if (cl !== undefined) this.beginLength(cl);
    else this.state = State.Close; // §6.3 rule 8.
  }

  private sseFor(msg: HttpResponse, req: HttpRequest | undefined): void {
    if (msg.status < 200 || msg.status >= 300 || !isEventStream(msg.contentType)) return;
    this.sse = new SseParser(this.conn.handler, req?.lastEventId !== undefined ? { lastEventId: req.lastEventId } : {});
  }

  private beginLength(n: number): void {
    if (n === 0) {
      this.complete();
      return;
    }
    this.remaining = n;
    this.state = State.Body;
  }

  private beginChunked(msg: HttpMessage): void {
    msg.chunked = true;
    msg.chunks = [];
    this.state = State.ChunkSize;
  }

  private chunkSize(line: Uint8Array, overflow: boolean): void {
    // §7.1: chunk-size in hex, then optional ;chunk-ext (ignored), with BWS allowed around ';'.
    const text = overflow ? '' : headerText(line);
    const m = /^([0-9A-Fa-f]{1,13})[ \t]*(?:;.*)?$/.exec(text);
    if (!m) {
      this.abort({ code: WL_HTTP_BAD_CHUNK, message: `bad chunk size line ${JSON.stringify(text.slice(0, 40))}` });
      return;
    }
    const size = parseInt(m[1]!, 16);
    const chunks = this.msg?.chunks;
    if (chunks !== undefined && chunks.length < MAX_CHUNKS_LISTED) chunks.push({ size, boundary: 0 });
    if (size === 0) {
      this.state = State.Trailers;
      return;
    }
    this.remaining = size;
    this.state = State.ChunkData;
  }

  /** Body bytes [from, to) of `bytes`: counted, and made a view only when someone reads them. */
  private body(bytes: Uint8Array, from: number, to: number): void {
    const msg = this.msg;
    if (!msg || to <= from) return;
    msg.bodyLen += to - from;
    const sse = this.sse;
    if (!this.readsBody && !sse && !this.keepsBody) return;
    const chunk = from === 0 && to === bytes.length ? bytes : bytes.subarray(from, to);
    if (this.keepsBody) {
      if (this.kept === undefined) {
        this.kept = new BoundedBuffer(this.conn.maxBodyKept);
        // Sized once when the length is known (take() then gives the buffer itself, no copy).
        if (msg.contentLength !== undefined && !msg.chunked) this.kept.expect(msg.contentLength);
      }
      this.kept.append(chunk);
    }
    if (this.readsBody) this.conn.handler.httpBody!(msg, chunk, this.frame, this.time);
    sse?.push(chunk, this.frame, this.time);
  }

  private missingBody(msg: HttpMessage, n: number): void {
    msg.bodyLen += n;
    msg.missing += n;
    this.flag(msg, { code: WL_HTTP_GAP, message: `${n} body bytes are missing` });
    this.sse?.gap(n);
  }

  /** The current message is done: report it and get ready for the next one (or the switch). */
  /** Adds the body bytes skipBody counted to the message (before anyone reads its bodyLen). */
  private settleBody(): void {
    if (this.msg) this.msg.bodyLen += this.skipped;
    this.skipped = 0;
  }

  private complete(): void {
    this.settleBody();
    const msg = this.msg;
    if (!msg) return;
    msg.frame = this.frame;
    msg.time = this.time;
    msg.complete = msg.missing === 0;
    this.finish(msg);
  }

  /** Reports the current message cut short by a problem, then resynchronises. */
  private abort(problem: ProtocolProblem): void {
    this.settleBody();
    const msg = this.msg;
    if (msg) {
      msg.frame = this.frame;
      msg.time = this.time;
      msg.complete = false;
      this.flag(msg, problem);
      if (msg.headersFrame === 0) {
        msg.headersFrame = this.frame;
        msg.headersTime = this.time;
      }
      this.finish(msg, true);
    }
    this.enterResync(undefined, 0);
  }

  private finish(msg: HttpMessage, aborted = false): void {
    this.msg = undefined;
    if (this.keepsBody) {
      msg.body = this.kept?.take() ?? NO_BODY;
      this.kept = undefined;
    }
    this.previousFrame = msg.frame;
    this.state = State.Start;
    this.sse?.end();
    this.sse = undefined;
    if (msg.kind === 'request') {
      this.conn.handler.httpRequest?.(msg);
      if (!aborted && this.conn.wantsSwitch(msg)) this.state = State.AwaitUpgrade;
      return;
    }
    const req = msg.request;
    if (req) {
      msg.requestFrame = req.frame;
      msg.latency = msg.time - req.time;
      if (msg.status >= 200 || msg.status === 101) req.responseFrame = msg.frame;
    }
    this.conn.handler.httpResponse?.(msg);
    if (!aborted && req) this.conn.switchAfter(req, msg, this);
  }

  private enterResync(problem: ProtocolProblem | undefined, bytes: number): void {
    this.state = State.Resync;
    this.lines.reset();
    if (this.skipProblem === undefined && problem) {
      this.skipProblem = problem;
      this.skipBytes = bytes;
      this.skipFirst = this.frame;
      this.skipFirstTime = this.time;
    }
  }

  private resyncLine(line: Uint8Array, overflow: boolean, size: number): void {
    const looks = !overflow && line.length > 0 && (this.isRequest ? requestLine(line) : statusLine(line));
    if (!looks) {
      this.skipBytes += size;
      return;
    }
    this.reportSkipped();
    this.state = State.Start;
    this.startLine(line, 0, line.length, false, size);
  }

  private reportSkipped(): void {
    const problem = this.skipProblem;
    if (!problem) return;
    this.skipProblem = undefined;
    this.conn.handler.httpMalformed?.({
      dir: this.dir,
      problem,
      bytes: this.skipBytes,
      firstFrame: this.skipFirst,
      firstTime: this.skipFirstTime,
      frame: this.frame,
      time: this.time,
    });
    this.skipBytes = 0;
  }

  // --- protocol switch (RFC 9110 §7.8 Upgrade, §9.3.6 CONNECT)

  private hold(bytes: Uint8Array, frame: number, time: number): void {
    if (this.heldBytes + bytes.length > this.conn.maxUpgradeBuffer) {
      // The answer is taking too long to matter: carry on as HTTP.
      this.release();
      this.push(bytes, frame, time);
      return;
    }
    (this.held ??= []).push({ bytes: bytes.slice(), frame, time });
    this.heldBytes += bytes.length;
  }

  /** The switch was refused: the held bytes are HTTP after all. */
  release(): void {
    if (this.state !== State.AwaitUpgrade) return;
    this.state = State.Start;
    this.replay();
  }

  /** The switch happened: from now on (held bytes included) this direction goes to `sink`. */
  switchTo(sink: StreamSink | undefined): void {
    this.state = State.Tunnel;
    this.tunnelSink = sink;
    this.lines.reset();
    this.replay();
  }

  private replay(): void {
    const held = this.held;
    this.held = null;
    this.heldBytes = 0;
    if (held === null) return;
    const frame = this.frame;
    const time = this.time;
    for (const h of held) {
      if ('gap' in h) this.gap(h.gap);
      else this.push(h.bytes, h.frame, h.time);
    }
    this.frame = frame;
    this.time = time;
  }

  private tunnel(bytes: Uint8Array): void {
    if (this.tunnelSink) this.tunnelSink.push(bytes, this.frame, this.time);
    else this.conn.handler.httpTunnel?.(this.dir, bytes, this.frame, this.time);
  }

  get awaitingUpgrade(): boolean {
    return this.state === State.AwaitUpgrade;
  }
}

/**
 * Both directions of one HTTP/1.x connection. Feed client bytes to `client` and server bytes to
 * `server`, each in order; feed the directions in capture order so a response finds its request.
 */
export class HttpConnection {
  readonly client: HttpSink;
  readonly server: HttpSink;
  /** Set once the connection switched to WebSocket. */
  websocket: WebSocketConnection | undefined;
  readonly maxHeader: number;
  readonly maxUpgradeBuffer: number;
  readonly allHeaders: boolean;
  /** The names whose fields a message keeps (all of them with allHeaders) and whose slots are noted. */
  readonly parsedNames: NameTable;
  readonly maxBodyKept: number;
  private readonly maxPending: number;
  private readonly pending: HttpRequest[] = [];
  private readonly clientRx: HttpReceiver;
  private readonly serverRx: HttpReceiver;

  constructor(
    readonly handler: HttpConnectionHandler,
    private readonly options: HttpOptions = {},
  ) {
    this.maxHeader = options.maxHeaderSize ?? 64 * 1024;
    this.maxPending = options.maxPending ?? 1024;
    this.maxUpgradeBuffer = options.maxUpgradeBuffer ?? 256 * 1024;
    this.allHeaders = options.allHeaders ?? true;
    this.parsedNames = this.allHeaders || (options.describedHeaders ?? true) ? PARSED_HEADERS : FRAMING_HEADERS;
    this.maxBodyKept = options.maxBodyKept ?? 0;
    this.clientRx = new HttpReceiver('c2s', this);
    this.serverRx = new HttpReceiver('s2c', this);
    this.client = this.clientRx;
    this.server = this.serverRx;
  }

  /** @internal */
  queueRequest(req: HttpRequest): void {
    if (this.pending.length >= this.maxPending) this.pending.shift();
    this.pending.push(req);
  }

  /**
   * @internal The request a response answers: the oldest unanswered one. Interim (1xx) responses
   * leave it waiting for its final response (RFC 9110 §15.2), except 101, which is final here.
   */
  requestFor(res: HttpResponse): HttpRequest | undefined {
    const interim = res.status >= 100 && res.status < 200 && res.status !== 101;
    return interim ? this.pending[0] : this.pending.shift();
  }

  /** @internal Whether the client must wait for the response before its next bytes can be read. */
  wantsSwitch(req: HttpRequest): boolean {
    return req.method === 'CONNECT' || header(req.headers, 'upgrade') !== undefined;
  }

  /** @internal After a final response to `req`: switch protocols, or let held client bytes go on as HTTP. */
  switchAfter(req: HttpRequest, res: HttpResponse, serverRx: HttpReceiver): void {
    if (res.status >= 100 && res.status < 200 && res.status !== 101) return;
    const upgraded = res.status === 101 && header(req.headers, 'upgrade') !== undefined;
    const connected = req.method === 'CONNECT' && res.status >= 200 && res.status < 300;
    if (!upgraded && !connected) {
      this.clientRx.release();
      return;
    }
    const protocol = connected ? 'CONNECT' : (header(res.headers, 'upgrade') ?? header(req.headers, 'upgrade') ?? '');
    const info: HttpUpgrade = { protocol, request: req, response: res, frame: res.frame, time: res.time };
    let clientSink: StreamSink | undefined;
    let serverSink: StreamSink | undefined;
    if (upgraded && listHas(protocol, 'websocket')) {
      const key = header(req.headers, 'sec-websocket-key');
      const accept = header(res.headers, 'sec-websocket-accept');
      const extensions = header(res.headers, 'sec-websocket-extensions');
      const deflate = acceptedDeflate(extensions);
      const subprotocol = header(res.headers, 'sec-websocket-protocol');
      info.websocket = {
        acceptValid: key !== undefined && accept !== undefined && websocketAccept(key) === accept.trim(),
        ...(key !== undefined ? { key } : {}),
        ...(accept !== undefined ? { accept } : {}),
        ...(extensions !== undefined ? { extensions } : {}),
        ...(deflate ? { deflate } : {}),
        ...(subprotocol !== undefined ? { subprotocol } : {}),
      };
      const ws = new WebSocketConnection(this.handler, {
        ...(deflate ? { deflate } : {}),
        ...(this.options.maxWebSocketMessage !== undefined ? { maxMessageSize: this.options.maxWebSocketMessage } : {}),
      });
      this.websocket = ws;
      clientSink = ws.client;
      serverSink = ws.server;
    }
    this.handler.httpUpgrade?.(info);
    serverRx.switchTo(serverSink);
    if (this.clientRx.awaitingUpgrade) this.clientRx.switchTo(clientSink);
  }
}

/**
 * An HTTP message's fields as tshark 4.0 names them, in its order: the start line's parts, then per
 * header line the header's own field (for the headers Wireshark's HTTP dissector knows, below) and
 * http.request.line / http.response.line, then what it derives (full URI, the request/response
 * mark, the pairing). A header's value is what follows the colon and the blanks after it, trailing
 * white space kept, as tshark shows it (the parser's HttpHeader.value drops that too, RFC 9112 §5);
 * a line is as written, with CR LF (the parser drops line endings; a bare LF is rare).
 */
import { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import { header, type HttpChunk, type HttpHeader, type HttpMessage } from './http.js';
import { bytesHex } from '../decode/layer.js';
import { statusDescription } from './http-status.js';
import { latin1Text, round9 } from './stream.js';

type Add = (name: string, value: number | string | boolean) => void;

/** The headers with a field of their own in tshark 4.0 (`tshark -G fields`), by lower-cased name. */
const HEADER_FIELDS: ReadonlyMap<string, string> = new Map([
  ['accept', 'http.accept'],
  ['accept-encoding', 'http.accept_encoding'],
  ['accept-language', 'http.accept_language'],
  ['authorization', 'http.authorization'],
  ['cache-control', 'http.cache_control'],
  ['connection', 'http.connection'],
  ['content-encoding', 'http.content_encoding'],
  ['content-length', 'http.content_length_header'],
  ['content-type', 'http.content_type'],
  ['cookie', 'http.cookie'],
  ['date', 'http.date'],
  ['host', 'http.host'],
  ['http2-settings', 'http.http2_settings'],
  ['last-modified', 'http.last_modified'],
  ['location', 'http.location'],
  ['proxy-authenticate', 'http.proxy_authenticate'],
  ['proxy-authorization', 'http.proxy_authorization'],
  ['referer', 'http.referer'],
  ['sec-websocket-accept', 'http.sec_websocket_accept'],
  ['sec-websocket-extensions', 'http.sec_websocket_extensions'],
  ['sec-websocket-key', 'http.sec_websocket_key'],
  ['sec-websocket-protocol', 'http.sec_websocket_protocol'],
  ['sec-websocket-version', 'http.sec_websocket_version'],
  ['server', 'http.server'],
  ['set-cookie', 'http.set_cookie'],
  ['transfer-encoding', 'http.transfer_encoding'],
  ['upgrade', 'http.upgrade'],
  ['user-agent', 'http.user_agent'],
  ['www-authenticate', 'http.www_authenticate'],
  ['x-forwarded-for', 'http.x_forwarded_for'],
]);

export function httpMessageFields(m: HttpMessage, add: Add): void {
  // The start line, as tshark's expert "chat" item and its parts.
  add('http.chat', true);
  if (m.kind === 'request') {
    add('http.request.method', m.method);
    add('http.request.uri', m.uri);
    uriParts(m.uri, add);
    add('http.request.version', m.version);
  } else {
    add('http.response.version', m.version);
    add('http.response.code', m.status);
    add('http.response.code.desc', statusDescription(m.status));
    add('http.response.phrase', m.phrase);
  }
  const line = m.kind === 'request' ? 'http.request.line' : 'http.response.line';
  for (const h of m.headers) headerFields(h, m, add, line);
  // Messages are numbered per connection and direction, from 1; "prev" is the one before in the
  // same direction (a response also names the request before its own).
  if (m.kind === 'request') {
    const full = fullUri(m.uri, m.host);
    if (full !== undefined) add('http.request.full_uri', full);
    add('http.request', true);
    add('http.request_number', m.index + 1);
    if (m.previousFrame !== undefined) add('http.prev_request_in', m.previousFrame);
    if (m.responseFrame !== undefined) add('http.response_in', m.responseFrame);
  } else {
    add('http.response', true);
    add('http.response_number', m.index + 1);
    const req = m.request;
    const full = req ? fullUri(req.uri, req.host) : undefined;
    if (m.latency !== undefined) add('http.time', round9(m.latency));
    if (req?.previousFrame !== undefined) add('http.prev_request_in', req.previousFrame);
    if (m.previousFrame !== undefined) add('http.prev_response_in', m.previousFrame);
    if (m.requestFrame !== undefined) add('http.request_in', m.requestFrame);
    if (full !== undefined) add('http.response_for.uri', full);
  }
  if (m.chunks !== undefined) chunkFields(m, m.chunks, add);
  // The trailer section (RFC 9112 §7.1.2) as one value, each line with its CRLF, as tshark shows it.
  if (m.trailers.length > 0) add('http.chunked_trailer_part', m.trailers.map((t) => `${t.line ?? `${t.name}: ${t.value}`}\r\n`).join(''));
  const data = fileData(m);
  if (data !== undefined) add('http.file_data', data);
}

/**
 * tshark's "HTTP chunked response" subtree (RFC 9112 §7.1): each chunk's size, its data (when the
 * body was kept: the body's bytes at that place) and the line ending after it, then the
 * last-chunk's size, 0.
 */
function chunkFields(m: HttpMessage, chunks: readonly HttpChunk[], add: Add): void {
  let at = 0;
  for (const c of chunks) {
    add('http.chunk_size', c.size);
    if (c.size === 0) continue;
    if (m.body !== undefined && at < m.body.length) add('http.chunk_data', bytesHex(m.body, at, at + c.size));
    if (c.boundary > 0) add('http.chunk_boundary', c.boundary === 2 ? '0d0a' : '0a');
    at += c.size;
  }
}

/** Most bytes a content coding may expand a kept body to (a zip bomb stops there). */
const MAX_DECODED_BODY = 16 * 1024 * 1024;

/**
 * The body as tshark 4.0's http.file_data shows it: the entity after its content coding is undone
 * (RFC 9110 §8.4.1: gzip, deflate, br; Wireshark decompresses by default), read as an ASCII string
 * (a byte from 0x80 up is U+FFFD) that ends at the first NUL, as Wireshark's C strings do. None
 * for an empty body, or when bodies were not kept (HttpOptions.maxBodyKept).
 */
function fileData(m: HttpMessage): string | undefined {
  const body = m.body;
  if (body === undefined || body.length === 0) return undefined;
  const entity = decodeContent(body, (header(m.headers, 'content-encoding') ?? '').trim().toLowerCase());
  const n = entity.indexOf(0);
  // One character per byte (latin1), then every byte from 0x80 up as U+FFFD.
  return latin1Text(entity, 0, n < 0 ? entity.length : n).replace(/[\u0080-\u00ff]/g, '\ufffd');
}

/** The body with its content coding undone; as it is when the coding is another or does not decode. */
function decodeContent(body: Uint8Array, coding: string): Uint8Array {
  const opts = { maxOutputLength: MAX_DECODED_BODY };
  try {
    if (coding === 'gzip' || coding === 'x-gzip') return gunzipSync(body, opts);
    // RFC 9110 §8.4.1.2: "deflate" is the zlib format, though some servers send raw deflate.
    if (coding === 'deflate') return (body[0]! & 0x0f) === 8 ? inflateSync(body, opts) : inflateRawSync(body, opts);
    if (coding === 'br') return brotliDecompressSync(body, opts);
  } catch {
    // A body cut short (or by maxBodyKept), or not in the coding it names: shown as sent.
  }
  return body;
}

function headerFields(h: HttpHeader, m: HttpMessage, add: Add, line: string): void {
  const lower = h.name.toLowerCase();
  const own = HEADER_FIELDS.get(lower);
  const written = h.line ?? `${h.name}: ${h.value}`;
  // tshark's value starts after the colon and the blanks after it, and keeps trailing ones.
  if (own !== undefined) add(own, h.line === undefined ? h.value : h.line.slice(h.line.indexOf(':') + 1).replace(/^[ \t]+/, ''));
  // The value the parser validated, after the header as written (tshark: "Content length").
  if (lower === 'content-length' && m.contentLength !== undefined) add('http.content_length', m.contentLength);
  // RFC 6265 §4.2.1: cookie-pair *( ";" SP cookie-pair ).
  if (lower === 'cookie') for (const pair of h.value.split(';')) if (pair.trim() !== '') add('http.cookie_pair', pair.trim());
  if (lower === 'authorization' || lower === 'proxy-authorization') {
    const credentials = basicCredentials(h.value);
    if (credentials !== undefined) add('http.authbasic', credentials);
  }
  add(line, `${written}\r\n`);
}

/**
 * The user-id and password of Basic authentication (RFC 7617 §2: "Basic" SP base64 of
 * user-id ":" password), decoded as tshark shows them: after "Basic " as written (tshark compares
 * case-sensitively), base64 read leniently, the text up to a NUL.
 */
export function basicCredentials(value: string): string | undefined {
  if (!value.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(value.slice(6), 'base64').toString('utf8');
  const nul = decoded.indexOf('\0');
  return nul < 0 ? decoded : decoded.slice(0, nul);
}

/** The path and query of an origin-form request target (RFC 9112 §3.2.1), and the query's parameters. */
function uriParts(uri: string, add: Add): void {
  const q = uri.indexOf('?');
  if (q < 0) return;
  add('http.request.uri.path', uri.slice(0, q));
  const query = uri.slice(q + 1);
  add('http.request.uri.query', query);
  for (const p of query.split('&')) add('http.request.uri.query.parameter', p);
}

/**
 * The request's absolute URI (RFC 9112 §3.3): the target when it is one, else http://, Host and the
 * target as written (tshark joins them even when the target lacks its leading '/').
 */
function fullUri(uri: string, host: string | undefined): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) return uri;
  return host !== undefined ? `http://${host}${uri}` : undefined;
}

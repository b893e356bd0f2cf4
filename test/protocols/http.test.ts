import { describe, expect, it } from 'vitest';
import {
  HttpConnection,
  looksLikeHttp,
  MAX_CHUNKS_LISTED,
  parseRequestLine,
  parseStatusLine,
  requestLine,
  statusLine,
  WL_HTTP_BAD_CHUNK,
  WL_HTTP_BAD_CONTENT_LENGTH,
  WL_HTTP_BAD_START_LINE,
  WL_HTTP_BAD_TRANSFER_ENCODING,
  WL_HTTP_GAP,
  WL_HTTP_HEADER_TOO_LARGE,
  WL_HTTP_INCOMPLETE,
  type HttpOptions,
  type HttpRequest,
  type HttpResponse,
} from '../../src/protocols/http.js';
import { emitWsFrame, websocketAccept } from '../../src/protocols/websocket.js';
import { cat, enc, eventsOf, expectSplitInvariant, prng, recorder, run, type Step, type Target } from './harness.js';

const conn = (options?: HttpOptions) => (): Target => {
  const { handler, rec } = recorder();
  const c = new HttpConnection(handler, options);
  return { sinks: { c2s: c.client, s2c: c.server }, rec };
};
const c2s = (s: string | Uint8Array): Step => ({ dir: 'c2s', bytes: typeof s === 'string' ? enc(s) : s });
const s2c = (s: string | Uint8Array): Step => ({ dir: 's2c', bytes: typeof s === 'string' ? enc(s) : s });
const reqs = (r: ReturnType<typeof run>) => eventsOf<HttpRequest>(r, 'httpRequest');
const resps = (r: ReturnType<typeof run>) => eventsOf<HttpResponse>(r, 'httpResponse');

describe('looksLikeHttp', () => {
  it('recognises request and status lines by content', () => {
    expect(looksLikeHttp(enc('GET / HTTP/1.1\r\n'))).toBe('request');
    expect(looksLikeHttp(enc('PROPFIND /x HTTP/1.1'))).toBe('request');
    expect(looksLikeHttp(enc('HTTP/1.1 200 OK\r\n'))).toBe('response');
    expect(looksLikeHttp(enc('HTTP/1.0 404'))).toBe('response');
    expect(looksLikeHttp(enc('GETX / HTTP/1.1'))).toBe(false);
    expect(looksLikeHttp(enc('\x16\x03\x01\x02\x00'))).toBe(false);
    expect(looksLikeHttp(enc('HTTP/'))).toBe(false);
    expect(looksLikeHttp(new Uint8Array(0))).toBe(false);
  });
});

describe('HTTP/1.x requests and responses', () => {
  it('parses a GET and its Content-Length response, paired, with latency and fields', () => {
    const steps: Step[] = [
      c2s('GET /download/x.txt HTTP/1.1\r\nUser-Agent: Wget/1.14\r\nHost: bro.org\r\nAccept: */*\r\n\r\n'),
      s2c('HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Length: 10\r\n\r\n01234'),
      s2c('56789'),
    ];
    const r = expectSplitInvariant(conn(), steps);
    const [q] = reqs(r);
    expect(q).toMatchObject({ kind: 'request', method: 'GET', uri: '/download/x.txt', version: 'HTTP/1.1', host: 'bro.org', userAgent: 'Wget/1.14', bodyLen: 0, frame: 1, firstFrame: 1, complete: true });
    expect(q!.headers).toHaveLength(3);
    const [a] = resps(r);
    expect(a).toMatchObject({ status: 200, phrase: 'OK', contentType: 'text/plain; charset=UTF-8', contentLength: 10, bodyLen: 10, frame: 3, firstFrame: 2, headersFrame: 2, requestFrame: 1, complete: true });
    expect(a!.latency).toBeCloseTo(0.002, 9);
    expect(r.pieces['httpBody:s2c#0']).toEqual(Array.from(enc('0123456789')));
  });

  it('pipelines requests and answers HEAD, 204, 304, 100-continue and chunked-with-trailers in order', () => {
    const steps: Step[] = [
      c2s('HEAD /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\nGET /c HTTP/1.1\r\n\r\nGET /d HTTP/1.1\r\n\r\n'),
      s2c('HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n'),
      s2c('HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n'),
      s2c('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5;ext=1\r\nhello\r\nA \r\n0123456789\r\n0\r\nX-Trailer: yes\r\n\r\n'),
      c2s('POST /e HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n'),
      s2c('HTTP/1.1 100 Continue\r\n\r\n'),
      c2s('abc'),
      s2c('HTTP/1.0 201 Created\r\nContent-Length: 0\r\n\r\n'),
    ];
    const r = expectSplitInvariant(conn(), steps);
    expect(reqs(r).map((q) => [q.method, q.uri, q.frame])).toEqual([['HEAD', '/a', 1], ['GET', '/b', 1], ['GET', '/c', 1], ['GET', '/d', 1], ['POST', '/e', 7]]);
    const rs = resps(r);
    expect(rs.map((s) => [s.status, s.bodyLen, s.requestFrame, s.frame, s.request?.uri])).toEqual([
      [200, 0, 1, 2, '/a'],
      [204, 0, 1, 3, '/b'],
      [304, 0, 1, 3, '/c'],
      [200, 15, 1, 4, '/d'],
      [100, 0, 5, 6, '/e'],
      [201, 0, 7, 8, '/e'],
    ]);
    expect(rs[3]).toMatchObject({ chunked: true, trailers: [{ name: 'X-Trailer', value: 'yes' }] });
    expect(rs[0]!.contentLength).toBe(1234);
    expect(r.pieces['httpBody:s2c#3']).toEqual(Array.from(enc('hello0123456789')));
    expect(reqs(r)[4]!.bodyLen).toBe(3);
  });

  it('ends a close-delimited response at end(), and reports an unfinished one as incomplete', () => {
    const r = expectSplitInvariant(conn(), [c2s('GET / HTTP/1.0\r\n\r\n'), s2c('HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html>'), s2c('</html>'), { dir: 's2c', end: true }]);
    expect(resps(r)).toMatchObject([{ status: 200, bodyLen: 13, frame: 3, complete: true }]);
    const r2 = run(conn(), [c2s('GET / HTTP/1.1\r\n\r\n'), s2c('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc'), { dir: 's2c', end: true }]);
    expect(resps(r2)).toMatchObject([{ status: 200, bodyLen: 3, complete: false, problem: { code: WL_HTTP_INCOMPLETE } }]);
  });

  it('takes folded headers, skips leading empty lines, keeps odd bytes as latin-1', () => {
    const r = expectSplitInvariant(conn(), [
      c2s(cat(enc('\r\nGET / HTTP/1.1\r\nX-Long: a\r\n  b\r\nX-Bin: '), Uint8Array.of(0xe9, 0x74, 0xe9), enc('\r\nX-Utf8: été\r\n\r\n'))),
    ]);
    // The value joins a folded line (RFC 9112 §5.2); the line is the first one as written.
    expect(reqs(r)[0]!.headers).toEqual([
      { name: 'X-Long', value: 'a b', line: 'X-Long: a' },
      { name: 'X-Bin', value: 'été', line: 'X-Bin: été' },
      { name: 'X-Utf8', value: 'été', line: 'X-Utf8: été' },
    ]);
  });

  it('links an SSE reconnect: Last-Event-ID on the request, events parsed from the chunked body', () => {
    const body = 'retry: 500\nid: 7\nevent: tick\ndata: a\ndata: b\n\n: keepalive\ndata: c\n\n';
    const chunked = `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
    const r = expectSplitInvariant(conn(), [
      c2s('GET /events HTTP/1.1\r\nAccept: text/event-stream\r\nLast-Event-ID: 6\r\n\r\n'),
      s2c('HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\nTransfer-Encoding: chunked\r\n\r\n'),
      s2c(chunked),
    ]);
    expect(reqs(r)[0]!.lastEventId).toBe('6');
    expect(eventsOf(r, 'sseEvent')).toMatchObject([
      { event: 'tick', id: '7', data: 'a\nb', retry: 500, frame: 3 },
      { event: 'message', id: '7', data: 'c', frame: 3 },
    ]);
    expect(eventsOf(r, 'sseComment')).toMatchObject([{ text: ' keepalive' }]);
    // The headers are announced before the (endless, in real life) body.
    expect(r.events.findIndex(([m]) => m === 'httpHeaders' && true)).toBeLessThan(r.events.findIndex(([m]) => m === 'sseEvent'));
  });

  it('an SSE stream resumed without ids reports the Last-Event-ID it resumed from', () => {
    const r = run(conn(), [c2s('GET /e HTTP/1.1\r\nLast-Event-ID: 41\r\n\r\n'), s2c('HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\ndata: x\n\n'), { dir: 's2c', end: true }]);
    expect(eventsOf(r, 'sseEvent')).toMatchObject([{ id: '41', data: 'x' }]);
  });
});

describe('HTTP Upgrade and CONNECT', () => {
  // RFC 6455 §1.3's example key and accept value.
  const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
  const ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';
  it('computes Sec-WebSocket-Accept as RFC 6455 §1.3 shows', () => {
    expect(websocketAccept(KEY)).toBe(ACCEPT);
  });

  it('hands both directions to WebSocket after 101, held client bytes included', () => {
    const clientFrame = emitWsFrame({ opcode: 1, maskingKey: 0x37fa213d, payload: enc('Hello') });
    const serverFrame = emitWsFrame({ opcode: 1, payload: enc('Hi') });
    const r = expectSplitInvariant(conn(), [
      c2s(cat(enc(`GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`), clientFrame)),
      s2c(cat(enc(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${ACCEPT}\r\n\r\n`), serverFrame)),
    ]);
    expect(eventsOf(r, 'httpUpgrade')).toMatchObject([{ protocol: 'websocket', websocket: { acceptValid: true, key: KEY } }]);
    const msgs = eventsOf(r, 'wsMessage');
    // The client's frame was held until the 101 decided what it is; it keeps its own frame number.
    expect(msgs.map((m) => [m['dir'], m['text'], m['frame']])).toEqual([['c2s', 'Hello', 1], ['s2c', 'Hi', 2]]);
    expect(resps(r)[0]).toMatchObject({ status: 101, requestFrame: 1 });
  });

  it('flags a wrong Sec-WebSocket-Accept', () => {
    const r = run(conn(), [c2s(`GET / HTTP/1.1\r\nUpgrade: websocket\r\nSec-WebSocket-Key: ${KEY}\r\n\r\n`), s2c('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: AAAA\r\n\r\n')]);
    expect(eventsOf(r, 'httpUpgrade')).toMatchObject([{ websocket: { acceptValid: false } }]);
  });

  it('goes on as HTTP when the upgrade is refused', () => {
    const r = expectSplitInvariant(conn(), [
      c2s('GET / HTTP/1.1\r\nUpgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\n\r\nGET /next HTTP/1.1\r\n\r\n'),
      s2c('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'),
    ]);
    expect(reqs(r).map((q) => q.uri)).toEqual(['/', '/next']);
    expect(resps(r).map((s) => s.request?.uri)).toEqual(['/', '/next']);
    expect(eventsOf(r, 'httpUpgrade')).toEqual([]);
  });

  it('reports the bytes after a non-WebSocket 101 or a CONNECT 200 raw', () => {
    const r = expectSplitInvariant(conn(), [
      c2s('GET / HTTP/1.1\r\nUpgrade: h2c\r\n\r\nPRI * HTTP/2.0\r\n'),
      s2c('HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n\x00\x00\x00\x04'),
    ]);
    expect(eventsOf(r, 'httpUpgrade')).toMatchObject([{ protocol: 'h2c' }]);
    expect(r.pieces['httpTunnel:c2s']).toEqual(Array.from(enc('PRI * HTTP/2.0\r\n')));
    expect(r.pieces['httpTunnel:s2c']).toEqual([0, 0, 0, 4]);
    const t = run(conn(), [c2s('CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n\x16\x03\x01'), s2c('HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x03')]);
    expect(eventsOf(t, 'httpUpgrade')).toMatchObject([{ protocol: 'CONNECT' }]);
    expect(t.pieces['httpTunnel:c2s']).toEqual([0x16, 3, 1]);
  });
});

describe('HTTP malformed input', () => {
  it('reports a bad start line and resynchronises on the next request line', () => {
    const r = expectSplitInvariant(conn(), [c2s('garbage here\r\nmore\r\nGET /ok HTTP/1.1\r\n\r\n')]);
    expect(eventsOf(r, 'httpMalformed')).toMatchObject([{ dir: 'c2s', problem: { code: WL_HTTP_BAD_START_LINE }, bytes: 20 }]);
    expect(reqs(r).map((q) => q.uri)).toEqual(['/ok']);
  });

  it('marks a bad chunk size and resynchronises on the next status line', () => {
    const r = expectSplitInvariant(conn(), [
      c2s('GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n'),
      s2c('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\njunk\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno'),
    ]);
    expect(resps(r)).toMatchObject([
      { status: 200, complete: false, problem: { code: WL_HTTP_BAD_CHUNK } },
      { status: 404, bodyLen: 2, complete: true, request: { uri: '/2' } },
    ]);
  });

  it('bounds the header section', () => {
    const big = `GET / HTTP/1.1\r\n${'X-A: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n'.repeat(10)}\r\n`;
    const r = expectSplitInvariant(conn({ maxHeaderSize: 200 }), [c2s(big + 'GET /after HTTP/1.1\r\n\r\n')]);
    expect(reqs(r)).toMatchObject([{ uri: '/', problem: { code: WL_HTTP_HEADER_TOO_LARGE }, complete: false }, { uri: '/after' }]);
    const one = run(conn({ maxHeaderSize: 100 }), [c2s(`GET /${'x'.repeat(500)} HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n`)]);
    expect(eventsOf(one, 'httpMalformed')).toMatchObject([{ problem: { code: WL_HTTP_HEADER_TOO_LARGE } }]);
    expect(reqs(one).map((q) => q.uri)).toEqual(['/b']);
  });

  it('rejects conflicting Content-Length and a request transfer coding that is not chunked', () => {
    const r = run(conn(), [c2s('POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabc\r\nGET /x HTTP/1.1\r\n\r\n')]);
    expect(reqs(r)).toMatchObject([{ problem: { code: WL_HTTP_BAD_CONTENT_LENGTH } }, { uri: '/x' }]);
    expect(eventsOf(r, 'httpMalformed')).toEqual([]);
    const ok = run(conn(), [c2s('POST / HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\nabc')]);
    expect(reqs(ok)).toMatchObject([{ contentLength: 3, bodyLen: 3, complete: true }]);
    const te = run(conn(), [c2s('POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n')]);
    expect(reqs(te)).toMatchObject([{ problem: { code: WL_HTTP_BAD_TRANSFER_ENCODING } }]);
  });

  it('counts missing body bytes and resynchronises after a gap in the headers', () => {
    const r = run(conn(), [
      c2s('GET /1 HTTP/1.1\r\n\r\n'),
      s2c('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'),
      { dir: 's2c', gap: 4 },
      s2c('xyz'),
      c2s('GET /2 HTTP/1.1\r\nHo'),
      { dir: 'c2s', gap: 50 },
      c2s('st: x\r\n\r\nGET /3 HTTP/1.1\r\n\r\n'),
    ]);
    expect(resps(r)).toMatchObject([{ bodyLen: 10, missing: 4, complete: false, problem: { code: WL_HTTP_GAP }, frame: 4 }]);
    expect(reqs(r).map((q) => [q.uri, q.complete])).toEqual([['/1', true], ['/2', false], ['/3', true]]);
  });

  it('never throws on random bytes, whole or split, with and without an HTTP start', () => {
    const rnd = prng(4);
    for (let i = 0; i < 300; i++) {
      const n = Math.floor(rnd() * 300);
      const bytes = new Uint8Array(n);
      for (let k = 0; k < n; k++) bytes[k] = rnd() < 0.2 ? 0x0a : Math.floor(rnd() * 256);
      const head = i % 3 === 0 ? enc('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n') : i % 3 === 1 ? enc('GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n') : new Uint8Array(0);
      const data = cat(head, bytes);
      const at = Math.floor(rnd() * data.length);
      expect(() =>
        run(conn({ maxHeaderSize: 64 }), [
          c2s(data),
          s2c(data.subarray(0, at)),
          { dir: 's2c', gap: 3 },
          s2c(data.subarray(at)),
          { dir: 'c2s', end: true },
          { dir: 's2c', end: true },
        ]),
      ).not.toThrow();
    }
  });
});

describe('HTTP start lines read from the bytes', () => {
  it('give what the RFC 9112 §3 and §4 regexes give on the decoded line, for any line', () => {
    const rnd = prng(11);
    // Pieces of valid lines, white space of every kind, non-ASCII bytes, junk.
    const parts = ['GET', 'POST', 'M-SEARCH', 'X', '/', '/a?b=c', '*', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/1.', 'HTTP/11.1', 'http/1.1', '200', '404', '2000', '20', 'OK', 'Not Found', ' ', '  ', '\t', '\r', '\x0b', '\x0c', '\u00e9', '\u00a0', ':', '"', ''];
    const utf8 = new TextEncoder();
    const lines: Uint8Array[] = [enc('GET / HTTP/1.1'), enc('HTTP/1.1 200 OK'), enc('HTTP/1.1 204'), enc('HTTP/1.1 200 '), Uint8Array.of(0x47, 0x45, 0x54, 0x20, 0xff, 0x20, 0x48)];
    const pick = (from: string[]) => from[Math.floor(rnd() * from.length)]!;
    const blank = [' ', ' ', '\t', '  ', ' \t'];
    const methods = ['GET', 'POST', 'M-SEARCH', 'X', 'G\u00e9T', 'GE T', ''];
    const targets = ['/', '/a?b=c', '*', '/\u00e9', '/a\u00a0b', 'a\rb', ''];
    const versions = ['HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/1.', 'HTTP/11.1', 'http/1.1', 'HTTP/1.1x'];
    const codes = ['200', '404', '2000', '20', '2x0'];
    const phrases = ['OK', 'Not Found', ' OK ', 'a\rb', '\u00e9t\u00e9', '\u00a0', '\x0b', ''];
    for (let i = 0; i < 20000; i++) {
      // Mostly the grammars' shape, with damage here and there (and pieces of anything).
      let text =
        rnd() < 0.5
          ? `${pick(methods)}${pick(blank)}${pick(targets)}${pick(blank)}${pick(versions)}${rnd() < 0.2 ? pick(blank) : ''}`
          : `${pick(versions)}${pick(blank)}${pick(codes)}${rnd() < 0.8 ? pick(blank) + pick(phrases) : ''}`;
      if (rnd() < 0.2) {
        const at = Math.floor(rnd() * (text.length + 1));
        text = text.slice(0, at) + pick(parts) + text.slice(at + 1);
      }
      lines.push(rnd() < 0.5 ? utf8.encode(text) : Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff));
    }
    const text = (b: Uint8Array) => {
      try {
        return new TextDecoder('utf-8', { fatal: true }).decode(b);
      } catch {
        return Buffer.from(b).toString('latin1');
      }
    };
    let requests = 0;
    let statuses = 0;
    for (const line of lines) {
      const rl = requestLine(line);
      const sl = statusLine(line);
      expect(rl, JSON.stringify(text(line))).toEqual(parseRequestLine(text(line)));
      expect(sl, JSON.stringify(text(line))).toEqual(parseStatusLine(text(line)));
      if (rl) requests++;
      if (sl) statuses++;
    }
    // Both grammars matched often enough for the comparison to mean something.
    expect(requests).toBeGreaterThan(1000);
    expect(statuses).toBeGreaterThan(1000);
  });
});

describe('HTTP with allHeaders off', () => {
  const msg = 'GET / HTTP/1.1\r\nHost: a\r\nX-Pad: pppp\r\n  folded\r\naccept: */*\r\nupgrade: websocket\r\nUser-Agent: u\r\n\r\n';
  it('keeps only the fields the parser reads, names as written, and the same message whatever the split', () => {
    const steps = [c2s(msg)];
    const r = run(conn({ allHeaders: false }), steps);
    const q = reqs(r)[0]!;
    expect(q.headers).toEqual([{ name: 'Host', value: 'a' }, { name: 'upgrade', value: 'websocket' }, { name: 'User-Agent', value: 'u' }]);
    expect(q).toMatchObject({ host: 'a', userAgent: 'u' });
    expect(q.problem).toBeUndefined();
    // With every header kept, the folded line joins X-Pad, as before.
    const all = reqs(run(conn(), steps))[0]!;
    expect(all.headers.find((h) => h.name === 'X-Pad')?.value).toBe('pppp folded');
    expectSplitInvariant(conn({ allHeaders: false }), steps);
  });

  it('with describedHeaders off too, keeps only the framing fields, and frames every message alike', () => {
    const steps = [
      c2s('GET /ws HTTP/1.1\r\nHost: a\r\nUser-Agent: u\r\nAuthorization: Basic dTpw\r\nUpgrade: websocket\r\nContent-Length: 2\r\n\r\nhi'),
      s2c('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n'),
    ];
    const framing = expectSplitInvariant(conn({ allHeaders: false, describedHeaders: false }), steps);
    const q = reqs(framing)[0]!;
    expect(q.headers).toEqual([{ name: 'Upgrade', value: 'websocket' }, { name: 'Content-Length', value: '2' }]);
    expect([q.host, q.userAgent]).toEqual([undefined, undefined]);
    expect(q).toMatchObject({ contentLength: 2, bodyLen: 2, complete: true });
    expect(resps(framing)[0]).toMatchObject({ contentType: 'text/plain', chunked: true, bodyLen: 2, complete: true });
    // The same messages, bar the described fields, as with them kept.
    const described = run(conn({ allHeaders: false }), steps);
    expect(reqs(described)[0]).toMatchObject({ host: 'a', userAgent: 'u', bodyLen: 2 });
    expect(resps(framing).map((r) => [r.status, r.bodyLen, r.frame])).toEqual(resps(described).map((r) => [r.status, r.bodyLen, r.frame]));
  });

  it('keeps a Content-Length value as written, plain digits or not, and frames by it alike', () => {
    // Value as written, and the length it gives (a leading zero still counts; a sign or a 16th digit is none).
    const cases: [string, number | undefined][] = [['0', 0], ['7', 7], ['1234', 1234], ['007', 7], [' 12 ', 12], ['12, 12', 12], ['+5', undefined], ['123456789012345', 123456789012345], ['1234567890123456', undefined]];
    for (const allHeaders of [true, false]) {
      for (const [value, length] of cases) {
        const body = length !== undefined && length < 10_000 ? 'x'.repeat(length) : '';
        const [q] = reqs(expectSplitInvariant(conn({ allHeaders, describedHeaders: false }), [c2s(`POST / HTTP/1.1\r\nContent-Length:${value}\r\n\r\n${body}`), { dir: 'c2s', end: true }]));
        // Whitespace around the value is not part of it (RFC 9110 §5.5).
        expect(q!.headers.find((h) => h.name === 'Content-Length')?.value).toBe(value.trim());
        expect(q!.contentLength).toBe(length);
      }
    }
  });

  it('reads a repeated value or phrase as the string made for the last one, and a different one anew', () => {
    // Same length, different bytes: the last string must not be taken for them.
    const steps = [
      c2s('GET /1 HTTP/1.1\r\nHost: aa\r\n\r\nGET /2 HTTP/1.1\r\nHost: aa\r\n\r\nGET /3 HTTP/1.1\r\nHost: ab\r\n\r\nGET /4 HTTP/1.1\r\nHost: a\r\n\r\n'),
      s2c('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 Ok\r\nContent-Length: 0\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'),
    ];
    for (const allHeaders of [true, false]) {
      const r = expectSplitInvariant(conn({ allHeaders }), steps);
      expect(reqs(r).map((q) => q.host)).toEqual(['aa', 'aa', 'ab', 'a']);
      expect(resps(r).map((s) => s.phrase)).toEqual(['OK', 'Ok', 'Not Found', 'OK']);
    }
  });

  it('keeps a known name as written in any case, and reads a value of the last one\'s length but other (non-ASCII) bytes anew', () => {
    // "HOst" matches "Host" exactly for one byte, then only case-insensitively; "hOST" not at all.
    // The second Host value has the first one's length in bytes, but is UTF-8 (RFC 9110 §5.5).
    const bytes = Uint8Array.from('GET /1 HTTP/1.1\r\nHOst: ab\r\n\r\nGET /2 HTTP/1.1\r\nhOST: \xc3\xa9\r\n\r\nGET /3 HTTP/1.1\r\nHost: ab\r\n\r\n', (c) => c.charCodeAt(0));
    const steps = [c2s(bytes)];
    for (const allHeaders of [true, false]) {
      const r = expectSplitInvariant(conn({ allHeaders }), steps);
      expect(reqs(r).map((q) => q.host)).toEqual(['ab', 'é', 'ab']);
      expect(reqs(r).map((q) => q.headers[0]!.name)).toEqual(['HOst', 'hOST', 'Host']);
    }
  });
});

describe('HTTP chunks listed', () => {
  it('lists each chunk with the line ending after its data, the last-chunk too, whatever the split', () => {
    const steps = [
      c2s('GET / HTTP/1.1\r\n\r\n'),
      // A bare LF after the second chunk's data (RFC 9112 §2.2 lets a recipient accept it).
      s2c('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\nA\r\n0123456789\n0\r\nX-T: 1\r\n\r\n'),
    ];
    const r = resps(expectSplitInvariant(conn(), steps))[0]!;
    expect(r.chunks).toEqual([{ size: 3, boundary: 2 }, { size: 10, boundary: 1 }, { size: 0, boundary: 0 }]);
    expect(r).toMatchObject({ chunked: true, bodyLen: 13, complete: true });
    // A body with a Content-Length has none.
    expect(resps(run(conn(), [c2s('GET / HTTP/1.1\r\n\r\n'), s2c('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx')]))[0]!.chunks).toBeUndefined();
  });

  it('lists at most MAX_CHUNKS_LISTED chunks, and still reads the body whole', () => {
    const n = MAX_CHUNKS_LISTED + 5;
    const r = resps(run(conn(), [c2s('GET / HTTP/1.1\r\n\r\n'), s2c(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${'1\r\nx\r\n'.repeat(n)}0\r\n\r\n`)]))[0]!;
    expect(r.chunks).toHaveLength(MAX_CHUNKS_LISTED);
    expect(r).toMatchObject({ bodyLen: n, complete: true });
  });
});

describe('HTTP bodies kept (maxBodyKept)', () => {
  it('keeps each body up to the bound, chunk coding removed, and takes no body unseen while it does', () => {
    const got: HttpResponse[] = [];
    const handler = { httpResponse: (r: HttpResponse) => got.push(r) };
    const kept = new HttpConnection(handler, { maxBodyKept: 6 });
    kept.client.push(enc('GET / HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n'), 1, 0);
    kept.server.push(enc('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n'), 2, 0);
    // Kept bodies must be read: skipBody declines, so the bytes come through push.
    expect(kept.server.skipBody(4, 3, 0)).toBe(false);
    kept.server.push(enc('0123456789'), 3, 0);
    kept.server.push(enc('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n'), 4, 0);
    expect(got.map((r) => [new TextDecoder().decode(r.body), r.bodyLen])).toEqual([['012345', 10], ['abcde', 5]]);
    // Not kept: no body, and body bytes can be counted without being read.
    const counted = new HttpConnection(handler);
    counted.client.push(enc('GET / HTTP/1.1\r\n\r\n'), 1, 0);
    counted.server.push(enc('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n'), 2, 0);
    expect(counted.server.skipBody(10, 3, 0)).toBe(true);
    expect(got[2]).toMatchObject({ bodyLen: 10, body: undefined });
  });
});

describe('HTTP lines across pushes on many connections at once', () => {
  it('keeps each connection its own line while buffers are lent between them', () => {
    const a = recorder();
    const b = recorder();
    const ca = new HttpConnection(a.handler);
    const cb = new HttpConnection(b.handler);
    const long = 'v'.repeat(5000); // longer than a lent buffer: made for the line, not kept
    // Every header line is cut, and the two connections' pieces alternate.
    const pieces: [HttpConnection, string][] = [
      [ca, 'GET /a HTTP/1.1\r\nHost: aa'],
      [cb, 'GET /b HTTP/1.1\r\nHost: bb'],
      [ca, 'aa\r\nUser-Agent: ua'],
      [cb, 'bb\r\nUser-Agent: ub'],
      [cb, 'ub\r\nX-Long: ' + long.slice(0, 2500)],
      [ca, 'ua\r\nX-Long: ' + long.slice(0, 100)],
      [cb, long.slice(2500) + '\r\n\r\n'],
      [ca, long.slice(100) + '\r\n\r\nGET /a2 HTTP/1.1\r\nHost: a'],
      [cb, 'GET /b2 HTTP/1.1\r\nHost: b'],
      [ca, '2\r\n\r\n'],
      [cb, '2\r\n\r\n'],
    ];
    pieces.forEach(([c, s], i) => c.client.push(enc(s), i + 1, i + 1));
    const seen = (rec: typeof a.rec) => rec.events.filter((e) => e[0] === 'httpRequest').map((e) => e[1] as unknown as HttpRequest);
    expect(seen(a.rec).map((q) => [q.uri, q.host, q.userAgent, q.headers.find((h) => h.name === 'X-Long')?.value.length])).toEqual([
      ['/a', 'aaaa', 'uaua', 5000],
      ['/a2', 'a2', undefined, undefined],
    ]);
    expect(seen(b.rec).map((q) => [q.uri, q.host, q.userAgent, q.headers.find((h) => h.name === 'X-Long')?.value.length])).toEqual([
      ['/b', 'bbbb', 'ubub', 5000],
      ['/b2', 'b2', undefined, undefined],
    ]);
  });

  it('reads Host and Content-Type as folded (obs-fold), and the first Host when there are two', () => {
    const steps = [c2s('POST /f HTTP/1.1\r\nHost: one\r\n two\r\nHost: other\r\nContent-Type: text/plain;\r\n\tcharset=x\r\nContent-Length: 2\r\n\r\nok')];
    for (const allHeaders of [true, false]) {
      const q = reqs(expectSplitInvariant(conn({ allHeaders }), steps))[0]!;
      expect(q).toMatchObject({ host: 'one two', contentType: 'text/plain; charset=x', contentLength: 2, bodyLen: 2, complete: true });
    }
  });
});

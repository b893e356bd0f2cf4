import { describe, expect, it } from 'vitest';
import { isEventStream, SseParser, WL_SSE_EVENT_TOO_LARGE, WL_SSE_GAP, type SseOptions } from '../../src/protocols/sse.js';
import { cat, enc, eventsOf, expectSplitInvariant, prng, recorder, run, type Step, type Target } from './harness.js';

const sse = (options?: SseOptions) => (): Target => {
  const { handler, rec } = recorder();
  const p = new SseParser(handler, options);
  return { sinks: { c2s: p, s2c: p }, rec };
};
const s = (x: string | Uint8Array): Step => ({ dir: 's2c', bytes: typeof x === 'string' ? enc(x) : x });
const events = (r: ReturnType<typeof run>) => eventsOf(r, 'sseEvent').map(({ event, id, data, retry }) => ({ event, id, data, ...(retry !== undefined ? { retry } : {}) }));

describe('SSE event stream interpretation (WHATWG HTML §9.2.6)', () => {
  it('dispatches on blank lines: multi-line data, event, id persisting, retry, comments', () => {
    const r = expectSplitInvariant(sse(), [
      s(': hello comment\n\ndata: YHOO\ndata: +2\ndata: 10\n\nevent: add\nid: 1\ndata:73857293\n\nretry: 1500\ndata\n'),
      s('\ndata:  two spaces\nid\n\n'),
    ]);
    expect(events(r)).toEqual([
      { event: 'message', id: '', data: 'YHOO\n+2\n10' },
      { event: 'add', id: '1', data: '73857293' },
      { event: 'message', id: '1', data: '', retry: 1500 },
      { event: 'message', id: '', data: ' two spaces' },
    ]);
    expect(eventsOf(r, 'sseComment')).toMatchObject([{ text: ' hello comment' }]);
    expect(eventsOf(r, 'sseEvent').map((e) => [e['index'], e['firstFrame'], e['frame']])).toEqual([[0, 1, 1], [1, 1, 1], [2, 1, 2], [3, 2, 2]]);
  });

  it('accepts CR, LF and CRLF line endings, a leading BOM, and a CRLF split across pushes', () => {
    const r = expectSplitInvariant(sse(), [s(cat(Uint8Array.of(0xef, 0xbb, 0xbf), enc('data: a\r\rdata: b\r\n\r\ndata: c\n\ndata: d\r'))), s('\ndata: e\r\n\r\n')]);
    expect(events(r).map((e) => e.data)).toEqual(['a', 'b', 'c', 'd\ne']);
  });

  it('ignores an id with NUL, a non-numeric retry, unknown fields; dispatches nothing without data', () => {
    const r = expectSplitInvariant(sse({ lastEventId: 'start' }), [s('id: a\0b\nretry: 10x\nfoo: bar\nevent: e\n\nid: 9\n\ndata: x\n\n')]);
    expect(events(r)).toEqual([{ event: 'message', id: '9', data: 'x' }]);
  });

  it('starts from a reconnect Last-Event-ID and discards an unfinished event at the end', () => {
    const r = run(sse({ lastEventId: '41' }), [s('data: x\n\ndata: never'), s('\n'), { dir: 's2c', end: true }, s('data: late\n\n')]);
    expect(events(r)).toEqual([{ event: 'message', id: '41', data: 'x' }]);
  });

  it('decodes UTF-8 split across pushes and replaces invalid bytes', () => {
    const r = expectSplitInvariant(sse(), [s('data: h\u00e9llo \u{1f600}\n'), s(cat(enc('data: '), Uint8Array.of(0xff), enc('\n\n')))]);
    expect(events(r)[0]!.data).toBe('h\u00e9llo \u{1f600}\n\ufffd');
  });

  it('bounds an event and marks it', () => {
    const r = expectSplitInvariant(sse({ maxEventSize: 32 }), [s(`data: ${'x'.repeat(40)}\ndata: y\n\ndata: ok\n\n`)]);
    const ev = eventsOf(r, 'sseEvent');
    expect(ev[0]).toMatchObject({ problem: { code: WL_SSE_EVENT_TOO_LARGE } });
    expect(ev[1]).toMatchObject({ data: 'ok' });
    expect(ev[1]!['problem']).toBeUndefined();
  });

  it('drops the line a gap cut and marks its event', () => {
    const r = run(sse(), [s('data: a\ndata: b'), { dir: 's2c', gap: 5 }, s('lost\ndata: c\n\ndata: d\n\n')]);
    expect(eventsOf(r, 'sseEvent')).toMatchObject([{ data: 'a\nc', problem: { code: WL_SSE_GAP } }, { data: 'd' }]);
  });

  it('recognises the media type', () => {
    expect(isEventStream('text/event-stream')).toBe(true);
    expect(isEventStream('Text/Event-Stream ; charset=utf-8')).toBe(true);
    expect(isEventStream('text/plain')).toBe(false);
    expect(isEventStream(undefined)).toBe(false);
  });

  it('never throws on random bytes', () => {
    const rnd = prng(9);
    for (let i = 0; i < 300; i++) {
      const b = new Uint8Array(Math.floor(rnd() * 200));
      for (let k = 0; k < b.length; k++) b[k] = rnd() < 0.3 ? [10, 13, 58, 32][Math.floor(rnd() * 4)]! : Math.floor(rnd() * 256);
      expect(() => run(sse({ maxEventSize: 50 }), [s(b.subarray(0, 50)), { dir: 's2c', gap: 2 }, s(b.subarray(50)), { dir: 's2c', end: true }])).not.toThrow();
    }
  });
});

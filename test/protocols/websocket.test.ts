import { constants as zconst, createDeflateRaw, deflateRawSync, type DeflateRaw } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  acceptedDeflate,
  emitWsFrame,
  parseExtensions,
  WebSocketConnection,
  WL_WS_CLOSE_PAYLOAD,
  WL_WS_CONTROL_FRAME,
  WL_WS_DECOMPRESSED_TOO_LARGE,
  WL_WS_FRAGMENTATION,
  WL_WS_GAP,
  WL_WS_INVALID_UTF8,
  WL_WS_LENGTH,
  WL_WS_LOST_SYNC,
  WL_WS_MASK,
  WL_WS_MESSAGE_TOO_LARGE,
  WL_WS_OPCODE,
  WL_WS_RSV,
  WsOpcode,
  type WebSocketOptions,
} from '../../src/protocols/websocket.js';
import { HttpConnection } from '../../src/protocols/http.js';
import { cat, enc, eventsOf, expectSplitInvariant, feedSegments, haveTraces, prng, recorder, run, tcpSegments, tshark, type Step, type Target } from './harness.js';

const ws = (options?: WebSocketOptions) => (): Target => {
  const { handler, rec } = recorder();
  const c = new WebSocketConnection(handler, options);
  return { sinks: { c2s: c.client, s2c: c.server }, rec };
};
const c2s = (b: Uint8Array): Step => ({ dir: 'c2s', bytes: b });
const s2c = (b: Uint8Array): Step => ({ dir: 's2c', bytes: b });
const KEY = 0x37fa213d;

describe('WebSocket frames (RFC 6455 §5)', () => {
  it('round-trips the RFC 6455 §5.7 examples through emitWsFrame', () => {
    // §5.7: a single-frame unmasked text message "Hello" and the masked one.
    expect(Array.from(emitWsFrame({ opcode: 1, payload: enc('Hello') }))).toEqual([0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
    expect(Array.from(emitWsFrame({ opcode: 1, maskingKey: KEY, payload: enc('Hello') }))).toEqual([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
    // §5.7: 256 bytes binary in a 16-bit length, 64 KiB in a 64-bit length.
    expect(Array.from(emitWsFrame({ opcode: 2, payload: new Uint8Array(256) }).subarray(0, 4))).toEqual([0x82, 0x7e, 0x01, 0x00]);
    expect(Array.from(emitWsFrame({ opcode: 2, payload: new Uint8Array(65536) }).subarray(0, 10))).toEqual([0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0]);
  });

  it('parses 7/16/64-bit lengths, masking, fragmentation with interleaved control frames, ping/pong and close', () => {
    // The 64-bit form on a small payload keeps the every-split run short (§5.2 wants the minimal form; readers accept any).
    const big = new Uint8Array(400).map((_, i) => i & 0xff);
    const steps: Step[] = [
      s2c(cat(
        emitWsFrame({ opcode: 1, fin: false, payload: enc('Hel') }),
        emitWsFrame({ opcode: 9, payload: enc('p1') }),
        emitWsFrame({ opcode: 0, fin: false, payload: enc('lo ') }),
        emitWsFrame({ opcode: 0, payload: enc('w\u00f6rld') }),
      )),
      c2s(cat(emitWsFrame({ opcode: 10, maskingKey: KEY, payload: enc('p1') }), emitWsFrame({ opcode: 2, maskingKey: 0x01020304, payload: big.subarray(0, 300) }))),
      s2c(emitWsFrame({ opcode: 2, payload: big, lengthForm: 64 })),
      c2s(emitWsFrame({ opcode: 8, maskingKey: KEY, payload: cat(Uint8Array.of(0x03, 0xe8), enc('bye')) })),
      s2c(emitWsFrame({ opcode: 8, payload: Uint8Array.of(0x03, 0xe8) })),
    ];
    const r = expectSplitInvariant(ws(), steps);
    const frames = eventsOf(r, 'wsFrame');
    expect(frames.map((f) => [f['dir'], f['opcode'], f['fin'], f['masked'], f['lengthCode'], f['payloadLength']])).toEqual([
      ['s2c', 1, false, false, 3, 3],
      ['s2c', 9, true, false, 2, 2],
      ['s2c', 0, false, false, 3, 3],
      ['s2c', 0, true, false, 6, 6],
      ['c2s', 10, true, true, 2, 2],
      ['c2s', 2, true, true, 126, 300],
      ['s2c', 2, true, false, 127, 400],
      ['c2s', 8, true, true, 5, 5],
      ['s2c', 8, true, false, 2, 2],
    ]);
    expect(frames.every((f) => f['problem'] === undefined)).toBe(true);
    const msgs = eventsOf(r, 'wsMessage');
    expect(msgs.map((m) => [m['dir'], m['opcode'], m['text'], m['bytes'], m['frames'], m['frame']])).toEqual([
      ['s2c', 1, 'Hello w\u00f6rld', 12, 3, 1],
      ['c2s', 2, undefined, 300, 1, 2],
      ['s2c', 2, undefined, 400, 1, 3],
    ]);
    expect((msgs[1]!['data'] as number[]).slice(0, 4)).toEqual([0, 1, 2, 3]);
    expect(eventsOf(r, 'wsPong')).toMatchObject([{ dir: 'c2s', pingFrame: 1, frame: 2 }]);
    expect(eventsOf(r, 'wsClose')).toMatchObject([{ dir: 'c2s', closeCode: 1000, closeReason: 'bye' }, { dir: 's2c', closeCode: 1000, closeReason: '' }]);
  });

  it('marks rule breaks without losing the framing', () => {
    const r = expectSplitInvariant(ws(), [
      s2c(cat(
        emitWsFrame({ opcode: 3, payload: enc('x') }),
        emitWsFrame({ opcode: 1, rsv: 4, payload: enc('y') }),
        emitWsFrame({ opcode: 9, payload: new Uint8Array(126) }),
        emitWsFrame({ opcode: 9, fin: false, payload: enc('z') }),
        emitWsFrame({ opcode: 0, payload: enc('c') }),
        emitWsFrame({ opcode: 1, maskingKey: 5, payload: enc('m') }),
        emitWsFrame({ opcode: 1, payload: Uint8Array.of(0xc3, 0x28) }),
        emitWsFrame({ opcode: 1, fin: false, payload: enc('a') }),
        emitWsFrame({ opcode: 1, payload: enc('b') }),
        emitWsFrame({ opcode: 8, payload: Uint8Array.of(3) }),
      )),
      c2s(emitWsFrame({ opcode: 1, payload: enc('unmasked') })),
    ]);
    expect(eventsOf(r, 'wsFrame').map((f) => (f['problem'] as { code: string } | undefined)?.code)).toEqual([
      WL_WS_OPCODE, WL_WS_RSV, WL_WS_CONTROL_FRAME, WL_WS_CONTROL_FRAME, WL_WS_FRAGMENTATION, WL_WS_MASK, undefined, undefined, WL_WS_FRAGMENTATION, WL_WS_CLOSE_PAYLOAD, WL_WS_MASK,
    ]);
    const msgs = eventsOf(r, 'wsMessage');
    expect(msgs.find((m) => (m['data'] as number[])[0] === 0xc3)).toMatchObject({ problem: { code: WL_WS_INVALID_UTF8 } });
    expect(msgs.filter((m) => (m['problem'] as { code: string } | undefined)?.code === WL_WS_FRAGMENTATION).length).toBeGreaterThan(0);
  });

  it('bounds a message and skips missing payload bytes; a gap in a header loses the framing', () => {
    const r = run(ws({ maxMessageSize: 10 }), [s2c(emitWsFrame({ opcode: 2, payload: new Uint8Array(50) })), s2c(emitWsFrame({ opcode: 1, payload: enc('ok') }))]);
    expect(eventsOf(r, 'wsMessage')).toMatchObject([{ bytes: 50, problem: { code: WL_WS_MESSAGE_TOO_LARGE } }, { text: 'ok' }]);
    expect((eventsOf(r, 'wsMessage')[0]!['data'] as number[]).length).toBe(10);
    const f = emitWsFrame({ opcode: 2, payload: new Uint8Array(20) });
    const g = run(ws(), [s2c(f.subarray(0, 5)), { dir: 's2c', gap: 10 }, s2c(f.subarray(15)), s2c(emitWsFrame({ opcode: 1, payload: enc('next') })), s2c(f.subarray(0, 1)), { dir: 's2c', gap: 1 }, s2c(enc('tail'))]);
    expect(eventsOf(g, 'wsMessage')).toMatchObject([{ bytes: 20, problem: { code: WL_WS_GAP } }, { text: 'next' }]);
    expect(eventsOf(g, 'wsLostSync')).toMatchObject([{ dir: 's2c', problem: { code: WL_WS_LOST_SYNC } }]);
    expect(g.pieces['wsRaw:s2c']).toEqual(Array.from(enc('tail')));
    const huge = run(ws(), [s2c(Uint8Array.of(0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 1, 9, 9))]);
    expect(eventsOf(huge, 'wsLostSync')).toMatchObject([{ problem: { code: WL_WS_LENGTH } }]);
  });

  it('never throws on random bytes', () => {
    const rnd = prng(6);
    for (let i = 0; i < 300; i++) {
      const b = new Uint8Array(Math.floor(rnd() * 400)).map(() => Math.floor(rnd() * 256));
      const cut = Math.floor(rnd() * b.length);
      const opts = i % 2 ? { deflate: acceptedDeflate('permessage-deflate')! } : {};
      expect(() => run(ws(opts), [s2c(b.subarray(0, cut)), c2s(b), { dir: 's2c', gap: 2 }, s2c(b.subarray(cut)), { dir: 's2c', end: true }, { dir: 'c2s', end: true }])).not.toThrow();
    }
  });
});

/** Compresses messages as a permessage-deflate sender does: sync flush, 00 00 ff ff removed. */
async function deflateMessages(messages: string[], takeover: boolean): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  let d: DeflateRaw | undefined;
  for (const m of messages) {
    if (!takeover) {
      out.push(deflateRawSync(enc(m), { finishFlush: zconst.Z_SYNC_FLUSH }).subarray(0, -4));
      continue;
    }
    d ??= createDeflateRaw();
    const chunks: Buffer[] = [];
    const onData = (c: Buffer) => chunks.push(c);
    d.on('data', onData);
    d.write(enc(m));
    await new Promise<void>((res) => d!.flush(zconst.Z_SYNC_FLUSH, () => res()));
    d.off('data', onData);
    const all = Buffer.concat(chunks);
    out.push(all.subarray(0, all.length - 4));
  }
  return out;
}

describe('permessage-deflate (RFC 7692)', () => {
  it('reads the negotiated parameters', () => {
    expect(parseExtensions('permessage-deflate; client_max_window_bits, x-foo; a="b"')).toEqual([
      { name: 'permessage-deflate', params: { client_max_window_bits: true } },
      { name: 'x-foo', params: { a: 'b' } },
    ]);
    expect(acceptedDeflate('permessage-deflate; server_no_context_takeover; client_max_window_bits=15')).toEqual({ serverNoContextTakeover: true, clientNoContextTakeover: false, clientMaxWindowBits: 15 });
    expect(acceptedDeflate('x-webkit-deflate-frame')).toBeUndefined();
  });

  it('inflates with context takeover (window carried between messages) and without', async () => {
    const texts = ['the quick brown fox', 'the quick brown fox jumps over', 'the quick brown fox jumps over the lazy dog'];
    const withCtx = await deflateMessages(texts, true);
    const fragmented = withCtx[2]!;
    const steps: Step[] = [
      s2c(emitWsFrame({ opcode: 1, rsv: 4, payload: withCtx[0]! })),
      s2c(emitWsFrame({ opcode: 1, rsv: 4, payload: withCtx[1]! })),
      s2c(cat(emitWsFrame({ opcode: 1, rsv: 4, fin: false, payload: fragmented.subarray(0, 4) }), emitWsFrame({ opcode: 0, payload: fragmented.subarray(4) }))),
      s2c(emitWsFrame({ opcode: 1, payload: enc('plain') })),
    ];
    const r = expectSplitInvariant(ws({ deflate: acceptedDeflate('permessage-deflate')! }), steps);
    expect(eventsOf(r, 'wsMessage').map((m) => [m['text'], m['compressed']])).toEqual([...texts.map((t) => [t, true]), ['plain', false]]);
    expect(eventsOf(r, 'wsFrame').map((f) => f['rsv'])).toEqual([4, 4, 4, 0, 0]);

    const noCtx = await deflateMessages(texts, false);
    const r2 = run(ws({ deflate: acceptedDeflate('permessage-deflate; server_no_context_takeover')! }), noCtx.map((p) => s2c(emitWsFrame({ opcode: 1, rsv: 4, payload: p }))));
    expect(eventsOf(r2, 'wsMessage').map((m) => m['text'])).toEqual(texts);
  });

  it('bounds the inflated size', async () => {
    const [bomb] = await deflateMessages(['a'.repeat(100000)], false);
    const r = run(ws({ deflate: acceptedDeflate('permessage-deflate')!, maxMessageSize: 1000 }), [s2c(emitWsFrame({ opcode: 1, rsv: 4, payload: bomb! }))]);
    expect(eventsOf(r, 'wsMessage')).toMatchObject([{ problem: { code: WL_WS_DECOMPRESSED_TOO_LARGE } }]);
  });
});

describe.skipIf(!haveTraces)('WebSocket corpus against tshark', () => {
  for (const file of ['websocket_fragmented_ping_pong_close.pcap', 'websocket_permessage_deflate_rsv1.pcap', 'websocket_wstunnel_ssh_masked_binary.pcap']) {
    it(file, async () => {
      const segs = await tcpSegments(file);
      const rec = recorder();
      const conns = new Map<number, HttpConnection>();
      const streamOf = new Map<object, number>();
      feedSegments(segs, (stream) => {
        let c = conns.get(stream);
        if (!c) conns.set(stream, (c = new HttpConnection(rec.handler)));
        streamOf.set(c, stream);
        return { c2s: c.client, s2c: c.server };
      });
      const ours = eventsOf(rec.rec, 'wsFrame').map((f) => {
        const ext16 = f['lengthCode'] === 126 ? String(f['payloadLength']) : '';
        return [String(f['frame']), f['fin'] ? '1' : '0', `0x${(f['rsv'] as number).toString(16).padStart(2, '0')}`, String(f['opcode']), f['masked'] ? '1' : '0', String(f['lengthCode']), ext16];
      });
      // tshark lists the frames of one segment on one row, comma-separated: spread them.
      const theirs = tshark(file, 'websocket', ['frame.number', 'websocket.fin', 'websocket.rsv', 'websocket.opcode', 'websocket.mask', 'websocket.payload_length', 'websocket.payload_length_ext_16']).flatMap((row) => {
        const cols = row.map((c) => c.split(','));
        return cols[1]!.map((_, i) => [row[0]!, ...cols.slice(1, 6).map((c) => c[i]!), ...(row[5]!.split(',')[i] === '126' ? [cols[6]!.shift()!] : [''])]);
      });
      expect(ours).toEqual(theirs);
      for (const [, ev] of rec.rec.events) expect(ev['problem']).toBeUndefined();
      if (file.includes('deflate')) {
        const texts = tshark(file, 'websocket', ['websocket.payload.text']).map((r) => r[0]);
        expect(eventsOf(rec.rec, 'wsMessage').map((m) => m['text'])).toEqual(texts);
        expect(eventsOf(rec.rec, 'httpUpgrade')).toMatchObject([{ websocket: { acceptValid: true, deflate: { clientMaxWindowBits: 15 } } }]);
      }
      if (file.includes('fragmented')) {
        expect(eventsOf(rec.rec, 'wsMessage').map((m) => [m['opcode'], m['frames'], m['bytes'], m['frame']])).toEqual([[2, 1, 35, 11], [2, 5, 56, 13]]);
        expect(eventsOf(rec.rec, 'wsPong')).toMatchObject([{ pingFrame: 8, frame: 10 }]);
        expect(eventsOf(rec.rec, 'wsClose').map((c) => [c['frame'], c['closeCode']])).toEqual([[14, 1000], [15, 1000]]);
        expect(eventsOf(rec.rec, 'httpUpgrade')).toMatchObject([{ websocket: { acceptValid: true } }]);
      }
    });
  }
});

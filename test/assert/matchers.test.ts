/**
 * Each vitest matcher with a trace that satisfies it and one that violates it; a violation's
 * message must say what was expected, what was found and draw the frames.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import '../../src/assert/vitest.js';
import { openTrace, type Trace } from '../../src/index.js';
import { runScenario } from '../../src/sim/index.js';

const LOOPBACK = resolve(import.meta.dirname, '../../traces/http-get-loopback.pcapng');
const REAL = resolve(import.meta.dirname, '../../../shared/traces/real');
const haveCorpus = existsSync(REAL);
if (!haveCorpus) console.warn(`SKIPPED: matcher corpus tests need ${REAL}`);

/** The assertion's error message (it must throw). */
function failure(fn: () => void): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('the assertion passed but should have failed');
}

let loop: Trace;
let lossy: Trace;
beforeAll(async () => {
  loop = await openTrace(LOOPBACK);
  lossy = await openTrace(runScenario('lossy-transfer').bytes!);
});

describe('matchers on the loopback trace and a synthesised lossy transfer', () => {
  it('toHaveNoRetransmissions / toHaveRetransmissions', () => {
    expect(loop).toHaveNoRetransmissions();
    expect(lossy).toHaveRetransmissions();
    expect(lossy).toHaveRetransmissions({ min: 1, max: 1000 });
    const m = failure(() => expect(lossy).toHaveNoRetransmissions());
    expect(m).toMatch(/^expected trace \S+ to have no TCP retransmission\(s\)/);
    expect(m).toMatch(/found: \d+ retransmission\(s\): #\d+ /);
    expect(m).toContain('Retransmission');
    const m2 = failure(() => expect(loop).toHaveRetransmissions({ min: 1 }));
    expect(m2).toContain('to have at least 1 TCP retransmission(s)');
    expect(m2).toContain('found: no segment was retransmitted');
    expect(failure(() => expect(lossy).toHaveRetransmissions({ max: 2 }))).toContain('to have at most 2 TCP retransmission(s)');
  });

  it('toHaveCompletedHandshake', () => {
    expect(loop).toHaveCompletedHandshake();
    expect(loop.tcp.connections()[1]).toHaveCompletedHandshake();
    const m = failure(() => expect(loop).not.toHaveCompletedHandshake());
    expect(m).toMatch(/^expected trace \S+ not to complete its TCP handshake/);
    expect(m).toContain('all 2 TCP connections did');
    expect(m).toContain('(handshake 1/3)');
  });

  it('toHaveClosedGracefully', () => {
    expect(loop).toHaveClosedGracefully();
    expect(loop).toHaveClosedGracefully({ by: 'client' });
    const m = failure(() => expect(loop.tcp.connections()[0]).toHaveClosedGracefully({ by: 'server' }));
    expect(m).toContain('expected tcp.stream 0 (127.0.0.1:35354 → 127.0.0.1:8080) to close gracefully (FIN both ways, no RST, first FIN from the server)');
    expect(m).toContain('found: tcp.stream 0 (127.0.0.1:35354 → 127.0.0.1:8080) is SF, history ShADadFf, closed by client');
    expect(m).toContain('FIN: client has nothing more to send');
  });

  it('toHaveHistory', () => {
    expect(loop).toHaveHistory('ShADadFf');
    expect(loop.tcp.connections()[0]).toHaveHistory(/^ShAD/);
    const m = failure(() => expect(lossy).toHaveHistory('ShADadFf'));
    expect(m).toContain('to have Zeek history "ShADadFf"');
    expect(m).toContain('history ShADaTFf');
  });

  it('toHaveBeenReset', () => {
    expect(loop).not.toHaveBeenReset();
    const m = failure(() => expect(loop).toHaveBeenReset());
    expect(m).toContain('to be reset');
    expect(m).toContain('found: no connection saw a RST');
  });

  it('toHaveHttpExchange', () => {
    expect(loop).toHaveHttpExchange({ method: 'GET', uri: '/index.html', status: 200 });
    expect(loop).toHaveHttpExchange({ uri: /^\/ab/ });
    expect(loop.tcp.connections()[1]).toHaveHttpExchange({ uri: '/about' });
    expect(loop.tcp.connections()[1]).not.toHaveHttpExchange({ uri: '/index.html' });
    const m = failure(() => expect(loop).toHaveHttpExchange({ uri: '/missing', status: 404 }));
    expect(m).toContain('to have an HTTP exchange /missing → 404');
    expect(m).toContain('found: the exchanges were: GET /index.html → 200 OK (tcp.stream 0); GET /about → 200 OK (tcp.stream 1)');
    expect(m).toContain('GET /index.html');
  });

  it('toMatchFilter', () => {
    expect(loop).toMatchFilter('http.request.method == "GET"', { count: 2 });
    expect(loop).toMatchFilter('tcp.flags.fin == 1', { count: 4 });
    expect(loop.tcp.connections()[0]).toMatchFilter('tcp.flags.fin == 1', { count: 2 });
    const m = failure(() => expect(loop).toMatchFilter('tcp.flags.syn == 1', { max: 2 }));
    expect(m).toContain('to have at most 2 packet(s) matching "tcp.flags.syn == 1"');
    expect(m).toMatch(/found: 4 matched: #1 35354 → 8080 \[SYN\]/);
    expect(failure(() => expect(loop).toMatchFilter('dns'))).toContain('found: no packet matched');
    expect(() => expect(loop).toMatchFilter('tcp.flags.bogus')).toThrow(/neither a field nor a protocol/);
  });

  it('toCompleteWithin', () => {
    expect(loop).toCompleteWithin(1);
    expect(loop.tcp.connections()[0]).toCompleteWithin(0.01);
    expect(loop.http.exchanges()[0]).toCompleteWithin(0.005);
    const m = failure(() => expect(loop.http.exchanges()[0]).toCompleteWithin(0.001));
    expect(m).toContain('expected HTTP exchange GET /index.html to complete within 0.001 s');
    expect(m).toContain('found: GET /index.html was answered in 0.00375 s');
    expect(failure(() => expect(lossy).toCompleteWithin(1))).toMatch(/found: the capture spans 7\.\d+ s/);
  });

  it('rejects subjects that are not traces', () => {
    expect(() => expect(42).toHaveCompletedHandshake()).toThrow(/needs a Trace/);
  });
});

describe.skipIf(!haveCorpus)('matchers on the shared corpus', () => {
  it('toHaveBeenReset on an injected RST, by the server', async () => {
    const rst = await openTrace(`${REAL}/tcp_rst_injection.pcap`);
    expect(rst).toHaveBeenReset();
    expect(rst).toHaveBeenReset({ by: 'server' });
    const m = failure(() => expect(rst).toHaveBeenReset({ by: 'client' }));
    expect(m).toContain('to be reset by the client');
    expect(m).toContain('was reset by the server, not the client');
    expect(m).toContain('RST: the server aborts the connection');
    expect(failure(() => expect(rst).toHaveClosedGracefully())).toContain('is REJ, history SrhADa, reset by server');
  });

  it('toHaveClosedGracefully and retransmission frames on real captures', async () => {
    const get = await openTrace(`${REAL}/pcap_le_usec_eth_http_get_fin.pcap`);
    expect(get).toHaveClosedGracefully({ by: 'client' });
    expect(get).toHaveHttpExchange({ method: 'GET', uri: '/download/CHANGES.bro-aux.txt', status: 200 });
    const sack = await openTrace(`${REAL}/tcp_sack_fast_retransmit.pcap`);
    expect(sack).toHaveRetransmissions({ count: 3 });
    const m = failure(() => expect(sack).toHaveNoRetransmissions());
    expect(m).toContain('found: 3 retransmission(s): #32 ');
    expect(m).toMatch(/\b32 +\d+\.\d+ /);
  });

  it('toHaveWebSocketMessage: data and the close code', async () => {
    const ws = await openTrace(`${REAL}/websocket_fragmented_ping_pong_close.pcap`);
    expect(ws).toHaveWebSocketMessage({ opcode: 2, dir: 's2c' });
    expect(ws).toHaveWebSocketMessage({ closeCode: 1000 });
    expect(ws).toHaveWebSocketMessage({ opcode: 9 });
    const m = failure(() => expect(ws).toHaveWebSocketMessage({ closeCode: 1011 }));
    expect(m).toContain('to have a WebSocket message (close, code 1011)');
    expect(m).toContain('c2s close 1000 (frame 14); s2c close 1000 (frame 15)');
    expect(failure(() => expect(ws).toHaveWebSocketMessage({ text: 'hello' }))).toContain('to have a WebSocket message ("hello")');
  });
});

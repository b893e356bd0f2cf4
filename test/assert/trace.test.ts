/**
 * The trace query API on the repo's loopback trace, synthesised traces and the shared corpus
 * (frame numbers cross-checked with tshark 4.0.17: `-Y tcp.analysis.retransmission` on
 * tcp_sack_fast_retransmit.pcap gives 32 34 36; `-Y websocket.opcode==8` on the WebSocket file gives
 * 14 and 15 with status 1000).
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openTrace } from '../../src/index.js';
import { readCaptureFile } from '../../src/capture/reader.js';
import { runScenario } from '../../src/sim/index.js';
import { FilterError } from '../../src/filter/index.js';

const LOOPBACK = resolve(import.meta.dirname, '../../traces/http-get-loopback.pcapng');
const REAL = resolve(import.meta.dirname, '../../../shared/traces/real');
const haveCorpus = existsSync(REAL);
if (!haveCorpus) console.warn(`SKIPPED: trace corpus tests need ${REAL}`);

describe('openTrace on the loopback HTTP trace', () => {
  it('lists connections with Zeek state, handshake, close and counts', async () => {
    const trace = await openTrace(LOOPBACK);
    const conns = trace.tcp.connections();
    expect(conns).toHaveLength(2);
    const c = conns[0]!;
    expect(c).toMatchObject({
      stream: 0,
      client: { ip: '127.0.0.1', port: 35354 },
      server: { ip: '127.0.0.1', port: 8080 },
      state: 'SF',
      history: 'ShADadFf',
      closedBy: 'client',
      retransmissions: [],
      bytes: { c2s: 88, s2c: 228 },
      packets: { c2s: 6, s2c: 4 },
      start: 0,
      frames: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    });
    expect(c.resetBy).toBeUndefined();
    expect(c.handshake).toMatchObject({ complete: true, clientIsn: 2995798301, serverIsn: 1203478572, mss: { client: 65495, server: 65495 }, windowScale: { client: 10, server: 10 }, sackPermitted: true });
    expect(c.handshake!.rtt).toBeCloseTo(0.000136226, 9);
    expect(c.duration).toBeCloseTo(0.005297418, 9);
    expect(trace.tcp.connection(1)?.start).toBeCloseTo(0.009664759, 9);
  });

  it('pairs HTTP requests with responses, with headers and latency', async () => {
    const trace = await openTrace(LOOPBACK);
    const [a, b] = trace.http.exchanges();
    expect(a!.request).toMatchObject({ method: 'GET', uri: '/index.html', version: 'HTTP/1.1', frame: 4 });
    expect(a!.request.headers[0]).toEqual({ name: 'Host', value: '127.0.0.1:8080' });
    expect(a!.response).toMatchObject({ status: 200, phrase: 'OK', frame: 6, contentType: 'text/html', bodyLength: 80 });
    expect(a!.response!.headers.find((h) => h.name === 'Connection')?.value).toBe('keep-alive');
    expect(a!.latency).toBeCloseTo(0.00375333, 8);
    expect(b!.request.uri).toBe('/about');
  });

  it('filters packets with display filters and reads fields', async () => {
    const trace = await openTrace(LOOPBACK);
    expect(trace.size).toBe(20);
    expect(trace.packets()).toHaveLength(20);
    const fins = trace.packets('tcp.flags.fin == 1');
    expect(fins.map((p) => p.number)).toEqual([8, 9, 18, 19]);
    const p = trace.packets('http.response.code == 200')[0]!;
    expect(p.number).toBe(6);
    expect(p.get('http.response.code')).toBe(200);
    expect(p.get('tcp.stream')).toBe(0);
    expect(p.get('no.such.field')).toBeUndefined();
    expect(p.getAll('ip.src')).toEqual(['127.0.0.1']);
    expect(p.has('http')).toBe(true);
    expect(p.has('dns')).toBe(false);
    expect(p.stream).toEqual({ proto: 'tcp', id: 0 });
    expect(p.layers.map((l) => l.proto)).toContain('http');
    expect(p.explanation.explanations[0]!.code).toBe('WL_EXPLAIN_HTTP_RESPONSE');
    expect(p.info).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(p.summary).toMatch(/^\s+6\s+0\.003928 127\.0\.0\.1 → 127\.0\.0\.1 HTTP 294 HTTP\/1\.1 200 OK/);
    expect(() => trace.packets('tcp.flags.rst == 1')).toThrow(FilterError);
  });

  it('draws a ladder of chosen frames, with a note of what was left out', async () => {
    const trace = await openTrace(LOOPBACK);
    const text = trace.ladder([1, 2, 3, 8, 9, 10], { max: 4 });
    expect(text).toContain('SYN: client opens a connection');
    expect(text).toContain('teardown');
    expect(text).toContain('… 2 more packet(s) not shown');
  });

  it('opens bytes and frames as well as paths', async () => {
    const bytes = readFileSync(LOOPBACK);
    const fromBytes = await openTrace(new Uint8Array(bytes));
    expect(fromBytes.tcp.connections()).toHaveLength(2);
    const { frames } = await readCaptureFile(LOOPBACK);
    const fromFrames = await openTrace(frames);
    expect(fromFrames.http.exchanges()).toHaveLength(2);
    async function* gen() {
      yield* frames;
    }
    expect((await openTrace(gen())).size).toBe(20);
  });
});

describe('openTrace on synthesised traces', () => {
  it('sees the lossy transfer retransmit and the handshake scenario close cleanly', async () => {
    const lossy = await openTrace(runScenario('lossy-transfer').bytes!);
    const [c] = lossy.tcp.connections();
    expect(c!.retransmissions.length).toBeGreaterThan(0);
    expect(c!.retransmissions.length).toBe(lossy.packets('tcp.analysis.retransmission').length);
    expect(c!.history).toContain('T');
    const hs = await openTrace(runScenario('handshake').bytes!);
    expect(hs.tcp.connections()[0]).toMatchObject({ state: 'SF', closedBy: 'client', handshake: { complete: true } });
    expect(hs.expert('warn')).toEqual([]);
  });
});

describe.skipIf(!haveCorpus)('openTrace on the shared corpus', () => {
  it('websocket messages and close codes', async () => {
    const trace = await openTrace(`${REAL}/websocket_fragmented_ping_pong_close.pcap`);
    const ms = trace.websocket.messages();
    expect(ms.map((m) => [m.frame, m.dir, m.opcode])).toEqual([
      [8, 's2c', 9],
      [10, 'c2s', 10],
      [11, 'c2s', 2],
      [13, 's2c', 2],
      [14, 'c2s', 8],
      [15, 's2c', 8],
    ]);
    expect(ms[3]!.frames).toBe(5);
    expect(ms[4]!.closeCode).toBe(1000);
    expect(trace.http.exchanges()[0]!.response!.status).toBe(101);
  });

  it('dns transactions, tls hellos and udp flows', async () => {
    const trace = await openTrace(`${REAL}/tls13_curl_sni_dns_fin.pcap`);
    const dns = trace.dns.transactions();
    expect(dns.map((d) => [d.name, d.type, d.rcode, d.queryFrame, d.responseFrame])).toEqual([
      ['enabled.tls13.com', 'A', 0, 1, 3],
      ['enabled.tls13.com', 'AAAA', 0, 2, 4],
    ]);
    expect(dns[0]!.answers).toEqual(['104.16.125.34', '104.16.126.34']);
    expect(dns[0]!.latency).toBeCloseTo(0.002049, 6);
    const hellos = trace.tls.hellos();
    expect(hellos[0]).toMatchObject({ kind: 'client', sni: 'enabled.tls13.com', alpn: ['h2', 'http/1.1'], frame: 8 });
    expect(hellos[1]).toMatchObject({ kind: 'server', cipher: '0x1302' });
    expect(trace.udp.flows()[0]).toMatchObject({ server: { ip: '192.168.65.1', port: 53 }, state: 'SF', history: 'Dd', packets: { c2s: 2, s2c: 2 } });
  });

  it('retransmissions, resets and expert items', async () => {
    const sack = await openTrace(`${REAL}/tcp_sack_fast_retransmit.pcap`);
    const c = sack.tcp.connections()[0]!;
    expect(c.retransmissions.map((r) => r.frame)).toEqual([32, 34, 36]);
    expect(c).toMatchObject({ state: 'RSTO', resetBy: 'client' });
    expect(sack.expert('note').some((e) => e.code === 'WL_EXPLAIN_TCP_RETRANSMISSION' || e.code === 'WL_EXPLAIN_TCP_FAST_RETRANSMISSION')).toBe(true);
    const rst = await openTrace(`${REAL}/tcp_rst_injection.pcap`);
    expect(rst.tcp.connections()[0]).toMatchObject({ state: 'REJ', resetBy: 'server' });
  });
});

/**
 * Real traffic, made here and captured on loopback with tcpdump: a Node HTTP server with keep-alive
 * and chunked responses, an SSE endpoint, and a `ws` server and client exchanging fragmented
 * messages, ping/pong and close. Then `wirelens messages` (collectMessages) must report them.
 * Needs root and tcpdump; skipped with a message otherwise. Only 127.0.0.1, bounded in time.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, request, Agent, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { collectMessages } from '../../src/cli/messages.js';
import type { AppMessage } from '../../src/analysis/app.js';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const haveTcpdump = spawnSync('sh', ['-c', 'command -v tcpdump'], { stdio: 'ignore' }).status === 0;
if (!isRoot || !haveTcpdump) console.warn(`SKIPPED: test/analysis/app-loopback.test.ts needs root and tcpdump (root: ${isRoot}, tcpdump: ${haveTcpdump})`);

const dir = isRoot && haveTcpdump ? mkdtempSync(join(tmpdir(), 'wl-app-')) : '';
const PCAP = join(dir, 'app.pcap');
let messages: AppMessage[] = [];

function get(agent: Agent, port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.end();
  });
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function startTcpdump(ports: number[]): Promise<ChildProcess> {
  const filter = `host 127.0.0.1 and (${ports.map((p) => `tcp port ${p}`).join(' or ')})`;
  const child = spawn('tcpdump', ['-i', 'lo', '--immediate-mode', '-U', '-n', '-Z', 'root', '-s', '0', '-w', PCAP, filter], { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`tcpdump did not start: ${seen}`)), 10_000);
    child.stderr!.on('data', (b: Buffer) => {
      seen += b.toString();
      if (/listening on/.test(seen)) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.on('exit', (code) => reject(new Error(`tcpdump exited (${code}): ${seen}`)));
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => (child.kill('SIGKILL'), resolve()), 5_000);
    child.once('exit', () => (clearTimeout(t), resolve()));
    child.kill('SIGINT');
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!dir)('real HTTP, SSE and WebSocket traffic on loopback', () => {
  beforeAll(async () => {
    // HTTP: keep-alive; /chunked streams three writes with Transfer-Encoding: chunked; /sse is an event stream.
    const http = createServer((req, res) => {
      if (req.url === '/chunked') {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.write('first,');
        setTimeout(() => res.write('second,'), 20);
        setTimeout(() => res.end('third'), 40);
      } else if (req.url === '/sse') {
        res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
        const last = req.headers['last-event-id'];
        const from = last ? Number(last) + 1 : 1;
        res.write(': comment\n\n');
        res.write(`id: ${from}\nevent: tick\ndata: line one\ndata: line two\n\n`);
        setTimeout(() => res.end(`id: ${from + 1}\nretry: 1500\ndata: bye\n\n`), 30);
      } else {
        const body = 'hello ' + req.url;
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
        res.end(body);
      }
    });
    const httpPort = await listen(http);
    const wsHttp = createServer();
    const wss = new WebSocketServer({ server: wsHttp, perMessageDeflate: false });
    wss.on('connection', (sock) => {
      sock.on('message', (data, isBinary) => sock.send(isBinary ? data : `echo:${data.toString()}`, { binary: isBinary }));
    });
    const wsPort = await listen(wsHttp);
    const tcpdump = await startTcpdump([httpPort, wsPort]);
    await sleep(300);
    try {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      await get(agent, httpPort, '/index.html');
      await get(agent, httpPort, '/chunked');
      await get(agent, httpPort, '/again');
      agent.destroy();
      const sseAgent = new Agent({ keepAlive: false });
      await get(sseAgent, httpPort, '/sse');
      await get(sseAgent, httpPort, '/sse', { 'Last-Event-ID': '2' });
      await new Promise<void>((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${wsPort}/chat`, { perMessageDeflate: false });
        let replies = 0;
        ws.on('open', () => {
          ws.send('frag-', { fin: false });
          ws.send('ment', { fin: true });
          ws.ping('are you there');
          ws.send(Buffer.from([1, 2, 3, 4]), { binary: true });
        });
        ws.on('message', () => {
          if (++replies === 2) ws.close(1000, 'done here');
        });
        ws.on('close', () => resolve());
        ws.on('error', reject);
        setTimeout(() => reject(new Error('ws timeout')), 5000);
      });
      await sleep(500);
    } finally {
      await stop(tcpdump);
      wss.close();
      http.close();
      wsHttp.close();
    }
    expect(statSync(PCAP).size).toBeGreaterThan(24);
    messages = (await collectMessages(PCAP)).messages;
  }, 30_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const of = (proto: string, kind: string) => messages.filter((m) => m.proto === proto && m.kind === kind);

  it('pairs keep-alive requests with responses, one chunked', () => {
    const reqs = of('http', 'request').filter((m) => m['uri'] !== '/sse' && m['uri'] !== '/chat');
    expect(reqs.map((m) => [m['method'], m['uri'], m.dir])).toEqual([
      ['GET', '/index.html', 'c2s'],
      ['GET', '/chunked', 'c2s'],
      ['GET', '/again', 'c2s'],
    ]);
    // One keep-alive connection for the three.
    expect(new Set(reqs.map((m) => m.stream)).size).toBe(1);
    const resps = of('http', 'response').filter((m) => m.stream === reqs[0]!.stream);
    expect(resps.map((m) => [m['status'], m['body_len'], m['request_frame']])).toEqual(reqs.map((q) => [200, (q['uri'] === '/chunked' ? 'first,second,third' : `hello ${q['uri']}`).length, q.frame]));
    for (const r of resps) expect(r['latency']).toBeGreaterThanOrEqual(0);
    expect(resps[0]!['content_type']).toBe('text/html; charset=utf-8');
    expect(reqs.map((q) => q['response_frame'])).toEqual(resps.map((r) => r.frame));
  });

  it('reads the SSE events and links the reconnect to the event it resumes from', () => {
    const events = of('sse', 'event');
    expect(events.map((e) => [e['event'], e['id'], e['data'], e['retry']])).toEqual([
      ['tick', '1', 'line one\nline two', undefined],
      ['message', '2', 'bye', 1500],
      ['tick', '3', 'line one\nline two', undefined],
      ['message', '4', 'bye', 1500],
    ]);
    const reconnect = of('http', 'request').find((q) => q['last_event_id'] === '2')!;
    expect(reconnect['resumes_frame']).toBe(events[1]!.frame);
  });

  it('reports the WebSocket handshake, fragmented message, ping/pong and close', () => {
    expect(of('websocket', 'handshake')).toMatchObject([{ accept_valid: true, deflate: false }]);
    // Each direction in its own order: how the two interleave is the scheduler's business.
    const msgs = (dir: string) => of('websocket', 'message').filter((m) => m.dir === dir).map((m) => [m['opcode'], m['text'], m['frames']]);
    // Seen once in CI (2026-11-27): the server's binary echo missing. Should it recur, the message
    // says whether the capture has that frame (tshark's view of it) or wirelens missed it.
    const wire = spawnSync('tshark', ['-r', PCAP, '-T', 'fields', '-e', 'frame.number', '-e', 'tcp.srcport', '-e', 'tcp.len', '-e', 'tcp.analysis.flags', '-e', 'websocket.opcode'], { encoding: 'utf8' }).stdout;
    expect(msgs('c2s'), wire).toEqual([
      [1, 'frag-ment', 2],
      [2, undefined, 1],
    ]);
    expect(msgs('s2c'), wire).toEqual([
      [1, 'echo:frag-ment', 1],
      [2, undefined, 1],
    ]);
    const frames = of('websocket', 'frame').filter((f) => f.dir === 'c2s');
    expect(frames.every((f) => f['masked'] === true)).toBe(true);
    expect(frames.slice(0, 2).map((f) => [f['opcode'], f['fin']])).toEqual([[1, false], [0, true]]);
    const ping = of('websocket', 'ping')[0]!;
    expect(of('websocket', 'pong')).toMatchObject([{ dir: 's2c', ping_frame: ping.frame }]);
    expect(of('websocket', 'close').map((c) => [c.dir, c['close_code'], c['close_reason']])).toEqual([
      ['c2s', 1000, 'done here'],
      ['s2c', 1000, 'done here'],
    ]);
  });
});

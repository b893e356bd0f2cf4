/**
 * Example: test a service by what it does on the wire. A small HTTP + WebSocket server runs on
 * 127.0.0.1; withCapture records its loopback traffic with tcpdump while the test talks to it,
 * and the assertions read the capture: the two HTTP requests share one kept-alive connection,
 * that connection closes gracefully, and the WebSocket is closed with code 1000.
 *
 * Needs root (or CAP_NET_RAW) and tcpdump; otherwise the suite is skipped, and says so.
 * In your own project the imports are `from 'wirelens'` and `import 'wirelens/vitest'`.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { captureSupport, withCapture, type Trace } from '../../src/index.js';
import '../../src/assert/vitest.js';

const support = captureSupport();
if (!support.ok) console.warn(`SKIPPED: examples/service-test needs a live capture: ${support.reason}`);

describe.skipIf(!support.ok)('a service, asserted on the wire', () => {
  let server: http.Server;
  let wss: WebSocketServer;
  let port = 0;
  let trace: Trace;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const body = JSON.stringify({ path: req.url });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    wss = new WebSocketServer({ server });
    wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;

    trace = await withCapture(
      async () => {
        // Two requests through one keep-alive socket, then the client closes it.
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        for (const path of ['/health', '/items']) {
          const res = await new Promise<http.IncomingMessage>((resolve, reject) => http.get({ host: '127.0.0.1', port, path, agent }, resolve).on('error', reject));
          res.resume();
          await once(res, 'end');
        }
        agent.destroy();
        // A WebSocket round trip, closed normally (RFC 6455 §7.4.1: 1000).
        const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
        await once(ws, 'open');
        ws.send('hello');
        await once(ws, 'message');
        ws.close(1000, 'done');
        await once(ws, 'close');
      },
      { iface: 'lo', filter: `tcp port ${port}` },
    );
  });

  afterAll(async () => {
    wss?.close();
    server?.closeAllConnections?.();
    await new Promise((r) => server?.close(r));
  });

  it('reuses one kept-alive connection for both requests', () => {
    const exchanges = trace.http.exchanges().filter((x) => x.request.uri !== '/ws');
    expect(exchanges.map((x) => [x.request.uri, x.response?.status])).toEqual([
      ['/health', 200],
      ['/items', 200],
    ]);
    expect(new Set(exchanges.map((x) => x.stream)).size).toBe(1);
    expect(trace.tcp.connection(exchanges[0]!.stream)).toHaveHttpExchange({ method: 'GET', uri: '/items', status: 200 });
  });

  it('closes every connection gracefully, after a complete handshake, without retransmissions', () => {
    expect(trace).toHaveCompletedHandshake();
    expect(trace).toHaveClosedGracefully();
    expect(trace).not.toHaveBeenReset();
    expect(trace).toHaveNoRetransmissions();
    const http1 = trace.tcp.connection(trace.http.exchanges()[0]!.stream)!;
    expect(http1).toHaveClosedGracefully({ by: 'client' });
    expect(http1).toHaveHistory(/^ShAD.*F/);
  });

  it('echoes over WebSocket and closes with code 1000', () => {
    expect(trace).toHaveHttpExchange({ uri: '/ws', status: 101 });
    expect(trace).toHaveWebSocketMessage({ text: 'hello', dir: 'c2s' });
    expect(trace).toHaveWebSocketMessage({ text: 'hello', dir: 's2c' });
    expect(trace).toHaveWebSocketMessage({ closeCode: 1000, dir: 'c2s' });
    expect(trace).toMatchFilter('websocket.opcode == 8', { count: 2 });
  });
});

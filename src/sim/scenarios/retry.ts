/**
 * retry-storm: many clients call an overloaded server with a timeout and retry. With a fixed delay
 * (or plain exponential backoff) the clients that timed out together retry together, in bursts;
 * jitter ("full jitter": a delay uniform in [0, backoff)) spreads them out.
 */
import { formatDuration, ms } from '../clock.js';
import type { Network } from '../network.js';
import { num } from '../params.js';
import { text } from '../apps.js';
import type { TcpSocket } from '../tcp.js';
import { rttParam } from './basic.js';
import type { Scenario } from './index.js';

export const retryStorm: Scenario = {
  name: 'retry-storm',
  description: 'many clients, an overloaded server, timeouts and retries: fixed delay vs exponential backoff vs backoff with jitter',
  params: [
    { name: 'policy', kind: 'choice', default: 'fixed', choices: ['fixed', 'exponential', 'jitter'], help: 'retry delay: fixed, exponential backoff, exponential backoff with full jitter' },
    { name: 'clients', kind: 'int', default: 12, min: 1, max: 500, help: 'number of clients' },
    rttParam(10),
    { name: 'service', kind: 'duration', default: ms(40), min: ms(1), max: ms(10_000), help: 'server time per request (one worker)' },
    { name: 'timeout', kind: 'duration', default: ms(250), min: ms(1), max: ms(60_000), help: 'client gives up on a request after this' },
    { name: 'delay', kind: 'duration', default: ms(200), min: ms(1), max: ms(60_000), help: 'base retry delay' },
    { name: 'retries', kind: 'int', default: 4, min: 0, max: 20, help: 'retries per client before giving up' },
  ],
  build(net: Network, p) {
    const server = net.host('server', { ip: '10.1.0.1' });
    const service = num(p, 'service');
    const policy = String(p.policy);
    // One worker: requests queue up, and are served even when their client has long given up (wasted work).
    let busyUntil = 0;
    server.tcp.listen(8080, (s) => {
      s.label = 'server';
      s.onData = (_s, d) => {
        const req = new TextDecoder().decode(d).split('\r\n')[0] ?? '';
        const start = Math.max(net.now, busyUntil);
        busyUntil = start + service;
        const queued = start - net.now;
        net.engine.at(busyUntil, () => {
          if (s.state !== 'ESTABLISHED' && s.state !== 'CLOSE_WAIT') return;
          const body = 'ok\n';
          s.write(text(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`), `response to "${req}" after ${formatDuration(queued)} in the queue and ${formatDuration(service)} of work`);
          s.close();
        });
      };
      s.onPeerClose = () => {};
      s.onReset = () => {};
    });
    const n = num(p, 'clients');
    for (let i = 0; i < n; i++) {
      const h = net.host(`client${i + 1}`, { ip: `10.0.${Math.floor((i + 1) / 250)}.${((i + 1) % 250) + 1}` });
      net.link(h, server, { latency: num(p, 'rtt') / 2 });
      const base = num(p, 'delay');
      const attempt = (k: number, note?: string) => {
        let answered = false;
        let sock: TcpSocket | undefined = undefined;
        sock = h.tcp.connect(
          server.ipU32,
          8080,
          {
            onConnect: (s) => s.write(text(`GET /api/item?client=${i + 1}&try=${k} HTTP/1.1\r\nHost: server\r\n\r\n`), `request from client${i + 1}, attempt ${k}`),
            onData: () => {
              answered = true;
            },
            onPeerClose: (s) => s.close(),
          },
          note ? { note: `SYN: ${note}` } : {},
        );
        sock.label = `client${i + 1}`;
        net.engine.after(num(p, 'timeout'), () => {
          if (answered) return;
          sock!.abort(`timeout after ${formatDuration(num(p, 'timeout'))}`);
          if (k > num(p, 'retries')) return;
          const backoff = policy === 'fixed' ? base : base * 2 ** (k - 1);
          const delay = policy === 'jitter' ? Math.floor(h.prng.next() * backoff) : backoff;
          const how = policy === 'fixed' ? 'fixed delay' : policy === 'exponential' ? 'exponential backoff' : 'exponential backoff with jitter';
          net.engine.after(delay, () => attempt(k + 1, `retry ${k} after ${formatDuration(delay)} (${how})`));
        });
      };
      // Everyone arrives within a few milliseconds: a burst, as after a deploy or an outage.
      net.engine.at(ms(h.prng.next() * 5), () => attempt(1));
    }
    return { defaultTaps: [server] };
  },
};

/**
 * circuit-breaker: a client calls service A, A calls service B, B queries a database. The database
 * slows down for a while; B's queries time out, B answers 504, A retries, and the retries pile
 * more queries on the database (a cascading failure: the queue outlives the slowdown). With
 * `--breaker` A stops calling B after repeated failures (open: requests rejected locally), lets
 * one probe through after a cool-down (half-open), and closes again when the probe succeeds — the
 * pattern of Nygard's "Release It!" (2007), as in Hystrix or resilience4j.
 */
import { formatDuration, ms, sec } from '../clock.js';
import type { Network } from '../network.js';
import { num } from '../params.js';
import { RpcClient, rpcServer, type RpcReply, type RpcResult } from '../apps.js';
import type { Scenario } from './index.js';

type BreakerState = 'closed' | 'open' | 'half-open';

export const circuitBreaker: Scenario = {
  name: 'circuit-breaker',
  description: 'A → B → database: the database slows, B times out, A\'s retries pile on (cascading failure); with --breaker A trips open, rejects locally, probes half-open and closes when B recovers',
  params: [
    { name: 'breaker', kind: 'bool', default: false, help: 'A protects itself and B with a circuit breaker' },
    { name: 'interval', kind: 'duration', default: ms(100), min: ms(1), max: sec(60), help: 'time between two client requests to A' },
    { name: 'duration', kind: 'duration', default: sec(8), min: ms(100), max: sec(3600), help: 'how long the client sends requests' },
    { name: 'slow-at', kind: 'duration', default: sec(1.5), min: 0, max: sec(3600), help: 'when the database slows down' },
    { name: 'recover-at', kind: 'duration', default: sec(4), min: 0, max: sec(3600), help: 'when the database is fast again' },
    { name: 'query', kind: 'duration', default: ms(10), min: ms(1), max: sec(60), help: 'database time per query when healthy (one worker)' },
    { name: 'slow-query', kind: 'duration', default: ms(600), min: ms(1), max: sec(60), help: 'database time per query while slow' },
    { name: 'db-timeout', kind: 'duration', default: ms(300), min: ms(1), max: sec(60), help: 'B gives up on a database query after this' },
    { name: 'timeout', kind: 'duration', default: ms(500), min: ms(1), max: sec(60), help: 'A gives up on a call to B after this' },
    { name: 'retries', kind: 'int', default: 2, min: 0, max: 10, help: 'A retries a failed call to B this often (backoff 50 ms, doubling)' },
    { name: 'threshold', kind: 'int', default: 5, min: 1, max: 1000, help: 'consecutive failures that trip the breaker' },
    { name: 'cooldown', kind: 'duration', default: ms(800), min: ms(1), max: sec(3600), help: 'how long the breaker stays open before a half-open probe' },
  ],
  build(net: Network, p) {
    const client = net.host('client', { ip: '10.0.0.1' });
    const a = net.host('a', { ip: '10.0.1.1' });
    const b = net.host('b', { ip: '10.0.2.1' });
    const db = net.host('db', { ip: '10.0.3.1' });
    net.link(client, a, { latency: ms(1) });
    net.link(a, b, { latency: ms(1) });
    net.link(b, db, { latency: ms(0.5) });

    // --- database: one worker; a query that waits is executed even when its caller gave up (wasted work).
    let busyUntil = 0;
    rpcServer(db, 8080, 'database', (req, reply) => {
      const start = Math.max(net.now, busyUntil);
      const slow = start >= num(p, 'slow-at') && start < num(p, 'recover-at');
      const work = slow ? num(p, 'slow-query') : num(p, 'query');
      busyUntil = start + work;
      const waited = start - net.now;
      net.engine.at(busyUntil, () => {
        reply(200, `rows for ${req.path}\n`, `database result for ${req.path} after ${formatDuration(waited)} queued and ${formatDuration(work)} of work${slow ? ' (the database is slow)' : ''}`);
      });
    });

    // --- B: one query per request, 504 when the database does not answer in time.
    const toDb = new RpcClient(b, db.ipU32, 8080, { label: 'B', timeout: num(p, 'db-timeout'), hostHeader: 'db' });
    rpcServer(b, 8080, 'B', (req, reply) => {
      toDb.call(`/query?for=${encodeURIComponent(req.path)}`, `B queries the database for ${req.path}`, (r) => {
        if (r.ok) reply(200, 'ok\n', `B answers ${req.path}: 200`);
        else reply(504, 'database timeout\n', `B answers ${req.path}: 504, its database query failed (${r.error})`);
      });
    });

    // --- A: calls B with retries, optionally behind a circuit breaker.
    const useBreaker = p.breaker === true;
    const threshold = num(p, 'threshold');
    const cooldown = num(p, 'cooldown');
    let state: BreakerState = 'closed';
    let failures = 0;
    let openedAt = 0;
    let probing = false;
    const toB = new RpcClient(a, b.ipU32, 8080, { label: 'A', timeout: num(p, 'timeout'), hostHeader: 'b' });

    /** May A call B now? Decides half-open probes; returns the note prefix for the call, or undefined to reject. */
    const admit = (): string | undefined => {
      if (!useBreaker || state === 'closed') return '';
      if (state === 'open' && net.now - openedAt >= cooldown && !probing) {
        state = 'half-open';
        probing = true;
        return `circuit half-open: probe request to B after ${formatDuration(net.now - openedAt)} open; `;
      }
      return undefined;
    };
    const record = (ok: boolean, probe: boolean): string => {
      if (!useBreaker) return '';
      if (probe) {
        probing = false;
        if (ok) {
          state = 'closed';
          failures = 0;
          return '; circuit closes: the probe succeeded, B has recovered';
        }
        state = 'open';
        openedAt = net.now;
        return `; circuit opens again: the probe failed (next probe in ${formatDuration(cooldown)})`;
      }
      if (ok) {
        failures = 0;
        return '';
      }
      failures++;
      if (state === 'closed' && failures >= threshold) {
        state = 'open';
        openedAt = net.now;
        return `; circuit opens: ${failures} consecutive failures calling B`;
      }
      return '';
    };

    rpcServer(a, 8080, 'A', (req, reply: RpcReply) => {
      const attempt = (k: number, trail: string) => {
        const prefix = admit();
        if (prefix === undefined) {
          const left = Math.max(0, cooldown - (net.now - openedAt));
          const next = probing ? 'a half-open probe is in flight' : `half-open probe in ${formatDuration(left)}`;
          reply(503, 'circuit open\n', `circuit open: request rejected locally (A does not call B; ${next})${trail}`);
          return;
        }
        const probe = prefix.startsWith('circuit half-open');
        const what = k === 1 ? `A calls B for ${req.path}` : `A calls B for ${req.path}, retry ${k - 1} after ${formatDuration(50e6 * 2 ** (k - 2))} (exponential backoff)`;
        toB.call(req.path, prefix + what, (r: RpcResult) => {
          const change = record(r.ok, probe);
          if (r.ok) {
            reply(200, 'ok\n', `A answers ${req.path}: 200 (attempt ${k})${change}`);
            return;
          }
          if (k <= num(p, 'retries') && !(useBreaker && state !== 'closed')) {
            net.engine.after(50e6 * 2 ** (k - 1), () => attempt(k + 1, change));
            return;
          }
          if (useBreaker && state === 'open' && k <= num(p, 'retries')) {
            // The retry is refused by the open breaker at once, like any other call.
            reply(503, 'circuit open\n', `circuit open: request rejected locally (A does not retry B)${change}`);
            return;
          }
          reply(502, `B failed: ${r.error}\n`, `A answers ${req.path}: 502 after ${k} attempts (${r.error})${change}`);
        });
      };
      attempt(1, '');
    });

    // --- client: a steady stream of requests over a small pool of persistent connections.
    const toA = new RpcClient(client, a.ipU32, 8080, { label: 'client', timeout: sec(5), hostHeader: 'a' });
    const every = num(p, 'interval');
    const end = num(p, 'duration');
    for (let t = ms(5), i = 1; t < end; t += every, i++) {
      const n = i;
      net.engine.at(t, () => toA.call(`/orders/${n}`, `client request ${n} to A`, () => {}));
    }
    // Idle connections are closed once everything has been answered.
    net.engine.at(end + sec(10), () => {
      toA.closeIdle('the client is done');
      toB.closeIdle('A is done');
      toDb.closeIdle('B is done');
    });
    return { defaultTaps: [a] };
  },
};

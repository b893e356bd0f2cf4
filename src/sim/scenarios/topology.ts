/**
 * Topology scenarios: load-balancer (layer 4 vs layer 7, balancing strategies, health checks, a
 * backend that dies) and regions (distance in round trips, and a CDN edge that hides it).
 */
import { formatDuration, ms, sec } from '../clock.js';
import type { Host, Network } from '../network.js';
import { num } from '../params.js';
import { htmlBody, httpMessageReader, httpResponse, RpcClient, rpcServer } from '../apps.js';
import type { TcpSocket } from '../tcp.js';
import { rttParam } from './basic.js';
import type { Scenario } from './index.js';

interface Backend {
  index: number;
  name: string;
  host: Host;
  up: boolean;
  fails: number;
  oks: number;
  /** Open connections (L4) or requests in flight (L7), for least-connections. */
  active: number;
  /** What the health checker last concluded, for the next check's note. */
  status: string;
}

const loadBalancer: Scenario = {
  name: 'load-balancer',
  description: 'layer-4 (one backend per connection) vs layer-7 (one backend per request) balancing with round-robin, least-connections or random, health checks, and a backend that fails mid-run',
  params: [
    { name: 'mode', kind: 'choice', default: 'l7', choices: ['l4', 'l7'], help: 'l4: the balancer pins each client connection to a backend; l7: it reads each HTTP request and picks a backend per request' },
    { name: 'strategy', kind: 'choice', default: 'round-robin', choices: ['round-robin', 'least-connections', 'random'], help: 'how the balancer picks a healthy backend' },
    { name: 'backends', kind: 'int', default: 3, min: 1, max: 50, help: 'number of backends' },
    { name: 'connections', kind: 'int', default: 2, min: 1, max: 100, help: 'client connections (each sends its requests one after the other)' },
    { name: 'requests', kind: 'int', default: 10, min: 1, max: 10_000, help: 'requests per client connection' },
    { name: 'interval', kind: 'duration', default: ms(100), min: 0, max: sec(60), help: 'client pause between a response and its next request' },
    rttParam(10),
    { name: 'service', kind: 'duration', default: ms(20), min: 0, max: sec(60), help: 'backend time per request' },
    { name: 'fail', kind: 'int', default: 2, min: 0, max: 50, help: 'which backend dies (1-based; 0: none)' },
    { name: 'fail-at', kind: 'duration', default: ms(500), min: 0, max: sec(3600), help: 'when it dies' },
    { name: 'health-interval', kind: 'duration', default: ms(200), min: ms(1), max: sec(3600), help: 'time between health checks of each backend' },
    { name: 'fall', kind: 'int', default: 2, min: 1, max: 100, help: 'failed checks before a backend is taken out' },
  ],
  build(net: Network, p) {
    const client = net.host('client', { ip: '10.0.0.1' });
    const lb = net.host('lb', { ip: '10.0.0.100' });
    net.link(client, lb, { latency: num(p, 'rtt') / 2 });
    const strategy = String(p.strategy);
    const l7 = p.mode === 'l7';
    const service = num(p, 'service');
    const backends: Backend[] = [];
    for (let i = 0; i < num(p, 'backends'); i++) {
      const name = `be${i + 1}`;
      const host = net.host(name, { ip: `10.0.1.${i + 1}` });
      net.link(lb, host, { latency: ms(0.25) });
      backends.push({ index: i, name, host, up: true, fails: 0, oks: 0, active: 0, status: 'up' });
      const server = rpcServer(host, 8080, name, (req, reply) => {
        if (req.path === '/health') return void reply(200, 'healthy\n', `${name}: health check OK`);
        net.engine.after(service, () => reply(200, `served by ${name}\n`, `${name} serves ${req.path}`, { 'X-Backend': name }));
      });
      if (num(p, 'fail') === i + 1) {
        net.at(num(p, 'fail-at'), () => {
          // The process is gone: nothing listens any more (new SYNs get RST) and open connections are reset.
          host.tcp.unlisten(8080);
          for (const s of [...server.sockets]) s.abort(`${name} crashes: its process is killed mid-run`);
        });
      }
    }

    let rr = 0;
    const pick = (avoid?: Backend): Backend | undefined => {
      const up = backends.filter((b) => b.up && b !== avoid);
      if (up.length === 0) return undefined;
      if (strategy === 'random') return up[lb.prng.int(0, up.length - 1)];
      // Round-robin, and the tie-break of least-connections: the first candidate at or after the cursor.
      const order = [...backends.slice(rr), ...backends.slice(0, rr)].filter((b) => up.includes(b));
      let best = order[0]!;
      if (strategy === 'least-connections') for (const b of order) if (b.active < best.active) best = b;
      rr = (best.index + 1) % backends.length;
      return best;
    };
    const why = (b: Backend) => (strategy === 'least-connections' ? `least-connections: ${b.active} active` : strategy);

    // --- health checks: a fresh connection per check, as HAProxy's "option httpchk" does.
    const checkers = backends.map((b) => new RpcClient(lb, b.host.ipU32, 8080, { label: 'health checker', timeout: ms(200), keepAlive: false, hostHeader: b.name }));
    let running = true;
    const check = () => {
      if (!running) return;
      for (const b of backends) {
        checkers[b.index]!.call('/health', `health check of ${b.name} (${b.status})`, (r) => {
          if (r.ok) {
            b.fails = 0;
            b.oks++;
            if (!b.up && b.oks >= 2) {
              b.up = true;
              b.status = 'back up after 2 good checks';
            } else if (b.up) b.status = 'up';
          } else {
            b.oks = 0;
            b.fails++;
            if (b.up && b.fails >= num(p, 'fall')) {
              b.up = false;
              b.status = `taken out of rotation after ${b.fails} failed checks (${r.error})`;
            } else b.status = b.up ? `up, ${b.fails} failed check(s)` : `down (${r.error})`;
          }
        });
      }
      net.engine.after(num(p, 'health-interval'), check);
    };
    net.at(0, check);

    // --- the balancer itself.
    const pools = backends.map((b) => new RpcClient(lb, b.host.ipU32, 8080, { label: `lb → ${b.name}`, timeout: sec(1), hostHeader: b.name }));
    lb.tcp.listen(80, (cs) => {
      cs.label = 'lb';
      const cport = cs.remotePort;
      if (l7) return layer7(cs, cport);
      layer4(cs, cport);
    });

    const layer4 = (cs: TcpSocket, cport: number) => {
      const be = pick();
      if (!be) {
        cs.onConnect = () => cs.abort('no healthy backend');
        return;
      }
      be.active++;
      const pending: Uint8Array[] = [];
      const bs = lb.tcp.connect(
        be.host.ipU32,
        8080,
        {
          onConnect: (s) => {
            for (const d of pending.splice(0)) s.write(d, `L4: client bytes copied to ${be.name}`);
          },
          onData: (_s, d) => {
            if (cs.state === 'ESTABLISHED' || cs.state === 'CLOSE_WAIT') cs.write(d, `L4: bytes from ${be.name} copied to client connection :${cport}`);
          },
          onPeerClose: (s) => {
            s.close();
            cs.close(`${be.name} closed, so the L4 balancer closes the client side`);
          },
          onReset: (_s, r) => cs.abort(`L4: the connection to ${be.name} failed (${r})`),
          onClosed: () => be.active--,
        },
        { note: `SYN: L4 balancer pins client connection :${cport} to ${be.name} (${why(be)}); all its bytes go there` },
      );
      bs.label = `lb → ${be.name}`;
      cs.onData = (_s, d) => {
        if (bs.state === 'ESTABLISHED') bs.write(d, `L4: client bytes copied to ${be.name}`);
        else pending.push(d);
      };
      cs.onPeerClose = (s) => {
        bs.close('the client closed');
        s.close();
      };
      cs.onReset = () => bs.abort('the client reset its connection');
    };

    const layer7 = (cs: TcpSocket, cport: number) => {
      const read = httpMessageReader((m) => {
        const path = m.head.split(' ')[1] ?? '/';
        const forward = (tries: number, avoid?: Backend) => {
          const be = pick(avoid);
          if (!be) {
            cs.write(httpResponse(503, 'no healthy backend\n'), 'L7: 503, no healthy backend');
            return;
          }
          const how = tries > 1 ? `, tried again after ${avoid!.name} failed` : '';
          const note = `L7: request ${path} from client connection :${cport} sent to ${be.name} (${why(be)}${how})`;
          be.active++;
          pools[be.index]!.call(
            path,
            note,
            (r) => {
              be.active--;
              if (cs.state !== 'ESTABLISHED' && cs.state !== 'CLOSE_WAIT') return;
              if (r.raw) cs.write(r.raw, `L7: response from ${be.name} relayed on client connection :${cport}`);
              else if (tries < 2) forward(tries + 1, be);
              else cs.write(httpResponse(502, `backend failed: ${r.error}\n`), `L7: 502, ${be.name} failed (${r.error})`);
            },
            { 'X-Forwarded-For': client.ipText },
          );
        };
        forward(1);
      });
      cs.onData = (_s, d) => read(d);
      cs.onPeerClose = (s) => s.close();
      cs.onReset = () => {};
    };

    // --- client: each session keeps one persistent connection and sends its requests in turn.
    let sessions = num(p, 'connections');
    for (let c = 1; c <= num(p, 'connections'); c++) {
      const rc = new RpcClient(client, lb.ipU32, 80, { label: 'client', timeout: sec(1), hostHeader: 'shop.example' });
      const go = (j: number) => {
        if (j > num(p, 'requests')) {
          rc.closeIdle('the client is done');
          if (--sessions === 0) {
            running = false;
            net.engine.after(ms(100), () => pools.forEach((x) => x.closeIdle('the balancer closes its idle backend connection')));
          }
          return;
        }
        rc.call(`/item/${c}-${j}`, `client session ${c}, request ${j}`, () => net.engine.after(num(p, 'interval'), () => go(j + 1)));
      };
      net.at(ms(5 + 30 * (c - 1)), () => go(1));
    }
    return { defaultTaps: [lb] };
  },
};

const regions: Scenario = {
  name: 'regions',
  description: 'the same page load from a client 80 ms away (NYC–London) and from the same region, then a CDN edge near the far client: a cache miss (fetched from the origin) and a hit (no origin contact)',
  params: [
    { name: 'far-latency', kind: 'duration', default: ms(80), min: 0, max: sec(10), help: 'one-way latency between New York and London' },
    { name: 'near-latency', kind: 'duration', default: ms(1), min: 0, max: sec(10), help: 'one-way latency within a region' },
    { name: 'edge-latency', kind: 'duration', default: ms(2), min: 0, max: sec(10), help: 'one-way latency from the New York client to its CDN edge' },
    { name: 'size', kind: 'size', default: 40e3, min: 0, max: 100e6, help: 'page bytes (several round trips of slow start)' },
  ],
  build(net: Network, p) {
    const far = net.host('client-nyc', { ip: '198.51.100.10' });
    const near = net.host('client-lon', { ip: '203.0.113.10' });
    const origin = net.host('origin-lon', { ip: '192.0.2.10' });
    const edge = net.host('edge-nyc', { ip: '198.51.100.200' });
    const farL = num(p, 'far-latency');
    net.link(far, origin, { latency: farL });
    net.link(near, origin, { latency: num(p, 'near-latency') });
    net.link(far, edge, { latency: num(p, 'edge-latency') });
    const backbone = net.link(edge, origin, { latency: farL });
    const size = num(p, 'size');
    const decode = (b: Uint8Array) => new TextDecoder().decode(b);

    rpcServer(origin, 80, 'origin (London)', (req, reply) => {
      const body = decode(htmlBody(size, `wirelens regions ${req.path}`));
      reply(200, body, `origin in London serves ${req.path} (${body.length} bytes)`, { 'Content-Type': req.path.endsWith('.js') ? 'text/javascript' : 'text/html', 'Cache-Control': 'public, max-age=3600' });
    });

    // The edge keeps what it fetched (RFC 9111 §3: the response is cacheable for max-age) and a warm connection to the origin.
    const cache = new Map<string, { body: string; at: number }>();
    const toOrigin = new RpcClient(edge, origin.ipU32, 80, { label: 'CDN edge', timeout: sec(5), hostHeader: 'origin.example' });
    rpcServer(edge, 80, 'CDN edge (NYC)', (req, reply) => {
      const hit = cache.get(req.path);
      if (hit) {
        const age = Math.floor((net.now - hit.at) / 1e9);
        reply(200, hit.body, `CDN edge: cache HIT for ${req.path}, served from New York without contacting the origin (age ${age} s)`, { 'Content-Type': 'text/javascript', 'X-Cache': 'HIT', Age: String(age) });
        return;
      }
      toOrigin.call(req.path, `CDN edge: cache MISS for ${req.path}, fetching it from the origin in London`, (r) => {
        if (!r.ok) return void reply(502, 'origin unreachable\n', `CDN edge: origin failed (${r.error})`);
        cache.set(req.path, { body: r.body!, at: net.now });
        reply(200, r.body!, `CDN edge: cache MISS for ${req.path}, served after a round trip to London`, { 'Content-Type': 'text/javascript', 'X-Cache': 'MISS' });
      });
    });

    const load = (h: Host, label: string, dst: Host, path: string, note: string) => {
      const c = new RpcClient(h, dst.ipU32, 80, { label, timeout: sec(30), keepAlive: false, hostHeader: 'www.example.com' });
      c.call(path, note, () => {});
    };
    net.at(0, () => load(far, 'browser in New York', origin, '/', `browser in New York loads / from the origin in London (${formatDuration(2 * farL)} round trip)`));
    net.at(0, () => load(near, 'browser in London', origin, '/', 'browser in London loads / from the origin next door'));
    net.at(sec(3), () => load(far, 'browser in New York', edge, '/static/app.js', 'browser in New York loads /static/app.js from the CDN edge (first request: not cached yet)'));
    net.at(sec(5), () => load(far, 'browser in New York', edge, '/static/app.js', 'browser in New York loads /static/app.js from the CDN edge again (cached now)'));
    net.at(sec(7), () => toOrigin.closeIdle('the edge closes its idle origin connection'));
    return { defaultTaps: [far, near, backbone] };
  },
};

export const topologyScenarios: readonly Scenario[] = [loadBalancer, regions];

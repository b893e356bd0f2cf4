import { describe, expect, it } from 'vitest';
import { ourDisagreements, tsharkFindings } from './ground-truth.js';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SCENARIOS, runScenario } from '../../src/sim/scenarios/index.js';
import { readCaptureFileSync } from '../../src/capture/reader.js';
import { decodePacket } from '../../src/decode/bindings.js';
import { Analyzer } from '../../src/analysis/analyzer.js';
import { Network } from '../../src/sim/network.js';
import { ms, sec } from '../../src/sim/clock.js';
import type { Frame } from '../../src/capture/frame.js';

const hasTshark = spawnSync('tshark', ['-v']).status === 0;
if (!hasTshark) console.warn('tshark not found: the tshark checks in test/sim/scenarios.test.ts are skipped');
const dir = mkdtempSync(join(tmpdir(), 'wirelens-scen-'));

const NAMES = ['udp-vs-tcp', 'sse-stream', 'circuit-breaker', 'load-balancer', 'regions'] as const;
/** Each scenario once with its defaults and once with its most interesting switch. */
const VARIANTS: [string, Record<string, string>][] = [
  ...NAMES.map((n): [string, Record<string, string>] => [n, {}]),
  ['circuit-breaker', { breaker: 'true' }],
  ['load-balancer', { mode: 'l4' }],
  ['load-balancer', { mode: 'l4', strategy: 'least-connections' }],
  ['load-balancer', { strategy: 'random' }],
];

function synth(name: string, seed = 1, params: Record<string, string> = {}) {
  const r = runScenario(name, { seed, params });
  const file = join(dir, `${name}-${seed}-${Object.values(params).join('_')}.pcapng`);
  writeFileSync(file, r.bytes!);
  return { ...r, file, bytes: r.bytes!, frames: readCaptureFileSync(file).frames };
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const comment = (f: Frame) => f.comments?.[0] ?? '';
const time = (f: Frame, t0: Frame) => (f.tsSec - t0.tsSec) * 1e9 + f.tsNsec - t0.tsNsec;

/** Ethernet/IPv4/TCP-or-UDP fields straight from the bytes: enough for behaviour checks. */
function l4(f: Frame) {
  const d = f.data;
  const ihl = (d[14]! & 15) * 4;
  const proto = d[23]!;
  const ip = (o: number) => `${d[o]}.${d[o + 1]}.${d[o + 2]}.${d[o + 3]}`;
  const t = 14 + ihl;
  const sport = (d[t]! << 8) | d[t + 1]!;
  const dport = (d[t + 2]! << 8) | d[t + 3]!;
  const totalLen = (d[16]! << 8) | d[17]!;
  const off = proto === 6 ? t + (d[t + 12]! >> 4) * 4 : t + 8;
  const flags = proto === 6 ? d[t + 13]! : 0;
  const seq = proto === 6 ? ((d[t + 4]! << 24) | (d[t + 5]! << 16) | (d[t + 6]! << 8) | d[t + 7]!) >>> 0 : 0;
  const payload = d.subarray(off, 14 + totalLen);
  return { proto, src: ip(26), dst: ip(30), sport, dport, flags, seq, payload, text: new TextDecoder().decode(payload) };
}

describe('the new scenarios are listed with parameters and defaults', () => {
  it.each(NAMES)('%s', (name) => {
    const s = SCENARIOS.find((x) => x.name === name)!;
    expect(s).toBeDefined();
    expect(s.description.length).toBeGreaterThan(20);
    expect(s.params.length).toBeGreaterThan(2);
    for (const p of s.params) expect(p.default).not.toBeUndefined();
  });
});

describe.each(VARIANTS)('scenario %s %o', (name, params) => {
  const run = synth(name, 1, params);

  it('gives byte-identical files for the same seed, and different ones for another', () => {
    expect(sha(runScenario(name, { seed: 1, params }).bytes!)).toBe(sha(run.bytes));
    expect(sha(runScenario(name, { seed: 2, params }).bytes!)).not.toBe(sha(run.bytes));
  });

  it('comments every packet', () => {
    expect(run.frames.length).toBe(run.packets);
    expect(run.frames.length).toBeGreaterThan(10);
    for (const f of run.frames) expect(comment(f).length).toBeGreaterThan(0);
  });

  it('our analysis flags exactly the packets the simulator retransmitted', () => {
    expect(ourDisagreements(run.frames)).toEqual([]);
  });

  it.skipIf(!hasTshark)('tshark reads it with no malformed packet, no bad checksum, and the same retransmissions', () => {
    const { bad, wrong } = tsharkFindings(run.file);
    expect(bad).toBe('');
    expect(wrong).toEqual([]);
  });
});

describe('behaviour', () => {
  it('udp-vs-tcp: UDP loses frames for good; TCP delivers every frame but holds later ones back behind a loss', () => {
    const r = synth('udp-vs-tcp', 3, { loss: '5%', frames: '200' });
    const frames = r.frames;
    const size = 1000;
    // UDP: the receiver's tap shows which datagrams arrived.
    const udp = new Set<number>();
    for (const f of frames) {
      const p = l4(f);
      if (p.proto === 17 && p.dport === 45000) udp.add(Number(/^frame (\d+)/.exec(p.text)![1]));
    }
    expect(udp.size).toBeLessThan(200);
    expect(udp.size).toBeGreaterThan(150);
    // TCP: replay the receiver's reassembly; a frame is delivered when every byte before it is in.
    let isn = -1;
    let next = 1;
    const segs: [number, number][] = [];
    const firstSeen = new Map<number, number>();
    const deliveredAt = new Map<number, number>();
    // Which stream bytes have arrived, in whatever order (a frame may come in pieces over segments).
    const got = new Uint8Array(200 * size + 1);
    for (const f of frames) {
      const p = l4(f);
      if (p.proto !== 6 || p.dport !== 45001) continue;
      if (p.flags & 2) isn = p.seq;
      if (p.payload.length === 0) continue;
      const rel = (p.seq - isn) >>> 0;
      const t = time(f, frames[0]!);
      const end = Math.min(rel + p.payload.length, got.length);
      segs.push([rel, rel + p.payload.length]);
      got.fill(1, rel, end);
      // Frame k is bytes [k·size + 1, (k+1)·size]; it has "arrived" once all its bytes have.
      for (let k = Math.floor((rel - 1) / size); k * size + 1 < end; k++) {
        if (!firstSeen.has(k) && got.subarray(k * size + 1, (k + 1) * size + 1).every((b) => b === 1)) firstSeen.set(k, t);
      }
      for (let moved = true; moved; ) {
        moved = false;
        for (const [a, b] of segs) if (a <= next && b > next) { next = b; moved = true; }
      }
      for (let k = 0; (k + 1) * size + 1 <= next; k++) if (!deliveredAt.has(k)) deliveredAt.set(k, t);
    }
    expect(deliveredAt.size).toBe(200);
    // Head-of-line blocking: some frame arrived intact but waited for an earlier lost one (at least one RTT).
    const waits = [...firstSeen].map(([k, t]) => deliveredAt.get(k)! - t);
    expect(firstSeen.size).toBe(200);
    expect(Math.max(...waits)).toBeGreaterThanOrEqual(60e6);
    // At the sender (--taps sender) the lost datagrams carry their fate.
    const file = join(dir, 'udp-vs-tcp-sender.pcapng');
    writeFileSync(file, runScenario('udp-vs-tcp', { seed: 3, params: { loss: '5%', frames: '200' }, taps: ['sender'] }).bytes!);
    const lost = readCaptureFileSync(file).frames.filter((f) => comment(f).includes('over UDP') && comment(f).includes('lost on link sender-receiver (UDP: not retransmitted)'));
    expect(lost.length).toBe(200 - udp.size);
  });

  it('sse-stream: the proxy cuts the stream and the reconnect carries Last-Event-ID equal to the last event id received', () => {
    const r = synth('sse-stream');
    let lastId = '';
    let cutSeen = false;
    let resumedWith: string | undefined;
    for (const f of r.frames) {
      const p = l4(f);
      if (p.proto !== 6) continue;
      if (p.src === '10.0.0.80' && !cutSeen) for (const m of p.text.matchAll(/^id: (\S+)$/gm)) lastId = m[1]!;
      if (comment(f).includes('proxy idle timeout')) cutSeen = true;
      const h = /^Last-Event-ID: (\S+)\r$/m.exec(p.text);
      if (cutSeen && p.src === '10.0.0.1' && h && resumedWith === undefined) resumedWith = h[1];
    }
    expect(cutSeen).toBe(true);
    expect(lastId).not.toBe('');
    expect(resumedWith).toBe(lastId);
    const comments = r.frames.map(comment);
    // What the client missed while away comes first on the new stream: nothing is lost.
    const after = r.frames.filter((f) => time(f, r.frames[0]!) > 0 && l4(f).src === '10.0.0.80').map((f) => l4(f).text).join('');
    const ids = [...after.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    const resumed = ids.slice(ids.indexOf(Number(lastId)) + 1);
    expect(resumed).toEqual(Array.from({ length: 10 - Number(lastId) }, (_, i) => Number(lastId) + 1 + i));
    expect(comments.some((c) => c.startsWith('keep-alive probe #1'))).toBe(true);
    expect(comments.some((c) => c.startsWith('ACK of a keep-alive probe'))).toBe(true);
  });

  it('sse-stream: a heartbeat shorter than the idle timeout keeps the stream whole', () => {
    const r = synth('sse-stream', 1, { heartbeat: '2s' });
    expect(r.frames.some((f) => comment(f).includes('proxy idle timeout'))).toBe(false);
    expect(r.frames.some((f) => l4(f).text.includes(': heartbeat'))).toBe(true);
  });

  it('circuit-breaker: while the breaker is open A sends nothing new to B, and it closes when B recovers', () => {
    const r = synth('circuit-breaker', 1, { breaker: 'true' });
    let open = false;
    let rejected = 0;
    const leaks: string[] = [];
    for (const f of r.frames) {
      const c = comment(f);
      const p = l4(f);
      if (c.includes('circuit opens')) open = true;
      if (c.includes('circuit half-open') || c.includes('circuit closes')) open = false;
      if (c.startsWith('circuit open: request rejected locally') || c.includes('; circuit open: request rejected locally')) rejected++;
      const newCall = p.src === '10.0.1.1' && p.dst === '10.0.2.1' && (p.flags & 2 || p.payload.length > 0);
      if (open && newCall) leaks.push(c);
    }
    expect(rejected).toBeGreaterThan(10);
    expect(leaks).toEqual([]);
    expect(r.frames.some((f) => comment(f).includes('circuit closes: the probe succeeded'))).toBe(true);
    // Without the breaker the retries pile on: A sends B many more requests.
    const toB = (frames: Frame[]) => frames.filter((f) => { const p = l4(f); return p.src === '10.0.1.1' && p.dst === '10.0.2.1' && p.payload.length > 0; }).length;
    const without = synth('circuit-breaker', 1, {});
    expect(toB(without.frames)).toBeGreaterThan(1.3 * toB(r.frames));
    expect(without.frames.some((f) => comment(f).includes('circuit'))).toBe(false);
  });

  /** Which backends answered on each client connection (by client port), from the X-Backend header the balancer passes on. */
  const backendsPerConnection = (frames: Frame[]) => {
    const m = new Map<number, Set<string>>();
    for (const f of frames) {
      const p = l4(f);
      if (p.proto !== 6 || p.src !== '10.0.0.100' || p.dst !== '10.0.0.1') continue;
      for (const h of p.text.matchAll(/^X-Backend: (\S+)\r$/gm)) {
        if (!m.has(p.dport)) m.set(p.dport, new Set());
        m.get(p.dport)!.add(h[1]!);
      }
    }
    return m;
  };

  it('load-balancer: L7 spreads the requests of one client connection over backends', () => {
    const m = backendsPerConnection(synth('load-balancer', 1, { mode: 'l7', fail: '0' }).frames);
    expect(m.size).toBe(2);
    for (const s of m.values()) expect(s.size).toBeGreaterThan(1);
  });

  it('load-balancer: L4 pins each client connection to one backend', () => {
    for (const strategy of ['round-robin', 'least-connections', 'random']) {
      const m = backendsPerConnection(synth('load-balancer', 1, { mode: 'l4', strategy }).frames);
      expect(m.size).toBeGreaterThanOrEqual(2);
      for (const s of m.values()) expect(s.size).toBe(1);
    }
  });

  it('load-balancer: the failed backend is taken out by health checks and gets no more client requests', () => {
    const r = synth('load-balancer', 1, { mode: 'l7' });
    const out = r.frames.findIndex((f) => comment(f).includes('health check of be2 (taken out of rotation'));
    expect(out).toBeGreaterThan(0);
    const later = r.frames.slice(out).filter((f) => /sent to be2/.test(comment(f)));
    expect(later).toEqual([]);
    expect(r.frames.some((f) => comment(f).startsWith('RST: port 8080 is closed'))).toBe(true);
  });

  it('regions: the far handshake takes twice 80 ms, the near one almost nothing; a CDN hit never reaches the origin', () => {
    const r = synth('regions');
    const t0 = r.frames[0]!;
    const rtt = (client: string) => {
      const syn = r.frames.find((f) => { const p = l4(f); return p.src === client && p.dst === '192.0.2.10' && p.flags === 2; })!;
      const synAck = r.frames.find((f) => { const p = l4(f); return p.dst === client && p.src === '192.0.2.10' && p.flags === 0x12; })!;
      return time(synAck, t0) - time(syn, t0);
    };
    expect(rtt('198.51.100.10')).toBeGreaterThanOrEqual(160e6);
    expect(rtt('203.0.113.10')).toBeLessThanOrEqual(5e6);
    const hitAt = r.frames.findIndex((f) => comment(f).includes('cache HIT'));
    const missAt = r.frames.findIndex((f) => comment(f).includes('cache MISS for /static/app.js, served'));
    expect(hitAt).toBeGreaterThan(missAt);
    expect(missAt).toBeGreaterThan(0);
    // The backbone tap (edge ↔ origin) sees one connection, for the miss, and nothing around the hit.
    const backbone = r.frames.filter((f) => { const p = l4(f); return (p.src === '198.51.100.200' && p.dst === '192.0.2.10') || (p.dst === '198.51.100.200' && p.src === '192.0.2.10'); });
    expect(backbone.filter((f) => l4(f).flags === 2)).toHaveLength(1);
    const hitReq = r.frames.findIndex((f) => comment(f).includes('from the CDN edge again'));
    const between = r.frames.slice(hitReq, hitAt + 1).filter((f) => backbone.includes(f));
    expect(between).toEqual([]);
    expect(l4(r.frames[hitAt]!).text).toMatch(/X-Cache: HIT/);
  });
});

describe('TCP keep-alive', () => {
  it('probes an idle connection, the peer answers, and an unanswered peer is given up', () => {
    const net = new Network({ seed: 4 });
    const a = net.host('a', { ip: '10.9.0.1' });
    const b = net.host('b', { ip: '10.9.0.2' });
    const link = net.link(a, b, { latency: ms(5) });
    net.tap(a);
    let reset = '';
    b.tcp.listen(9, (s) => {
      s.onData = () => {};
    });
    net.atStart(() => {
      const c = a.tcp.connect(b.ipU32, 9, { onConnect: (s) => s.write(new Uint8Array(10)), onReset: (_s, why) => { reset = why; } });
      c.setKeepAlive(sec(1), ms(500), 3);
    });
    // The path to the peer goes dark after 3 s.
    net.at(sec(3), () => { link.ab.params.loss = 1; link.ba.params.loss = 1; });
    net.run(sec(20));
    const file = join(dir, 'keepalive.pcapng');
    writeFileSync(file, net.capture.bytes());
    const comments = readCaptureFileSync(file).frames.map(comment);
    const probes = comments.filter((c) => c.startsWith('keep-alive probe'));
    const answers = comments.filter((c) => c.startsWith('ACK of a keep-alive probe'));
    // Answered probes at about 1 s and 2 s (each answer restarts the idle time), then 3 unanswered ones.
    expect(answers.length).toBeGreaterThanOrEqual(2);
    expect(probes.length).toBe(answers.length + 3);
    expect(comments.at(-1)).toMatch(/^RST: .*keep-alive: 3 probes unanswered/);
    expect(reset).toMatch(/keep-alive/);
    const analyzer = new Analyzer();
    const frames = readCaptureFileSync(file).frames;
    const flagged = frames.filter((f) => analyzer.analyze(decodePacket(f)).fields().some((x) => x.name === 'tcp.analysis.keep_alive'));
    expect(flagged.map(comment)).toEqual(probes);
  });
});

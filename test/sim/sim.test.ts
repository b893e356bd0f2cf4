import { describe, expect, it } from 'vitest';
import { ourDisagreements, tsharkFindings } from './ground-truth.js';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SCENARIOS, runScenario } from '../../src/sim/scenarios/index.js';
import { readCaptureFileSync } from '../../src/capture/reader.js';
import { Engine, Timer } from '../../src/sim/engine.js';
import { Prng } from '../../src/sim/prng.js';
import { parseParam, resolveParams } from '../../src/sim/params.js';
import { WirelensError } from '../../src/errors.js';

const hasTshark = spawnSync('tshark', ['-v']).status === 0;
if (!hasTshark) console.warn('tshark not found: the tshark checks in test/sim are skipped');
const dir = mkdtempSync(join(tmpdir(), 'wirelens-sim-'));

/** Small parameters so every scenario runs in well under a second. */
const QUICK: Record<string, Record<string, string>> = {
  'lossy-transfer': { size: '300kB', loss: '3%' },
  'zero-window': { size: '100kB' },
  'retry-storm': { clients: '8' },
};

function synth(name: string, seed = 1, extra: Record<string, string> = {}) {
  const r = runScenario(name, { seed, params: { ...QUICK[name], ...extra } });
  const file = join(dir, `${name}-${seed}-${Object.values(extra).join('_')}.pcapng`);
  writeFileSync(file, r.bytes!);
  return { ...r, file, bytes: r.bytes! };
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('engine and PRNG', () => {
  it('runs events in time order, ties in scheduling order', () => {
    const e = new Engine();
    const seen: string[] = [];
    e.at(20, () => seen.push('b'));
    e.at(10, () => seen.push('a'));
    e.at(20, () => seen.push('c'));
    e.at(5, () => e.after(15, () => seen.push('d')));
    e.run();
    expect(seen).toEqual(['a', 'b', 'c', 'd']);
    expect(e.now).toBe(20);
  });
  it('a timer pushed back fires once, at the new deadline', () => {
    const e = new Engine();
    const fired: number[] = [];
    const t = new Timer(e, () => fired.push(e.now));
    t.set(100);
    e.at(50, () => t.set(100));
    e.run();
    expect(fired).toEqual([150]);
  });
  it('the PRNG is a pure function of its seed', () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const xs = Array.from({ length: 5 }, () => a.u32());
    expect(Array.from({ length: 5 }, () => b.u32())).toEqual(xs);
    expect(new Prng(43).u32()).not.toBe(xs[0]);
    const r = new Prng(1);
    for (let i = 0; i < 1000; i++) {
      const v = r.next();
      expect(v >= 0 && v < 1).toBe(true);
    }
  });
});

describe('parameters', () => {
  it('parses durations, percentages, sizes and rates', () => {
    expect(parseParam({ name: 'rtt', kind: 'duration', default: 0, help: '' }, '80ms')).toBe(80e6);
    expect(parseParam({ name: 'loss', kind: 'percent', default: 0, help: '' }, '2%')).toBeCloseTo(0.02);
    expect(parseParam({ name: 'size', kind: 'size', default: 0, help: '' }, '1MB')).toBe(1e6);
    expect(parseParam({ name: 'bw', kind: 'rate', default: 0, help: '' }, '10Mbit')).toBe(10e6);
  });
  it('refuses out-of-range values naming the allowed range', () => {
    const spec = SCENARIOS.find((s) => s.name === 'lossy-transfer')!.params;
    try {
      resolveParams(spec, { loss: '150%' }, 'lossy-transfer');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(WirelensError);
      expect((e as WirelensError).code).toBe('WL_ERR_USAGE');
      expect((e as Error).message).toMatch(/--loss 150%.*allowed: 0 to 50%/);
    }
    expect(() => resolveParams(spec, { nope: '1' }, 'lossy-transfer')).toThrow(/no parameter --nope/);
  });
});

describe.each(SCENARIOS.map((s) => s.name))('scenario %s', (name) => {
  const run = synth(name);

  it('gives byte-identical files for the same seed, and different ones for another', () => {
    expect(sha(runScenario(name, { seed: 1, params: QUICK[name] }).bytes!)).toBe(sha(run.bytes));
    expect(sha(runScenario(name, { seed: 2, params: QUICK[name] }).bytes!)).not.toBe(sha(run.bytes));
  });

  it('comments every packet', () => {
    const { frames } = readCaptureFileSync(run.file);
    expect(frames.length).toBe(run.packets);
    expect(frames.length).toBeGreaterThan(4);
    for (const f of frames) expect(f.comments?.[0]?.length ?? 0).toBeGreaterThan(0);
  });

  it('our analysis flags exactly the packets the simulator retransmitted', () => {
    expect(ourDisagreements(readCaptureFileSync(run.file).frames)).toEqual([]);
  });

  it.skipIf(!hasTshark)('tshark reads it with no malformed packet, no bad checksum, and the same retransmissions', () => {
    const { bad, wrong } = tsharkFindings(run.file);
    expect(bad).toBe('');
    expect(wrong).toEqual([]);
  });
});

describe('behaviour', () => {
  it('handshake: SYN to SYN-ACK at the client takes the RTT (twice the one-way latency)', () => {
    const r = synth('handshake', 3, { rtt: '70ms' });
    const { frames } = readCaptureFileSync(r.file);
    // Seconds and nanoseconds apart: an epoch in ns does not fit a double exactly.
    const t = (i: number) => (frames[i]!.tsSec - frames[0]!.tsSec) * 1e9 + frames[i]!.tsNsec;
    expect(frames[0]!.comments![0]).toMatch(/^SYN:/);
    expect(frames[1]!.comments![0]).toMatch(/^SYN-ACK:/);
    expect(t(1) - t(0)).toBe(70e6);
  });

  it('handshake: a closed port answers RST', () => {
    const r = synth('handshake', 1, { refused: 'true' });
    const { frames } = readCaptureFileSync(r.file);
    expect(frames.some((f) => /^RST: port 8 is closed/.test(f.comments![0]!))).toBe(true);
  });

  it('lossy-transfer: losses lead to fast retransmissions and, for tail losses, RTO retransmissions', () => {
    const r = synth('lossy-transfer', 5, { size: '1MB', loss: '3%' });
    const comments = readCaptureFileSync(r.file).frames.map((f) => f.comments![0]!);
    expect(comments.some((c) => c.includes('lost on link client-server (will be retransmitted)'))).toBe(true);
    expect(comments.some((c) => /^fast retransmission #1 of seq \d+ after 3 duplicate ACKs/.test(c))).toBe(true);
    expect(comments.some((c) => /retransmission #\d+ of seq \d+ after RTO \d+ ms \(backoff x\d+\)/.test(c))).toBe(true);
  });

  it('zero-window: the window closes, the sender probes, the window reopens', () => {
    const r = synth('zero-window');
    const comments = readCaptureFileSync(r.file).frames.map((f) => f.comments![0]!);
    expect(comments.some((c) => c.includes('zero window: receive buffer full'))).toBe(true);
    expect(comments.some((c) => c.startsWith('zero-window probe #1'))).toBe(true);
    expect(comments.some((c) => c.startsWith('window update'))).toBe(true);
  });

  it('retry-storm: jittered retries are spread wider than fixed ones', () => {
    const spread = (policy: string) => {
      const r = synth('retry-storm', 11, { policy, clients: '12' });
      const times = new Map<number, number[]>();
      for (const f of readCaptureFileSync(r.file).frames) {
        const m = /retry (\d+) after/.exec(f.comments![0]!);
        if (!m) continue;
        const k = Number(m[1]);
        times.set(k, [...(times.get(k) ?? []), f.tsSec + f.tsNsec / 1e9]);
      }
      const first = times.get(1) ?? [];
      expect(first.length).toBeGreaterThan(2);
      const mean = first.reduce((a, b) => a + b, 0) / first.length;
      return Math.sqrt(first.reduce((a, b) => a + (b - mean) ** 2, 0) / first.length);
    };
    expect(spread('jitter')).toBeGreaterThan(2 * spread('fixed'));
  });

  it('page-load: DNS answer, then the HTTP exchange', () => {
    const comments = readCaptureFileSync(synth('page-load').file).frames.map((f) => f.comments![0]!);
    const dns = comments.findIndex((c) => c.startsWith('DNS response: example.com is 93.184.216.34'));
    const get = comments.findIndex((c) => c.includes('HTTP request GET /'));
    expect(dns).toBeGreaterThanOrEqual(0);
    expect(get).toBeGreaterThan(dns);
  });
});

/**
 * Connection lifecycle on scripted exchanges: Zeek's history letters and conn_state (derived by
 * hand from Zeek's TCP analyzer rules, Zeek itself is not installed), our own phases, the
 * handshake record and Wireshark's tcp.completeness.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Analyzer } from '../../src/analysis/analyzer.js';
import type { TcpConnection, TcpSegment } from '../../src/analysis/connection.js';
import { TcpLifecycle } from '../../src/analysis/tcp-lifecycle.js';
import { openCapture } from '../../src/capture/reader.js';
import { decodePacket } from '../../src/decode/bindings.js';
import { runScript, type Step } from './lifecycle-helpers.js';

const C = 1000; // client ISN
const S = 5000; // server ISN

const handshake: Step[] = [
  { from: 'c', flags: 'S', seq: C, t: 0, options: [{ type: 'mss', mss: 1460 }, { type: 'sackPermitted' }, { type: 'timestamp', tsval: 1, tsecr: 0 }, { type: 'nop' }, { type: 'wscale', shift: 7 }] },
  { from: 's', flags: 'SA', seq: S, ack: C + 1, t: 0.01, options: [{ type: 'mss', mss: 1400 }, { type: 'nop' }, { type: 'wscale', shift: 8 }] },
  { from: 'c', flags: 'A', seq: C + 1, ack: S + 1, t: 0.02 },
];

function run(steps: Step[]) {
  const life = new TcpLifecycle();
  const conn = runScript(life, steps);
  return { life, conn, sum: life.summary(0)! };
}

describe('Zeek history and conn_state', () => {
  it('normal open, data both ways and FIN teardown: ShADadFf, SF', () => {
    const { sum } = run([
      ...handshake,
      { from: 'c', flags: 'PA', seq: C + 1, ack: S + 1, len: 100, t: 0.021 },
      { from: 's', flags: 'A', seq: S + 1, ack: C + 101, t: 0.03 },
      { from: 's', flags: 'PA', seq: S + 1, ack: C + 101, len: 200, t: 0.031 },
      { from: 'c', flags: 'A', seq: C + 101, ack: S + 201, t: 0.04 },
      { from: 'c', flags: 'FA', seq: C + 101, ack: S + 201, t: 0.05 },
      { from: 's', flags: 'FA', seq: S + 201, ack: C + 102, t: 0.06 },
      { from: 'c', flags: 'A', seq: C + 102, ack: S + 202, t: 0.07 },
    ]);
    expect(sum.history).toBe('ShADadFf');
    expect(sum.state).toBe('SF');
    expect(sum.phase).toBe('closed');
    expect(sum.closedBy).toBe('client');
    expect(sum.resetBy).toBeUndefined();
    expect(sum.simultaneousClose).toBe(false);
    expect(sum.startCaptured).toBe(true);
    expect(sum.clientDir).toBe(0);
    expect(sum.completeness).toBe(31);
    expect(sum.seqBytes).toEqual({ client: 100, server: 200 });
    expect(sum.handshake).toMatchObject({
      complete: true,
      windowScaling: true,
      client: { isn: C, mss: 1460, wscale: 7, sackPermitted: true, timestamps: true },
      server: { isn: S, mss: 1400, wscale: 8, sackPermitted: false, timestamps: false },
    });
    expect(sum.handshake.rtt).toBeCloseTo(0.02, 9);
    expect(sum.handshake.ackTime! - sum.handshake.synTime!).toBeCloseTo(0.02, 6);
  });

  it('refused: SYN answered by RST-ACK is Sr, REJ', () => {
    const { sum } = run([
      { from: 'c', flags: 'S', seq: C, t: 0 },
      { from: 's', flags: 'RA', seq: 0, ack: C + 1, t: 0.001 },
    ]);
    expect(sum.history).toBe('Sr');
    expect(sum.state).toBe('REJ');
    expect(sum.refused).toBe(true);
    expect(sum.phase).toBe('refused');
    expect(sum.resetBy).toBe('server');
    expect(sum.handshake.complete).toBe(false);
    // Wireshark: SYN (1), then a segment with ACK and without SYN (4) that is a RST (32).
    expect(sum.completeness).toBe(37);
    expect(sum.handshake.rtt).toBeCloseTo(0.001, 9);
  });

  it('reset by the client after data: ShADaR, RSTO; by the server: ShADar, RSTR', () => {
    const data: Step[] = [...handshake, { from: 'c', flags: 'PA', seq: C + 1, ack: S + 1, len: 10, t: 0.03 }, { from: 's', flags: 'A', seq: S + 1, ack: C + 11, t: 0.04 }];
    const byClient = run([...data, { from: 'c', flags: 'R', seq: C + 11, t: 0.05 }]).sum;
    expect(byClient.history).toBe('ShADaR');
    expect(byClient.state).toBe('RSTO');
    expect(byClient.phase).toBe('reset');
    expect(byClient.resetBy).toBe('client');
    const byServer = run([...data, { from: 's', flags: 'RA', seq: S + 1, ack: C + 11, t: 0.05 }]).sum;
    expect(byServer.history).toBe('ShADar');
    expect(byServer.state).toBe('RSTR');
    expect(byServer.resetBy).toBe('server');
    expect(byServer.refused).toBe(false);
  });

  it('half-open attempts: S0 (SYN retransmitted, same ISN: one S), RSTOS0, SH', () => {
    const s0 = run([
      { from: 'c', flags: 'S', seq: C, t: 0 },
      { from: 'c', flags: 'S', seq: C, t: 1 },
      { from: 'c', flags: 'S', seq: C, t: 3 },
    ]).sum;
    expect(s0.history).toBe('S');
    expect(s0.state).toBe('S0');
    expect(s0.phase).toBe('handshake');
    // A SYN with another ISN while waiting restarts the numbering (Zeek's init_endpoint): no new S;
    // after a RST it is another S.
    expect(run([{ from: 'c', flags: 'S', seq: C }, { from: 'c', flags: 'S', seq: C + 77 }]).sum.history).toBe('S');
    const again = run([{ from: 'c', flags: 'S', seq: C }, { from: 'c', flags: 'R', seq: C + 1 }, { from: 'c', flags: 'S', seq: C + 77 }]).sum;
    expect([again.history, again.state]).toEqual(['SRS', 'RSTOS0']);
    const rstos0 = run([{ from: 'c', flags: 'S', seq: C }, { from: 'c', flags: 'R', seq: C + 1 }]).sum;
    expect(rstos0.history).toBe('SR');
    expect(rstos0.state).toBe('RSTOS0');
    const sh = run([{ from: 'c', flags: 'S', seq: C }, { from: 'c', flags: 'F', seq: C + 1 }]).sum;
    expect(sh.history).toBe('SF');
    expect(sh.state).toBe('SH');
  });

  it('established but not closed: S1; one side closed: S2 / S3', () => {
    const open = run([...handshake, { from: 'c', flags: 'PA', seq: C + 1, ack: S + 1, len: 5 }, { from: 's', flags: 'PA', seq: S + 1, ack: C + 6, len: 7 }]).sum;
    expect(open.history).toBe('ShADd');
    expect(open.state).toBe('S1');
    expect(open.phase).toBe('established');
    const s2 = run([...handshake, { from: 'c', flags: 'FA', seq: C + 1, ack: S + 1 }]).sum;
    expect([s2.history, s2.state, s2.phase, s2.closedBy]).toEqual(['ShAF', 'S2', 'half-closed', 'client']);
    const s3 = run([...handshake, { from: 's', flags: 'FA', seq: S + 1, ack: C + 1 }]).sum;
    expect([s3.history, s3.state, s3.closedBy]).toEqual(['ShAf', 'S3', 'server']);
  });

  it('simultaneous close: FINs cross, each before acknowledging the other', () => {
    const { sum } = run([
      ...handshake,
      { from: 'c', flags: 'FA', seq: C + 1, ack: S + 1, t: 0.1 },
      { from: 's', flags: 'FA', seq: S + 1, ack: C + 1, t: 0.1001 },
      { from: 'c', flags: 'A', seq: C + 2, ack: S + 2, t: 0.2 },
      { from: 's', flags: 'A', seq: S + 2, ack: C + 2, t: 0.2001 },
    ]);
    expect(sum.history).toBe('ShAFfa');
    expect(sum.state).toBe('SF');
    expect(sum.simultaneousClose).toBe(true);
    expect(sum.closedBy).toBe('client');
  });

  it('simultaneous open: both send a SYN (RFC 9293 Figure 8)', () => {
    const { sum } = run([
      { from: 'c', flags: 'S', seq: C },
      { from: 's', flags: 'S', seq: S },
      { from: 'c', flags: 'SA', seq: C, ack: S + 1 },
      { from: 's', flags: 'SA', seq: S, ack: C + 1 },
      { from: 'c', flags: 'A', seq: C + 1, ack: S + 1 },
      { from: 's', flags: 'A', seq: S + 1, ack: C + 1 },
    ]);
    expect(sum.simultaneousOpen).toBe(true);
    expect(sum.history).toBe('SsAa');
    expect(sum.state).toBe('S1');
  });

  it('no handshake captured: midstream traffic is OTH; oriented by the server port (^)', () => {
    const mid = run([
      { from: 'c', flags: 'PA', seq: 2000, ack: 7000, len: 50 },
      { from: 's', flags: 'A', seq: 7000, ack: 2050 },
      { from: 's', flags: 'PA', seq: 7000, ack: 2050, len: 80 },
      { from: 'c', flags: 'A', seq: 2050, ack: 7080 },
    ]).sum;
    expect(mid.history).toBe('DadA');
    expect(mid.state).toBe('OTH');
    expect(mid.startCaptured).toBe(false);
    expect(mid.phase).toBe('established');
    expect(mid.handshake.complete).toBe(false);
    expect(mid.handshake.rtt).toBeUndefined();
    const fromServer = run([
      { from: 's', flags: 'PA', seq: 7000, ack: 2000, len: 80 },
      { from: 'c', flags: 'A', seq: 2000, ack: 7080 },
    ]).sum;
    expect(fromServer.history).toBe('^dA');
    expect(fromServer.flipped).toBe(true);
    expect(fromServer.clientDir).toBe(1);
    expect(fromServer.state).toBe('OTH');
  });

  it('SYN-ACK without the SYN: ^h…, then RSTRH or SHR', () => {
    const rstrh = run([{ from: 's', flags: 'SA', seq: S, ack: C + 1 }, { from: 's', flags: 'R', seq: S + 1 }]).sum;
    expect([rstrh.history, rstrh.state, rstrh.clientDir]).toEqual(['^hr', 'RSTRH', 1]);
    const shr = run([{ from: 's', flags: 'SA', seq: S, ack: C + 1 }, { from: 's', flags: 'FA', seq: S + 1, ack: C + 1 }]).sum;
    expect([shr.history, shr.state]).toEqual(['^hf', 'SHR']);
  });

  it('retransmissions (T), zero windows (w) and content gaps (G) are logarithmic: 1, 10, 100', () => {
    const rx: Step[] = [...handshake, { from: 'c', flags: 'PA', seq: C + 1, ack: S + 1, len: 100 }];
    for (let i = 0; i < 9; i++) rx.push({ from: 'c', flags: 'PA', seq: C + 1, ack: S + 1, len: 100 });
    expect(run(rx).sum.history).toBe('ShADT');
    rx.push({ from: 'c', flags: 'PA', seq: C + 1, ack: S + 1, len: 100 });
    expect(run(rx).sum.history).toBe('ShADTT');
    const zw = run([...handshake, { from: 's', flags: 'A', seq: S + 1, ack: C + 1, win: 0 }, { from: 's', flags: 'A', seq: S + 1, ack: C + 1, win: 0 }]).sum;
    expect(zw.history).toBe('ShAaw');
    const gap = run([
      ...handshake,
      { from: 'c', flags: 'PA', seq: C + 1, ack: S + 1, len: 100 },
      { from: 'c', flags: 'PA', seq: C + 201, ack: S + 1, len: 100 },
      { from: 's', flags: 'A', seq: S + 1, ack: C + 301 },
    ]).sum;
    expect(gap.history).toBe('ShADaG');
  });

  it('tracks several streams independently and reports what it has not seen as unknown', () => {
    const life = new TcpLifecycle();
    runScript(life, handshake, 0);
    runScript(life, [{ from: 'c', flags: 'S', seq: 1 }, { from: 's', flags: 'RA', seq: 0, ack: 2 }], 1, { c: 40001, s: 80 });
    expect(life.state(0)).toBe('S1');
    expect(life.state(1)).toBe('REJ');
    expect(life.history(1)).toBe('Sr');
    expect(life.summary(2)).toBeUndefined();
    expect(life.completeness(0)).toBe(7);
  });
});

const REAL = resolve(import.meta.dirname, '../../../shared/traces/real');
const haveCorpus = existsSync(REAL);
if (!haveCorpus) console.warn(`SKIPPED: tcp.completeness corpus test needs ${REAL}`);

describe.skipIf(!haveCorpus)('tcp.completeness against tshark on the corpus', () => {
  it('matches tshark on every packet of every stream whose first segment the lifecycle saw', async () => {
    let compared = 0;
    const bad: string[] = [];
    for (const name of readdirSync(REAL)) {
      if (!/\.pcapn?g?$/.test(name) || /invalid_major|invalid_shb|too_long/.test(name)) continue;
      const file = join(REAL, name);
      // A file cut short makes tshark exit non-zero after printing every frame it read.
      const out = spawnSync('tshark', ['-r', file, '-o', 'ip.defragment:FALSE', '-o', 'ipv6.defragment:FALSE', '-T', 'fields', '-e', 'frame.number', '-e', 'tcp.completeness'], { encoding: 'utf8', maxBuffer: 64 << 20 }).stdout;
      const expected = new Map<number, number>();
      for (const line of out.split('\n')) {
        const [n, c] = line.split('\t');
        if (c) expected.set(Number(n), Number(c));
      }
      const life = new TcpLifecycle();
      const seenFirst = new Set<number>();
      const before = new Map<number, number>();
      // Reads the value before the lifecycle takes the segment: that is what tshark shows on it.
      const probe = {
        onSegment(conn: TcpConnection, seg: TcpSegment) {
          if (conn.packets[0] + conn.packets[1] === 1) seenFirst.add(conn.stream);
          if (seenFirst.has(conn.stream)) before.set(seg.packet.frame.number, life.completeness(conn.stream));
        },
      };
      const analyzer = new Analyzer({ tcpObservers: [probe, life] });
      const reader = await openCapture(file);
      for await (const batch of reader.batches()) for (const frame of batch) analyzer.analyze(decodePacket(frame));
      reader.close();
      for (const [n, v] of before) {
        compared++;
        if (expected.get(n) !== v) bad.push(`${name} frame ${n}: ${v}, tshark ${expected.get(n)}`);
      }
    }
    expect(bad).toEqual([]);
    expect(compared).toBeGreaterThan(3000);
  });
});

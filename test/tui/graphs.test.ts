/**
 * The graphs' series, checked against tshark: the per-segment values they are drawn from
 * (frame.time_relative, tcp.seq, tcp.ack, tcp.len, tcp.analysis.retransmission,
 * tcp.analysis.ack_rtt) on the repo's loopback trace, a synthetic lossy transfer and a real capture
 * full of retransmissions, then each graph's values against sums and maxima taken from tshark's
 * output alone.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/sim/index.js';
import { buildGraph, busierDirection, columnsOf, niceCeil, sampleAt, timeGrid, type GraphSample, type SampleColumns } from '../../src/tui/graphs.js';
import { withTicks } from '../../src/tui/widgets/graph-view.js';
import { parseFieldsOutput, tsharkVersion } from '../differential/tshark.js';
import { readRecord } from './record.js';

const LOOPBACK = resolve(import.meta.dirname, '../../traces/http-get-loopback.pcapng');
const REAL = resolve(import.meta.dirname, '../../../shared/traces/real');
const RETRANS = join(REAL, 'tcp_retrans_dupack_ooo_keepalive_http.pcap');
const haveTshark = tsharkVersion() !== undefined;
if (!haveTshark) console.warn('test/tui/graphs.test.ts: tshark not installed, the comparisons with tshark are skipped');
if (!existsSync(RETRANS)) console.warn(`test/tui/graphs.test.ts: ${REAL} absent, the real-capture case is skipped`);

function lossyFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'wl-graphs-')), 'lossy.pcapng');
  writeFileSync(file, runScenario('lossy-transfer').bytes!);
  return file;
}

const COLUMNS = [
  'frame.time_relative',
  'tcp.stream',
  'ip.src',
  'ipv6.src',
  'tcp.srcport',
  'tcp.seq',
  'tcp.ack',
  'tcp.len',
  'tcp.flags.ack',
  'tcp.analysis.retransmission',
  'tcp.analysis.ack_rtt',
] as const;

interface TsharkSegment extends GraphSample {
  stream: number;
}

/** tshark's view of every TCP segment, with the direction worked out per stream as ours is (A sends the stream's first packet). */
function tsharkSegments(file: string): TsharkSegment[] {
  const args = ['-n', '-r', file, '-Y', 'tcp', '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=f'];
  for (const c of COLUMNS) args.push('-e', c);
  const out = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  const first = new Map<number, string>();
  return parseFieldsOutput(out.stdout, COLUMNS).map((r) => {
    const stream = Number(r['tcp.stream']);
    const src = `${r['ip.src'] || r['ipv6.src']}:${r['tcp.srcport']}`;
    if (!first.has(stream)) first.set(stream, src);
    return {
      stream,
      t: Number(r['frame.time_relative']),
      dir: first.get(stream) === src ? 0 : 1,
      seq: Number(r['tcp.seq']),
      ack: Number(r['tcp.ack']),
      len: Number(r['tcp.len']),
      hasAck: r['tcp.flags.ack'] === '1' || r['tcp.flags.ack'] === 'True',
      retransmission: r['tcp.analysis.retransmission'] !== '',
      ackRtt: r['tcp.analysis.ack_rtt'] ? Number(r['tcp.analysis.ack_rtt']) : Number.NaN,
    };
  });
}

/** Times to the microsecond: tshark prints nine decimals of a value we compute in floating point. */
function rounded(s: GraphSample): GraphSample {
  const us = (x: number) => (Number.isNaN(x) ? x : Math.round(x * 1e6) / 1e6);
  return { t: us(s.t), dir: s.dir, seq: s.seq, ack: s.ack, len: s.len, hasAck: s.hasAck, retransmission: s.retransmission, ackRtt: us(s.ackRtt) };
}

const finite = (y: readonly number[]) => y.filter((v) => !Number.isNaN(v));

/** What each graph must show, from tshark's values alone. */
function checkGraphs(theirs: readonly GraphSample[], ours: SampleColumns): void {
  const points = 100;
  const grid = timeGrid(ours, points);
  const binOf = (t: number) => Math.min(grid.count - 1, Math.floor((t - grid.start) / grid.interval + 1e-9));
  for (const dir of [0, 1] as const) {
    const seq = buildGraph('seq', ours, { maxPoints: points, dir });
    const div = { B: 1, kB: 1e3, MB: 1e6 }[seq.unit]!;
    const [ack, sent, retrans] = seq.series;
    const mine = theirs.filter((s) => s.dir === dir);
    const data = mine.filter((s) => s.len > 0 && !s.retransmission);
    // The highest sequence number sent is where the line ends.
    if (data.length) expect(sent!.y[sent!.y.length - 1]! * div).toBeCloseTo(Math.max(...data.map((s) => s.seq + s.len)), 6);
    else expect(finite(sent!.y)).toEqual([]);
    // Every retransmission marks its interval, and nothing else is marked.
    const marked = new Set(mine.filter((s) => s.retransmission).map((s) => binOf(s.t)));
    expect(retrans!.y.flatMap((v, i) => (Number.isNaN(v) ? [] : [i]))).toEqual([...marked].sort((a, b) => a - b));
    // The other end's highest ACK is where the ACK line ends.
    const acks = theirs.filter((s) => s.dir !== dir && s.hasAck);
    if (acks.length) expect(ack!.y[ack!.y.length - 1]! * div).toBeCloseTo(Math.max(...acks.map((s) => s.ack)), 6);
  }
  const tp = buildGraph('throughput', ours, { maxPoints: points, dir: 0 });
  const tdiv = { B: 1, kB: 1e3, MB: 1e6 }[tp.unit]!;
  for (const dir of [0, 1] as const) {
    const bytes = theirs.filter((s) => s.dir === dir).reduce((n, s) => n + s.len, 0);
    expect(tp.series[dir]!.y.reduce((n, v) => n + v, 0) * tdiv).toBeCloseTo(bytes, 3);
  }
  const rtt = buildGraph('rtt', ours, { maxPoints: points, dir: 0 });
  for (const dataDir of [0, 1] as const) {
    const rtts = theirs.filter((s) => s.dir !== dataDir && !Number.isNaN(s.ackRtt)).map((s) => s.ackRtt * 1e3);
    const y = finite(rtt.series[dataDir]!.y);
    if (rtts.length) expect(Math.max(...y)).toBeCloseTo(Math.max(...rtts), 3);
    else expect(y).toEqual([]);
  }
  for (const g of [tp, rtt]) for (const s of g.series) expect(Math.max(0, ...finite(s.y))).toBeLessThanOrEqual(g.maxY);
}

const CASES: [string, () => string, boolean][] = [
  ['the loopback HTTP trace', () => LOOPBACK, true],
  ['a synthetic lossy transfer', lossyFile, true],
  ['a real capture with 47 retransmissions', () => RETRANS, existsSync(RETRANS)],
];

describe.skipIf(!haveTshark)('graph series against tshark', () => {
  for (const [name, file, present] of CASES) {
    it.skipIf(!present)(`${name}: the segments and every graph`, async () => {
      const path = file();
      const all = tsharkSegments(path);
      // The stream with the most retransmissions (the first when none has any).
      const counts = new Map<number, number>();
      for (const s of all) counts.set(s.stream, (counts.get(s.stream) ?? 0) + (s.retransmission ? 1 : 0));
      const stream = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]![0];
      const theirs = all.filter((s) => s.stream === stream).map(({ stream: _, ...s }) => s);
      const { record, close } = readRecord(path, stream);
      close();
      expect(record.endpoints[0]).not.toBe('');
      const samples = Array.from({ length: record.length }, (_, i) => sampleAt(record, i));
      expect(samples.map(rounded)).toEqual(theirs.map(rounded));
      if (name.includes('lossy') || name.includes('real')) expect(samples.some((s) => s.retransmission)).toBe(true);
      checkGraphs(theirs, record);
    });
  }
});

describe('the time grid and the drawing helpers', () => {
  const rows = (...ts: number[]): GraphSample[] => ts.map((t) => ({ t, dir: 0, seq: 0, ack: 0, len: 1, hasAck: true, retransmission: false, ackRtt: Number.NaN }));
  const at = (...ts: number[]) => columnsOf(rows(...ts));

  it('picks round intervals that cover the stream in at most the points there is room for', () => {
    expect([niceCeil(0.0013), niceCeil(3), niceCeil(7), niceCeil(10)]).toEqual([0.002, 5, 10, 10]);
    for (const [ts, points] of [[[0.5, 7.87], 100], [[12.0001, 12.0053], 68], [[0, 1e-7], 10], [[3, 3], 50], [[0.0999, 0.2001], 3]] as const) {
      const g = timeGrid(at(...ts), points);
      expect(g.count).toBeLessThanOrEqual(points);
      expect(g.start).toBeLessThanOrEqual(ts[0]);
      expect(g.start + g.count * g.interval).toBeGreaterThan(ts[1]);
      expect(niceCeil(g.interval)).toBeCloseTo(g.interval, 12);
    }
  });

  it('labels intervals by their start and names the throughput interval', () => {
    const g = buildGraph('throughput', at(0, 0.05, 0.1), { maxPoints: 11, dir: 0 });
    expect(g.labels).toEqual(['0.00', '0.01', '0.02', '0.03', '0.04', '0.05', '0.06', '0.07', '0.08', '0.09', '0.10']);
    expect(g.title).toBe('Throughput (B per 10 ms) over time (s)');
    expect(g.series[0]!.y.filter((v) => v > 0)).toEqual([1, 1, 1]);
  });

  it('shows the sequence graph of the direction that sent more first', () => {
    const s = rows(0, 1);
    s[1]!.dir = 1;
    s[1]!.len = 5;
    expect(busierDirection(columnsOf(s))).toBe(1);
    expect(busierDirection(at(0, 1))).toBe(0);
  });

  it('draws a lone point as a tick, leaving lines and gaps alone', () => {
    const N = Number.NaN;
    expect(withTicks([N, 5, N, N, 2, 3, N, 7])).toEqual([N, 5, 5, N, 2, 3, 7, 7]);
    expect(withTicks([4])).toEqual([4]);
  });
});

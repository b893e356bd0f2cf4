/**
 * frame.time_relative, frame.time_delta and frame.time_delta_displayed: the clock on its own, then
 * `wirelens read -Y … --json` and `stats -Y` against `tshark -Y …` on real captures (the displayed
 * delta counts from the previous frame the filter kept, as tshark's one pass does). Skips visibly
 * without the corpus, tshark or the build.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FrameClock, formatDuration } from '../../src/capture/frame-clock.js';
import { openTrace } from '../../src/index.js';
import { HAVE_CORPUS, TRACE_DIR } from './corpus.js';

describe('FrameClock', () => {
  it('counts from the first frame, the previous frame and the previous shown frame', () => {
    const c = new FrameClock();
    c.advance({ tsSec: 100, tsNsec: 500 });
    expect([c.relative, c.delta, c.deltaDisplayed]).toEqual([0n, 0n, 0n]);
    // Not shown: the next displayed delta still has nothing to count from.
    c.advance({ tsSec: 101, tsNsec: 0 });
    expect([c.relative, c.delta, c.deltaDisplayed]).toEqual([999_999_500n, 999_999_500n, 0n]);
    c.shown();
    c.advance({ tsSec: 101, tsNsec: 250 });
    c.advance({ tsSec: 103, tsNsec: 0 });
    expect([c.relative, c.delta, c.deltaDisplayed]).toEqual([2_999_999_500n, 1_999_999_750n, 2_000_000_000n]);
  });

  it('gives negative deltas when the clock went back, exactly even decades apart', () => {
    const c = new FrameClock();
    c.advance({ tsSec: 4_000_000_000, tsNsec: 1 });
    c.shown();
    c.advance({ tsSec: 0, tsNsec: 0 });
    expect(c.delta).toBe(-4_000_000_000_000_000_001n);
    expect(formatDuration(c.delta)).toBe('-4000000000.000000001');
    expect(formatDuration(c.deltaDisplayed)).toBe('-4000000000.000000001');
    expect(formatDuration(-250_000n)).toBe('-0.000250000');
    expect(formatDuration(0n)).toBe('0.000000000');
  });
});

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/wirelens');
const built = existsSync(join(ROOT, 'dist/cli/main.js'));
const haveTshark = spawnSync('tshark', ['--version']).status === 0;
const skip = !HAVE_CORPUS || !haveTshark || !built;
if (skip) console.warn(`frame-times: tshark comparison skipped (${!HAVE_CORPUS ? 'no corpus' : !haveTshark ? 'no tshark' : 'no build'})`);

const TIME_FIELDS = ['frame.number', 'frame.time_relative', 'frame.time_delta', 'frame.time_delta_displayed'];

/** Files with ordinary timestamps (the corpus's odd ones are known differences: test/differential). */
const FILES = ['dns_over_tcp.pcap', 'http_keepalive_sequential_requests.pcap', 'pcapng_2if_nsec_usec_linux_windows_dns.pcapng', 'websocket_wstunnel_ssh_masked_binary.pcap'];

const CASES: [string, string][] = [
  ['dns_over_tcp.pcap', 'frame.time_relative > 0.2'],
  ['dns_over_tcp.pcap', 'frame.number > 2 && frame.number != 5'],
  ['http_keepalive_sequential_requests.pcap', 'tcp.len > 0'],
  ['http_keepalive_sequential_requests.pcap', 'frame.time_delta < 0.0001'],
  ['pcapng_2if_nsec_usec_linux_windows_dns.pcapng', 'frame.time_delta > 0.001'],
  ['websocket_wstunnel_ssh_masked_binary.pcap', 'frame.time_relative >= 16 && frame.time_relative <= 42'],
  // The displayed delta counts from the last frame the filter kept: only the first websocket frame.
  ['websocket_wstunnel_ssh_masked_binary.pcap', 'websocket && frame.time_delta_displayed == 0'],
  ['websocket_wstunnel_ssh_masked_binary.pcap', 'websocket && frame.time_delta_displayed < 0.02'],
];

function tshark(file: string, filter: string): string[][] {
  const args = ['-n', '-r', file, '-Y', filter, '-T', 'fields', ...TIME_FIELDS.flatMap((f) => ['-e', f])];
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  return r.stdout.split('\n').filter(Boolean).map((l) => l.split('\t'));
}

function wirelens(args: string[]): string {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

describe.skipIf(skip)('frame times against tshark -Y', () => {
  it.each(CASES)('%s, -Y %s: the same frames with the same times', (name, filter) => {
    const file = join(TRACE_DIR, name);
    const theirs = tshark(file, filter);
    const ours = wirelens(['read', '-Y', filter, '--json', file])
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const j = JSON.parse(l) as Record<string, unknown>;
        return TIME_FIELDS.map((f) => String(j[f]));
      });
    expect(theirs.length).toBeGreaterThan(0);
    expect(ours).toEqual(theirs);
    // stats counts what read shows.
    const stats = JSON.parse(wirelens(['stats', '--json', '-Y', filter, file])) as { packets: number };
    expect(stats.packets).toBe(theirs.length);
  });

  it('frame.time_delta_displayed > 0 keeps nothing, as in tshark: no first frame (delta 0) passes it', () => {
    const file = join(TRACE_DIR, 'dns_over_tcp.pcap');
    expect(tshark(file, 'frame.time_delta_displayed > 0')).toEqual([]);
    expect(wirelens(['read', '-Y', 'frame.time_delta_displayed > 0', file])).toBe('');
  });

  it('the typed API gives the same times: packet.get and trace.packets(filter)', async () => {
    const file = join(TRACE_DIR, 'http_keepalive_sequential_requests.pcap');
    const all = tshark(file, 'frame');
    const trace = await openTrace(file);
    expect(trace.packets().map((p) => TIME_FIELDS.map((f) => String(p.get(f))))).toEqual(all);
    const kept = tshark(file, 'frame.time_delta > 0.01');
    expect(trace.packets('frame.time_delta > 0.01').map((p) => p.number)).toEqual(kept.map((r) => Number(r[0])));
  });

  it('without a filter every frame is displayed: the displayed delta is the delta', () => {
    for (const name of FILES) {
      const rows = wirelens(['read', '--json', join(TRACE_DIR, name)])
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, string>);
      expect(rows.length).toBeGreaterThan(1);
      for (const r of rows) expect(r['frame.time_delta_displayed']).toBe(r['frame.time_delta']);
    }
  });
});

/**
 * The Time column's formats (`read -t`, tshark's `-t`): rounding and dates on their own, then
 * `wirelens read -t F` against `tshark -t F -T fields -e _ws.col.Time` on real captures with
 * microsecond timestamps, in a time zone west of UTC so that local and UTC times differ. Skips
 * visibly without the corpus, tshark or the build.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FrameClock } from '../../src/capture/frame-clock.js';
import { TIME_FORMATS, microsText, timeColumn } from '../../src/output/time-column.js';

describe('time column', () => {
  it('rounds nanoseconds to microseconds, half away from zero', () => {
    expect(microsText(0n)).toBe('0.000000');
    expect(microsText(1_999_999_499n)).toBe('1.999999');
    expect(microsText(1_999_999_500n)).toBe('2.000000');
    expect(microsText(-1_500n)).toBe('-0.000002');
    expect(microsText(4_000_000_000_000_000_001n)).toBe('4000000000.000000');
  });

  it('writes UTC dates, before 1970 too, and carries a rounded-up second', () => {
    const clock = new FrameClock();
    const at = (tsSec: number, tsNsec: number, f: (typeof TIME_FORMATS)[number]) => {
      clock.advance({ tsSec, tsNsec });
      return timeColumn(f, { tsSec, tsNsec }, clock);
    };
    expect(at(1591780863, 720289000, 'ud')).toBe('2020-06-10 09:21:03.720289');
    expect(at(1591780863, 999999700, 'u')).toBe('09:21:04.000000');
    // -0.25 s is stored as sec -1, nsec 750000000: 23:59:59.75 on the last day of 1969.
    expect(at(-1, 750000000, 'ud')).toBe('1969-12-31 23:59:59.750000');
    expect(at(-1, 750000000, 'e')).toBe('-0.250000');
  });
});

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/wirelens');
const REAL = resolve(ROOT, '../shared/traces/real');
const ready = existsSync(REAL) && existsSync(join(ROOT, 'dist/cli/main.js')) && spawnSync('tshark', ['--version']).status === 0;
if (!ready) console.warn('time-column: tshark comparison skipped (needs ../shared, tshark and the build)');

/** West of UTC, with summer time: local and UTC dates differ near midnight. */
const TZ = 'America/New_York';

describe.skipIf(!ready)('read -t against tshark -t', () => {
  const files = ['dns_over_tcp.pcap', 'http_keepalive_sequential_requests.pcap', 'pcap_le_usec_eth_http_get_fin.pcap'];
  const cases = files.flatMap((f) => TIME_FORMATS.map((t) => [f, t] as const));
  it.each(cases)('%s -t %s', (file, format) => {
    const path = join(REAL, file);
    // dd counts from the previous displayed frame: a filter makes it differ from d.
    const filter = format === 'dd' ? ['-Y', 'tcp.len > 0'] : [];
    const env = { ...process.env, TZ };
    const theirs = spawnSync('tshark', ['-r', path, ...filter, '-t', format, '-T', 'fields', '-e', '_ws.col.Time'], { encoding: 'utf8', env })
      .stdout.split('\n')
      .filter(Boolean);
    const r = spawnSync(process.execPath, [BIN, 'read', '-t', format, ...filter, path], { encoding: 'utf8', env });
    expect(r.status, r.stderr).toBe(0);
    // A summary line is "number time source → …"; a time with a date is two words.
    const words = format === 'ad' || format === 'ud' ? 2 : 1;
    const ours = r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => l.trim().split(/\s+/).slice(1, 1 + words).join(' '));
    expect(theirs.length).toBeGreaterThan(1);
    expect(ours).toEqual(theirs);
  });
});

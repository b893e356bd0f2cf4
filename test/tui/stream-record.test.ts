/**
 * The compact record of a stream explains any window of it again exactly as a whole read of the
 * capture does: every checkpoint's replay equals the pipeline's entries from there on, on real
 * captures full of expert flags (retransmissions, duplicate ACKs with SACK, zero windows,
 * keep-alives, truncated headers), HTTP, WebSocket, TLS and DNS messages, and a long synthetic
 * lossy transfer.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/sim/index.js';
import { buildTimeline, type TimelineEntry } from '../../src/timeline/pipeline.js';
import { sampleAt } from '../../src/tui/graphs.js';
import { readRecord } from './record.js';

const REAL = resolve(import.meta.dirname, '../../../shared/traces/real');
const REAL_FILES = [
  'tcp_retrans_dupack_ooo_keepalive_http.pcap',
  'tcp_sack_fast_retransmit.pcap',
  'tcp_zero_window_ooo_retrans_http_range.pcap',
  'tcp_snaplen68_truncated.pcap',
  'websocket_fragmented_ping_pong_close.pcap',
  'http_pipelined_scanner.pcap',
  'pcap_be_usec_eth_pptp_retrans_dupack.pcap',
  // TLS records and DNS over TCP: Protocol and Info the application stage made, kept per row.
  'tls13_curl_sni_dns_fin.pcap',
  'dns_over_tcp.pcap',
  'rawip_android_dns_http_tls.pcap',
];
const haveReal = existsSync(REAL);
if (!haveReal) console.warn(`test/tui/stream-record.test.ts: ${REAL} absent, the real-capture cases are skipped`);

/** The pipeline's entries of each TCP stream, by stream. */
async function streamsOf(file: string): Promise<Map<number, TimelineEntry[]>> {
  const all = await buildTimeline(file);
  const by = new Map<number, TimelineEntry[]>();
  for (const e of all.entries) if (e.tcp) by.set(e.tcp.stream, [...(by.get(e.tcp.stream) ?? []), e]);
  return by;
}

describe('the stream record', () => {
  for (const name of REAL_FILES) {
    it.skipIf(!haveReal)(`explains every segment of the streams of ${name} as the whole read`, async () => {
      const file = join(REAL, name);
      const streams = await streamsOf(file);
      // The longest streams (each is a read of the whole file).
      const chosen = [...streams.entries()].sort((a, b) => b[1].length - a[1].length).slice(0, 4);
      for (const [stream, entries] of chosen) {
        // Small steps, so that short streams have many checkpoints; about 40 replays of a long one.
        const step = Math.max(5, Math.ceil(entries.length / 40));
        const { record, frameAt, close } = readRecord(file, stream, step);
        expect(record.length).toBe(entries.length);
        for (let k = 0; k < record.segments; k++) expect(record.segment(k, frameAt)).toEqual(entries.slice(k * step, (k + 1) * step));
        close();
      }
    });
  }

  it('keeps the numbers the graphs draw, and far fewer bytes than the entries, on a long lossy transfer', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'wl-record-')), 'lossy.pcapng');
    writeFileSync(file, runScenario('lossy-transfer', { params: { size: '4MB' } }).bytes!);
    const whole = await buildTimeline(file, { stream: 0 });
    const { record, frameAt, close } = readRecord(file, 0);
    const n = record.length;
    expect(n).toBe(whole.entries.length);
    expect(n).toBeGreaterThan(4000);
    // Segments at the start, the middle and the end.
    for (const k of [0, Math.floor(record.segments / 2), record.segments - 1]) {
      expect(record.segment(k, frameAt)).toEqual(whole.entries.slice(k * record.step, (k + 1) * record.step));
    }
    for (const i of [0, 1, Math.floor(n / 3), n - 1]) {
      const e = whole.entries[i]!;
      const s = sampleAt(record, i);
      expect([s.seq, s.ack, s.len, s.ackRtt]).toEqual([e.tcp!.seq, e.tcp!.ack, e.tcp!.len, e.tcp!.ackRtt]);
    }
    expect(record.analysis.some((a) => a !== 0)).toBe(true);
    // Under 100 bytes a packet where an entry costs about 2 kB.
    expect(record.bytes / n).toBeLessThan(100);
    close();
  });
});

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
import { ACK, buildFrames, FIN, PSH, SYN, writePcap } from '../analysis/tcp-build.js';
import { emitEthernet } from '../../src/wire/ethernet.js';
import { emitIpv4 } from '../../src/wire/ipv4.js';

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
  // IPv6 extension headers, an atomic fragment among them.
  'ipv6_ext_hbh_rh_frag_dstopts_http.pcap',
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

  it('replays a segment that came in IP fragments from the datagram its last fragment completed', async () => {
    // A connection whose 3 000-byte segment (frame 4) crossed a link with a 1 500-byte MTU.
    const frames = buildFrames([
      { from: 'c', seq: 100, flags: SYN, t: 0 },
      { from: 's', seq: 500, ack: 101, flags: SYN | ACK, t: 0.001 },
      { from: 'c', seq: 101, ack: 501, flags: ACK, t: 0.002 },
      { from: 'c', seq: 101, ack: 501, flags: PSH | ACK, len: 3000, t: 0.003 },
      { from: 's', seq: 501, ack: 3101, flags: ACK, t: 0.004 },
      { from: 'c', seq: 3101, ack: 501, flags: FIN | ACK, t: 0.005 },
    ]);
    const seg = frames[3]!;
    const ipPayload = seg.data.subarray(14 + 20);
    const pieces = [
      { off: 0, bytes: ipPayload.subarray(0, 1480), more: true },
      { off: 1480, bytes: ipPayload.subarray(1480), more: false },
    ].map(({ off, bytes, more }, i) => {
      const ip = emitIpv4({ dscp: 0, ecn: 0, ident: 7, dontFragment: false, moreFragments: more, fragmentOffset: off, ttl: 64, protocol: 6, src: Uint8Array.of(10, 0, 0, 1), dst: Uint8Array.of(10, 0, 0, 2) }, bytes);
      const data = emitEthernet({ dst: seg.data.subarray(0, 6), src: seg.data.subarray(6, 12), etherType: 0x0800 }, ip);
      return { ...seg, data, origLen: data.length, tsNsec: seg.tsNsec + i };
    });
    const file = join(mkdtempSync(join(tmpdir(), 'wl-record-frag-')), 'frag.pcap');
    writePcap(file, [...frames.slice(0, 3), ...pieces, ...frames.slice(4)].map((f, i) => ({ ...f, number: i + 1 })));
    const entries = (await streamsOf(file)).get(0)!;
    // Frame 5, the second fragment, completes the segment; frame 4 waits (it is no TCP segment yet).
    expect(entries.map((e) => e.frame)).toEqual([1, 2, 3, 5, 6, 7]);
    expect(entries[3]!.explained.explanations.map((x) => x.code)).toContain('WL_EXPLAIN_IP_REASSEMBLED');
    const { record, frameAt, close } = readRecord(file, 0, 2);
    for (let k = 0; k < record.segments; k++) expect(record.segment(k, frameAt)).toEqual(entries.slice(k * 2, (k + 1) * 2));
    close();
  });

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

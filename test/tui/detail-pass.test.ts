/**
 * The TUI's detail pass (src/tui/detail-pass.ts): the selected packet analysed in order with the
 * packets before it, as `read --json` analyses it, and the tree drawn from it (details.ts).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Analyzer } from '../../src/analysis/analyzer.js';
import { AppStage, appAnalyzerOptions } from '../../src/analysis/app.js';
import { readCaptureFileSync } from '../../src/capture/reader.js';
import { decodePacket } from '../../src/decode/bindings.js';
import { packetToJson } from '../../src/output/json.js';
import { DetailPass, WINDOW } from '../../src/tui/detail-pass.js';
import { treeRows } from '../../src/tui/details.js';
import { formatDuration } from '../../src/capture/frame-clock.js';

const ROOT = resolve(import.meta.dirname, '../..');
const LOOPBACK = join(ROOT, 'traces/http-get-loopback.pcapng');
const LONG = resolve(ROOT, '../shared/traces/real/tcp_zero_window_ooo_retrans_http_range.pcap');

/** Steps the pass until it has frame index `i` (bounded). */
function reach(pass: DetailPass, i: number) {
  for (let k = 0; k < 10_000 && !pass.want(i); k++) pass.step(5);
  return pass.get(i);
}

/** What `read --json` prints for each frame. */
function readJson(file: string) {
  const analyzer = new Analyzer(appAnalyzerOptions(new AppStage({ bodies: true }), { defragment: true }));
  return readCaptureFileSync(file).frames.map((f) => {
    const p = decodePacket(f);
    return packetToJson(p, analyzer.analyze(p));
  });
}

describe('the detail pass', () => {
  it('gives the selected packet as read --json analyses it, and its tree shows the context', () => {
    const pass = new DetailPass(LOOPBACK, () => false);
    expect(pass.want(3)).toBe(false);
    const got = reach(pass, 3)!;
    expect(packetToJson(got.packet, got.analysis)).toEqual(readJson(LOOPBACK)[3]);
    const rows = treeRows(got.packet, new Set(['tcp', 'http']), got.analysis).map((r) => r.text);
    expect(rows).toContain('▾ http (88 bytes at 66)');
    expect(rows).toContain('    http.request.method: GET');
    // tcp.stream and the relative numbers right after tcp's own fields, as in read --json.
    const tcpFields = rows.slice(rows.findIndex((r) => r.startsWith('▾ tcp')) + 1, rows.findIndex((r) => r.startsWith('▾ http')));
    expect(tcpFields.findIndex((r) => r.startsWith('    tcp.stream: 0'))).toBeGreaterThan(tcpFields.findIndex((r) => r.startsWith('    tcp.srcport')));
    // The frame node, expanded: its times against the frames before it, as Wireshark's frame tree.
    const frames = readCaptureFileSync(LOOPBACK).frames;
    const ns = (k: number) => BigInt(frames[k]!.tsSec) * 1_000_000_000n + BigInt(frames[k]!.tsNsec);
    const frameRows = treeRows(got.packet, new Set(['frame']), got.analysis, got.times).map((r) => r.text);
    expect(frameRows[0]).toMatch(/^▾ Frame 4: \d+ bytes on wire/);
    expect(frameRows).toContain(`    frame.time_delta: ${formatDuration(ns(3) - ns(2))}`);
    expect(frameRows).toContain(`    frame.time_relative: ${formatDuration(ns(3) - ns(0))}`);
    expect(frameRows).toContain('    frame.protocols: eth:ip:tcp:http');
    expect(treeRows(got.packet, new Set(), got.analysis, got.times)[0]!.text).toMatch(/^▸ Frame 4/);
    // Frames already passed are kept: no new pass for them.
    expect(pass.want(0)).toBe(true);
    expect(pass.busy).toBe(false);
    pass.close();
  });

  it.skipIf(!existsSync(LONG))(`keeps the last ${WINDOW} packets; a jump back past them starts again from the first`, () => {
    const json = readJson(LONG);
    const pass = new DetailPass(LONG, () => false);
    const far = WINDOW + 700;
    expect(packetToJson(reach(pass, far)!.packet, reach(pass, far)!.analysis)).toEqual(json[far]);
    expect(pass.want(far - WINDOW + 1)).toBe(true);
    expect(pass.want(10)).toBe(false);
    const back = reach(pass, 10)!;
    expect(packetToJson(back.packet, back.analysis)).toEqual(json[10]);
    pass.close();
  });
});

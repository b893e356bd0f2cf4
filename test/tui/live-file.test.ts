/**
 * The live TUI indexes the pcapng file the capture is writing (src/tui/live.ts): these tests grow a
 * real file while the index and filter passes follow it, without a terminal or a capture tool. The
 * frames are the corpus trace's, so the columns can be compared with those of the finished file.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LiveFileWriter } from '../../src/capture/live-writer.js';
import { openCaptureSync, readCaptureFileSync } from '../../src/capture/reader.js';
import { compileFilter } from '../../src/filter/index.js';
import { PacketIndex } from '../../src/tui/packet-index.js';
import { filterScan, indexScan, type Scan } from '../../src/tui/scan.js';

const FILE = 'traces/http-get-loopback.pcapng';
const dir = mkdtempSync(join(tmpdir(), 'wl-live-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const haveTshark = spawnSync('tshark', ['-v'], { stdio: 'ignore' }).status === 0;

/** Steps a pass until it is done or has read everything there is for now. */
function drain(scan: Scan, limit = Number.POSITIVE_INFINITY): void {
  for (let k = 0; k < 1000 && !scan.done && !scan.waiting; k++) {
    const before = scan.framesRead;
    scan.step(50, limit);
    if (scan.framesRead === before && scan.framesRead >= limit) return;
  }
}

/** The whole trace indexed as a file, for comparison. */
function fileColumns(): ReturnType<PacketIndex['columns']>[] {
  const index = new PacketIndex();
  const reader = openCaptureSync(FILE);
  const scan = indexScan(reader, index);
  drain(scan);
  reader.close();
  return Array.from({ length: index.count }, (_, i) => index.columns(i));
}

describe('following a capture file as it is written', () => {
  const trace = readCaptureFileSync(FILE);

  it('indexes the frames LiveFileWriter writes, batch by batch, and ends at the statistics block', () => {
    const path = join(dir, 'live.pcapng');
    const writer = new LiveFileWriter(path, { iface: 'lo', filter: 'tcp port 80', engine: 'test' });
    // The section header is on disk at once, so the UI can open the file before any packet.
    const reader = openCaptureSync(path, { follow: true });
    const index = new PacketIndex();
    const scan = indexScan(reader, index);
    scan.step(50);
    expect([scan.waiting, scan.done, index.count]).toEqual([true, false, 0]);
    for (const [from, to] of [
      [0, 7],
      [7, 8],
      [8, 20],
    ] as const) {
      writer.writeBatch(trace.frames.slice(from, to), to - from, trace.interfaces);
      scan.waiting = false;
      drain(scan);
      expect([scan.waiting, scan.done, index.count]).toEqual([true, false, to]);
    }
    writer.close(trace.interfaces, { captured: 20, received: 21, dropped: 1 });
    reader.endFollow();
    scan.waiting = false;
    drain(scan);
    expect(scan.done).toBe(true);
    expect(index.count).toBe(20);
    expect(reader.warnings).toEqual([]);
    expect(reader.statistics.at(-1)).toMatchObject({ ifRecv: 21, ifDrop: 1 });
    expect(Array.from({ length: 20 }, (_, i) => index.columns(i))).toEqual(fileColumns());
    // Details are decoded again by offset, as for a file.
    expect(reader.readFrameAt(index.fileOffset(5), 6)?.data).toEqual(trace.frames[5]!.data);
    reader.close();
    if (haveTshark) {
      const r = spawnSync('tshark', ['-r', path, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' });
      expect(r.status).toBe(0);
      expect(r.stdout.trim().split('\n')).toHaveLength(20);
    }
  });

  it('waits at a block cut in the middle, whatever the size of the pieces written', () => {
    const bytes = readFileSync(FILE);
    for (const piece of [1, 37, 500]) {
      const path = join(dir, `pieces-${piece}.pcapng`);
      writeFileSync(path, bytes.subarray(0, 200));
      const reader = openCaptureSync(path, { follow: true });
      const index = new PacketIndex();
      const scan = indexScan(reader, index);
      let counts = 0;
      for (let at = 200; at < bytes.length; at += piece) {
        appendFileSync(path, bytes.subarray(at, Math.min(bytes.length, at + piece)));
        scan.waiting = false;
        drain(scan);
        expect(scan.done).toBe(false);
        counts = index.count;
      }
      expect(counts).toBe(20);
      reader.endFollow();
      scan.waiting = false;
      drain(scan);
      expect(scan.done).toBe(true);
      expect(reader.warnings).toEqual([]);
      expect(Array.from({ length: 20 }, (_, i) => index.columns(i))).toEqual(fileColumns());
      reader.close();
    }
  });

  it('a filter pass follows the same file and never runs ahead of the index', () => {
    const path = join(dir, 'filtered.pcapng');
    const writer = new LiveFileWriter(path, { iface: 'lo', engine: 'test' });
    writer.writeBatch(trace.frames, 20, trace.interfaces);
    const reader = openCaptureSync(path, { follow: true });
    const index = new PacketIndex();
    const indexer = indexScan(reader, index);
    // The index stopped part-way (its time slice ran out): the filter may not pass frame 10.
    while (index.count < 10) indexer.step(0.001, 10);
    const matched: number[] = [];
    const pass = filterScan(path, compileFilter('http'), (i) => matched.push(i), true);
    drain(pass, index.count);
    expect(pass.framesRead).toBe(10);
    expect(matched).toEqual([3, 5]);
    drain(indexer);
    drain(pass, index.count);
    expect([pass.framesRead, pass.done]).toEqual([20, false]);
    expect(matched).toEqual([3, 5, 13, 15]);
    writer.close(trace.interfaces, { captured: 20, received: 20, dropped: 0 });
    pass.reader.endFollow();
    pass.waiting = false;
    drain(pass);
    expect(pass.done).toBe(true);
    expect(matched).toEqual([3, 5, 13, 15]);
    reader.close();
  });
});

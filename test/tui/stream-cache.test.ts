/**
 * One stream's timeline read in time slices for the ladder pane, the ladder view and the graphs:
 * the same entries as the one-shot pipeline, the read of a stream nobody wants any more dropped,
 * and the ladder pane's window and highlight.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCaptureSync } from '../../src/capture/reader.js';
import { runScenario } from '../../src/sim/index.js';
import { buildLadder } from '../../src/timeline/ladder.js';
import { buildTimeline } from '../../src/timeline/pipeline.js';
import { renderText } from '../../src/timeline/render-text.js';
import { PacketIndex } from '../../src/tui/packet-index.js';
import { indexScan } from '../../src/tui/scan.js';
import { LADDER_WINDOW, laneWidthFor, StreamCache, type StreamData } from '../../src/tui/stream-cache.js';
import { renderLadderPane } from '../../src/tui/widgets/ladder-pane.js';

const FILE = 'traces/http-get-loopback.pcapng';

/** A stream cache as the app makes it: the frame number of each stream's last packet from the TUI's own index, whose reader reads frames again. */
function cacheFor(file = FILE, keepBytes?: number): StreamCache {
  const reader = openCaptureSync(file);
  const index = new PacketIndex();
  const scan = indexScan(reader, index);
  while (!scan.step(5));
  const last = (stream: number) => {
    for (let i = index.count - 1; i >= 0; i--) if (index.tcpStream(i) === stream) return i + 1;
    return 0;
  };
  return new StreamCache(file, last, (n) => reader.readFrameAt(index.fileOffset(n - 1), n), keepBytes);
}

function readAll(cache: StreamCache): StreamData {
  for (;;) {
    const d = cache.step(5);
    if (d) return d;
  }
}

describe('the stream cache', () => {
  it('reads a stream in slices into the same timeline as the pipeline, then keeps it', async () => {
    const cache = cacheFor();
    const ready: number[] = [];
    expect(cache.want(1, (d) => ready.push(d.stream))).toBeUndefined();
    expect(cache.reading).toBe(1);
    const d = readAll(cache);
    expect(cache.reading).toBeUndefined();
    expect(ready).toEqual([1]);
    const whole = await buildTimeline(FILE, { stream: 1 });
    expect([...d.record.frame]).toEqual([11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    const e0 = whole.entries[0]!;
    expect(d.record.endpoints).toEqual([`${e0.srcHost}:${e0.srcPort}`, `${e0.dstHost}:${e0.dstPort}`]);
    // The ladder drawn from what was kept is the one drawn from the whole pipeline's entries.
    expect(d.ladder(30).lines.join('\n')).toBe(renderText(buildLadder(whole, { all: true }), { laneWidth: 30, ascii: true }).replace(/\n$/, ''));
    // Asked again: there at once, and the callback runs at once.
    expect(cache.want(1, (x) => ready.push(x.stream))).toBe(d);
    expect(ready).toEqual([1, 1]);
    cache.close();
  });

  it('drops the read of a stream when another one is wanted', () => {
    const cache = cacheFor();
    const ready: number[] = [];
    cache.want(0, (d) => ready.push(d.stream));
    cache.step(0);
    cache.want(1, (d) => ready.push(d.stream));
    expect(cache.reading).toBe(1);
    expect(readAll(cache).stream).toBe(1);
    expect(ready).toEqual([1]);
    cache.close();
  });

  it('renders the ladder once per lane width, with the line of every frame', () => {
    const cache = cacheFor();
    cache.want(0);
    const d = readAll(cache);
    const l = d.ladder(laneWidthFor(100));
    expect(d.ladder(laneWidthFor(100))).toBe(l);
    expect([...l.lineOf.keys()]).toEqual([...d.record.frame]);
    for (const [frame, line] of l.lineOf) expect(l.lines[line]).toMatch(new RegExp(`^. +${frame}  \\d+\\.\\d{6}  \\|`));
    expect(l.lines.slice(0, l.head).join('\n')).toContain('127.0.0.1:8080');
    cache.close();
  });

  it('the ladder pane keeps the lanes on top and highlights the selected frame in its window', () => {
    const cache = cacheFor();
    cache.want(0);
    const l = readAll(cache).ladder(16);
    const height = 9;
    for (const frame of [1, 6, 10]) {
      const pane = renderLadderPane('  Ladder of tcp.stream 0', l, frame, 70, height);
      const rows = pane.content.split('\n');
      expect(rows).toHaveLength(height);
      expect(rows[0]).toContain('Ladder of tcp.stream 0');
      expect(rows.slice(1, l.head + 1).join('\n')).toContain('127.0.0.1:8080');
      const lit = rows.findIndex((r) => r.startsWith('{inverse}'));
      expect(rows[lit]).toMatch(new RegExp(`^\\{inverse\\}. +${frame}  `));
      // What a click on each row selects.
      expect(pane.frames[lit]).toBe(frame);
      expect(pane.frames.slice(0, l.head + 1).every((f) => f === undefined)).toBe(true);
    }
    cache.close();
  });

  it('draws a long stream as the window of packets around the selected one', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'wl-stream-')), 'long.pcapng');
    writeFileSync(file, runScenario('lossy-transfer', { params: { size: '4MB' } }).bytes!);
    const cache = cacheFor(file);
    cache.want(0);
    const d = readAll(cache);
    const n = d.count;
    expect(n).toBeGreaterThan(LADDER_WINDOW * 1.5);
    const mid = d.record.frame[Math.floor(n / 2)]!;
    const l = d.ladder(20, mid);
    expect(l.whole).toBe(false);
    expect(l.lineOf.size).toBe(LADDER_WINDOW);
    expect(l.first).toBeLessThan(mid - LADDER_WINDOW / 4);
    expect(l.last).toBeGreaterThan(mid + LADDER_WINDOW / 4);
    expect(l.lineOf.has(mid)).toBe(true);
    // A nearby selection reuses the window; the ends of the stream get their own.
    expect(d.ladder(20, mid + 1)).toBe(l);
    const end = d.ladder(20, d.record.frame[n - 1]!);
    expect(end.last).toBe(d.record.frame[n - 1]);
    expect(end.lineOf.has(d.record.frame[n - 1]!)).toBe(true);
    expect(d.ladder(20, 1).first).toBe(1);
    cache.close();
  });
});

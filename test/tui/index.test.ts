import { describe, expect, it } from 'vitest';
import { openCaptureSync } from '../../src/capture/reader.js';
import { decodePacket } from '../../src/decode/bindings.js';
import { PacketIndex } from '../../src/tui/packet-index.js';
import { filterScan, indexScan } from '../../src/tui/scan.js';
import { hexLines, MAX_ROW_VALUE, treeRows } from '../../src/tui/details.js';
import { TuiState } from '../../src/tui/state.js';
import { packetRowText, renderPacketList } from '../../src/tui/widgets/packet-list.js';
import { renderHex } from '../../src/tui/widgets/details-pane.js';
import { compileFilter } from '../../src/filter/index.js';
import { fit, tagEscape } from '../../src/tui/widgets/text.js';

const FILE = 'traces/http-get-loopback.pcapng';

function indexed(): { index: PacketIndex; reader: ReturnType<typeof openCaptureSync> } {
  const reader = openCaptureSync(FILE);
  const index = new PacketIndex();
  const scan = indexScan(reader, index);
  while (!scan.step(5));
  return { index, reader };
}

describe('the per-frame index', () => {
  it('holds the summary columns and the explanation, as `read` shows them', () => {
    const { index, reader } = indexed();
    expect(index.count).toBe(20);
    const c = index.columns(3);
    expect(c.protocol).toBe('HTTP');
    expect(c.info).toContain('GET /index.html');
    // The message the packet completes comes first, as `explain` says it (not its bytes as TCP data).
    expect(c.explanation).toBe('HTTP request GET /index.html (host 127.0.0.1:8080)');
    expect(index.columns(5).explanation).toBe('GET /index.html → 200 OK in 3.8 ms (text/html, 80 bytes)');
    expect(index.relTime(0)).toBe('0.000000');
    expect(index.tcpStream(0)).toBe(0);
    const row = packetRowText(index, 3, 100, false);
    expect(row).toMatch(/^ +4 +0\.000175 127\.0\.0\.1 +127\.0\.0\.1 +HTTP +154 GET \/index\.html/);
    expect([...row].length).toBe(100);
    reader.close();
  });

  it('shows comments already in the file as notes, escaped', async () => {
    const { annotateCapture } = await import('../../src/timeline/annotate.js');
    const { mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const out = join(mkdtempSync(join(tmpdir(), 'wl-tui-')), 'noted.pcapng');
    await annotateCapture(FILE, out, [{ frame: 2, text: 'server says yes\x1b[2J' }]);
    const reader = openCaptureSync(out);
    const index = new PacketIndex();
    const scan = indexScan(reader, index);
    while (!scan.step(5));
    expect(index.columns(1).info).toContain('[note: server says yes');
    expect(index.columns(1).info).not.toContain('\x1b');
    expect(index.columns(0).info).not.toContain('[note:');
    reader.close();
  });

  it('gives the frame a message only the capture end completed its explanation, as explain does', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { responseOnlyTheEndCompletes, writePcap } = await import('../analysis/tcp-build.js');
    const file = join(mkdtempSync(join(tmpdir(), 'wl-tui-')), 'close-delimited.pcap');
    writePcap(file, responseOnlyTheEndCompletes());
    const reader = openCaptureSync(file);
    const index = new PacketIndex();
    const scan = indexScan(reader, index);
    while (!scan.step(5));
    // Frame 5 carried the response's last bytes; its data was the row's explanation until the end.
    expect(index.columns(4).explanation).toBe('GET /a → 200 OK in 1 ms (text/plain, 5 bytes)');
    expect(index.columns(5).explanation).toMatch(/^ACK: client has received every byte/);
    reader.close();
  });

  it('re-reads a frame by its file offset, identical to the sequential read', () => {
    const { index, reader } = indexed();
    const all = openCaptureSync(FILE);
    const frames = [...all.batchesSync()].flat();
    for (const i of [0, 5, 19]) {
      const f = reader.readFrameAt(index.fileOffset(i), i + 1)!;
      expect(f.number).toBe(i + 1);
      expect([...f.data]).toEqual([...frames[i]!.data]);
    }
    reader.close();
    all.close();
  });

  it('a filter pass finds the frames `read -Y` would', () => {
    const hits: number[] = [];
    const scan = filterScan(FILE, compileFilter('http'), (i) => hits.push(i));
    while (!scan.step(5));
    scan.reader.close();
    expect(hits.map((i) => i + 1)).toEqual([4, 6, 14, 16]);
  });

  it('draws only the visible rows, selected one inverse, braces escaped', () => {
    const { index, reader } = indexed();
    const s = new TuiState();
    s.setPageSize(4);
    s.framesIndexed(index.count, true);
    s.move(10);
    const text = renderPacketList(s, index, 80, 5, true);
    const lines = text.split('\n');
    expect(lines).toHaveLength(5);
    expect(lines.filter((l) => l.startsWith('{inverse}'))).toHaveLength(1);
    expect(lines.at(-1)).toContain(' 11 ');
    reader.close();
  });
});

describe('layer tree and hex', () => {
  it('lists layers, expands one into its fields, and highlights a field’s bytes', () => {
    const reader = openCaptureSync(FILE);
    const frame = reader.nextBatchSync()![0]!;
    const packet = decodePacket(frame);
    const collapsed = treeRows(packet, new Set());
    expect(collapsed.map((r) => r.proto)).toEqual(['frame', 'eth', 'ip', 'tcp']);
    const rows = treeRows(packet, new Set(['ip']));
    const ttl = rows.find((r) => r.text.includes('ip.ttl'))!;
    expect(ttl).toMatchObject({ offset: 22, length: 1, isLayer: false });
    const lines = hexLines(frame.data, ttl.offset, ttl.length);
    expect(lines[1]!.marked.indexOf(true)).toBe(6);
    expect(lines[1]!.marked.filter(Boolean)).toHaveLength(1);
    const drawn = renderHex(lines, 0, 76, 10, false).split('\n')[2]!;
    expect(drawn).toContain('40 00 {inverse}40{/inverse} 06');
    reader.close();
  });

  it('cuts a long value (a payload as hex) short; its row still marks every byte it stands for', () => {
    const reader = openCaptureSync(FILE);
    const withPayload = reader.nextBatchSync()!.map((f) => decodePacket(f)).find((p) => p.layers.some((l) => l.proto === 'tcp' && l.fields().some((x) => x.name === 'tcp.payload' && String(x.value).length > MAX_ROW_VALUE)))!;
    const row = treeRows(withPayload, new Set(['tcp'])).find((r) => r.text.includes('tcp.payload'))!;
    expect(row.text.endsWith('…')).toBe(true);
    expect(row.text.length).toBeLessThan(MAX_ROW_VALUE + 40);
    const tcp = withPayload.layers.find((l) => l.proto === 'tcp')!;
    expect(row.length).toBe(String(tcp.fields().find((x) => x.name === 'tcp.payload')!.value).length / 2);
    reader.close();
  });

  it('shows control bytes as dots and escapes wire text for blessed and the terminal', () => {
    const lines = hexLines(new Uint8Array([0x1b, 0x5b, 0x32, 0x4a, 0x7b, 0x7d, 0x9b, 0x41]));
    expect(lines[0]!.ascii).toBe('.[2J{}.A');
    const drawn = renderHex(lines, 0, 76, 3, false);
    expect(drawn).toContain('.[2J{open}{close}.A');
    // eslint-disable-next-line no-control-regex
    for (const line of drawn.split('\n')) expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    expect(tagEscape('{bold}x')).toBe('{open}bold{close}x');
    expect(fit('abcdef', 4)).toBe('abc…');
    expect(fit('ab', 4)).toBe('ab  ');
  });
});

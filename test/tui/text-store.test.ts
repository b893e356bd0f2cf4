import { describe, expect, it } from 'vitest';
import { PacketIndex, type IndexEntry } from '../../src/tui/packet-index.js';
import { InternTable, TextArena } from '../../src/tui/text-store.js';

describe('the interned names', () => {
  it('keeps each distinct value once and gives it back by id', () => {
    const t = new InternTable();
    const a = t.id('10.0.0.1');
    const b = t.id('fe80::1');
    expect(t.id('10.0.0.1')).toBe(a);
    expect(b).not.toBe(a);
    expect(t.value(a)).toBe('10.0.0.1');
    expect(t.value(b)).toBe('fe80::1');
    expect(t.size).toBe(2);
  });
});

describe('the text arena', () => {
  it('gives back what was written, multi-byte UTF-8 and empty strings included', () => {
    const arena = new TextArena();
    const pairs: [string, string][] = [
      ['GET /index.html HTTP/1.1', ''],
      ['80 → 51234 [ACK] Seq=1 Ack=1', 'Data: 57 bytes client→server (bytes 325–381)'],
      ['', 'only an explanation'],
      ['\\x1b[2J escaped, ümlaut, 日本, 🎉', 'é'],
    ];
    const at = pairs.map(([info, expl]) => {
      const address = arena.reserve([info, expl]);
      return { address, info: arena.append(info), expl: arena.append(expl) };
    });
    pairs.forEach(([info, expl], i) => {
      const a = at[i]!;
      expect(arena.text(a.address, 0, a.info)).toBe(info);
      expect(arena.text(a.address, a.info, a.expl)).toBe(expl);
    });
    expect(at[1]!.info).toBe(Buffer.byteLength(pairs[1]![0]));
  });

  it('starts a new chunk when a pair does not fit, and holds a string larger than a chunk', () => {
    const arena = new TextArena();
    const line = (i: number) => `frame ${i} `.padEnd(1000, 'x') + '→';
    const written: { address: number; n: number; text: string }[] = [];
    // About 3 MB: several 1 MiB chunks, so pairs meet the end of a chunk.
    for (let i = 0; i < 3000; i++) {
      const text = line(i);
      const address = arena.reserve([text]);
      written.push({ address, n: arena.append(text), text });
    }
    const huge = 'y'.repeat(3 << 20);
    const hugeAt = arena.reserve([huge]);
    const hugeLen = arena.append(huge);
    for (const w of [written[0]!, written[1047]!, written[1048]!, written[2999]!]) expect(arena.text(w.address, 0, w.n)).toBe(w.text);
    expect(new Set(written.map((w) => Math.floor(w.address / 2 ** 32))).size).toBeGreaterThan(2);
    expect(arena.text(hugeAt, 0, hugeLen)).toBe(huge);
    expect(arena.bytes).toBeGreaterThanOrEqual(3000 * 1002 + (3 << 20));
  });
});

describe('the packet index past one page of frames', () => {
  it('keeps every frame’s figures and columns across pages', () => {
    const index = new PacketIndex();
    const n = 70_000 * 2; // past two pages of 65536
    const entry = (i: number): IndexEntry => ({
      fileOffset: 24 + i * 100,
      tsSec: 1_700_000_000 + Math.floor(i / 1000),
      tsNsec: (i % 1000) * 1_000_000,
      origLen: 60 + (i % 1400),
      source: `10.0.${(i >> 8) & 255}.${i & 255}`,
      destination: '192.168.1.1',
      protocol: i % 3 === 0 ? 'HTTP' : 'TCP',
      info: `info ${i}`,
      explanation: i % 2 ? `explained ${i} →` : '',
      severity: i % 5 === 0 ? 'warn' : 'chat',
      tcpStream: i % 7 === 0 ? -1 : i % 100,
      damaged: i % 11 === 0,
    });
    for (let i = 0; i < n; i++) index.add(entry(i));
    expect(index.count).toBe(n);
    for (const i of [0, 1, 65_535, 65_536, 65_537, 131_071, 131_072, n - 1]) {
      const e = entry(i);
      expect(index.fileOffset(i)).toBe(e.fileOffset);
      expect(index.length(i)).toBe(e.origLen);
      expect(index.tcpStream(i)).toBe(e.tcpStream);
      expect(index.severity(i)).toBe(e.severity);
      expect(index.damaged(i)).toBe(e.damaged);
      expect(index.protocol(i)).toBe(e.protocol);
      expect(index.columns(i)).toEqual({ source: e.source, destination: e.destination, protocol: e.protocol, info: e.info, explanation: e.explanation });
    }
    expect(index.relTime(65_536)).toBe('65.536000');
    // Compact: well under what five JS strings a frame cost (about 400 bytes for this many).
    expect(index.bytes / n).toBeLessThan(120);
  });
});

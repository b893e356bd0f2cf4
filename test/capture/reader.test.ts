import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Frame } from '../../src/capture/frame.js';
import { CaptureReader, openCapture, openCaptureSync, readCaptureFile, readCaptureFileSync } from '../../src/capture/reader.js';
import { describeHead, sniffFormat } from '../../src/capture/sniff.js';
import { WirelensError } from '../../src/errors.js';
import { bytes, concat, endOpt, epb, idb, opt, pcapHeader, pcapRecord, shb, spb, text, tmpFile } from './build.js';

/** A pcapng file exercising sections of both byte orders, comments, SPB and odd lengths. */
function mixedPcapng(): Uint8Array {
  return concat(
    shb(true, concat(opt(1, text('section one'), true), endOpt(true))),
    idb(true, 1, 0, concat(opt(9, Uint8Array.of(9), true), endOpt(true))),
    epb(true, 0, 0x17979cfe, 0x3d85cd15, bytes(61), 61, concat(opt(1, text('c1'), true), endOpt(true))),
    epb(true, 0, 0x17979cfe, 0x3d85cd16, bytes(1)),
    shb(false),
    idb(false, 101, 40),
    spb(false, 100, bytes(40, 3)),
    epb(false, 0, 0, 12345, bytes(333, 5), 400),
  );
}

function pcapFile(n = 20): Uint8Array {
  const parts = [pcapHeader({ nanos: true })];
  for (let i = 0; i < n; i++) parts.push(pcapRecord(1000 + i, i * 1000 + 1, bytes(i * 7 + 1, i), i * 7 + 10));
  return concat(...parts);
}

/** What must survive any way of reading: everything but the buffer identity of `data`. */
function summary(frames: readonly Frame[]) {
  return frames.map((f) => ({ ...f, data: Array.from(f.data) }));
}

function chunked(b: Uint8Array, sizes: (i: number) => number): Readable {
  const parts: Uint8Array[] = [];
  for (let o = 0, i = 0; o < b.length; i++) {
    const n = Math.max(1, sizes(i));
    // Copies, so the stream owns its chunks as a real one would.
    parts.push(b.slice(o, o + n));
    o += n;
  }
  return Readable.from(parts);
}

describe('streaming and chunk boundaries', () => {
  for (const [name, file] of [
    ['pcapng', mixedPcapng()],
    ['pcap', pcapFile()],
  ] as const) {
    it(`${name}: every chunk size gives the same frames (sync reader)`, () => {
      const path = tmpFile(`chunks.${name}`, file);
      const whole = readCaptureFileSync(path);
      expect(whole.warnings).toEqual([]);
      for (let size = 1; size <= 80; size++) {
        const c = readCaptureFileSync(path, { chunkSize: size });
        expect(summary(c.frames), `chunk ${size}`).toEqual(summary(whole.frames));
        expect(c.warnings).toEqual([]);
      }
    });

    it(`${name}: split at every boundary of a stream gives the same frames`, async () => {
      const whole = readCaptureFileSync(tmpFile(`whole.${name}`, file));
      for (let size = 1; size <= 40; size++) {
        const c = await readCaptureFile(chunked(file, () => size));
        expect(summary(c.frames), `chunk ${size}`).toEqual(summary(whole.frames));
      }
      for (let cut = 1; cut < file.length; cut++) {
        const c = await readCaptureFile(chunked(file, (i) => (i === 0 ? cut : file.length)));
        expect(summary(c.frames), `cut ${cut}`).toEqual(summary(whole.frames));
      }
    });
  }

  it('keeps frame views valid after later reads (fresh buffer per read)', () => {
    const r = openCaptureSync(tmpFile('views.pcap', pcapFile(200)), { chunkSize: 64 });
    const kept: Frame[] = [];
    for (let b = r.nextBatchSync(); b; b = r.nextBatchSync()) kept.push(...b);
    r.close();
    kept.forEach((f, i) => expect(Array.from(f.data)).toEqual(Array.from(bytes(i * 7 + 1, i))));
  });

  it('reports a file cut short the same way from a stream', async () => {
    const file = pcapFile(3);
    const c = await readCaptureFile(chunked(file.subarray(0, file.length - 3), () => 7));
    expect(c.frames.length).toBe(2);
    expect(c.warnings.map((w) => [w.code, w.frameNumber])).toEqual([['WL_ERR_TRUNCATED_FILE', 3]]);
  });

  it("reads '-' from stdin", async () => {
    const file = mixedPcapng();
    const saved = Object.getOwnPropertyDescriptor(process, 'stdin')!;
    Object.defineProperty(process, 'stdin', { value: chunked(file, () => 13), configurable: true });
    try {
      const c = await readCaptureFile('-');
      expect(c.frames.length).toBe(4);
      expect(c.format).toBe('pcapng');
    } finally {
      Object.defineProperty(process, 'stdin', saved);
    }
  });

  it('reads a pipe from another process', async () => {
    const path = tmpFile('piped.pcap', pcapFile(50));
    const child = spawn(process.execPath, ['-e', `const fs=require('fs');const b=fs.readFileSync(${JSON.stringify(path)});let o=0;(function w(){if(o>=b.length)return;process.stdout.write(b.subarray(o,o+=997),w)})()`]);
    const r = await openCapture(child.stdout, { name: 'child' });
    let n = 0;
    for await (const batch of r.batches()) n += batch.length;
    expect(n).toBe(50);
    expect(r.warnings).toEqual([]);
    expect(r.name).toBe('child');
  });
});

describe('sharing the event loop', () => {
  it('batches() of a path gives other work a turn during a long read', async () => {
    const path = tmpFile('long-read.pcap', pcapFile(60));
    const r = await openCapture(path, { chunkSize: 64 });
    let ranAt = -1;
    setImmediate(() => (ranAt = seen));
    let seen = 0;
    for await (const batch of r.batches()) {
      seen += batch.length;
      // A slow consumer: about 2 ms a batch, so the whole read is far longer than one slice.
      const until = performance.now() + 2;
      while (performance.now() < until);
    }
    expect(seen).toBe(60);
    // The immediate ran in the middle of the read, not only after it.
    expect(ranAt).toBeGreaterThan(0);
    expect(ranAt).toBeLessThan(60);
  });
});

describe('random access', () => {
  it('decodes any record again from its file offset', () => {
    for (const [name, file] of [
      ['ra.pcapng', mixedPcapng()],
      ['ra.pcap', pcapFile()],
    ] as const) {
      const r = openCaptureSync(tmpFile(name, file), { chunkSize: 50 });
      const frames: Frame[] = [];
      for (let b = r.nextBatchSync(); b; b = r.nextBatchSync()) frames.push(...b);
      for (const f of frames) {
        const again = r.readFrameAt(f.fileOffset, f.number);
        expect(summary([again!]), `${name} frame ${f.number}`).toEqual(summary([f]));
      }
      expect(r.readFrameAt(0)).toBeUndefined();
      r.close();
    }
  });
});

describe('opening problems', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wirelens-open-'));

  it('names a missing file and the OS reason, without a stack', async () => {
    const p = join(dir, 'nope.pcap');
    const e = (await readCaptureFile(p).catch((x: unknown) => x)) as WirelensError;
    expect(e).toBeInstanceOf(WirelensError);
    expect(e.code).toBe('WL_ERR_FILE_OPEN');
    expect(e.message).toBe(`${p}: cannot read: no such file or directory (ENOENT)`);
    expect(e.stack).not.toMatch(/\n\s+at /);
  });

  it('refuses a directory', () => {
    expect(() => openCaptureSync(dir)).toThrow(expect.objectContaining({ code: 'WL_ERR_FILE_OPEN', message: `${dir}: cannot read: is a directory` }));
  });

  it('says what a non-capture file starts with', async () => {
    const p = tmpFile('notes.txt', 'Hello');
    await expect(readCaptureFile(p)).rejects.toMatchObject({
      code: 'WL_ERR_NOT_A_CAPTURE',
      message: `${p}: not a capture file (starts with 48 65 6c 6c 6f "Hello"); wirelens reads pcap and pcapng`,
    });
    const g = tmpFile('x.pcap.gz', Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0));
    await expect(readCaptureFile(g)).rejects.toMatchObject({ message: expect.stringContaining('gzip') });
  });

  it('says "empty file" for an empty file', async () => {
    const p = tmpFile('empty.pcap', new Uint8Array(0));
    await expect(readCaptureFile(p)).rejects.toMatchObject({ code: 'WL_ERR_NOT_A_CAPTURE', message: `${p}: not a capture file (empty file); wirelens reads pcap and pcapng` });
    await expect(readCaptureFile(Readable.from([]))).rejects.toMatchObject({ code: 'WL_ERR_NOT_A_CAPTURE' });
  });

  it('escapes unprintable bytes in the description', () => {
    expect(describeHead(Uint8Array.of(0x00, 0x41, 0x22, 0x0a, 0xff))).toBe('00 41 22 0a ff "\\x00A\\"\\n\\xff"');
    expect(sniffFormat(Uint8Array.of(0xd4, 0xc3, 0xb2, 0xa1))).toBe('pcap');
    expect(sniffFormat(Uint8Array.of(0xa1, 0xb2, 0x3c, 0x4d))).toBe('pcap');
    expect(sniffFormat(Uint8Array.of(0x0a, 0x0d, 0x0d, 0x0a))).toBe('pcapng');
    expect(sniffFormat(Uint8Array.of(0x0a, 0x0d, 0x0d))).toBeUndefined();
  });

  it('exposes the reader class for both paths', async () => {
    const p = tmpFile('cls.pcap', pcapFile(2));
    const r = await CaptureReader.open(p);
    expect(r.format).toBe('pcap');
    expect(r.forEachSync(() => {})).toBe(2);
    expect(r.done).toBe(true);
    r.close();
  });
});

describe('mutated files', () => {
  it('never throw anything but a WirelensError, and sync and stream readers agree', async () => {
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const bases = [mixedPcapng(), pcapFile(30)];
    for (let i = 0; i < 600; i++) {
      const b = bases[i % 2]!.slice();
      const flips = 1 + rand(6);
      for (let k = 0; k < flips; k++) b[rand(b.length)] = rand(256);
      const cut = rand(3) === 0 ? rand(b.length) : b.length;
      const file = b.subarray(0, cut);
      let sync: ReturnType<typeof readCaptureFileSync> | WirelensError;
      try {
        sync = readCaptureFileSync(tmpFile(`fuzz.cap`, file), { chunkSize: 1 + rand(100) });
      } catch (e) {
        expect(e, `mutation ${i}`).toBeInstanceOf(WirelensError);
        sync = e as WirelensError;
      }
      const streamed = await readCaptureFile(chunked(file, () => 1 + rand(50))).catch((e: unknown) => {
        expect(e, `mutation ${i}`).toBeInstanceOf(WirelensError);
        return e as WirelensError;
      });
      if (sync instanceof WirelensError) {
        expect((streamed as WirelensError).code, `mutation ${i}`).toBe(sync.code);
      } else {
        const s = streamed as Awaited<ReturnType<typeof readCaptureFile>>;
        expect(summary(s.frames), `mutation ${i}`).toEqual(summary(sync.frames));
        expect(s.warnings.map((w) => w.code)).toEqual(sync.warnings.map((w) => w.code));
      }
    }
  });
});

import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { fdSink, memorySink, writableSink } from '../../src/capture/byte-output.js';
import type { Frame } from '../../src/capture/frame.js';
import { encodePcap, PcapWriter } from '../../src/capture/pcap-writer.js';
import { encodePcapng, PcapngWriter, tsresolByte } from '../../src/capture/pcapng-writer.js';
import { readCaptureFile, readCaptureFileSync, type CaptureContents } from '../../src/capture/reader.js';
import { bytes, tmpFile } from './build.js';

const DIR = '/work/shared/traces/real';
const present = existsSync(DIR);
if (!present) console.warn(`capture writer corpus round trips skipped: ${DIR} is absent`);

/** The fields a round trip must keep. */
function essence(frames: readonly Frame[]) {
  return frames.map((f) => ({
    tsSec: f.tsSec,
    tsNsec: f.tsNsec,
    origLen: f.origLen,
    data: Buffer.from(f.data).toString('hex'),
    linkType: f.linkType,
    interfaceId: f.interfaceId,
    comments: f.comments,
  }));
}

const readBytes = (name: string, b: Uint8Array) => readCaptureFileSync(tmpFile(name, b));

function sampleFrames(): Frame[] {
  return [0, 1, 2, 3].map((i) => ({
    number: i + 1,
    tsSec: 1700000000 + i,
    tsNsec: i * 123456789,
    origLen: 60 + i * 10,
    data: bytes(60 + i, i),
    linkType: i % 2 === 0 ? 1 : 101,
    interfaceId: i % 2,
    comments: i === 1 ? ['one comment'] : i === 2 ? ['first', 'second, ünïcode'] : undefined,
    fileOffset: 0,
    fcsLength: undefined,
  }));
}

describe('pcapng writer', () => {
  it('writes SHB, IDB and EPB options that read back identically', () => {
    const file = encodePcapng(
      sampleFrames(),
      [
        { linkType: 1, snapLen: 1500, name: 'eth0', description: 'wired', filter: 'tcp port 80', os: 'Linux 6.1', fcsLength: 4 },
        { linkType: 101, tsResolution: 1e6 },
      ],
      { comments: ['made by a test'], hardware: 'x86_64', os: 'Debian' },
    );
    const c = readBytes('w1.pcapng', file);
    expect(c.warnings).toEqual([]);
    expect(c.sections[0]).toMatchObject({ comments: ['made by a test'], hardware: 'x86_64', os: 'Debian', userAppl: 'wirelens 0.1.0', littleEndian: true });
    expect(c.interfaces).toEqual([
      { linkType: 1, snapLen: 1500, name: 'eth0', description: 'wired', filter: 'tcp port 80', os: 'Linux 6.1', tsResolution: 1e9, tsOffset: 0, fcsLength: 4 },
      { linkType: 101, snapLen: 262144, tsResolution: 1e6, tsOffset: 0 },
    ]);
    const expected = essence(sampleFrames());
    // Interface 1 is µs: its frames lose the sub-µs digits.
    for (const e of expected) if (e.interfaceId === 1) e.tsNsec = Math.floor(e.tsNsec / 1000) * 1000;
    expect(essence(c.frames)).toEqual(expected);
  });

  it('writes big-endian files and if_tsoffset', () => {
    const frames = sampleFrames().map((f) => ({ ...f, interfaceId: 0 }));
    const file = encodePcapng(frames, [{ linkType: 1, tsOffset: 1_000_000_000, tsResolution: 2 ** 20 }], { bigEndian: true });
    const c = readBytes('w2.pcapng', file);
    expect(c.sections[0]!.littleEndian).toBe(false);
    expect(c.interfaces[0]!.tsOffset).toBe(1_000_000_000);
    expect(c.interfaces[0]!.tsResolution).toBe(2 ** 20);
    // 2^-20 s units: the read value is the floor of the unit count in ns, within 954 ns of the original.
    c.frames.forEach((f, i) => {
      expect(f.tsSec).toBe(frames[i]!.tsSec);
      expect(Math.abs(f.tsNsec - frames[i]!.tsNsec)).toBeLessThan(954);
    });
    // Writing what was read is exact again.
    const again = readBytes('w2b.pcapng', encodePcapng(c.frames, c.interfaces, { bigEndian: true }));
    expect(essence(again.frames)).toEqual(essence(c.frames));
  });

  it('writes the exact unit count for every timestamp, across second boundaries and resolutions', () => {
    // Reference: sec * R + floor(nsec * R / 1e9) in BigInt, split into the EPB's two words (pcapng §4.3).
    for (const R of [1e9, 1e6, 1e3, 1]) {
      const frames = [];
      for (let i = 0; i < 400; i++) frames.push({ tsSec: 1_704_067_200 + (i >> 3), tsNsec: [0, 1, 999_999_999, 9_007_199, 9_007_200, 123_456_789, 500_000_000, 4_294_967][i & 7]! + (i >> 3), data: bytes(20, i) });
      const m = memorySink();
      const w = new PcapngWriter(m.sink);
      w.addInterface({ linkType: 1, tsResolution: R });
      for (const f of frames) w.writeFrame(f);
      w.close();
      const file = m.bytes();
      const dv = new DataView(file.buffer, file.byteOffset);
      // SHB (28 + userappl option) and IDB lengths are in their second words.
      let p = dv.getUint32(4, true);
      p += dv.getUint32(p + 4, true);
      for (const f of frames) {
        const t = BigInt(f.tsSec) * BigInt(R) + (BigInt(f.tsNsec) * BigInt(R)) / 1_000_000_000n;
        expect([dv.getUint32(p + 12, true), dv.getUint32(p + 16, true)]).toEqual([Number(t >> 32n), Number(t & 0xffffffffn)]);
        p += dv.getUint32(p + 4, true);
      }
    }
  });

  it('maps resolutions to if_tsresol', () => {
    expect([tsresolByte(1e9), tsresolByte(1e6), tsresolByte(1), tsresolByte(256), tsresolByte(1000 * 3)]).toEqual([9, 6, 0, 0x88, undefined]);
  });

  it('streams to a file descriptor and to a Writable', async () => {
    const path = tmpFile('fd.pcapng', '');
    const fd = openSync(path, 'w');
    const w = new PcapngWriter(fdSink(fd));
    w.addInterface({ linkType: 1 });
    for (let i = 0; i < 30000; i++) w.writeFrame({ tsSec: i, tsNsec: i, data: bytes(60, i) });
    w.close();
    closeSync(fd);
    const c = readCaptureFileSync(path);
    expect(c.frames.length).toBe(30000);
    expect(c.frames[29999]!.tsNsec).toBe(29999);

    const pt = new PassThrough();
    const { sink, drained } = writableSink(pt);
    const reading = readCaptureFile(pt);
    const pw = new PcapWriter(sink, { linkType: 1, nanosecond: true });
    for (let i = 0; i < 1000; i++) pw.writeFrame({ tsSec: i, tsNsec: 7, data: bytes(100, i) });
    pw.close();
    await drained();
    pt.end();
    const r = await reading;
    expect(r.frames.length).toBe(1000);
  });
});

describe('pcap writer', () => {
  for (const nanosecond of [false, true]) {
    for (const bigEndian of [false, true]) {
      it(`round trips ${nanosecond ? 'ns' : 'µs'} ${bigEndian ? 'BE' : 'LE'}`, () => {
        const frames = sampleFrames().map((f) => ({ ...f, linkType: 1, interfaceId: 0, comments: undefined }));
        const c = readBytes(`p-${nanosecond}-${bigEndian}.pcap`, encodePcap(frames, { linkType: 1, nanosecond, bigEndian, snapLen: 9000 }));
        const expected = essence(frames);
        if (!nanosecond) for (const e of expected) e.tsNsec = Math.floor(e.tsNsec / 1000) * 1000;
        expect(essence(c.frames)).toEqual(expected);
        expect(c.interfaces[0]!.snapLen).toBe(9000);
      });
    }
  }

  it('records the FCS length in the link-type field', () => {
    const c = readBytes('fcs-w.pcap', encodePcap([{ tsSec: 1, tsNsec: 0, data: bytes(64) }], { linkType: 1, fcsLength: 4 }));
    expect(c.frames[0]!.fcsLength).toBe(4);
    expect(c.frames[0]!.linkType).toBe(1);
  });

  it('collects in memory', () => {
    const m = memorySink();
    const w = new PcapWriter(m.sink, { linkType: 1 });
    w.writeFrame({ tsSec: 1, tsNsec: 0, data: bytes(3) });
    w.close();
    expect(m.bytes().length).toBe(24 + 16 + 3);
  });
});

describe.skipIf(!present)('corpus round trips', () => {
  const files = present ? readdirSync(DIR).filter((f) => /\.pcap(ng)?$/.test(f)) : [];
  const readable = (name: string): CaptureContents | undefined => {
    try {
      return readCaptureFileSync(join(DIR, name));
    } catch {
      return undefined;
    }
  };

  it.each(files)('%s → pcapng → read keeps every frame', (name) => {
    const c = readable(name);
    if (!c) return;
    const back = readBytes(`rt-${name}.pcapng`, encodePcapng(c.frames, c.interfaces));
    expect(back.warnings).toEqual([]);
    expect(essence(back.frames)).toEqual(essence(c.frames));
    expect(back.interfaces.map((i) => [i.linkType, i.snapLen, i.name, i.tsResolution])).toEqual(c.interfaces.map((i) => [i.linkType, i.snapLen, i.name, i.tsResolution]));
  });

  it.each(files.filter((f) => f.endsWith('.pcap')))('%s → pcap → pcapng → read keeps every frame', (name) => {
    const c = readable(name);
    if (!c || c.format !== 'pcap') return;
    const nanosecond = c.interfaces[0]!.tsResolution === 1e9;
    const viaPcap = readBytes(`rt1-${name}`, encodePcap(c.frames, { linkType: c.interfaces[0]!.linkType, snapLen: c.interfaces[0]!.snapLen, nanosecond }));
    expect(essence(viaPcap.frames)).toEqual(essence(c.frames));
    const ng = readBytes(`rt2-${name}.pcapng`, encodePcapng(viaPcap.frames, [{ linkType: c.interfaces[0]!.linkType }]));
    expect(essence(ng.frames)).toEqual(essence(c.frames));
  });
});

describe('files we write, as tshark reads them', () => {
  let tshark = false;
  try {
    execFileSync('tshark', ['-v'], { stdio: 'ignore' });
    tshark = true;
  } catch {
    console.warn('tshark not installed: writer interop check skipped');
  }
  it.skipIf(!tshark)('shows our packet comments, interfaces and ns timestamps', () => {
    const path = tmpFile('interop.pcapng', encodePcapng(sampleFrames(), [{ linkType: 1, name: 'eth0' }, { linkType: 101, name: 'tun0' }]));
    const out = execFileSync('tshark', ['-r', path, '-T', 'json', '-e', 'frame.time_epoch', '-e', 'frame.interface_name', '-e', 'frame.comment', '-e', 'frame.len'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const rows = (JSON.parse(out) as { _source: { layers: Record<string, string[]> } }[]).map((r) => r._source.layers);
    expect(rows.map((r) => r['frame.time_epoch']![0])).toEqual(['1700000000.000000000', '1700000001.123456789', '1700000002.246913578', '1700000003.370370367']);
    expect(rows.map((r) => r['frame.interface_name']![0])).toEqual(['eth0', 'tun0', 'eth0', 'tun0']);
    expect(rows.map((r) => r['frame.comment'])).toEqual([undefined, ['one comment'], ['first', 'second, ünïcode'], undefined]);
    expect(rows.map((r) => r['frame.len']![0])).toEqual(['60', '70', '80', '90']);
    expect(readFileSync(path).subarray(0, 4)).toEqual(Buffer.from([0x0a, 0x0d, 0x0d, 0x0a]));
  });
});

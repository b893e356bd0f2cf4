import { describe, expect, it } from 'vitest';
import { formatEpoch } from '../../src/capture/frame.js';
import { readCaptureFile, readCaptureFileSync } from '../../src/capture/reader.js';
import { WirelensError } from '../../src/errors.js';
import { bytes, concat, pcapHeader, pcapRecord, tmpFile, u32 } from './build.js';

async function readBytes(name: string, b: Uint8Array) {
  return readCaptureFile(tmpFile(name, b));
}

async function rejection(p: Promise<unknown>): Promise<WirelensError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(WirelensError);
    return e as WirelensError;
  }
  throw new Error('expected a WirelensError');
}

describe('pcap reading', () => {
  for (const le of [true, false]) {
    for (const nanos of [false, true]) {
      it(`reads ${le ? 'LE' : 'BE'} ${nanos ? 'ns' : 'µs'} files`, async () => {
        const d1 = bytes(60);
        const d2 = bytes(42, 7);
        const file = concat(
          pcapHeader({ le, nanos, snapLen: 1500, linkType: 1 }),
          pcapRecord(1700000000, nanos ? 123456789 : 123456, d1, 60, le),
          pcapRecord(1700000001, nanos ? 5 : 999999, d2, 1000, le),
        );
        const c = await readBytes(`x-${le}-${nanos}.pcap`, file);
        expect(c.format).toBe('pcap');
        expect(c.warnings).toEqual([]);
        expect(c.interfaces).toEqual([{ linkType: 1, snapLen: 1500, tsResolution: nanos ? 1e9 : 1e6, tsOffset: 0 }]);
        expect(c.sections[0]!.littleEndian).toBe(le);
        expect(c.frames.map((f) => formatEpoch(f.tsSec, f.tsNsec))).toEqual(
          nanos ? ['1700000000.123456789', '1700000001.000000005'] : ['1700000000.123456000', '1700000001.999999000'],
        );
        expect(c.frames.map((f) => [f.number, f.origLen, f.data.length, f.fileOffset, f.linkType, f.interfaceId])).toEqual([
          [1, 60, 60, 24, 1, 0],
          [2, 1000, 42, 24 + 16 + 60, 1, 0],
        ]);
        expect(Array.from(c.frames[1]!.data)).toEqual(Array.from(d2));
      });
    }
  }

  it('carries out-of-range fractions into the seconds', async () => {
    const file = concat(pcapHeader({ nanos: false }), pcapRecord(10, 2_500_000, bytes(1)));
    const c = await readBytes('frac.pcap', file);
    expect([c.frames[0]!.tsSec, c.frames[0]!.tsNsec]).toEqual([12, 500_000_000]);
  });

  it('takes the FCS length from the link-type field only when the P bit (0x04000000) is set', async () => {
    const withFcs = await readBytes('fcs.pcap', concat(pcapHeader({ linkType: (0x04000000 | (2 << 28) | 1) >>> 0 }), pcapRecord(1, 0, bytes(64))));
    expect(withFcs.frames[0]!.linkType).toBe(1);
    expect(withFcs.frames[0]!.fcsLength).toBe(4);
    expect(withFcs.interfaces[0]!.fcsLength).toBe(4);
    const noP = await readBytes('fcs2.pcap', concat(pcapHeader({ linkType: 0x30000065 }), pcapRecord(1, 0, bytes(1))));
    expect(noP.frames[0]!.linkType).toBe(101);
    expect(noP.frames[0]!.fcsLength).toBeUndefined();
  });

  it('swaps the length fields of version 2.2 files (orig_len came first then)', async () => {
    const file = concat(pcapHeader({ minor: 2 }), pcapRecord(1, 0, bytes(20), /*written first*/ 20, true, 500).subarray(0, 16), bytes(20));
    // Record header says caplen=500, origlen=20 in 2.4 order; in 2.2 order that is origlen 500, caplen 20.
    const c = await readBytes('v22.pcap', file);
    expect(c.frames.map((f) => [f.origLen, f.data.length])).toEqual([[500, 20]]);
  });

  it('delivers records longer than snaplen while plausible', async () => {
    const c = await readBytes('oversnap.pcap', concat(pcapHeader({ snapLen: 68 }), pcapRecord(1, 0, bytes(1514))));
    expect(c.warnings).toEqual([]);
    expect(c.frames[0]!.data.length).toBe(1514);
  });

  it('stops with WL_ERR_PCAP_RECORD_LENGTH at an implausible record, keeping earlier frames', async () => {
    const bogus = concat(u32(1, true), u32(0, true), u32(0x7fff0000, true), u32(60, true));
    const c = await readBytes('corrupt.pcap', concat(pcapHeader(), pcapRecord(1, 0, bytes(60)), bogus, bytes(100)));
    expect(c.frames.length).toBe(1);
    expect(c.warnings.map((w) => [w.code, w.fileOffset, w.frameNumber])).toEqual([['WL_ERR_PCAP_RECORD_LENGTH', 24 + 76, 2]]);
  });

  it('warns WL_ERR_TRUNCATED_FILE for a file cut mid-record, after every whole frame', async () => {
    const whole = concat(pcapHeader(), pcapRecord(1, 0, bytes(60)), pcapRecord(2, 0, bytes(60)), pcapRecord(3, 0, bytes(60)));
    for (const cut of [whole.length - 1, whole.length - 50, 24 + 76 * 2 + 5]) {
      const c = await readBytes(`cut${cut}.pcap`, whole.subarray(0, cut));
      expect(c.frames.length).toBe(2);
      expect(c.warnings.length).toBe(1);
      const w = c.warnings[0]!;
      expect(w.code).toBe('WL_ERR_TRUNCATED_FILE');
      expect(w.frameNumber).toBe(3);
      expect(w.fileOffset).toBe(24 + 76 * 2);
      expect(w.message).toContain('frame 3');
      expect(w.message).toContain(`offset ${24 + 76 * 2}`);
    }
  });

  it('reads a header-only file as zero frames', async () => {
    const c = await readBytes('hdr.pcap', pcapHeader());
    expect(c.frames).toEqual([]);
    expect(c.warnings).toEqual([]);
  });

  it('rejects a wrong major version with WL_ERR_PCAP_VERSION', async () => {
    const e = await rejection(readBytes('v1.pcap', concat(pcapHeader({ major: 1 }), pcapRecord(1, 0, bytes(4)))));
    expect(e.code).toBe('WL_ERR_PCAP_VERSION');
    expect(e.message).toMatch(/v1\.pcap: pcap version 1\.4/);
  });

  it('reports a file cut inside its header', async () => {
    const e = await rejection(readBytes('short.pcap', pcapHeader().subarray(0, 10)));
    expect(e.code).toBe('WL_ERR_TRUNCATED_FILE');
  });

  it('has a synchronous twin', () => {
    const c = readCaptureFileSync(tmpFile('sync.pcap', concat(pcapHeader(), pcapRecord(5, 1, bytes(10)))));
    expect(c.frames.length).toBe(1);
  });
});

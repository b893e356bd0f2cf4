import { describe, expect, it } from 'vitest';
import { formatEpoch } from '../../src/capture/frame.js';
import { readCaptureFile } from '../../src/capture/reader.js';
import { WirelensError } from '../../src/errors.js';
import { block, bytes, concat, endOpt, epb, idb, opt, shb, spb, text, tmpFile, u16, u32 } from './build.js';

const read = (name: string, b: Uint8Array) => readCaptureFile(tmpFile(name, b));

/** A one-byte option value. */
const byte = (v: number) => Uint8Array.of(v);

function i64(v: bigint, le: boolean): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigInt64(0, v, le);
  return b;
}

describe('pcapng reading', () => {
  for (const le of [true, false]) {
    it(`reads a ${le ? 'little' : 'big'}-endian section with options and comments`, async () => {
      const file = concat(
        shb(le, concat(opt(1, text('first'), le), opt(1, text('second'), le), opt(2, text('hw'), le), opt(3, text('os'), le), opt(4, text('app'), le), endOpt(le))),
        idb(le, 1, 1500, concat(opt(2, text('eth0'), le), opt(3, text('wired'), le), opt(9, byte(9), le), opt(11, concat(byte(0), text('tcp')), le), opt(12, text('Linux'), le), opt(13, byte(32), le), endOpt(le))),
        idb(le, 0, 0, concat(opt(9, byte(6), le), opt(14, i64(-100n, le), le), endOpt(le))),
        // 1700000000.123456789 s in ns units: 0x17979CFE3D85CD15 → high 0x17979CFE, low 0x3D85CD15.
        epb(le, 0, 0x17979cfe, 0x3d85cd15, bytes(60), 64, concat(opt(1, text('note A'), le), opt(2, u32(0, le), le), opt(1, text('note B'), le), endOpt(le))),
        epb(le, 1, 0, 1_000_000 * 150 + 7, bytes(5), 5),
      );
      const c = await read(`opts-${le}.pcapng`, file);
      expect(c.warnings).toEqual([]);
      expect(c.sections).toEqual([
        {
          fileOffset: 0,
          littleEndian: le,
          versionMajor: 1,
          versionMinor: 0,
          firstInterface: 0,
          interfaceCount: 2,
          comments: ['first', 'second'],
          hardware: 'hw',
          os: 'os',
          userAppl: 'app',
        },
      ]);
      expect(c.interfaces).toEqual([
        { linkType: 1, snapLen: 1500, name: 'eth0', description: 'wired', filter: 'tcp', os: 'Linux', tsResolution: 1e9, tsOffset: 0, fcsLength: 4 },
        { linkType: 0, snapLen: 0, tsResolution: 1e6, tsOffset: -100 },
      ]);
      const [a, b] = c.frames;
      expect(formatEpoch(a!.tsSec, a!.tsNsec)).toBe('1700000000.123456789');
      expect(a!.comments).toEqual(['note A', 'note B']);
      expect([a!.origLen, a!.data.length, a!.interfaceId, a!.linkType, a!.fcsLength]).toEqual([64, 60, 0, 1, 4]);
      expect(formatEpoch(b!.tsSec, b!.tsNsec)).toBe('50.000007000');
      expect(b!.comments).toBeUndefined();
      expect([b!.interfaceId, b!.linkType]).toEqual([1, 0]);
    });
  }

  it('converts 64-bit timestamps beyond 2^53 units exactly, for every resolution kind', async () => {
    const cases: [number, bigint][] = [
      [9, 0xfffffffffffffffn],
      [6, 0xffffffffffffffffn],
      [12, 1700000000123456789012n],
      [0x80 | 30, 0x123456789abcdefn],
      [0x80 | 8, 50n],
      [3, 1234567n],
    ];
    for (const [resol, units] of cases) {
      const le = true;
      const t = units & 0xffffffffffffffffn;
      const file = concat(shb(le), idb(le, 1, 0, concat(opt(9, byte(resol), le), endOpt(le))), epb(le, 0, Number(t >> 32n), Number(t & 0xffffffffn), bytes(1)));
      const c = await read(`ts${resol}.pcapng`, file);
      const R = resol & 0x80 ? 1n << BigInt(resol & 0x7f) : 10n ** BigInt(resol);
      const sec = t / R;
      const nsec = ((t % R) * 1_000_000_000n) / R;
      expect([c.frames[0]!.tsSec, c.frames[0]!.tsNsec], `resol ${resol}`).toEqual([Number(sec), Number(nsec)]);
    }
  });

  it('adds if_tsoffset seconds', async () => {
    const le = true;
    const file = concat(shb(le), idb(le, 1, 0, concat(opt(9, byte(0), le), opt(14, i64(1000n, le), le), endOpt(le))), epb(le, 0, 0, 5, bytes(1)));
    const c = await read('tsoff.pcapng', file);
    expect(c.frames[0]!.tsSec).toBe(1005);
  });

  it('reads SPB (interface 0, length min(orig, snaplen, room)) and the obsolete Packet Block', async () => {
    const le = false;
    const pb = block(2, concat(u16(1, le), u16(0, le), u32(0, le), u32(2_000_000, le), u32(3, le), u32(9, le), bytes(4), opt(1, text('old'), le), endOpt(le)), le);
    const file = concat(shb(le), idb(le, 1, 8), idb(le, 101, 0), spb(le, 100, bytes(12)), spb(le, 6, bytes(8)), pb);
    const c = await read('spb.pcapng', file);
    expect(c.warnings).toEqual([]);
    expect(c.frames.map((f) => [f.interfaceId, f.origLen, f.data.length, f.tsSec, f.tsNsec])).toEqual([
      [0, 100, 8, 0, 0],
      [0, 6, 6, 0, 0],
      [1, 9, 3, 2, 0],
    ]);
    expect(c.frames[2]!.comments).toEqual(['old']);
  });

  it('skips NRB, ISB (kept as statistics), DSB, custom and unknown blocks', async () => {
    const le = true;
    const isb = block(5, concat(u32(0, le), u32(0, le), u32(1_000_000, le), opt(4, concat(u32(10, le), u32(0, le)), le), opt(5, concat(u32(2, le), u32(1, le)), le), endOpt(le)), le);
    const file = concat(
      shb(le),
      block(4, concat(u16(0, le), u16(0, le)), le),
      idb(le),
      block(0x0a, bytes(16), le),
      block(0x40000bad, bytes(20), le),
      block(0x12345, bytes(3), le),
      epb(le, 0, 0, 1, bytes(10)),
      isb,
    );
    const c = await read('skip.pcapng', file);
    expect(c.warnings).toEqual([]);
    expect(c.frames.length).toBe(1);
    expect(c.statistics).toEqual([{ interfaceId: 0, tsSec: 1, tsNsec: 0, fileOffset: file.length - isb.length, ifRecv: 10, ifDrop: 2 ** 32 + 2, comments: [] }]);
  });

  it('handles several sections of different byte order, numbering interfaces over the file', async () => {
    const file = concat(shb(true), idb(true, 1), idb(true, 0), epb(true, 1, 0, 1, bytes(4)), shb(false), idb(false, 101), epb(false, 0, 0, 2, bytes(4)), shb(true), idb(true, 1), epb(true, 0, 0, 3, bytes(4)));
    const c = await read('sections.pcapng', file);
    expect(c.frames.map((f) => [f.interfaceId, f.linkType])).toEqual([
      [1, 0],
      [2, 101],
      [3, 1],
    ]);
    expect(c.sections.map((s) => s.firstInterface)).toEqual([0, 2, 3]);
  });

  it('stops with WL_ERR_PCAPNG_BLOCK_LENGTH (with the file offset) after delivering every good frame', async () => {
    const le = true;
    const head = concat(shb(le), idb(le), epb(le, 0, 0, 1, bytes(8)), epb(le, 0, 0, 2, bytes(8)));
    const after = epb(le, 0, 0, 9, bytes(8));
    const bad = {
      'not a multiple of 4': concat(u32(6, le), u32(30, le), bytes(22)),
      'shorter than 12': concat(u32(6, le), u32(8, le), bytes(4)),
      'trailer differs': block(6, bytes(20), le, { trailer: 36 }),
    };
    for (const [what, b] of Object.entries(bad)) {
      const c = await read(`badlen-${what.replace(/ /g, '_')}.pcapng`, concat(head, b, after));
      expect(c.frames.length, what).toBe(2);
      expect(c.warnings.map((w) => [w.code, w.fileOffset]), what).toEqual([['WL_ERR_PCAPNG_BLOCK_LENGTH', head.length]]);
      expect(c.warnings[0]!.message).toContain(`offset ${head.length}`);
    }
  });

  it('warns WL_ERR_PCAPNG_OPTION for an option overrunning its block and keeps the packet', async () => {
    const le = true;
    // Option claims 200 bytes but the block ends after 8.
    const badOpts = concat(u16(1, le), u16(200, le), text('abcd'));
    const file = concat(shb(le), idb(le), epb(le, 0, 0, 1, bytes(8), 8, concat(opt(1, text('ok'), le), badOpts)), epb(le, 0, 0, 2, bytes(8)));
    const c = await read('badopt.pcapng', file);
    expect(c.frames.length).toBe(2);
    expect(c.frames[0]!.comments).toEqual(['ok']);
    expect(c.warnings.map((w) => [w.code, w.frameNumber])).toEqual([['WL_ERR_PCAPNG_OPTION', 1]]);
  });

  it('warns for packets on undeclared interfaces and skips them', async () => {
    const le = true;
    const c = await read('noif.pcapng', concat(shb(le), idb(le), epb(le, 3, 0, 1, bytes(8)), epb(le, 0, 0, 2, bytes(8))));
    expect(c.frames.length).toBe(1);
    expect(c.warnings.map((w) => w.code)).toEqual(['WL_ERR_PCAPNG_NO_INTERFACE']);
  });

  it('rejects a first section of the wrong version, and stops at a later one', async () => {
    await expect(read('v2.pcapng', concat(shb(true, undefined, 2, 0), idb(true)))).rejects.toMatchObject({ code: 'WL_ERR_PCAPNG_VERSION' });
    const c = await read('v2later.pcapng', concat(shb(true), idb(true), epb(true, 0, 0, 1, bytes(4)), shb(true, undefined, 0, 1), idb(true), epb(true, 0, 0, 1, bytes(4))));
    expect(c.frames.length).toBe(1);
    expect(c.warnings.map((w) => w.code)).toEqual(['WL_ERR_PCAPNG_VERSION']);
  });

  it('warns WL_ERR_TRUNCATED_FILE when cut inside a block', async () => {
    const file = concat(shb(true), idb(true), epb(true, 0, 0, 1, bytes(8)), epb(true, 0, 0, 2, bytes(8)));
    const c = await read('cut.pcapng', file.subarray(0, file.length - 5));
    expect(c.frames.length).toBe(1);
    expect(c.warnings.map((w) => [w.code, w.frameNumber, w.fileOffset])).toEqual([['WL_ERR_TRUNCATED_FILE', 2, file.length - 40]]);
  });

  it('rejects a section header with a bad byte-order magic as not a capture', async () => {
    const b = shb(true);
    b.set(u32(0x11223344, true), 8);
    const err = await read('bom.pcapng', b).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WirelensError);
    expect((err as WirelensError).code).toBe('WL_ERR_NOT_A_CAPTURE');
  });
});

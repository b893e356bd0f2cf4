/**
 * Every corpus capture read by wirelens and by tshark 4.0 (the oracle): frame count and per frame
 * frame.time_epoch, frame.len, frame.cap_len, frame.interface_id and frame.comment.
 *
 * Deliberate differences (each asserted explicitly below, not skipped):
 * - tshark shows pcapng custom blocks (CB/DCB) as records without an interface; they carry no
 *   packet, so wirelens does not make frames of them (rows without interface_id are dropped).
 * - tshark 4.0 numbers frame.interface_id per section (and then labels the frame with the IDB of
 *   the first section: a Wireshark bug). wirelens numbers IDBs over the whole file, as Frame
 *   documents; the comparison maps ours back to section-local ids.
 * - A Simple Packet Block has no timestamp: tshark leaves frame.time_epoch empty, we give 0.
 * - Out-of-range fractions in pcap record timestamps: tshark prints them unnormalised
 *   ("…370.1000000000"); we carry them into the seconds (KNOWN_TIMES).
 * - Files tshark refuses are refused by us with a stable code (REFUSED).
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatEpoch, type Frame } from '../../src/capture/frame.js';
import { readCaptureFile, type CaptureContents } from '../../src/capture/reader.js';
import { WirelensError } from '../../src/errors.js';

const DIR = '/work/shared/traces/real';
const present = existsSync(DIR);
if (!present) console.warn(`capture corpus tests skipped: ${DIR} is absent`);

const FILES = present ? readdirSync(DIR).filter((f) => /\.pcap(ng)?$/.test(f)).sort() : [];

/** Files tshark 4.0 refuses, and the code we refuse them with. */
const REFUSED: Record<string, string> = {
  'pcap_invalid_major_version.pcap': 'WL_ERR_PCAP_VERSION',
  'pcapng_invalid_shb_version.pcapng': 'WL_ERR_PCAPNG_VERSION',
  // The SHB's trailing length is garbage ("0000"), so its framing is broken before the overlong option.
  'pcapng_shb_option_too_long.pcapng': 'WL_ERR_PCAPNG_BLOCK_LENGTH',
};

/** Our frame.time_epoch where tshark prints an unnormalised fraction (file → frame number → value). */
const KNOWN_TIMES: Record<string, Record<number, string>> = {
  // ns fractions 1000000000 and 2147483648 (tshark: "…370.1000000000", "-1418145370.2147483648").
  'pcap_nsec_invalid_timestamps.pcap': { 2: '1418145371.000000000', 3: '1418145372.147483648' },
  // ns fraction 1882137472 (tshark: "980658802.1882137472").
  'fuzz_cut_short_nsec_null.pcap': { 1: '980658803.882137472' },
};

/** Warnings we expect (file → codes); every other file must read without any. */
const EXPECTED_WARNINGS: Record<string, string[]> = {
  'fuzz_cut_short_nsec_null.pcap': ['WL_ERR_TRUNCATED_FILE'],
};

interface TsharkRow {
  number: string;
  time: string;
  len: string;
  capLen: string;
  iface: string | undefined;
  comments: string[] | undefined;
}

function tshark(file: string): Promise<TsharkRow[]> {
  const args = ['-r', file, '-T', 'json'];
  for (const f of ['frame.number', 'frame.time_epoch', 'frame.len', 'frame.cap_len', 'frame.interface_id', 'frame.comment']) args.push('-e', f);
  return new Promise((resolve) => {
    execFile('tshark', args, { maxBuffer: 64 << 20 }, (_err, stdout) => {
      // tshark exits non-zero on files it cannot finish; what it printed before still counts.
      let rows: { _source: { layers: Record<string, string[]> } }[] = [];
      try {
        rows = JSON.parse(stdout || '[]');
      } catch {
        rows = [];
      }
      resolve(
        rows.map((r) => {
          const l = r._source.layers;
          return {
            number: l['frame.number']![0]!,
            time: l['frame.time_epoch']?.[0] ?? '',
            len: l['frame.len']![0]!,
            capLen: l['frame.cap_len']![0]!,
            iface: l['frame.interface_id']?.[0],
            comments: l['frame.comment'],
          };
        }),
      );
    });
  });
}

function localInterfaceId(c: CaptureContents, f: Frame): number {
  let base = 0;
  for (const s of c.sections) if (s.firstInterface <= f.interfaceId) base = s.firstInterface;
  return f.interfaceId - base;
}

describe.skipIf(!present)('corpus against tshark', () => {
  it.each(FILES)('%s', async (name) => {
    const path = join(DIR, name);
    const [rows, ours] = await Promise.all([
      tshark(path),
      readCaptureFile(path).then(
        (c) => c,
        (e: unknown) => e,
      ),
    ]);
    if (REFUSED[name]) {
      expect(rows).toEqual([]);
      expect(ours).toBeInstanceOf(WirelensError);
      expect((ours as WirelensError).code).toBe(REFUSED[name]);
      expect((ours as WirelensError).message).toContain(path);
      return;
    }
    if (ours instanceof Error) throw ours;
    const c = ours as CaptureContents;
    const expected = c.format === 'pcapng' ? rows.filter((r) => r.iface !== undefined) : rows;
    expect(c.warnings.map((w) => w.code)).toEqual(EXPECTED_WARNINGS[name] ?? []);
    expect(c.frames.length).toBe(expected.length);
    const mine = c.frames.map((f) => ({
      time: formatEpoch(f.tsSec, f.tsNsec),
      len: String(f.origLen),
      capLen: String(f.data.length),
      iface: c.format === 'pcapng' ? String(localInterfaceId(c, f)) : undefined,
      comments: f.comments,
    }));
    const theirs = expected.map((r, i) => ({
      time: KNOWN_TIMES[name]?.[i + 1] ?? (r.time === '' ? '0.000000000' : r.time),
      len: r.len,
      capLen: r.capLen,
      iface: r.iface,
      comments: r.comments,
    }));
    expect(mine).toEqual(theirs);
    c.frames.forEach((f, i) => expect(f.number).toBe(i + 1));
  });
});

describe.skipIf(!present)('corpus details', () => {
  it('numbers interfaces over all sections and keeps per-section byte order', async () => {
    const c = await readCaptureFile(join(DIR, 'pcapng_multi_section_mixed_endian.pcapng'));
    expect(c.sections.map((s) => [s.littleEndian, s.firstInterface, s.interfaceCount])).toEqual([
      [false, 0, 2],
      [true, 2, 1],
      [false, 3, 2],
    ]);
    expect(c.frames.map((f) => f.interfaceId)).toEqual([0, 0, 1, 2, 2, 2, 2, 4]);
    expect(c.frames.map((f) => f.linkType)).toEqual([1, 1, 0, 1, 1, 1, 1, 0]);
    expect(c.interfaces[2]!.name).toBe('silly ethernet interface 2');
    expect(c.sections[0]!.hardware).toBe('Apple MBP');
  });

  it('reads SHB comment, IDB options and the two packet comments', async () => {
    const c = await readCaptureFile(join(DIR, 'pcapng_merged_2if_comments_vlan_rtp.pcapng'));
    expect(c.sections[0]!.comments.length).toBe(1);
    expect(c.sections[0]!.comments[0]!.split('\n').length).toBeGreaterThan(1);
    expect(c.interfaces.some((i) => i.name === 'em1' && i.filter === 'host 172.16.168.24')).toBe(true);
    expect(c.frames[52]!.comments).toEqual(['\\\\VBOXSVR\\share\\rtp.pcap']);
  });

  it('reads if_tsresol of both kinds and if_description', async () => {
    const c = await readCaptureFile(join(DIR, 'pcapng_2if_nsec_usec_linux_windows_dns.pcapng'));
    expect(c.interfaces.map((i) => i.tsResolution)).toEqual([1e9, 1e6]);
    expect(c.interfaces[1]!.description).toBeTruthy();
    const p2 = await readCaptureFile(join(DIR, 'pcapng_if_tsresol_power_of_2.pcapng'));
    expect(p2.interfaces[0]!.tsResolution).toBe(256);
  });

  it('collects interface statistics', async () => {
    const c = await readCaptureFile(join(DIR, 'http_chunked_keepalive_nsec.pcapng'));
    expect(c.statistics.length).toBe(1);
    expect(c.statistics[0]!.interfaceId).toBe(0);
    const all = await readCaptureFile(join(DIR, 'pcapng_le_all_block_types_eth_null.pcapng'));
    expect(all.statistics.length).toBe(6);
    expect(all.statistics.some((s) => s.ifRecv !== undefined)).toBe(true);
  });

  it('detects pcapng named .pcap by its magic', async () => {
    const c = await readCaptureFile(join(DIR, 'pcapng_be_rawip_pfcp_misnamed.pcap'));
    expect(c.format).toBe('pcapng');
    expect(c.sections[0]!.littleEndian).toBe(false);
    expect(c.frames.length).toBe(200);
    expect(c.frames[0]!.linkType).toBe(101);
  });

  it('strips the FCS bits of the pcap link-type field (P flag clear: FCS length unknown)', async () => {
    const c = await readCaptureFile(join(DIR, 'pcap_linktype_fcs_bits_snaplen1.pcap'));
    expect(c.interfaces[0]!.linkType).toBe(101);
    expect(c.frames[0]!.linkType).toBe(101);
    expect(c.frames[0]!.fcsLength).toBeUndefined();
    expect(c.interfaces[0]!.snapLen).toBe(1);
  });
});

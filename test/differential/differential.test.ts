/**
 * Differential test: every capture in ../shared/traces/real is decoded by wirelens and by tshark
 * (the oracle), and every compared field of every frame must agree. Mismatches are collected per
 * file and field rather than failing on the first; the only tolerated ones are listed in
 * KNOWN_DIFFERENCES below, each with its reason (mirrored in known-differences.md).
 *
 * Set WIRELENS_DIFF_REPORT=/some/file.json to get every mismatch, explained or not, as JSON.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCaptureFile } from '../../src/capture/reader.js';
import { decodePacket } from '../../src/decode/bindings.js';
import { packetToJson, type PacketJson } from '../../src/output/json.js';
import { Analyzer } from '../../src/analysis/analyzer.js';
import { FrameClock } from '../../src/capture/frame-clock.js';
import {
  AGGREGATOR,
  ANALYSIS_FIELDS,
  ENCAP_COLUMN,
  FIELDS,
  PROTOCOLS_COLUMN,
  canonOurValue,
  canonOurs,
  canonTshark,
  canonTsharkToken,
  parseFieldsOutput,
  pool,
  runTshark,
  show,
  tsharkArgs,
  tsharkEscape,
  tsharkVersion,
  type TsharkRun,
} from './tshark.js';

const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const TRACE_DIR = resolve(PROJECT_ROOT, '../shared/traces/real');

/** A tolerated mismatch: `frames` are our frame numbers (all frames of the file when absent). */
interface KnownDifference {
  file: string;
  field: string;
  frames?: number[];
  reason: string;
}

/** Keep in step with known-differences.md (same order, same reasons). */
const KNOWN_DIFFERENCES: readonly KnownDifference[] = [
  {
    file: 'pcapng_le_all_block_types_eth_null.pcapng',
    field: 'frame.number',
    reason: 'tshark numbers pcapng Custom Blocks (CB/DCB) as records of their own; our frames are packets only',
  },
  {
    file: 'pcapng_multi_section_mixed_endian.pcapng',
    field: 'frame.number',
    reason: 'tshark numbers pcapng Custom Blocks (CB/DCB) as records of their own; our frames are packets only',
  },
  {
    file: 'pcapng_le_all_block_types_eth_null.pcapng',
    field: 'frame.time_epoch',
    frames: [3],
    reason: 'Simple Packet Block has no timestamp: tshark prints nothing, a Frame always has one (0.000000000)',
  },
  {
    file: 'pcapng_multi_section_mixed_endian.pcapng',
    field: 'frame.time_epoch',
    frames: [4, 6],
    reason: 'Simple Packet Block has no timestamp: tshark prints nothing, a Frame always has one (0.000000000)',
  },
  {
    file: 'pcapng_multi_section_mixed_endian.pcapng',
    field: 'frame.interface_id',
    frames: [4, 5, 6, 7, 8],
    reason: 'tshark 4.0 restarts interface ids in each section; Frame.interfaceId counts IDBs over the whole file',
  },
  {
    file: 'pcap_nsec_invalid_timestamps.pcap',
    field: 'frame.time_epoch',
    frames: [2, 3],
    reason: 'nanoseconds >= 1e9: tshark prints the raw field (signed) after the dot, we carry it into the seconds',
  },
  {
    file: 'fuzz_cut_short_nsec_null.pcap',
    field: 'frame.time_epoch',
    frames: [1],
    reason: 'nanoseconds >= 1e9: tshark prints the raw field (signed) after the dot, we carry it into the seconds',
  },
  ...(['frame.time_relative', 'frame.time_delta', 'frame.time_delta_displayed'] as const).flatMap((field) => [
    {
      file: 'pcapng_le_all_block_types_eth_null.pcapng',
      field,
      ...(field === 'frame.time_relative' ? {} : { frames: [1, 3] }),
      reason: 'tshark counts the Custom Block before our frame 1 as a record with time 0, so its frame.time_relative counts from the epoch; a Simple Packet Block (no timestamp) gets no relative times from tshark, and 0 from us',
    },
    {
      file: 'pcapng_multi_section_mixed_endian.pcapng',
      field,
      ...(field === 'frame.time_relative' ? {} : { frames: [1, 4, 6] }),
      reason: 'tshark counts the Custom Block before our frame 1 as a record with time 0, so its frame.time_relative counts from the epoch; a Simple Packet Block (no timestamp) gets no relative times from tshark, and 0 from us',
    },
    {
      file: 'pcap_nsec_invalid_timestamps.pcap',
      field,
      frames: [3],
      reason: 'nanoseconds 2 147 483 648: tshark reads them as a negative 32-bit number, we carry them into the seconds (see frame.time_epoch)',
    },
  ]),
];

interface Mismatch {
  file: string;
  field: string;
  /** Our frame number; 0 for whole-file checks (frame count, reader failure). */
  frame: number;
  ours: string;
  tshark: string;
  /** tshark's frame.protocols for the frame, to see which layers it decoded. */
  protocols: string;
}

interface FileResult {
  file: string;
  ourFrames: number;
  tsharkFrames: number;
  tsharkExit: number;
  tsharkStderr: string;
  readerError?: string;
  mismatches: Mismatch[];
  /** Per field, in how many frames tshark showed it: proves the comparison is not vacuous. */
  seen: Record<string, number>;
  /** Analysis fields: frames where either side shows the field, and the mismatches among them. */
  analysisCompared: Record<string, number>;
  analysisMismatches: Mismatch[];
}

function isPcapng(path: string): boolean {
  const head = readFileSync(path).subarray(0, 4);
  return head.length === 4 && head[0] === 0x0a && head[1] === 0x0d && head[2] === 0x0d && head[3] === 0x0a;
}

async function decodeOurs(path: string): Promise<{ packets: PacketJson[] } | { error: string }> {
  try {
    const { frames } = await readCaptureFile(path);
    const packets: PacketJson[] = [];
    const analyzer = new Analyzer();
    // Every frame is displayed (tshark runs without -Y): time_delta_displayed equals time_delta.
    const clock = new FrameClock();
    for (const frame of frames) {
      const packet = decodePacket(frame);
      clock.advance(frame);
      packets.push(packetToJson(packet, analyzer.analyze(packet), clock));
      clock.shown();
    }
    analyzer.finish();
    return { packets };
  } catch (e) {
    const err = e as { code?: string; message?: string };
    return { error: `${err.code ?? 'throw'}: ${err.message ?? String(e)}` };
  }
}

function compareFile(file: string, ts: TsharkRun, ours: { packets: PacketJson[] } | { error: string }, pcapng: boolean): FileResult {
  // Records tshark makes of pcapng custom blocks carry no packet (no encapsulation): not frames for us.
  const rows = ts.rows.filter((r) => r[ENCAP_COLUMN] !== '');
  const result: FileResult = {
    file,
    ourFrames: 0,
    tsharkFrames: rows.length,
    tsharkExit: ts.exitCode,
    tsharkStderr: ts.stderr,
    mismatches: [],
    seen: {},
    analysisCompared: {},
    analysisMismatches: [],
  };
  const whole = (field: string, o: string, t: string) => result.mismatches.push({ file, field, frame: 0, ours: o, tshark: t, protocols: '' });
  if ('error' in ours) {
    result.readerError = ours.error;
    if (rows.length > 0) whole('(reader)', ours.error, `${rows.length} frames`);
    return result;
  }
  const packets = ours.packets;
  result.ourFrames = packets.length;
  // When tshark gave up on a damaged file (exit status 2) we may legitimately read further than it.
  const countOk = ts.exitCode === 0 ? packets.length === rows.length : packets.length >= rows.length;
  if (!countOk) whole('(frame count)', String(packets.length), `${rows.length} (exit ${ts.exitCode})`);
  const n = Math.min(packets.length, rows.length);
  for (let i = 0; i < n; i++) {
    const json = packets[i]!;
    const row = rows[i]!;
    const frame = typeof json['frame.number'] === 'number' ? json['frame.number'] : i + 1;
    for (const spec of FIELDS) {
      if (spec.pcapngOnly && !pcapng) continue;
      const o = canonOurs(spec.kind, json[spec.name]);
      const t = canonTshark(spec.kind, row[spec.name]!);
      if (t !== '') result.seen[spec.name] = (result.seen[spec.name] ?? 0) + 1;
      if (o !== t) result.mismatches.push({ file, field: spec.name, frame, ours: o, tshark: t, protocols: row[PROTOCOLS_COLUMN]! });
    }
    for (const spec of ANALYSIS_FIELDS) {
      const o = canonOurs(spec.kind, json[spec.name]);
      const t = canonTshark(spec.kind, row[spec.name] ?? '');
      if (o === '' && t === '') continue;
      result.analysisCompared[spec.name] = (result.analysisCompared[spec.name] ?? 0) + 1;
      if (t !== '') result.seen[spec.name] = (result.seen[spec.name] ?? 0) + 1;
      if (o !== t) result.analysisMismatches.push({ file, field: spec.name, frame, ours: o, tshark: t, protocols: row[PROTOCOLS_COLUMN]! });
    }
  }
  return result;
}

/**
 * Classes of disagreement on the analysis fields (see known-differences.md, same order). Each
 * names the files and fields it covers and, where it is narrower, the frames.
 */
interface AnalysisClass {
  id: string;
  file: string;
  fields: readonly string[];
  frames?: readonly number[];
  reason: string;
}

const ANALYSIS_CLASSES: readonly AnalysisClass[] = [
  {
    id: 'invalid-nanoseconds',
    file: 'pcap_nsec_invalid_timestamps.pcap',
    fields: ['tcp.time_relative', 'tcp.time_delta', 'tcp.analysis.initial_rtt', 'tcp.analysis.ack_rtt'],
    frames: [3],
    reason:
      'nanosecond field 2 147 483 648 (>= 1e9): tshark keeps it as a negative 32-bit number of ns, we carry whole seconds, so every time difference to frame 3 differs by the same 1.032735283 s',
  },
];

function analysisClassFor(m: Mismatch): AnalysisClass | undefined {
  return ANALYSIS_CLASSES.find((c) => c.file === m.file && c.fields.includes(m.field) && (!c.frames || c.frames.includes(m.frame)));
}

function explains(k: KnownDifference, m: Mismatch): boolean {
  return k.file === m.file && k.field === m.field && (!k.frames || k.frames.includes(m.frame));
}

function knownFor(m: Mismatch): KnownDifference | undefined {
  return KNOWN_DIFFERENCES.find((k) => explains(k, m));
}

/** One line per field: the frames (first few) and up to three examples of ours vs tshark. */
function summarize(result: FileResult, mismatches: Mismatch[]): string {
  if (mismatches.length === 0) return '';
  const head =
    `${result.file}: ${mismatches.length} unexplained mismatch(es); ours ${result.ourFrames} frames, ` +
    `tshark ${result.tsharkFrames} (exit ${result.tsharkExit})${result.readerError ? `; reader: ${result.readerError}` : ''}`;
  const byField = new Map<string, Mismatch[]>();
  for (const m of mismatches) byField.set(m.field, [...(byField.get(m.field) ?? []), m]);
  const lines = [head];
  for (const [field, ms] of byField) {
    const frames = ms.map((m) => m.frame);
    const list = frames.slice(0, 8).join(',') + (frames.length > 8 ? ` (+${frames.length - 8} more)` : '');
    const examples = ms
      .slice(0, 3)
      .map((m) => `#${m.frame} ours=${show(m.ours)} tshark=${show(m.tshark)}${m.protocols ? ` [${m.protocols}]` : ''}`)
      .join('; ');
    lines.push(`  ${field}  frames ${list}  e.g. ${examples}`);
  }
  return lines.join('\n');
}

describe('tshark output parsing and normalisation', () => {
  it('passes one column per field, the aggregator and the preferences', () => {
    const args = tsharkArgs('x.pcap');
    expect(args.slice(0, 3)).toEqual(['-n', '-r', 'x.pcap']);
    expect(args).toContain(`aggregator=${AGGREGATOR}`);
    expect(args).toContain('tcp.desegment_tcp_streams:FALSE');
    expect(args.filter((a) => a === '-e')).toHaveLength(FIELDS.length + ANALYSIS_FIELDS.length + 2);
  });

  it('splits lines and columns, dropping a cut-off last line', () => {
    const cols = ['a', 'b', 'c'];
    expect(parseFieldsOutput('1\t\tx\n2\ty\tz\n3\tcut', cols)).toEqual([
      { a: '1', b: '', c: 'x' },
      { a: '2', b: 'y', c: 'z' },
    ]);
    expect(parseFieldsOutput('', cols)).toEqual([]);
  });

  it('reads hex and decimal integers as numbers', () => {
    expect(canonTsharkToken('uint', '0x0800')).toBe('2048');
    expect(canonTsharkToken('uint', '0xdf8e')).toBe('57230');
    expect(canonTsharkToken('uint', '0x00000000')).toBe('0');
    expect(canonTsharkToken('uint', '1460')).toBe('1460');
    expect(canonTsharkToken('uint', '4294967295')).toBe('4294967295');
    expect(canonOurValue('uint', 2048)).toBe('2048');
    // A hex string or a boolean in our JSON is a contract violation, so it must never compare equal.
    expect(canonOurValue('uint', '0x0800')).toBe('"0x0800"');
    expect(canonOurValue('uint', true)).toBe('true');
  });

  it('reads booleans, checksum statuses and presence-only fields', () => {
    expect(canonTsharkToken('bool', '1')).toBe('true');
    expect(canonTsharkToken('bool', 'False')).toBe('false');
    expect(canonOurValue('bool', true)).toBe('true');
    expect(canonOurValue('bool', 1)).toBe('1');
    expect(['0', '1', '2', '3', '4'].map((t) => canonTsharkToken('checksum', t))).toEqual(['bad', 'good', 'unverified', 'not present', 'illegal']);
    expect(canonTshark('present', '0402')).toBe('present');
    expect(canonOurs('present', true)).toBe('present');
  });

  it('joins repeated occurrences in order on both sides', () => {
    expect(canonTshark('uint', `30${AGGREGATOR}20${AGGREGATOR}10`)).toBe(canonOurs('uint', [30, 20, 10]));
    expect(canonTshark('string', `10.0.0.1${AGGREGATOR}10.0.0.2`)).toBe(canonOurs('string', ['10.0.0.1', '10.0.0.2']));
    expect(canonOurs('uint', undefined)).toBe('');
    expect(canonTshark('uint', '')).toBe('');
    expect(show(`a${AGGREGATOR}b`)).toBe('a | b');
  });

  it("escapes our strings the way tshark's -E escape=y does", () => {
    // tshark prints the comment "line1\nline2\tx|y,z\q" as  line1\nline2\tx|y,z\q  (backslash itself unescaped).
    expect(tsharkEscape('line1\nline2\tx|y,z\\q\r\f\v\b\x07')).toBe('line1\\nline2\\tx|y,z\\q\\r\\f\v\\b\x07');
    expect(canonOurs('string', ['a\nb', 'second'])).toBe(canonTshark('string', `a\\nb${AGGREGATOR}second`));
  });

  it('compares frame by frame, skipping custom-block records and tolerating an early tshark stop', () => {
    const row = (n: string, encap: string, ipSrc = ''): Record<string, string> => {
      const r: Record<string, string> = {};
      for (const f of FIELDS) r[f.name] = '';
      Object.assign(r, { 'frame.number': n, [ENCAP_COLUMN]: encap, [PROTOCOLS_COLUMN]: 'x', 'ip.src': ipSrc });
      return r;
    };
    const ts: TsharkRun = { rows: [row('1', ''), row('2', '1', '10.0.0.1')], exitCode: 2, stderr: '' };
    const ours = { packets: [{ 'frame.number': 1, 'ip.src': '10.0.0.9' }, { 'frame.number': 2 }] as PacketJson[] };
    const r = compareFile('f.pcap', ts, ours, false);
    expect(r.tsharkFrames).toBe(1);
    expect(r.mismatches.map((m) => [m.field, m.frame, m.ours, m.tshark])).toEqual([
      ['frame.number', 1, '1', '2'],
      ['ip.src', 1, '10.0.0.9', '10.0.0.1'],
    ]);
    const refused = compareFile('g.pcap', { rows: [], exitCode: 2, stderr: 'unsupported' }, { error: 'WL_ERR_PCAP_VERSION: x' }, false);
    expect(refused.mismatches).toEqual([]);
  });
});

/** A little-endian pcapng (SHB, Ethernet IDB, one EPB) whose packet carries the given comments. */
function pcapngWithComments(comments: string[]): Uint8Array {
  const block = (type: number, body: number[]): number[] => {
    const len = 12 + body.length;
    return [...u32le(type), ...u32le(len), ...body, ...u32le(len)];
  };
  const u32le = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
  const u16le = (v: number) => [v & 0xff, v >>> 8];
  const pad = (b: number[]) => [...b, ...new Array((4 - (b.length % 4)) % 4).fill(0)];
  const shb = block(0x0a0d0d0a, [...u32le(0x1a2b3c4d), ...u16le(1), ...u16le(0), ...new Array(8).fill(0xff)]);
  const idb = block(1, [...u16le(1), 0, 0, ...u32le(0)]);
  // Ethernet to the IEEE local experimental EtherType 0x88b5: nobody decodes past it.
  const packet = [...new Array(12).fill(2), 0x88, 0xb5, ...new Array(46).fill(0)];
  const options: number[] = [];
  for (const c of comments) {
    const text = [...new TextEncoder().encode(c)];
    options.push(...u16le(1), ...u16le(text.length), ...pad(text));
  }
  options.push(0, 0, 0, 0);
  const epb = block(6, [...u32le(0), ...u32le(0), ...u32le(1_000_000), ...u32le(packet.length), ...u32le(packet.length), ...pad(packet), ...options]);
  return Uint8Array.from([...shb, ...idb, ...epb]);
}

const version = tsharkVersion();
const haveTraces = existsSync(TRACE_DIR);
if (!version) console.warn('differential test skipped: tshark is not installed (or `tshark --version` fails)');
else if (!haveTraces) console.warn(`differential test skipped: no real-capture corpus at ${TRACE_DIR}`);
const FILES = haveTraces ? readdirSync(TRACE_DIR).filter((f) => /\.pcap(ng)?$/.test(f)).sort() : [];

describe.skipIf(!version)('tshark escaping, checked on a generated capture', () => {
  it('agrees with tshark on comments with newlines, tabs, backslashes and several occurrences', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wirelens-diff-'));
    try {
      const path = join(dir, 'comments.pcapng');
      writeFileSync(path, pcapngWithComments(['line1\nline2\tx|y,z\\q\f\v', 'second', `with ${AGGREGATOR} inside`]));
      const [ts, ours] = await Promise.all([runTshark(path), decodeOurs(path)]);
      expect(ts.rows).toHaveLength(1);
      expect(ts.rows[0]!['frame.comment']).toBe(`line1\\nline2\\tx|y,z\\q\\f\v${AGGREGATOR}second${AGGREGATOR}with ${AGGREGATOR} inside`);
      const result = compareFile('comments.pcapng', ts, ours, true);
      expect(summarize(result, result.mismatches)).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!version || !haveTraces)(`differential against tshark ${version ?? ''} on ${TRACE_DIR}`, () => {
  const results = new Map<string, FileResult>();

  beforeAll(async () => {
    const all = await pool(FILES, 4, async (file) => {
      const path = join(TRACE_DIR, file);
      const [ts, ours] = await Promise.all([runTshark(path), decodeOurs(path)]);
      return compareFile(file, ts, ours, isPcapng(path));
    });
    for (const r of all) results.set(r.file, r);
    const reportPath = process.env['WIRELENS_DIFF_REPORT'];
    if (reportPath) {
      const report = all.map((r) => ({
        ...r,
        mismatches: r.mismatches.map((m) => ({ ...m, known: knownFor(m)?.reason })),
        analysisMismatches: r.analysisMismatches.map((m) => ({ ...m, known: analysisClassFor(m)?.id })),
      }));
      writeFileSync(reportPath, JSON.stringify(report, null, 1));
    }
  }, 120_000);

  it('covers the whole corpus', () => {
    expect(FILES.length).toBeGreaterThan(0);
  });

  for (const file of FILES) {
    it(file, () => {
      const result = results.get(file)!;
      const unexplained = result.mismatches.filter((m) => !knownFor(m));
      const summary = summarize(result, unexplained);
      expect(unexplained.length, summary).toBe(0);
    });
  }

  it('analysis fields agree with tshark on at least 99% of the frames that show them', () => {
    const compared: Record<string, number> = {};
    const wrong: Record<string, number> = {};
    const unexplained: Mismatch[] = [];
    for (const r of results.values()) {
      for (const [f, n] of Object.entries(r.analysisCompared)) compared[f] = (compared[f] ?? 0) + n;
      for (const m of r.analysisMismatches) {
        wrong[m.field] = (wrong[m.field] ?? 0) + 1;
        if (!analysisClassFor(m)) unexplained.push(m);
      }
    }
    const lines = ANALYSIS_FIELDS.map((f) => {
      const n = compared[f.name] ?? 0;
      const w = wrong[f.name] ?? 0;
      const rate = n === 0 ? 1 : (n - w) / n;
      return { field: f.name, frames: n, disagree: w, rate };
    });
    console.log(
      'analysis agreement with tshark over the corpus:\n' +
        lines.map((l) => `  ${l.field.padEnd(40)} ${(l.rate * 100).toFixed(2).padStart(6)}%  (${l.disagree} of ${l.frames})`).join('\n'),
    );
    const low = lines.filter((l) => l.rate < 0.99).map((l) => `${l.field} ${(l.rate * 100).toFixed(2)}%`);
    expect(low).toEqual([]);
    const shown = unexplained
      .slice(0, 20)
      .map((m) => `${m.file} #${m.frame} ${m.field} ours=${show(m.ours)} tshark=${show(m.tshark)}`)
      .join('\n');
    expect(unexplained.length, shown).toBe(0);
  });

  it('every compared field occurs somewhere in the corpus', () => {
    const absent = FIELDS.filter((f) => ![...results.values()].some((r) => (r.seen[f.name] ?? 0) > 0)).map((f) => f.name);
    expect(absent).toEqual([]);
  });

  it('every known difference still occurs (remove entries that no longer apply)', () => {
    const stale = KNOWN_DIFFERENCES.filter((k) => ![...results.values()].some((r) => r.mismatches.some((m) => explains(k, m))));
    expect(stale.map((k) => `${k.file} ${k.field}${k.frames ? ` #${k.frames.join(',')}` : ''}`)).toEqual([]);
    const staleClasses = ANALYSIS_CLASSES.filter((c) => ![...results.values()].some((r) => r.analysisMismatches.some((m) => analysisClassFor(m) === c)));
    expect(staleClasses.map((c) => c.id)).toEqual([]);
  });
});

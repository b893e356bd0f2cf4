/**
 * Display filters against tshark 4.0.17: every filter below must select exactly the frames
 * `tshark -Y FILTER` selects. To keep this to one tshark run per filter (tshark takes ~0.6 s to
 * start), the corpus files are concatenated with `mergecap -a` into one pcapng in a temporary
 * directory and both sides read that; a file mergecap refuses (cut short mid-record) is left out
 * and named in a warning. Preferences are those of test/differential/tshark.ts (checksums verified,
 * no IP defragmentation or TCP reassembly), except that TCP sequence analysis stays on so the
 * analysis fields (tcp.stream, tcp.analysis.*) exist on both sides.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Analyzer, type PacketAnalysis } from '../../src/analysis/analyzer.js';
import { readCaptureFile } from '../../src/capture/reader.js';
import { decodePacket } from '../../src/decode/bindings.js';
import type { Packet } from '../../src/decode/layer.js';
import { compileFilter } from '../../src/filter/index.js';
import { TSHARK_PREFS, pool, tsharkVersion } from '../differential/tshark.js';
import { HAVE_CORPUS, TRACE_DIR } from './corpus.js';

/** Every construct of the language, on fields we decode. Set elements use commas: tshark 4.0 requires them. */
export const FILTERS: readonly string[] = [
  // protocols alone, logic, precedence
  'tcp',
  'udp',
  'ipv6',
  'arp',
  'vlan',
  'sll',
  'icmp || icmpv6',
  'not ip',
  '!tcp && !udp',
  'ip and not tcp and not udp',
  'udp or tcp and ipv6',
  '(udp or tcp) and ipv6',
  // integers: decimal, hex, octal; word and symbol operators
  'tcp.port == 80',
  'tcp.port eq 0x50',
  'ip.hdr_len == 024',
  'udp.port == 53',
  'tcp.srcport != 80',
  'tcp.port ~= 80',
  'tcp.port !== 80',
  'tcp.port === 80',
  'ip.ttl > 64',
  'ip.ttl le 64 && ip.ttl ge 60',
  'udp.length lt 100',
  'frame.len > 1000',
  'frame.len >= 60 and frame.len <= 100',
  'tcp.len > 0 and tcp.len < 100',
  'tcp.options.mss_val >= 1400',
  'tcp.window_size_value == 0',
  'ip.id == 0',
  'icmp.type == 8',
  'arp.opcode == 2',
  'sll.pkttype == 4',
  'vlan.id == 10',
  'ipv6.nxt == 44',
  // booleans and bit tests
  'tcp.flags.syn == 1 and tcp.flags.ack == 0',
  'tcp.flags.reset == True',
  'ip.flags.df == 0',
  'ip.frag_offset > 0 || ip.flags.mf == 1',
  'tcp.flags & 0x04',
  'tcp.flags == 0x018',
  'eth.dst[0] & 01',
  // membership and ranges
  'ip.ttl in {64, 128, 255}',
  'tcp.port in {80, 443, 8000..8080}',
  'vlan.id in {10..25}',
  'not tcp.port in {80, 443}',
  // addresses, CIDR, either fields, != semantics
  'ip.addr == 192.168.0.0/16',
  'ip.addr == 10.0.0.0/8 or ip.addr == 172.16.0.0/12',
  'ip.addr != 192.168.180.2',
  'ip.src == 172.17.96.143 and ip.dst == 172.17.96.77',
  'ip.src > 100.0.0.0',
  'ip.dst != 65.54.95.0/24',
  'ipv6.addr == fe80::/10',
  'ipv6.src == ::1',
  'ipv6.addr == 2001:db8::/32',
  'eth.addr == ff:ff:ff:ff:ff:ff',
  'eth.src == 00-26-ca-1f-cd-40',
  'eth.dst == 0024.c4dc.80c0',
  'eth.addr != 00:00:00:00:00:00',
  // slices
  'eth.src[0:3] == 00:26:ca',
  'eth.src[1-2] == 26:ca',
  'eth.dst[:2] == 00:24',
  'eth.dst[4:] == 80:c0',
  'ip.src[0] == c0',
  'ip.src[-1] == 02',
  'ip.dst[0:2,3] == c0:a8:0e',
  'tcp[13] & 02',
  // field to field
  'frame.cap_len < frame.len',
  'tcp.srcport > tcp.dstport',
  'ip.src == ip.dst',
  // strings, bytes, contains, matches, functions, layers
  'tcp contains "GET"',
  'frame contains "HTTP/1.1"',
  'frame contains "\\x48TTP/1.0"',
  'tcp contains 47:45:54:20',
  'frame.comment contains "share"',
  'frame.comment matches "VBOX"',
  'eth.src[0:3] matches "^\\x00\\x26"',
  'len(tcp) > 20',
  'count(vlan.id) >= 2',
  'vlan.id#1 == 30',
  'vlan.id#2 == 20',
  'ip.checksum.status == "Bad" || udp.checksum.status == Bad',
  'tcp.checksum.status == 1',
  'tcp.options.sack_perm',
  'ipv6.fraghdr',
  // analysis fields
  'tcp.stream == 1',
  'tcp.stream in {0, 2..3}',
  'udp and not tcp.stream',
];

/**
 * Mismatches we accept, each with its reason: `excuse` says which of our packets may differ.
 * len() of a protocol is its header length; for a TCP header whose data offset claims more bytes
 * than the segment has (malformed), tshark still reports the claimed length, we the bytes there are.
 */
const KNOWN_DIFFERENCES: Readonly<Record<string, { excuse: (p: Packet) => boolean; reason: string }>> = {
  'len(tcp) > 20': { excuse: (p) => p.layers.some((l) => l.proto === 'tcp' && l.status === 'malformed'), reason: 'malformed TCP header: claimed vs present length' },
};

/** Preferences for the oracle: the field test's, with TCP sequence analysis on. */
const PREFS = TSHARK_PREFS.filter((p) => !p.startsWith('tcp.analyze_sequence_numbers'));

const haveTshark = tsharkVersion() !== undefined && spawnSync('mergecap', ['-v']).status === 0;
if (!haveTshark) console.warn('filter differential test: tshark or mergecap is not installed; skipped');

function tsharkSelect(file: string, filter: string, fields = ['frame.number']): Promise<{ frames: number[]; lines: string[]; stderr: string; code: number }> {
  const args = ['-n', '-r', file, ...(filter ? ['-Y', filter] : []), '-T', 'fields'];
  for (const f of fields) args.push('-e', f);
  for (const p of PREFS) args.push('-o', p);
  return new Promise((resolve, reject) => {
    const child = spawn('tshark', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        frames: out.split('\n').filter(Boolean).map((l) => Number(l.split('\t')[0])),
        lines: out.split('\n').filter(Boolean),
        stderr: err.split('\n').filter((l) => l && !l.startsWith('Running as user')).join('\n'),
        code: code ?? -1,
      }),
    );
  });
}

describe.skipIf(!HAVE_CORPUS || !haveTshark)('display filters agree with tshark -Y', () => {
  let dir: string;
  let merged: string;
  let packets: { packet: Packet; analysis: PacketAnalysis }[];
  const oracle = new Map<string, { frames: number[]; stderr: string; code: number }>();
  /** tshark record number → our frame number; tshark also numbers pcapng custom blocks, which carry no packet (no encapsulation). */
  const ourNumber = new Map<number, number>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wirelens-filter-'));
    merged = join(dir, 'corpus.pcapng');
    // Only files mergecap copies whole (it stops at a record cut short).
    const usable = readdirSync(TRACE_DIR)
      .filter((f) => /\.pcap(ng)?$/.test(f))
      .sort()
      .filter((f) => spawnSync('mergecap', ['-F', 'pcapng', '-w', join(dir, 'probe.pcapng'), join(TRACE_DIR, f)]).status === 0);
    const left = readdirSync(TRACE_DIR).filter((f) => /\.pcap(ng)?$/.test(f) && !usable.includes(f));
    if (left.length) console.warn(`filter differential test: mergecap refuses ${left.join(', ')}; left out`);
    const r = spawnSync('mergecap', ['-a', '-F', 'pcapng', '-w', merged, ...usable.map((f) => join(TRACE_DIR, f))]);
    if (r.status !== 0) throw new Error(`mergecap failed: ${r.stderr}`);
    const analyzer = new Analyzer();
    packets = (await readCaptureFile(merged)).frames.map((f) => {
      const packet = decodePacket(f);
      return { packet, analysis: analyzer.analyze(packet) };
    });
    analyzer.finish();
    const all = await tsharkSelect(merged, '', ['frame.number', 'frame.encap_type']);
    let n = 0;
    for (const line of all.lines) {
      const [num, encap] = line.split('\t');
      if (encap) ourNumber.set(Number(num), ++n);
    }
    expect(n).toBe(packets.length);
    const results = await pool(FILTERS, 2, (f) => tsharkSelect(merged, f));
    FILTERS.forEach((f, i) => oracle.set(f, results[i]!));
  }, 600_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('has at least 40 filters', () => {
    expect(FILTERS.length).toBeGreaterThanOrEqual(40);
  });

  it.each(FILTERS)('%s', (filter) => {
    const raw = oracle.get(filter)!;
    expect(raw.stderr, `tshark rejected the filter`).toBe('');
    const want = { frames: raw.frames.map((t) => ourNumber.get(t)).filter((x): x is number => x !== undefined) };
    const compiled = compileFilter(filter);
    const got = packets.filter(({ packet, analysis }) => compiled.matches(packet, analysis)).map(({ packet }) => packet.frame.number);
    const wantSet = new Set(want.frames);
    const gotSet = new Set(got);
    const known = KNOWN_DIFFERENCES[filter];
    const excused = (n: number) => known !== undefined && known.excuse(packets[n - 1]!.packet);
    const extra = got.filter((n) => !wantSet.has(n) && !excused(n));
    const missing = want.frames.filter((n) => !gotSet.has(n) && !excused(n));
    const describe = (n: number) => `${n} (${packets[n - 1]?.packet.layers.map((l) => l.proto).join(':')})`;
    expect({ extra: extra.slice(0, 10).map(describe), missing: missing.slice(0, 10).map(describe), selected: want.frames.length }).toEqual({
      extra: [],
      missing: [],
      selected: want.frames.length,
    });
  });
});

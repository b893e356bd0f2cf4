/**
 * `wirelens read -e …` against `tshark -T fields -e …` over the real corpus: the same text, line
 * for line and column for column, for the decoder and analysis fields of the differential test and
 * application fields of every display type (hex integers, absolute times, value strings). tshark
 * runs with its default preferences, as wirelens read decodes by default (reassembly on); tshark
 * verifies no IP, TCP or UDP checksum by default (it would stop reassembling segments whose checksum
 * is bad, loopback captures' offloaded ones), so those statuses are the one field class that
 * differs by design. Only the differences listed below, each with its reason, are tolerated. Skips
 * visibly without the corpus, tshark or the build.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ANALYSIS_FIELDS, FIELDS } from '../differential/tshark.js';
import { lookupField } from '../../src/filter/fields.js';
import { DEFAULT_FIELDS_FORMAT, fieldText, fieldsLine } from '../../src/output/fields-text.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/wirelens');
const REAL = resolve(ROOT, '../shared/traces/real');
const ready = existsSync(REAL) && existsSync(join(ROOT, 'dist/cli/main.js')) && spawnSync('tshark', ['--version']).status === 0;
if (!ready) console.warn('fields-tshark: skipped (needs ../shared, tshark and the build)');

const APP = [
  'dns.id',
  'dns.flags',
  'dns.flags.response',
  'dns.qry.name',
  'dns.qry.type',
  'dns.a',
  'dns.aaaa',
  'dns.rrsig.signature_expiration',
  'tls.record.version',
  'tls.handshake.type',
  'tls.handshake.ciphersuite',
  'tls.handshake.extensions_server_name',
  'websocket.opcode',
  'websocket.rsv',
  'websocket.mask',
  'http.request.method',
  'http.response.code',
  // Two of tshark's column pseudo-fields; the others are compared on ordinary captures below.
  '_ws.col.No.',
  '_ws.col.Length',
];

/**
 * The summary columns, text for text, on every capture of the corpus where wirelens and tshark
 * agree on all of them: HTTP (reassembled, "[TCP segment of a reassembled PDU]"), TLS, WebSocket,
 * DNS, IP fragments, VLAN, loopback and raw-IP links. Elsewhere Info differs in ways
 * test/differential/info.test.ts and known-differences.md list, and a nanosecond file's Time has
 * nine decimals in tshark, six here.
 */
const COLUMNS = ['_ws.col.No.', '_ws.col.Time', '_ws.col.Source', '_ws.col.Destination', '_ws.col.Protocol', '_ws.col.Length', '_ws.col.Info'];
const PLAIN = [
  'dns_over_tcp.pcap',
  'ipv4_ipv6_fragmented_dnssec.pcap',
  'null_lo0_macos_ipv6_http.pcap',
  'pcap_le_usec_eth_http_get_fin.pcap',
  'pcapng_merged_2if_comments_vlan_rtp.pcapng',
  'rawip_android_dns_http_tls.pcap',
  'tcp_rst_injection.pcap',
  'tcp_sack_fast_retransmit.pcap',
  'tls13_curl_sni_dns_fin.pcap',
  'tls_clienthello_split_segments.pcap',
  'vlan_triple_tag_http.pcap',
  'websocket_fragmented_ping_pong_close.pcap',
  'websocket_permessage_deflate_rsv1.pcap',
  'websocket_wstunnel_ssh_masked_binary.pcap',
];
const NAMES = [...new Set([...FIELDS.map((f) => f.name), ...ANALYSIS_FIELDS.map((f) => f.name), ...APP])];

/** Files whose frames do not line up with tshark's: it counts pcapng custom blocks as frames. */
const UNALIGNED = new Set(['pcapng_le_all_block_types_eth_null.pcapng', 'pcapng_multi_section_mixed_endian.pcapng']);

/** Tolerated differences: a field (in every file, or in `file`, or on its `frames`), and why. */
const KNOWN: readonly { field: string; file?: string; frames?: number[]; reason: string }[] = [
  // The application differential's known differences (test/differential/app.test.ts), met here too.
  { field: 'http.response.code', file: 'tcp_retrans_dupack_ooo_keepalive_http.pcap', frames: [42, 86], reason: 'a response tshark dissects twice (retransmitted PDU)' },
  { field: 'http.response.code', file: 'tcp_zero_window_ooo_retrans_http_range.pcap', frames: [953], reason: 'tshark does not reassemble out-of-order segments by default' },
  { field: 'http.response.code', file: 'fuzz_wireshark_eth_2006.pcap', frames: [110], reason: 'fuzzed sequence numbers: reassembly takes the frame for old bytes' },
  { field: 'frame.protocols', reason: "tshark lists its 'ethertype' pseudo-layer (known-differences.md)" },
  { field: 'tcp.options.sack_perm', reason: 'an FT_PROTOCOL item: tshark prints the option bytes (0402), we its presence (1)' },
  ...['ip.checksum.status', 'tcp.checksum.status', 'udp.checksum.status'].map((field) => ({ field, reason: 'wirelens verifies the checksum (1 good, 0 bad); tshark by default does not (2, unverified)' })),
  { field: 'tcp.analysis.duplicate_ack', reason: "tshark's tree holds the flag twice on a duplicate ACK (the item and its expert info): 1,1" },
  ...['frame.time_epoch', 'frame.time_relative', 'frame.time_delta', 'frame.time_delta_displayed', 'tcp.time_relative', 'tcp.time_delta', 'tcp.analysis.initial_rtt', 'tcp.analysis.ack_rtt'].flatMap((field) => [
    { field, file: 'pcap_nsec_invalid_timestamps.pcap', reason: 'nanoseconds >= 1e9 (known-differences.md)' },
    { field, file: 'fuzz_cut_short_nsec_null.pcap', reason: 'nanoseconds >= 1e9 (known-differences.md)' },
  ]),
  ...['null_lo0_ipv6_quic_handshake.pcap', 'quic_v1_chromium_initial_sni.pcap'].flatMap((file) =>
    ['tls.record.version', 'tls.handshake.type', 'tls.handshake.ciphersuite', 'tls.handshake.extensions_server_name'].map((field) => ({
      field,
      file,
      reason: 'tshark decrypts QUIC Initial packets and dissects the TLS inside (issue 4 leaves decryption out)',
    })),
  ),
];

function known(field: string, file: string, frame: number): boolean {
  return KNOWN.some((k) => k.field === field && (k.file === undefined || k.file === file) && (k.frames === undefined || k.frames.includes(frame)));
}

describe('fields text', () => {
  const def = (n: string) => lookupField(n)!;
  it('writes values in their display type', () => {
    expect(fieldText(def('eth.type'), 0x800)).toBe('0x0800');
    expect(fieldText(def('ipv6.tclass'), 0)).toBe('0x00000000');
    expect(fieldText(def('tcp.flags.syn'), true)).toBe('1');
    expect(fieldText(def('tcp.checksum.status'), 'bad')).toBe('0');
    expect(fieldText(def('tcp.time_delta'), 0.1)).toBe('0.100000000');
    expect(fieldText(def('tcp.srcport'), 80)).toBe('80');
  });
  it("escapes a string's control characters: tshark's five, and the others as \\xHH", () => {
    expect(fieldText(def('http.user_agent'), 'a\tb\r\n\u001b[31mc')).toBe('a\\tb\\r\\n\\x1b[31mc');
  });
  it('keeps the first or last occurrence, joins them, quotes, leaves an absent field empty', () => {
    const fields = [def('vlan.id'), def('ip.src'), def('http.host')];
    const json = { 'vlan.id': [10, 20], 'ip.src': '192.0.2.1' };
    expect(fieldsLine(json, { ...DEFAULT_FIELDS_FORMAT, fields })).toBe('10,20\t192.0.2.1\t');
    expect(fieldsLine(json, { ...DEFAULT_FIELDS_FORMAT, fields, occurrence: 'l', separator: ',', quote: 'd' })).toBe('"20","192.0.2.1",');
  });
});

describe.skipIf(!ready)('read -e against tshark -T fields', () => {
  const run = (args: string[]) => spawnSync(process.execPath, [BIN, 'read', ...args], { encoding: 'utf8' });
  it.each([
    [['-E', 'header=y', '-E', 'separator=,', '-E', 'quote=d']],
    [['-E', 'occurrence=f', '-E', 'separator=/s']],
    [['-E', 'occurrence=l', '-E', 'aggregator=;', '-E', 'quote=s']],
  ])('-E options as tshark: %j', (options) => {
    const path = join(REAL, 'ipv4_ipv6_fragmented_dnssec.pcap');
    const e = ['-e', 'frame.number', '-e', 'dns.qry.name', '-e', 'dns.a', '-e', 'dns.aaaa', '-e', 'http.host'];
    const theirs = spawnSync('tshark', ['-r', path, '-T', 'fields', ...options, ...e], { encoding: 'utf8' }).stdout;
    const ours = run([...options, ...e, path]);
    expect(ours.status, ours.stderr).toBe(0);
    expect(ours.stdout).toBe(theirs);
  });

  it.each(PLAIN)('%s: the summary columns (_ws.col.*) as tshark', (file) => {
    const path = join(REAL, file);
    const e = COLUMNS.flatMap((c) => ['-e', c]);
    const theirs = spawnSync('tshark', ['-r', path, '-T', 'fields', ...e], { encoding: 'utf8' }).stdout;
    const ours = run([...e, path]);
    expect(ours.status, ours.stderr).toBe(0);
    expect(ours.stdout).toBe(theirs);
  });

  it('notes a Wireshark field wirelens does not decode, and leaves its column empty', () => {
    const r = run(['-e', 'frame.number', '-e', 'tcp.segment_data', join(REAL, 'dns_over_tcp.pcap')]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('-e names tcp.segment_data, a Wireshark field wirelens does not decode');
    expect(r.stdout.split('\n')[0]).toBe('1\t');
  });

  it('says what is wrong with a bad -e, -T or -E (exit code 2)', () => {
    const path = join(REAL, 'dns_over_tcp.pcap');
    for (const [args, says] of [
      [['-e', 'tcp.srcprt'], 'did you mean tcp.srcport'],
      [['-e', 'tcp'], 'is a protocol'],
      [['-T', 'fields'], 'needs at least one -e'],
      [['-e', 'ip.src', '-E', 'occurrence=x'], 'occurrence takes a (all), f (first) or l (last)'],
      [['-e', 'ip.src', '-E', 'colour=red'], 'wirelens knows separator'],
    ] as const) {
      const r = run([...args, path]);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(says);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('prints what tshark prints, over the corpus', () => {
    const e = NAMES.flatMap((n) => ['-e', n]);
    const mismatches: string[] = [];
    const seen = new Map<string, number>();
    let lines = 0;
    for (const file of readdirSync(REAL).filter((n) => /\.pcap(ng)?$/.test(n) && !UNALIGNED.has(n))) {
      const path = join(REAL, file);
      const ours = spawnSync(process.execPath, [BIN, 'read', ...e, path], { encoding: 'utf8', maxBuffer: 1 << 28 });
      // A file wirelens refuses (a bad header) prints nothing; tshark refuses it too.
      if (ours.status !== 0) continue;
      const theirs = spawnSync('tshark', ['-r', path, '-T', 'fields', ...e], { encoding: 'utf8', maxBuffer: 1 << 28 });
      const a = ours.stdout.split('\n');
      const b = theirs.stdout.split('\n');
      if (a.length !== b.length) mismatches.push(`${file}: ${a.length - 1} lines, tshark ${b.length - 1}`);
      for (let i = 0; i < Math.min(a.length, b.length) - 1; i++) {
        lines++;
        const x = a[i]!.split('\t');
        const y = b[i]!.split('\t');
        NAMES.forEach((n, k) => {
          if (y[k]) seen.set(n, (seen.get(n) ?? 0) + 1);
          if (x[k] !== y[k] && !known(n, file, i + 1)) mismatches.push(`${file} #${i + 1} ${n}: ours ${JSON.stringify(x[k])} tshark ${JSON.stringify(y[k])}`);
        });
      }
    }
    expect(mismatches.slice(0, 30)).toEqual([]);
    expect(lines).toBeGreaterThan(3000);
    // Every display type is exercised: hex integers, absolute times, value strings, booleans.
    for (const n of ['eth.type', 'tcp.flags', 'dns.flags', 'dns.rrsig.signature_expiration', 'icmp.checksum.status', 'tcp.flags.syn', 'tcp.analysis.retransmission', 'websocket.rsv']) expect(seen.get(n) ?? 0, n).toBeGreaterThan(0);
  }, 120_000);
});

/**
 * The command line as users run it: the real bin/wirelens in a child process, on the example
 * trace, on every link type of the shared corpus, on bad input and on standard input.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { APPROXIMATE_TIMESTAMPS_NOTE } from '../../src/capture/frame.js';
import { encodePcapng } from '../../src/capture/pcapng-writer.js';
import { readCaptureFileSync } from '../../src/capture/reader.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/wirelens');
const REAL = resolve(ROOT, '../shared/traces/real');
const TRACE = join(ROOT, 'traces/http-get-loopback.pcapng');

function run(args: string[], input?: Buffer) {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'buffer', timeout: 30_000, maxBuffer: 256 << 20 });
  return { code: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

const built = existsSync(join(ROOT, 'dist/cli/main.js'));
if (!built) console.warn('SKIPPED: test/cli needs the build (npm test runs tsc first)');

describe.skipIf(!built)('wirelens read', () => {
  it('stops quietly when its reader goes away, after help text too (no EPIPE stack trace)', () => {
    for (const args of ['read --help', `read ${TRACE}`, `read -e frame.number ${TRACE}`]) {
      // `true` reads nothing and exits at once: every write of ours meets a closed pipe.
      const r = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" ${args} | true`], { encoding: 'utf8', timeout: 30_000 });
      expect(r.status).toBe(0);
      expect(r.stderr, args).toBe('');
    }
  });
  it('-v prints the layer tree of each packet after its line, every node open, then a blank line', () => {
    const r = run(['read', '-v', '-c', '4', TRACE]);
    expect(r.code).toBe(0);
    const blocks = r.stdout.split('\n\n').filter(Boolean);
    expect(blocks).toHaveLength(4);
    const lines = blocks[3]!.split('\n');
    expect(lines[0]).toMatch(/^\s+4\s+0\.000175 127\.0\.0\.1 → 127\.0\.0\.1 HTTP 154 GET \/index\.html HTTP\/1\.1/);
    expect(lines[1]).toBe('▾ Frame 4: 154 bytes on wire, 154 captured');
    expect(lines).toContain('    frame.time_delta: 0.000038317');
    expect(lines).toContain('▾ http (88 bytes at 66)');
    expect(lines).toContain('    http.request.method: GET');
  });
  it('says on stderr when an interface was captured with user-space (approximate) timestamps', () => {
    const frames = readCaptureFileSync(TRACE).frames.slice(0, 3);
    const file = join(mkdtempSync(join(tmpdir(), 'wl-approx-')), 'cap.pcapng');
    writeFileSync(file, encodePcapng(frames, [{ linkType: 1, name: 'lo', comments: [APPROXIMATE_TIMESTAMPS_NOTE] }]));
    const r = run(['read', file]);
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(3);
    expect(r.stderr).toBe('wirelens: interface 0 (lo): timestamps are approximate, taken in user space by the cap engine, not by the kernel\n');
    // A kernel-stamped capture says nothing.
    expect(run(['read', TRACE]).stderr).toBe('');
  });

  it('prints one summary line per packet, tshark-style', () => {
    const r = run(['read', TRACE]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(20);
    expect(lines[0]).toMatch(/^\s+1\s+0\.000000 127\.0\.0\.1 → 127\.0\.0\.1 TCP 74 35354 → 8080 \[SYN\] Seq=\d+ Win=65495 Len=0 MSS=65495 SACK_PERM TSval=\d+ TSecr=0 WS=1024$/);
    expect(lines[1]).toContain('8080 → 35354 [SYN, ACK]');
    expect(lines[7]).toContain('[FIN, ACK]');
  });

  it('-c stops after N packets; --json is NDJSON keyed by Wireshark names', () => {
    const r = run(['read', '-c', '2', '--json', TRACE]);
    expect(r.code).toBe(0);
    const rows = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      'frame.number': 1,
      'frame.len': 74,
      'frame.cap_len': 74,
      'frame.interface_id': 0,
      'eth.type': 0x0800,
      'ip.src': '127.0.0.1',
      'ip.proto': 6,
      'ip.flags.df': true,
      'ip.checksum.status': 'good',
      'tcp.srcport': 35354,
      'tcp.dstport': 8080,
      'tcp.flags.syn': true,
      'tcp.flags.ack': false,
      'tcp.options.mss_val': 65495,
      'tcp.options.wscale.shift': 10,
      // Loopback hands the segment over with checksum offload's partial sum in place: tshark says bad too.
      'tcp.checksum.status': 'bad',
    });
    expect(rows[0]['frame.time_epoch']).toMatch(/^\d{10}\.\d{9}$/);
    expect(rows[1]['tcp.flags']).toBe(0x012);
  });

  it('reads standard input', () => {
    const r = run(['read', '-'], readFileSync(TRACE));
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(20);
  });

  it('stops quietly when the reader of its output goes away', () => {
    const out = execFileSync('sh', ['-c', `node ${BIN} read ${TRACE} | head -n 1`], { encoding: 'utf8' });
    expect(out.split('\n')[0]).toContain('[SYN]');
  });
});

describe.skipIf(!built)('bad input: one clear line, exit code 2, no stack trace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wirelens-cli-'));

  it('not a capture file names the file and shows its first bytes', () => {
    const f = join(dir, 'notes.txt');
    writeFileSync(f, 'Hello\x1b[2J world');
    const r = run(['read', f]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('notes.txt: not a capture file');
    expect(r.stderr).toContain('WL_ERR_NOT_A_CAPTURE');
    expect(r.stderr).not.toContain('\x1b'); // the file's bytes are escaped, not echoed
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a missing file', () => {
    const r = run(['stats', join(dir, 'nope.pcap')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nope\.pcap: cannot read: no such file or directory.*WL_ERR_FILE_OPEN/);
  });

  it('a file cut short: every whole packet, then a warning with frame number and offset', () => {
    const whole = readFileSync(TRACE);
    const f = join(dir, 'cut.pcapng');
    // The file ends with frame 20's 100-byte block at 2828 and dumpcap's 108-byte statistics block.
    writeFileSync(f, whole.subarray(0, 2828 + 60));
    const r = run(['read', f]);
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(19);
    expect(r.stderr).toMatch(/warning: .*cut\.pcapng.*offset 2828.*frame 20.*WL_ERR_TRUNCATED_FILE/);
  });

  it('a bad option value is a usage error', () => {
    const r = run(['read', '-c', 'many', TRACE]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('expected a whole number');
  });
});

describe.skipIf(!built)('wirelens fields, and -Y on a field wirelens does not decode', () => {
  it('lists names by prefix (exit 1 when none), marking the ones never decoded', () => {
    const text = run(['fields', 'http.proxy_connect_host']).stdout;
    expect(text).toMatch(/^http\.proxy_connect_host\s+string\s+http\s+Proxy-Connect-Hostname \(not decoded by wirelens\)$/m);
    const json = run(['fields', 'http.serv', '--json']).stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(json).toEqual([{ name: 'http.server', type: 'string', protocol: 'http', description: 'Server' }]);
    expect(JSON.parse(run(['fields', 'http.proxy_connect_host', '--json']).stdout)).toMatchObject({ decoded: false });
    expect(run(['fields', 'no.such.prefix']).code).toBe(1);
  });

  it('-Y naming one still runs (it never matches) and says why on stderr', () => {
    const r = run(['read', '-Y', 'http.proxy_connect_host contains "x" || frame.number == 1', TRACE]);
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toBe('wirelens: note: -Y names http.proxy_connect_host, a Wireshark field wirelens does not decode: a test on it is never true\n');
  });
});

const tsharkHere = spawnSync('tshark', ['--version']).status === 0;

describe.skipIf(!built || !tsharkHere || !existsSync(REAL))('-Y on http.file_data (bodies kept only for it), against tshark', () => {
  const file = join(REAL, 'http_keepalive_sequential_requests.pcap');
  const tsharkFrames = (filter: string) => spawnSync('tshark', ['-n', '-r', file, '-Y', filter, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' }).stdout.trim().split('\n');
  it.each(['http.file_data contains "Urchin"', 'http.file_data contains "PNG"', 'http.file_data'])('read and stats -Y %s', (filter) => {
    const want = tsharkFrames(filter);
    expect(want.length).toBeGreaterThan(0);
    // A gzip-encoded script, images and more: the content coding undone as tshark does.
    const read = run(['read', '-Y', filter, file]);
    expect(read.stderr).toBe('');
    expect(read.stdout.trimEnd().split('\n').map((l) => l.trim().split(/\s+/)[0])).toEqual(want);
    expect(JSON.parse(run(['stats', '--json', '-Y', filter, file]).stdout).packets).toBe(want.length);
  });
});

describe.skipIf(!built)('wirelens stats', () => {
  it('counts packets, bytes, link types and the protocol hierarchy', () => {
    const r = run(['stats', '--json', TRACE]);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ format: 'pcapng', packets: 20, linkTypes: [{ linkType: 1, name: 'EN10MB', packets: 20 }] });
    expect(s.bytes).toBe(1970); // capinfos: "Data size: 1970 bytes"
    expect(s.protocols).toMatchObject({ proto: 'frame', frames: 20, children: [{ proto: 'eth', frames: 20, children: [{ proto: 'ip', frames: 20 }] }] });
    const text = run(['stats', TRACE]).stdout;
    expect(text).toContain('Packets:     20');
    expect(text).toMatch(/^\s+tcp\s+frames:20 bytes:1970$/m);
    // stats keeps no header strings unless -Y reads an http.* field: then it keeps them all.
    const closing = JSON.parse(run(['stats', '--json', '-Y', 'http.connection == "close"', TRACE]).stdout.toString());
    expect(closing.packets).toBe(2); // the last request and its response (tshark -Y agrees)
  });

  it('runs without the application stage for the bench, which measures what the stage costs', () => {
    // bench/stats-app.mjs: the same stats both ways; only the application layers differ.
    const stats = (mode: string) => execFileSync(process.execPath, [join(ROOT, 'bench/stats-app.mjs'), TRACE, mode], { encoding: 'utf8' });
    const withStage = stats('with');
    const without = stats('without');
    expect(withStage).toBe(run(['stats', TRACE]).stdout);
    expect(withStage).toMatch(/^\s+http\s+frames:4 /m);
    const [counts, hierarchy] = without.split('Protocol hierarchy:');
    expect(hierarchy).not.toMatch(/http|data-text-lines/);
    expect(hierarchy).toMatch(/^\s+data\s+frames:\d+ /m);
    expect(withStage.startsWith(counts!)).toBe(true);
  });
});

const LINK_TYPE_FILES = [
  'pcap_le_usec_eth_http_get_fin.pcap', // EN10MB
  'null_lo0_macos_ipv6_http.pcap', // NULL, AF_INET6 = 30
  'pcapng_le_all_block_types_eth_null.pcapng', // Ethernet + NULL in one file
  'rawip_android_dns_http_tls.pcap', // RAW
  'pcap_nsec_sll_tcp_handshake.pcap', // LINUX_SLL
  'sll2_icmp_icmpv6_arp.pcap', // LINUX_SLL2
  'vlan_triple_tag_http.pcap', // 802.1Q ×3
  'vlan_8021ad_qinq_arp.pcap', // 802.1ad
];

const haveCorpus = existsSync(REAL);
if (!haveCorpus) console.warn(`SKIPPED: per-link-type CLI tests need the shared corpus at ${REAL}`);

describe.skipIf(!built || !haveCorpus)('every link type through read, read --json and stats', () => {
  it.each(LINK_TYPE_FILES)('%s', (name) => {
    const file = join(REAL, name);
    const text = run(['read', file]);
    const json = run(['read', '--json', file]);
    const stats = run(['stats', '--json', file]);
    for (const r of [text, json, stats]) {
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
    }
    const rows = json.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(text.stdout.trimEnd().split('\n')).toHaveLength(rows.length);
    expect(JSON.parse(stats.stdout).packets).toBe(rows.length);
    // Every packet is decoded past the link layer: nothing is left as bare data at the top.
    for (const row of rows) expect(String(row['frame.protocols'])).toMatch(/:(ip|ipv6|arp)\b/);
  });
});

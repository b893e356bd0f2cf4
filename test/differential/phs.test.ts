/**
 * `wirelens stats`' protocol hierarchy against `tshark -q -z io,phs` with tshark's default
 * preferences (IP reassembly and TCP desegmentation on): every node, a path of protocols with its
 * frames and bytes, must be the same. tshark's tree also has pseudo-protocol nodes that name no
 * layer of the frame (`tcp.segments` under a PDU reassembled from several segments, `_ws.malformed`,
 * `_ws.short`), left out here, and a `pkt_comment` root for frames with comments, folded back.
 * The files compared are those whose every protocol we decode; the others differ for the reasons
 * in known-differences.md ("Protocol hierarchy").
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pool } from './tshark.js';

const ROOT = resolve(import.meta.dirname, '../..');
const REAL = resolve(ROOT, '../shared/traces/real');
const BIN = join(ROOT, 'bin/wirelens');
const ready = existsSync(REAL) && existsSync(join(ROOT, 'dist/cli/main.js')) && spawnSync('tshark', ['-v']).status === 0;
if (!ready) console.warn('SKIPPED: test/differential/phs.test.ts needs the corpus, the build and tshark');

/** Files with nothing we leave undecoded (known-differences.md lists what the others have). */
export const PHS_FILES = [
  'dns_over_tcp.pcap',
  'http_chunked_keepalive_nsec.pcapng',
  'ipv4_ipv6_fragmented_dnssec.pcap',
  'null_lo0_ipv6_quic_handshake.pcap',
  'null_lo0_macos_ipv6_http.pcap',
  'pcap_le_usec_eth_http_get_fin.pcap',
  'pcap_nsec_invalid_timestamps.pcap',
  'pcap_nsec_sll_tcp_handshake.pcap',
  'pcapng_2if_nsec_usec_linux_windows_dns.pcapng',
  'pcapng_merged_2if_comments_vlan_rtp.pcapng',
  'tcp_rst_injection.pcap',
  'tcp_sack_fast_retransmit.pcap',
  'tcp_snaplen68_truncated.pcap',
  'tls13_curl_sni_dns_fin.pcap',
  'tls_clienthello_split_segments.pcap',
  'vlan_8021ad_qinq_arp.pcap',
  'vlan_triple_tag_http.pcap',
];

const PSEUDO = new Set(['tcp.segments', '_ws.malformed', '_ws.short']);

/**
 * tshark's tree as "path frames bytes" lines, pseudo-protocol nodes (and anything under them) left
 * out. tshark files the frames that carry a comment under a root of their own, `pkt_comment`: they
 * are counted back where their layers put them.
 */
function tsharkPhs(file: string): string[] {
  const out = execFileSync('tshark', ['-q', '-z', 'io,phs', '-r', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const nodes = new Map<string, [number, number]>();
  const path: string[] = [];
  for (const line of out.split('\n')) {
    const m = /^( *)(\S+)\s+frames:(\d+) bytes:(\d+)/.exec(line);
    if (!m) continue;
    path.length = m[1]!.length / 2;
    path.push(m[2]!);
    if (path.some((p) => PSEUDO.has(p))) continue;
    const at = path[0] === 'pkt_comment' ? path.slice(1) : path;
    if (at.length === 0) continue;
    const key = at.join(':');
    const [frames, bytes] = nodes.get(key) ?? [0, 0];
    nodes.set(key, [frames + Number(m[3]), bytes + Number(m[4])]);
  }
  return [...nodes].map(([k, [f, b]]) => `${k} ${f} ${b}`).sort();
}

interface Node {
  proto: string;
  frames: number;
  bytes: number;
  children?: Node[];
}

async function ourPhs(file: string): Promise<string[]> {
  const r = spawnSync(process.execPath, [BIN, 'stats', '--json', file], { encoding: 'utf8' });
  const rows: string[] = [];
  const walk = (n: Node, path: string[]) => {
    const p = [...path, n.proto];
    // tshark's tree has no `frame` root.
    if (path.length > 0) rows.push(`${p.slice(1).join(':')} ${n.frames} ${n.bytes}`);
    for (const c of n.children ?? []) walk(c, p);
  };
  walk((JSON.parse(r.stdout) as { protocols: Node }).protocols, []);
  return rows.sort();
}

describe.skipIf(!ready)('stats protocol hierarchy against tshark -z io,phs', () => {
  it('is the same tree, node for node, frames and bytes', async () => {
    const results = await pool(PHS_FILES, 2, async (f) => ({ f, ours: await ourPhs(join(REAL, f)), theirs: tsharkPhs(join(REAL, f)) }));
    for (const { f, ours, theirs } of results) {
      expect(theirs.length, f).toBeGreaterThan(0);
      expect(ours, f).toEqual(theirs);
    }
  });
});

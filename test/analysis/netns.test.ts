/**
 * A real capture, made here: in a fresh network namespace (loopback only), nftables drops about
 * 3 % of the TCP segments to and from the test port on the input hook (after tcpdump has seen
 * them, so every dropped segment is in the capture once and again when the kernel retransmits it),
 * a Node HTTP server sends a few MB over several connections to a Node client, and tcpdump writes
 * the pcap. wirelens must then see every handshake, every FIN teardown (Zeek state SF), and the
 * retransmissions and duplicate ACKs the loss provoked, with the same counts as tshark.
 *
 * Needs root and `ip`, `nft`, `tcpdump` (CI installs them); skipped with a message otherwise.
 * Touches nothing outside the namespace it creates, and deletes it afterwards.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCapture } from '../../src/capture/reader.js';
import { decodePacket } from '../../src/decode/bindings.js';
import { Analyzer } from '../../src/analysis/analyzer.js';
import { TcpLifecycle } from '../../src/analysis/tcp-lifecycle.js';
import { TcpAnalysisFlag } from '../../src/analysis/tcp-tracker.js';
import { collectFlows, type FlowRow } from '../../src/cli/flows.js';
import { run, type Run } from '../capture/netns.js';

const PORT = 18080;
const CONNECTIONS = 4;
const BODY = 1_500_000;

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const missing = ['ip', 'nft', 'tcpdump', 'tshark'].filter((c) => !have(c));
const skip = !isRoot || missing.length > 0;
if (!isRoot) console.warn('SKIPPED: test/analysis/netns.test.ts needs root (network namespaces, nftables, tcpdump)');
else if (missing.length > 0) console.warn(`SKIPPED: test/analysis/netns.test.ts needs ${missing.join(', ')}`);

const NS = `wl-test-${process.pid}-${Math.floor(Math.random() * 1e6)}`;
// Root without the right to make namespaces (an unprivileged container) skips too.
const nsMade = !skip && spawnSync('ip', ['netns', 'add', NS], { stdio: 'ignore', timeout: 5_000 }).status === 0;
if (!skip && !nsMade) console.warn('SKIPPED: test/analysis/netns.test.ts could not create a network namespace (ip netns add failed)');
const dir = nsMade ? mkdtempSync(join(tmpdir(), 'wl-netns-')) : '';
const PCAP = join(dir, 'loss.pcap');
const started: Run[] = [];

function nsExec(args: string[], input?: string): string {
  return execFileSync('ip', ['netns', 'exec', NS, ...args], { input, encoding: 'utf8', timeout: 10_000, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Starts a process in the namespace and resolves when `ready` appears on its stdout or stderr. */
async function startInNs(args: string[], ready: RegExp): Promise<Run> {
  const child = run(['ip', 'netns', 'exec', NS, ...args]);
  started.push(child);
  await child.ready(ready, 10_000);
  return child;
}

const SERVER = `
const http = require('node:http');
const body = Buffer.alloc(${BODY}, 0x61);
http.createServer((req, res) => { res.setHeader('Connection', 'close'); res.end(body); })
  .listen(${PORT}, '127.0.0.1', () => console.log('ready'));
`;

const CLIENT = `
const http = require('node:http');
let n = 0;
function one() {
  if (n++ === ${CONNECTIONS}) { console.log('done'); return; }
  http.get({ host: '127.0.0.1', port: ${PORT}, agent: false }, (res) => {
    let len = 0;
    res.on('data', (c) => { len += c.length; });
    res.on('end', () => { if (len !== ${BODY}) { console.error('short body ' + len); process.exit(3); } setTimeout(one, 100); });
  }).on('error', (e) => { console.error(e.message); process.exit(2); });
}
one();
`;

let rows: FlowRow[] = [];
let dupAcks = 0;
const histories: string[] = [];

describe.skipIf(!nsMade)('real loopback capture with nftables loss (network namespace)', () => {
  beforeAll(async () => {
    // Ethernet-sized segments, one per packet (no GSO super-packets on loopback): thousands of
    // segments, so 3 % loss surely hits some of them.
    execFileSync('ip', ['-n', NS, 'link', 'set', 'lo', 'mtu', '1500'], { timeout: 5_000 });
    spawnSync('ip', ['-n', NS, 'link', 'set', 'lo', 'gso_max_segs', '1'], { timeout: 5_000 });
    execFileSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up'], { timeout: 5_000 });
    // ~3 % of the segments to or from the test port are dropped after capture (input hook).
    nsExec(
      ['nft', '-f', '-'],
      `table inet wltest {
  chain input {
    type filter hook input priority 0; policy accept;
    tcp dport ${PORT} numgen random mod 100 < 3 drop
    tcp sport ${PORT} numgen random mod 100 < 3 drop
  }
}
`,
    );
    const tcpdump = await startInNs(['tcpdump', '-i', 'lo', '-n', '-U', '-s', '0', '-B', '8192', '-w', PCAP, 'tcp', 'port', String(PORT)], /listening on/);
    const server = await startInNs([process.execPath, '-e', SERVER], /ready/);
    const client = spawnSync('ip', ['netns', 'exec', NS, process.execPath, '-e', CLIENT], { encoding: 'utf8', timeout: 20_000 });
    expect(client.stdout, client.stderr).toContain('done');
    // Let the last FIN/ACK exchanges (and any retransmission of them) reach the capture.
    await new Promise((r) => setTimeout(r, 1_000));
    await server.stop('SIGTERM', 5_000);
    await tcpdump.stop('SIGINT', 5_000);
    rows = (await collectFlows(PCAP)).rows;
    const lifecycle = new TcpLifecycle();
    const analyzer = new Analyzer({ tcpObservers: [lifecycle] });
    const reader = await openCapture(PCAP);
    for await (const batch of reader.batches()) {
      for (const frame of batch) {
        const a = analyzer.analyze(decodePacket(frame));
        if (a.tcp?.has(TcpAnalysisFlag.DUPLICATE_ACK)) dupAcks++;
      }
    }
    reader.close();
    for (const c of analyzer.connections()) histories.push(lifecycle.history(c.stream));
    console.info(`netns capture: ${rows.length} connections, ${rows.reduce((n, r) => n + r.packets.client + r.packets.server, 0)} packets, ` +
      `${rows.reduce((n, r) => n + (r.retransmissions ?? 0), 0)} retransmissions, ${dupAcks} duplicate ACKs; histories ${histories.join(' ')}`);
  }, 30_000);

  afterAll(async () => {
    for (const c of started) await c.stop('SIGKILL');
    spawnSync('ip', ['netns', 'del', NS], { timeout: 5_000 });
    if (dir && existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  });

  it('sees every connection: handshake, data, both FINs (SF)', () => {
    expect(rows).toHaveLength(CONNECTIONS);
    for (const r of rows) {
      expect(r.proto).toBe('tcp');
      expect([r.src, r.dst, r.dstport]).toEqual(['127.0.0.1', '127.0.0.1', PORT]);
      expect(r.state, r.history).toBe('SF');
      expect(r.history).toMatch(/^Sh/);
      expect(r.history).toMatch(/^[^F]*F/);
      expect(r.history).toMatch(/f/);
      expect(r.handshake_rtt).not.toBeNull();
      expect(r.closed_by).not.toBeNull();
      expect(r.reset_by).toBeNull();
      // The whole body went server → client (the capture has the dropped copies too, so at least).
      expect(r.payload_bytes.server).toBeGreaterThanOrEqual(BODY);
    }
  });

  it('the loss shows as retransmissions and duplicate ACKs, as many as tshark counts', () => {
    const count = (filter: string) =>
      Number(execFileSync('sh', ['-c', `tshark -r '${PCAP}' -Y '${filter}' 2>/dev/null | wc -l`], { encoding: 'utf8' }).trim());
    const retrans = rows.reduce((n, r) => n + (r.retransmissions ?? 0), 0);
    expect(retrans).toBeGreaterThan(0);
    expect(retrans).toBe(count('tcp.analysis.retransmission'));
    expect(dupAcks).toBeGreaterThan(0);
    expect(dupAcks).toBe(count('tcp.analysis.duplicate_ack'));
    // Zeek's view: retransmitted data shows as T or t in some history; the capture saw every
    // segment (the drop is after it), so no content gap (G/g) is reported.
    expect(histories.join('')).toMatch(/[Tt]/);
    expect(histories.join('')).not.toMatch(/[Gg]/);
  });
});

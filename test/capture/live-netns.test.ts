/**
 * Live capture of real HTTP and WebSocket traffic in a network namespace of the test's own, for
 * every engine engineStatuses() says is usable here (dumpcap and tcpdump; `cap` joins by itself
 * once it reports usable). The namespace has only its loopback and only our processes, so the
 * capture filter is a plain `tcp` and everything captured is the test's.
 *
 * - `record -- node http-ws-exchange.mjs 7` inside the namespace: exits 7, counts on stderr with
 *   0 dropped; the pcapng re-reads through our analysis to the client's own account of what it did
 *   (handshakes, keep-alive requests with a chunked response, WebSocket text, fragmented, ping/pong
 *   and close), and tshark reads the same number of frames without complaint.
 * - `capture --no-tui` and a tcpdump beside it on continuous traffic, SIGINT to both: every packet
 *   tcpdump saw while ours was capturing is in ours, the file is valid pcapng ending with an ISB,
 *   and (process engines) both stamped each packet within a few microseconds.
 *
 * Needs root, `ip netns`, the build (bin/wirelens runs dist/) and tcpdump for the side capture;
 * skipped with a message otherwise.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineStatuses, findExecutable } from '../../src/capture/engines.js';
import { readCaptureFile } from '../../src/capture/reader.js';
import type { Frame } from '../../src/capture/frame.js';
import { openTrace } from '../../src/assert/trace.js';
import '../../src/assert/vitest.js';
import { createNetns, netnsSupport, run } from './netns.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/wirelens');
const EXCHANGE = join(import.meta.dirname, 'fixtures/http-ws-exchange.mjs');
const STEADY = join(import.meta.dirname, 'fixtures/steady-traffic.mjs');
const NODE = process.execPath;

const support = netnsSupport();
const built = existsSync(join(ROOT, 'dist/cli/main.js'));
const tcpdump = findExecutable('tcpdump');
const haveTshark = findExecutable('tshark') !== undefined;
const statuses = engineStatuses();
if (!support.ok) console.warn(`SKIPPED: test/capture/live-netns.test.ts ${support.reason}`);
else if (!built) console.warn('SKIPPED: test/capture/live-netns.test.ts needs the build (npm test runs tsc first)');
for (const s of statuses.filter((x) => !x.usable)) console.warn(`SKIPPED: test/capture/live-netns.test.ts engine ${s.engine}: ${s.note}`);

const dir = support.ok ? mkdtempSync(join(tmpdir(), 'wl-live-netns-')) : '';
afterAll(() => void (dir && spawnSync('rm', ['-rf', dir])));

/**
 * `wirelens …: N packets captured, R received, D dropped; W written to PATH` from stderr; `dropped`
 * is undefined for "drops unknown" (the cap engine cannot count them).
 */
function counts(stderr: string): { captured: number; received: number; dropped: number | undefined; written: number } | undefined {
  const m = /wirelens: (\d+) packets captured, (\d+) received, (?:(\d+) (?:dropped|DROPPED)[^;]*|drops unknown \([^)]*\)); (\d+) written to /.exec(stderr);
  return m ? { captured: Number(m[1]), received: Number(m[2]), dropped: m[3] === undefined ? undefined : Number(m[3]), written: Number(m[4]) } : undefined;
}

/** tshark's frame numbers for a file, and its stderr without the note it prints when run as root. */
function tsharkFrames(file: string): { status: number | null; numbers: number[]; stderr: string } {
  const t = spawnSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8', timeout: 30_000 });
  const stderr = t.stderr.split('\n').filter((l) => l && !/^Running as user "root"/.test(l)).join('\n');
  return { status: t.status, numbers: t.stdout.split('\n').filter(Boolean).map(Number), stderr };
}

const nsOf = (f: Frame) => BigInt(f.tsSec) * 1_000_000_000n + BigInt(f.tsNsec);
/** Two captures of one packet hold the same bytes; the IP ID and TCP timestamps make each packet's bytes its own. */
const keyOf = (f: Frame) => Buffer.from(f.data).toString('hex');

describe.skipIf(!support.ok || !built).each(statuses)('engine $engine in a network namespace', ({ engine, usable }) => {
  // The cap engine stamps packets in user space (approximate), so no microsecond comparison for it.
  const kernelTimestamps = engine !== 'cap';
  // Nor drop counts: "drops unknown" on stderr and no isb_ifdrop, never a 0 it cannot know.
  const dropsCounted = engine !== 'cap';
  const noDrops = dropsCounted ? 0 : undefined;
  let ns: ReturnType<typeof createNetns>;
  beforeAll(() => {
    if (usable) ns = createNetns();
  });
  afterAll(() => ns?.delete());

  it.skipIf(!usable)("record -- node client: the client's exit code, its HTTP and WebSocket traffic, frames tshark agrees with", async () => {
    const out = join(dir, `record-${engine}.pcapng`);
    const r = await run(ns.exec([NODE, BIN, 'record', '-i', 'lo', '-f', 'tcp', '--engine', engine, '-w', out, '--', NODE, EXCHANGE, '7'])).done;
    expect(r.code, r.stderr).toBe(7);
    const c = counts(r.stderr);
    expect(c, r.stderr).toBeDefined();
    expect(c!.dropped).toBe(noDrops);
    expect(c!.written).toBe(c!.captured);
    // The client's own account of what it did (record passes its stdout through).
    const did = JSON.parse(r.stdout) as {
      port: number;
      requests: { path: string; status: number; bodyLength: number; clientPort: number }[];
      chunks: string[];
      ws: { clientPort: number; fragments: string[]; echoes: string[]; pong: string; closeCode: number; closeReason: string };
    };

    const trace = await openTrace(out);
    expect(trace.warnings).toEqual([]);
    expect(trace.size).toBe(c!.captured);
    // Two connections, keep-alive HTTP then WebSocket: complete handshakes, FIN both ways, nothing lost.
    const server = { ip: '127.0.0.1', port: did.port };
    expect(trace.tcp.connections().map((x) => [x.client, x.server, x.state])).toEqual([
      [{ ip: '127.0.0.1', port: did.requests[0]!.clientPort }, server, 'SF'],
      [{ ip: '127.0.0.1', port: did.ws.clientPort }, server, 'SF'],
    ]);
    expect(trace).toHaveCompletedHandshake();
    expect(trace).toHaveClosedGracefully();
    expect(trace).not.toHaveBeenReset();
    // No retransmission assertion: loopback loses nothing, but on a loaded host Linux's tail loss
    // probe (RFC 8985 §7) fires when an ACK is late, and that is a real retransmission on the wire.

    // The three requests on the first connection as the client saw them, then the upgrade.
    const exchanges = trace.http.exchanges();
    expect(exchanges.map((x) => [x.stream, x.request.method, x.request.uri, x.response?.status, x.response?.bodyLength])).toEqual([
      ...did.requests.map((q) => [0, 'GET', q.path, q.status, q.bodyLength]),
      [1, 'GET', '/ws', 101, 0],
    ]);
    const chunked = exchanges.find((x) => x.request.uri === '/chunked')!;
    expect(chunked.response!.headers).toContainEqual({ name: 'Transfer-Encoding', value: 'chunked' });
    expect(chunked.response!.bodyLength).toBe(did.chunks.join('').length);

    // WebSocket (RFC 6455): the echo of a text message, a message in three frames echoed in one,
    // a ping and its pong, and the close handshake with 1000 both ways.
    const whole = did.ws.fragments.join('');
    expect(did.ws.echoes).toEqual(['hello over ws', whole]);
    const ws = trace.websocket.messages().map(({ stream, dir, opcode, text, frames, bytes, closeCode, closeReason }) =>
      opcode === 8 ? { stream, dir, opcode, bytes, closeCode, closeReason } : { stream, dir, opcode, text, frames, bytes },
    );
    // A Close frame's payload: the 2-byte status code, then the UTF-8 reason (RFC 6455 §5.5.1).
    const closeBytes = 2 + Buffer.byteLength(did.ws.closeReason);
    const ping = did.ws.pong.length; // the pong echoes the ping's payload (RFC 6455 §5.5.3)
    expect(ws).toEqual([
      { stream: 1, dir: 'c2s', opcode: 1, text: 'hello over ws', frames: 1, bytes: 13 },
      { stream: 1, dir: 's2c', opcode: 1, text: 'hello over ws', frames: 1, bytes: 13 },
      { stream: 1, dir: 'c2s', opcode: 1, text: whole, frames: did.ws.fragments.length, bytes: whole.length },
      { stream: 1, dir: 's2c', opcode: 1, text: whole, frames: 1, bytes: whole.length },
      { stream: 1, dir: 'c2s', opcode: 9, text: undefined, frames: 1, bytes: ping },
      { stream: 1, dir: 's2c', opcode: 10, text: undefined, frames: 1, bytes: ping },
      { stream: 1, dir: 'c2s', opcode: 8, bytes: closeBytes, closeCode: did.ws.closeCode, closeReason: did.ws.closeReason },
      { stream: 1, dir: 's2c', opcode: 8, bytes: closeBytes, closeCode: did.ws.closeCode, closeReason: did.ws.closeReason },
    ]);

    // The file re-reads to the same frames tshark counts, and tshark has nothing to say about it.
    if (haveTshark) {
      const t = tsharkFrames(out);
      expect(t.status).toBe(0);
      expect(t.stderr).toBe('');
      expect(t.numbers).toEqual(trace.packets().map((p) => p.number));
    }
  });

  it.skipIf(!usable || !tcpdump)('capture --no-tui stopped by SIGINT mid-traffic has every packet a tcpdump beside it saw meanwhile', async () => {
    const ours = join(dir, `sigint-${engine}.pcapng`);
    const ref = join(dir, `sigint-ref-${engine}.pcap`);
    const traffic = run(ns.exec([NODE, STEADY, '2']));
    const side = run(ns.exec([tcpdump!, '-i', 'lo', '-U', '--immediate-mode', '--time-stamp-precision=nano', '-B', '32768', '-w', ref, 'tcp']));
    let cap: ReturnType<typeof run> | undefined;
    let from = 0n;
    let to = 0n;
    let written = 0;
    try {
      await traffic.ready(/ready \d+/);
      await side.ready(/listening on/);
      cap = run(ns.exec([NODE, BIN, 'capture', '-i', 'lo', '-f', 'tcp', '-w', ours, '--no-tui', '-q', '--engine', engine]));
      await cap.ready(/capturing on/);
      // Kernel timestamps are CLOCK_REALTIME, as Date.now() is: packets stamped in [from, to] went by
      // while ours was capturing.
      from = BigInt(Date.now()) * 1_000_000n;
      await new Promise((r) => setTimeout(r, 1_000));
      to = BigInt(Date.now()) * 1_000_000n;
      cap.child.kill('SIGINT');
      const r = await cap.done;
      expect(r.code, r.stderr).toBe(0);
      const c = counts(r.stderr);
      expect(c, r.stderr).toBeDefined();
      expect(c!.dropped).toBe(noDrops);
      written = c!.written;
      // The reference stops after ours, so it holds everything ours should.
      await new Promise((r) => setTimeout(r, 100));
      await side.stop('SIGINT');
    } finally {
      await cap?.stop('SIGKILL');
      await side.stop('SIGKILL');
      await traffic.stop('SIGTERM');
    }

    const a = await readCaptureFile(ours);
    const b = await readCaptureFile(ref);
    expect(a.format).toBe('pcapng');
    expect(a.warnings).toEqual([]);
    expect(a.frames.length).toBe(written);
    // It ends with the interface statistics block (pcapng draft §4.6), 0 dropped.
    expect(a.statistics.at(-1)).toMatchObject({ interfaceId: 0 });
    expect(a.statistics.at(-1)!.ifDrop).toBe(noDrops);
    if (haveTshark) {
      const t = tsharkFrames(ours);
      expect(t.status).toBe(0);
      expect(t.stderr).toBe('');
      expect(t.numbers.length).toBe(a.frames.length);
    }

    // Every packet of the reference stamped while ours was capturing is in ours; ours has nothing
    // the reference lacks.
    const theirs = new Map<string, Frame[]>();
    for (const f of b.frames) theirs.set(keyOf(f), [...(theirs.get(keyOf(f)) ?? []), f]);
    const mine = new Set(a.frames.map(keyOf));
    const during = b.frames.filter((f) => nsOf(f) >= from && nsOf(f) <= to);
    expect(during.length).toBeGreaterThan(50); // traffic really flowed (about 2 requests per 5 ms)
    expect(during.filter((f) => !mine.has(keyOf(f))).map((f) => f.number)).toEqual([]);
    expect(a.frames.filter((f) => !theirs.has(keyOf(f))).map((f) => f.number)).toEqual([]);

    if (kernelTimestamps) {
      // Same bound and reasoning as test/capture/live.test.ts: each packet socket stamps the packet
      // itself on loopback, 0.2-1.3 µs apart when idle; a loaded host delays one socket's softirq.
      const dts = a.frames.map((f) => Math.abs(Number(nsOf(f) - nsOf(theirs.get(keyOf(f))!.shift()!)))).sort((x, y) => x - y);
      const median = dts[dts.length >> 1]!;
      console.log(`${engine} vs tcpdump in a namespace: median |Δt| ${median} ns, max ${dts.at(-1)} ns over ${dts.length} packets`);
      expect(median).toBeLessThan(5_000);
      expect(dts.at(-1)).toBeLessThan(2_000_000);
    }
  });
});

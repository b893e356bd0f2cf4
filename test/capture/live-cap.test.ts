/**
 * The in-process cap engine for real, on loopback, and the link types `wirelens interfaces` shows.
 * A Node HTTP server on a port the kernel chose and a client talk on 127.0.0.1 while cap captures
 * with a BPF filter on that port (other traffic on `lo` never gets in).
 *
 * Capture needs root and the built `cap` package; the CLI parts need the build (bin/wirelens runs
 * dist/). Each is skipped with a message otherwise.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCap } from '../../src/capture/cap-binding.js';
import { capLinkType } from '../../src/capture/cap-engine.js';
import { APPROXIMATE_TIMESTAMPS_NOTE } from '../../src/capture/frame.js';
import { engineStatuses, findExecutable, resolveEngine } from '../../src/capture/engines.js';
import { interfaceLinkTypes, linkTypesForArphrd } from '../../src/capture/interface-linktypes.js';
import { startCapture, withCapture } from '../../src/capture/live.js';
import { readCaptureFile } from '../../src/capture/reader.js';
import { decodePacket } from '../../src/decode/bindings.js';
import { findLayer } from '../../src/decode/layer.js';
import { WirelensError } from '../../src/errors.js';
import { statsLine } from '../../src/cli/capture.js';
import { ACK, BIN, ROOT, SYN, cli, httpGets, httpServer, tcpOf, tcpdumpBeside } from './live-helpers.js';

const built = existsSync(join(ROOT, 'dist/cli/main.js'));
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const cap = loadCap();
const tcpdump = findExecutable('tcpdump');
const haveTshark = spawnSync('sh', ['-c', 'command -v tshark'], { stdio: 'ignore' }).status === 0;
if (!isRoot) console.warn('SKIPPED: capture parts of test/capture/live-cap.test.ts need root (live capture on lo)');
if (!cap.ok) console.warn(`SKIPPED: capture parts of test/capture/live-cap.test.ts need the cap package (${cap.ok ? '' : cap.error})`);
if (!built) console.warn('SKIPPED: CLI parts of test/capture/live-cap.test.ts need the build (npm test runs tsc first)');
const canCapture = isRoot && cap.ok;

const dir = mkdtempSync(join(tmpdir(), 'wl-cap-'));
afterAll(() => spawnSync('rm', ['-rf', dir]));

describe('link types', () => {
  it('maps the names cap.open returns, and DLT values it does not name, to LINKTYPE values', () => {
    expect(capLinkType('ETHERNET')).toBe(1);
    expect(capLinkType('LINKTYPE_LINUX_SLL')).toBe(113);
    expect(capLinkType('RAW')).toBe(101);
    expect(capLinkType('IEEE802_11_RADIO')).toBe(127);
    expect(capLinkType('Unknown linktype 276')).toBe(276); // LINUX_SLL2: DLT and LINKTYPE agree
    expect(capLinkType('Unknown linktype 14')).toBe(101); // an old DLT_RAW
    expect(capLinkType('something else')).toBeUndefined();
  });

  it('maps ARP hardware types as libpcap does', () => {
    expect(linkTypesForArphrd(1)).toEqual([1, 143]); // wired Ethernet: EN10MB, DOCSIS
    expect(linkTypesForArphrd(1, true)).toEqual([1]);
    expect(linkTypesForArphrd(772)).toEqual([1]); // loopback is Ethernet-framed
    expect(linkTypesForArphrd(0xfffe)).toEqual([101]); // tun: raw IP
    expect(linkTypesForArphrd(512)).toEqual([113]); // PPP: cooked
    expect(linkTypesForArphrd(778)).toEqual([113]); // unknown to libpcap (GRE): cooked
    expect(interfaceLinkTypes('any')).toEqual([
      { name: 'LINUX_SLL', linkType: 113 },
      { name: 'LINUX_SLL2', linkType: 276 },
    ]);
    expect(interfaceLinkTypes('../../etc')).toEqual([]);
  });

  it('never claims 0 drops when the engine cannot count them', () => {
    expect(statsLine({ captured: 3, received: 3, dropped: undefined })).toMatch(/3 packets captured, 3 received, drops unknown/);
    expect(statsLine({ captured: 3, received: 3, dropped: undefined })).not.toMatch(/0 dropped/);
    expect(statsLine({ captured: 3, received: 3, dropped: 0 })).toMatch(/0 dropped/);
  });

  it('cap is the fallback engine, usable exactly when the package loads', () => {
    const status = engineStatuses().find((e) => e.engine === 'cap')!;
    expect(status.usable).toBe(cap.ok);
    expect(engineStatuses().map((e) => e.engine)).toEqual(['dumpcap', 'tcpdump', 'cap']);
    if (cap.ok) expect(resolveEngine('cap').engine).toBe('cap');
    else expect(() => resolveEngine('cap')).toThrow(/npm rebuild cap/);
  });

  it.skipIf(!built)('interfaces --json lists lo with its link type, as tcpdump -L does', () => {
    const r = spawnSync(process.execPath, [BIN, 'interfaces', '--json'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { interfaces: { name: string; linkTypes: { name: string; linkType: number }[] }[] };
    const lo = out.interfaces.find((i) => i.name === 'lo');
    expect(lo?.linkTypes).toEqual([{ name: 'EN10MB', linkType: 1 }]);
    const text = spawnSync(process.execPath, [BIN, 'interfaces'], { encoding: 'utf8', timeout: 30_000 }).stdout;
    expect(text).toMatch(/^lo +link EN10MB\(1\) /m);
    if (!isRoot || !tcpdump) return;
    // tcpdump -L opens each device (hence root) and lists its link types, default first: the oracle
    // for every interface it can open here.
    let compared = 0;
    for (const i of out.interfaces) {
      const t = spawnSync(tcpdump, ['-L', '-i', i.name], { encoding: 'utf8', timeout: 10_000 });
      if (t.status !== 0) continue;
      // tcpdump prints the list on stderr.
      const names = [...`${t.stdout}${t.stderr}`.matchAll(/^ {2}(\S+) /gm)].map((m) => m[1]);
      expect(i.linkTypes.map((l) => l.name), i.name).toEqual(names);
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(2); // at least lo and any
  });
});

describe.skipIf(!canCapture)('live capture with cap', () => {
  it('sees the handshakes and requests of a Node HTTP exchange, marked approximate', async () => {
    const server = await httpServer();
    const t0 = Date.now() / 1000;
    let run;
    try {
      run = await withCapture({ iface: 'lo', filter: `tcp port ${server.port}`, engine: 'cap' }, () => httpGets(server.port, 2));
    } finally {
      await server.close();
    }
    const t1 = Date.now() / 1000;
    const { frames, stats, interfaces } = run;
    expect(interfaces).toEqual([expect.objectContaining({ linkType: 1, name: 'lo', filter: `tcp port ${server.port}`, comments: [APPROXIMATE_TIMESTAMPS_NOTE] })]);
    const tcp = frames.map(tcpOf);
    expect(tcp.every((t) => t && (t.srcPort === server.port || t.dstPort === server.port))).toBe(true);
    expect(tcp.filter((t) => t!.flags === SYN)).toHaveLength(2);
    expect(tcp.filter((t) => t!.flags === (SYN | ACK))).toHaveLength(2);
    // The requests are whole in the TCP payloads, right after the headers the decoder found.
    const payloads = frames.map((f) => {
      const t = findLayer(decodePacket(f), 'tcp')!;
      return Buffer.from(f.data.subarray(t.offset + t.length)).toString('latin1');
    });
    expect(payloads.filter((p) => /^GET \/hello\/[01] HTTP\/1\.1\r\n/.test(p))).toHaveLength(2);
    const text = frames.map((f) => Buffer.from(f.data).toString('latin1')).join('\n');
    expect(text).toContain('GET /hello/0 HTTP/1.1');
    expect(text).toContain('you asked for /hello/1');
    // Each frame owns its bytes (cap reuses one buffer for every packet).
    expect(new Set(frames.map((f) => Buffer.from(f.data).toString('hex'))).size).toBe(frames.length);
    expect(stats).toEqual({ captured: frames.length, received: frames.length, dropped: undefined });
    expect(frames.map((f) => f.number)).toEqual(frames.map((_, i) => i + 1));
    for (const f of frames) {
      const t = f.tsSec + f.tsNsec / 1e9;
      expect(t).toBeGreaterThanOrEqual(t0 - 1);
      expect(t).toBeLessThanOrEqual(t1 + 1);
      expect(f.tsNsec).toBeGreaterThanOrEqual(0);
      expect(f.tsNsec).toBeLessThan(1e9);
      expect(f.origLen).toBe(f.data.length);
    }
    for (let i = 1; i < frames.length; i++) {
      const a = frames[i - 1]!;
      const b = frames[i]!;
      expect(b.tsSec * 1e9 + b.tsNsec).toBeGreaterThanOrEqual(a.tsSec * 1e9 + a.tsNsec);
    }
  });

  it('iterates, stops on request, and says its timestamps are approximate', async () => {
    const server = await httpServer();
    const live = await startCapture({ iface: 'lo', filter: `tcp port ${server.port}`, engine: 'cap' });
    expect(live.engine).toBe('cap');
    expect(live.timestampsApproximate).toBe(true);
    const seen: number[] = [];
    const reading = (async () => {
      for await (const f of live) seen.push(f.number);
    })();
    await httpGets(server.port, 1);
    await server.close();
    const stats = await live.stop();
    await reading;
    expect(seen.length).toBe(stats.captured);
    expect(seen.length).toBeGreaterThanOrEqual(7); // handshake, request, response, teardown
    expect(await live.stop()).toBe(stats);
  });

  it('cuts packets at the snaplen and says so on each', async () => {
    const server = await httpServer();
    let run;
    try {
      run = await withCapture({ iface: 'lo', filter: `tcp port ${server.port}`, engine: 'cap', snaplen: 60 }, () => httpGets(server.port, 1));
    } finally {
      await server.close();
    }
    expect(run.interfaces[0]?.snapLen).toBe(60);
    const cut = run.frames.filter((f) => f.comments?.some((c) => /may be cut at 60 bytes/.test(c)));
    expect(cut.length).toBeGreaterThan(0);
    for (const f of run.frames) expect(f.data.length).toBeLessThanOrEqual(60);
  });

  it('names the interfaces when one does not exist, and quotes a bad filter', async () => {
    const e1 = await startCapture({ iface: 'wl-no-such-if0', engine: 'cap' }).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(WirelensError);
    expect((e1 as WirelensError).code).toBe('WL_ERR_CAPTURE_INTERFACE');
    expect((e1 as WirelensError).message).toMatch(/wl-no-such-if0.*available: .*\blo\b/);
    const e2 = await startCapture({ iface: 'lo', filter: 'tcp prot 80', engine: 'cap' }).catch((e: unknown) => e);
    expect((e2 as WirelensError).code).toBe('WL_ERR_CAPTURE_FILTER');
    expect((e2 as WirelensError).message).toMatch(/^bad capture filter "tcp prot 80": .*syntax error/);
    // The failed handles are kept alive: a garbage collection now must not bring the process down.
    (globalThis as { gc?: () => void }).gc?.();
  });

  describe.skipIf(!built)('command line', () => {
    it('capture --engine cap -w: approximate timestamps said on stderr and in the pcapng IDB; tshark reads it', async () => {
      const server = await httpServer();
      const out = join(dir, 'cap.pcapng');
      const run = cli(['capture', '-i', 'lo', '-f', `tcp port ${server.port}`, '-w', out, '--engine', 'cap', '--no-tui']);
      try {
        await run.capturing;
        await httpGets(server.port, 3);
      } finally {
        await server.close();
      }
      run.child.kill('SIGINT');
      const r = await run.done;
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/capturing on lo with cap \(filter: tcp port \d+\); timestamps are approximate/);
      const lines = r.stdout.trimEnd().split('\n');
      expect(r.stderr).toMatch(new RegExp(`${lines.length} packets captured, ${lines.length} received, drops unknown .*; ${lines.length} written`));
      expect(lines.filter((l) => l.includes('[SYN]'))).toHaveLength(3);
      expect(lines.some((l) => /HTTP.*GET \/hello\/2/.test(l))).toBe(true);

      const file = await readCaptureFile(out);
      expect(file.warnings).toEqual([]);
      expect(file.frames).toHaveLength(lines.length);
      expect(file.interfaces[0]).toMatchObject({ name: 'lo', linkType: 1, tsResolution: 1e9, comments: [APPROXIMATE_TIMESTAMPS_NOTE] });
      // The statistics block has what is known, and no drop count at all rather than a false 0.
      expect(file.statistics.at(-1)).toMatchObject({ ifRecv: lines.length, usrDeliv: lines.length });
      expect(file.statistics.at(-1)?.ifDrop).toBeUndefined();
      if (haveTshark) {
        const t = spawnSync('tshark', ['-r', out, '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'frame.len', '-e', 'http.request.uri'], { encoding: 'utf8', timeout: 30_000 });
        expect(t.status).toBe(0);
        const rows = t.stdout.trimEnd().split('\n');
        expect(rows.map((row) => row.split('\t').slice(0, 2).join('\t'))).toEqual(file.frames.map((f) => `${f.tsSec}.${String(f.tsNsec).padStart(9, '0')}\t${f.origLen}`));
        expect(rows.filter((row) => row.endsWith('/hello/2'))).toHaveLength(1);
        const info = spawnSync('capinfos', [out], { encoding: 'utf8', timeout: 30_000 });
        expect(info.stdout).toContain(`Comment = ${APPROXIMATE_TIMESTAMPS_NOTE}`);
      }
    });

    it.skipIf(!tcpdump)('timestamps: how far the user-space ones are from the kernel ones of tcpdump beside', async () => {
      const server = await httpServer();
      const ref = join(dir, 'beside-ref.pcap');
      const side = await tcpdumpBeside(tcpdump!, ref, `tcp port ${server.port}`);
      const exchange = async () => {
        try {
          await httpGets(server.port, 5);
        } finally {
          await server.close();
        }
      };
      const ours = (await withCapture({ iface: 'lo', filter: `tcp port ${server.port}`, engine: 'cap' }, exchange)).frames;
      // The reference stops after ours, so it has at least everything ours should have.
      await new Promise((r) => setTimeout(r, 100));
      await side.stop();
      const theirs = (await readCaptureFile(ref)).frames;
      expect(ours.length).toBe(50);
      expect(theirs.length).toBeGreaterThanOrEqual(50);
      const lags: number[] = [];
      for (let i = 0; i < ours.length; i++) {
        expect(Buffer.from(ours[i]!.data).equals(Buffer.from(theirs[i]!.data))).toBe(true);
        lags.push((ours[i]!.tsSec - theirs[i]!.tsSec) * 1e9 + (ours[i]!.tsNsec - theirs[i]!.tsNsec));
      }
      lags.sort((x, y) => x - y);
      // Taken later than the kernel's, by however long the event loop took to get there; only a
      // loose bound (a loaded machine), and the figures for the README.
      expect(Math.abs(lags[lags.length >> 1]!)).toBeLessThan(100_000_000);
      // Never much before the kernel saw the packet: the wall-clock anchor is exact to about a µs.
      expect(lags[0]).toBeGreaterThan(-1_000_000);
      console.log(`cap vs tcpdump timestamps: min ${lags[0]} ns, median ${lags[lags.length >> 1]} ns, max ${lags[lags.length - 1]} ns over ${lags.length} packets`);
    });

    it("record --engine cap returns the command's exit code and says drops are unknown", async () => {
      const out = join(dir, 'record.pcapng');
      const r = await cli(['record', '-i', 'lo', '-f', 'tcp port 9', '-w', out, '--engine', 'cap', '--', process.execPath, '-e', 'process.exit(3)']).done;
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/0 packets captured, 0 received, drops unknown/);
      const file = await readCaptureFile(out);
      expect(file.frames).toHaveLength(0);
      expect(file.interfaces[0]?.comments).toEqual([APPROXIMATE_TIMESTAMPS_NOTE]);
    });

    it('bad interface and bad filter: one line, exit 2, no stack trace, no file left behind', async () => {
      const out = join(dir, 'bad.pcapng');
      const a = await cli(['capture', '-i', 'wl-no-such-if0', '-w', out, '--engine', 'cap']).done;
      expect(a.code).toBe(2);
      expect(a.stderr).toMatch(/^wirelens: no interface named 'wl-no-such-if0'; available: .*\blo\b.* \[WL_ERR_CAPTURE_INTERFACE\]\n$/);
      expect(existsSync(out)).toBe(false);
      const b = await cli(['capture', '-i', 'lo', '-f', 'tcp prot 80', '--engine', 'cap']).done;
      expect(b.code).toBe(2);
      expect(b.stderr).toMatch(/^wirelens: bad capture filter "tcp prot 80": .*syntax error.* \[WL_ERR_CAPTURE_FILTER\]\n$/);
      expect(readdirSync(dir)).not.toContain('bad.pcapng');
    });

    it.skipIf(!findExecutable('capsh'))('without CAP_NET_RAW the error gives the setcap line for node', () => {
      const r = spawnSync(findExecutable('capsh')!, ['--drop=cap_net_raw,cap_net_admin', '--', '-c', `"${process.execPath}" "${BIN}" capture -i lo -c 1 --engine cap`], {
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^wirelens: cap may not capture on 'lo': capture needs root or CAP_NET_RAW and CAP_NET_ADMIN; run as root or: sudo setcap cap_net_raw,cap_net_admin=eip \/\S*node\S* \[WL_ERR_CAPTURE_PERMISSION\]\n$/);
    });
  });
});

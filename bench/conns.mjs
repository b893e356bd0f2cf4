/**
 * Memory benchmark: peak RSS of `wirelens stats` (full TCP analysis and reassembly) on a capture
 * with many concurrent TCP connections. The performance issue's target: 100k concurrent
 * connections fit in < 500 MiB, i.e. memory is bounded by what is open (and held), not by the file.
 *
 *   node bench/conns.mjs [--connections N] [--reps N] [--json]
 *
 * The capture (bench/out/conns-v1-nN.pcap, reused when present) is deterministic and built with
 * our own emit functions and pcap writer, like gen.mjs: every connection's three-way handshake
 * first, then per connection a request and a response with their ACKs (data on each, in order), and
 * only then, at the end of the capture, every FIN exchange. So all N connections are open at once,
 * each with both directions' tracker and reassembler state alive.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PcapWriter } from '../dist/capture/pcap-writer.js';
import { fdSink } from '../dist/capture/byte-output.js';
import { LINKTYPE_ETHERNET } from '../dist/wire/ethernet.js';
import { TcpFlag } from '../dist/wire/tcp.js';
import { measure, rssMethod } from './measure.mjs';
import { prng, synOptions, tcpFrame, writeSegment } from './gen.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.join(here, 'out');
const wirelens = path.join(here, '..', 'bin', 'wirelens');

/** Bump when the traffic model changes, so a stale file is regenerated. */
const CONNS_VERSION = 1;
const RSS_TARGET_MIB = 500;
const { SYN, ACK, FIN, PSH } = TcpFlag;

function parseArgs(argv) {
  const o = { connections: 100_000, reps: 3, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = () => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v <= 0) throw new Error(`${a} needs a positive integer`);
      return v;
    };
    if (a === '--connections') o.connections = num();
    else if (a === '--reps') o.reps = num();
    else if (a === '--json') o.json = true;
    else if (a === '--help' || a === '-h') {
      console.log('usage: node bench/conns.mjs [--connections N] [--reps N] [--json]');
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  return o;
}

/** Writes the capture; returns {packets, bytes}. */
function generate(file, n) {
  const rnd = prng(0x5eed0000 + n);
  const int = (lo, hi) => lo + Math.floor(rnd() * (hi - lo + 1));
  const fd = fs.openSync(file, 'w');
  const writer = new PcapWriter(fdSink(fd), { linkType: LINKTYPE_ETHERNET });
  const pool = new Uint8Array(4096);
  for (let i = 0; i < pool.length; i++) pool[i] = (rnd() * 256) | 0;
  const serverMac = Uint8Array.of(0x00, 0x00, 0x0c, 0x9f, 0xf0, 0xa6);
  const clock = { sec: 1_718_000_000, usec: 0 };
  let packets = 0;
  let bytes = 0;

  // Connection i: client 10.a.b.c (one address per 64 connections), a distinct client port, one of
  // a few servers. Distinct 4-tuples throughout, so every connection is its own tcp.stream.
  const conns = [];
  for (let i = 0; i < n; i++) {
    const host = i >>> 6;
    const client = Uint8Array.of(10, (host >>> 16) & 0xff, (host >>> 8) & 0xff, host & 0xff);
    conns.push({
      c: { ip: client, mac: Uint8Array.of(0x02, 0x42, client[1], client[2], client[3], 0x01), port: 32768 + (i & 63) * 16 + int(0, 15), seq: int(0, 0xffffffff), ts: int(0, 0x7fffffff), ipId: int(0, 0xffff) },
      s: { ip: Uint8Array.of(192, 168, 1, 1 + (i % 8)), mac: serverMac, port: [443, 80, 8080, 5432][i % 4], seq: int(0, 0xffffffff), ts: int(0, 0x7fffffff), ipId: int(0, 0xffff) },
    });
  }

  function emit(conn, from, flags, payloadLen, options) {
    const a = conn[from];
    const b = conn[from === 'c' ? 's' : 'c'];
    const off = int(0, pool.length - payloadLen);
    const payload = pool.subarray(off, off + payloadLen);
    const frame = tcpFrame(a, b, flags, payload, flags & SYN ? 64240 : int(400, 2048), from === 'c' ? 64 : 57, options);
    writeSegment(writer, clock, int(1, 20), a, frame, flags, payloadLen, int);
    packets++;
    bytes += frame.length;
  }
  try {
    for (const k of conns) {
      emit(k, 'c', SYN, 0, synOptions(k.c));
      emit(k, 's', SYN | ACK, 0, synOptions(k.s));
      emit(k, 'c', ACK, 0);
    }
    for (const k of conns) {
      emit(k, 'c', PSH | ACK, int(40, 400));
      emit(k, 's', ACK, 0);
    }
    for (const k of conns) {
      emit(k, 's', PSH | ACK, int(100, 1400));
      emit(k, 'c', ACK, 0);
    }
    for (const k of conns) {
      emit(k, 'c', FIN | ACK, 0);
      emit(k, 's', FIN | ACK, 0);
      emit(k, 'c', ACK, 0);
    }
    writer.close();
  } finally {
    fs.closeSync(fd);
  }
  return { packets, bytes };
}

function ensureCapture(n) {
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `conns-v${CONNS_VERSION}-n${n}.pcap`);
  const metaFile = `${file}.json`;
  try {
    const meta = JSON.parse(fs.readFileSync(metaFile, 'utf8'));
    if (meta.fileBytes === fs.statSync(file).size) return { file, ...meta, reused: true, seconds: 0 };
  } catch {
    // Absent or stale: make it.
  }
  const t0 = performance.now();
  const tmp = `${file}.partial`;
  const summary = generate(tmp, n);
  fs.renameSync(tmp, file);
  const meta = { connections: n, ...summary, fileBytes: fs.statSync(file).size };
  fs.writeFileSync(metaFile, JSON.stringify(meta) + '\n');
  return { file, ...meta, reused: false, seconds: (performance.now() - t0) / 1000 };
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(path.join(here, '..', 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: build first (npx tsc -p .)');
  const cap = ensureCapture(o.connections);
  const runs = [];
  for (let r = 0; r < o.reps; r++) {
    const m = await measure(process.execPath, [wirelens, 'stats', '--json', cap.file], { stdout: 'capture' });
    if (m.code !== 0) throw new Error(`wirelens stats failed (exit ${m.code}): ${m.stderr.trim().split('\n').pop()}`);
    const s = JSON.parse(m.stdout);
    if (s.tcpConnections !== o.connections) throw new Error(`counted ${s.tcpConnections} TCP connections, expected ${o.connections}`);
    runs.push(m);
  }
  const best = Math.min(...runs.map((m) => m.seconds));
  const peak = Math.max(...runs.map((m) => m.peakRssKiB ?? 0)) || null;
  const mib = peak === null ? null : peak / 1024;
  const met = mib === null ? null : mib < RSS_TARGET_MIB;
  const label = `stats on ${o.connections.toLocaleString('en')} concurrent TCP connections peak RSS < ${RSS_TARGET_MIB} MiB`;
  console.log(
    `capture: ${path.relative(path.join(here, '..'), cap.file)} — ${cap.packets.toLocaleString('en')} packets, ${(cap.fileBytes / 1e6).toFixed(1)} MB, ` +
      `${o.connections.toLocaleString('en')} connections all open at once (${cap.reused ? 'reused' : `generated in ${cap.seconds.toFixed(1)} s`}); peak RSS via ${rssMethod}`,
  );
  console.log(`wirelens stats: best ${best.toFixed(2)} s (${((cap.packets / best) / 1e6).toFixed(2)} M packets/s), runs ${runs.map((m) => m.seconds.toFixed(2)).join(' ')}`);
  console.log(`${met === null ? 'n/a' : met ? 'met' : 'NOT met'}`.padEnd(9) + `${label}: ${mib === null ? 'not measured' : `${mib.toFixed(1)} MiB`} (${peak === null ? '?' : ((peak * 1024) / o.connections).toFixed(0)} bytes per connection)`);
  if (o.json) console.log(JSON.stringify({ connections: o.connections, packets: cap.packets, fileBytes: cap.fileBytes, bestSeconds: best, peakRssKiB: peak, targetMiB: RSS_TARGET_MIB, met }));
  return met === false ? 1 : 0;
}

main().then(
  (code) => (process.exitCode = code),
  (err) => {
    console.error(`bench/conns: ${err.message}`);
    process.exitCode = 1;
  },
);

// Live-capture throughput (root only): a UDP generator floods 127.0.0.1 while `wirelens capture -q -w`
// captures it through each usable engine (dumpcap, tcpdump, the in-process cap). Prints packets/s
// captured and written, the drops the engine reported ("unknown" for cap, which cannot count them)
// and how many sent packets are missing from the file. Usage: node bench/live-capture.mjs
// [packets=200000] [buffer MiB] [engines=dumpcap,tcpdump,cap] (after npm run build).
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { flood, run } from './udp-flood.mjs';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin/wirelens');
const total = Number(process.argv[2] ?? 200_000);
const buffer = process.argv[3] ? ['--buffer', process.argv[3]] : [];
const engines = (process.argv[4] ?? 'dumpcap,tcpdump,cap').split(',');
const dir = mkdtempSync(join(tmpdir(), 'wl-bench-live-'));

for (const engine of engines) {
  const port = 30000 + Math.floor(Math.random() * 20000);
  const file = join(dir, `${engine}.pcapng`);
  let ready;
  const started = new Promise((r) => (ready = r));
  const cap = run(process.execPath, [BIN, 'capture', '-i', 'lo', '-f', `udp port ${port}`, '-q', '-w', file, '--engine', engine, '--no-tui', ...buffer], (e) => {
    if (e.includes('capturing on')) ready();
  });
  const early = await Promise.race([started, cap.done]);
  if (early) {
    // The engine could not start here (not installed, cap not built): say so and go on.
    console.log(`${engine}: not measured: ${early.err.trim()}`);
    continue;
  }
  const t0 = performance.now();
  const g = await flood(port, total);
  cap.child.kill('SIGINT');
  const r = await cap.done;
  const seconds = (performance.now() - t0) / 1000;
  const m = /(\d+) packets captured, (\d+) received, (?:(\d+) (?:dropped|DROPPED)|(drops unknown))/.exec(r.err);
  const captured = Number(m?.[1] ?? 0);
  const written = Number(/(\d+) written/.exec(r.err)?.[1] ?? 0);
  console.log(
    `${engine}${buffer.length ? ` --buffer ${buffer[1]}` : ''}: sent ${g.sent} in ${g.seconds.toFixed(2)} s (${Math.round(g.sent / g.seconds)} pkt/s offered); ` +
      `captured ${captured}, written ${written} (${Math.round(written / g.seconds)} pkt/s), dropped ${m?.[3] ?? (m?.[4] ? 'unknown' : '?')}, ` +
      `missing ${g.sent - written} of those sent, file ${existsSync(file) ? (statSync(file).size / 1e6).toFixed(1) : '-'} MB, capture ran ${seconds.toFixed(2)} s`,
  );
  if (!m) console.log(r.err);
}
rmSync(dir, { recursive: true, force: true });

// Live-capture throughput (root only): a UDP generator floods 127.0.0.1 while `wirelens capture -q -w`
// captures it through each usable engine (dumpcap, tcpdump, the in-process cap). Prints packets/s
// captured and written, the drops the engine reported ("unknown" for cap, which cannot count them)
// and how many sent packets are missing from the file. Usage: node bench/live-capture.mjs
// [packets=200000] [buffer MiB] [engines=dumpcap,tcpdump,cap] (after npm run build).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin/wirelens');
const total = Number(process.argv[2] ?? 200_000);
const buffer = process.argv[3] ? ['--buffer', process.argv[3]] : [];
const engines = (process.argv[4] ?? 'dumpcap,tcpdump,cap').split(',');
const dir = mkdtempSync(join(tmpdir(), 'wl-bench-live-'));

// The generator runs in its own process so it does not compete with wirelens's event loop.
const generator = `
const d = require('dgram'); const s = d.createSocket('udp4'); const buf = Buffer.alloc(64);
const port = Number(process.argv[1]); const total = Number(process.argv[2]); let sent = 0;
const t0 = process.hrtime.bigint();
function burst() {
  // 256 sends, then yield so the callbacks (and the kernel) keep up without unbounded queueing.
  let n = 0;
  const next = () => { if (++n === 256) { if (sent < total) setImmediate(burst); else done(); } };
  for (let i = 0; i < 256; i++) { sent++; s.send(buf, port, '127.0.0.1', next); }
}
function done() { const dt = Number(process.hrtime.bigint() - t0) / 1e9; console.log(JSON.stringify({ sent, seconds: dt })); s.close(); }
burst();
`;

function run(cmd, args, onStderr) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  child.stdout.on('data', (b) => (out += b));
  child.stderr.on('data', (b) => { err += b; onStderr?.(err); });
  const done = new Promise((r) => child.once('close', (code) => r({ code, out, err })));
  return { child, done };
}

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
  const gen = await run(process.execPath, ['-e', generator, String(port), String(total)]).done;
  cap.child.kill('SIGINT');
  const r = await cap.done;
  const seconds = (performance.now() - t0) / 1000;
  const g = JSON.parse(gen.out);
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

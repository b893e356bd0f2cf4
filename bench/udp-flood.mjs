/**
 * A UDP flood on loopback for the live-capture benchmarks: 64-byte datagrams to 127.0.0.1:PORT,
 * sent from a process of its own so that it does not compete with wirelens's event loop.
 */
import { spawn } from 'node:child_process';

const SOURCE = `
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

/** Runs a command; `onStderr` sees its stderr so far after each chunk. */
export function run(cmd, args, onStderr) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (b) => (out += b));
  child.stderr.on('data', (b) => {
    err += b;
    onStderr?.(err);
  });
  const done = new Promise((r) => child.once('close', (code) => r({ code, out, err })));
  return { child, done };
}

/** Sends `total` datagrams (in multiples of 256) as fast as the kernel takes them; resolves to {sent, seconds}. */
export async function flood(port, total) {
  const r = await run(process.execPath, ['-e', SOURCE, String(port), String(total)]).done;
  return JSON.parse(r.out);
}

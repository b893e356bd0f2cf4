/**
 * Simulator throughput: `wirelens synth lossy-transfer` with a large transfer, written to a pcapng
 * file, in simulated packets written per second of wall time (target: 500 k/s).
 *
 *   node bench/sim.mjs [--size 200MB] [--json] [--out FILE]
 *
 * Needs dist/ (npm run build). Prints one line, or one JSON object with --json.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const TARGET_PPS = 500e3;

export async function benchSim({ size = '200MB', out = path.join(os.tmpdir(), 'wirelens-bench-sim.pcapng'), seed = 1 } = {}) {
  const { runScenario } = await import(path.join(here, '..', 'dist', 'sim', 'scenarios', 'index.js'));
  const { fdSink } = await import(path.join(here, '..', 'dist', 'capture', 'byte-output.js'));
  const fd = fs.openSync(out, 'w');
  const params = { size, rtt: '20ms', loss: '0.1%', bandwidth: '1000Mbit', queue: '1000' };
  const t0 = performance.now();
  const r = runScenario('lossy-transfer', { seed, params, sink: fdSink(fd) });
  const seconds = (performance.now() - t0) / 1000;
  fs.closeSync(fd);
  // Only a regular file is measured and removed: --out /dev/null must stay a device.
  const st = fs.statSync(out);
  const bytes = st.isFile() ? st.size : 0;
  if (st.isFile()) fs.rmSync(out, { force: true });
  return { scenario: 'lossy-transfer', params, packets: r.packets, seconds, packetsPerSecond: r.packets / seconds, mbPerSecond: bytes / 1e6 / seconds, target: TARGET_PPS, met: r.packets / seconds >= TARGET_PPS };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const args = process.argv.slice(2);
  const opt = (name) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const res = await benchSim({ size: opt('--size') ?? '200MB', out: opt('--out') });
  if (args.includes('--json')) console.log(JSON.stringify(res));
  else
    console.log(
      `synth lossy-transfer --size ${res.params.size}: ${res.packets.toLocaleString('en')} packets in ${res.seconds.toFixed(2)} s = ` +
        `${(res.packetsPerSecond / 1e3).toFixed(0)} k packets/s (${res.mbPerSecond.toFixed(0)} MB/s written; target ${TARGET_PPS / 1e3} k/s: ${res.met ? 'met' : 'NOT met'})`,
    );
}

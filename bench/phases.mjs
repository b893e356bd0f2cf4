/**
 * Where a `stats` run spends its time, one phase more per step, each in a fresh process (so every
 * figure includes the JIT warming up, as a real run does):
 *   read     — CaptureReader batches only (file reads, record parsing, Frame objects)
 *   decode   — plus decodePacket on every frame
 *   phs      — plus the protocol hierarchy
 *   analyze  — plus the conversation/TCP analyzer with IP defragmentation
 *   app      — plus the application stage (stream reassembly, HTTP/WebSocket/SSE/TLS/DNS/QUIC)
 *
 *   node bench/phases.mjs FILE PHASE   → prints one JSON line {phase, packets, seconds, cpuSeconds}
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PHASES = ['read', 'decode', 'phs', 'analyze', 'app'];

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist');

export function analyzerAvailable() {
  return fs.existsSync(path.join(dist, 'analysis', 'analyzer.js'));
}

async function run(file, phase) {
  const { CaptureReader } = await import('../dist/capture/reader.js');
  const { decodePacket } = await import('../dist/decode/bindings.js');
  const { ProtocolHierarchy } = await import('../dist/analysis/hierarchy.js');
  const Analyzer = phase === 'analyze' || phase === 'app' ? (await import('../dist/analysis/analyzer.js')).Analyzer : undefined;
  const app = phase === 'app' ? await import('../dist/analysis/app.js') : undefined;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const reader = CaptureReader.openSync(file);
  const level = PHASES.indexOf(phase);
  const hierarchy = new ProtocolHierarchy();
  const base = { reuseResults: true, defragment: true };
  // The stage as `wirelens stats` makes it without -Y: no header strings nobody reads (allHeaders).
  const stage = app ? new app.AppStage({ allHeaders: app.readsHttpFields(undefined), describedHeaders: false }) : undefined;
  const analyzer = Analyzer ? new Analyzer(stage ? app.appAnalyzerOptions(stage, base) : base) : undefined;
  let packets = 0;
  for (let b = reader.nextBatchSync(); b; b = reader.nextBatchSync()) {
    packets += b.length;
    if (level < 1) continue;
    for (let i = 0; i < b.length; i++) {
      const p = decodePacket(b[i]);
      if (analyzer) analyzer.analyze(p);
      if (level >= 2) hierarchy.add(p);
    }
  }
  analyzer?.finish();
  reader.close();
  const c = process.cpuUsage(c0);
  return { phase, packets, seconds: (performance.now() - t0) / 1000, cpuSeconds: (c.user + c.system) / 1e6 };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, phase] = process.argv.slice(2);
  if (!file || !PHASES.includes(phase)) {
    console.error(`usage: node bench/phases.mjs FILE ${PHASES.join('|')}`);
    process.exit(2);
  }
  console.log(JSON.stringify(await run(file, phase)));
}

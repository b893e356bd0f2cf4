/**
 * `npm run bench`: wirelens read/stats against tcpdump and tshark on one large synthetic capture.
 *
 *   node bench/run.mjs [--json] [--reps N] [--min-packets N] [--min-mib N] [--no-phases] [--no-sim] [--no-conns] [--no-tui]
 *
 * Targets (from the issues):
 *   - `wirelens read FILE > /dev/null` takes no longer than `tcpdump -nn -r FILE > /dev/null`;
 *   - decoding plus the protocol hierarchy at least 1.5 M packets/s (phase table, in-process);
 *   - `wirelens stats FILE`, which runs the full analysis, at least 1 M packets/s;
 *   - a display filter (`-Y "tcp.port == 80"`) adds at most 30% to stats;
 *   - the application stage adds at most 30% to stats time (bench/stats-app.mjs: medians of
 *     alternating runs with and without it; the phase table shows its in-process share too);
 *   - peak RSS of read and stats at most 150 MiB on a file of at least 240 MB;
 *   - 100k concurrent TCP connections analysed in under 500 MiB (bench/conns.mjs);
 *   - the simulator writes at least 500 k packets/s for lossy-transfer (bench/sim.mjs);
 *   - the terminal UI on a 600k-packet capture: first screen in under 1 s, a selection move
 *     redrawn in under 50 ms (bench/tui.mjs, in tmux; also its peak RSS and longest stall); with
 *     the ladder pane open on one 600k-packet stream, peak RSS under 400 MiB and a selection move,
 *     also one that moves the ladder's window, redrawn in under 50 ms (median); and the live UI
 *     on a UDP flood on loopback keeping up with it at most 20 draws a second (bench/live-tui.mjs,
 *     root only).
 * tshark (`-q -z io,phs`) and `wirelens explain` (time and peak RSS) are shown for information.
 * Each command runs `reps` times, interleaved so that a noisy neighbour hurts all of them alike; the
 * best time is kept, and the highest peak RSS.
 * Then, for locating costs, Node's own start-up (`wirelens --version`) and a breakdown of a stats run
 * by phase (bench/phases.mjs: read, + decode, + hierarchy, + analyzer), each in a fresh process.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultParams, ensureCapture } from './gen.mjs';
import { measure, rssMethod, which } from './measure.mjs';
import { analyzerAvailable, PHASES } from './phases.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const outDir = path.join(here, 'out');
const wirelens = path.join(root, 'bin', 'wirelens');

const READ_RATIO_TARGET = 1.0;
const STATS_PPS_TARGET = 1.5e6;
const ANALYSIS_PPS_TARGET = 1e6;
const FILTER_RATIO_TARGET = 1.3;
const APP_RATIO_TARGET = 1.3;
const SIM_PPS_TARGET = 500e3;
const RSS_TARGET_MIB = 150;
const RSS_FILE_MIN_BYTES = 240e6;

function parseArgs(argv) {
  const o = { json: false, reps: 3, phases: true, sim: true, conns: true, tui: true, params: defaultParams() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = () => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v <= 0) throw new Error(`${a} needs a positive number`);
      return v;
    };
    if (a === '--json') o.json = true;
    else if (a === '--no-phases') o.phases = false;
    else if (a === '--no-sim') o.sim = false;
    else if (a === '--no-conns') o.conns = false;
    else if (a === '--no-tui') o.tui = false;
    else if (a === '--reps') o.reps = Math.floor(num());
    else if (a === '--min-packets') o.params.minPackets = Math.floor(num());
    else if (a === '--min-mib') o.params.minBytes = Math.floor(num() * 1024 * 1024);
    else if (a === '--help' || a === '-h') {
      console.log('usage: node bench/run.mjs [--json] [--reps N] [--min-packets N] [--min-mib N] [--no-phases] [--no-sim] [--no-conns] [--no-tui]');
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  return o;
}

const MiB = 1024 * 1024;
const fmtRate = (pps) => (pps >= 1e6 ? `${(pps / 1e6).toFixed(2)} M/s` : `${(pps / 1e3).toFixed(0)} k/s`);
const fmtMiB = (kib) => (kib == null ? '?' : `${(kib / 1024).toFixed(1)}`);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

/**
 * Issue 4's target: stats run with and without the application stage (bench/stats-app.mjs), in
 * alternating fresh processes. The difference is a fifth of a second, about what this machine's
 * noise moves a single run by, so medians of several pairs are compared rather than best times.
 */
async function measureAppStage(file, pairs) {
  const times = { with: [], without: [] };
  const ratios = [];
  for (let i = 0; i < pairs; i++) {
    const pair = {};
    for (const mode of ['without', 'with']) {
      process.stderr.write(`  pair ${i + 1}/${pairs}: stats ${mode} the application stage … `);
      const m = await measure(process.execPath, [path.join(here, 'stats-app.mjs'), file, mode], { stdout: 'capture' });
      process.stderr.write(`${m.seconds.toFixed(2)} s\n`);
      if (m.code !== 0) return { error: m.stderr.trim().split('\n').pop() };
      times[mode].push((pair[mode] = m.seconds));
    }
    ratios.push(pair.with / pair.without);
  }
  const w = median(times.with);
  const wo = median(times.without);
  return { pairs, with: w, without: wo, ratio: w / wo, minRatio: Math.min(...ratios), maxRatio: Math.max(...ratios) };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(path.join(root, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run bench` (it builds first)');

  process.stdout.write('capture: ');
  const cap = ensureCapture(outDir, opts.params);
  const fileBytes = cap.fileBytes;
  console.log(
    `${path.relative(root, cap.file)} — ${cap.packets.toLocaleString('en')} packets, ${(fileBytes / 1e6).toFixed(1)} MB, ` +
      `${cap.connections.toLocaleString('en')} connections (${cap.reused ? 'reused' : `generated in ${cap.seconds.toFixed(1)} s`})`,
  );
  console.log(
    `machine: ${os.cpus().length} cores (${os.cpus()[0]?.model.trim() ?? '?'}), Node ${process.version}, ${os.platform()} ${os.release()}; ` +
      `peak RSS via ${rssMethod}; best of ${opts.reps}`,
  );

  const tcpdump = which('tcpdump');
  const tshark = which('tshark');
  const commands = [
    { id: 'wirelens-read', label: 'wirelens read FILE > /dev/null', cmd: process.execPath, args: [wirelens, 'read', cap.file], stdout: 'null' },
    { id: 'tcpdump', label: 'tcpdump -nn -r FILE > /dev/null', cmd: tcpdump, args: ['-nn', '-r', cap.file], stdout: 'null' },
    { id: 'wirelens-stats', label: 'wirelens stats FILE', cmd: process.execPath, args: [wirelens, 'stats', cap.file], stdout: 'capture' },
    { id: 'tshark', label: 'tshark -q -z io,phs -r FILE', cmd: tshark, args: ['-q', '-z', 'io,phs', '-r', cap.file], stdout: 'capture' },
    { id: 'wirelens-stats-filter', label: 'wirelens stats -Y "tcp.port == 80" FILE', cmd: process.execPath, args: [wirelens, 'stats', '-Y', 'tcp.port == 80', cap.file], stdout: 'capture' },
    // Informative: explain prints as it reads, so its peak RSS should not grow with the capture.
    { id: 'wirelens-explain', label: 'wirelens explain FILE > /dev/null', cmd: process.execPath, args: [wirelens, 'explain', cap.file], stdout: 'null' },
  ];
  const results = new Map(commands.map((c) => [c.id, { ...c, installed: c.cmd !== null, runs: [], rss: [], error: null }]));

  const t0 = performance.now();
  for (let rep = 0; rep < opts.reps; rep++) {
    for (const c of commands) {
      const r = results.get(c.id);
      if (!r.installed || r.error) continue;
      process.stderr.write(`  run ${rep + 1}/${opts.reps}: ${c.label} … `);
      const m = await measure(c.cmd, c.args, { stdout: c.stdout });
      process.stderr.write(`${m.seconds.toFixed(2)} s\n`);
      if (m.code !== 0) {
        r.error = `exit code ${m.code}: ${m.stderr.trim().split('\n').slice(-3).join(' | ')}`;
        continue;
      }
      if (c.id === 'wirelens-stats') {
        const n = /Packets:\s+(\d+)/.exec(m.stdout)?.[1];
        if (Number(n) !== cap.packets) r.error = `counted ${n} packets, expected ${cap.packets}`;
      }
      r.runs.push(m.seconds);
      if (m.peakRssKiB != null) r.rss.push(m.peakRssKiB);
    }
  }

  const rows = [];
  for (const r of results.values()) {
    const best = r.runs.length ? Math.min(...r.runs) : null;
    const peak = r.rss.length ? Math.max(...r.rss) : null;
    rows.push({
      id: r.id,
      command: r.label,
      installed: r.installed,
      error: r.error,
      bestSeconds: best,
      runs: r.runs,
      packetsPerSecond: best ? cap.packets / best : null,
      mbPerSecond: best ? fileBytes / 1e6 / best : null,
      peakRssKiB: peak,
    });
  }
  const byId = Object.fromEntries(rows.map((r) => [r.id, r]));

  // The table.
  const head = ['command', 'best s', 'packets/s', 'MB/s', 'peak RSS MiB', 'runs (s)'];
  const body = rows.map((r) =>
    !r.installed
      ? [r.command, 'not installed', '', '', '', '']
      : r.error && r.bestSeconds === null
        ? [r.command, `FAILED: ${r.error}`, '', '', '', '']
        : [r.command, r.bestSeconds.toFixed(3), fmtRate(r.packetsPerSecond), r.mbPerSecond.toFixed(0), fmtMiB(r.peakRssKiB), r.runs.map((s) => s.toFixed(2)).join(' ')],
  );
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => String(b[i]).length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  console.log('');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const b of body) console.log(line(b));
  console.log('');

  // Verdicts.
  const verdicts = [];
  const verdict = (name, met, figure, note = '') => {
    verdicts.push({ target: name, met, figure, note });
    const tag = met === null ? 'n/a' : met ? 'met' : 'NOT met';
    console.log(`${tag.padEnd(8)} ${name}: ${figure}${note ? ` (${note})` : ''}`);
  };
  const wr = byId['wirelens-read'];
  const td = byId['tcpdump'];
  const ws = byId['wirelens-stats'];
  const ts = byId['tshark'];
  if (!wr.bestSeconds) verdict('read time / tcpdump time ≤ 1.0', false, `wirelens read failed: ${wr.error}`);
  else if (!td.installed) verdict('read time / tcpdump time ≤ 1.0', null, 'tcpdump not installed');
  else if (!td.bestSeconds) verdict('read time / tcpdump time ≤ 1.0', null, `tcpdump failed: ${td.error}`);
  else {
    const ratio = wr.bestSeconds / td.bestSeconds;
    verdict('read time / tcpdump time ≤ 1.0', ratio <= READ_RATIO_TARGET, `${ratio.toFixed(2)} (${wr.bestSeconds.toFixed(2)} s vs ${td.bestSeconds.toFixed(2)} s)`);
  }
  // stats runs the whole analysis (TCP tracking, reassembly, application stage): issue 3 asks it to
  // stay ≥ 1 M packets/s. Issue 2's 1.5 M packets/s was set for decoding and the hierarchy alone,
  // which the phase table below measures in-process ("+ protocol hierarchy").
  if (!ws.bestSeconds) verdict('stats (full analysis) ≥ 1 M packets/s', false, `wirelens stats failed: ${ws.error}`);
  else verdict('stats (full analysis) ≥ 1 M packets/s', ws.packetsPerSecond >= ANALYSIS_PPS_TARGET, fmtRate(ws.packetsPerSecond), 'end to end, Node start-up included');
  const wf = byId['wirelens-stats-filter'];
  if (wf.bestSeconds && ws.bestSeconds) {
    const ratio = wf.bestSeconds / ws.bestSeconds;
    verdict('stats -Y "tcp.port == 80" time / stats time ≤ 1.3', ratio <= FILTER_RATIO_TARGET, `${ratio.toFixed(2)} (${wf.bestSeconds.toFixed(2)} s vs ${ws.bestSeconds.toFixed(2)} s)`);
  } else verdict('stats -Y time / stats time ≤ 1.3', false, `failed: ${wf.error ?? ws.error}`);
  const we = byId['wirelens-explain'];
  if (we.bestSeconds) verdict('explain (informative)', null, `${we.bestSeconds.toFixed(2)} s, peak RSS ${fmtMiB(we.peakRssKiB)} MiB`, 'streams: a packet is printed as it is read, none kept');
  const app = await measureAppStage(cap.file, Math.max(9, 2 * opts.reps + 3));
  if (app.error) verdict('application stage adds ≤ 30% to stats time', false, `failed: ${app.error}`);
  else {
    verdict(
      'application stage adds ≤ 30% to stats time',
      app.ratio <= APP_RATIO_TARGET,
      `+${((app.ratio - 1) * 100).toFixed(1)}% (${app.without.toFixed(3)} s → ${app.with.toFixed(3)} s, medians)`,
      `${app.pairs} alternating pairs, fresh processes; min–max ratio ${app.minRatio.toFixed(2)}–${app.maxRatio.toFixed(2)}`,
    );
  }
  const bigEnough = fileBytes >= RSS_FILE_MIN_BYTES;
  for (const r of [wr, ws]) {
    const name = `${r.id.replace('-', ' ')} peak RSS ≤ ${RSS_TARGET_MIB} MiB on a ≥ 240 MB file`;
    if (r.peakRssKiB == null) verdict(name, null, 'not measured');
    else verdict(name, bigEnough ? r.peakRssKiB / 1024 <= RSS_TARGET_MIB : null, `${fmtMiB(r.peakRssKiB)} MiB`, bigEnough ? `file ${(fileBytes / 1e6).toFixed(0)} MB` : `file only ${(fileBytes / 1e6).toFixed(0)} MB: not conclusive`);
  }
  if (!ts.installed) verdict('tshark io,phs time / wirelens stats time (informative)', null, 'tshark not installed');
  else if (ts.bestSeconds && ws.bestSeconds) {
    verdict('tshark io,phs time / wirelens stats time (informative)', null, `${(ts.bestSeconds / ws.bestSeconds).toFixed(1)}× (${ts.bestSeconds.toFixed(2)} s vs ${ws.bestSeconds.toFixed(2)} s)`);
  } else verdict('tshark io,phs (informative)', null, `failed: ${ts.error ?? ws.error}`);

  // Where the time goes: start-up, then a stats run phase by phase (no start-up in these figures).
  let startup = null;
  const phases = [];
  if (opts.phases) {
    const st = [];
    for (let rep = 0; rep < opts.reps; rep++) st.push((await measure(process.execPath, [wirelens, '--version'], { stdout: 'capture' })).seconds);
    startup = Math.min(...st);
    const available = PHASES.filter((p) => p !== 'analyze' || analyzerAvailable());
    for (const phase of available) {
      let best = null;
      for (let rep = 0; rep < opts.reps; rep++) {
        const m = await measure(process.execPath, [path.join(here, 'phases.mjs'), cap.file, phase], { stdout: 'capture' });
        if (m.code !== 0) {
          best = { phase, error: m.stderr.trim().split('\n').pop() };
          break;
        }
        const r = JSON.parse(m.stdout);
        if (!best || r.seconds < best.seconds) best = { ...r, peakRssKiB: m.peakRssKiB };
      }
      phases.push(best);
    }
    console.log(`\nwhere a stats run goes (in-process, best of ${opts.reps}; Node + wirelens start-up: ${(startup * 1000).toFixed(0)} ms for \`wirelens --version\`):`);
    let prev = 0;
    for (const p of phases) {
      if (p.error) {
        console.log(`  ${p.phase.padEnd(8)} failed: ${p.error}`);
        continue;
      }
      const what = { read: 'read + frame records', decode: '+ decodePacket', phs: '+ protocol hierarchy', analyze: '+ TCP/UDP analyzer', app: '+ application stage' }[p.phase];
      console.log(
        `  ${what.padEnd(22)} ${p.seconds.toFixed(3)} s  (+${(p.seconds - prev).toFixed(3)} s)  ${fmtRate(cap.packets / p.seconds).padStart(9)}  peak RSS ${fmtMiB(p.peakRssKiB)} MiB`,
      );
      prev = p.seconds;
    }
    const at = (id) => phases.find((p) => p.phase === id && !p.error);
    const phs = at('phs');
    if (phs) verdict('decode + hierarchy ≥ 1.5 M packets/s (issue 2, in-process)', cap.packets / phs.seconds >= STATS_PPS_TARGET, fmtRate(cap.packets / phs.seconds));
    const an = at('analyze');
    const ap = at('app');
    // Without start-up, output and stats' own per-frame counting the same seconds are a larger
    // share: informative, the target is on stats time (above).
    if (an && ap) verdict('application stage / in-process analysis (informative)', null, `+${((ap.seconds / an.seconds - 1) * 100).toFixed(0)}% (${an.seconds.toFixed(3)} s → ${ap.seconds.toFixed(3)} s)`, 'best of each, no start-up');
  }

  // Memory bounded by concurrent connections, not file size: 100k connections open at once
  // (bench/conns.mjs generates the capture and prints its own verdict line).
  if (opts.conns) {
    const m = await measure(process.execPath, [path.join(here, 'conns.mjs'), '--reps', '1', '--json'], { stdout: 'capture' });
    const r = m.stdout.trim() ? JSON.parse(m.stdout.trim().split('\n').pop()) : null;
    if (!r) verdict('stats on 100k concurrent connections peak RSS < 500 MiB', false, `failed: ${m.stderr.trim().split('\n').pop()}`);
    else verdict('stats on 100k concurrent connections peak RSS < 500 MiB', r.met, `${fmtMiB(r.peakRssKiB)} MiB`, `${r.packets.toLocaleString('en')} packets, ${(r.bestSeconds).toFixed(2)} s`);
  }

  // The simulator: lossy-transfer with a large transfer, written as pcapng; best of `reps` fresh
  // processes like the commands above (one 0.4 s run swings by a third with the kernel's writeback
  // of the 250 MB it writes).
  if (opts.sim) {
    const runs = [];
    for (let rep = 0; rep < opts.reps; rep++) {
      const m = await measure(process.execPath, [path.join(here, 'sim.mjs'), '--json'], { stdout: 'capture' });
      if (m.code === 0) runs.push(JSON.parse(m.stdout.trim().split('\n').pop()).packetsPerSecond);
    }
    if (runs.length === 0) verdict('synth lossy-transfer ≥ 500 k simulated packets/s', false, 'bench/sim.mjs failed');
    else {
      const best = Math.max(...runs);
      verdict('synth lossy-transfer ≥ 500 k simulated packets/s', best >= SIM_PPS_TARGET, fmtRate(best), `best of ${runs.length}: ${runs.map(fmtRate).join(', ')}`);
    }
  }
  // The terminal UI on its own, larger capture (bench/tui.mjs prints its header and uses our verdicts).
  let tui = null;
  if (opts.tui) {
    const { benchLadder, benchTui } = await import('./tui.mjs');
    tui = await benchTui({ reps: Math.min(opts.reps, 2), verdict });
    tui.ladder = await benchLadder({ reps: Math.min(opts.reps, 2), verdict });
    // The live UI under a UDP flood on loopback (root): it must keep up and draw at most 20 times a second.
    const { benchLiveTui, describeLiveTui, DRAWS_PER_SECOND_LIMIT } = await import('./live-tui.mjs');
    const live = await benchLiveTui();
    tui.live = live;
    const kept = !live.error && live.dropped === 0 && live.shown === live.captured && live.drawsPerSecond <= DRAWS_PER_SECOND_LIMIT;
    verdict('live TUI keeps up with a flood, ≤ 20 draws/s, nothing dropped', live.error ? false : kept, describeLiveTui(live));
  }
  console.log(`\nbenchmark runs took ${((performance.now() - t0) / 1000).toFixed(0)} s`);

  if (opts.json) {
    const out = {
      date: new Date().toISOString(),
      machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model.trim(), node: process.version, platform: `${os.platform()} ${os.release()}` },
      rssMethod,
      reps: opts.reps,
      capture: { file: path.relative(root, cap.file), packets: cap.packets, fileBytes, connections: cap.connections, params: cap.params },
      results: rows,
      verdicts,
      startupSeconds: startup,
      statsPhases: phases,
      tui,
    };
    fs.writeFileSync(path.join(outDir, 'results.json'), JSON.stringify(out, null, 2) + '\n');
    console.log(`results written to ${path.relative(root, path.join(outDir, 'results.json'))}`);
  }
  const failed = rows.some((r) => r.id.startsWith('wirelens') && r.error);
  return failed ? 1 : 0;
}

main().then(
  (code) => (process.exitCode = code),
  (err) => {
    console.error(`bench: ${err.message}`);
    process.exitCode = 1;
  },
);

/**
 * The live terminal UI under a flood (issues 7 and 10: "redraws throttled … so the UI never falls
 * behind the capture"): `wirelens capture -i lo -f 'udp port P' --buffer 64 -w FILE` in a detached
 * tmux session (120×40) while udp-flood.mjs sends PACKETS datagrams to 127.0.0.1:P; then q.
 *
 *   node bench/live-tui.mjs [--packets N] [--json]      (root, tmux and dist/ needed)
 *
 * Figures: packets offered per second; captured, received and dropped (the file's statistics
 * block); draws per second during the session (the throttle allows 20) and the longest draw; and
 * how long after the flood's last packet the packet list showed every packet captured (the index
 * catching up; dumpcap hands packets over up to 250 ms late, so that is its floor).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { which } from './measure.mjs';
import { sleep, tmuxTui } from './tui.mjs';
import { flood } from './udp-flood.mjs';

export const DRAWS_PER_SECOND_LIMIT = 20;

/** Runs one live session; returns its figures, or {error}. */
export async function benchLiveTui({ packets = 200_000 } = {}) {
  if (process.getuid?.() !== 0) return { error: 'needs root (live capture)' };
  if (!which('tmux')) return { error: 'tmux not installed' };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wl-bench-live-tui-'));
  const file = path.join(dir, 'live.pcapng');
  const port = 30000 + Math.floor(Math.random() * 20000);
  const ui = tmuxTui(['capture', '-i', 'lo', '-f', `udp port ${port}`, '--buffer', '64', '-w', file], 120, 40);
  try {
    await ui.waitFor((s) => / live \| 0 packets \|/.test(s), 'the live capture to start', 30_000);
    const t0 = performance.now();
    const g = await flood(port, packets);
    const floodEnd = performance.now();
    // Every packet the engine will deliver is shown once the count stops moving for 1 s.
    let last = -1;
    let since = performance.now();
    let caughtUpMs = 0;
    while (performance.now() - since < 1_000) {
      const n = Number(/ live \| (\d+) packets/.exec(ui.screen())?.[1] ?? 0);
      if (n !== last) {
        last = n;
        since = performance.now();
        caughtUpMs = since - floodEnd;
      }
      await sleep(10);
    }
    const sessionSeconds = (performance.now() - t0) / 1000;
    const st = await ui.stats();
    const { readCaptureFileSync } = await import('../dist/capture/reader.js');
    const c = readCaptureFileSync(file);
    const isb = c.statistics.at(-1);
    return {
      offered: g.sent,
      offeredPerSecond: g.sent / g.seconds,
      shown: last,
      captured: c.frames.length,
      received: isb?.ifRecv ?? null,
      dropped: isb ? (isb.ifDrop ?? 0) + (isb.osDrop ?? 0) : null,
      caughtUpMs,
      draws: st.draws,
      drawsPerSecond: st.draws / sessionSeconds,
      maxDrawMs: st.maxDrawMs,
      avgDrawMs: st.avgDrawMs,
    };
  } catch (err) {
    return { error: err.message.split('\n')[0] };
  } finally {
    ui.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** One line with the figures, or why they were not measured. */
export function describeLiveTui(r) {
  if (r.error) return `not measured: ${r.error}`;
  return (
    `${r.offered.toLocaleString('en')} packets offered at ${Math.round(r.offeredPerSecond / 1000)} k/s; ${r.captured.toLocaleString('en')} captured, ` +
    `${r.dropped} dropped; list complete ${(r.caughtUpMs / 1000).toFixed(2)} s after the last packet; ` +
    `${r.drawsPerSecond.toFixed(1)} draws/s (limit ${DRAWS_PER_SECOND_LIMIT}), longest draw ${r.maxDrawMs} ms, average ${r.avgDrawMs} ms`
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--packets');
  const r = await benchLiveTui({ packets: at >= 0 ? Number(args[at + 1]) : undefined });
  console.log(args.includes('--json') ? JSON.stringify(r) : `live TUI: ${describeLiveTui(r)}`);
}

/**
 * `wirelens capture -i lo` on a terminal opens the TUI on the live capture: run for real in tmux
 * (tmux-session.ts) while this test makes HTTP requests to a Node server on 127.0.0.1 on a random
 * high port, the capture filtered to that port so other traffic on `lo` never gets in.
 *
 * Needs root (capture rights), dumpcap or tcpdump, tmux and the build; skipped with a message otherwise.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findExecutable } from '../../src/capture/engines.js';
import { readCaptureFileSync } from '../../src/capture/reader.js';
import { httpGets } from '../capture/live-helpers.js';
import { appPid, built, haveTmux, keys, screen, start, type, useTmuxServer, waitFor } from './tmux-session.js';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const haveEngine = ['dumpcap', 'tcpdump'].some((e) => findExecutable(e));
const haveTshark = spawnSync('tshark', ['-v'], { stdio: 'ignore' }).status === 0;
const why = !isRoot ? 'root (live capture on lo)' : !haveEngine ? 'dumpcap or tcpdump' : !haveTmux ? 'tmux' : !built ? 'the build (npm test builds first)' : '';
if (why) console.warn(`SKIPPED: test/tui/live-tmux.test.ts needs ${why}`);

useTmuxServer();
const dir = mkdtempSync(join(tmpdir(), 'wl-live-tui-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A server answering every request; `get` makes requests to it, one connection each. */
async function server(port: number) {
  const srv = http.createServer((req, res) => res.end(`you asked for ${req.url}`));
  await new Promise<void>((r) => srv.listen(port, '127.0.0.1', r));
  let n = 0;
  return {
    async get(count: number): Promise<void> {
      await httpGets(port, count, n);
      n += count;
    },
    close: () => new Promise((r) => srv.close(r)),
  };
}

/** The status line's figures. */
function status(s: string) {
  const line = s.split('\n').filter((l) => / packets \| /.test(l)).pop() ?? '';
  const num = (re: RegExp) => Number(re.exec(line)?.[1] ?? NaN);
  return { line, packets: num(/ (\d+) packets/), received: num(/ (\d+) received/), frame: num(/\| frame (\d+)/), following: / \| following/.test(line) };
}

/** Waits until the status line says `packets` and has stopped changing (the requests' last packets came in). */
async function settled(t: string, what: string): Promise<ReturnType<typeof status>> {
  let last = '';
  let since = Date.now();
  const s = await waitFor(
    t,
    (x) => {
      const line = status(x).line;
      if (line !== last) [last, since] = [line, Date.now()];
      return status(x).packets > 0 && Date.now() - since > 1500;
    },
    what,
  );
  return status(s);
}

describe.skipIf(why !== '')('wirelens capture in tmux: the live TUI', () => {
  it('shows packets as they arrive, follows the tail until moved up, and q leaves a valid file', async () => {
    const port = 20000 + Math.floor(Math.random() * 40000);
    const out = join(dir, 'live.pcapng');
    const srv = await server(port);
    try {
      const t = start(`capture -i lo -f 'tcp port ${port}' -w ${out}`, 110, 30);
      await waitFor(t, (x) => / live \| 0 packets \| 0 received, drops at stop/.test(x), 'the capture to start');
      await srv.get(3);
      let st = await settled(t, 'the first requests');
      let s = screen(t);
      expect(s).toMatch(/HTTP +\d+ GET \/hello\/2 HTTP\/1\.1/);
      expect(st.received).toBe(st.packets);
      // Following: the newest packet is selected and shown.
      expect(st.following).toBe(true);
      expect(st.frame).toBe(st.packets);
      expect(s).toMatch(new RegExp(`^ +${st.packets} +\\d+\\.\\d{6} 127\\.0\\.0\\.1 `, 'm'));

      // Moving up stops following: new packets are listed below, the selection stays.
      keys(t, 'Up', 'Up', 'Up');
      await waitFor(t, (x) => status(x).frame === st.packets - 3 && !status(x).following, 'the selection to move up');
      const before = st.packets;
      await srv.get(3);
      st = await settled(t, 'the next requests');
      expect(st.packets).toBeGreaterThan(before);
      expect([st.frame, st.following]).toEqual([before - 3, false]);
      s = screen(t);
      expect(s).not.toMatch(new RegExp(`^ +${st.packets} +\\d`, 'm'));

      // End resumes following.
      keys(t, 'End');
      s = await waitFor(t, (x) => status(x).following && status(x).frame === st.packets, 'following again');
      expect(s).toMatch(/GET \/hello\/5 HTTP\/1\.1/);

      keys(t, 'q');
      s = await waitFor(t, (x) => /WL-EXIT=\d/.test(x), 'the shell');
      expect(s).toContain('WL-EXIT=0');
      expect(s).not.toContain('Layers');
      expect(s).toMatch(new RegExp(`wirelens: ${st.packets} packets captured, \\d+ received, 0 dropped; ${st.packets} written to ${out}`));
      type(t, 'stty -a | tr " " "\\n" | grep -x -e icanon -e echo');
      keys(t, 'Enter');
      await waitFor(t, (x) => /^icanon$/m.test(x) && /^echo$/m.test(x), 'a cooked terminal');

      // The file is complete: every packet shown, closed with its statistics block.
      const file = readCaptureFileSync(out);
      expect(file.frames).toHaveLength(st.packets);
      expect(file.warnings).toEqual([]);
      expect(file.statistics.at(-1)?.ifDrop).toBe(0);
      if (haveTshark) {
        const r = spawnSync('tshark', ['-r', out, '-Y', 'http.request', '-T', 'fields', '-e', 'http.request.uri'], { encoding: 'utf8' });
        expect(r.status).toBe(0);
        expect(r.stdout.trim().split('\n')).toEqual([0, 1, 2, 3, 4, 5].map((i) => `/hello/${i}`));
      }
    } finally {
      await srv.close();
    }
  });

  it('-c ends the capture but not the UI; a display filter follows the live file; SIGTERM exits cleanly', async () => {
    const port = 20000 + Math.floor(Math.random() * 40000);
    const out = join(dir, 'count.pcapng');
    const srv = await server(port);
    try {
      const t = start(`capture -i lo -f 'tcp port ${port}' -c 25 -Y http -w ${out}`, 110, 30);
      await waitFor(t, (x) => / live \| 0 packets/.test(x), 'the capture to start');
      await srv.get(4);
      const s = await waitFor(t, (x) => x.includes('stopped (-c 25)') && x.includes('| 25 packets |') && / shown \|/.test(x), 'the capture to stop at 25');
      expect(s).toContain('Filter: http');
      expect(s).toMatch(/ 0 dropped \| \d+ shown \|/);
      // The UI stays for browsing: a key still acts.
      keys(t, 'Home');
      await waitFor(t, (x) => !status(x).following, 'the first match selected');
      // What the filtered list shows is what tshark finds in the file (closed when -c was reached).
      const shown = Number(/ (\d+) shown/.exec(screen(t))![1]);
      const first = status(screen(t)).frame;
      if (haveTshark) {
        const r = spawnSync('tshark', ['-r', out, '-Y', 'http', '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' });
        const frames = r.stdout.trim().split('\n').map(Number);
        expect(frames).toHaveLength(shown);
        expect(frames[0]).toBe(first);
      }
      expect(readCaptureFileSync(out).frames).toHaveLength(25);
      process.kill(appPid(t), 'SIGTERM');
      const end = await waitFor(t, (x) => /WL-EXIT=\d/.test(x), 'the shell');
      expect(end).toContain('WL-EXIT=143');
      expect(end).toMatch(/wirelens: \d+ packets captured, \d+ received, 0 dropped; 25 written to /);
      expect(end).not.toContain('Layers');
    } finally {
      await srv.close();
    }
  });
});

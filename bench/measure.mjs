/**
 * Runs one command as a child process and measures it: wall time from spawn to exit (hrtime in
 * this process), and peak RSS. Peak RSS comes from GNU time (`/usr/bin/time -f %M`, the kernel's
 * ru_maxrss for the child, in KiB) when it is installed; otherwise from polling the child's
 * /proc/<pid>/status VmHWM every 5 ms (Linux only; may miss a very short peak at the end).
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const GNU_TIME = '/usr/bin/time';

function detectGnuTime() {
  if (!fs.existsSync(GNU_TIME)) return false;
  const r = spawnSync(GNU_TIME, ['-f', '%M', 'true'], { encoding: 'utf8' });
  return r.status === 0 && /^\d+\s*$/m.test(r.stderr);
}

export const rssMethod = detectGnuTime() ? 'GNU time -f %M (ru_maxrss)' : 'VmHWM from /proc/<pid>/status, polled every 5 ms';
const useGnuTime = rssMethod.startsWith('GNU');

/** Whether an executable is on PATH. */
export function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/**
 * @param {string} cmd
 * @param {string[]} args
 * @param {{stdout: 'null' | 'capture'}} opts  'null' sends stdout to /dev/null (as `> /dev/null`).
 * @returns {Promise<{seconds: number, peakRssKiB: number | null, code: number | null, stdout: string, stderr: string}>}
 */
export function measure(cmd, args, opts = { stdout: 'capture' }) {
  const rssFile = path.join(os.tmpdir(), `wl-bench-rss-${process.pid}-${Date.now()}`);
  const argv = useGnuTime ? [GNU_TIME, '-f', '%M', '-o', rssFile, cmd, ...args] : [cmd, ...args];
  const devnull = opts.stdout === 'null' ? fs.openSync('/dev/null', 'w') : undefined;
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', devnull ?? 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (c) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c) => (stderr += c.length < 10_000 ? c : c.slice(0, 10_000)));
    let hwm = 0;
    let timer;
    if (!useGnuTime) {
      timer = setInterval(() => {
        try {
          const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
          if (m) hwm = Math.max(hwm, Number(m[1]));
        } catch {
          // Exited between polls.
        }
      }, 5);
    }
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      if (timer) clearInterval(timer);
      if (devnull !== undefined) fs.closeSync(devnull);
      let peakRssKiB = hwm || null;
      if (useGnuTime) {
        try {
          const text = fs.readFileSync(rssFile, 'utf8');
          fs.rmSync(rssFile, { force: true });
          // GNU time prefixes "Command exited with non-zero status N" on failure; the figure is the last line.
          const last = text.trim().split('\n').pop();
          peakRssKiB = Number(last);
        } catch {
          peakRssKiB = null;
        }
      }
      resolve({ seconds, peakRssKiB, code, stdout, stderr });
    });
  });
}

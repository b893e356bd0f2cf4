/** explain, ladder and annotate as users run them (the built bin/wirelens in a child process). */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { responseOnlyTheEndCompletes, writePcap } from '../analysis/tcp-build.js';
import { runScenario } from '../../src/sim/index.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/wirelens');
const REAL = resolve(ROOT, '../shared/traces/real');
const HTTP = join(REAL, 'pcap_le_usec_eth_http_get_fin.pcap');
const ready = existsSync(join(ROOT, 'dist/cli/main.js')) && existsSync(REAL);
if (!ready) console.warn('SKIPPED: test/timeline/cli needs the build and the corpus');

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(!ready)('timeline commands', () => {
  it('explain: text and --json with -Y', () => {
    const r = run(['explain', HTTP]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('SYN: client opens a connection and picks initial sequence number 4263588410');
    const j = run(['explain', HTTP, '--json', '-Y', 'tcp.flags.fin == 1']);
    const rows = j.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((x) => x.frame)).toEqual([12, 13]);
    expect(rows[0].explanations[0]).toMatchObject({ code: 'WL_EXPLAIN_TCP_FIN', severity: 'chat', params: { step: 1 } });
  });

  it('explain prints packets as it reads; what the capture end completes comes last, under its frame', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'wl-explain-')), 'end.pcap');
    writePcap(file, responseOnlyTheEndCompletes());
    const lines = run(['explain', file]).stdout.trimEnd().split('\n');
    const end = lines.findIndex((l) => l.includes("(at the capture's end)"));
    expect(lines[end]).toBe("     5 (at the capture's end)");
    expect(lines[end + 1]).toContain('GET /a → 200 OK');
    expect(lines.slice(0, end).some((l) => /^ {5}6 /.test(l))).toBe(true);
    const rows = run(['explain', file, '--json']).stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((x) => x.frame)).toEqual([1, 2, 3, 4, 5, 6, 5]);
    expect(rows[6]).toMatchObject({ frame: 5, capture_end: true, explanations: [{ code: 'WL_EXPLAIN_HTTP_RESPONSE', params: { status: 200, bodyLen: 5 } }] });
    // -Y leaves out a late message whose frame it did not select.
    expect(run(['explain', file, '--json', '-Y', 'frame.number != 5']).stdout.trimEnd().split('\n').map((l) => JSON.parse(l).frame)).toEqual([1, 2, 3, 4, 6]);
  });

  it('explain stops quietly, exit 0 and nothing on stderr, when its reader goes away early', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wl-explain-pipe-'));
    const file = join(dir, 'lossy.pcapng');
    writeFileSync(file, runScenario('lossy-transfer', { params: { size: '4MB' } }).bytes!);
    const err = join(dir, 'err');
    // Far more output than a pipe holds: explain is still writing when head exits.
    const r = spawnSync('bash', ['-c', `node ${BIN} explain ${file} 2>${err} | head -n 2; exit \${PIPESTATUS[0]}`], { encoding: 'utf8', timeout: 30_000 });
    expect(r.stdout.split('\n')[0]).toMatch(/^ {5}1 /);
    expect(r.status).toBe(0);
    expect(readFileSync(err, 'utf8')).toBe('');
  });

  it('ladder: formats, -o, no colour when piped, errors for a missing stream', () => {
    const t = run(['ladder', HTTP, '--stream', '0']);
    expect(t.code).toBe(0);
    expect(t.stdout).not.toContain('\x1b[');
    expect(t.stdout).toContain('teardown 4/4');
    const dir = mkdtempSync(join(tmpdir(), 'wl-ladder-'));
    const out = join(dir, 'l.svg');
    expect(run(['ladder', HTTP, '-F', 'svg', '--scale', 'time', '-o', out]).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(/^<\?xml/);
    expect(run(['ladder', HTTP, '-F', 'mermaid', '--max', '3']).stdout.split('\n').filter((l) => /->>/.test(l))).toHaveLength(3);
    const bad = run(['ladder', HTTP, '--stream', '7']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('WL_ERR_NO_SUCH_STREAM');
    expect(run(['ladder', HTTP, '-F', 'pdf']).code).toBe(2);
  });

  it('annotate then read shows the note', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wl-annot-'));
    const out = join(dir, 'n.pcapng');
    const a = run(['annotate', HTTP, '--frame', '3', '--note', 'handshake done\x1b[31m', '-o', out]);
    expect(a.code).toBe(0);
    const r = run(['read', out]);
    const line = r.stdout.split('\n')[2]!;
    expect(line).toMatch(/\[note: handshake done\\x1b\[31m\]$/);
    expect(run(['annotate', HTTP, '--frame', '3', '-o', out]).code).toBe(2);
  });
});

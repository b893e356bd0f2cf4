/**
 * Check specs (the YAML subset, JSON), every expectation kind passing and failing, the reporters,
 * and `wirelens check` exit codes through the built command (bin/wirelens, as users run it).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openTrace, type Trace } from '../../src/index.js';
import { parseYaml } from '../../src/assert/yaml.js';
import { expectNone, parseSpec, runChecks } from '../../src/assert/spec.js';
import { junitReport, tapReport, textReport } from '../../src/assert/report.js';

const ROOT = resolve(import.meta.dirname, '../..');
const LOOPBACK = join(ROOT, 'traces/http-get-loopback.pcapng');
const BIN = join(ROOT, 'bin/wirelens');
const REAL = resolve(ROOT, '../shared/traces/real');
const haveCorpus = existsSync(REAL);
if (!haveCorpus) console.warn(`SKIPPED: check corpus tests need ${REAL}`);
const built = existsSync(join(ROOT, 'dist/cli/check.js'));
if (!built) console.warn('SKIPPED: wirelens check CLI tests need the build (npm test runs tsc first)');

describe('the YAML subset', () => {
  it('reads maps, lists, flow collections and scalars', () => {
    const doc = parseYaml(
      [
        '# checks',
        'checks:',
        '  - name: "api: main"   # a comment',
        '    stream: 0',
        '    expect:',
        '      http: { method: GET, uri: /a#b, status: 200 }',
        '      list: [1, 2.5, true, null, \'it\'\'s\']',
        '      plain: tcp.port == 8080',
        '  - name: second',
        'top:',
        '- x',
        '- y',
      ].join('\n'),
    );
    expect(doc).toEqual({
      checks: [
        { name: 'api: main', stream: 0, expect: { http: { method: 'GET', uri: '/a#b', status: 200 }, list: [1, 2.5, true, null, "it's"], plain: 'tcp.port == 8080' } },
        { name: 'second' },
      ],
      top: ['x', 'y'],
    });
  });

  it('takes a lone CR for a line break (YAML 1.2 §5.4), and U+2028 inside a value as text', () => {
    expect(parseYaml('a: 1\rb: 2\r\nc: 3\n')).toEqual({ a: 1, b: 2, c: 3 });
    // Both once threw a TypeError (a regex that stopped at them) instead of reading or refusing.
    expect(() => parseYaml('a: b\rc', 's.yaml')).toThrow('s.yaml:2: expected "key: value", got "c"');
    expect(parseYaml('a: b\u2028c')).toEqual({ a: 'b\u2028c' });
  });

  it('answers any damaged spec with a usage error, never a crash', () => {
    const base = 'checks:\n  - name: "handshake"\n    stream: 0\n    expect:\n      handshake: complete\n      http: { method: GET, status: [200, 204] }\n';
    let seed = 99;
    const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;
    const noise = [':', '-', ' ', '\n', '\r', '{', '}', '[', ']', '"', "'", '#', '&', '*', '!', '|', '>', '\t', ',', '\u2028', 'x', '0'];
    for (let i = 0; i < 3000; i++) {
      const chars = [...base];
      for (let k = 1 + rnd(4); k > 0; k--) {
        const at = rnd(chars.length + 1);
        const op = rnd(3);
        if (op === 0) chars.splice(at, 1);
        else if (op === 1) chars.splice(at, 0, noise[rnd(noise.length)]!);
        else chars[at] = String.fromCharCode(rnd(128));
      }
      const text = chars.join('');
      try {
        parseSpec(text);
      } catch (e) {
        expect((e as { code?: string }).code, `${JSON.stringify(text)}: ${String(e)}`).toMatch(/^WL_ERR_/);
      }
    }
  });

  it('says which line is wrong', () => {
    expect(() => parseYaml('a: 1\na: 2', 's.yaml')).toThrow('s.yaml:2: duplicate key "a"');
    expect(() => parseYaml('a: &x 1', 's.yaml')).toThrow(/s\.yaml:1: unsupported YAML/);
    expect(() => parseYaml('a: {b: 1', 's.yaml')).toThrow(/s\.yaml:1:/);
  });
});

describe('check specs on the loopback trace', () => {
  let trace: Trace;
  beforeAll(async () => {
    trace = await openTrace(LOOPBACK);
  });

  const SPEC = `
checks:
  - name: all connections
    expect:
      handshake: complete
      close: { by: client }
      reset: false
      retransmissions: 0
      history: /^ShAD/
      within: 1
  - name: first connection
    stream: 0
    expect:
      http: { method: GET, uri: /index.html, status: 200 }
      count: { filter: tcp.flags.fin == 1, count: 2 }
  - name: port 8080
    filter: tcp.dstport == 8080
    expect:
      count: { filter: http.response.code == 200, min: 2 }
`;

  it('passes a spec that holds', () => {
    const results = runChecks(trace, parseSpec(SPEC, 'checks.yaml'));
    expect(results.map((r) => [r.name, r.pass])).toEqual([
      ['all connections: handshake complete', true],
      ['all connections: graceful close by client', true],
      ['all connections: no reset', true],
      ['all connections: retransmissions {"count":0}', true],
      ['all connections: history /^ShAD/', true],
      ['all connections: within 1 s', true],
      ['first connection: http GET /index.html 200', true],
      ['first connection: count "tcp.flags.fin == 1" {"count":2}', true],
      ['port 8080: count "http.response.code == 200" {"min":2}', true],
    ]);
  });

  it('fails each expectation that does not hold, saying why', () => {
    const spec = JSON.stringify({
      checks: [
        {
          name: 'bad',
          stream: 1,
          expect: { close: { by: 'server' }, reset: true, retransmissions: { min: 1 }, history: 'S', http: { uri: '/index.html' }, count: { filter: 'tcp.flags.syn == 1', max: 0 }, within: 0.0001 },
        },
        { name: 'nothing', stream: 7, expect: { handshake: 'complete' } },
      ],
    });
    const results = runChecks(trace, parseSpec(spec, 'checks.json'));
    expect(results.every((r) => !r.pass)).toBe(true);
    const by = (n: string) => results.find((r) => r.name.startsWith(n))!.message;
    expect(by('bad: graceful close by server')).toContain('found: tcp.stream 1 (127.0.0.1:35370 → 127.0.0.1:8080) is SF, history ShADadFf, closed by client');
    expect(by('bad: reset')).toContain('found: no connection saw a RST');
    expect(by('bad: retransmissions')).toContain('found: no segment was retransmitted');
    expect(by('bad: history')).toContain('to have Zeek history "S"');
    expect(by('bad: http')).toContain('the exchanges were: GET /about → 200 OK (tcp.stream 1)');
    const count = by('bad: count');
    expect(count).toContain('to have no packet(s) matching "tcp.flags.syn == 1"');
    expect(count).toContain('first matching frames:');
    expect(count).toMatch(/^\s+11\s+0\.009665 127\.0\.0\.1 → 127\.0\.0\.1 TCP 74 35370 → 8080 \[SYN\]/m);
    expect(by('bad: within')).toContain('lasted 0.000945 s');
    expect(by('nothing')).toContain('the selector (tcp.stream 7) matched no TCP connection');
  });

  it('rejects bad specs as usage errors', () => {
    expect(() => parseSpec('checks:\n  - expect:\n      colour: blue', 's.yaml')).toThrow(/unknown expectation/);
    expect(() => parseSpec('checks:\n  - expect:\n      count: { filter: "tcp.flags.bogus", max: 0 }', 's.yaml')).toThrow(/neither a field nor a protocol/);
    expect(() => parseSpec('{"checks": 3}', 's.json')).toThrow(/expected a list of checks/);
    expect(() => parseSpec('[{"expect": {}}]', 's.json')).toThrow(/expect must be a map/);
  });

  it('reports as text, TAP and JUnit', () => {
    const results = runChecks(trace, [...parseSpec('- name: ok\n  expect:\n    handshake: complete', 's.yaml'), expectNone('tcp.flags.fin == 1')]);
    const text = textReport('suite', results);
    expect(text).toMatch(/^PASS  ok: handshake complete\nFAIL  expect none tcp\.flags\.fin == 1\n {6}expected trace/);
    expect(text).toContain('suite: 2 check(s), 1 passed, 1 failed');
    const tap = tapReport(results);
    expect(tap).toMatch(/^TAP version 13\n1\.\.2\nok 1 - ok: handshake complete\nnot ok 2 - expect none tcp\.flags\.fin == 1\n  ---\n  message: \|\n    expected trace/);
    expect(tap.trimEnd().endsWith('  ...')).toBe(true);
    const junit = junitReport('suite <1>', results);
    expect(junit).toContain('<testsuite name="suite &lt;1&gt;" tests="2" failures="1" errors="0">');
    expect(junit).toContain('<testcase classname="suite &lt;1&gt;" name="ok: handshake complete"/>');
    expect(junit).toMatch(/<failure message="expected trace [^"]+ to have no packet\(s\) matching &quot;tcp\.flags\.fin == 1&quot;">/);
  });
});

function run(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(!built)('wirelens check', () => {
  it('exits 0 when every expectation holds', () => {
    const r = run(['check', LOOPBACK, '--expect', 'http.response.code == 200', '--expect-none', 'tcp.analysis.retransmission']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('2 check(s), 2 passed, 0 failed');
  });

  it('exits 1 with the violating frames when one fails', () => {
    const r = run(['check', LOOPBACK, '--expect-none', 'tcp.flags.fin == 1', '--reporter', 'tap']);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('not ok 1 - expect none tcp.flags.fin == 1');
    expect(r.stdout).toMatch(/^\s+8\s+0\.004090 .* \[FIN, ACK\]/m);
  });

  it('exits 2 on bad usage: a bad filter, a bad spec, nothing to check', () => {
    const bad = run(['check', LOOPBACK, '--expect', 'tcp.flags.rst == 1']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('"tcp.flags.rst" is neither a field nor a protocol');
    const dir = mkdtempSync(join(tmpdir(), 'wl-check-'));
    writeFileSync(join(dir, 'bad.yaml'), 'checks:\n  - expect:\n      colour: blue\n');
    expect(run(['check', LOOPBACK, '--spec', join(dir, 'bad.yaml')]).status).toBe(2);
    expect(run(['check', LOOPBACK]).status).toBe(2);
    expect(run(['check', LOOPBACK, '--expect', 'tcp', '--reporter', 'xml']).status).toBe(2);
  });

  it.skipIf(!haveCorpus)('runs a spec file with the JUnit reporter', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wl-check-'));
    const spec = join(dir, 'checks.yaml');
    writeFileSync(spec, 'checks:\n  - name: sack\n    expect:\n      retransmissions: { max: 1 }\n      reset: client\n');
    const r = run(['check', join(REAL, 'tcp_sack_fast_retransmit.pcap'), '--spec', spec, '--reporter', 'junit']);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('<testcase classname="wirelens check');
    expect(r.stdout).toContain('name="sack: reset by client"/>');
    expect(r.stdout).toContain('found: 3 retransmission(s): #32');
  });
});

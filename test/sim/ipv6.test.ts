import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runScenario } from '../../src/sim/scenarios/index.js';
import { Network, ms } from '../../src/sim/index.js';
import { readCaptureFileSync } from '../../src/capture/reader.js';
import { decodePacket } from '../../src/decode/bindings.js';
import { findLayer, type Layer } from '../../src/decode/layer.js';
import { ourDisagreements, tsharkFindings } from './ground-truth.js';

const hasTshark = spawnSync('tshark', ['-v']).status === 0;
if (!hasTshark) console.warn('tshark not found: the tshark checks in test/sim/ipv6.test.ts are skipped');
const dir = mkdtempSync(join(tmpdir(), 'wirelens-sim6-'));

const V6: [string, Record<string, string>][] = [
  ['handshake', { ip: '6' }],
  ['page-load', { ip: '6' }],
  ['lossy-transfer', { ip: '6', size: '300kB', loss: '3%' }],
  ['zero-window', { ip: '6', size: '100kB' }],
  ['websocket-chat', { ip: '6' }],
];

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function synth(name: string, params: Record<string, string>, seed = 1) {
  const r = runScenario(name, { seed, params });
  const file = join(dir, `${name}-${seed}.pcapng`);
  writeFileSync(file, r.bytes!);
  return { ...r, file, bytes: r.bytes!, frames: readCaptureFileSync(file).frames };
}

type ChecksumLayer = Layer & { checksumStatus: string };

describe.each(V6)('%s over IPv6', (name, params) => {
  const run = synth(name, params);

  it('sends every packet over IPv6, with TCP and UDP checksums over the IPv6 pseudo-header', () => {
    expect(run.frames.length).toBeGreaterThan(4);
    for (const f of run.frames) {
      const p = decodePacket(f);
      expect(p.layers.map((l) => l.proto)).toContain('ipv6');
      expect(p.layers.map((l) => l.proto)).not.toContain('ip');
      const l4 = findLayer<ChecksumLayer>(p, 'tcp') ?? findLayer<ChecksumLayer>(p, 'udp');
      expect(l4?.checksumStatus).toBe('good');
      // Segments fit a 1500-byte MTU: the MSS leaves room for the 40-byte header (RFC 8200 §5).
      expect(f.data.length).toBeLessThanOrEqual(1514);
    }
  });

  it('is deterministic per seed', () => {
    expect(sha(runScenario(name, { seed: 1, params }).bytes!)).toBe(sha(run.bytes));
    expect(sha(runScenario(name, { seed: 2, params }).bytes!)).not.toBe(sha(run.bytes));
  });

  it('our analysis flags exactly the packets the simulator retransmitted', () => {
    expect(ourDisagreements(run.frames)).toEqual([]);
  });

  it.skipIf(!hasTshark)('tshark reads it with checksum validation on: no malformed packet, no bad checksum, the same retransmissions', () => {
    const { bad, wrong } = tsharkFindings(run.file);
    expect(bad).toBe('');
    expect(wrong).toEqual([]);
    const v4 = execFileSync('tshark', ['-r', run.file, '-Y', 'ip'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(v4).toBe('');
  });
});

describe('IPv6 behaviour', () => {
  it('page-load --ip 6: the client asks for AAAA and connects to the address in the answer', () => {
    const run = synth('page-load', { ip: '6' }, 3);
    const web = run.network.hosts.find((h) => h.name === 'web')!;
    const comments = run.frames.map((f) => f.comments![0]!);
    expect(comments[0]).toMatch(/^DNS query: .*AAAA record, IPv6/);
    expect(comments.some((c) => c === `DNS response: example.com is ${web.ip6Text} (AAAA)`)).toBe(true);
    expect(comments.some((c) => c.startsWith('SYN:') && c.includes(`[${web.ip6Text}]:80`))).toBe(true);
  });

  it.skipIf(!hasTshark)('page-load --ip 6: tshark reads the AAAA answer and the SYN to it, MSS 1440', () => {
    const run = synth('page-load', { ip: '6' }, 3);
    const web = run.network.hosts.find((h) => h.name === 'web')!;
    const out = execFileSync('tshark', ['-r', run.file, '-T', 'fields', '-e', 'dns.aaaa', '-e', 'ipv6.dst', '-e', 'tcp.options.mss_val', '-Y', 'dns.flags.response == 1 || tcp.flags.syn == 1'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    expect(out[0]![0]).toBe(web.ip6Text);
    expect(out[1]![1]).toBe(web.ip6Text);
    expect(out[1]![2]).toBe('1440');
  });

  it('handshake --ip 6: SYN to SYN-ACK takes the RTT', () => {
    const run = synth('handshake', { ip: '6', rtt: '70ms' }, 3);
    const f = run.frames;
    const t = (i: number) => (f[i]!.tsSec - f[0]!.tsSec) * 1e9 + f[i]!.tsNsec - f[0]!.tsNsec;
    expect(f[1]!.comments![0]).toMatch(/^SYN-ACK:/);
    expect(t(1)).toBe(70e6);
  });

  it('the library: hosts have both addresses; a connection uses the family of the address it is given', () => {
    const net = new Network({ seed: 5 });
    const a = net.host('a', { ip: '10.1.0.1' });
    const b = net.host('b', { ip: '10.1.0.2', ip6: 'fd00::b' });
    net.link(a, b, { latency: ms(5) });
    net.tap(a);
    b.tcp.listen(80, (s) => {
      s.onData = (_s, d) => s.write(d);
      s.onPeerClose = () => s.close();
    });
    const got: string[] = [];
    net.atStart(() => {
      for (const family of [4, 6] as const) {
        a.tcp.connect(b.address(family), 80, {
          onConnect: (s) => s.write(new TextEncoder().encode(`hello over IPv${family}`)),
          onData: (s, d) => {
            got.push(new TextDecoder().decode(d));
            s.close();
          },
        });
      }
    });
    net.run();
    expect(got.sort()).toEqual(['hello over IPv4', 'hello over IPv6']);
    expect(a.ip6Text).toBe('2001:db8::a01:1');
    expect(net.addressText(b.address(6))).toBe('fd00::b');
    expect(net.addressOf('fd00::b')).toBe(b.address(6));
    const file = join(dir, 'library.pcapng');
    writeFileSync(file, net.capture.bytes());
    const families = readCaptureFileSync(file).frames.map((f) => (decodePacket(f).layers.some((l) => l.proto === 'ipv6') ? 6 : 4));
    expect(families.filter((x) => x === 6).length).toBe(families.filter((x) => x === 4).length);
  });
});

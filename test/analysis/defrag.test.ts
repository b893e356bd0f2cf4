/**
 * IP defragmentation: fragments built with the emit functions (a UDP datagram cut into pieces),
 * given in order, reversed, overlapping, duplicated, incomplete; IPv4 and IPv6; and the corpus
 * captures compared with tshark -o ip.defragment:TRUE (which frame completes which datagram, the
 * reassembled length, and the UDP decode of the whole).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Frame } from '../../src/capture/frame.js';
import { readCaptureFileSync } from '../../src/capture/reader.js';
import { decodePacket } from '../../src/decode/bindings.js';
import { findLayer } from '../../src/decode/layer.js';
import { Defragmenter, reassemblyFields, type ReassembledPacket } from '../../src/analysis/defrag.js';
import { flowKeyOf } from '../../src/analysis/flows.js';
import { Analyzer } from '../../src/analysis/analyzer.js';
import { AppStage, appAnalyzerOptions } from '../../src/analysis/app.js';
import { summarize } from '../../src/output/summary.js';
import { emitEthernet } from '../../src/wire/ethernet.js';
import { emitIpv4 } from '../../src/wire/ipv4.js';
import { emitFragmentHeader, emitIpv6 } from '../../src/wire/ipv6.js';
import { emitUdp, type UdpLayer } from '../../src/wire/udp.js';

const SRC4 = new Uint8Array([192, 0, 2, 1]);
const DST4 = new Uint8Array([192, 0, 2, 2]);
const SRC6 = new Uint8Array(16).fill(0x20, 0, 1).fill(1, 15);
const DST6 = new Uint8Array(16).fill(0x20, 0, 1).fill(2, 15);
const MAC = new Uint8Array(6);

/** A UDP datagram (header + `size` payload bytes) as the bytes fragments are cut from. */
function udpDatagram(version: 4 | 6, size: number): Uint8Array {
  const payload = new Uint8Array(size).map((_, i) => (i * 7 + 3) & 0xff);
  const net = version === 4 ? { version: 4 as const, src: SRC4, dst: DST4 } : { version: 6 as const, src: SRC6, dst: DST6 };
  return emitUdp({ srcPort: 53, dstPort: 40000, payload }, net);
}

interface Piece {
  /** Byte offset in the datagram (multiple of 8). */
  off: number;
  len: number;
  more: boolean;
  /** Replace the bytes with these (for conflicting overlaps). */
  fill?: number;
  time?: number;
  id?: number;
}

function fragment(version: 4 | 6, dgram: Uint8Array, p: Piece, n: number): Frame {
  let bytes = dgram.slice(p.off, p.off + p.len);
  if (p.fill !== undefined) bytes = bytes.fill(p.fill);
  const id = p.id ?? 0x1234;
  const ip =
    version === 4
      ? emitIpv4({ dscp: 0, ecn: 0, ident: id, dontFragment: false, moreFragments: p.more, fragmentOffset: p.off, ttl: 64, protocol: 17, src: SRC4, dst: DST4 }, bytes)
      : emitIpv6({ trafficClass: 0, flowLabel: 0, nextHeader: 44, hopLimit: 64, src: SRC6, dst: DST6, extensionHeaders: emitFragmentHeader(17, p.off, p.more, id) }, bytes);
  const data = emitEthernet({ dst: MAC, src: MAC, etherType: version === 4 ? 0x0800 : 0x86dd }, ip);
  return { number: n, tsSec: p.time ?? n, tsNsec: 0, origLen: data.length, data, linkType: 1, interfaceId: 0, fileOffset: 0 };
}

function feed(d: Defragmenter, version: 4 | 6, dgram: Uint8Array, pieces: Piece[]): (ReassembledPacket | undefined)[] {
  return pieces.map((p, i) => d.process(decodePacket(fragment(version, dgram, p, i + 1))));
}

const SPLIT: Piece[] = [
  { off: 0, len: 504, more: true },
  { off: 504, len: 504, more: true },
  { off: 1008, len: 208, more: false },
];

describe.each([4, 6] as const)('Defragmenter, IPv%i', (version) => {
  const dgram = udpDatagram(version, 1208); // 1216 bytes with the UDP header
  const proto = version === 4 ? 'ip' : 'ipv6';

  function expectWhole(r: ReassembledPacket | undefined, frames: number[]) {
    expect(r).toBeDefined();
    expect(r!.datagram.frames).toEqual(frames);
    expect(r!.datagram.length).toBe(1216);
    expect(r!.layers.map((l) => l.proto)).toEqual(['eth', proto, 'udp', ...r!.layers.slice(3).map((l) => l.proto)]);
    const udp = findLayer<UdpLayer>(r!, 'udp')!;
    expect(udp.udpLength).toBe(1216);
    expect(udp.checksumStatus).toBe('good');
    // The reassembled payload is the datagram, byte for byte, after the completing frame's headers.
    expect(r!.frame.data.subarray(udp.offset)).toEqual(dgram);
    expect(flowKeyOf(r!)?.proto).toBe('udp');
  }

  it('in order: the last fragment completes the datagram', () => {
    const d = new Defragmenter();
    const out = feed(d, version, dgram, SPLIT);
    expect(out[0]).toBeUndefined();
    expect(d.consumed).toBe(true);
    expectWhole(out[2], [1, 2, 3]);
    expect(out[2]!.frame.number).toBe(3);
    expect(out[2]!.fragment.frame.data.length).toBeLessThan(out[2]!.frame.data.length);
    expect(reassemblyFields(out[2]!.datagram).map((f) => f.name)).toEqual([`${proto}.fragment`, `${proto}.fragment`, `${proto}.fragment`, `${proto}.fragment.count`, `${proto}.reassembled.length`]);
    d.finish();
    expect(d.incomplete()).toEqual([]);
  });

  it('reversed: the first fragment, arriving last, completes it', () => {
    const d = new Defragmenter();
    const out = feed(d, version, dgram, [...SPLIT].reverse());
    expectWhole(out[2], [1, 2, 3]);
  });

  it('a packet that is no fragment is left alone', () => {
    const d = new Defragmenter();
    const whole = decodePacket(fragment(version, dgram, { off: 0, len: 1216, more: false }, 1));
    expect(d.process(whole)).toBeUndefined();
    expect(d.consumed).toBe(false);
  });

  it('an exact duplicate is flagged as overlap and does not stop reassembly', () => {
    const d = new Defragmenter();
    const out = feed(d, version, dgram, [SPLIT[0]!, SPLIT[0]!, SPLIT[1]!, SPLIT[2]!]);
    expectWhole(out[3], [1, 2, 3, 4]);
    expect(out[3]!.datagram.overlap).toBe(true);
    expect(out[3]!.datagram.conflict).toBe(false);
  });

  it('incomplete datagrams time out after 60 s of capture time and are reported with their frames', () => {
    const d = new Defragmenter();
    feed(d, version, dgram, [
      { ...SPLIT[0]!, time: 0 },
      { ...SPLIT[1]!, time: 1 },
      { ...SPLIT[0]!, id: 9, time: 70 },
    ]);
    expect(d.incomplete()).toMatchObject([{ version, frames: [1, 2], reason: 'timeout', received: 1008, firstTime: 0 }]);
    d.finish();
    expect(d.incomplete()[1]).toMatchObject({ frames: [3], reason: 'capture-end', id: 9 });
    // The late last fragment of the timed-out datagram starts a new one.
  });

  it('a fragment after the timeout does not complete the abandoned datagram', () => {
    const d = new Defragmenter({ timeout: 5 });
    const out = feed(d, version, dgram, [
      { ...SPLIT[0]!, time: 0 },
      { ...SPLIT[1]!, time: 1 },
      { ...SPLIT[2]!, time: 10 },
    ]);
    expect(out[2]).toBeUndefined();
    expect(d.incomplete()[0]).toMatchObject({ frames: [1, 2], reason: 'timeout' });
  });

  it('the datagram identification keeps interleaved datagrams apart', () => {
    const d = new Defragmenter();
    const other = SPLIT.map((p) => ({ ...p, id: 77 }));
    const out = feed(d, version, dgram, [SPLIT[0]!, other[0]!, SPLIT[1]!, other[1]!, other[2]!, SPLIT[2]!]);
    expectWhole(out[4], [2, 4, 5]);
    expectWhole(out[5], [1, 3, 6]);
  });
});

describe('overlapping fragments', () => {
  it('IPv4: consistent overlap is reassembled, flagged overlap only', () => {
    const dgram = udpDatagram(4, 1208);
    const d = new Defragmenter();
    const out = feed(d, 4, dgram, [{ off: 0, len: 512, more: true }, { off: 504, len: 504, more: true }, { off: 1000, len: 216, more: false }]);
    expect(out[2]!.datagram).toMatchObject({ overlap: true, conflict: false, length: 1216 });
    expect(findLayer<UdpLayer>(out[2]!, 'udp')!.checksumStatus).toBe('good');
  });

  it('IPv4: conflicting overlap keeps the bytes received first, flagged conflict', () => {
    const dgram = udpDatagram(4, 1208);
    const d = new Defragmenter();
    const out = feed(d, 4, dgram, [{ off: 0, len: 512, more: true }, { off: 504, len: 504, more: true, fill: 0xee }, { off: 1008, len: 208, more: false }]);
    const r = out[2]!;
    expect(r.datagram).toMatchObject({ overlap: true, conflict: true });
    const udp = findLayer<UdpLayer>(r, 'udp')!;
    const body = r.frame.data.subarray(udp.offset);
    expect(body.subarray(504, 512)).toEqual(dgram.subarray(504, 512)); // first wins
    expect(body[600]).toBe(0xee);
    expect(reassemblyFields(r.datagram).map((f) => f.name)).toContain('ip.fragment.overlap.conflict');
  });

  it('IPv6: overlap discards the datagram and its later fragments (RFC 5722)', () => {
    const dgram = udpDatagram(6, 1208);
    const d = new Defragmenter();
    const out = feed(d, 6, dgram, [{ off: 0, len: 512, more: true }, { off: 504, len: 504, more: true }, { off: 1008, len: 208, more: false }]);
    expect(out.every((r) => r === undefined)).toBe(true);
    d.finish();
    expect(d.incomplete()).toMatchObject([{ version: 6, frames: [1, 2, 3], reason: 'overlap', overlap: true }]);
  });

  it('IPv6: a non-last fragment whose length is not a multiple of 8 is dropped', () => {
    const dgram = udpDatagram(6, 1208);
    const d = new Defragmenter();
    const out = feed(d, 6, dgram, [{ off: 0, len: 500, more: true }, { off: 504, len: 712, more: false }]);
    expect(out[1]).toBeUndefined();
    d.finish();
    expect(d.incomplete()[0]).toMatchObject({ tooLong: true, received: 712 });
  });

  it('IPv4: a fragment past 65 535 bytes is dropped and flagged', () => {
    const dgram = udpDatagram(4, 100);
    const d = new Defragmenter();
    const big = new Uint8Array(70000);
    big.set(dgram);
    const out = feed(d, 4, big, [{ off: 0, len: 104, more: true }, { off: 65528, len: 100, more: false }]);
    expect(out[1]).toBeUndefined();
    d.finish();
    expect(d.incomplete()[0]).toMatchObject({ tooLong: true });
  });

  it('random fragment bytes never throw', () => {
    const d = new Defragmenter();
    const dgram = udpDatagram(4, 300);
    for (let i = 0; i < 500; i++) {
      const f = fragment(i % 2 ? 4 : 6, dgram, { off: ((i * 37) % 40) * 8, len: (i * 13) % 300, more: i % 3 !== 0, id: i % 5 }, i + 1);
      for (let k = 0; k < 4; k++) f.data[14 + ((i * 31 + k * 17) % (f.data.length - 14))] ^= (i * 7 + k) & 0xff;
      expect(() => d.process(decodePacket(f))).not.toThrow();
    }
    d.finish();
  });
});

const REAL = join(import.meta.dirname, '../../../shared/traces/real');
const ROOT = join(import.meta.dirname, '../..');
let tshark = false;
try {
  execFileSync('tshark', ['-v'], { stdio: 'ignore' });
  tshark = true;
} catch {
  /* checked below */
}
if (!existsSync(REAL)) console.warn(`SKIPPED: defrag corpus comparison (no ${REAL})`);
else if (!tshark) console.warn('SKIPPED: defrag corpus comparison (tshark not installed)');

describe.skipIf(!existsSync(REAL) || !tshark)('defragmentation against tshark -o ip.defragment:TRUE', () => {
  it.each(['ipv4_ipv6_fragmented_dnssec.pcap', 'fuzz_wireshark_eth_2006.pcap'])('%s', (name) => {
    const file = join(REAL, name);
    const out = execFileSync('tshark', ['-r', file, '-o', 'ip.defragment:TRUE', '-o', 'ipv6.defragment:TRUE', '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,', '-e', 'frame.number', '-e', 'ip.fragment', '-e', 'ipv6.fragment', '-e', 'ip.reassembled.length', '-e', 'ipv6.reassembled.length', '-e', 'udp.length', '-e', 'udp.checksum.status'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const expected: string[] = [];
    for (const line of out.trimEnd().split('\n')) {
      const [n, f4, f6, l4, l6, ulen, ucs] = line.split('\t');
      if (f4 || f6) expected.push([n, f4 || f6, l4 || l6, ulen, ucs].join(' '));
    }
    const d = new Defragmenter();
    const got: string[] = [];
    for (const frame of readCaptureFileSync(file).frames) {
      const r = d.process(decodePacket(frame));
      if (!r) continue;
      const udp = findLayer<UdpLayer>(r, 'udp');
      const status = { good: 2, bad: 0, unverified: 2 }[udp?.checksumStatus as 'good'] ?? '';
      got.push([frame.number, r.datagram.frames.join(','), r.datagram.length, udp?.udpLength ?? '', status].join(' '));
    }
    expect(got).toEqual(expected);
    if (name.startsWith('ipv4_ipv6')) expect(got).toHaveLength(7);
  });

  it('read shows every frame as tshark does with reassembly on: a waiting fragment is ip:data, "Fragmented IP protocol …", even the first', () => {
    const file = join(REAL, 'ipv4_ipv6_fragmented_dnssec.pcap');
    const want = execFileSync('tshark', ['-r', file, '-T', 'fields', '-E', 'separator=\t', '-e', 'frame.number', '-e', '_ws.col.Protocol', '-e', '_ws.col.Info'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .trimEnd()
      .split('\n');
    // read's pipeline: the application stage too (this capture has DNS over TCP).
    const analyzer = new Analyzer(appAnalyzerOptions(new AppStage(), { defragment: true }));
    const got = readCaptureFileSync(file).frames.map((f) => {
      const p = decodePacket(f);
      const c = summarize(p, analyzer.analyze(p));
      return [f.number, c.protocol, c.info].join('\t');
    });
    expect(got).toEqual(want);
    expect(got[1]).toBe('2\tIPv4\tFragmented IP protocol (proto=UDP 17, off=0, ID=d0fe)');
  });

  it('stats counts a datagram whole on the fragment that completes it, and a waiting one as ip:data, as tshark -z io,phs', () => {
    const file = join(REAL, 'ipv4_ipv6_fragmented_dnssec.pcap');
    const phs = execFileSync('tshark', ['-q', '-z', 'io,phs', '-r', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const theirs: string[] = [];
    for (const line of phs.split('\n')) {
      const m = /^( *)(\S+)\s+frames:(\d+) bytes:(\d+)/.exec(line);
      if (m) theirs.push(`${m[1]!.length / 2} ${m[2]} ${m[3]} ${m[4]}`);
    }
    const stats = JSON.parse(execFileSync(process.execPath, [join(ROOT, 'bin/wirelens'), 'stats', '--json', file], { encoding: 'utf8' }));
    const ours: string[] = [];
    const walk = (n: { proto: string; frames: number; bytes: number; children?: unknown[] }, depth: number) => {
      if (depth >= 0) ours.push(`${depth} ${n.proto} ${n.frames} ${n.bytes}`);
      for (const c of n.children ?? []) walk(c as typeof n, depth + 1);
    };
    walk(stats.protocols, -1); // tshark's tree has no `frame` root
    expect(ours).toEqual(theirs);
  });
});

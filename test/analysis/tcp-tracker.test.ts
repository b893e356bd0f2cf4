/**
 * TCP tracker: hand-built segment sequences for every tcp.analysis flag, relative numbers across
 * the 2^32 wrap, reused ports and a missing handshake. Each scenario states what the tracker must
 * say about the frames that matter, and, where tshark is installed, the whole output is also
 * compared with tshark's on the same segments written as a pcap (the oracle decides; the stated
 * expectations were read from it).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Analyzer } from '../../src/analysis/analyzer.js';
import { PACKED_INFO, TcpTracker, TcpAnalysisFlag, TcpSegmentInfo } from '../../src/analysis/tcp-tracker.js';
import { flowKeyOf } from '../../src/analysis/flows.js';
import { decodePacket } from '../../src/decode/bindings.js';
import { haveTshark } from '../wire/netfixture.js';
import { emitEthernet } from '../../src/wire/ethernet.js';
import { emitIpv4 } from '../../src/wire/ipv4.js';
import { emitUdp } from '../../src/wire/udp.js';
import { ACK, FIN, PSH, RST, SYN, buildFrames, tsharkRows, writePcap, type SegSpec } from './tcp-build.js';

const FIELDS = [
  'tcp.stream',
  'tcp.seq',
  'tcp.ack',
  'tcp.nxtseq',
  'tcp.window_size',
  'tcp.window_size_scalefactor',
  'tcp.time_relative',
  'tcp.time_delta',
  'tcp.analysis.acks_frame',
  'tcp.analysis.ack_rtt',
  'tcp.analysis.initial_rtt',
  'tcp.analysis.bytes_in_flight',
  'tcp.analysis.duplicate_ack_num',
  'tcp.analysis.duplicate_ack_frame',
  'tcp.analysis.flags',
  'tcp.analysis.retransmission',
  'tcp.analysis.fast_retransmission',
  'tcp.analysis.spurious_retransmission',
  'tcp.analysis.out_of_order',
  'tcp.analysis.lost_segment',
  'tcp.analysis.ack_lost_segment',
  'tcp.analysis.duplicate_ack',
  'tcp.analysis.zero_window',
  'tcp.analysis.zero_window_probe',
  'tcp.analysis.zero_window_probe_ack',
  'tcp.analysis.window_full',
  'tcp.analysis.window_update',
  'tcp.analysis.keep_alive',
  'tcp.analysis.keep_alive_ack',
  'tcp.analysis.reused_ports',
];
const TIMES = new Set(['tcp.time_relative', 'tcp.time_delta', 'tcp.analysis.ack_rtt', 'tcp.analysis.initial_rtt']);

function analyse(specs: SegSpec[]): TcpSegmentInfo[] {
  const a = new Analyzer();
  return buildFrames(specs).map((f) => a.analyze(decodePacket(f)).tcp!);
}

/** Our fields of one frame as tshark prints them (first occurrence; presence as "1"). */
function ourRow(info: TcpSegmentInfo): string[] {
  const m = new Map<string, string>();
  for (const f of info.fields()) {
    if (m.has(f.name)) continue;
    m.set(f.name, typeof f.value === 'boolean' ? '1' : TIMES.has(f.name) ? (f.value as number).toFixed(9) : String(f.value));
  }
  return FIELDS.map((n) => m.get(n) ?? '');
}

const dir = mkdtempSync(join(tmpdir(), 'wirelens-tcp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;

/** tshark's rows for the same segments (first occurrence of each field; times to 9 decimals). */
function tsharkOf(specs: SegSpec[]): string[][] {
  const path = join(dir, `s${fileNo++}.pcap`);
  writePcap(path, buildFrames(specs));
  return tsharkRows(path, FIELDS).map((r) =>
    r.map((cell, i) => {
      const first = cell.split('|')[0]!;
      if (first === '') return '';
      return TIMES.has(FIELDS[i]!) ? Number(first).toFixed(9) : first === 'True' ? '1' : first;
    }),
  );
}

/** Runs a scenario through the tracker and, with tshark available, checks every field against it. */
function scenario(specs: SegSpec[]): TcpSegmentInfo[] {
  const infos = analyse(specs);
  if (haveTshark) {
    const ts = tsharkOf(specs);
    const ours = infos.map(ourRow);
    const diffs: string[] = [];
    ours.forEach((row, i) =>
      row.forEach((v, j) => {
        if (v !== ts[i]![j]) diffs.push(`frame ${i + 1} ${FIELDS[j]}: ours ${v || '∅'} tshark ${ts[i]![j] || '∅'}`);
      }),
    );
    expect(diffs).toEqual([]);
  }
  return infos;
}

const flagNames = (i: TcpSegmentInfo) => i.notes.map((n) => n.flag.replace('tcp.analysis.', ''));

/** A client 10.0.0.1:40000 → server 10.0.0.2:80 handshake with ISNs 1000 and 5000. */
function handshake(opts: { cws?: number; sws?: number; t0?: number } = {}): SegSpec[] {
  const t = opts.t0 ?? 0;
  return [
    { from: 'c', seq: 1000, flags: SYN, win: 64240, t, options: opts.cws === undefined ? [] : [{ type: 'wscale', shift: opts.cws }] },
    { from: 's', seq: 5000, ack: 1001, flags: SYN | ACK, win: 65160, t: t + 0.01, options: opts.sws === undefined ? [] : [{ type: 'wscale', shift: opts.sws }] },
    { from: 'c', seq: 1001, ack: 5001, flags: ACK, win: 502, t: t + 0.02 },
  ];
}

if (!haveTshark) console.warn('tcp-tracker tests: tshark not installed, checking the stated expectations only');

describe('relative numbers, window scaling, RTTs and bytes in flight', () => {
  it('follows a handshake with window scaling, data and ACKs', () => {
    const infos = scenario([
      ...handshake({ cws: 7, sws: 8 }),
      { from: 'c', seq: 1001, ack: 5001, flags: PSH | ACK, win: 502, len: 100, t: 0.03 },
      { from: 'c', seq: 1101, ack: 5001, flags: PSH | ACK, win: 502, len: 50, t: 0.031 },
      { from: 's', seq: 5001, ack: 1151, flags: ACK, win: 300, t: 0.05 },
      { from: 's', seq: 5001, ack: 1151, flags: PSH | ACK, win: 300, len: 20, t: 0.06 },
    ]);
    // The SYN's own window is never scaled; after the handshake each side scales by its own shift.
    expect(infos.map((i) => i.window)).toEqual([64240, 65160, 502 << 7, 502 << 7, 502 << 7, 300 << 8, 300 << 8]);
    expect(infos.map((i) => [i.seq, i.ack, i.nxtseq])).toEqual([
      [0, 0, 1],
      [0, 1, 1],
      [1, 1, 1],
      [1, 1, 101],
      [101, 1, 151],
      [1, 151, 1],
      [1, 151, 21],
    ]);
    expect(infos[1]!.acksFrame).toBe(1);
    expect(infos[2]!.initialRtt).toBeCloseTo(0.02, 9);
    expect(infos[4]!.bytesInFlight).toBe(150);
    expect(infos[5]!.acksFrame).toBe(5);
    expect(infos[5]!.ackRtt).toBeCloseTo(0.019, 9);
    expect(infos.every((i) => i.flags === 0)).toBe(true);
  });

  it('without the handshake: numbers relative to the first segment seen, window unscaled (factor -1)', () => {
    const infos = scenario([
      { from: 'c', seq: 777777, ack: 999, flags: PSH | ACK, win: 1000, len: 10, t: 0 },
      { from: 's', seq: 999, ack: 777787, flags: ACK, win: 2000, t: 0.01 },
    ]);
    expect(infos.map((i) => [i.seq, i.ack, i.nxtseq, i.window, i.windowScale])).toEqual([
      [1, 1, 11, 1000, -1],
      [1, 11, 1, 2000, -1],
    ]);
  });

  it('keeps relative numbers and bytes in flight right across the 2^32 wrap', () => {
    const isn = 0xffffff00;
    const infos = scenario([
      { from: 'c', seq: isn, flags: SYN, t: 0 },
      { from: 's', seq: 7, ack: isn + 1, flags: SYN | ACK, t: 0.01 },
      { from: 'c', seq: isn + 1, ack: 8, flags: ACK, t: 0.02 },
      { from: 'c', seq: isn + 1, ack: 8, flags: ACK, len: 200, t: 0.03 },
      { from: 'c', seq: (isn + 201) >>> 0, ack: 8, flags: ACK, len: 200, t: 0.031 },
      { from: 's', seq: 8, ack: (isn + 401) >>> 0, flags: ACK, t: 0.05 },
    ]);
    expect(infos[4]!.seq).toBe(201);
    expect(infos[4]!.nxtseq).toBe(401);
    expect(infos[4]!.bytesInFlight).toBe(400);
    expect(infos[5]!.ack).toBe(401);
    expect(infos[5]!.acksFrame).toBe(5);
    expect(infos.every((i) => i.flags === 0)).toBe(true);
  });
});

describe('expert flags', () => {
  it('retransmission (after the RTO), with the original frame in its note', () => {
    const infos = scenario([
      ...handshake(),
      { from: 'c', seq: 1001, ack: 5001, flags: PSH | ACK, len: 100, t: 0.03 },
      { from: 'c', seq: 1001, ack: 5001, flags: PSH | ACK, len: 100, t: 0.33 },
    ]);
    expect(flagNames(infos[4]!)).toEqual(['retransmission']);
    expect(infos[4]!.notes[0]!.message).toBe('seq 1 < next expected 101, 300 ms after the original (frame 4)');
  });

  it('fast retransmission after duplicate ACKs (taking precedence over out-of-order)', () => {
    const infos = scenario([
      ...handshake(),
      { from: 'c', seq: 1001, ack: 5001, flags: ACK, len: 100, t: 0.03 },
      { from: 'c', seq: 1101, ack: 5001, flags: ACK, len: 100, t: 0.031 },
      { from: 'c', seq: 1201, ack: 5001, flags: ACK, len: 100, t: 0.032 },
      { from: 's', seq: 5001, ack: 1001, flags: ACK, t: 0.05 },
      { from: 's', seq: 5001, ack: 1001, flags: ACK, t: 0.051 },
      { from: 's', seq: 5001, ack: 1001, flags: ACK, t: 0.052 },
      { from: 'c', seq: 1001, ack: 5001, flags: ACK, len: 100, t: 0.055 },
    ]);
    // The server's first ACK repeats its SYN-ACK's ack and seq with another window (an update);
    // the next two repeat it all: duplicate ACKs #1 and #2, of frame 2 (where that ack was first sent).
    expect(infos.slice(6, 9).map(flagNames)).toEqual([['window_update'], ['duplicate_ack'], ['duplicate_ack']]);
    expect(infos.slice(7, 9).map((i) => [i.dupAckNum, i.dupAckFrame])).toEqual([
      [1, 2],
      [2, 2],
    ]);
    expect(flagNames(infos[9]!)).toEqual(['fast_retransmission']);
    expect(infos[9]!.fields().filter((f) => f.name === 'tcp.analysis.retransmission')).toHaveLength(1);
  });

  it('spurious retransmission of acknowledged data', () => {
    const infos = scenario([
      ...handshake(),
      { from: 'c', seq: 1001, ack: 5001, flags: ACK, len: 100, t: 0.03 },
      { from: 's', seq: 5001, ack: 1101, flags: ACK, t: 0.05 },
      { from: 'c', seq: 1001, ack: 5001, flags: ACK, len: 100, t: 0.5 },
    ]);
    expect(flagNames(infos[5]!)).toEqual(['spurious_retransmission']);
  });

  it('out-of-order: a late segment within the handshake RTT', () => {
    const infos = scenario([
      ...handshake(),
      { from: 'c', seq: 1101, ack: 5001, flags: ACK, len: 100, t: 0.03 },
      { from: 'c', seq: 1001, ack: 5001, flags: ACK, len: 100, t: 0.031 },
    ]);
    expect(flagNames(infos[3]!)).toEqual(['lost_segment']);
    expect(flagNames(infos[4]!)).toEqual(['out_of_order']);
  });

  it('lost segment and ACKed unseen segment, each flagged once per gap', () => {
    const infos = scenario([
      ...handshake(),
      { from: 'c', seq: 1001, ack: 5001, flags: ACK, len: 100, t: 0.03 },
      { from: 'c', seq: 1201, ack: 5001, flags: ACK, len: 100, t: 0.031 },
      { from: 's', seq: 5001, ack: 1301, flags: ACK, t: 0.05 },
      { from: 's', seq: 5001, ack: 1301, flags: PSH | ACK, len: 50, t: 0.051 },
      { from: 'c', seq: 1301, ack: 5051, flags: ACK, t: 0.06 },
      { from: 'c', seq: 1301, ack: 5051, flags: PSH | ACK, len: 10, t: 0.07 },
      { from: 's', seq: 5051, ack: 1311, flags: ACK, t: 0.08 },
    ]);
    expect(flagNames(infos[4]!)).toEqual(['lost_segment']);
    expect(flagNames(infos[5]!)).toEqual(['ack_lost_segment']);
    expect(infos[6]!.flags).toBe(0);
    expect(infos[9]!.flags).toBe(0);
  });

  it('zero window, zero-window probe and its ACK', () => {
    const infos = scenario([
      ...handshake(),
      { from: 'c', seq: 1001, ack: 5001, flags: ACK, len: 100, t: 0.03 },
      { from: 's', seq: 5001, ack: 1101, flags: ACK, win: 0, t: 0.05 },
      { from: 'c', seq: 1101, ack: 5001, flags: ACK, len: 1, t: 0.3 },
      { from: 's', seq: 5001, ack: 1101, flags: ACK, win: 0, t: 0.31 },
    ]);
    expect(flagNames(infos[4]!)).toEqual(['zero_window']);
    expect(flagNames(infos[5]!)).toEqual(['zero_window_probe']);
    expect(flagNames(infos[6]!)).toEqual(['zero_window', 'zero_window_probe_ack']);
  });

  it('window full: data up to the right edge of the advertised window', () => {
    const infos = scenario([
      ...handshake({ cws: 0, sws: 0 }),
      { from: 's', seq: 5001, ack: 1001, flags: ACK, win: 300, t: 0.025 },
      { from: 'c', seq: 1001, ack: 5001, flags: ACK, len: 200, t: 0.03 },
      { from: 'c', seq: 1201, ack: 5001, flags: ACK, len: 100, t: 0.031 },
    ]);
    expect(infos[4]!.flags).toBe(0);
    expect(flagNames(infos[5]!)).toEqual(['window_full']);
  });

  it('window update: same seq and ack, no data, new window', () => {
    const infos = scenario([
      ...handshake(),
      { from: 'c', seq: 1001, ack: 5001, flags: ACK, win: 800, t: 0.03 },
    ]);
    expect(flagNames(infos[3]!)).toEqual(['window_update']);
    expect(infos[3]!.notes[0]!.message).toContain('502 → 800');
  });

  it('keep-alive and keep-alive ACK', () => {
    const infos = scenario([
      ...handshake(),
      { from: 'c', seq: 1001, ack: 5001, flags: PSH | ACK, win: 502, len: 10, t: 0.03 },
      { from: 's', seq: 5001, ack: 1011, flags: ACK, win: 500, t: 0.04 },
      { from: 'c', seq: 1010, ack: 5001, flags: ACK, win: 502, t: 45 },
      { from: 's', seq: 5001, ack: 1011, flags: ACK, win: 500, t: 45.01 },
    ]);
    expect(flagNames(infos[5]!)).toEqual(['keep_alive']);
    expect(flagNames(infos[6]!)).toEqual(['keep_alive_ack']);
  });
});

describe('connections and tcp.stream', () => {
  it('numbers streams in order of first packet; a SYN with a new ISN on the same ports is a new stream', () => {
    const infos = scenario([
      ...handshake(),
      { from: 'c', seq: 1001, ack: 5001, flags: FIN | ACK, t: 0.03 },
      { from: 's', seq: 5001, ack: 1002, flags: FIN | ACK, t: 0.04 },
      { from: 'c', seq: 1002, ack: 5002, flags: ACK, t: 0.05 },
      { from: 'c', seq: 9000, flags: SYN, t: 1, cport: 40001 },
      { from: 'c', seq: 3000, flags: SYN, t: 2 },
      { from: 's', seq: 8000, ack: 3001, flags: SYN | ACK, t: 2.01 },
    ]);
    expect(infos.map((i) => i.stream)).toEqual([0, 0, 0, 0, 0, 0, 1, 2, 2]);
    expect(flagNames(infos[7]!)).toEqual(['reused_ports']);
    expect(infos[7]!.notes[0]!.message).toContain('stream 0');
    expect([infos[8]!.seq, infos[8]!.ack]).toEqual([0, 1]);
  });

  it('a retransmitted SYN (same ISN) stays in its stream, as a retransmission, closed or not', () => {
    const infos = scenario([
      { from: 'c', seq: 1000, flags: SYN, t: 0 },
      { from: 'c', seq: 1000, flags: SYN, t: 1 },
      ...handshake({ t0: 2 }).slice(1),
      { from: 'c', seq: 1001, ack: 5001, flags: RST | ACK, t: 3 },
      { from: 'c', seq: 1000, flags: SYN, t: 4 },
    ]);
    expect(infos.map((i) => i.stream)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(flagNames(infos[1]!)).toEqual(['retransmission']);
    expect(infos[5]!.has(TcpAnalysisFlag.REUSED_PORTS)).toBe(false);
  });

  it('counts packets, bytes and payload per direction and tells observers of new connections first', () => {
    const events: string[] = [];
    const a = new Analyzer({
      tcpObservers: [
        {
          onConnection: (c, s) => events.push(`new ${c.stream} dir ${s.dir}`),
          onSegment: (c, s, i) => void events.push(`seg ${c.stream} dir ${s.dir} seq ${i.seq}`),
          finish: () => events.push('finish'),
        },
      ],
    });
    const frames = buildFrames([...handshake(), { from: 's', seq: 5001, ack: 1001, flags: PSH | ACK, len: 30, t: 0.04 }]);
    for (const f of frames) a.analyze(decodePacket(f));
    a.finish();
    a.finish();
    expect(events).toEqual(['new 0 dir 0', 'seg 0 dir 0 seq 0', 'seg 0 dir 1 seq 0', 'seg 0 dir 0 seq 1', 'seg 0 dir 1 seq 1', 'finish']);
    const c = a.connections()[0]!;
    expect([c.packets, c.payloadBytes, c.firstFrame, c.lastFrame]).toEqual([[2, 2], [0, 30], 1, 4]);
    expect(c.bytes[1]).toBe(frames[1]!.origLen + frames[3]!.origLen);
    expect([c.a.address, c.a.port, c.b.address, c.b.port]).toEqual(['10.0.0.1', 40000, '10.0.0.2', 80]);
  });

  it('passes an observer by for the rest of a connection it declined, and only that observer', () => {
    const events: string[] = [];
    const a = new Analyzer({
      tcpObservers: [
        // Declines at its second segment of each connection.
        { onSegment: (c, s) => (events.push(`quitter ${c.stream} dir ${s.dir}`), events.filter((e) => e.startsWith(`quitter ${c.stream} `)).length < 2) },
        { onSegment: (c, s) => void events.push(`stayer ${c.stream} dir ${s.dir}`) },
      ],
    });
    const frames = buildFrames([...handshake(), ...handshake({ t0: 1 }).map((seg) => ({ ...seg, cport: 40001 }))]);
    for (const f of frames) a.analyze(decodePacket(f));
    expect(events.filter((e) => e.startsWith('quitter'))).toEqual(['quitter 0 dir 0', 'quitter 0 dir 1', 'quitter 1 dir 0', 'quitter 1 dir 1']);
    expect(events.filter((e) => e.startsWith('stayer'))).toHaveLength(6);
    expect(a.connections().map((c) => c.declined)).toEqual([1, 1]);
    // Both observers declined: the connection's segments are still tracked, just handed to no one.
    const b = new Analyzer({ tcpObservers: [{ onSegment: () => false }] });
    for (const f of buildFrames(handshake())) b.analyze(decodePacket(f));
    expect(b.connections()[0]!.packets).toEqual([2, 1]);
  });

  it('tells observers of a connection whose first segment has a damaged header on its first sound one', () => {
    const events: string[] = [];
    const a = new Analyzer({
      tcpObservers: [
        {
          onConnection: (c, s) => events.push(`new ${c.stream} dir ${s.dir}`),
          onSegment: (c, s) => void events.push(`seg ${c.stream} dir ${s.dir}`),
        },
      ],
    });
    const frames = buildFrames(handshake({ cws: 7, sws: 8 }));
    // The SYN's window scale option (after Ethernet, IPv4 and the fixed TCP header) gets length 1:
    // the options are malformed, the fixed header is not, so tshark (and the tracker) still number it.
    frames[0]!.data[14 + 20 + 20 + 1] = 1;
    const packets = frames.map((f) => decodePacket(f));
    expect(packets[0]!.layers.at(-1)!.status).not.toBe('ok');
    for (const p of packets) a.analyze(p);
    expect(a.connections()).toHaveLength(1);
    expect(events).toEqual(['new 0 dir 1', 'seg 0 dir 1', 'seg 0 dir 0']);
  });

  it('can be driven directly with flowKeyOf, and reuses one record in reuse mode', () => {
    const t = new TcpTracker();
    t.reuseInfo = true;
    const packets = buildFrames(handshake()).map((f) => decodePacket(f));
    const first = t.track(packets[0]!, flowKeyOf(packets[0]!)!).info;
    const second = t.track(packets[1]!, flowKeyOf(packets[1]!)!).info;
    expect(second).toBe(first);
    expect(second.acksFrame).toBe(1);
    expect(t.initialRtt(0)).toBeNaN();
  });

  it('numbers UDP conversations in order of first packet, both directions together', () => {
    const a = new Analyzer();
    const udp = (sport: number, dport: number, fromC: boolean, len: number) => {
      const src = fromC ? Uint8Array.of(10, 0, 0, 1) : Uint8Array.of(10, 0, 0, 2);
      const dst = fromC ? Uint8Array.of(10, 0, 0, 2) : Uint8Array.of(10, 0, 0, 1);
      const u = emitUdp({ srcPort: sport, dstPort: dport, payload: new Uint8Array(len) }, { version: 4, src, dst });
      const ip = emitIpv4({ dscp: 0, ecn: 0, ident: 1, dontFragment: false, moreFragments: false, fragmentOffset: 0, ttl: 64, protocol: 17, src, dst }, u);
      const data = emitEthernet({ dst: new Uint8Array(6), src: new Uint8Array(6), etherType: 0x0800 }, ip);
      return decodePacket({ number: 1, tsSec: 0, tsNsec: 0, origLen: data.length, data, linkType: 1, interfaceId: 0, fileOffset: 0 });
    };
    const streams = [udp(5000, 53, true, 10), udp(53, 5000, false, 30), udp(5001, 53, true, 10), udp(5000, 53, true, 5)].map((p) => a.analyze(p).udpStream);
    expect(streams).toEqual([0, 0, 1, 0]);
    const c = a.udpConversations()[0]!;
    expect([c.packets, c.payloadBytes]).toEqual([[2, 1], [15, 30]]);
  });
});

describe('TcpSegmentInfo.pack', () => {
  it('gives back every field, whatever fields the record has', () => {
    // Every own field set to a value of its own, so a field pack() forgets comes back different.
    const info = new TcpSegmentInfo(7, 54);
    const fields = info as unknown as Record<string, unknown>;
    let n = 1;
    for (const key of Object.keys(info)) {
      if (key === 'ctx') continue;
      fields[key] = typeof fields[key] === 'boolean' ? true : 2 ** 32 + n++;
    }
    fields['ctx'] = { seglen: 1448, nextExpected: 4_000_000_000, refFrame: 12, refNs: 3.5e12, aux: 3, prevWindow: 65535, edge: 9, oldStream: -1 };
    const table = new Float64Array(PACKED_INFO * 3);
    info.pack(table, PACKED_INFO);
    expect(TcpSegmentInfo.unpack(table, PACKED_INFO)).toEqual(info);
    // And a record without notes.
    const plain = new TcpSegmentInfo(3, 34);
    plain.seq = 1;
    plain.pack(table, 0);
    expect(TcpSegmentInfo.unpack(table, 0)).toEqual(plain);
  });
});

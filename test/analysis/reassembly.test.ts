/**
 * Table-driven reassembly tests: segments in (built with the emit functions and decoded like any
 * frame), data, gaps, conflicts and ends out. Sequence numbers in the tables are relative to each
 * side's ISN (the SYN's own number is 0, so the first data byte is 1); every case runs at several
 * ISNs, including ones that make the stream cross 2^32.
 */
import { describe, expect, it } from 'vitest';
import type { Frame } from '../../src/capture/frame.js';
import { decodePacket } from '../../src/decode/bindings.js';
import { findLayer } from '../../src/decode/layer.js';
import { newConversationBase, type Dir, type TcpConnection, type TcpSegment } from '../../src/analysis/connection.js';
import { TcpReassembler, type ReassemblerOptions, type StreamHandler } from '../../src/analysis/reassembly.js';
import { emitEthernet } from '../../src/wire/ethernet.js';
import { emitIpv4 } from '../../src/wire/ipv4.js';
import { emitTcp, TcpFlag, type TcpLayer } from '../../src/wire/tcp.js';

const ADDR = [new Uint8Array([10, 0, 0, 1]), new Uint8Array([10, 0, 0, 2])];
const PORT = [40000, 80];
const MAC = new Uint8Array(6);

interface Seg {
  d: Dir;
  /** Relative to the sender's ISN. */
  seq: number;
  data?: string;
  /** S F R A P letters; A is added when `ack` is given. */
  f?: string;
  /** Relative to the receiver's ISN. */
  ack?: number;
  /** Payload bytes captured (the rest cut by the snap length). */
  cap?: number;
}

function flagsOf(s: Seg): number {
  let f = s.ack !== undefined ? TcpFlag.ACK : 0;
  for (const c of s.f ?? '') f |= { S: TcpFlag.SYN, F: TcpFlag.FIN, R: TcpFlag.RST, A: TcpFlag.ACK, P: TcpFlag.PSH }[c] ?? 0;
  return f;
}

function frameOf(n: number, s: Seg, isn: [number, number]): Frame {
  const d = s.d;
  const payload = new TextEncoder().encode(s.data ?? '');
  const net = { version: 4 as const, src: ADDR[d]!, dst: ADDR[1 - d]! };
  const tcp = emitTcp(
    {
      srcPort: PORT[d]!,
      dstPort: PORT[1 - d]!,
      seq: (isn[d] + s.seq) >>> 0,
      ack: s.ack === undefined ? 0 : (isn[1 - d]! + s.ack) >>> 0,
      flags: flagsOf(s),
      window: 65535,
      urgentPointer: 0,
      options: [],
      payload,
    },
    net,
  );
  const ip = emitIpv4({ dscp: 0, ecn: 0, ident: n, dontFragment: true, moreFragments: false, fragmentOffset: 0, ttl: 64, protocol: 6, src: net.src, dst: net.dst }, tcp);
  let data = emitEthernet({ dst: MAC, src: MAC, etherType: 0x0800 }, ip);
  const origLen = data.length;
  if (s.cap !== undefined) data = data.subarray(0, data.length - payload.length + s.cap);
  return { number: n, tsSec: n, tsNsec: 0, origLen, data, linkType: 1, interfaceId: 0, fileOffset: 0 };
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);

function run(segs: Seg[], isn: [number, number], options: ReassemblerOptions = {}): string[] {
  const events: string[] = [];
  // Offset 0 is the byte after the SYN, or the first byte of the first segment seen.
  const base = [0, 1].map((d) => {
    const first = segs.find((s) => s.d === d);
    return first ? (isn[d]! + first.seq + (first.f?.includes('S') ? 1 : 0)) >>> 0 : 0;
  });
  const side = (d: Dir) => (d === 0 ? 'A' : 'B');
  const handler: StreamHandler = {
    onData(_c, d, bytes, r, frames) {
      expect(r.end - r.offset).toBe(bytes.length);
      expect(r.seq).toBe((base[d]! + r.offset) >>> 0);
      events.push(`${side(d)} data ${r.offset}..${r.end} ${text(bytes)} #${frames.join(',')}`);
    },
    onGap(_c, d, g) {
      expect(g.seq).toBe((base[d]! + g.offset) >>> 0);
      events.push(`${side(d)} gap ${g.offset}..${g.end} ${g.cause}`);
    },
    onEnd(_c, d, reason) {
      events.push(`${side(d)} end ${reason}`);
    },
    onConflict(_c, d, c) {
      events.push(`${side(d)} conflict ${c.offset}..${c.end} #${c.frame}`);
    },
  };
  const r = new TcpReassembler(handler, options);
  let conn: TcpConnection | undefined;
  segs.forEach((s, i) => {
    const packet = decodePacket(frameOf(i + 1, s, isn));
    const tcp = findLayer<TcpLayer>(packet, 'tcp')!;
    expect(tcp.status).toBe('ok');
    const seg: TcpSegment = { packet, tcp, dir: s.d, time: i };
    if (!conn) {
      conn = { ...newConversationBase(0, 'k', { address: '10.0.0.1', port: PORT[0]! }, { address: '10.0.0.2', port: PORT[1]! }, 1, 0), proto: 'tcp', declined: 0 };
      r.onConnection(conn, seg);
    }
    r.onSegment(conn, seg);
  });
  r.finish();
  return events;
}

const HANDSHAKE: Seg[] = [
  { d: 0, seq: 0, f: 'S' },
  { d: 1, seq: 0, f: 'S', ack: 1 },
  { d: 0, seq: 1, ack: 1 },
];

interface Case {
  name: string;
  segs: Seg[];
  out: string[];
  options?: ReassemblerOptions;
}

const CASES: Case[] = [
  {
    name: 'in order, both directions, FIN teardown',
    segs: [
      ...HANDSHAKE,
      { d: 0, seq: 1, data: 'GET /', ack: 1 },
      { d: 1, seq: 1, data: 'HTTP/1.1 200', ack: 6 },
      { d: 1, seq: 13, data: ' OK', f: 'F', ack: 6 },
      { d: 0, seq: 6, f: 'F', ack: 17 },
      { d: 1, seq: 17, ack: 7 },
    ],
    out: ['A data 0..5 GET / #4', 'B data 0..12 HTTP/1.1 200 #5', 'B data 12..15  OK #6', 'B end fin', 'A end fin'],
  },
  {
    name: 'out of order: held, then released in order',
    segs: [...HANDSHAKE, { d: 0, seq: 4, data: 'def', ack: 1 }, { d: 0, seq: 7, data: 'gh', ack: 1 }, { d: 0, seq: 1, data: 'abc', ack: 1 }],
    out: ['A data 0..3 abc #6', 'A data 3..6 def #4', 'A data 6..8 gh #5', 'A end capture-end', 'B end capture-end'],
  },
  {
    name: 'retransmission of delivered bytes is delivered once',
    segs: [...HANDSHAKE, { d: 0, seq: 1, data: 'abc', ack: 1 }, { d: 0, seq: 1, data: 'abc', ack: 1 }, { d: 0, seq: 4, data: 'de', ack: 1 }],
    out: ['A data 0..3 abc #4', 'A data 3..5 de #6', 'A end capture-end', 'B end capture-end'],
  },
  {
    name: 'retransmission with more data: only the new part',
    segs: [...HANDSHAKE, { d: 0, seq: 1, data: 'abc', ack: 1 }, { d: 0, seq: 2, data: 'bcdef', ack: 1 }],
    out: ['A data 0..3 abc #4', 'A data 3..6 def #5', 'A end capture-end', 'B end capture-end'],
  },
  {
    name: 'consistent overlap of held data: no conflict',
    segs: [...HANDSHAKE, { d: 0, seq: 4, data: 'defg', ack: 1 }, { d: 0, seq: 6, data: 'fghi', ack: 1 }, { d: 0, seq: 1, data: 'abc', ack: 1 }],
    out: ['A data 0..3 abc #6', 'A data 3..7 defg #4', 'A data 7..9 hi #5', 'A end capture-end', 'B end capture-end'],
  },
  {
    name: 'inconsistent overlap of held data: first held copy wins, conflict flagged',
    segs: [...HANDSHAKE, { d: 0, seq: 4, data: 'defg', ack: 1 }, { d: 0, seq: 6, data: 'XYhi', ack: 1 }, { d: 0, seq: 1, data: 'abc', ack: 1 }],
    out: ['A conflict 5..7 #5', 'A data 0..3 abc #6', 'A data 3..7 defg #4', 'A data 7..9 hi #5', 'A end capture-end', 'B end capture-end'],
  },
  {
    name: 'in-order segment covering held data with other bytes: delivered whole, conflict flagged',
    segs: [...HANDSHAKE, { d: 0, seq: 4, data: 'de', ack: 1 }, { d: 0, seq: 1, data: 'abcXY', ack: 1 }],
    out: ['A conflict 3..5 #5', 'A data 0..5 abcXY #5', 'A end capture-end', 'B end capture-end'],
  },
  {
    name: 'inconsistent retransmission of delivered bytes (overlapCheckBytes)',
    segs: [...HANDSHAKE, { d: 0, seq: 1, data: 'abcdef', ack: 1 }, { d: 0, seq: 3, data: 'cX', ack: 1 }, { d: 0, seq: 3, data: 'cd', ack: 1 }],
    options: { overlapCheckBytes: 4 },
    out: ['A data 0..6 abcdef #4', 'A conflict 2..4 #5', 'A end capture-end', 'B end capture-end'],
  },
  {
    name: 'hole acknowledged by the peer: gap, then the stream continues',
    segs: [...HANDSHAKE, { d: 0, seq: 1, data: 'ab', ack: 1 }, { d: 0, seq: 6, data: 'fg', ack: 1 }, { d: 1, seq: 1, ack: 8 }, { d: 0, seq: 8, data: 'h', ack: 1 }],
    out: ['A data 0..2 ab #4', 'A gap 2..5 unseen', 'A data 5..7 fg #5', 'A data 7..8 h #7', 'A end capture-end', 'B end capture-end'],
  },
  {
    name: 'hole not acknowledged: waits, becomes a gap at capture end',
    segs: [...HANDSHAKE, { d: 0, seq: 1, data: 'ab', ack: 1 }, { d: 0, seq: 6, data: 'fg', ack: 1 }, { d: 1, seq: 1, ack: 3 }],
    out: ['A data 0..2 ab #4', 'A gap 2..5 unseen', 'A data 5..7 fg #5', 'A end capture-end', 'B end capture-end'],
  },
  {
    name: 'hole filled late by a retransmission: no gap',
    segs: [...HANDSHAKE, { d: 0, seq: 1, data: 'ab', ack: 1 }, { d: 0, seq: 6, data: 'fg', ack: 1 }, { d: 1, seq: 1, ack: 3 }, { d: 0, seq: 3, data: 'cde', ack: 1 }],
    out: ['A data 0..2 ab #4', 'A data 2..5 cde #7', 'A data 5..7 fg #5', 'A end capture-end', 'B end capture-end'],
  },
  {
    name: 'FIN after a hole: the FIN bounds the gap when acknowledged',
    segs: [...HANDSHAKE, { d: 0, seq: 1, data: 'ab', ack: 1 }, { d: 0, seq: 6, f: 'F', ack: 1 }, { d: 1, seq: 1, ack: 7 }],
    out: ['A data 0..2 ab #4', 'A gap 2..5 unseen', 'A end fin', 'B end capture-end'],
  },
  {
    name: 'FIN arriving before the last data: end only once all is delivered',
    segs: [...HANDSHAKE, { d: 0, seq: 4, data: 'de', f: 'F', ack: 1 }, { d: 0, seq: 1, data: 'abc', ack: 1 }],
    out: ['A data 0..3 abc #5', 'A data 3..5 de #4', 'A end fin', 'B end capture-end'],
  },
  {
    name: "RST ends the sender's direction at once (held data flushed with a gap), the peer's at the end",
    segs: [
      ...HANDSHAKE,
      { d: 1, seq: 1, data: 'ab', ack: 1 },
      { d: 1, seq: 5, data: 'ef', ack: 1 },
      { d: 1, seq: 7, f: 'R', ack: 1 },
      { d: 0, seq: 1, data: 'in flight', ack: 3 },
      { d: 1, seq: 7, data: 'ignored', ack: 1 },
    ],
    out: ['B data 0..2 ab #4', 'B gap 2..4 unseen', 'B data 4..6 ef #5', 'B end rst', 'A data 0..9 in flight #7', 'A end rst'],
  },
  {
    name: 'RST refusing a SYN ends nothing',
    segs: [{ d: 0, seq: 0, f: 'S' }, { d: 1, seq: 0, f: 'R', ack: 1 }, { d: 0, seq: 1, data: 'x', ack: 0 }],
    out: ['A data 0..1 x #3', 'A end capture-end', 'B end capture-end'],
  },
  {
    name: 'snap length cut: captured part delivered, the rest a gap at once',
    segs: [...HANDSHAKE, { d: 0, seq: 1, data: 'abcdef', ack: 1, cap: 2 }, { d: 0, seq: 7, data: 'gh', ack: 1 }],
    out: ['A data 0..2 ab #4', 'A gap 2..6 snaplen', 'A data 6..8 gh #5', 'A end capture-end', 'B end capture-end'],
  },
  {
    name: 'snap length cut on held data: gap marker released in place',
    segs: [...HANDSHAKE, { d: 0, seq: 4, data: 'defg', ack: 1, cap: 1 }, { d: 0, seq: 1, data: 'abc', ack: 1 }],
    out: ['A data 0..3 abc #5', 'A data 3..4 d #4', 'A gap 4..7 snaplen', 'A end capture-end', 'B end capture-end'],
  },
  {
    name: 'memory cap: data past it is dropped and the hole is a gap of cause cap',
    segs: [...HANDSHAKE, { d: 0, seq: 3, data: 'cd', ack: 1 }, { d: 0, seq: 5, data: 'efgh', ack: 1 }, { d: 0, seq: 9, data: 'i', ack: 1 }, { d: 0, seq: 1, data: 'ab', ack: 1 }],
    options: { maxHeldBytes: 3 },
    out: ['A data 0..2 ab #7', 'A data 2..4 cd #4', 'A gap 4..8 cap', 'A data 8..9 i #6', 'A end capture-end', 'B end capture-end'],
  },
  {
    name: 'no SYN captured: the stream starts at the first segment seen',
    segs: [{ d: 0, seq: 101, data: 'xyz', ack: 1 }, { d: 1, seq: 1, data: 'ok', ack: 104 }, { d: 0, seq: 100, data: 'wxyz', ack: 3 }],
    out: ['A data 0..3 xyz #1', 'B data 0..2 ok #2', 'A end capture-end', 'B end capture-end'],
  },
  {
    name: 'segment entirely before the stream start is ignored',
    segs: [...HANDSHAKE, { d: 0, seq: 1, data: 'ab', ack: 1 }, { d: 0, seq: 0, data: 'Z', ack: 1 }],
    out: ['A data 0..2 ab #4', 'A end capture-end', 'B end capture-end'],
  },
];

const ISNS: [string, [number, number]][] = [
  ['small ISNs', [1000, 5000]],
  ['ISNs just below 2^32 (stream wraps)', [0xfffffffd, 0xfffffff9]],
  ['ISN 2^32-1 (SYN at the last number, data at 0)', [0xffffffff, 0x7fffffff]],
];

describe('TcpReassembler', () => {
  for (const [label, isn] of ISNS) {
    describe(label, () => {
      it.each(CASES.map((c) => [c.name, c] as const))('%s', (_n, c) => {
        expect(run(c.segs, isn, c.options)).toEqual(c.out);
      });
    });
  }

  it('holds at most maxHeldBytes and frees them on release', () => {
    const r = new TcpReassembler({ onData() {} }, { maxHeldBytes: 10 });
    let conn: TcpConnection | undefined;
    const segs: Seg[] = [...HANDSHAKE, { d: 0, seq: 5, data: 'abcdef', ack: 1 }, { d: 0, seq: 11, data: 'ghijkl', ack: 1 }];
    segs.forEach((s, i) => {
      const packet = decodePacket(frameOf(i + 1, s, [0, 0]));
      const seg: TcpSegment = { packet, tcp: findLayer<TcpLayer>(packet, 'tcp')!, dir: s.d, time: i };
      conn ??= { ...newConversationBase(0, 'k', { address: 'a', port: 1 }, { address: 'b', port: 2 }, 1, 0), proto: 'tcp', declined: 0 };
      r.onSegment(conn, seg);
    });
    expect(r.heldBytes(0, 0)).toBe(6);
    const fill = decodePacket(frameOf(9, { d: 0, seq: 1, data: 'wxyz', ack: 1 }, [0, 0]));
    r.onSegment(conn!, { packet: fill, tcp: findLayer<TcpLayer>(fill, 'tcp')!, dir: 0, time: 9 });
    expect(r.heldBytes(0, 0)).toBe(0);
  });

  it('a long stream keeps exact offsets past 4 GiB (offset, not 32-bit sequence)', () => {
    const events: number[] = [];
    const r = new TcpReassembler({ onData: (_c, _d, _b, range) => events.push(range.offset) });
    const conn: TcpConnection = { ...newConversationBase(0, 'k', { address: 'a', port: 1 }, { address: 'b', port: 2 }, 1, 0), proto: 'tcp', declined: 0 };
    // Segments every 2^30 bytes would be holes; instead keep acknowledging so each hole is a gap.
    const step = 0x40000000;
    for (let i = 0; i < 6; i++) {
      const p = decodePacket(frameOf(i + 1, { d: 0, seq: 1 + i * step, data: 'x', ack: 1 }, [7, 0]));
      r.onSegment(conn, { packet: p, tcp: findLayer<TcpLayer>(p, 'tcp')!, dir: 0, time: i });
      const a = decodePacket(frameOf(100 + i, { d: 1, seq: 1, ack: 2 + i * step }, [7, 0]));
      r.onSegment(conn, { packet: a, tcp: findLayer<TcpLayer>(a, 'tcp')!, dir: 1, time: i });
    }
    expect(events).toEqual([0, 1, 2, 3, 4, 5].map((i) => i * step));
  });
});

describe('quietAck', () => {
  it('is true only for a pure ACK that can change nothing: a started direction, nothing held or FIN pending in the peer', () => {
    const isn: [number, number] = [1000, 5000];
    const r = new TcpReassembler({ onData() {} });
    const segs: Seg[] = [
      // Mid-stream: the client's first segment is a pure ACK, which starts its direction.
      { d: 0, seq: 1, ack: 1 },
      { d: 0, seq: 1, ack: 1 },
      { d: 1, seq: 1, data: 'abc', ack: 1 },
      { d: 0, seq: 1, ack: 4 },
      // The server's bytes 7.. come before 4..6: held, so the client's next ACK may declare a hole.
      { d: 1, seq: 7, data: 'ghi', ack: 1 },
      { d: 0, seq: 1, ack: 4 },
      { d: 1, seq: 4, data: 'def', ack: 1 },
      { d: 0, seq: 1, ack: 10 },
      // A FIN after bytes never captured (10..12): the client's ACK of it declares them missing.
      { d: 1, seq: 13, f: 'F', ack: 1 },
      { d: 0, seq: 1, ack: 14 },
      // Then the server's direction has ended: nothing more waits on an ACK.
      { d: 0, seq: 1, ack: 14 },
    ];
    let conn: TcpConnection | undefined;
    const quiet = segs.map((s, i) => {
      const packet = decodePacket(frameOf(i + 1, s, isn));
      const seg: TcpSegment = { packet, tcp: findLayer<TcpLayer>(packet, 'tcp')!, dir: s.d, time: i };
      if (!conn) {
        conn = { ...newConversationBase(0, 'k', { address: '10.0.0.1', port: PORT[0]! }, { address: '10.0.0.2', port: PORT[1]! }, 1, 0), proto: 'tcp', declined: 0 };
        r.onConnection(conn, seg);
      }
      const q = r.quietAck(conn, seg);
      r.onSegment(conn, seg);
      return q;
    });
    expect(quiet).toEqual([false, true, false, true, false, false, false, true, false, false, true]);
  });
});

describe('any split, any order', () => {
  const MESSAGE = 'Hello, wire!';
  const collect = (segs: Seg[], isn: [number, number]) => {
    let got = '';
    const gaps: string[] = [];
    const r = new TcpReassembler({ onData: (_c, _d, b) => (got += text(b)), onGap: (_c, _d, g) => gaps.push(`${g.offset}+${g.length}`) });
    const conn: TcpConnection = { ...newConversationBase(0, 'k', { address: 'a', port: 1 }, { address: 'b', port: 2 }, 1, 0), proto: 'tcp', declined: 0 };
    [...HANDSHAKE, ...segs].forEach((s, i) => {
      const p = decodePacket(frameOf(i + 1, s, isn));
      r.onSegment(conn, { packet: p, tcp: findLayer<TcpLayer>(p, 'tcp')!, dir: s.d, time: i });
    });
    r.finish();
    return { got, gaps };
  };
  const piece = (from: number, to: number): Seg => ({ d: 0, seq: 1 + from, data: MESSAGE.slice(from, to), ack: 1 });

  for (const isn of [[0xfffffff5, 9], [42, 9]] as [number, number][]) {
    it(`every pair of split points, in order, reversed and with a retransmission (ISN ${isn[0]})`, () => {
      const n = MESSAGE.length;
      for (let a = 1; a < n; a++) {
        for (let b = a; b < n; b++) {
          const parts = [piece(0, a), piece(a, b), piece(b, n)].filter((s) => s.data!.length > 0);
          expect(collect(parts, isn)).toEqual({ got: MESSAGE, gaps: [] });
          expect(collect([...parts].reverse(), isn)).toEqual({ got: MESSAGE, gaps: [] });
          expect(collect([parts[0]!, ...parts, parts[parts.length - 1]!], isn)).toEqual({ got: MESSAGE, gaps: [] });
          // Overlapping repacketization: [0,b) then [a,n).
          expect(collect([piece(0, b), piece(a, n)], isn).got).toBe(MESSAGE);
        }
      }
    });
  }
});

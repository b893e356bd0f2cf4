/**
 * Test helper for the DNS/TLS suites: each TCP connection of a capture as two in-order byte
 * streams, with the frame that carried each stream byte. Retransmitted bytes (seq below what was
 * already taken) are dropped; this is a test fixture, not the analyzer's reassembly.
 */
import { readCaptureFileSync } from '../../src/capture/reader.js';
import { decodePacket } from '../../src/decode/bindings.js';
import type { Packet } from '../../src/decode/layer.js';
import { flowKeyOf } from '../../src/analysis/flows.js';
import type { TcpLayer } from '../../src/wire/tcp.js';

export interface Chunk {
  frame: number;
  /** Stream offset of the chunk's first byte. */
  at: number;
  bytes: Uint8Array;
}

export interface Connection {
  key: string;
  /** Chunks sent by the side that sent the first segment (the client), and by the other side. */
  c2s: Chunk[];
  s2c: Chunk[];
}

export function tcpConnections(path: string): { connections: Connection[]; packets: Packet[] } {
  const packets = readCaptureFileSync(path).frames.map((f) => decodePacket(f));
  const conns = new Map<string, Connection & { clientLowToHigh: boolean; next: [number | undefined, number | undefined]; taken: [number, number] }>();
  for (const p of packets) {
    const k = flowKeyOf(p);
    if (!k || k.proto !== 'tcp') continue;
    const tcp = k.transport as TcpLayer;
    let c = conns.get(k.key);
    if (!c) conns.set(k.key, (c = { key: k.key, c2s: [], s2c: [], clientLowToHigh: k.lowToHigh, next: [undefined, undefined], taken: [0, 0] }));
    const d = k.lowToHigh === c.clientLowToHigh ? 0 : 1;
    const syn = (tcp.flags & 0x02) !== 0;
    let seq = tcp.seq + (syn ? 1 : 0);
    let bytes = p.frame.data.subarray(tcp.payloadOffset, tcp.payloadOffset + tcp.payloadLength);
    const next = c.next[d];
    if (next !== undefined) {
      const behind = (next - seq) >>> 0;
      if (behind > 0 && behind < 0x80000000) {
        if (behind >= bytes.length) continue;
        bytes = bytes.subarray(behind);
        seq = next;
      }
    }
    c.next[d] = (seq + bytes.length) >>> 0;
    if (bytes.length === 0) continue;
    (d === 0 ? c.c2s : c.s2c).push({ frame: p.frame.number, at: c.taken[d], bytes });
    c.taken[d] += bytes.length;
  }
  return { connections: [...conns.values()], packets };
}

/** The frame that carried stream byte `offset`. */
export function frameAt(chunks: readonly Chunk[], offset: number): number {
  for (const c of chunks) if (offset >= c.at && offset < c.at + c.bytes.length) return c.frame;
  return -1;
}

/** Every way to cut `bytes` in two, plus byte-at-a-time. */
export function* splits(bytes: Uint8Array): Generator<Uint8Array[]> {
  yield [bytes];
  for (let i = 1; i < bytes.length; i++) yield [bytes.subarray(0, i), bytes.subarray(i)];
  yield Array.from(bytes, (_, i) => bytes.subarray(i, i + 1));
}

/** Deterministic bytes for never-throws tests. */
export function* randomBuffers(count: number, seed = 1): Generator<Uint8Array> {
  let s = seed >>> 0;
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 8) & 0xff;
  for (let i = 0; i < count; i++) {
    const n = rnd() + (rnd() & 1 ? rnd() : 0);
    yield Uint8Array.from({ length: n }, rnd);
  }
}

/** Runs tshark -T fields on a file, one row per frame (undefined when tshark is absent). */
export async function tsharkRows(path: string, fields: string[], twoPass = false): Promise<string[][] | undefined> {
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync('tshark', [...(twoPass ? ['-2'] : []), '-r', path, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,', '-E', 'separator=\t', ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0 || !r.stdout) return undefined;
  return r.stdout.split('\n').map((l) => l.split('\t'));
}

/** tshark's text for one value: hex integers as decimal, booleans as 1/0. */
export function canonTshark(v: string): string {
  return v
    .split(',')
    .map((t) => (/^0x[0-9a-f]+$/i.test(t) ? String(parseInt(t, 16)) : t))
    .join(',');
}

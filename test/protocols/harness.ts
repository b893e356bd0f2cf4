/**
 * Test helpers for the stream parsers: a recorder implementing every handler method, scripted runs
 * with any split of any step (the "whole and split at every boundary" rule of DESIGN.md §7), and a
 * tiny per-direction TCP payload feeder for corpus captures (stands in for analysis/reassembly
 * until the parsers are wired to it).
 */
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { readCaptureFile } from '../../src/capture/reader.js';
import { decodePacket } from '../../src/decode/bindings.js';
import type { TcpLayer } from '../../src/wire/tcp.js';
import type { HttpConnectionHandler } from '../../src/protocols/http.js';
import type { Direction, StreamSink } from '../../src/protocols/stream.js';

export const TRACE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/traces/real');
export const haveTraces = existsSync(TRACE_DIR);
if (!haveTraces) console.warn(`protocols tests: ${TRACE_DIR} is absent; corpus comparisons are skipped`);

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const cat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

/** Stream pieces (body, tunnel, raw bytes) depend on the split: they are joined per key. */
const PIECES = new Set(['httpBody', 'httpTunnel', 'wsRaw']);
const METHODS = [
  'httpHeaders', 'httpBody', 'httpRequest', 'httpResponse', 'httpMalformed', 'httpUpgrade', 'httpTunnel',
  'wsFrame', 'wsMessage', 'wsClose', 'wsPing', 'wsPong', 'wsRaw', 'wsLostSync', 'sseEvent', 'sseComment',
] as const;

export interface Recorded {
  /** [method, event] in emission order, snapshotted (JSON) when emitted. */
  events: [string, Record<string, unknown>][];
  /** Joined bytes of piece callbacks, per method and direction/message. */
  pieces: Record<string, number[]>;
}

const replacer = (_k: string, v: unknown): unknown => (v instanceof Uint8Array ? Array.from(v) : v);
const snap = (v: unknown): Record<string, unknown> => JSON.parse(JSON.stringify(v, replacer)) as Record<string, unknown>;

export function recorder(): { handler: HttpConnectionHandler; rec: Recorded } {
  const rec: Recorded = { events: [], pieces: {} };
  const handler: Record<string, (...args: unknown[]) => void> = {};
  for (const m of METHODS) {
    handler[m] = (...args: unknown[]) => {
      if (PIECES.has(m)) {
        const chunk = args[1] as Uint8Array;
        const who = m === 'httpBody' ? `${(args[0] as { dir: string; index: number }).dir}#${(args[0] as { index: number }).index}` : String(args[0]);
        const key = `${m}:${who}`;
        (rec.pieces[key] ??= []).push(...chunk);
      } else if (m === 'wsRaw' || m === 'wsLostSync') {
        rec.events.push([m, snap({ dir: args[0], problem: args[1] })]);
      } else {
        rec.events.push([m, snap(args[0])]);
      }
    };
  }
  return { handler: handler as HttpConnectionHandler, rec };
}

export type Step = { dir: Direction; bytes: Uint8Array } | { dir: Direction; gap: number } | { dir: Direction; end: true };

export interface Target {
  sinks: Record<Direction, StreamSink>;
  rec: Recorded;
}

/**
 * Runs a script. Step i is pushed as frame i+1 at time (i+1)/1000; when `split` names a step, its
 * bytes go in two pushes (same frame) cut at `split.at`; 'bytes' pushes every step byte by byte.
 */
export function run(make: () => Target, steps: Step[], split?: { step: number; at: number } | 'bytes'): Recorded {
  const t = make();
  steps.forEach((s, i) => {
    const sink = t.sinks[s.dir];
    const frame = i + 1;
    const time = frame / 1000;
    if ('gap' in s) sink.gap(s.gap);
    else if ('end' in s) sink.end();
    else if (split === 'bytes') for (let k = 0; k < s.bytes.length; k++) sink.push(s.bytes.subarray(k, k + 1), frame, time);
    else if (split && split.step === i) {
      sink.push(s.bytes.subarray(0, split.at), frame, time);
      sink.push(s.bytes.subarray(split.at), frame, time);
    } else sink.push(s.bytes, frame, time);
  });
  return t.rec;
}

/** Asserts the script gives the same events whole, split at every boundary of every step, and byte by byte. */
export function expectSplitInvariant(make: () => Target, steps: Step[]): Recorded {
  const whole = run(make, steps);
  steps.forEach((s, i) => {
    if (!('bytes' in s)) return;
    for (let at = 1; at < s.bytes.length; at++) {
      const r = run(make, steps, { step: i, at });
      if (JSON.stringify(r) !== JSON.stringify(whole)) expect({ step: i, at, r }).toEqual({ step: i, at, r: whole });
    }
  });
  expect(run(make, steps, 'bytes')).toEqual(whole);
  return whole;
}

export function eventsOf<T = Record<string, unknown>>(rec: Recorded, method: string): T[] {
  return rec.events.filter(([m]) => m === method).map(([, e]) => e as T);
}

/** Seeded PRNG (mulberry32) for the random-bytes tests. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// --- corpus feeding

export interface Segment {
  frame: number;
  /** Nanoseconds since the first frame (exact in a double for any capture shorter than ~104 days). */
  time: number;
  stream: number;
  dir: Direction;
  seq: number;
  syn: boolean;
  fin: boolean;
  payload: Uint8Array;
}

/** TCP segments of a capture, numbered into streams in first-seen order (as tcp.stream), client = first sender. */
export async function tcpSegments(file: string): Promise<Segment[]> {
  const { frames } = await readCaptureFile(resolve(TRACE_DIR, file));
  const streams = new Map<string, { id: number; client: string }>();
  const out: Segment[] = [];
  const t0 = frames.length ? BigInt(frames[0]!.tsSec) * 1_000_000_000n + BigInt(frames[0]!.tsNsec) : 0n;
  for (const f of frames) {
    const p = decodePacket(f);
    const tcp = p.layers.find((l) => l.proto === 'tcp') as TcpLayer | undefined;
    const ip = p.layers.find((l) => l.proto === 'ip' || l.proto === 'ipv6');
    if (!tcp || !ip || tcp.status !== 'ok') continue;
    const ep = ip.endpoints?.();
    if (!ep) continue;
    const a = `${ep.src}|${tcp.srcPort}`;
    const b = `${ep.dst}|${tcp.dstPort}`;
    const key = a < b ? `${a}-${b}` : `${b}-${a}`;
    let s = streams.get(key);
    if (!s) streams.set(key, (s = { id: streams.size, client: a }));
    const len = Math.min(tcp.payloadLength, f.data.length - tcp.payloadOffset);
    out.push({
      frame: f.number,
      time: Number(BigInt(f.tsSec) * 1_000_000_000n + BigInt(f.tsNsec) - t0),
      stream: s.id,
      dir: a === s.client ? 'c2s' : 's2c',
      seq: tcp.seq,
      syn: tcp.hasFlag(0x002),
      fin: tcp.hasFlag(0x001),
      payload: f.data.subarray(tcp.payloadOffset, tcp.payloadOffset + Math.max(0, len)),
    });
  }
  return out;
}

/**
 * Feeds each stream's directions in capture order with the minimum of reassembly: retransmitted
 * bytes are dropped, segments ahead of the next expected byte are held until the hole fills.
 */
export function feedSegments(segments: Segment[], sinkFor: (stream: number) => Record<Direction, StreamSink>): void {
  const next = new Map<string, number>();
  const held = new Map<string, Segment[]>();
  const deliver = (key: string, s: Segment, sinks: Record<Direction, StreamSink>): void => {
    const exp = next.get(key)!;
    const off = (s.seq - exp) | 0;
    if (off > 0) {
      (held.get(key) ?? held.set(key, []).get(key)!).push(s);
      return;
    }
    const skip = -off;
    if (skip < s.payload.length) {
      sinks[s.dir].push(s.payload.subarray(skip), s.frame, s.time);
      next.set(key, (exp + s.payload.length - skip) | 0);
    }
    const h = held.get(key);
    if (!h) return;
    const i = h.findIndex((x) => ((x.seq - next.get(key)!) | 0) <= 0);
    if (i >= 0) deliver(key, h.splice(i, 1)[0]!, sinks);
  };
  const ended = new Set<string>();
  for (const s of segments) {
    const key = `${s.stream}/${s.dir}`;
    if (s.syn) {
      if (!next.has(key)) next.set(key, (s.seq + 1) | 0);
      continue;
    }
    if (!next.has(key)) next.set(key, s.seq | 0);
    const sinks = sinkFor(s.stream);
    if (s.payload.length > 0) deliver(key, s, sinks);
    if (s.fin && !ended.has(key)) {
      ended.add(key);
      sinks[s.dir].end();
    }
  }
}

/** tshark fields output as rows of columns (needs tshark; the caller skips without traces). */
export function tshark(file: string, filter: string, fields: string[], twoPass = false, aggregator = ','): string[][] {
  const args = [...(twoPass ? ['-2'] : []), '-r', resolve(TRACE_DIR, file), '-Y', filter, '-T', 'fields', '-E', 'occurrence=a', '-E', `aggregator=${aggregator}`, ...fields.flatMap((f) => ['-e', f])];
  const out = execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return out.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
}

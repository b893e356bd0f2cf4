/**
 * Test helpers for the network-layer suites: a throwaway classic-pcap reader (the real one lives in
 * src/capture/), binding tables of just Ethernet, Linux SLL2 (stubbed here) and the network layers,
 * and a tshark runner for differential checks.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import type { Frame } from '../../src/capture/frame.js';
import type { Binding, Dissector } from '../../src/decode/dissector.js';
import { BindingTables, decodeFrame } from '../../src/decode/driver.js';
import { DataLayer } from '../../src/decode/data.js';
import type { Packet } from '../../src/decode/layer.js';
import * as ethernet from '../../src/wire/ethernet.js';
import * as icmp from '../../src/wire/icmp.js';
import * as icmpv6 from '../../src/wire/icmpv6.js';
import * as ipv4 from '../../src/wire/ipv4.js';
import * as ipv6 from '../../src/wire/ipv6.js';

export const REAL = '/work/shared/traces/real';
export const haveCorpus = existsSync(REAL);
export const haveTshark = (() => {
  try {
    execFileSync('tshark', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

export function readPcap(path: string): Frame[] {
  const f = readFileSync(path);
  const b = new Uint8Array(f.buffer, f.byteOffset, f.length);
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  const magic = dv.getUint32(0, true);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const nanos = magic === 0xa1b23c4d || magic === 0x4d3cb2a1;
  const linkType = dv.getUint32(20, le) & 0xffff;
  const frames: Frame[] = [];
  for (let o = 24; o + 16 <= b.length; ) {
    const incl = dv.getUint32(o + 8, le);
    const data = b.subarray(o + 16, Math.min(o + 16 + incl, b.length));
    const frac = dv.getUint32(o + 4, le);
    frames.push({ number: frames.length + 1, tsSec: dv.getUint32(o, le), tsNsec: nanos ? frac : frac * 1000, origLen: dv.getUint32(o + 12, le), data, linkType, interfaceId: 0, fileOffset: o });
    o += 16 + incl;
  }
  return frames;
}

/** Linux cooked v2 (LINKTYPE 276): 20-byte header whose first two bytes are the EtherType. */
const sll2: Dissector = (data, span) => {
  const layer = new DataLayer(data, span.offset, 20);
  const payload = { offset: Math.min(span.offset + 20, span.end), end: span.end, reportedEnd: span.reportedEnd };
  return { layer: Object.assign(layer, { proto: 'sll' }), payload, next: { table: 'ethertype', key: (data[span.offset]! << 8) | data[span.offset + 1]! } };
};

const bindings: Binding[] = [...ethernet.bindings, { table: 'linktype', key: 276, dissector: sll2 }, ...ipv4.bindings, ...ipv6.bindings, ...icmp.bindings, ...icmpv6.bindings];
export const tables = new BindingTables(bindings);

export function decode(frame: Frame): Packet {
  return decodeFrame(frame, tables);
}

/** A frame over `bytes` as an Ethernet capture would deliver it. */
export function ethFrame(bytes: Uint8Array, origLen = bytes.length): Frame {
  return { number: 1, tsSec: 0, tsNsec: 0, origLen, data: bytes, linkType: 1, interfaceId: 0, fileOffset: 0 };
}

export function hex(s: string): Uint8Array {
  const clean = s.replace(/0x[0-9a-f]+:/gi, '').replace(/[^0-9a-f]/gi, '');
  return Uint8Array.from(clean.match(/../g)!.map((h) => parseInt(h, 16)));
}

/** tshark's values of `fields` for each frame: one array per field, occurrences in order. */
export function tsharkFields(file: string, fields: string[]): string[][][] {
  const out = execFileSync(
    'tshark',
    ['-r', file, '-o', 'ip.check_checksum:TRUE', '-o', 'ip.defragment:FALSE', '-o', 'ipv6.defragment:FALSE', '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=|', ...fields.flatMap((f) => ['-e', f])],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 },
  );
  return out
    .split('\n')
    .filter((l) => l.length > 0 || false)
    .map((line) => line.split('\t').map((v) => (v === '' ? [] : v.split('|'))));
}

const STATUS: Record<string, string> = { '0': 'bad', '1': 'good', '2': 'unverified' };

/** Our value in tshark's -T fields text form, for comparison. */
/** FT_BYTES fields: plain hex on both sides, which may look like a number ("00000000"). */
const BYTES_FIELDS = new Set(['ipv6.opt.padn', 'ipv6.routing.src.reserved', 'ipv6.routing.mipv6.reserved', 'icmpv6.reserved']);

export function normalizeTshark(name: string, v: string): string | number | boolean {
  if (name.endsWith('checksum.status')) return STATUS[v] ?? v;
  if (BYTES_FIELDS.has(name)) return v;
  if (/^0x[0-9a-f]+$/i.test(v)) return parseInt(v, 16);
  if (/^-?\d+$/.test(v)) return Number(v);
  if (v === 'True') return true;
  if (v === 'False') return false;
  return v;
}

export function oursAsTshark(value: string | number | boolean): string | number | boolean {
  return typeof value === 'boolean' ? (value ? 1 : 0) : value;
}

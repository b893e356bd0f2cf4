/** Shared helpers for the link-layer protocol tests (vlan, arp, sll, null, raw). */
import { existsSync } from 'node:fs';
import type { Frame } from '../../src/capture/frame.js';
import { decodePacket } from '../../src/decode/bindings.js';
import type { Dissector } from '../../src/decode/dissector.js';
import type { FieldValue, Packet } from '../../src/decode/layer.js';

export const REAL = '/work/shared/traces/real';
export const haveReal = existsSync(REAL);
if (!haveReal) console.warn(`${REAL} is absent: corpus tests of the link-layer protocols are skipped`);

/** Bytes from hex text; whitespace and tcpdump's `0x0000:` offsets are ignored. */
export function hex(text: string): Uint8Array {
  const clean = text.replace(/0x[0-9a-f]{4}:/gi, '').replace(/[^0-9a-f]/gi, '');
  return Uint8Array.from(clean.match(/../g) ?? [], (h) => parseInt(h, 16));
}

export function frameOf(data: Uint8Array, linkType: number, origLen = data.length): Frame {
  return { number: 1, tsSec: 0, tsNsec: 0, origLen, data, linkType, interfaceId: 0, fileOffset: 0 };
}

export function decode(data: Uint8Array, linkType: number, origLen = data.length): Packet {
  return decodePacket(frameOf(data, linkType, origLen));
}

/** Layer protocol names, with `(status)` after damaged ones. */
export function protos(p: Packet): string {
  return p.layers.map((l) => l.proto + (l.status === 'ok' ? '' : `(${l.status})`)).join(':');
}

/** Every field of the packet (or of the layers of one protocol), repeats gathered in arrays. */
export function fieldsOf(p: Packet, proto?: string): Record<string, FieldValue | FieldValue[]> {
  const out: Record<string, FieldValue | FieldValue[]> = {};
  for (const l of p.layers) {
    if (proto && l.proto !== proto) continue;
    for (const f of l.fields()) {
      const prev = out[f.name];
      out[f.name] = prev === undefined ? f.value : Array.isArray(prev) ? [...prev, f.value] : [prev, f.value];
    }
  }
  return out;
}

/** A small deterministic PRNG (mulberry32), so a failing fuzz case can be replayed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Feeds random bytes (and random reported lengths) to a dissector and to the whole driver, touching
 * every field, the Info text and the endpoints; any throw fails the test that calls this.
 */
export function fuzz(dissector: Dissector, linkTypes: readonly number[], rounds = 3000, seed = 1): void {
  const r = rng(seed);
  for (let i = 0; i < rounds; i++) {
    const n = Math.floor(r() * 48);
    const data = Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
    // Bias some cases towards interesting values in the first bytes.
    if (n > 2 && r() < 0.3) data[r() < 0.5 ? 0 : 2] = [0x00, 0xff, 0x81, 0x88, 0x45, 0x60][Math.floor(r() * 6)]!;
    const offset = Math.floor(r() * Math.min(n + 1, 4));
    const reportedEnd = n + Math.floor(r() * 3) * Math.floor(r() * 20);
    const frame = frameOf(data, linkTypes[i % linkTypes.length]!, reportedEnd);
    const d = dissector(data, { offset, end: n, reportedEnd }, { frame, layers: [] });
    d.layer.fields();
    d.layer.info?.();
    d.layer.endpoints?.();
    if (d.payload.offset > d.payload.end || d.payload.end > n) throw new Error(`bad payload span ${JSON.stringify(d.payload)} for ${n} bytes`);
    for (const l of decodePacket(frame).layers) {
      l.fields();
      l.info?.();
      l.endpoints?.();
    }
  }
}

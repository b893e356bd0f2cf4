/** Byte builders for hand-made (and deliberately broken) capture files in tests. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function u16(v: number, le: boolean): Uint8Array {
  const b = new Uint8Array(2);
  new DataView(b.buffer).setUint16(0, v, le);
  return b;
}

export function u32(v: number, le: boolean): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, le);
  return b;
}

export const text = (s: string) => new TextEncoder().encode(s);
const pad = (b: Uint8Array) => concat(b, new Uint8Array((4 - (b.length % 4)) % 4));

export function pcapHeader(o: { le?: boolean; nanos?: boolean; major?: number; minor?: number; snapLen?: number; linkType?: number } = {}): Uint8Array {
  const le = o.le ?? true;
  return concat(
    u32(o.nanos ? 0xa1b23c4d : 0xa1b2c3d4, le),
    u16(o.major ?? 2, le),
    u16(o.minor ?? 4, le),
    u32(0, le),
    u32(0, le),
    u32(o.snapLen ?? 65535, le),
    u32(o.linkType ?? 1, le),
  );
}

export function pcapRecord(sec: number, frac: number, data: Uint8Array, origLen = data.length, le = true, capLen = data.length): Uint8Array {
  return concat(u32(sec, le), u32(frac, le), u32(capLen, le), u32(origLen, le), data);
}

export function opt(code: number, value: Uint8Array, le: boolean): Uint8Array {
  return concat(u16(code, le), u16(value.length, le), pad(value));
}

export const endOpt = (le: boolean) => u32(0, le);

/** A pcapng block with correct lengths unless overridden. */
export function block(type: number, body: Uint8Array, le: boolean, o: { len?: number; trailer?: number } = {}): Uint8Array {
  const len = 12 + pad(body).length;
  return concat(u32(type, le), u32(o.len ?? len, le), pad(body), u32(o.trailer ?? o.len ?? len, le));
}

export function shb(le: boolean, options: Uint8Array = new Uint8Array(0), major = 1, minor = 0): Uint8Array {
  return block(0x0a0d0d0a, concat(u32(0x1a2b3c4d, le), u16(major, le), u16(minor, le), u32(0xffffffff, le), u32(0xffffffff, le), options), le);
}

export function idb(le: boolean, linkType = 1, snapLen = 0, options: Uint8Array = new Uint8Array(0)): Uint8Array {
  return block(1, concat(u16(linkType, le), u16(0, le), u32(snapLen, le), options), le);
}

export function epb(le: boolean, ifId: number, high: number, low: number, data: Uint8Array, origLen = data.length, options: Uint8Array = new Uint8Array(0)): Uint8Array {
  return block(6, concat(u32(ifId, le), u32(high, le), u32(low, le), u32(data.length, le), u32(origLen, le), pad(data), options), le);
}

export function spb(le: boolean, origLen: number, data: Uint8Array): Uint8Array {
  return block(3, concat(u32(origLen, le), pad(data)), le);
}

export function bytes(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

let dir: string | undefined;
/** Writes `data` to a fresh temporary file and returns its path. */
export function tmpFile(name: string, data: Uint8Array | string): string {
  dir ??= mkdtempSync(join(tmpdir(), 'wirelens-capture-'));
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
}

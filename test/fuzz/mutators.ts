/**
 * Mutators: each takes the bytes of a capture (a seed, possibly already mutated) plus the seed's
 * layout and returns new bytes and a one-line description of exactly what was changed, so that a
 * failure report says more than "case 1234 failed". All writes are bounds-checked: after a mutation
 * that moved bytes the layout is stale, and a stale offset simply misses.
 */
import type { Rng } from './prng.js';
import type { RecordInfo, Seed } from './seeds.js';

export interface Mutation {
  bytes: Uint8Array;
  what: string;
}

export interface Mutator {
  name: string;
  /** Writes an absurd length somewhere the reader or a dissector trusts; checked for memory blow-ups. */
  absurd: boolean;
  weight: number;
  apply(b: Uint8Array, s: Seed, r: Rng): Mutation | undefined;
}

const hex = (v: number) => '0x' + (v >>> 0).toString(16);

/** Lengths that break naive readers: zero, tiny, off by one, sign bit, all ones, just over the caps. */
const ABSURD_U32 = [0, 1, 4, 11, 12, 13, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffc, 0xfffffff0, 0xffff, 0x10000, 0x40000, 0x40001, 0x4000000, 0x4000004, 0x3ffffffc];
const ABSURD_U16 = [0, 1, 2, 3, 4, 7, 8, 0x7fff, 0x8000, 0xfffe, 0xffff];

function put16(b: Uint8Array, o: number, v: number, le = false): boolean {
  if (o < 0 || o + 2 > b.length) return false;
  if (le) {
    b[o] = v & 0xff;
    b[o + 1] = (v >>> 8) & 0xff;
  } else {
    b[o] = (v >>> 8) & 0xff;
    b[o + 1] = v & 0xff;
  }
  return true;
}

function put32(b: Uint8Array, o: number, v: number, le: boolean): boolean {
  if (o < 0 || o + 4 > b.length) return false;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  dv.setUint32(o, v >>> 0, le);
  return true;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A length near `base` (off by a little) or an absurd one. */
function lengthFor(r: Rng, base: number, table: readonly number[]): number {
  return r.chance(0.3) ? Math.max(0, base + r.range(-8, 8)) : r.pick(table);
}

function pickRecord(s: Seed, r: Rng, b: Uint8Array, filter?: (rec: RecordInfo) => boolean): RecordInfo | undefined {
  const recs = s.records.filter((x) => x.dataStart + x.dataLen <= b.length && (!filter || filter(x)));
  return recs.length ? r.pick(recs) : undefined;
}

/**
 * Replaces the packet bytes of `rec` with `data`, fixing the record's own lengths so that the reader
 * gets the whole new packet (the mutation is meant for the dissectors, not the framing).
 */
function replaceFrameData(b: Uint8Array, rec: RecordInfo, data: Uint8Array, origLen = data.length): Uint8Array {
  const le = rec.le;
  if (rec.blockType === 0) {
    const hdr = b.slice(rec.at, rec.at + 16);
    put32(hdr, 8, data.length, le);
    put32(hdr, 12, Math.max(origLen, data.length), le);
    return concat(b.subarray(0, rec.at), hdr, data, b.subarray(rec.dataStart + rec.dataLen));
  }
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const oldLen = dv.getUint32(rec.at + 4, le);
  const pad = new Uint8Array((4 - (data.length % 4)) % 4);
  if (rec.blockType === 3) {
    const head = b.slice(rec.at, rec.at + 12);
    put32(head, 8, data.length, le);
    const len = 12 + data.length + pad.length + 4;
    put32(head, 4, len, le);
    const trailer = new Uint8Array(4);
    put32(trailer, 0, len, le);
    return concat(b.subarray(0, rec.at), head, data, pad, trailer, b.subarray(rec.at + oldLen));
  }
  const head = b.slice(rec.at, rec.at + 28);
  const opts = b.subarray(rec.dataStart + ((rec.dataLen + 3) & ~3), rec.at + oldLen - 4);
  const len = 28 + data.length + pad.length + opts.length + 4;
  put32(head, 4, len, le);
  put32(head, 20, data.length, le);
  put32(head, 24, Math.max(origLen, data.length), le);
  const trailer = new Uint8Array(4);
  put32(trailer, 0, len, le);
  return concat(b.subarray(0, rec.at), head, data, pad, opts, trailer, b.subarray(rec.at + oldLen));
}

/** Offset of the first packet record/block, i.e. where the file's own headers end. */
function headersEnd(s: Seed): number {
  if (s.records.length) return s.records[0]!.at;
  return s.format === 'pcap' ? 24 : (s.blocks[0]?.len ?? 0);
}

export const MUTATORS: readonly Mutator[] = [
  {
    name: 'byte-flip',
    absurd: false,
    weight: 5,
    apply(b, s, r) {
      const out = b.slice();
      const n = r.range(1, 8);
      const at: string[] = [];
      for (let i = 0; i < n; i++) {
        const rec = pickRecord(s, r, out);
        let o: number;
        if (rec && rec.dataLen > 0) o = rec.dataStart + (r.chance(0.7) ? r.int(Math.min(rec.dataLen, 80)) : r.int(rec.dataLen));
        else o = r.int(out.length);
        if (o >= out.length) continue;
        out[o] = r.chance(0.3) ? r.pick([0x00, 0xff, 0x7f, 0x80, 0x01, 0x1b, 0x0a]) : r.byte();
        at.push(`${hex(o)}=${hex(out[o]!)}`);
      }
      return { bytes: out, what: `bytes ${at.join(' ')}` };
    },
  },
  {
    name: 'bit-flip',
    absurd: false,
    weight: 4,
    apply(b, _s, r) {
      if (b.length === 0) return undefined;
      const out = b.slice();
      const n = r.range(1, 6);
      const at: string[] = [];
      for (let i = 0; i < n; i++) {
        const o = r.int(out.length);
        const bit = r.int(8);
        out[o] = out[o]! ^ (1 << bit);
        at.push(`${hex(o)}^${1 << bit}`);
      }
      return { bytes: out, what: `bit flips ${at.join(' ')}` };
    },
  },
  {
    name: 'cut',
    absurd: false,
    weight: 3,
    apply(b, s, r) {
      const rec = pickRecord(s, r, b);
      // Either anywhere, or inside a record (header, first bytes or anywhere in the packet).
      const cut = rec && r.chance(0.7) ? rec.at + r.int(rec.dataStart - rec.at + rec.dataLen + 1) : r.int(b.length + 1);
      return { bytes: b.slice(0, cut), what: `cut at ${hex(cut)} of ${hex(b.length)}` };
    },
  },
  {
    name: 'pcap-record-length',
    absurd: true,
    weight: 4,
    apply(b, s, r) {
      if (s.format !== 'pcap') return undefined;
      const rec = pickRecord(s, r, b);
      if (!rec) return undefined;
      const out = b.slice();
      const which = r.pick(['incl_len', 'orig_len', 'both'] as const);
      const v = lengthFor(r, rec.dataLen, ABSURD_U32);
      if (which !== 'orig_len') put32(out, rec.at + 8, v, rec.le);
      if (which !== 'incl_len') put32(out, rec.at + 12, which === 'both' && r.chance(0.5) ? r.pick(ABSURD_U32) : v, rec.le);
      return { bytes: out, what: `pcap ${which} of record at ${hex(rec.at)} := ${hex(v)}` };
    },
  },
  {
    name: 'pcap-file-header',
    absurd: true,
    weight: 1,
    apply(b, s, r) {
      if (s.format !== 'pcap' || b.length < 24) return undefined;
      const out = b.slice();
      const field = r.pick(['snaplen', 'linktype', 'version', 'magic'] as const);
      let v: number;
      if (field === 'snaplen') put32(out, 16, (v = r.pick(ABSURD_U32)), s.le);
      else if (field === 'linktype') put32(out, 20, (v = r.pick([0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 0xffff]) | (r.chance(0.5) ? r.int(16) * 0x10000000 + 0x04000000 : 0)), s.le);
      else if (field === 'version') put16(out, 6, (v = r.pick([0, 1, 2, 3, 4, 0xffff])), s.le);
      else put32(out, 0, (v = r.pick([0xa1b2c3d4, 0xa1b23c4d])), !s.le);
      return { bytes: out, what: `pcap file header ${field} := ${hex(v)}` };
    },
  },
  {
    name: 'pcapng-block-length',
    absurd: true,
    weight: 4,
    apply(b, s, r) {
      const blocks = s.blocks.filter((x) => x.at + x.len <= b.length);
      if (!blocks.length) return undefined;
      const blk = r.pick(blocks);
      const out = b.slice();
      const v = lengthFor(r, blk.len, ABSURD_U32);
      const which = r.pick(['leading', 'trailing', 'both'] as const);
      if (which !== 'trailing') put32(out, blk.at + 4, v, blk.le);
      if (which !== 'leading') put32(out, blk.at + blk.len - 4, v, blk.le);
      return { bytes: out, what: `pcapng ${which} length of block type ${hex(blk.type)} at ${hex(blk.at)} := ${hex(v)}` };
    },
  },
  {
    name: 'pcapng-option-length',
    absurd: true,
    weight: 3,
    apply(b, s, r) {
      const blocks = s.blocks.filter((x) => x.options.length && x.at + x.len <= b.length);
      if (!blocks.length) return undefined;
      const blk = r.pick(blocks);
      const o = r.pick(blk.options);
      const out = b.slice();
      const v = r.pick(ABSURD_U16);
      if (r.chance(0.3)) {
        // Also turn the option into one that is interpreted (comment, if_tsresol, if_tsoffset, if_fcslen …).
        put16(out, o, r.pick([1, 2, 3, 4, 9, 11, 12, 13, 14, 0xffff]), blk.le);
      }
      put16(out, o + 2, v, blk.le);
      return { bytes: out, what: `pcapng option at ${hex(o)} (block ${hex(blk.type)} at ${hex(blk.at)}) length := ${hex(v)}` };
    },
  },
  {
    name: 'pcapng-interface-option',
    absurd: true,
    weight: 2,
    apply(b, s, r) {
      // Values the timestamp and FCS arithmetic must survive: if_tsresol (9) of 2^-127 or 10^-127,
      // if_tsoffset (14) at the extremes of an int64, if_fcslen (13) of 255 bits.
      const idbs = s.blocks.filter((x) => x.type === 1 && x.at + x.len <= b.length);
      if (!idbs.length) return undefined;
      const blk = r.pick(idbs);
      const end = blk.at + blk.len - 4;
      const out = b.slice();
      const code = r.pick([9, 13, 14]);
      const value =
        code === 9 ? Uint8Array.of(r.pick([0, 1, 9, 10, 18, 19, 22, 23, 30, 63, 0x7f, 0x80, 0x81, 0xa0, 0xbf, 0xc0, 0xff]))
        : code === 13 ? Uint8Array.of(r.pick([0, 1, 7, 8, 32, 0x80, 0xff]))
        : r.pick([Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0x80), Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f), r.bytes(8), Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)]);
      // Overwrite the first option (or, when there is room only for the value, whatever is there).
      const o = blk.options[0] ?? blk.at + 16;
      const n = (value.length + 3) & ~3;
      if (o + 4 + n > end) return undefined;
      put16(out, o, code, blk.le);
      put16(out, o + 2, value.length, blk.le);
      out.fill(0, o + 4, o + 4 + n);
      out.set(value, o + 4);
      if (o + 4 + n + 4 <= end && r.chance(0.5)) put32(out, o + 4 + n, 0, blk.le);
      return { bytes: out, what: `IDB at ${hex(blk.at)}: option ${code} at ${hex(o)} := ${Array.from(value, (x) => x.toString(16).padStart(2, '0')).join('')}` };
    },
  },
  {
    name: 'pcapng-packet-length',
    absurd: true,
    weight: 2,
    apply(b, s, r) {
      const rec = pickRecord(s, r, b, (x) => x.blockType !== 0);
      if (!rec) return undefined;
      const out = b.slice();
      const v = lengthFor(r, rec.dataLen, ABSURD_U32);
      if (rec.blockType === 3) {
        put32(out, rec.at + 8, v, rec.le);
        return { bytes: out, what: `SPB original length at ${hex(rec.at)} := ${hex(v)}` };
      }
      const field = r.pick(['caplen', 'origlen', 'interface'] as const);
      put32(out, rec.at + (field === 'caplen' ? 20 : field === 'origlen' ? 24 : 8), field === 'interface' ? r.pick([1, 2, 3, 0xffff, 0xffffffff]) : v, rec.le);
      return { bytes: out, what: `EPB ${field} at ${hex(rec.at)} := ${hex(v)}` };
    },
  },
  {
    name: 'protocol-length',
    absurd: true,
    weight: 6,
    apply(b, s, r) {
      const targets: { rec: RecordInfo; proto: string; offset: number }[] = [];
      for (const rec of s.records) {
        if (rec.dataStart + rec.dataLen > b.length) continue;
        for (const l of rec.layers) if (FIELD_TARGETS[l.proto]) targets.push({ rec, proto: l.proto, offset: l.offset });
      }
      if (!targets.length) return undefined;
      const t = r.pick(targets);
      const out = b.slice();
      const what = FIELD_TARGETS[t.proto]!(out, t.rec.dataStart + t.offset, t.rec.dataStart + t.rec.dataLen, r);
      return what ? { bytes: out, what: `${t.proto} at frame offset ${t.offset} (file ${hex(t.rec.dataStart + t.offset)}): ${what}` } : undefined;
    },
  },
  {
    name: 'vlan-stack',
    absurd: true,
    weight: 2,
    apply(b, s, r) {
      const rec = pickRecord(s, r, b, (x) => x.layers[0]?.proto === 'eth' && x.dataLen >= 14);
      if (!rec) return undefined;
      const data = b.subarray(rec.dataStart, rec.dataStart + rec.dataLen);
      const n = r.pick([2, 3, 8, 23, 24, 25, 100, 1000]);
      const tags = new Uint8Array(n * 4);
      const tpids = [0x8100, 0x88a8, 0x9100];
      for (let i = 0; i < n; i++) {
        put16(tags, i * 4, r.int(0x10000));
        put16(tags, i * 4 + 2, i === n - 1 ? (data[12]! << 8) | data[13]! : r.pick(tpids));
      }
      const head = data.slice(0, 14);
      put16(head, 12, r.pick(tpids));
      const newData = concat(head, tags, data.subarray(14));
      return { bytes: replaceFrameData(b, rec, newData), what: `${n} stacked VLAN tags in the packet at ${hex(rec.at)}` };
    },
  },
  {
    name: 'ip-nesting',
    absurd: true,
    weight: 2,
    apply(b, s, r) {
      const rec = pickRecord(s, r, b, (x) => x.layers.some((l) => l.proto === 'ip' || l.proto === 'ipv6'));
      if (!rec) return undefined;
      const data = b.subarray(rec.dataStart, rec.dataStart + rec.dataLen);
      const l = rec.layers.find((x) => x.proto === 'ip' || x.proto === 'ipv6')!;
      const n = r.pick([2, 10, 17, 30, 200]);
      let inserted: Uint8Array;
      let what: string;
      if (l.proto === 'ip') {
        // IP-in-IP (RFC 2003) n deep: n copies of the header, each saying protocol 4.
        const hl = Math.min(Math.max(20, (data[l.offset]! & 0xf) * 4), data.length - l.offset);
        const hdr = data.slice(l.offset, l.offset + hl);
        if (hdr.length < 20) return undefined;
        hdr[9] = 4;
        inserted = new Uint8Array(n * hdr.length);
        for (let i = 0; i < n; i++) inserted.set(hdr, i * hdr.length);
        what = `${n} IPv4-in-IPv4 headers`;
      } else {
        // A chain of n empty Hop-by-Hop headers (RFC 8200 §4.3), walked before the real payload.
        if (l.offset + 40 > data.length) return undefined;
        const nh = data[l.offset + 6]!;
        inserted = new Uint8Array(n * 8);
        for (let i = 0; i < n; i++) inserted.set([i === n - 1 ? nh : r.pick([0, 60, 43]), 0, 1, 4, 0, 0, 0, 0], i * 8);
        what = `${n} IPv6 extension headers`;
      }
      const cut = l.proto === 'ip' ? l.offset : l.offset + 40;
      const head = data.slice(0, cut);
      if (l.proto === 'ipv6') head[l.offset + 6] = 0;
      const newData = concat(head, inserted, data.subarray(cut));
      return { bytes: replaceFrameData(b, rec, newData), what: `${what} in the packet at ${hex(rec.at)}` };
    },
  },
  {
    name: 'duplicate-range',
    absurd: false,
    weight: 3,
    apply(b, _s, r) {
      if (b.length < 2) return undefined;
      const from = r.int(b.length);
      const n = Math.min(b.length - from, r.range(1, r.chance(0.5) ? 32 : 2048));
      const to = r.int(b.length + 1);
      const piece = b.slice(from, from + n);
      if (r.chance(0.5)) {
        const out = concat(b.subarray(0, to), piece, b.subarray(to));
        return { bytes: out, what: `inserted copy of [${hex(from)}, +${n}) at ${hex(to)}` };
      }
      const out = b.slice();
      out.set(piece.subarray(0, Math.max(0, out.length - to)), to);
      return { bytes: out, what: `overwrote at ${hex(to)} with copy of [${hex(from)}, +${n})` };
    },
  },
  {
    name: 'delete-range',
    absurd: false,
    weight: 1,
    apply(b, _s, r) {
      const from = r.int(b.length + 1);
      const n = r.range(1, 64);
      return { bytes: concat(b.subarray(0, from), b.subarray(Math.min(b.length, from + n))), what: `deleted [${hex(from)}, +${n})` };
    },
  },
  {
    name: 'garbage-after-headers',
    absurd: false,
    weight: 3,
    apply(b, s, r) {
      // Keep the file's headers and maybe some whole records, then random bytes.
      const keepRecords = r.chance(0.5) ? r.int(s.records.length + 1) : 0;
      const rec = s.records[keepRecords];
      const keep = Math.min(b.length, rec ? rec.at : keepRecords > 0 ? b.length : headersEnd(s));
      const n = r.pick([1, 3, 12, 16, 100, 1000, 5000]);
      const g = r.bytes(n);
      if (r.chance(0.3)) g.fill(0xff);
      return { bytes: concat(b.subarray(0, keep), g), what: `${n} bytes of garbage after ${hex(keep)}` };
    },
  },
];

/**
 * Absurd values for the length fields of the protocol headers, written at `at` (the layer's file
 * offset); `end` is the end of the packet bytes. Each returns what it did, or undefined.
 */
const FIELD_TARGETS: Record<string, (b: Uint8Array, at: number, end: number, r: Rng) => string | undefined> = {
  ip(b, at, end, r) {
    if (at + 4 > end) return undefined;
    if (r.chance(0.4)) {
      const ihl = r.int(16);
      b[at] = (b[at]! & 0xf0) | ihl;
      return `IHL := ${ihl}`;
    }
    const v = lengthFor(r, end - at, ABSURD_U16);
    put16(b, at + 2, v);
    return `total length := ${v}`;
  },
  ipv6(b, at, end, r) {
    if (at + 6 > end) return undefined;
    if (r.chance(0.3) && at + 42 <= end && [0, 43, 44, 60].includes(b[at + 6]!)) {
      const v = r.pick([0, 1, 0x7f, 0xff]);
      b[at + 41] = v;
      return `first extension header length := ${v}`;
    }
    const v = lengthFor(r, end - at - 40, ABSURD_U16);
    put16(b, at + 4, v);
    return `payload length := ${v}`;
  },
  tcp(b, at, end, r) {
    if (at + 13 > end) return undefined;
    if (r.chance(0.3) && at + 22 <= end) {
      // An option length of 0, 1 or past the header (RFC 9293 §3.1: length includes kind and length).
      const kind = r.pick([2, 3, 4, 5, 8, 30, 254]);
      const len = r.pick([0, 1, 2, 39, 40, 255]);
      b[at + 20] = kind;
      b[at + 21] = len;
      return `first option kind ${kind} length := ${len}`;
    }
    const off = r.int(16);
    b[at + 12] = (b[at + 12]! & 0x0f) | (off << 4);
    return `data offset := ${off}`;
  },
  udp(b, at, end, r) {
    if (at + 6 > end) return undefined;
    const v = lengthFor(r, end - at, ABSURD_U16);
    put16(b, at + 4, v);
    return `length := ${v}`;
  },
  icmpv6(b, at, end, r) {
    // The first ND option's length (in units of 8 octets) of an NS/NA/RS/RA/Redirect.
    const fixed: Record<number, number> = { 133: 8, 134: 16, 135: 24, 136: 24, 137: 40 };
    const f = fixed[b[at]!];
    if (f === undefined || at + f + 2 > end) return undefined;
    const v = r.pick([0, 1, 2, 0x7f, 0xff]);
    b[at + f + 1] = v;
    return `first ND option length := ${v}`;
  },
  arp(b, at, end, r) {
    if (at + 6 > end) return undefined;
    const which = r.int(2);
    const v = r.pick([0, 1, 16, 0x7f, 0xff]);
    b[at + 4 + which] = v;
    return `${which ? 'protocol' : 'hardware'} size := ${v}`;
  },
  sll(b, at, end, r) {
    // halen of SLL (offset 4, 16 bits) or SLL2 (offset 11, 8 bits): we cannot tell which here, so both.
    if (at + 12 > end) return undefined;
    const v = r.pick([0, 8, 9, 0xff]);
    if (r.chance(0.5)) put16(b, at + 4, v);
    else b[at + 11] = v;
    return `address length := ${v}`;
  },
  vlan(b, at, end, r) {
    if (at + 4 > end) return undefined;
    // The tag's type: another tag (a stack), or an 802.3 length field.
    const v = r.pick([0x8100, 0x88a8, 0x9100, 0x0000, 0x05dc, 0x05dd]);
    put16(b, at + 2, v);
    return `inner type := ${hex(v)}`;
  },
};

function pickMutator(r: Rng): Mutator {
  let total = 0;
  for (const m of MUTATORS) total += m.weight;
  let x = r.next() * total;
  for (const m of MUTATORS) {
    x -= m.weight;
    if (x < 0) return m;
  }
  return MUTATORS[0]!;
}

export interface MutatedCase {
  bytes: Uint8Array;
  /** What was done, mutator by mutator. */
  steps: string[];
  absurd: boolean;
}

/** One to three mutations of `seed`, all decided by `r`. `only` forces the first mutator. */
export function mutate(seed: Seed, r: Rng, only?: string): MutatedCase {
  let bytes = seed.bytes;
  const steps: string[] = [];
  let absurd = false;
  const rounds = r.chance(0.7) ? 1 : r.range(2, 3);
  for (let i = 0; i < rounds; i++) {
    let m = i === 0 && only ? MUTATORS.find((x) => x.name === only)! : pickMutator(r);
    let res = m.apply(bytes, seed, r);
    if (!res) {
      m = MUTATORS[0]!;
      res = m.apply(bytes, seed, r)!;
    }
    absurd ||= m.absurd;
    bytes = res.bytes;
    steps.push(`${m.name}: ${res.what}`);
  }
  return { bytes, steps, absurd };
}

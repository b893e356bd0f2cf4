/**
 * pcapng writer (draft-ietf-opsawg-pcapng): one section (SHB with shb_userappl), any number of
 * interfaces (IDBs), and packets as Enhanced Packet Blocks with their opt_comment values, so notes
 * added in wirelens show up as packet comments in Wireshark.
 */
import { WirelensError } from '../errors.js';
import { ByteOutput, memorySink, splitUnits, type ByteSink } from './byte-output.js';
import type { Frame, InterfaceInfo } from './frame.js';
import type { WritableFrame } from './pcap-writer.js';
import { DEFAULT_SNAPLEN } from './pcap-writer.js';
import {
  BT_EPB,
  BT_IDB,
  BT_ISB,
  BT_SHB,
  BYTE_ORDER_MAGIC,
  IF_DESCRIPTION,
  IF_FCSLEN,
  IF_FILTER,
  IF_NAME,
  IF_OS,
  IF_TSOFFSET,
  IF_TSRESOL,
  ISB_ENDTIME,
  ISB_IFDROP,
  ISB_IFRECV,
  ISB_OSDROP,
  ISB_STARTTIME,
  ISB_USRDELIV,
  OPT_COMMENT,
  OPT_ENDOFOPT,
  SHB_HARDWARE,
  SHB_OS,
  SHB_USERAPPL,
} from './pcapng.js';

export const WIRELENS_USERAPPL = 'wirelens 0.1.0';

export interface PcapngWriterOptions {
  bigEndian?: boolean;
  /** shb_comment values. */
  comments?: readonly string[];
  hardware?: string;
  os?: string;
  /** Default 'wirelens 0.1.0'. */
  userAppl?: string;
}

/** An interface to declare; InterfaceInfo from a reader qualifies. */
export interface InterfaceSpec {
  linkType: number;
  /** Default 262144. */
  snapLen?: number;
  name?: string;
  description?: string;
  filter?: string;
  os?: string;
  /** Timestamp units per second: a power of 10 or of 2. Default 1e9 (if_tsresol 9). */
  tsResolution?: number;
  /** if_tsoffset seconds: written timestamps are relative to it. */
  tsOffset?: number;
  fcsLength?: number;
  /** opt_comment values. */
  comments?: readonly string[];
}

/** What an Interface Statistics Block says; counts left undefined are not written. */
export interface StatisticsSpec {
  interfaceId: number;
  /** When the statistics were taken. */
  tsSec: number;
  tsNsec: number;
  start?: { tsSec: number; tsNsec: number };
  end?: { tsSec: number; tsNsec: number };
  /** isb_ifrecv, isb_ifdrop, isb_osdrop, isb_usrdeliv. */
  ifRecv?: number;
  ifDrop?: number;
  osDrop?: number;
  usrDeliv?: number;
  comments?: readonly string[];
}

interface Iface {
  units: number;
  tsOffset: number;
  nsPerUnit: number;
  /** Cache for `units`: the second last converted and its unit count (sec * units) as 32-bit words. */
  baseSec: number;
  baseHigh: number;
  baseLow: number;
}

interface Option {
  code: number;
  value: Uint8Array;
}

const enc = new TextEncoder();
const pad4 = (n: number) => (n + 3) & ~3;

/** if_tsresol byte for a resolution, or undefined when it is neither 10^k nor 2^k. */
export function tsresolByte(units: number): number | undefined {
  for (let k = 0; k <= 18; k++) if (10 ** k === units) return k;
  for (let k = 1; k <= 63; k++) if (2 ** k === units) return 0x80 | k;
  return undefined;
}

export class PcapngWriter {
  private readonly out: ByteOutput;
  private readonly le: boolean;
  private readonly ifaces: Iface[] = [];
  framesWritten = 0;

  constructor(sink: ByteSink, options: PcapngWriterOptions = {}) {
    this.out = new ByteOutput(sink);
    this.le = !options.bigEndian;
    const opts: Option[] = [];
    for (const c of options.comments ?? []) opts.push({ code: OPT_COMMENT, value: enc.encode(c) });
    if (options.hardware !== undefined) opts.push({ code: SHB_HARDWARE, value: enc.encode(options.hardware) });
    if (options.os !== undefined) opts.push({ code: SHB_OS, value: enc.encode(options.os) });
    opts.push({ code: SHB_USERAPPL, value: enc.encode(options.userAppl ?? WIRELENS_USERAPPL) });
    this.block(BT_SHB, 16, opts, (dv, p) => {
      dv.setUint32(p, BYTE_ORDER_MAGIC, this.le);
      dv.setUint16(p + 4, 1, this.le);
      dv.setUint16(p + 6, 0, this.le);
      // Section length unknown (-1): we stream, so it is not known when the SHB is written.
      dv.setInt32(p + 8, -1, this.le);
      dv.setInt32(p + 12, -1, this.le);
    });
  }

  /** Declares an interface (writes its IDB); returns its id for `writeFrame`. */
  addInterface(spec: InterfaceSpec): number {
    const units = spec.tsResolution ?? 1e9;
    const resol = tsresolByte(units);
    if (resol === undefined) {
      throw new WirelensError('WL_ERR_USAGE', `pcapng timestamp resolution must be a power of 10 or 2, not ${units} units/s`);
    }
    const le = this.le;
    const opts: Option[] = [];
    const str = (code: number, v: string | undefined) => {
      if (v !== undefined) opts.push({ code, value: enc.encode(v) });
    };
    for (const c of spec.comments ?? []) opts.push({ code: OPT_COMMENT, value: enc.encode(c) });
    str(IF_NAME, spec.name);
    str(IF_DESCRIPTION, spec.description);
    opts.push({ code: IF_TSRESOL, value: Uint8Array.of(resol) });
    if (spec.filter !== undefined) {
      // Leading 0: the filter is a libpcap filter string.
      const f = enc.encode(spec.filter);
      const v = new Uint8Array(f.length + 1);
      v.set(f, 1);
      opts.push({ code: IF_FILTER, value: v });
    }
    str(IF_OS, spec.os);
    if (spec.fcsLength !== undefined) opts.push({ code: IF_FCSLEN, value: Uint8Array.of(spec.fcsLength * 8) });
    const tsOffset = spec.tsOffset ?? 0;
    if (tsOffset !== 0) {
      const v = new Uint8Array(8);
      const dv = new DataView(v.buffer);
      const hi = Math.floor(tsOffset / 4294967296);
      const lo = tsOffset - hi * 4294967296;
      dv.setInt32(le ? 4 : 0, hi, le);
      dv.setUint32(le ? 0 : 4, lo, le);
      opts.push({ code: IF_TSOFFSET, value: v });
    }
    this.block(BT_IDB, 8, opts, (dv, p) => {
      dv.setUint16(p, spec.linkType, le);
      dv.setUint16(p + 2, 0, le);
      dv.setUint32(p + 4, spec.snapLen ?? DEFAULT_SNAPLEN, le);
    });
    const nsPerUnit = units <= 1e9 && Number.isInteger(1e9 / units) ? 1e9 / units : 0;
    this.ifaces.push({ units, tsOffset, nsPerUnit, baseSec: -1, baseHigh: 0, baseLow: 0 });
    return this.ifaces.length - 1;
  }

  /** Writes one packet as an EPB on interface `f.interfaceId` (default 0). */
  writeFrame(f: WritableFrame): void {
    const id = f.interfaceId ?? 0;
    const iface = this.ifaces[id];
    if (!iface) {
      throw new WirelensError('WL_ERR_USAGE', `pcapng writer: frame on interface ${id}, but only ${this.ifaces.length} declared`);
    }
    const data = f.data;
    const n = data.length;
    const comments = f.comments;
    const ncomments = comments ? comments.length : 0;
    // Comments are encoded straight into the output, so their byte length is known only after;
    // room is made for the worst case, 3 UTF-8 bytes per UTF-16 code unit.
    let room = 32 + pad4(n);
    for (let i = 0; i < ncomments; i++) {
      const c = comments![i]!;
      room += 4 + pad4(typeof c === 'string' ? 3 * c.length : c.maxBytes);
    }
    if (ncomments > 0) room += 4;
    const o = this.out;
    o.reserve(room);
    const dv = o.dv;
    const buf = o.buf;
    const le = this.le;
    const start = o.pos;
    let p = start;
    dv.setUint32(p, BT_EPB, le);
    dv.setUint32(p + 8, id, le);
    this.units(f.tsSec - iface.tsOffset, f.tsNsec, iface, dv, p + 12);
    dv.setUint32(p + 20, n, le);
    dv.setUint32(p + 24, f.origLen ?? n, le);
    buf.set(data, p + 28);
    p += 28 + n;
    // Padding must be zero (pcapng §3.1); a reused chunk still holds the bytes of earlier records.
    while (p & 3) buf[p++] = 0;
    if (ncomments > 0) {
      for (let i = 0; i < ncomments; i++) {
        const c = comments![i]!;
        const len = typeof c === 'string' ? o.utf8(c, p + 4) : c.encodeInto(buf, p + 4);
        dv.setUint16(p, OPT_COMMENT, le);
        dv.setUint16(p + 2, len, le);
        p += 4 + len;
        while (p & 3) buf[p++] = 0;
      }
      dv.setUint32(p, 0, le);
      p += 4;
    }
    const total = p + 4 - start;
    dv.setUint32(start + 4, total, le);
    dv.setUint32(p, total, le);
    o.pos = p + 4;
    this.framesWritten++;
  }

  /**
   * Writes an Interface Statistics Block (pcapng §4.6) for `interfaceId`, timestamped `tsSec.tsNsec`
   * in that interface's units: how a live capture records what it received and dropped.
   */
  writeStatistics(s: StatisticsSpec): void {
    const iface = this.ifaces[s.interfaceId];
    if (!iface) {
      throw new WirelensError('WL_ERR_USAGE', `pcapng writer: statistics for interface ${s.interfaceId}, but only ${this.ifaces.length} declared`);
    }
    const le = this.le;
    const opts: Option[] = [];
    for (const c of s.comments ?? []) opts.push({ code: OPT_COMMENT, value: enc.encode(c) });
    const stamp = (code: number, t: { tsSec: number; tsNsec: number } | undefined) => {
      if (!t) return;
      const v = new Uint8Array(8);
      // Same layout as the block's own timestamp: high word first, in the section's byte order.
      this.units(t.tsSec - iface.tsOffset, t.tsNsec, iface, new DataView(v.buffer), 0);
      opts.push({ code, value: v });
    };
    const count = (code: number, n: number | undefined) => {
      if (n === undefined) return;
      const v = new Uint8Array(8);
      new DataView(v.buffer).setBigUint64(0, BigInt(n), le);
      opts.push({ code, value: v });
    };
    stamp(ISB_STARTTIME, s.start);
    stamp(ISB_ENDTIME, s.end);
    count(ISB_IFRECV, s.ifRecv);
    count(ISB_IFDROP, s.ifDrop);
    count(ISB_OSDROP, s.osDrop);
    count(ISB_USRDELIV, s.usrDeliv);
    const ts = new Uint8Array(8);
    this.units(s.tsSec - iface.tsOffset, s.tsNsec, iface, new DataView(ts.buffer), 0);
    this.block(BT_ISB, 12, opts, (dv, p) => {
      dv.setUint32(p, s.interfaceId, le);
      new Uint8Array(dv.buffer, dv.byteOffset + p + 4, 8).set(ts);
    });
  }

  flush(): void {
    this.out.flush();
  }

  close(): void {
    this.out.flush();
  }

  /** Writes the timestamp in the interface's units at `at`, high word first (pcapng §4.3), without a tuple per frame. */
  private units(sec: number, nsec: number, iface: Iface, dv: DataView, at: number): void {
    const R = iface.units;
    if (sec < 0) throw new WirelensError('WL_ERR_USAGE', `pcapng writer: timestamp ${sec}.${nsec} is before the epoch`);
    // Units coarser than 1 ns truncate; for units that do not divide a second into whole ns (2^-k),
    // rounding recovers exactly the unit count a reader turned into floor(units * 1e9 / R) ns.
    let frac = iface.nsPerUnit !== 0 ? Math.floor(nsec / iface.nsPerUnit) : Math.round((nsec * R) / 1e9);
    if (frac >= R) {
      sec += 1;
      frac -= R;
    }
    // The exact-integer path. Besides small fractions it covers every whole-ns timestamp when a unit
    // is a whole number of ns (1e9/R): frac is then exactly the floor(nsec * R / 1e9) the BigInt
    // fallback computes, which was the path most timestamps took — and a BigInt chain per frame.
    const wholeNs = iface.nsPerUnit !== 0 && nsec >= 0 && nsec < 1e9 && Number.isInteger(nsec) && Number.isInteger(sec);
    if (R <= 4294967296 && (wholeNs || frac * 1e9 <= Number.MAX_SAFE_INTEGER)) {
      // sec * R split once per second of capture time; frac < R <= 2^32 carries at most once.
      if (sec !== iface.baseSec) {
        [iface.baseHigh, iface.baseLow] = splitUnits(sec, R, 0);
        iface.baseSec = sec;
      }
      const low = iface.baseLow + frac;
      const carry = low >= 4294967296 ? 1 : 0;
      dv.setUint32(at, iface.baseHigh + carry, this.le);
      dv.setUint32(at + 4, low - carry * 4294967296, this.le);
      return;
    }
    const t = BigInt(sec) * BigInt(R) + (BigInt(nsec) * BigInt(R)) / 1000000000n;
    dv.setUint32(at, Number(t >> 32n), this.le);
    dv.setUint32(at + 4, Number(t & 0xffffffffn), this.le);
  }

  private option(dv: DataView, buf: Uint8Array, p: number, code: number, value: Uint8Array): number {
    dv.setUint16(p, code, this.le);
    dv.setUint16(p + 2, value.length, this.le);
    buf.set(value, p + 4);
    p += 4 + value.length;
    while (p & 3) buf[p++] = 0;
    return p;
  }

  /** Writes a non-packet block: `fixed` bytes filled by `body`, then options and opt_endofopt. */
  private block(type: number, fixed: number, opts: Option[], body: (dv: DataView, p: number) => void): void {
    for (const o of opts) {
      if (o.value.length > 0xffff) throw new WirelensError('WL_ERR_USAGE', `pcapng option ${o.code} is longer than 65535 bytes`);
    }
    let optLen = 0;
    for (const o of opts) optLen += 4 + pad4(o.value.length);
    if (opts.length > 0) optLen += 4;
    const total = 12 + fixed + optLen;
    const out = this.out;
    out.reserve(total);
    const dv = out.dv;
    let p = out.pos;
    dv.setUint32(p, type, this.le);
    dv.setUint32(p + 4, total, this.le);
    body(dv, p + 8);
    p += 8 + fixed;
    for (const o of opts) p = this.option(dv, out.buf, p, o.code, o.value);
    if (opts.length > 0) {
      dv.setUint32(p, OPT_ENDOFOPT, this.le);
      p += 4;
    }
    dv.setUint32(p, total, this.le);
    out.pos = p + 4;
  }
}

/** A whole pcapng file in memory: one IDB per entry of `interfaces`, then the frames. */
export function encodePcapng(
  frames: Iterable<WritableFrame | Frame>,
  interfaces: readonly (InterfaceSpec | InterfaceInfo)[],
  options?: PcapngWriterOptions,
): Uint8Array {
  const m = memorySink();
  const w = new PcapngWriter(m.sink, options);
  for (const i of interfaces) w.addInterface(i);
  for (const f of frames) w.writeFrame(f);
  w.close();
  return m.bytes();
}

/**
 * pcapng (draft-ietf-opsawg-pcapng): a sequence of blocks `type(4) length(4) body length(4)`, the
 * length repeated at the end so a reader can walk backwards. A file is one or more sections, each
 * opened by a Section Header Block that fixes the byte order of everything up to the next SHB.
 *
 * Interface ids in packet blocks are local to their section; `Frame.interfaceId` is the index over
 * all IDBs of the file (section base + local id), so it also indexes `interfaces`.
 *
 * Framing errors (bad block length) stop reading: past one, block boundaries cannot be trusted.
 * Content errors inside a well-framed block (unknown interface, an option running past its block)
 * are warnings and the block is skipped or used as far as it can be.
 */
import type { Frame, InterfaceInfo } from './frame.js';
import { WirelensError, type ErrorCode } from '../errors.js';
import { utf8, type FormatParser, type InterfaceStatistics, type SectionInfo, type WarningList } from './format.js';

export const BT_SHB = 0x0a0d0d0a;
export const BT_IDB = 0x00000001;
/** Obsolete Packet Block (pcapng §B, replaced by the EPB); still written by old tools. */
export const BT_PB = 0x00000002;
export const BT_SPB = 0x00000003;
export const BT_NRB = 0x00000004;
export const BT_ISB = 0x00000005;
export const BT_EPB = 0x00000006;
export const BT_DSB = 0x0000000a;
export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

export const OPT_ENDOFOPT = 0;
export const OPT_COMMENT = 1;
export const SHB_HARDWARE = 2;
export const SHB_OS = 3;
export const SHB_USERAPPL = 4;
export const IF_NAME = 2;
export const IF_DESCRIPTION = 3;
export const IF_TSRESOL = 9;
export const IF_FILTER = 11;
export const IF_OS = 12;
export const IF_FCSLEN = 13;
export const IF_TSOFFSET = 14;
export const ISB_STARTTIME = 2;
export const ISB_ENDTIME = 3;
export const ISB_IFRECV = 4;
export const ISB_IFDROP = 5;
export const ISB_FILTERACCEPT = 6;
export const ISB_OSDROP = 7;
export const ISB_USRDELIV = 8;

const SHB_MIN = 28;
const IDB_MIN = 20;
const EPB_MIN = 32;
const PB_MIN = 32;
const SPB_MIN = 16;
const ISB_MIN = 24;
/** Blocks above this are taken as corruption rather than buffered (Wireshark caps blocks similarly). */
export const PCAPNG_MAX_BLOCK = 64 * 1024 * 1024;
const TWO32 = 4294967296;
/** Below 2^21 in the high word, a 64-bit unit count is below 2^53 and exact as a double. */
const SAFE_HIGH = 0x200000;
/** Long division in 16-bit limbs stays exact while units-per-second is at most 2^37. */
const LIMB_MAX_UNITS = 2 ** 37;

/** Per-interface state the hot path needs, derived once from the IDB. */
interface IfaceState {
  global: number;
  linkType: number;
  snapLen: number;
  fcsLength: number | undefined;
  /** Units per second as a number (exact for powers of 2 and 10^0..10^22). */
  units: number;
  unitsBig: bigint;
  /** Nanoseconds per unit when a unit is a whole number of ns (R divides 1e9), else 0. */
  nsPerUnit: number;
  tsOffset: number;
}

interface SectionState {
  info: SectionInfo;
  le: boolean;
  ifaces: IfaceState[];
}

const DEFAULT_UNITS = 1e6;

function makeIfaceState(global: number, linkType: number, snapLen: number): IfaceState {
  return {
    global,
    linkType,
    snapLen,
    fcsLength: undefined,
    units: DEFAULT_UNITS,
    unitsBig: 1000000n,
    nsPerUnit: 1000,
    tsOffset: 0,
  };
}

function stripNul(s: string): string {
  let e = s.length;
  while (e > 0 && s.charCodeAt(e - 1) === 0) e--;
  return e === s.length ? s : s.slice(0, e);
}

export class PcapngParser implements FormatParser {
  readonly format = 'pcapng' as const;
  readonly interfaces: InterfaceInfo[] = [];
  readonly sections: SectionInfo[] = [];
  readonly statistics: InterfaceStatistics[] = [];
  framesRead = 0;
  need = 12;
  stopped = false;

  private readonly states: SectionState[] = [];
  private cur: SectionState | undefined;
  /** Result of the last timestamp conversion (avoids an object per packet). */
  private tSec = 0;
  private tNsec = 0;

  constructor(
    private readonly name: string,
    private readonly warnings: WarningList,
  ) {}

  header(buf: Uint8Array, pos: number, end: number, baseOffset: number): number {
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    if (end - pos < 12) {
      this.need = 12;
      return -1;
    }
    if (dv.getUint32(pos, true) !== BT_SHB) {
      throw new WirelensError('WL_ERR_NOT_A_CAPTURE', `${this.name}: not a pcapng file`, baseOffset + pos);
    }
    const le = this.byteOrder(dv, pos);
    if (le === undefined) {
      throw new WirelensError(
        'WL_ERR_NOT_A_CAPTURE',
        `${this.name}: pcapng section header at offset ${baseOffset + pos} has no valid byte-order magic`,
        baseOffset + pos,
      );
    }
    const len = dv.getUint32(pos + 4, le);
    const bad = this.framingProblem(dv, pos, end, len, le, baseOffset);
    if (bad === 'need') return -1;
    if (bad) throw new WirelensError('WL_ERR_PCAPNG_BLOCK_LENGTH', `${this.name}: ${bad}`, baseOffset + pos);
    const problem = this.section(dv, buf, pos, len, le, baseOffset);
    if (problem) throw new WirelensError(problem.code, `${this.name}: ${problem.message}`, baseOffset + pos);
    this.need = 12;
    return pos + len;
  }

  parse(buf: Uint8Array, pos: number, end: number, baseOffset: number, out: Frame[]): number {
    if (this.stopped) return pos;
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    while (true) {
      if (end - pos < 12) {
        this.need = 12;
        break;
      }
      let le = this.cur!.le;
      const type = dv.getUint32(pos, le);
      if (type === BT_SHB) {
        const bom = this.byteOrder(dv, pos);
        if (bom === undefined) {
          this.stop('WL_ERR_PCAPNG_BAD_BLOCK', `section header at offset ${baseOffset + pos} has no valid byte-order magic`, baseOffset + pos);
          break;
        }
        le = bom;
      }
      const len = dv.getUint32(pos + 4, le);
      const bad = this.framingProblem(dv, pos, end, len, le, baseOffset);
      if (bad === 'need') break;
      if (bad) {
        this.stop('WL_ERR_PCAPNG_BLOCK_LENGTH', bad, baseOffset + pos);
        break;
      }
      switch (type) {
        case BT_EPB:
          this.packetBlock(dv, buf, pos, len, baseOffset, out, false);
          break;
        case BT_SPB:
          this.simplePacket(dv, buf, pos, len, baseOffset, out);
          break;
        case BT_PB:
          this.packetBlock(dv, buf, pos, len, baseOffset, out, true);
          break;
        case BT_IDB:
          this.interfaceBlock(dv, buf, pos, len, baseOffset);
          break;
        case BT_ISB:
          this.statisticsBlock(dv, buf, pos, len, baseOffset);
          break;
        case BT_SHB: {
          const problem = this.section(dv, buf, pos, len, le, baseOffset);
          if (problem) {
            this.stop(problem.code, problem.message, baseOffset + pos);
            return pos;
          }
          break;
        }
        default:
          // NRB, DSB, custom blocks (0x0BAD / 0x40000BAD) and unknown types carry no packets.
          break;
      }
      pos += len;
    }
    return pos;
  }

  finish(fileOffset: number, leftover: number): void {
    if (leftover === 0 || this.stopped) return;
    this.stopped = true;
    this.warnings.add(
      'WL_ERR_TRUNCATED_FILE',
      `${this.name}: file cut short in the middle of a block at offset ${fileOffset} (${leftover} of ` +
        `${this.need} bytes present; frame ${this.framesRead + 1} would come next); ${this.framesRead} frames were read`,
      fileOffset,
      this.framesRead + 1,
    );
  }

  readonly recordHeaderLength = 12;

  recordLength(head: Uint8Array, fileOffset: number): number {
    const st = this.sectionAt(fileOffset);
    if (!st || head.length < 8) return -1;
    const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
    const len = dv.getUint32(4, st.le);
    return len < 12 || len % 4 !== 0 || len > PCAPNG_MAX_BLOCK ? -1 : len;
  }

  decodeRecord(buf: Uint8Array, fileOffset: number, number: number): Frame | undefined {
    const st = this.sectionAt(fileOffset);
    if (!st || buf.length < 12) return undefined;
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const type = dv.getUint32(0, st.le);
    const len = dv.getUint32(4, st.le);
    if ((type !== BT_EPB && type !== BT_SPB && type !== BT_PB) || len > buf.length || len < 12) return undefined;
    const saved = { cur: this.cur, n: this.framesRead, stopped: this.stopped };
    this.cur = st;
    this.framesRead = number - 1;
    const out: Frame[] = [];
    if (type === BT_SPB) this.simplePacket(dv, buf, 0, len, fileOffset, out);
    else this.packetBlock(dv, buf, 0, len, fileOffset, out, type === BT_PB);
    this.cur = saved.cur;
    this.framesRead = saved.n;
    this.stopped = saved.stopped;
    return out[0];
  }

  /** The section a file offset belongs to (sections are in file order). */
  private sectionAt(fileOffset: number): SectionState | undefined {
    let found: SectionState | undefined;
    for (const s of this.states) if (s.info.fileOffset <= fileOffset) found = s;
    return found;
  }

  private stop(code: ErrorCode, message: string, fileOffset: number): void {
    this.stopped = true;
    this.warnings.add(
      code,
      `${this.name}: ${message}; reading stopped there after ${this.framesRead} frames`,
      fileOffset,
      this.framesRead + 1,
    );
  }

  private warn(code: ErrorCode, message: string, fileOffset: number, frame?: number): void {
    this.warnings.add(code, `${this.name}: ${message}`, fileOffset, frame);
  }

  private byteOrder(dv: DataView, pos: number): boolean | undefined {
    if (dv.getUint32(pos + 8, true) === BYTE_ORDER_MAGIC) return true;
    if (dv.getUint32(pos + 8, false) === BYTE_ORDER_MAGIC) return false;
    return undefined;
  }

  /** Checks a block's leading and trailing lengths (pcapng §3.1). Returns 'need' when not all here. */
  private framingProblem(dv: DataView, pos: number, end: number, len: number, le: boolean, base: number): string | undefined {
    const at = base + pos;
    if (len < 12 || len % 4 !== 0 || len > PCAPNG_MAX_BLOCK) {
      return (
        `bad block length ${len} at offset ${at} ` +
        `(a block length must be a multiple of 4, at least 12 and at most ${PCAPNG_MAX_BLOCK})`
      );
    }
    if (end - pos < len) {
      this.need = len;
      return 'need';
    }
    const trailer = dv.getUint32(pos + len - 4, le);
    if (trailer !== len) {
      return `block at offset ${at} has trailing length ${trailer} but leading length ${len}`;
    }
    return undefined;
  }

  /** Starts a section; returns the problem when it cannot be used (too short, version not 1.x). */
  private section(dv: DataView, buf: Uint8Array, pos: number, len: number, le: boolean, base: number): { code: ErrorCode; message: string } | undefined {
    if (len < SHB_MIN) {
      return { code: 'WL_ERR_PCAPNG_BAD_BLOCK', message: `section header at offset ${base + pos} is only ${len} bytes long` };
    }
    const major = dv.getUint16(pos + 12, le);
    const minor = dv.getUint16(pos + 14, le);
    if (major !== 1) {
      return {
        code: 'WL_ERR_PCAPNG_VERSION',
        message: `pcapng section at offset ${base + pos} has version ${major}.${minor} (wirelens reads version 1.x)`,
      };
    }
    const info: SectionInfo = {
      fileOffset: base + pos,
      littleEndian: le,
      versionMajor: major,
      versionMinor: minor,
      firstInterface: this.interfaces.length,
      interfaceCount: 0,
      comments: [],
    };
    const st: SectionState = { info, le, ifaces: [] };
    this.states.push(st);
    this.sections.push(info);
    this.cur = st;
    this.options(dv, buf, pos, pos + 24, pos + len - 4, base, 'section header', (code, v, n) => {
      const s = () => stripNul(utf8.decode(buf.subarray(v, v + n)));
      if (code === OPT_COMMENT) info.comments.push(s());
      else if (code === SHB_HARDWARE) info.hardware = s();
      else if (code === SHB_OS) info.os = s();
      else if (code === SHB_USERAPPL) info.userAppl = s();
    });
    return undefined;
  }

  private interfaceBlock(dv: DataView, buf: Uint8Array, pos: number, len: number, base: number): void {
    const st = this.cur!;
    if (len < IDB_MIN) {
      // Still counted so that later ids in this section keep pointing at the right IDBs.
      this.warn('WL_ERR_PCAPNG_BAD_BLOCK', `interface description block at offset ${base + pos} is only ${len} bytes long`, base + pos);
    }
    const le = st.le;
    const linkType = len >= IDB_MIN ? dv.getUint16(pos + 8, le) : 0;
    const snapLen = len >= IDB_MIN ? dv.getUint32(pos + 12, le) : 0;
    const global = this.interfaces.length;
    const info: InterfaceInfo = { linkType, snapLen, tsResolution: DEFAULT_UNITS, tsOffset: 0 };
    const state = makeIfaceState(global, linkType, snapLen);
    if (len >= IDB_MIN) {
      this.options(dv, buf, pos, pos + 16, pos + len - 4, base, 'interface description block', (code, v, n) => {
        const s = () => stripNul(utf8.decode(buf.subarray(v, v + n)));
        switch (code) {
          case OPT_COMMENT:
            (info.comments ??= []).push(s());
            break;
          case IF_NAME:
            info.name = s();
            break;
          case IF_DESCRIPTION:
            info.description = s();
            break;
          case IF_OS:
            info.os = s();
            break;
          case IF_FILTER:
            // First byte says what follows; 0 is a libpcap filter string (BPF bytecode is not text).
            if (n >= 1 && buf[v] === 0) info.filter = stripNul(utf8.decode(buf.subarray(v + 1, v + n)));
            break;
          case IF_TSRESOL:
            if (n >= 1) setResolution(state, buf[v]!);
            break;
          case IF_TSOFFSET:
            if (n >= 8) {
              const hi = le ? dv.getInt32(v + 4, true) : dv.getInt32(v, false);
              const lo = le ? dv.getUint32(v, true) : dv.getUint32(v + 4, false);
              state.tsOffset = hi * TWO32 + lo;
            }
            break;
          case IF_FCSLEN:
            // The IDB counts FCS bits (Wireshark MR 13008); a value below 8 can only be a byte count.
            if (n >= 1) state.fcsLength = buf[v]! >= 8 ? buf[v]! >> 3 : buf[v]!;
            break;
        }
      });
    }
    info.tsResolution = state.units;
    info.tsOffset = state.tsOffset;
    if (state.fcsLength !== undefined) info.fcsLength = state.fcsLength;
    this.interfaces.push(info);
    st.ifaces.push(state);
    st.info.interfaceCount++;
  }

  private packetBlock(dv: DataView, buf: Uint8Array, pos: number, len: number, base: number, out: Frame[], obsolete: boolean): void {
    const kind = obsolete ? 'packet block' : 'enhanced packet block';
    if (len < (obsolete ? PB_MIN : EPB_MIN)) {
      this.warn('WL_ERR_PCAPNG_BAD_BLOCK', `${kind} at offset ${base + pos} is only ${len} bytes long; skipped`, base + pos, this.framesRead + 1);
      return;
    }
    const st = this.cur!;
    const le = st.le;
    const localId = obsolete ? dv.getUint16(pos + 8, le) : dv.getUint32(pos + 8, le);
    const iface = st.ifaces[localId];
    if (iface === undefined) {
      this.warn(
        'WL_ERR_PCAPNG_NO_INTERFACE',
        `${kind} at offset ${base + pos} refers to interface ${localId}, but its section has ${st.ifaces.length}; skipped`,
        base + pos,
        this.framesRead + 1,
      );
      return;
    }
    const capLen = dv.getUint32(pos + 20, le);
    if (capLen > len - EPB_MIN) {
      this.warn(
        'WL_ERR_PCAPNG_BAD_BLOCK',
        `${kind} at offset ${base + pos} claims ${capLen} captured bytes but the block has room for ${len - EPB_MIN}; skipped`,
        base + pos,
        this.framesRead + 1,
      );
      return;
    }
    this.timestamp(dv.getUint32(pos + 12, le), dv.getUint32(pos + 16, le), iface);
    const dataStart = pos + 28;
    const optStart = dataStart + ((capLen + 3) & ~3);
    const optEnd = pos + len - 4;
    const number = this.framesRead + 1;
    const comments = optEnd - optStart >= 4 ? this.comments(dv, buf, pos, optStart, optEnd, le, base, kind, number) : undefined;
    this.framesRead = number;
    out.push({
      number,
      tsSec: this.tSec,
      tsNsec: this.tNsec,
      origLen: dv.getUint32(pos + 24, le),
      data: buf.subarray(dataStart, dataStart + capLen),
      linkType: iface.linkType,
      interfaceId: iface.global,
      comments,
      fileOffset: base + pos,
      fcsLength: iface.fcsLength,
    });
  }

  /** SPB (pcapng §4.4): interface 0 of the section, no timestamp, captured length implied. */
  private simplePacket(dv: DataView, buf: Uint8Array, pos: number, len: number, base: number, out: Frame[]): void {
    const st = this.cur!;
    if (len < SPB_MIN) {
      this.warn('WL_ERR_PCAPNG_BAD_BLOCK', `simple packet block at offset ${base + pos} is only ${len} bytes long; skipped`, base + pos);
      return;
    }
    const iface = st.ifaces[0];
    if (iface === undefined) {
      this.warn(
        'WL_ERR_PCAPNG_NO_INTERFACE',
        `simple packet block at offset ${base + pos} comes before any interface description in its section; skipped`,
        base + pos,
        this.framesRead + 1,
      );
      return;
    }
    const origLen = dv.getUint32(pos + 8, st.le);
    let capLen = Math.min(origLen, len - SPB_MIN);
    if (iface.snapLen !== 0 && iface.snapLen < capLen) capLen = iface.snapLen;
    out.push({
      number: ++this.framesRead,
      tsSec: 0,
      tsNsec: 0,
      origLen,
      data: buf.subarray(pos + 12, pos + 12 + capLen),
      linkType: iface.linkType,
      interfaceId: iface.global,
      comments: undefined,
      fileOffset: base + pos,
      fcsLength: iface.fcsLength,
    });
  }

  private statisticsBlock(dv: DataView, buf: Uint8Array, pos: number, len: number, base: number): void {
    const st = this.cur!;
    if (len < ISB_MIN) {
      this.warn('WL_ERR_PCAPNG_BAD_BLOCK', `interface statistics block at offset ${base + pos} is only ${len} bytes long`, base + pos);
      return;
    }
    const le = st.le;
    const localId = dv.getUint32(pos + 8, le);
    const iface = st.ifaces[localId];
    if (iface === undefined) {
      this.warn('WL_ERR_PCAPNG_NO_INTERFACE', `interface statistics block at offset ${base + pos} refers to unknown interface ${localId}`, base + pos);
      return;
    }
    this.timestamp(dv.getUint32(pos + 12, le), dv.getUint32(pos + 16, le), iface);
    const stats: InterfaceStatistics = {
      interfaceId: iface.global,
      tsSec: this.tSec,
      tsNsec: this.tNsec,
      fileOffset: base + pos,
      comments: [],
    };
    const u64 = (v: number) => (le ? dv.getUint32(v + 4, true) * TWO32 + dv.getUint32(v, true) : dv.getUint32(v, false) * TWO32 + dv.getUint32(v + 4, false));
    this.options(dv, buf, pos, pos + 20, pos + len - 4, base, 'interface statistics block', (code, v, n) => {
      if (code === OPT_COMMENT) stats.comments.push(stripNul(utf8.decode(buf.subarray(v, v + n))));
      else if (n < 8) return;
      else if (code === ISB_IFRECV) stats.ifRecv = u64(v);
      else if (code === ISB_IFDROP) stats.ifDrop = u64(v);
      else if (code === ISB_FILTERACCEPT) stats.filterAccept = u64(v);
      else if (code === ISB_OSDROP) stats.osDrop = u64(v);
      else if (code === ISB_USRDELIV) stats.usrDeliv = u64(v);
    });
    this.statistics.push(stats);
  }

  /**
   * Walks the options in `[start, end)` (pcapng §3.5: code(2) length(2) value padded to 4), calling
   * `each` for every one before opt_endofopt. An option that overruns the block is a warning and ends
   * the walk; what was read before it stands.
   */
  private options(
    dv: DataView,
    buf: Uint8Array,
    blockPos: number,
    start: number,
    end: number,
    base: number,
    blockName: string,
    each: (code: number, valueStart: number, valueLen: number) => void,
    frame?: number,
  ): void {
    const le = this.cur!.le;
    let p = start;
    while (end - p >= 4) {
      const code = dv.getUint16(p, le);
      const n = dv.getUint16(p + 2, le);
      if (code === OPT_ENDOFOPT) return;
      if (p + 4 + n > end) {
        this.optionOverrun(code, n, blockName, base, blockPos, p, frame);
        return;
      }
      each(code, p + 4, n);
      p += 4 + ((n + 3) & ~3);
    }
  }

  /** The warning for an option whose length runs past the end of its block (the walk stops there). */
  private optionOverrun(code: number, n: number, blockName: string, base: number, blockPos: number, p: number, frame: number | undefined): void {
    this.warn(
      'WL_ERR_PCAPNG_OPTION',
      `option ${code} of the ${blockName} at offset ${base + blockPos} (option at offset ${base + p}, ` +
        `length ${n}) runs past the end of its block; the remaining options were ignored`,
      base + p,
      frame,
    );
  }

  /** Collects opt_comment values of a packet block (the only packet option a Frame carries). */
  private comments(dv: DataView, buf: Uint8Array, blockPos: number, start: number, end: number, le: boolean, base: number, kind: string, frame: number): string[] | undefined {
    // Walked inline rather than through options(): this runs per packet and should not allocate a closure.
    let found: string[] | undefined;
    let p = start;
    while (end - p >= 4) {
      const code = dv.getUint16(p, le);
      const n = dv.getUint16(p + 2, le);
      if (code === OPT_ENDOFOPT) break;
      if (p + 4 + n > end) {
        this.optionOverrun(code, n, kind, base, blockPos, p, frame);
        break;
      }
      if (code === OPT_COMMENT) (found ??= []).push(stripNul(utf8.decode(buf.subarray(p + 4, p + 4 + n))));
      p += 4 + ((n + 3) & ~3);
    }
    return found;
  }

  /** Converts a 64-bit count of interface units to tSec/tNsec exactly (doubles first, BigInt last). */
  private timestamp(high: number, low: number, iface: IfaceState): void {
    const R = iface.units;
    let sec: number;
    let rem: number;
    if (high < SAFE_HIGH && R <= LIMB_MAX_UNITS) {
      const t = high * TWO32 + low;
      sec = Math.floor(t / R);
      rem = t - sec * R;
    } else if (R <= LIMB_MAX_UNITS) {
      // 64-bit dividend in four 16-bit limbs: each partial remainder * 65536 + limb < 2^53.
      let c = high >>> 16;
      let d = Math.floor(c / R);
      let r = c - d * R;
      let q = d;
      c = r * 65536 + (high & 0xffff);
      d = Math.floor(c / R);
      r = c - d * R;
      q = q * 65536 + d;
      c = r * 65536 + (low >>> 16);
      d = Math.floor(c / R);
      r = c - d * R;
      q = q * 65536 + d;
      c = r * 65536 + (low & 0xffff);
      d = Math.floor(c / R);
      sec = q * 65536 + d;
      rem = c - d * R;
    } else {
      // Resolutions finer than 2^-37 s: rare enough that BigInt all the way is fine.
      const t = (BigInt(high) << 32n) | BigInt(low);
      this.tSec = Number(t / iface.unitsBig) + iface.tsOffset;
      this.tNsec = Number(((t % iface.unitsBig) * 1000000000n) / iface.unitsBig);
      return;
    }
    if (rem < 0) {
      sec--;
      rem += R;
    } else if (rem >= R) {
      sec++;
      rem -= R;
    }
    let nsec: number;
    if (iface.nsPerUnit !== 0) nsec = rem * iface.nsPerUnit;
    else if (rem * 1e9 <= Number.MAX_SAFE_INTEGER) nsec = Math.floor((rem * 1e9) / R);
    else nsec = Number((BigInt(rem) * 1000000000n) / iface.unitsBig);
    this.tSec = sec + iface.tsOffset;
    this.tNsec = nsec;
  }
}

/** if_tsresol (pcapng §4.2): high bit clear → 10^-v s per unit, set → 2^-(v & 0x7f). */
function setResolution(state: IfaceState, v: number): void {
  const exp = v & 0x7f;
  if (v & 0x80) {
    state.unitsBig = 1n << BigInt(exp);
  } else {
    state.unitsBig = 10n ** BigInt(exp);
  }
  state.units = Number(state.unitsBig);
  state.nsPerUnit = !(v & 0x80) && exp <= 9 ? 10 ** (9 - exp) : exp === 0 ? 1e9 : 0;
}

/**
 * Classic libpcap files (draft-ietf-opsawg-pcap): a 24-byte file header, then records of a 16-byte
 * header plus the captured bytes. Byte order and timestamp unit (µs or ns) come from the magic.
 *
 *   file header:   magic(4) major(2) minor(2) thiszone(4) sigfigs(4) snaplen(4) linktype+FCS(4)
 *   record header: ts_sec(4) ts_frac(4) incl_len(4) orig_len(4)
 */
import type { Frame, InterfaceInfo } from './frame.js';
import { WirelensError } from '../errors.js';
import type { FormatParser, InterfaceStatistics, SectionInfo, WarningList } from './format.js';

export const PCAP_MAGIC_USEC = 0xa1b2c3d4;
export const PCAP_MAGIC_NSEC = 0xa1b23c4d;
export const PCAP_HEADER_LEN = 24;
export const PCAP_RECORD_HEADER_LEN = 16;

/**
 * Link-type field layout (draft-ietf-opsawg-pcap §4, libpcap LT_* macros): link type in the low 16
 * bits, P flag at 0x04000000 saying the FCS length is known, FCS length in the top 4 bits counted in
 * 16-bit words.
 */
export const LT_LINKTYPE_MASK = 0x0000ffff;
export const LT_FCS_LENGTH_PRESENT = 0x04000000;
export const LT_FCS_LENGTH_SHIFT = 28;

/**
 * A record longer than snaplen is still delivered if it is plausible; Wireshark's limit for most
 * link types is 256 KiB. Beyond both that and the file's own snaplen it is taken as corruption.
 * The hard cap keeps a garbage snaplen from making us buffer gigabytes.
 */
export const PCAP_PLAUSIBLE_CAPLEN = 262_144;
const PCAP_HARD_MAX_CAPLEN = 64 * 1024 * 1024;

export class PcapParser implements FormatParser {
  readonly format = 'pcap' as const;
  readonly interfaces: InterfaceInfo[] = [];
  readonly sections: SectionInfo[] = [];
  readonly statistics: InterfaceStatistics[] = [];
  framesRead = 0;
  need = PCAP_HEADER_LEN;
  stopped = false;

  private le = true;
  private nanos = false;
  private linkType = 0;
  private fcsLength: number | undefined;
  private maxCapLen = PCAP_PLAUSIBLE_CAPLEN;
  /** Versions before 2.3 stored orig_len before incl_len (libpcap sf-pcap.c). */
  private swapLens = false;
  /** Version 2.3 files exist in both orders; a caplen above origlen betrays the old one. */
  private swapIfCapGreater = false;

  constructor(
    private readonly name: string,
    private readonly warnings: WarningList,
  ) {}

  header(buf: Uint8Array, pos: number, end: number, baseOffset: number): number {
    if (end - pos < PCAP_HEADER_LEN) {
      this.need = PCAP_HEADER_LEN;
      return -1;
    }
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const magicLe = dv.getUint32(pos, true);
    const magicBe = dv.getUint32(pos, false);
    if (magicLe === PCAP_MAGIC_USEC || magicLe === PCAP_MAGIC_NSEC) this.le = true;
    else if (magicBe === PCAP_MAGIC_USEC || magicBe === PCAP_MAGIC_NSEC) this.le = false;
    else throw new WirelensError('WL_ERR_NOT_A_CAPTURE', `${this.name}: not a pcap file`, baseOffset + pos);
    const le = this.le;
    this.nanos = dv.getUint32(pos, le) === PCAP_MAGIC_NSEC;
    const major = dv.getUint16(pos + 4, le);
    const minor = dv.getUint16(pos + 6, le);
    if (major !== 2) {
      throw new WirelensError(
        'WL_ERR_PCAP_VERSION',
        `${this.name}: pcap version ${major}.${minor} is not supported (wirelens reads version 2.x)`,
        baseOffset + pos + 4,
      );
    }
    this.swapLens = minor < 3;
    this.swapIfCapGreater = minor === 3;
    const snapLen = dv.getUint32(pos + 16, le);
    const raw = dv.getUint32(pos + 20, le);
    this.linkType = raw & LT_LINKTYPE_MASK;
    this.fcsLength = raw & LT_FCS_LENGTH_PRESENT ? (raw >>> LT_FCS_LENGTH_SHIFT) * 2 : undefined;
    this.maxCapLen = Math.min(Math.max(PCAP_PLAUSIBLE_CAPLEN, snapLen), PCAP_HARD_MAX_CAPLEN);
    const iface: InterfaceInfo = {
      linkType: this.linkType,
      snapLen,
      tsResolution: this.nanos ? 1e9 : 1e6,
      tsOffset: 0,
    };
    if (this.fcsLength !== undefined) iface.fcsLength = this.fcsLength;
    this.interfaces.push(iface);
    this.sections.push({
      fileOffset: baseOffset + pos,
      littleEndian: le,
      versionMajor: major,
      versionMinor: minor,
      firstInterface: 0,
      interfaceCount: 1,
      comments: [],
    });
    this.need = PCAP_RECORD_HEADER_LEN;
    return pos + PCAP_HEADER_LEN;
  }

  parse(buf: Uint8Array, pos: number, end: number, baseOffset: number, out: Frame[]): number {
    if (this.stopped) return pos;
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const le = this.le;
    const nanos = this.nanos;
    const linkType = this.linkType;
    const fcsLength = this.fcsLength;
    const maxCapLen = this.maxCapLen;
    let n = this.framesRead;
    while (true) {
      if (end - pos < PCAP_RECORD_HEADER_LEN) {
        this.need = PCAP_RECORD_HEADER_LEN;
        break;
      }
      let capLen = dv.getUint32(pos + 8, le);
      let origLen = dv.getUint32(pos + 12, le);
      if (this.swapLens || (this.swapIfCapGreater && capLen > origLen)) {
        const t = capLen;
        capLen = origLen;
        origLen = t;
      }
      if (capLen > maxCapLen) {
        this.stopped = true;
        this.warnings.add(
          'WL_ERR_PCAP_RECORD_LENGTH',
          `${this.name}: record ${n + 1} at offset ${baseOffset + pos} claims ${capLen} captured bytes ` +
            `(more than the limit of ${maxCapLen}); the file is corrupt from here, ${n} frames were read`,
          baseOffset + pos,
          n + 1,
        );
        break;
      }
      const recEnd = pos + PCAP_RECORD_HEADER_LEN + capLen;
      if (recEnd > end) {
        this.need = PCAP_RECORD_HEADER_LEN + capLen;
        break;
      }
      let sec = dv.getUint32(pos, le);
      let frac = dv.getUint32(pos + 4, le);
      // Out-of-range fractions (seen in fuzzed and buggy files) carry into the seconds so that
      // tsNsec stays within 0..999 999 999.
      if (nanos) {
        if (frac >= 1e9) {
          sec += Math.floor(frac / 1e9);
          frac %= 1e9;
        }
      } else if (frac >= 1e6) {
        sec += Math.floor(frac / 1e6);
        frac = (frac % 1e6) * 1000;
      } else {
        frac *= 1000;
      }
      out.push({
        number: ++n,
        tsSec: sec,
        tsNsec: frac,
        origLen,
        data: buf.subarray(pos + PCAP_RECORD_HEADER_LEN, recEnd),
        linkType,
        interfaceId: 0,
        comments: undefined,
        fileOffset: baseOffset + pos,
        fcsLength,
      });
      pos = recEnd;
    }
    this.framesRead = n;
    return pos;
  }

  finish(fileOffset: number, leftover: number): void {
    if (leftover === 0 || this.stopped) return;
    this.stopped = true;
    const what = leftover < PCAP_RECORD_HEADER_LEN ? 'record header' : 'record';
    this.warnings.add(
      'WL_ERR_TRUNCATED_FILE',
      `${this.name}: file cut short in the middle of a ${what} (frame ${this.framesRead + 1} at offset ` +
        `${fileOffset}, ${leftover} of ${this.need} bytes present); ${this.framesRead} frames were read`,
      fileOffset,
      this.framesRead + 1,
    );
  }

  readonly recordHeaderLength = PCAP_RECORD_HEADER_LEN;

  recordLength(head: Uint8Array, fileOffset: number): number {
    // pcap records carry no type to check; at least refuse the file header itself.
    if (head.length < PCAP_RECORD_HEADER_LEN || fileOffset < PCAP_HEADER_LEN) return -1;
    const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
    let capLen = dv.getUint32(8, this.le);
    const origLen = dv.getUint32(12, this.le);
    if (this.swapLens || (this.swapIfCapGreater && capLen > origLen)) capLen = origLen;
    return capLen > this.maxCapLen ? -1 : PCAP_RECORD_HEADER_LEN + capLen;
  }

  decodeRecord(buf: Uint8Array, fileOffset: number, number: number): Frame | undefined {
    const saved = this.framesRead;
    const savedNeed = this.need;
    const out: Frame[] = [];
    this.framesRead = number - 1;
    this.parseOne(buf, fileOffset, out);
    this.framesRead = saved;
    this.need = savedNeed;
    return out[0];
  }

  private parseOne(buf: Uint8Array, fileOffset: number, out: Frame[]): void {
    const stopped = this.stopped;
    this.stopped = false;
    const len = this.recordLength(buf, fileOffset);
    if (len > 0 && len <= buf.length) this.parse(buf.subarray(0, len), 0, len, fileOffset, out);
    this.stopped = stopped;
  }
}

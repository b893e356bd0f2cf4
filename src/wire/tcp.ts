/**
 * TCP header (RFC 9293 §3.1) and its options (RFC 9293 §3.2, RFC 7323 window scale and timestamps,
 * RFC 2018 SACK). Sequence and acknowledgment numbers are the raw 32-bit values; relative numbers
 * and the scaled window need the connection's history and come from the analysis layer.
 *
 *   tcpdump -xx (SYN from pcap_le_usec_eth_http_get_fin.pcap, TCP starts at 0x22):
 *   0x0020:  ..   e9d0 0050 fe21 323a 0000 0000 b002   sport 59856 dport 80 seq 4263588410, doff 11, SYN
 *   0x0030:  ffff 3bc0 0000 0204 05b4 0103 0304 0101   win 65535 cksum 0x3bc0 | mss 1460, nop, wscale 4, nop, nop
 *   0x0040:  080a 164a dd20 0000 0000 0402 0000        TS 374005024/0, sackOK, eol, eol
 *
 * Invariant: dissectTcp validates the option list once (lengths only, no allocation) and records
 * where the valid part ends; fields() and the option accessors only walk that validated part.
 */
import { pseudoHeaderSum, internetChecksum } from './checksum.js';
import type { Binding, Dissection, DissectContext, NetworkContext, Span } from '../decode/dissector.js';
import { bytesHex, FieldList, type ChecksumStatus, type Layer, type LayerProblem, type LayerStatus } from '../decode/layer.js';
import { put16, put32, u16, u32 } from './bytes.js';

export const TCP_HEADER_LEN = 20;
/** Data offset is a 4-bit count of 32-bit words (RFC 9293 §3.1), so a header is at most 60 bytes. */
export const TCP_MAX_HEADER_LEN = 60;
export const IP_PROTO_TCP = 6;

const SRC_PORT = 0;
const DST_PORT = 2;
const SEQ = 4;
const ACK = 8;
const DATA_OFFSET = 12;
const WINDOW = 14;
const CHECKSUM = 16;
const URGENT = 18;

/** The 12 low bits of the 16-bit word at offset 12: 3 reserved bits, AE (Accurate ECN; RFC 3540's NS before), then the RFC 9293 flags. */
export const TcpFlag = {
  FIN: 0x001,
  SYN: 0x002,
  RST: 0x004,
  PSH: 0x008,
  ACK: 0x010,
  URG: 0x020,
  ECE: 0x040,
  CWR: 0x080,
  AE: 0x100,
  RESERVED: 0xe00,
} as const;

export const TcpOptionKind = {
  EOL: 0,
  NOP: 1,
  MSS: 2,
  WSCALE: 3,
  SACK_PERMITTED: 4,
  SACK: 5,
  TIMESTAMP: 8,
} as const;

/** RFC 7323 §2.3: a shift above 14 is used as 14. */
const MAX_WSCALE_SHIFT = 14;

export const WL_MALFORMED_TCP_HDR_LEN = 'WL_MALFORMED_TCP_HDR_LEN';
export const WL_MALFORMED_TCP_OPTION = 'WL_MALFORMED_TCP_OPTION';

/** Flag names in the order tshark lists them in the Info column (bit 0 upwards, then the reserved bits). */
const FLAG_NAMES = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR', 'AE'] as const;
/** tcp.flags.str: one letter per bit from the top, a middle dot for a clear bit. */
const FLAG_LETTERS = 'RRRACEUAPRSF';

export interface SackBlock {
  left: number;
  right: number;
}

/** Option values, read once on first use. */
interface ParsedOptions {
  mss?: number;
  wscale?: number;
  sackPermitted: boolean;
  tsval?: number;
  tsecr?: number;
  sackBlocks: SackBlock[];
}

const NO_SACK: SackBlock[] = [];

/** Whether a known kind carries the length its definition fixes; a wrong one is shown but not interpreted (as tshark does). */
function hasExpectedLength(kind: number, len: number): boolean {
  switch (kind) {
    case TcpOptionKind.MSS:
      return len === 4;
    case TcpOptionKind.WSCALE:
      return len === 3;
    case TcpOptionKind.SACK_PERMITTED:
      return len === 2;
    case TcpOptionKind.TIMESTAMP:
      return len === 10;
    case TcpOptionKind.SACK:
      return (len - 2) % 8 === 0;
    default:
      return true;
  }
}

/**
 * Checks option lengths over [start, hdrEnd), reading no further than capEnd, and returns where the
 * valid part ends, or ~offset (a negative number) of the first malformed option. Stops quietly at
 * the snap length and at the first non-zero byte after an EOL (RFC 9293 §3.1: what follows EOL is
 * padding, which tshark reports but does not parse). An option whose length is below 2 or runs past
 * the header, or a SACK whose length is not 2 + 8n (RFC 2018 §3), is malformed.
 */
function scanOptions(data: Uint8Array, start: number, hdrEnd: number, capEnd: number): number {
  let p = start;
  while (p < capEnd) {
    const kind = data[p]!;
    if (kind === TcpOptionKind.EOL) {
      p++;
      if (p < capEnd && data[p] !== 0) break;
      continue;
    }
    if (kind === TcpOptionKind.NOP) {
      p++;
      continue;
    }
    if (p + 1 >= hdrEnd) return ~p;
    if (p + 1 >= capEnd) break;
    const len = data[p + 1]!;
    if (len < 2 || p + len > hdrEnd || (kind === TcpOptionKind.SACK && !hasExpectedLength(kind, len))) return ~p;
    p += len;
    // Cut by the snap length: listed as far as captured (FieldList drops the rest), like tshark.
    if (p > capEnd) break;
  }
  return p;
}

/** Says what scanOptions found wrong with the option at p (only called on failure). */
function optionProblem(data: Uint8Array, p: number, hdrEnd: number): LayerProblem {
  const kind = data[p]!;
  const len = data[p + 1]!;
  const message =
    p + 1 >= hdrEnd
      ? `TCP option kind ${kind} at offset ${p} has no length byte before the header ends`
      : len < 2
        ? `TCP option kind ${kind} at offset ${p} has length ${len} (at least 2)`
        : p + len > hdrEnd
          ? `TCP option kind ${kind} at offset ${p} has length ${len}, past the header end at offset ${hdrEnd}`
          : `TCP SACK option at offset ${p} has length ${len}, not 2 + 8n`;
  return { code: WL_MALFORMED_TCP_OPTION, offset: p, message };
}

/** How far fields() and the accessors walk options when scanOptions stopped at the malformed option at p. */
function malformedOptionsEnd(data: Uint8Array, p: number, hdrEnd: number): number {
  // tshark still lists a SACK of bad length (kind, length, whole blocks) before giving up.
  return data[p] === TcpOptionKind.SACK && p + 1 < hdrEnd && p + data[p + 1]! <= hdrEnd ? p + data[p + 1]! : p;
}

export class TcpLayer implements Layer {
  readonly proto = 'tcp';
  problem?: LayerProblem;
  /**
   * Set by the application stage (analysis/app.ts) when the segment's payload went to a PDU it
   * does not complete: the Info text the PDU's dissector left on the frame ('' when it cleared the
   * column), or null when it left none and the segment's own Info stands. tshark shows that, then
   * "[TCP segment of a reassembled PDU]".
   */
  pduInfo?: string | null;
  private parsed?: ParsedOptions;
  private verdict?: ChecksumStatus;
  /**
   * Bytes after the header in the segment (tcp.len for a sound header). A field, not a getter: the
   * analysis reads it several times per segment, in functions too large for V8 to inline one into.
   */
  readonly payloadLength: number;

  constructor(
    private readonly data: Uint8Array,
    readonly offset: number,
    public status: LayerStatus,
    /** Bytes this layer consumed before its payload (the header length when it is valid). */
    readonly length: number,
    /** Header length from the data offset field, in bytes; -1 when the segment is too short or the byte was not captured. */
    readonly headerLength: number,
    /** Segment length on the wire (IP payload length). */
    readonly segmentLength: number,
    /** Captured end of the segment in the frame. */
    private readonly capturedEnd: number,
    /** End of the validated part of the options. */
    private readonly optionsEnd: number,
    /** The pseudo-header's source; kept so the checksum is summed only when someone asks. */
    private readonly network: NetworkContext | undefined,
  ) {
    this.payloadLength = Math.max(0, segmentLength - length);
  }

  /**
   * Summed on first use: it reads the whole segment, which costs more than the rest of the
   * dissection, and summaries and flow tracking do not need it. Unverified without all of the
   * segment, or the addresses, or when the datagram is a fragment.
   */
  get checksumStatus(): ChecksumStatus {
    if (this.verdict) return this.verdict;
    const o = this.offset;
    const net = this.network;
    const end = o + this.segmentLength;
    this.verdict =
      this.segmentLength >= TCP_HEADER_LEN && this.capturedEnd >= end && net && !net.fragmented
        ? verifyChecksum(this.data, o, end, net)
        : 'unverified';
    return this.verdict;
  }

  get srcPort(): number {
    return u16(this.data, this.offset + SRC_PORT);
  }
  get dstPort(): number {
    return u16(this.data, this.offset + DST_PORT);
  }
  /** Raw sequence number. */
  get seq(): number {
    return u32(this.data, this.offset + SEQ);
  }
  /** Raw acknowledgment number (meaningful when ACK is set). */
  get ack(): number {
    return u32(this.data, this.offset + ACK);
  }
  /** The 12 flag bits, TcpFlag masks. */
  get flags(): number {
    return u16(this.data, this.offset + DATA_OFFSET) & 0x0fff;
  }
  hasFlag(mask: number): boolean {
    return (this.flags & mask) !== 0;
  }
  /** Window field as sent (unscaled). */
  get window(): number {
    return u16(this.data, this.offset + WINDOW);
  }
  get checksum(): number {
    return u16(this.data, this.offset + CHECKSUM);
  }
  get urgentPointer(): number {
    return u16(this.data, this.offset + URGENT);
  }
  get payloadOffset(): number {
    return this.offset + this.length;
  }
  /**
   * The payload's captured bytes (a view), what tcp.payload shows: what the snap length left of
   * it; undefined for none, or when the header length is not within the segment.
   */
  payloadBytes(): Uint8Array | undefined {
    const start = this.payloadOffset;
    const end = Math.min(start + this.payloadLength, this.capturedEnd);
    return this.headerLength >= 0 && this.headerLength <= this.segmentLength && end > start ? this.data.subarray(start, end) : undefined;
  }

  get mss(): number | undefined {
    return this.options().mss;
  }
  /** Window scale shift count as sent (the multiplier caps it at 14). */
  get wscale(): number | undefined {
    return this.options().wscale;
  }
  get sackPermitted(): boolean {
    return this.options().sackPermitted;
  }
  get tsval(): number | undefined {
    return this.options().tsval;
  }
  get tsecr(): number | undefined {
    return this.options().tsecr;
  }
  /** Raw SACK edges (tshark's tcp.options.sack_le/re are relative to the ISN). */
  get sackBlocks(): readonly SackBlock[] {
    return this.options().sackBlocks;
  }

  /** Calls `each` for every whole option past EOL/NOP, in header order (RFC 9293 §3.2). */
  private walkOptions(each: (kind: number, p: number, len: number) => void): void {
    const d = this.data;
    for (let p = this.offset + TCP_HEADER_LEN; p < this.optionsEnd; ) {
      const kind = d[p]!;
      if (kind <= TcpOptionKind.NOP) {
        p++;
        continue;
      }
      const len = d[p + 1]!;
      if (p + len > this.capturedEnd) break;
      each(kind, p, len);
      p += len;
    }
  }

  private options(): ParsedOptions {
    if (this.parsed) return this.parsed;
    const opts: ParsedOptions = { sackPermitted: false, sackBlocks: NO_SACK };
    const d = this.data;
    this.walkOptions((kind, p, len) => {
      if (kind === TcpOptionKind.SACK) {
        opts.sackBlocks = [];
        for (let q = p + 2; q + 8 <= p + len; q += 8) opts.sackBlocks.push({ left: u32(d, q), right: u32(d, q + 4) });
      } else if (hasExpectedLength(kind, len)) {
        switch (kind) {
          case TcpOptionKind.MSS:
            opts.mss = u16(d, p + 2);
            break;
          case TcpOptionKind.WSCALE:
            opts.wscale = d[p + 2]!;
            break;
          case TcpOptionKind.SACK_PERMITTED:
            opts.sackPermitted = true;
            break;
          case TcpOptionKind.TIMESTAMP:
            opts.tsval = u32(d, p + 2);
            opts.tsecr = u32(d, p + 6);
            break;
        }
      }
    });
    return (this.parsed = opts);
  }

  /** The Info column's flag list as tshark writes it: "[SYN, ACK]", "[FIN, PSH, ACK]", "<None>" inside brackets when clear. */
  flagsText(): string {
    return `[${flagNames(this.flags)}]`;
  }

  /**
   * The Info column as tshark writes it ("35354 → 8080 [SYN] Seq=… Win=65495 Len=0 MSS=65495
   * SACK_PERM TSval=… TSecr=0 WS=1024"). Sequence numbers and the window are as sent unless the
   * analysis, which knows the connection's ISNs and window scale, passes relative ones.
   */
  info(relative?: { seq: number; ack: number; window: number }): string {
    // `relative` also shifts SACK edges: they count in the peer's sequence space, like the ACK.
    if (this.capturedEnd < this.offset + DST_PORT + 2) return '';
    const ports = `${this.srcPort} → ${this.dstPort}`;
    if (this.headerLength < TCP_HEADER_LEN || this.capturedEnd < this.offset + TCP_HEADER_LEN) return ports;
    const flags = this.flags;
    let text = `${ports} ${this.flagsText()} Seq=${relative ? relative.seq : this.seq}`;
    if (flags & TcpFlag.ACK) text += ` Ack=${relative ? relative.ack : this.ack}`;
    text += ` Win=${relative ? relative.window : this.window}`;
    if (flags & TcpFlag.URG) text += ` Urg=${this.urgentPointer}`;
    text += ` Len=${this.payloadLength}`;
    const sackBase = relative ? (this.ack - relative.ack) >>> 0 : 0;
    const d = this.data;
    // tshark lists the options in the order the header carries them.
    this.walkOptions((kind, p, len) => {
      if (!hasExpectedLength(kind, len) && kind !== TcpOptionKind.SACK) return;
      if (kind === TcpOptionKind.MSS) text += ` MSS=${u16(d, p + 2)}`;
      else if (kind === TcpOptionKind.SACK_PERMITTED) text += ' SACK_PERM';
      else if (kind === TcpOptionKind.TIMESTAMP) text += ` TSval=${u32(d, p + 2)} TSecr=${u32(d, p + 6)}`;
      else if (kind === TcpOptionKind.WSCALE) text += ` WS=${2 ** Math.min(d[p + 2]!, MAX_WSCALE_SHIFT)}`;
      else if (kind === TcpOptionKind.SACK) {
        for (let q = p + 2; q + 8 <= p + len; q += 8) text += ` SLE=${(u32(d, q) - sackBase) >>> 0} SRE=${(u32(d, q + 4) - sackBase) >>> 0}`;
      }
    });
    return text;
  }

  fields(payloadBytes = true) {
    const o = this.offset;
    const d = this.data;
    const f = new FieldList(this.capturedEnd);
    const flags = this.flags;
    f.add('tcp.srcport', this.srcPort, o + SRC_PORT, 2)
      .add('tcp.dstport', this.dstPort, o + DST_PORT, 2)
      .add('tcp.port', this.srcPort, o + SRC_PORT, 2)
      .add('tcp.port', this.dstPort, o + DST_PORT, 2);
    // Like tshark: a segment too short for the fixed header, or whose data offset byte is missing,
    // shows its ports only; a data offset below 5 stops right after the header length.
    const hdrLen = this.headerLength;
    if (hdrLen < 0) return f.items;
    if (hdrLen <= this.segmentLength) f.add('tcp.len', this.segmentLength - hdrLen, o, 0);
    f.add('tcp.seq_raw', this.seq, o + SEQ, 4);
    if (hdrLen < TCP_HEADER_LEN) return f.add('tcp.hdr_len', hdrLen, o + DATA_OFFSET, 1).items;
    f.add('tcp.ack_raw', this.ack, o + ACK, 4)
      .add('tcp.hdr_len', hdrLen, o + DATA_OFFSET, 1)
      .add('tcp.flags', flags, o + DATA_OFFSET, 2)
      .add('tcp.flags.res', (flags & TcpFlag.RESERVED) !== 0, o + DATA_OFFSET, 1)
      .add('tcp.flags.ae', (flags & TcpFlag.AE) !== 0, o + DATA_OFFSET, 1)
      .add('tcp.flags.cwr', (flags & TcpFlag.CWR) !== 0, o + DATA_OFFSET + 1, 1)
      .add('tcp.flags.ece', (flags & TcpFlag.ECE) !== 0, o + DATA_OFFSET + 1, 1)
      .add('tcp.flags.urg', (flags & TcpFlag.URG) !== 0, o + DATA_OFFSET + 1, 1)
      .add('tcp.flags.ack', (flags & TcpFlag.ACK) !== 0, o + DATA_OFFSET + 1, 1)
      .add('tcp.flags.push', (flags & TcpFlag.PSH) !== 0, o + DATA_OFFSET + 1, 1)
      .add('tcp.flags.reset', (flags & TcpFlag.RST) !== 0, o + DATA_OFFSET + 1, 1)
      .add('tcp.flags.syn', (flags & TcpFlag.SYN) !== 0, o + DATA_OFFSET + 1, 1)
      .add('tcp.flags.fin', (flags & TcpFlag.FIN) !== 0, o + DATA_OFFSET + 1, 1)
      .add('tcp.flags.str', flagLetters(flags), o + DATA_OFFSET, 2)
      .add('tcp.window_size_value', this.window, o + WINDOW, 2)
      .add('tcp.checksum', this.checksum, o + CHECKSUM, 2);
    if (o + CHECKSUM + 2 <= this.capturedEnd) f.add('tcp.checksum.status', this.checksumStatus, o + CHECKSUM, 0);
    f.add('tcp.urgent_pointer', this.urgentPointer, o + URGENT, 2);
    for (let p = o + TCP_HEADER_LEN; p < this.optionsEnd; ) {
      const kind = d[p]!;
      if (kind <= TcpOptionKind.NOP) {
        f.add('tcp.option_kind', kind, p, 1);
        p++;
        continue;
      }
      const len = d[p + 1]!;
      if (kind === TcpOptionKind.SACK_PERMITTED) f.add('tcp.options.sack_perm', true, p, len);
      f.add('tcp.option_kind', kind, p, 1).add('tcp.option_len', len, p + 1, 1);
      if (kind === TcpOptionKind.SACK || hasExpectedLength(kind, len)) addOptionValues(f, d, kind, p, len);
      p += len;
    }
    // The segment's data as captured, whatever dissects it (as tshark).
    const payload = payloadBytes ? this.payloadBytes() : undefined;
    if (payload) f.add('tcp.payload', bytesHex(payload), this.payloadOffset, payload.length);
    return f.items;
  }
}

function addOptionValues(f: FieldList, d: Uint8Array, kind: number, p: number, len: number): void {
  switch (kind) {
    case TcpOptionKind.MSS:
      f.add('tcp.options.mss_val', u16(d, p + 2), p + 2, 2);
      break;
    case TcpOptionKind.WSCALE: {
      const shift = d[p + 2]!;
      f.add('tcp.options.wscale.shift', shift, p + 2, 1);
      f.add('tcp.options.wscale.multiplier', 2 ** Math.min(shift, MAX_WSCALE_SHIFT), p + 2, 1);
      break;
    }
    case TcpOptionKind.TIMESTAMP:
      f.add('tcp.options.timestamp.tsval', u32(d, p + 2), p + 2, 4);
      f.add('tcp.options.timestamp.tsecr', u32(d, p + 6), p + 6, 4);
      break;
    case TcpOptionKind.SACK: {
      // Raw edges under our own names: tshark's sack_le/sack_re are relative to the peer's ISN.
      for (let q = p + 2; q + 8 <= p + len; q += 8) {
        f.add('tcp.options.sack_le_raw', u32(d, q), q, 4);
        f.add('tcp.options.sack_re_raw', u32(d, q + 4), q + 4, 4);
      }
      // Placed over the whole option so that a SACK cut by the snap length shows no count (as tshark).
      f.add('tcp.options.sack.count', Math.floor((len - 2) / 8), p, len);
      break;
    }
  }
}

export function flagNames(flags: number): string {
  let s = '';
  for (let i = 0; i < FLAG_NAMES.length; i++) {
    if (flags & (1 << i)) s = s ? `${s}, ${FLAG_NAMES[i]}` : FLAG_NAMES[i]!;
  }
  if (flags & TcpFlag.RESERVED) s = s ? `${s}, Reserved` : 'Reserved';
  return s || '<None>';
}

function flagLetters(flags: number): string {
  let s = '';
  for (let i = 0; i < 12; i++) s += flags & (1 << (11 - i)) ? FLAG_LETTERS[i] : '\u00b7';
  return s;
}

/** RFC 9293 §3.1: the checksum covers the pseudo-header, the header and the payload. */
function verifyChecksum(data: Uint8Array, o: number, segEnd: number, net: NetworkContext): ChecksumStatus {
  return internetChecksum(data, o, segEnd, pseudoHeaderSum(net, IP_PROTO_TCP, segEnd - o)) === 0 ? 'good' : 'bad';
}

export const dissectTcp = (data: Uint8Array, span: Span, ctx: DissectContext): Dissection => {
  const o = span.offset;
  const segLen = Math.max(0, span.reportedEnd - o);
  const capEnd = Math.min(span.end, span.reportedEnd);
  const net = ctx.network;
  const fixedEnd = o + TCP_HEADER_LEN;
  let layer: TcpLayer;
  if (segLen < TCP_HEADER_LEN) {
    layer = new TcpLayer(data, o, 'malformed', segLen, -1, segLen, capEnd, fixedEnd, net);
    layer.problem = {
      code: WL_MALFORMED_TCP_HDR_LEN,
      offset: o,
      message: `TCP segment of ${segLen} bytes is shorter than the ${TCP_HEADER_LEN}-byte header`,
    };
  } else if (o + DATA_OFFSET >= capEnd) {
    // The data offset byte itself was not captured: nothing more can be checked.
    layer = new TcpLayer(data, o, 'truncated', TCP_HEADER_LEN, -1, segLen, capEnd, fixedEnd, net);
  } else {
    const hdrLen = (data[o + DATA_OFFSET]! >> 4) * 4;
    if (hdrLen < TCP_HEADER_LEN || hdrLen > segLen) {
      layer = new TcpLayer(data, o, 'malformed', TCP_HEADER_LEN, hdrLen, segLen, capEnd, fixedEnd, net);
      const why = hdrLen < TCP_HEADER_LEN ? `below the minimum ${TCP_HEADER_LEN}` : `past the ${segLen}-byte segment`;
      layer.problem = { code: WL_MALFORMED_TCP_HDR_LEN, offset: o + DATA_OFFSET, message: `TCP header length ${hdrLen} is ${why}` };
    } else {
      const hdrEnd = o + hdrLen;
      const scanned = scanOptions(data, fixedEnd, hdrEnd, Math.min(hdrEnd, capEnd));
      if (scanned < 0) {
        const bad = ~scanned;
        layer = new TcpLayer(data, o, 'malformed', hdrLen, hdrLen, segLen, capEnd, malformedOptionsEnd(data, bad, hdrEnd), net);
        layer.problem = optionProblem(data, bad, hdrEnd);
      } else {
        const status = hdrEnd <= capEnd ? 'ok' : 'truncated';
        layer = new TcpLayer(data, o, status, hdrLen, hdrLen, segLen, capEnd, scanned, net);
      }
    }
  }
  // Options damaged but the header length sound: the payload is still where the header says.
  const payloadOffset = Math.min(o + layer.length, capEnd);
  return { layer, payload: { offset: payloadOffset, end: capEnd, reportedEnd: Math.max(payloadOffset, span.reportedEnd) } };
};

/** Options as a record. EOL and the padding after it are not listed: emit writes them as needed. */
export type TcpOption =
  | { type: 'nop' }
  | { type: 'mss'; mss: number }
  | { type: 'wscale'; shift: number }
  | { type: 'sackPermitted' }
  | { type: 'sack'; blocks: SackBlock[] }
  | { type: 'timestamp'; tsval: number; tsecr: number }
  /** Any other kind, or a known kind with a length its definition does not allow; `data` excludes kind and length. */
  | { type: 'unknown'; kind: number; data: Uint8Array };

export interface TcpRepr {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** The 12 flag bits (TcpFlag masks). */
  flags: number;
  window: number;
  urgentPointer: number;
  options: TcpOption[];
  payload: Uint8Array;
  /** Header length in bytes; computed on emit when undefined (20 + options padded to 4). */
  headerLength?: number;
  /** Computed on emit when undefined. */
  checksum?: number;
}

/**
 * Reads a segment [offset, end) into a record. Like dissectTcp it never throws: a bad data offset is
 * clamped and the option list stops at the first option that does not fit.
 */
export function parseTcp(data: Uint8Array, offset = 0, end = data.length): TcpRepr {
  const segEnd = Math.max(offset, Math.min(end, data.length));
  const rd16 = (at: number) => (at + 2 <= segEnd ? u16(data, at) : 0);
  const rd32 = (at: number) => (at + 4 <= segEnd ? u32(data, at) : 0);
  const headerLength = ((offset + DATA_OFFSET < segEnd ? data[offset + DATA_OFFSET]! : 0) >> 4) * 4;
  const hdrEnd = Math.min(Math.max(offset + headerLength, offset + TCP_HEADER_LEN), segEnd);
  const options: TcpOption[] = [];
  for (let p = offset + TCP_HEADER_LEN; p < hdrEnd; ) {
    const kind = data[p]!;
    if (kind === TcpOptionKind.EOL) break;
    if (kind === TcpOptionKind.NOP) {
      options.push({ type: 'nop' });
      p++;
      continue;
    }
    const len = p + 1 < hdrEnd ? data[p + 1]! : 0;
    if (len < 2 || p + len > hdrEnd) break;
    options.push(parseOption(data, kind, p, len));
    p += len;
  }
  return {
    srcPort: rd16(offset + SRC_PORT),
    dstPort: rd16(offset + DST_PORT),
    seq: rd32(offset + SEQ),
    ack: rd32(offset + ACK),
    flags: rd16(offset + DATA_OFFSET) & 0x0fff,
    window: rd16(offset + WINDOW),
    urgentPointer: rd16(offset + URGENT),
    options,
    payload: data.slice(Math.min(Math.max(offset + headerLength, offset + TCP_HEADER_LEN), segEnd), segEnd),
    headerLength,
    checksum: rd16(offset + CHECKSUM),
  };
}

function parseOption(d: Uint8Array, kind: number, p: number, len: number): TcpOption {
  if (hasExpectedLength(kind, len)) {
    switch (kind) {
      case TcpOptionKind.MSS:
        return { type: 'mss', mss: u16(d, p + 2) };
      case TcpOptionKind.WSCALE:
        return { type: 'wscale', shift: d[p + 2]! };
      case TcpOptionKind.SACK_PERMITTED:
        return { type: 'sackPermitted' };
      case TcpOptionKind.TIMESTAMP:
        return { type: 'timestamp', tsval: u32(d, p + 2), tsecr: u32(d, p + 6) };
      case TcpOptionKind.SACK: {
        const blocks: SackBlock[] = [];
        for (let q = p + 2; q < p + len; q += 8) blocks.push({ left: u32(d, q), right: u32(d, q + 4) });
        return { type: 'sack', blocks };
      }
    }
  }
  return { type: 'unknown', kind, data: d.slice(p + 2, p + len) };
}

function optionLength(opt: TcpOption): number {
  switch (opt.type) {
    case 'nop':
      return 1;
    case 'mss':
      return 4;
    case 'wscale':
      return 3;
    case 'sackPermitted':
      return 2;
    case 'sack':
      return 2 + 8 * opt.blocks.length;
    case 'timestamp':
      return 10;
    case 'unknown':
      return 2 + opt.data.length;
  }
}

function writeOption(out: Uint8Array, p: number, opt: TcpOption): void {
  const len = optionLength(opt);
  switch (opt.type) {
    case 'nop':
      out[p] = TcpOptionKind.NOP;
      return;
    case 'mss':
      out[p] = TcpOptionKind.MSS;
      put16(out, p + 2, opt.mss);
      break;
    case 'wscale':
      out[p] = TcpOptionKind.WSCALE;
      out[p + 2] = opt.shift;
      break;
    case 'sackPermitted':
      out[p] = TcpOptionKind.SACK_PERMITTED;
      break;
    case 'sack':
      out[p] = TcpOptionKind.SACK;
      for (let i = 0; i < opt.blocks.length; i++) {
        put32(out, p + 2 + 8 * i, opt.blocks[i]!.left);
        put32(out, p + 6 + 8 * i, opt.blocks[i]!.right);
      }
      break;
    case 'timestamp':
      out[p] = TcpOptionKind.TIMESTAMP;
      put32(out, p + 2, opt.tsval);
      put32(out, p + 6, opt.tsecr);
      break;
    case 'unknown':
      out[p] = opt.kind;
      out.set(opt.data, p + 2);
      break;
  }
  out[p + 1] = len;
}

/**
 * Header, options and payload as one segment. Options are padded with zeros (an EOL and padding,
 * RFC 9293 §3.1) to a multiple of 4. A given headerLength is written as is, with zeros up to it when
 * it is longer than the options need (a shorter one makes a deliberately malformed segment).
 */
export function emitTcp(repr: TcpRepr, net: NetworkContext): Uint8Array {
  const out = new Uint8Array(tcpSegmentLength(repr));
  emitTcpInto(repr, net, out, 0);
  return out;
}

function optionsLength(repr: TcpRepr): number {
  // Indexed loops here and in emitTcpInto: for-of allocates an iterator where it is not inlined.
  const opts = repr.options;
  let optLen = 0;
  for (let i = 0; i < opts.length; i++) optLen += optionLength(opts[i]!);
  return optLen;
}

/** Bytes emitTcp produces and emitTcpInto writes: header (at least repr.headerLength), options, payload. */
export function tcpSegmentLength(repr: TcpRepr): number {
  const natural = TCP_HEADER_LEN + ((optionsLength(repr) + 3) & ~3);
  return Math.max(natural, repr.headerLength ?? natural) + repr.payload.length;
}

/**
 * emitTcp into `buf` at `offset` (tcpSegmentLength(repr) bytes must fit); returns the bytes
 * written. Every byte of the segment is written, padding included, so `buf` need not be zeroed.
 * `payloadSum`, when the caller knows it, is onesComplementSum of repr.payload: the checksum then
 * sums only the header (the payload starts at an even offset, a multiple of 4, so it adds as is).
 */
export function emitTcpInto(repr: TcpRepr, net: NetworkContext, buf: Uint8Array, offset: number, payloadSum?: number): number {
  const natural = TCP_HEADER_LEN + ((optionsLength(repr) + 3) & ~3);
  const headerLength = repr.headerLength ?? natural;
  const headerBytes = Math.max(natural, headerLength);
  const o = offset;
  const end = o + headerBytes + repr.payload.length;
  put16(buf, o + SRC_PORT, repr.srcPort);
  put16(buf, o + DST_PORT, repr.dstPort);
  put32(buf, o + SEQ, repr.seq);
  put32(buf, o + ACK, repr.ack);
  put16(buf, o + DATA_OFFSET, (((headerLength >> 2) & 0xf) << 12) | (repr.flags & 0x0fff));
  put16(buf, o + WINDOW, repr.window);
  // Zero while the checksum is summed (RFC 9293 §3.1).
  put16(buf, o + CHECKSUM, 0);
  put16(buf, o + URGENT, repr.urgentPointer);
  let p = o + TCP_HEADER_LEN;
  const opts = repr.options;
  for (let i = 0; i < opts.length; i++) {
    const opt = opts[i]!;
    writeOption(buf, p, opt);
    p += optionLength(opt);
  }
  // EOL and padding after the options (RFC 9293 §3.1), or the zeros up to a longer headerLength.
  while (p < o + headerBytes) buf[p++] = 0;
  buf.set(repr.payload, o + headerBytes);
  const checksum =
    repr.checksum ??
    (payloadSum === undefined
      ? internetChecksum(buf, o, end, pseudoHeaderSum(net, IP_PROTO_TCP, end - o))
      : internetChecksum(buf, o, o + headerBytes, pseudoHeaderSum(net, IP_PROTO_TCP, end - o) + payloadSum));
  put16(buf, o + CHECKSUM, checksum);
  return end - o;
}

export const bindings: readonly Binding[] = [{ table: 'ip.proto', key: IP_PROTO_TCP, dissector: dissectTcp }];

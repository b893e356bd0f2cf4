/**
 * What the pcap and pcapng parsers share with the reader: the parser contract, per-section and
 * per-interface information, and the warning list.
 *
 * A parser is a state machine over bytes it is handed in buffers of any size. It never reads a file
 * itself, so the same parsing core serves the synchronous path, the asynchronous path, stdin and
 * random access. Frames it produces are views into the buffer it was handed; the reader hands each
 * buffer over once and never writes to it again, which keeps those views valid.
 */
import type { Frame, InterfaceInfo } from './frame.js';
import type { ErrorCode, ReadWarning } from '../errors.js';

export type CaptureFormat = 'pcap' | 'pcapng';

/** One pcapng section (Section Header Block and what follows it), or the whole of a pcap file. */
export interface SectionInfo {
  /** File offset of the SHB (0 for pcap). */
  fileOffset: number;
  littleEndian: boolean;
  versionMajor: number;
  versionMinor: number;
  /** Index in `interfaces` of this section's first IDB (interface ids are numbered over the whole file). */
  firstInterface: number;
  /** IDBs seen so far in this section. */
  interfaceCount: number;
  comments: string[];
  hardware?: string;
  os?: string;
  userAppl?: string;
}

/** Counters from a pcapng Interface Statistics Block (numbers; exact below 2^53). */
export interface InterfaceStatistics {
  /** Global interface index, as `Frame.interfaceId`. */
  interfaceId: number;
  tsSec: number;
  tsNsec: number;
  fileOffset: number;
  /** isb_ifrecv: packets received by the interface. */
  ifRecv?: number;
  /** isb_ifdrop: packets the interface dropped (no buffer space). */
  ifDrop?: number;
  /** isb_filteraccept: packets accepted by the capture filter. */
  filterAccept?: number;
  /** isb_osdrop: packets the operating system dropped. */
  osDrop?: number;
  /** isb_usrdeliv: packets delivered to the capturing program. */
  usrDeliv?: number;
  comments: string[];
}

/** Warnings collected while reading; capped so a badly broken file cannot grow memory without bound. */
export class WarningList {
  readonly items: ReadWarning[] = [];
  /** Warnings beyond the cap, counted but not kept. */
  dropped = 0;
  constructor(private readonly max = 1000) {}
  add(code: ErrorCode, message: string, fileOffset: number, frameNumber?: number): void {
    if (this.items.length >= this.max) {
      this.dropped++;
      return;
    }
    const w: ReadWarning = { code, message, fileOffset };
    if (frameNumber !== undefined) w.frameNumber = frameNumber;
    this.items.push(w);
  }
}

export interface FormatParser {
  readonly format: CaptureFormat;
  readonly interfaces: InterfaceInfo[];
  readonly sections: SectionInfo[];
  readonly statistics: InterfaceStatistics[];
  /** Frames produced so far (the next frame gets number `framesRead + 1`). */
  framesRead: number;
  /** After a parse call returned early: bytes needed from the returned position to make progress. */
  need: number;
  /** A fatal problem was met (and recorded as a warning); nothing more will be produced. */
  stopped: boolean;
  /**
   * Consumes the file header (pcap global header, or the first pcapng SHB) from `buf[pos..end)`.
   * Returns the position after it, or -1 when more bytes are needed (see `need`).
   * Throws WirelensError when the header itself is unusable (bad version, bad magic).
   */
  header(buf: Uint8Array, pos: number, end: number, baseOffset: number): number;
  /**
   * Parses whole records from `buf[pos..end)` (`buf[0]` is at file offset `baseOffset`), pushing
   * frames to `out`, and returns the position of the first record it did not finish.
   */
  parse(buf: Uint8Array, pos: number, end: number, baseOffset: number, out: Frame[]): number;
  /** The input ended with `leftover` unparsed bytes at `fileOffset`. */
  finish(fileOffset: number, leftover: number): void;
  /** Bytes of a record header: what `recordLength` needs to see. */
  readonly recordHeaderLength: number;
  /**
   * Size of the record whose first `recordHeaderLength` bytes are `head` and which starts at
   * `fileOffset`, or -1 when they are not a plausible record header. Used for random access.
   */
  recordLength(head: Uint8Array, fileOffset: number): number;
  /**
   * Decodes the single record in `buf[0..)`, which starts at `fileOffset`, as frame `number`,
   * without changing the reading state. Returns undefined when it is not a packet record.
   */
  decodeRecord(buf: Uint8Array, fileOffset: number, number: number): Frame | undefined;
}

export const utf8 = new TextDecoder('utf-8');

/**
 * Classic pcap writer (draft-ietf-opsawg-pcap): version 2.4, µs (a1b2c3d4) or ns (a1b23c4d) magic.
 * One link type per file, so frames of several interfaces need pcapng instead.
 */
import { WirelensError } from '../errors.js';
import { ByteOutput, memorySink, type ByteSink } from './byte-output.js';
import type { Frame } from './frame.js';
import {
  LT_FCS_LENGTH_PRESENT,
  LT_FCS_LENGTH_SHIFT,
  PCAP_HEADER_LEN,
  PCAP_MAGIC_NSEC,
  PCAP_MAGIC_USEC,
  PCAP_RECORD_HEADER_LEN,
} from './pcap.js';

/** What a writer needs of a frame; a Frame read from any file qualifies. */
export interface WritableFrame {
  tsSec: number;
  tsNsec: number;
  /** Defaults to data.length. */
  origLen?: number;
  data: Uint8Array;
  interfaceId?: number;
  /** Written by pcapng only (opt_comment); an EncodedComment writes its own bytes. */
  comments?: readonly (string | EncodedComment)[];
}

/**
 * A comment that writes its own UTF-8 bytes, so that none is built as a string first: what the
 * simulator's per-packet notes are (sim/note.ts).
 */
export interface EncodedComment {
  /** At least the bytes encodeInto writes. */
  readonly maxBytes: number;
  /** Writes the comment's UTF-8 at `at` (maxBytes are free there); returns the bytes written. */
  encodeInto(buf: Uint8Array, at: number): number;
}

export interface PcapWriterOptions {
  linkType: number;
  /** Default 262144 (what libpcap writes for "no limit"). */
  snapLen?: number;
  /** ns magic (a1b23c4d) instead of µs; µs files truncate the sub-µs part. */
  nanosecond?: boolean;
  bigEndian?: boolean;
  /** FCS bytes at the end of every frame, recorded in the link-type field (even, at most 30). */
  fcsLength?: number;
}

export const DEFAULT_SNAPLEN = 262144;

export class PcapWriter {
  private readonly out: ByteOutput;
  private readonly le: boolean;
  private readonly nanos: boolean;
  framesWritten = 0;

  constructor(sink: ByteSink, options: PcapWriterOptions) {
    this.out = new ByteOutput(sink);
    this.le = !options.bigEndian;
    this.nanos = options.nanosecond ?? false;
    let linkField = options.linkType & 0xffff;
    if (options.fcsLength !== undefined) {
      const words = options.fcsLength / 2;
      if (!Number.isInteger(words) || words < 0 || words > 15) {
        throw new WirelensError('WL_ERR_USAGE', `pcap FCS length must be an even number of bytes up to 30, not ${options.fcsLength}`);
      }
      linkField = (linkField | LT_FCS_LENGTH_PRESENT | (words << LT_FCS_LENGTH_SHIFT)) >>> 0;
    }
    const o = this.out;
    o.reserve(PCAP_HEADER_LEN);
    const dv = o.dv;
    const p = o.pos;
    const le = this.le;
    dv.setUint32(p, this.nanos ? PCAP_MAGIC_NSEC : PCAP_MAGIC_USEC, le);
    dv.setUint16(p + 4, 2, le);
    dv.setUint16(p + 6, 4, le);
    dv.setInt32(p + 8, 0, le);
    dv.setUint32(p + 12, 0, le);
    dv.setUint32(p + 16, options.snapLen ?? DEFAULT_SNAPLEN, le);
    dv.setUint32(p + 20, linkField, le);
    o.pos += PCAP_HEADER_LEN;
  }

  writeFrame(f: WritableFrame): void {
    const o = this.out;
    const n = f.data.length;
    o.reserve(PCAP_RECORD_HEADER_LEN + n);
    const dv = o.dv;
    const p = o.pos;
    const le = this.le;
    dv.setUint32(p, f.tsSec, le);
    dv.setUint32(p + 4, this.nanos ? f.tsNsec : Math.floor(f.tsNsec / 1000), le);
    dv.setUint32(p + 8, n, le);
    dv.setUint32(p + 12, f.origLen ?? n, le);
    o.buf.set(f.data, p + PCAP_RECORD_HEADER_LEN);
    o.pos = p + PCAP_RECORD_HEADER_LEN + n;
    this.framesWritten++;
  }

  /** Hands everything written so far to the sink. */
  flush(): void {
    this.out.flush();
  }

  close(): void {
    this.out.flush();
  }
}

/** A whole pcap file in memory (tests, small exports). */
export function encodePcap(frames: Iterable<WritableFrame | Frame>, options: PcapWriterOptions): Uint8Array {
  const m = memorySink();
  const w = new PcapWriter(m.sink, options);
  for (const f of frames) w.writeFrame(f);
  w.close();
  return m.bytes();
}

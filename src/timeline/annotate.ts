/**
 * Teachers' notes: write a copy of a capture in which chosen packets carry an extra opt_comment
 * (pcapng §3.5 option 1, Wireshark's frame.comment).
 *
 * A pcapng input is rewritten block by block, streaming: every block is copied byte for byte
 * except the packet blocks being annotated, whose options are rebuilt as the old options (copied
 * as they were, up to opt_endofopt) plus the new comments and a fresh opt_endofopt (pcapng §3.5:
 * the list ends with it). Section headers, interfaces, statistics, name resolution, decryption
 * secrets, custom and unknown blocks, and every packet's bytes and other options stay as they were.
 * A Simple Packet Block (§4.4) has no options: an annotated one becomes an Enhanced Packet Block
 * on interface 0 with timestamp 0, which is what readers show for it.
 *
 * A pcap input becomes an equivalent pcapng: one interface with the file's link type, snap length,
 * timestamp resolution and FCS length, and one EPB per record (pcapng-writer.ts).
 *
 * Frames are numbered as the reader numbers them: packet blocks whose interface exists in their
 * section, from 1.
 */
import * as fs from 'node:fs';
import { openCapture } from '../capture/reader.js';
import { fdSink } from '../capture/byte-output.js';
import { PcapngWriter } from '../capture/pcapng-writer.js';
import { BT_EPB, BT_IDB, BT_PB, BT_SHB, BT_SPB, BYTE_ORDER_MAGIC, OPT_COMMENT, OPT_ENDOFOPT, PCAPNG_MAX_BLOCK } from '../capture/pcapng.js';
import { WirelensError } from '../errors.js';

export interface FrameNote {
  frame: number;
  text: string;
}

export interface AnnotateResult {
  /** Frames that received a note. */
  annotated: number[];
  /** Requested frames the capture does not have. */
  missing: number[];
  frames: number;
  format: 'pcap' | 'pcapng';
}

const enc = new TextEncoder();
const pad4 = (n: number) => (n + 3) & ~3;
const CHUNK = 1 << 20;

/** Groups notes by frame, in the order given. */
function byFrame(notes: readonly FrameNote[]): Map<number, string[]> {
  const m = new Map<number, string[]>();
  for (const n of notes) {
    if (!Number.isInteger(n.frame) || n.frame < 1) throw new WirelensError('WL_ERR_USAGE', `frame numbers start at 1 (got ${n.frame})`);
    if (enc.encode(n.text).length > 0xffff) throw new WirelensError('WL_ERR_USAGE', `the note for frame ${n.frame} is longer than a pcapng option can hold (65535 bytes)`);
    const list = m.get(n.frame) ?? [];
    list.push(n.text);
    m.set(n.frame, list);
  }
  return m;
}

export async function annotateCapture(input: string, output: string, notes: readonly FrameNote[]): Promise<AnnotateResult> {
  const wanted = byFrame(notes);
  const head = Buffer.alloc(4);
  let fd: number;
  try {
    fd = fs.openSync(input, 'r');
  } catch (err) {
    throw new WirelensError('WL_ERR_FILE_OPEN', `${input}: ${(err as Error).message}`);
  }
  const got = fs.readSync(fd, head, 0, 4, 0);
  const isPcapng = got === 4 && head.readUInt32LE(0) === BT_SHB;
  let out: number;
  try {
    out = fs.openSync(output, 'w');
  } catch (err) {
    fs.closeSync(fd);
    throw new WirelensError('WL_ERR_FILE_OPEN', `${output}: ${(err as Error).message}`);
  }
  try {
    const result = isPcapng ? rewritePcapng(fd, out, wanted, input) : await convertPcap(input, out, wanted);
    result.missing = [...wanted.keys()].filter((f) => f > result.frames).sort((a, b) => a - b);
    return result;
  } finally {
    fs.closeSync(fd);
    fs.closeSync(out);
  }
}

async function convertPcap(input: string, out: number, wanted: Map<number, string[]>): Promise<AnnotateResult> {
  const reader = await openCapture(input);
  const annotated: number[] = [];
  let frames = 0;
  try {
    if (reader.format !== 'pcap') throw new WirelensError('WL_ERR_NOT_A_CAPTURE', `${input}: not a pcap or pcapng file`);
    const writer = new PcapngWriter(fdSink(out));
    for (const iface of reader.interfaces) writer.addInterface(iface);
    for await (const batch of reader.batches()) {
      for (const frame of batch) {
        frames = frame.number;
        const add = wanted.get(frame.number);
        if (add) annotated.push(frame.number);
        writer.writeFrame(add ? { ...frame, comments: [...(frame.comments ?? []), ...add] } : frame);
      }
    }
    writer.close();
  } finally {
    reader.close();
  }
  return { annotated, missing: [], frames, format: 'pcap' };
}

/** Reads whole blocks from a file descriptor without holding more than one block plus a chunk. */
class BlockReader {
  private buf = Buffer.alloc(CHUNK);
  private start = 0;
  private end = 0;
  private pos = 0;
  private eof = false;
  constructor(private readonly fd: number) {}

  /** Makes `n` bytes available from the current block start; false at end of file. */
  ensure(n: number): boolean {
    while (this.end - this.start < n) {
      if (this.eof) return false;
      if (this.start > 0) {
        this.buf.copy(this.buf, 0, this.start, this.end);
        this.end -= this.start;
        this.start = 0;
      }
      if (this.buf.length < n) {
        const bigger = Buffer.alloc(Math.max(n, this.buf.length * 2));
        this.buf.copy(bigger, 0, 0, this.end);
        this.buf = bigger;
      }
      const r = fs.readSync(this.fd, this.buf, this.end, this.buf.length - this.end, this.pos);
      if (r === 0) this.eof = true;
      this.pos += r;
      this.end += r;
    }
    return true;
  }
  view(n: number): Buffer {
    return this.buf.subarray(this.start, this.start + n);
  }
  available(): number {
    return this.end - this.start;
  }
  skip(n: number): void {
    this.start += n;
  }
}

function rewritePcapng(fd: number, out: number, wanted: Map<number, string[]>, name: string): AnnotateResult {
  const r = new BlockReader(fd);
  const annotated: number[] = [];
  let frames = 0;
  let le = true;
  let ifaces = 0;
  let offset = 0;
  const write = (b: Uint8Array) => {
    let done = 0;
    while (done < b.length) done += fs.writeSync(out, b, done, b.length - done);
  };
  while (r.ensure(12)) {
    const h = r.view(12);
    let type = le ? h.readUInt32LE(0) : h.readUInt32BE(0);
    if (h.readUInt32LE(0) === BT_SHB) {
      type = BT_SHB;
      const magicLe = h.readUInt32LE(8) === BYTE_ORDER_MAGIC;
      const magicBe = h.readUInt32BE(8) === BYTE_ORDER_MAGIC;
      if (!magicLe && !magicBe) throw new WirelensError('WL_ERR_PCAPNG_BAD_BLOCK', `${name}: section header at offset ${offset} has no byte-order magic`);
      le = magicLe;
      ifaces = 0;
    }
    const len = le ? h.readUInt32LE(4) : h.readUInt32BE(4);
    if (len < 12 || len % 4 !== 0 || len > PCAPNG_MAX_BLOCK || !r.ensure(len)) {
      // Past a framing error nothing can be trusted (pcapng.ts stops there too): copy the rest as it is.
      while (r.ensure(1)) {
        const n = r.available();
        write(r.view(n));
        r.skip(n);
      }
      break;
    }
    const block = r.view(len);
    let replaced: Uint8Array | undefined;
    if (type === BT_IDB) ifaces++;
    else if ((type === BT_EPB || type === BT_PB) && len >= 32) {
      const ifId = type === BT_PB ? (le ? block.readUInt16LE(8) : block.readUInt16BE(8)) : le ? block.readUInt32LE(8) : block.readUInt32BE(8);
      const capLen = le ? block.readUInt32LE(20) : block.readUInt32BE(20);
      if (ifId < ifaces && capLen <= len - 32) {
        frames++;
        const add = wanted.get(frames);
        if (add) {
          replaced = withComments(block, 28 + pad4(capLen), add, le);
          annotated.push(frames);
        }
      }
    } else if (type === BT_SPB && len >= 16 && ifaces > 0) {
      frames++;
      const add = wanted.get(frames);
      if (add) {
        replaced = spbToEpb(block, add, le);
        annotated.push(frames);
      }
    }
    write(replaced ?? block);
    r.skip(len);
    offset += len;
  }
  return { annotated, missing: [], frames, format: 'pcapng' };
}

/** The block with its options rebuilt: old options (up to opt_endofopt) + new comments + opt_endofopt. */
function withComments(block: Buffer, optStart: number, comments: readonly string[], le: boolean): Uint8Array {
  const end = block.length - 4;
  let p = optStart;
  while (end - p >= 4) {
    const code = le ? block.readUInt16LE(p) : block.readUInt16BE(p);
    const n = le ? block.readUInt16LE(p + 2) : block.readUInt16BE(p + 2);
    if (code === OPT_ENDOFOPT || p + 4 + pad4(n) > end) break;
    p += 4 + pad4(n);
  }
  const encoded = comments.map((c) => enc.encode(c));
  const added = encoded.reduce((s, e) => s + 4 + pad4(e.length), 0) + 4;
  const total = p + added + 4;
  const outBuf = Buffer.alloc(total);
  block.copy(outBuf, 0, 0, p);
  let q = p;
  const u16 = (v: number, at: number) => (le ? outBuf.writeUInt16LE(v, at) : outBuf.writeUInt16BE(v, at));
  const u32 = (v: number, at: number) => (le ? outBuf.writeUInt32LE(v, at) : outBuf.writeUInt32BE(v, at));
  for (const e of encoded) {
    u16(OPT_COMMENT, q);
    u16(e.length, q + 2);
    outBuf.set(e, q + 4);
    q += 4 + pad4(e.length);
  }
  u32(OPT_ENDOFOPT, q);
  q += 4;
  u32(total, 4);
  u32(total, q);
  return outBuf;
}

function spbToEpb(block: Buffer, comments: readonly string[], le: boolean): Uint8Array {
  const origLen = le ? block.readUInt32LE(8) : block.readUInt32BE(8);
  const capLen = Math.min(origLen, block.length - 16);
  const epb = Buffer.alloc(32 + pad4(capLen));
  const u32 = (v: number, at: number) => (le ? epb.writeUInt32LE(v, at) : epb.writeUInt32BE(v, at));
  u32(BT_EPB, 0);
  u32(epb.length, 4);
  u32(0, 8);
  u32(0, 12);
  u32(0, 16);
  u32(capLen, 20);
  u32(origLen, 24);
  block.copy(epb, 28, 12, 12 + capLen);
  u32(epb.length, epb.length - 4);
  return withComments(epb, 28 + pad4(capLen), comments, le);
}

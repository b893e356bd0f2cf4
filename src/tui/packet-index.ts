/**
 * The compact per-frame index behind the packet list. A million-packet capture must not keep a
 * million decoded packets: the list needs only where each record sits in the file (to decode it
 * again when its details are shown, via CaptureReader.readFrameAt), its time and length in typed
 * arrays, and the column text, which is built once while indexing because it depends on
 * cross-packet analysis (relative sequence numbers, expert flags) that a lone re-decode cannot
 * recover. That text is not kept as JS strings (five per frame were ~390 MB for 600k packets) but
 * in text-store.ts: addresses and protocols interned as ids, Info and the explanation as UTF-8 in
 * an arena, so a frame costs 57 bytes of typed arrays plus its text's bytes.
 */
import { severityRank, type Severity } from '../timeline/explanation.js';
import { InternTable, TextArena } from './text-store.js';

const SEVERITIES: readonly Severity[] = ['chat', 'note', 'warn', 'error'];

/** What one indexed frame contributes (strings already escaped for the terminal). */
export interface IndexEntry {
  fileOffset: number;
  tsSec: number;
  tsNsec: number;
  origLen: number;
  source: string;
  destination: string;
  protocol: string;
  info: string;
  /** The Explainer's main sentence, escaped; '' when it has none. */
  explanation: string;
  severity: Severity;
  /** tcp.stream, or -1 when the frame is not TCP. */
  tcpStream: number;
  /** A damaged header (truncated or malformed layer) is shown like an expert error. */
  damaged: boolean;
}

/** Frames per page of typed arrays: pages are added, never copied, so growing costs no peak. */
const PAGE_BITS = 16;
const PAGE = 1 << PAGE_BITS;
const IN_PAGE = PAGE - 1;

/** One typed array per per-frame figure, for PAGE frames. */
function page() {
  return {
    // Float64 for offsets: pcap files past 4 GiB are ordinary, and a double is exact to 2^53.
    offsets: new Float64Array(PAGE),
    secs: new Float64Array(PAGE),
    nsecs: new Uint32Array(PAGE),
    lens: new Uint32Array(PAGE),
    sevs: new Uint8Array(PAGE),
    streams: new Int32Array(PAGE),
    // Ids into `names` (few distinct values).
    sources: new Uint32Array(PAGE),
    destinations: new Uint32Array(PAGE),
    protocols: new Uint32Array(PAGE),
    // Where Info and then the explanation sit in `texts`, and their lengths in bytes.
    textAt: new Float64Array(PAGE),
    infoBytes: new Uint32Array(PAGE),
    explanationBytes: new Uint32Array(PAGE),
  };
}
type Page = ReturnType<typeof page>;

export class PacketIndex {
  private n = 0;
  private readonly pages: Page[] = [];
  /** Addresses and protocol names, one table: an address is never a protocol name, and one Map is less overhead. */
  private readonly names = new InternTable();
  private readonly texts = new TextArena();
  /** Explanations set after a frame was added (PacketIndex.amend): the arena is append-only. */
  private readonly amended = new Map<number, string>();
  /** True once the whole file was read. */
  complete = false;

  get count(): number {
    return this.n;
  }

  add(e: IndexEntry): void {
    if ((this.n & IN_PAGE) === 0) this.pages.push(page());
    const p = this.pages[this.pages.length - 1]!;
    const k = this.n++ & IN_PAGE;
    p.offsets[k] = e.fileOffset;
    p.secs[k] = e.tsSec;
    p.nsecs[k] = e.tsNsec;
    p.lens[k] = e.origLen;
    // The damaged flag rides in the severity byte's high bit: one byte per frame for both.
    p.sevs[k] = severityRank(e.severity) | (e.damaged ? 0x80 : 0);
    p.streams[k] = e.tcpStream;
    p.sources[k] = this.names.id(e.source);
    p.destinations[k] = this.names.id(e.destination);
    p.protocols[k] = this.names.id(e.protocol);
    p.textAt[k] = this.texts.reserve([e.info, e.explanation]);
    p.infoBytes[k] = this.texts.append(e.info);
    p.explanationBytes[k] = this.texts.append(e.explanation);
  }

  /** Frame i's page. */
  private p(i: number): Page {
    return this.pages[i >>> PAGE_BITS]!;
  }

  fileOffset(i: number): number {
    return this.p(i).offsets[i & IN_PAGE]!;
  }
  length(i: number): number {
    return this.p(i).lens[i & IN_PAGE]!;
  }
  tcpStream(i: number): number {
    return this.p(i).streams[i & IN_PAGE]!;
  }
  severity(i: number): Severity {
    return SEVERITIES[this.p(i).sevs[i & IN_PAGE]! & 0x7f]!;
  }
  damaged(i: number): boolean {
    return (this.p(i).sevs[i & IN_PAGE]! & 0x80) !== 0;
  }
  /** Seconds since the first frame, six decimals, as tshark's default time column. */
  relTime(i: number): string {
    if (this.n === 0) return '';
    const first = this.pages[0]!;
    const p = this.p(i);
    const k = i & IN_PAGE;
    const ns = (p.secs[k]! - first.secs[0]!) * 1e9 + (p.nsecs[k]! - first.nsecs[0]!);
    const us = Math.round(Math.abs(ns) / 1000);
    const whole = Math.floor(us / 1e6);
    return `${ns < 0 ? '-' : ''}${whole}.${String(us - whole * 1e6).padStart(6, '0')}`;
  }
  protocol(i: number): string {
    return this.names.value(this.p(i).protocols[i & IN_PAGE]!);
  }
  /**
   * Gives frame i another explanation and severity, learnt after it was added (what the capture's
   * end completed on its last packets).
   */
  amend(i: number, explanation: string, severity: Severity): void {
    if (i < 0 || i >= this.n) return;
    this.amended.set(i, explanation);
    const p = this.p(i);
    const k = i & IN_PAGE;
    p.sevs[k] = severityRank(severity) | (p.sevs[k]! & 0x80);
  }
  /** The column text, decoded from the compact stores (a row being drawn or searched). */
  columns(i: number): { source: string; destination: string; protocol: string; info: string; explanation: string } {
    const p = this.p(i);
    const k = i & IN_PAGE;
    const at = p.textAt[k]!;
    const infoBytes = p.infoBytes[k]!;
    return {
      source: this.names.value(p.sources[k]!),
      destination: this.names.value(p.destinations[k]!),
      protocol: this.names.value(p.protocols[k]!),
      info: this.texts.text(at, 0, infoBytes),
      explanation: this.amended.get(i) ?? this.texts.text(at, infoBytes, p.explanationBytes[k]!),
    };
  }
  /** Bytes held by the index (its pages of typed arrays and the text arena), for the bench. */
  get bytes(): number {
    let n = this.texts.bytes;
    for (const p of this.pages) for (const arr of Object.values(p)) n += arr.byteLength;
    return n;
  }
}

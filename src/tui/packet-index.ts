/**
 * The compact per-frame index behind the packet list. A million-packet capture must not keep a
 * million decoded packets: the list needs only where each record sits in the file (to decode it
 * again when its details are shown, via CaptureReader.readFrameAt), its time and length in typed
 * arrays, and the column strings, which are built once while indexing because they depend on
 * cross-packet analysis (relative sequence numbers, expert flags) that a lone re-decode cannot
 * recover.
 */
import { severityRank, type Severity } from '../timeline/explanation.js';

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

export class PacketIndex {
  private n = 0;
  // Float64 for offsets: pcap files past 4 GiB are ordinary, and a double is exact to 2^53.
  private offsets = new Float64Array(1024);
  private secs = new Float64Array(1024);
  private nsecs = new Uint32Array(1024);
  private lens = new Uint32Array(1024);
  private sevs = new Uint8Array(1024);
  private streams = new Int32Array(1024);
  private readonly source: string[] = [];
  private readonly destination: string[] = [];
  private readonly protocol: string[] = [];
  private readonly info: string[] = [];
  private readonly explanation: string[] = [];
  /** True once the whole file was read. */
  complete = false;

  get count(): number {
    return this.n;
  }

  add(e: IndexEntry): void {
    if (this.n === this.offsets.length) this.grow();
    const i = this.n++;
    this.offsets[i] = e.fileOffset;
    this.secs[i] = e.tsSec;
    this.nsecs[i] = e.tsNsec;
    this.lens[i] = e.origLen;
    // The damaged flag rides in the severity byte's high bit: one byte per frame for both.
    this.sevs[i] = severityRank(e.severity) | (e.damaged ? 0x80 : 0);
    this.streams[i] = e.tcpStream;
    this.source.push(e.source);
    this.destination.push(e.destination);
    this.protocol.push(e.protocol);
    this.info.push(e.info);
    this.explanation.push(e.explanation);
  }

  private grow(): void {
    const size = this.offsets.length * 2;
    const g = <T extends Float64Array | Uint32Array | Uint8Array | Int32Array>(a: T, make: (n: number) => T): T => {
      const b = make(size);
      b.set(a as never);
      return b;
    };
    this.offsets = g(this.offsets, (k) => new Float64Array(k));
    this.secs = g(this.secs, (k) => new Float64Array(k));
    this.nsecs = g(this.nsecs, (k) => new Uint32Array(k));
    this.lens = g(this.lens, (k) => new Uint32Array(k));
    this.sevs = g(this.sevs, (k) => new Uint8Array(k));
    this.streams = g(this.streams, (k) => new Int32Array(k));
  }

  fileOffset(i: number): number {
    return this.offsets[i]!;
  }
  length(i: number): number {
    return this.lens[i]!;
  }
  tcpStream(i: number): number {
    return this.streams[i]!;
  }
  severity(i: number): Severity {
    return SEVERITIES[this.sevs[i]! & 0x7f]!;
  }
  damaged(i: number): boolean {
    return (this.sevs[i]! & 0x80) !== 0;
  }
  /** Seconds since the first frame, six decimals, as tshark's default time column. */
  relTime(i: number): string {
    if (this.n === 0) return '';
    const ns = (this.secs[i]! - this.secs[0]!) * 1e9 + (this.nsecs[i]! - this.nsecs[0]!);
    const us = Math.round(Math.abs(ns) / 1000);
    const whole = Math.floor(us / 1e6);
    return `${ns < 0 ? '-' : ''}${whole}.${String(us - whole * 1e6).padStart(6, '0')}`;
  }
  columns(i: number): { source: string; destination: string; protocol: string; info: string; explanation: string } {
    return { source: this.source[i]!, destination: this.destination[i]!, protocol: this.protocol[i]!, info: this.info[i]!, explanation: this.explanation[i]! };
  }
}

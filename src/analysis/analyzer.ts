/**
 * The analysis stage: consumes decoded packets in capture order and produces, per packet, what
 * only the context of other packets can tell (stream numbers, relative sequence numbers, expert
 * flags, RTTs), and, per conversation, state, history and reassembled streams.
 *
 * Invariant: `analyze` is called once per packet, in capture order; it never re-reads earlier
 * packets. Per-packet results are small records; their JSON fields are produced on demand.
 *
 * Parts, each its own module keeping its own state per stream number:
 *   tcp-tracker.ts     connections, tcp.stream numbering, sequence analysis and expert flags
 *   udp-tracker.ts     udp.stream numbering and per-conversation counters
 *   observers          anything else that follows connections segment by segment
 *                      (tcp-lifecycle.ts: state and history; reassembly.ts: byte streams)
 */
import type { Field, Layer, Packet } from '../decode/layer.js';
import { TcpLayer } from '../wire/tcp.js';
import { UdpLayer } from '../wire/udp.js';
import { Ipv4Layer } from '../wire/ipv4.js';
import { Ipv6Layer } from '../wire/ipv6.js';
import type { TcpConnection, TcpSegment, UdpConversation, UdpDatagram } from './connection.js';
import { TcpTracker, type TcpSegmentInfo } from './tcp-tracker.js';
import { UdpTracker } from './udp-tracker.js';
import { Defragmenter, reassemblyFields, type FragmentView, type ReassembledPacket } from './defrag.js';
import { DataLayer } from '../decode/data.js';

/** Follows TCP connections segment by segment, after the tracker's sequence analysis. */
export interface TcpObserver {
  /** A new connection (new tcp.stream) starts with this segment; called before its onSegment. */
  onConnection?(conn: TcpConnection, first: TcpSegment): void;
  /**
   * Returns false when it wants no more of this connection (a stream found to carry nothing it
   * reads): the analyzer then hands it none of the connection's later segments.
   */
  onSegment(conn: TcpConnection, seg: TcpSegment, info: TcpSegmentInfo): boolean | void;
  /** The capture ended: flush what is pending. */
  finish?(): void;
}

export interface UdpObserver {
  onConversation?(conv: UdpConversation, first: UdpDatagram): void;
  onDatagram(conv: UdpConversation, dgram: UdpDatagram): void;
  finish?(): void;
}

/** What analysis adds to one packet. */
export interface PacketAnalysis {
  readonly tcp?: TcpSegmentInfo;
  readonly udpStream?: number;
  /**
   * When this frame completed a fragmented IP datagram: the datagram decoded as a whole (its
   * layers refer to a new buffer; its frame is the completing one). Views show it instead of the
   * fragment, as Wireshark does with IP reassembly on.
   */
  readonly reassembled?: ReassembledPacket;
  /** Extra fields by Wireshark name (tcp.stream, tcp.seq, tcp.analysis.*, udp.stream), in display order. */
  fields(): Field[];
}

export interface AnalyzerOptions {
  tcpObservers?: TcpObserver[];
  udpObservers?: UdpObserver[];
  /**
   * The PacketAnalysis returned by analyze() (and the TcpSegmentInfo given to observers) is one
   * object reused for every packet, valid until the next call: no allocation per packet, for
   * callers that keep nothing per packet (`stats`).
   */
  reuseResults?: boolean;
  /**
   * Reassemble fragmented IP datagrams (RFC 791, RFC 8200 §4.5) before the transport analysis,
   * as Wireshark does by default (ip.defragment). A fragment that does not complete a datagram
   * gets no transport analysis.
   */
  defragment?: boolean;
}

const NO_FIELDS: Field[] = [];
const NOTHING: PacketAnalysis = { fields: () => NO_FIELDS };

/** The 20-byte fixed TCP header (RFC 9293 §3.1) is captured and within the segment. */
function fixedTcpHeader(packet: Packet, t: Layer): boolean {
  return t.offset + 20 <= packet.frame.data.length && (t as TcpLayer).segmentLength >= 20;
}

/** Replaces what was decoded above a fragment's IP layer with its data, as one `data` layer. */
function asFragment(packet: Packet, frag: FragmentView): void {
  const layers = packet.layers;
  const at = layers.lastIndexOf(frag.network);
  if (at < 0) return;
  layers.length = at + 1;
  if (frag.dataEnd > frag.dataStart) layers.push(new DataLayer(packet.frame.data, frag.dataStart, frag.dataEnd - frag.dataStart));
}

/** The analysis of a reassembled datagram, with Wireshark's reassembly fields in front. */
class ReassembledAnalysis implements PacketAnalysis {
  constructor(
    readonly reassembled: ReassembledPacket,
    private readonly inner: PacketAnalysis,
  ) {}
  get tcp() {
    return this.inner.tcp;
  }
  get udpStream() {
    return this.inner.udpStream;
  }
  fields(): Field[] {
    return [...reassemblyFields(this.reassembled.datagram), ...this.inner.fields()];
  }
}

class UdpPacketAnalysis implements PacketAnalysis {
  constructor(
    public udpStream: number,
    public offset: number,
  ) {}
  fields(): Field[] {
    return [{ name: 'udp.stream', value: this.udpStream, offset: this.offset, length: 0 }];
  }
}

export class Analyzer {
  readonly tcp = new TcpTracker();
  readonly udp = new UdpTracker();
  private readonly tcpObservers: TcpObserver[];
  private readonly udpObservers: UdpObserver[];
  private finished = false;
  private readonly reuse: boolean;
  private readonly udpScratch = new UdpPacketAnalysis(0, 0);
  /**
   * Streams whose first segments had a damaged header (observers are not told of those): the
   * first sound one announces the connection. Usually empty: a set, rather than a per-stream array
   * read on every segment, whose entry is seldom in the cache on a capture of many connections.
   */
  private readonly unannounced = new Set<number>();
  private readonly defrag?: Defragmenter;
  /** TcpConnection.declined when every TCP observer has declined. */
  private readonly allDeclined: number;

  constructor(options: AnalyzerOptions = {}) {
    this.tcpObservers = options.tcpObservers ?? [];
    // A bit per observer in a small integer (no caller has more than a few observers).
    if (this.tcpObservers.length > 30) throw new RangeError('at most 30 TCP observers');
    this.allDeclined = (1 << this.tcpObservers.length) - 1;
    this.udpObservers = options.udpObservers ?? [];
    this.tcp.reuseInfo = options.reuseResults ?? false;
    this.reuse = options.reuseResults ?? false;
    if (options.defragment) this.defrag = new Defragmenter();
  }

  analyze(packet: Packet): PacketAnalysis {
    if (!this.defrag) return this.analyzeWhole(packet);
    const whole = this.defrag.process(packet);
    if (whole) return new ReassembledAnalysis(whole, this.analyzeWhole(whole));
    const frag = this.defrag.lastFragment;
    if (!frag) return this.analyzeWhole(packet);
    // A fragment waiting for the rest: Wireshark with reassembly on decodes nothing above IP in it
    // (`ip:data`, Info "Fragmented IP protocol …", even for the first fragment, whose transport
    // header is there) and analyses no transport; the datagram is shown whole on its last fragment.
    asFragment(packet, frag);
    return NOTHING;
  }

  private analyzeWhole(packet: Packet): PacketAnalysis {
    // The innermost ip/ipv6 layer directly followed by tcp or udp (flows.ts's rule, found here
    // without building a key: this runs once per packet).
    // Class checks rather than reading `proto` across a dozen layer classes (a megamorphic load).
    const layers = packet.layers;
    let i = layers.length - 1;
    for (; i > 0; i--) {
      const l = layers[i];
      if (l instanceof TcpLayer || l instanceof UdpLayer) break;
    }
    if (i <= 0) return NOTHING;
    const t = layers[i]!;
    const n = layers[i - 1]!;
    if (!(n instanceof Ipv4Layer) && !(n instanceof Ipv6Layer)) return NOTHING;
    // A new (short-lived) pair per packet: young layers stored in a long-lived holder would cost
    // two write barriers per packet, more than this allocation.
    const loc = { network: n, transport: t };
    if (t instanceof TcpLayer) {
      // tshark numbers and analyses a TCP header damaged past its fixed part; observers get sound ones.
      const sound = t.status === 'ok';
      if (!sound && !fixedTcpHeader(packet, t)) return NOTHING;
      const r = this.tcp.track(packet, loc);
      const { conn, info } = r;
      const obs = this.tcpObservers;
      if (obs.length === 0) return info;
      if (!sound) {
        if (r.isNew) this.unannounced.add(conn.stream);
        return info;
      }
      // Every observer declined the connection (most of a capture's segments can be in streams the
      // application stage found to carry none of its protocols): no record, no calls.
      const declined = conn.declined;
      if (declined === this.allDeclined) return info;
      const isNew = r.isNew || (this.unannounced.size > 0 && this.unannounced.delete(conn.stream));
      // A new record per segment too, for the same reason.
      const seg: TcpSegment = { packet, tcp: t, dir: r.dir, time: r.time };
      for (let k = 0; k < obs.length; k++) {
        if (declined & (1 << k)) continue;
        const o = obs[k]!;
        if (isNew) o.onConnection?.(conn, seg);
        if (o.onSegment(conn, seg, info) === false) conn.declined |= 1 << k;
      }
      return info;
    }
    if (t.status !== 'ok') return NOTHING;
    const { conv, dgram, isNew } = this.udp.track(packet, loc, packet.frame.tsSec + packet.frame.tsNsec / 1e9);
    const obs = this.udpObservers;
    for (let k = 0; k < obs.length; k++) {
      const o = obs[k]!;
      if (isNew) o.onConversation?.(conv, dgram);
      o.onDatagram(conv, dgram);
    }
    if (!this.reuse) return new UdpPacketAnalysis(conv.stream, t.offset);
    this.udpScratch.udpStream = conv.stream;
    this.udpScratch.offset = t.offset;
    return this.udpScratch;
  }

  /** TCP connections in tcp.stream order. */
  connections(): readonly TcpConnection[] {
    return this.tcp.connections();
  }

  /** UDP conversations in udp.stream order. */
  udpConversations(): readonly UdpConversation[] {
    return this.udp.conversations();
  }

  /** The capture ended: lets observers flush (once; later calls do nothing). */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.defrag?.finish();
    for (const o of this.tcpObservers) o.finish?.();
    for (const o of this.udpObservers) o.finish?.();
  }
}

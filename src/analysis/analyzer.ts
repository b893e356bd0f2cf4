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
import type { Field, Packet } from '../decode/layer.js';
import type { TcpConnection, TcpSegment, UdpConversation, UdpDatagram } from './connection.js';
import { flowKeyOf } from './flows.js';
import { TcpTracker, type TcpSegmentInfo } from './tcp-tracker.js';

/** Follows TCP connections segment by segment, after the tracker's sequence analysis. */
export interface TcpObserver {
  /** A new connection (new tcp.stream) starts with this segment; called before its onSegment. */
  onConnection?(conn: TcpConnection, first: TcpSegment): void;
  onSegment(conn: TcpConnection, seg: TcpSegment, info: TcpSegmentInfo): void;
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
  /** Extra fields by Wireshark name (tcp.stream, tcp.seq, tcp.analysis.*, udp.stream), in display order. */
  fields(): Field[];
}

export interface AnalyzerOptions {
  tcpObservers?: TcpObserver[];
  udpObservers?: UdpObserver[];
}

const NOTHING: PacketAnalysis = { fields: () => [] };

export class Analyzer {
  readonly tcp = new TcpTracker();
  private readonly tcpObservers: TcpObserver[];
  private readonly udpObservers: UdpObserver[];

  constructor(options: AnalyzerOptions = {}) {
    this.tcpObservers = options.tcpObservers ?? [];
    this.udpObservers = options.udpObservers ?? [];
  }

  analyze(packet: Packet): PacketAnalysis {
    const key = flowKeyOf(packet);
    if (!key) return NOTHING;
    const time = packet.frame.tsSec + packet.frame.tsNsec / 1e9;
    if (key.proto === 'tcp') {
      const { conn, seg, info } = this.tcp.track(packet, key, time);
      for (const o of this.tcpObservers) o.onSegment(conn, seg, info);
      return { tcp: info, fields: () => info.fields() };
    }
    return NOTHING;
  }

  finish(): void {
    for (const o of this.tcpObservers) o.finish?.();
    for (const o of this.udpObservers) o.finish?.();
  }
}

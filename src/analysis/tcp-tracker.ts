/**
 * TCP connections and per-segment sequence analysis (stub: being written).
 */
import type { Field } from '../decode/layer.js';
import type { TcpConnection, TcpSegment } from './connection.js';
import type { FlowKey } from './flows.js';
import type { Packet } from '../decode/layer.js';

/** What the sequence analysis says about one segment (tcp.stream, tcp.seq, tcp.analysis.* …). */
export interface TcpSegmentInfo {
  readonly stream: number;
  fields(): Field[];
}

export class TcpTracker {
  track(_packet: Packet, _key: FlowKey, _time: number): { conn: TcpConnection; seg: TcpSegment; info: TcpSegmentInfo } {
    throw new Error('not yet');
  }
  connections(): readonly TcpConnection[] {
    return [];
  }
}

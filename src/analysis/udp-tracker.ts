/**
 * UDP conversations: udp.stream numbered from 0 in order of first packet, one per 5-tuple in
 * either direction (as Wireshark's conversation table numbers them), with per-direction counters.
 * UDP has no connection (RFC 768), so a conversation never ends and is never reused: the same
 * 5-tuple later in the capture is the same stream.
 */
import type { Packet } from '../decode/layer.js';
import type { UdpLayer } from '../wire/udp.js';
import { type Dir, type UdpConversation, type UdpDatagram } from './connection.js';
import { endpointsOf, flowKeyOf, type FlowKey } from './flows.js';
import { FlowTable, type FlowEntry } from './flow-table.js';

class Entry implements FlowEntry {
  flowLo = 0;
  flowHi = 0;
  flowPorts = 0;
  flowNext: FlowEntry | undefined = undefined;
  constructor(
    readonly conv: UdpConversation,
    /** Whether endpoint A (direction 0's source) is the canonically lower endpoint. */
    readonly aLow: boolean,
  ) {}
}

/** The result of tracking one datagram; one object reused by every call (copy what you keep). */
export interface UdpTrackResult {
  conv: UdpConversation;
  dgram: UdpDatagram;
  /** The datagram started a new conversation (a new udp.stream). */
  isNew: boolean;
}

export class UdpTracker {
  private readonly table = new FlowTable<Entry>();
  private readonly convs: UdpConversation[] = [];
  private readonly result: UdpTrackResult = { conv: undefined!, dgram: undefined!, isNew: false };

  /** Conversations in stream order. */
  conversations(): readonly UdpConversation[] {
    return this.convs;
  }

  /** `key` gives the datagram's network and UDP layers (flowKeyOf(packet) with proto 'udp' will do). */
  track(packet: Packet, key: Pick<FlowKey, 'network' | 'transport'>, time: number): UdpTrackResult {
    const udp = key.transport as UdpLayer;
    const frame = packet.frame;
    const table = this.table;
    let e = table.find(packet, key.network, key.transport);
    const lowToHigh = table.lowToHigh;
    let isNew = false;
    if (!e) {
      const { src, dst } = endpointsOf(packet, key as FlowKey);
      const canonical = flowKeyOf(packet)?.key ?? '';
      // A literal, not a spread of newConversationBase(): see TcpTracker.open.
      const c: UdpConversation = {
        stream: this.convs.length,
        key: canonical,
        a: src,
        b: dst,
        firstFrame: frame.number,
        startTime: time,
        lastFrame: frame.number,
        lastTime: time,
        packets: [0, 0],
        bytes: [0, 0],
        payloadBytes: [0, 0],
        proto: 'udp',
      };
      e = new Entry(c, lowToHigh);
      table.set(e);
      this.convs.push(c);
      isNew = true;
    }
    const conv = e.conv;
    const dir: Dir = lowToHigh === e.aLow ? 0 : 1;
    conv.packets[dir]++;
    conv.bytes[dir] += frame.origLen;
    conv.payloadBytes[dir] += udp.payloadLength;
    conv.lastFrame = frame.number;
    conv.lastTime = time;
    const r = this.result;
    r.conv = conv;
    r.dgram = { packet, udp, dir, time };
    r.isNew = isNew;
    return r;
  }
}

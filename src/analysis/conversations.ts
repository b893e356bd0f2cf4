/**
 * UDP conversations as Zeek's conn.log shows them (UDP has no connection, RFC 768: a
 * "conversation" is the datagrams between two endpoints, in both directions).
 *
 * Orientation: the originator is the sender of the first datagram, unless its source port looks
 * like a server's and the destination port does not (Zeek's UDP WantConnection); then the roles
 * are flipped and the history starts with '^'. History: 'D' for the originator's first datagram,
 * 'd' for the responder's (each once). conn_state: SF when both sides sent, S0 when only the
 * originator did, SHR when only the responder did, OTH otherwise (Zeek's conn_state for UDP).
 */
import type { UdpObserver } from './analyzer.js';
import type { Dir, UdpConversation, UdpDatagram } from './connection.js';
import { isLikelyServerPort, type ZeekConnState } from './tcp-lifecycle.js';

export interface UdpLifecycle {
  stream: number;
  /** The direction (of the conversation's endpoints a→b = 0) in which the originator sends. */
  clientDir: Dir;
  flipped: boolean;
  state: ZeekConnState;
  history: string;
}

export class UdpConversations implements UdpObserver {
  /** Per stream: bit 0 = originator's direction, bit 1 = flipped, bit 2/3 = originator/responder seen. */
  private readonly bits: number[] = [];
  private readonly histories: string[] = [];

  onConversation(conv: UdpConversation, first: UdpDatagram): void {
    this.start(conv.stream, first);
  }

  onDatagram(conv: UdpConversation, dgram: UdpDatagram): void {
    const s = conv.stream;
    if (this.bits[s] === undefined) this.start(s, dgram);
    const b = this.bits[s]!;
    const orig = dgram.dir === (b & 1);
    const mask = orig ? 4 : 8;
    if ((b & mask) === 0) {
      this.bits[s] = b | mask;
      this.histories[s] += orig ? 'D' : 'd';
    }
  }

  finish(): void {}

  summary(stream: number): UdpLifecycle | undefined {
    const b = this.bits[stream];
    if (b === undefined) return undefined;
    const o = (b & 4) !== 0;
    const r = (b & 8) !== 0;
    return {
      stream,
      clientDir: (b & 1) as Dir,
      flipped: (b & 2) !== 0,
      state: o ? (r ? 'SF' : 'S0') : r ? 'SHR' : 'OTH',
      history: this.histories[stream]!,
    };
  }

  private start(stream: number, first: UdpDatagram): void {
    const flip = isLikelyServerPort(first.udp.srcPort) && !isLikelyServerPort(first.udp.dstPort);
    this.bits[stream] = flip ? (first.dir ^ 1) | 2 : first.dir;
    this.histories[stream] = flip ? '^' : '';
  }
}

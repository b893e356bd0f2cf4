/**
 * Conversations as the analysis parts share them. A conversation's endpoint A is the source of
 * its first captured packet and B the destination; directions are numbered 0 (A→B) and 1 (B→A).
 * Which side is the client (sent the SYN) is the lifecycle's business, not the key's.
 *
 * Each analysis part keeps its own per-connection state, indexed by stream number (an array, not
 * a slot on this object), so parts stay independent and typed.
 */
import type { Packet } from '../decode/layer.js';
import type { TcpLayer } from '../wire/tcp.js';
import type { UdpLayer } from '../wire/udp.js';
import type { Endpoint } from './flows.js';

export type Dir = 0 | 1;

interface ConversationBase {
  /** tcp.stream / udp.stream: numbered from 0 in order of first packet, per protocol. */
  readonly stream: number;
  readonly key: string;
  readonly a: Endpoint;
  readonly b: Endpoint;
  readonly firstFrame: number;
  /** Seconds since the epoch of the first packet (double). */
  readonly startTime: number;
  lastFrame: number;
  lastTime: number;
  /** Per direction: frames, bytes on the wire (frame.len), transport payload bytes. */
  readonly packets: [number, number];
  readonly bytes: [number, number];
  readonly payloadBytes: [number, number];
}

export interface TcpConnection extends ConversationBase {
  readonly proto: 'tcp';
  /**
   * The observers that want nothing more of this connection, a bit per index in the analyzer's
   * list (analyzer.ts): its later segments pass them by. The analyzer's, kept here because every
   * segment reads this object anyway.
   */
  declined: number;
}

export interface UdpConversation extends ConversationBase {
  readonly proto: 'udp';
}

/** One TCP segment as the analysis parts see it. */
export interface TcpSegment {
  readonly packet: Packet;
  readonly tcp: TcpLayer;
  readonly dir: Dir;
  /** Seconds since the epoch (double; µs-exact for any realistic date). */
  readonly time: number;
}

export interface UdpDatagram {
  readonly packet: Packet;
  readonly udp: UdpLayer;
  readonly dir: Dir;
  readonly time: number;
}

export function newConversationBase(stream: number, key: string, a: Endpoint, b: Endpoint, frame: number, time: number): ConversationBase {
  return {
    stream,
    key,
    a,
    b,
    firstFrame: frame,
    startTime: time,
    lastFrame: frame,
    lastTime: time,
    packets: [0, 0],
    bytes: [0, 0],
    payloadBytes: [0, 0],
  };
}

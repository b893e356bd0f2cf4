/**
 * Builds TCP exchanges for the lifecycle tests: segments are emitted as real Ethernet/IPv4/TCP
 * frames (emitEthernet/emitIpv4/emitTcp) and decoded, so the observer sees what the Analyzer
 * would give it. A script line says who sends (c = client 10.0.0.1:40000, s = server
 * 10.0.0.2:80), the flags, sequence and acknowledgment numbers and payload length.
 */
import type { Frame } from '../../src/capture/frame.js';
import { newConversationBase, type Dir, type TcpConnection, type TcpSegment } from '../../src/analysis/connection.js';
import { decodePacket } from '../../src/decode/bindings.js';
import { findLayer } from '../../src/decode/layer.js';
import { emitEthernet } from '../../src/wire/ethernet.js';
import { emitIpv4 } from '../../src/wire/ipv4.js';
import { emitTcp, TcpFlag, type TcpLayer, type TcpOption } from '../../src/wire/tcp.js';
import type { TcpObserver } from '../../src/analysis/analyzer.js';

export const CLIENT = { ip: Uint8Array.of(10, 0, 0, 1), port: 40000 };
export const SERVER = { ip: Uint8Array.of(10, 0, 0, 2), port: 80 };

export interface Step {
  from: 'c' | 's';
  flags: string; // letters: S F R P A
  seq: number;
  ack?: number;
  len?: number;
  win?: number;
  options?: TcpOption[];
  /** Seconds after the start. */
  t?: number;
}

const FLAG_OF: Record<string, number> = { S: TcpFlag.SYN, F: TcpFlag.FIN, R: TcpFlag.RST, P: TcpFlag.PSH, A: TcpFlag.ACK };

let frameNumber = 0;

export function frameOf(step: Step, ports: { c: number; s: number } = { c: CLIENT.port, s: SERVER.port }): Frame {
  const [src, dst] = step.from === 'c' ? [CLIENT.ip, SERVER.ip] : [SERVER.ip, CLIENT.ip];
  const [sport, dport] = step.from === 'c' ? [ports.c, ports.s] : [ports.s, ports.c];
  let flags = 0;
  for (const ch of step.flags) flags |= FLAG_OF[ch]!;
  const tcp = emitTcp(
    { srcPort: sport, dstPort: dport, seq: step.seq >>> 0, ack: (step.ack ?? 0) >>> 0, flags, window: step.win ?? 65535, urgentPointer: 0, options: step.options ?? [], payload: new Uint8Array(step.len ?? 0).fill(0x61) },
    { version: 4, src, dst },
  );
  const ip = emitIpv4({ dscp: 0, ecn: 0, ident: 1, dontFragment: true, moreFragments: false, fragmentOffset: 0, ttl: 64, protocol: 6, src, dst }, tcp);
  const data = emitEthernet({ dst: Uint8Array.of(2, 0, 0, 0, 0, 2), src: Uint8Array.of(2, 0, 0, 0, 0, 1), etherType: 0x0800 }, ip);
  const t = step.t ?? 0;
  const sec = Math.floor(t);
  return { number: ++frameNumber, tsSec: 1_700_000_000 + sec, tsNsec: Math.round((t - sec) * 1e9), origLen: data.length, data, linkType: 1, interfaceId: 0, fileOffset: 0 };
}

/** Runs a script through an observer as one connection (stream 0) whose endpoint a is the first sender. */
export function runScript(observer: TcpObserver, steps: Step[], stream = 0, ports?: { c: number; s: number }): TcpConnection {
  let conn: TcpConnection | undefined;
  let aFrom: 'c' | 's' = 'c';
  for (const step of steps) {
    const frame = frameOf(step, ports);
    const packet = decodePacket(frame);
    const tcp = findLayer<TcpLayer>(packet, 'tcp')!;
    const time = frame.tsSec + frame.tsNsec / 1e9;
    if (!conn) {
      aFrom = step.from;
      const a = step.from === 'c' ? { address: '10.0.0.1', port: ports?.c ?? CLIENT.port } : { address: '10.0.0.2', port: ports?.s ?? SERVER.port };
      const b = step.from === 'c' ? { address: '10.0.0.2', port: ports?.s ?? SERVER.port } : { address: '10.0.0.1', port: ports?.c ?? CLIENT.port };
      conn = { ...newConversationBase(stream, 'k', a, b, frame.number, time), proto: 'tcp', declined: 0 };
    }
    const dir: Dir = step.from === aFrom ? 0 : 1;
    conn.packets[dir]++;
    conn.bytes[dir] += frame.origLen;
    conn.payloadBytes[dir] += tcp.payloadLength;
    conn.lastFrame = frame.number;
    conn.lastTime = time;
    const seg: TcpSegment = { packet, tcp, dir, time };
    if (conn.packets[0] + conn.packets[1] === 1) observer.onConnection?.(conn, seg);
    observer.onSegment(conn, seg, undefined as never);
  }
  return conn!;
}

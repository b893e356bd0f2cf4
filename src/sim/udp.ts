/** UDP (RFC 768) for simulated hosts: bind a port, send datagrams; nothing is retransmitted. */
import type { Host } from './network.js';

export type UdpHandler = (from: { ip: number; port: number }, payload: Uint8Array, localPort: number) => void;

export class UdpStack {
  private readonly bound = new Map<number, UdpHandler>();
  /** Datagrams that arrived at a port nobody listens on (a real stack answers ICMP port unreachable; we only count them). */
  unreachable = 0;

  constructor(private readonly host: Host) {}

  bind(port: number, handler: UdpHandler): void {
    this.bound.set(port, handler);
  }

  unbind(port: number): void {
    this.bound.delete(port);
  }

  send(srcPort: number, dstIp: number, dstPort: number, payload: Uint8Array, note: string): void {
    this.host.sendUdp(dstIp, { srcPort, dstPort, payload }, note);
  }

  receive(srcIp: number, d: { srcPort: number; dstPort: number; payload: Uint8Array }): void {
    const h = this.bound.get(d.dstPort);
    if (!h) {
      this.unreachable++;
      return;
    }
    h({ ip: srcIp, port: d.srcPort }, d.payload, d.dstPort);
  }
}

/**
 * The one-line packet summary of `wirelens read`, in tshark's column layout:
 *   No. Time Source → Destination Protocol Length Info
 * The Info text comes from the top-most layer that has one, as in Wireshark where each dissector
 * overwrites the columns of the one below.
 */
import type { Layer, Packet } from '../decode/layer.js';
import { escapeControl } from './escape.js';

/** Protocol column names, as Wireshark shows them. */
const COLUMN_NAME: Record<string, string> = {
  eth: 'Ethernet',
  vlan: '802.1Q',
  ieee8021ad: '802.1ad',
  sll: 'SLL',
  null: 'NULL',
  arp: 'ARP',
  ip: 'IPv4',
  ipv6: 'IPv6',
  icmp: 'ICMP',
  icmpv6: 'ICMPv6',
  tcp: 'TCP',
  udp: 'UDP',
};

export interface SummaryColumns {
  source: string;
  destination: string;
  protocol: string;
  info: string;
}

export function summarize(packet: Packet): SummaryColumns {
  let source = '';
  let destination = '';
  let protocol = '';
  let info = '';
  let top: Layer | undefined;
  // Upper layers overwrite lower ones, so search from the top and ask each question once: the
  // link layer's MAC strings are never formatted when IP has addresses to show.
  const layers = packet.layers;
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i]!;
    if (layer.endpoints) {
      const e = layer.endpoints();
      if (e) {
        source = e.src;
        destination = e.dst;
        break;
      }
    }
  }
  for (let i = layers.length - 1; i >= 0; i--) {
    const p = layers[i]!.proto;
    if (p !== 'data' && p !== 'raw') {
      top = layers[i];
      break;
    }
  }
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i]!;
    if (layer.info) {
      info = layer.info();
      break;
    }
  }
  if (top) protocol = COLUMN_NAME[top.proto] ?? top.proto.toUpperCase();
  else protocol = 'DATA';
  const damaged = packet.layers.find((l) => l.status !== 'ok');
  if (damaged?.status === 'malformed') info += `${info ? ' ' : ''}[Malformed ${COLUMN_NAME[damaged.proto] ?? damaged.proto}: ${damaged.problem?.code ?? ''}]`;
  else if (damaged?.status === 'truncated') info += `${info ? ' ' : ''}[${COLUMN_NAME[damaged.proto] ?? damaged.proto} header truncated by snaplen]`;
  return { source, destination, protocol, info: escapeControl(info) };
}

/** Seconds since the first packet, with six decimals (tshark's default time format). */
export function relativeTime(sec: number, nsec: number, firstSec: number, firstNsec: number): string {
  const ns = (sec - firstSec) * 1e9 + (nsec - firstNsec);
  const neg = ns < 0;
  const us = Math.round(Math.abs(ns) / 1000);
  const whole = Math.floor(us / 1e6);
  const frac = String(us - whole * 1e6).padStart(6, '0');
  return `${neg ? '-' : ''}${whole}.${frac}`;
}

export function formatSummaryLine(number: number, time: string, c: SummaryColumns, length: number): string {
  return `${String(number).padStart(6)} ${time.padStart(11)} ${c.source} → ${c.destination} ${c.protocol} ${length} ${c.info}`;
}

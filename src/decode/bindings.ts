/**
 * Every protocol's bindings, gathered into one set of tables. Each protocol file declares which
 * table keys it answers to (scapy's bind_layers); adding a protocol is one import and one spread.
 */
import { BindingTables, decodeFrame } from './driver.js';
import type { Frame } from '../capture/frame.js';
import type { Packet } from './layer.js';
import * as ethernet from '../wire/ethernet.js';
import * as vlan from '../wire/vlan.js';
import * as arp from '../wire/arp.js';
import * as sll from '../wire/sll.js';
import * as nullLoop from '../wire/null.js';
import * as raw from '../wire/raw.js';
import * as tcp from '../wire/tcp.js';
import * as udp from '../wire/udp.js';
import * as ipv4 from '../wire/ipv4.js';
import * as ipv6 from '../wire/ipv6.js';
import * as icmp from '../wire/icmp.js';
import * as icmpv6 from '../wire/icmpv6.js';
import * as dns from '../protocols/dns.js';
import * as quic from '../protocols/quic.js';

export const defaultTables = new BindingTables([...ethernet.bindings, ...vlan.bindings, ...arp.bindings, ...sll.bindings, ...nullLoop.bindings, ...raw.bindings, ...tcp.bindings, ...udp.bindings, ...ipv4.bindings, ...ipv6.bindings, ...icmp.bindings, ...icmpv6.bindings, ...dns.bindings, ...quic.bindings]);

/** Decodes a frame with the standard tables. */
export function decodePacket(frame: Frame): Packet {
  return decodeFrame(frame, defaultTables);
}

/**
 * The field registry: every name a filter may use, with its Wireshark type, protocol and a one-line
 * description (names, types and descriptions as `tshark -G fields` of 4.0.17 lists them; the `wl.*`
 * fields are ours). test/filter/registry.test.ts decodes the whole corpus and fails when a layer or
 * the analysis emits a field that is not here, so a new field must be registered to ship.
 *
 * `source` says where a value comes from, which is what keeps filtering cheap: a field is read only
 * from the layers of that protocol (or from the analysis record, or the frame), never from a JSON
 * rendering of the whole packet.
 */

import { APP_FIELDS, APP_FIELDS_DECODED, APP_PROTOCOLS } from './fields-app.js';

/**
 * Value types (Wireshark's FT_* families). `none` is a presence-only item (FT_NONE, and protocol
 * items we carry no bytes for, such as tcp.options.sack_perm); `protocol` is a whole layer, whose
 * value is its bytes.
 */
export type FieldType = 'uint' | 'int' | 'bool' | 'float' | 'time' | 'string' | 'ipv4' | 'ipv6' | 'ether' | 'bytes' | 'protocol' | 'none';

/** Where a field's values come from: a layer protocol, the frame, the packet's status, or the analysis. */
export type FieldSource = string;

export interface FieldDef {
  name: string;
  type: FieldType;
  /** Wireshark's protocol (or pseudo-protocol) the field belongs to, as the third column of `tshark -G fields`. */
  proto: string;
  description: string;
  /** `frame`, `status`, `analysis`, or the Layer.proto whose fields() emits it. */
  source: FieldSource;
  /** Other layers that emit the field too (the IPv6 layer emits ip.version, as Wireshark's does). */
  alsoFrom?: readonly string[];
  /**
   * Wireshark shows the integer in hex (BASE_HEX, BASE_HEX_DEC) with this many digits, the width
   * of its type: `tshark -T fields` prints `0x0800` for eth.type (`read -e`, fields-text.ts).
   */
  hexDigits?: number;
  /** A point in time (FT_ABSOLUTE_TIME), in seconds since the epoch; other `time` fields are durations. */
  absolute?: boolean;
  /** Names for integer values (`ip.checksum.status == "Good"`), as Wireshark's value_string. */
  valueStrings?: ReadonlyMap<number, string>;
  /** The field is computed from others (ip.addr from ip.src and ip.dst); it is never emitted itself. */
  derived?: boolean;
  /**
   * A Wireshark name wirelens never emits (application protocols: APP_FIELDS_DECODED lists what
   * it does emit). A filter on it compiles, as in Wireshark, and matches nothing.
   */
  undecoded?: boolean;
}

/** Rows of [name, type, protocol, description], as `tshark -G fields` lists them. */
export type FieldRows = readonly (readonly [string, FieldType, string, string])[];

/** Every field's row. Sorted by protocol, then name. */
const TABLE: FieldRows = [
  ['ah.next_header', 'uint', 'ah', 'Next header'],
  ['arp.dst.drarp_error_status', 'uint', 'arp', 'DRARP error status'],
  ['arp.dst.hw', 'bytes', 'arp', 'Target hardware address'],
  ['arp.dst.hw_mac', 'ether', 'arp', 'Target MAC address'],
  ['arp.dst.proto', 'bytes', 'arp', 'Target protocol address'],
  ['arp.dst.proto_ipv4', 'ipv4', 'arp', 'Target IP address'],
  ['arp.hw.size', 'uint', 'arp', 'Hardware size'],
  ['arp.hw.type', 'uint', 'arp', 'Hardware type'],
  ['arp.isannouncement', 'bool', 'arp', 'Is announcement'],
  ['arp.isgratuitous', 'bool', 'arp', 'Is gratuitous'],
  ['arp.isprobe', 'bool', 'arp', 'Is probe'],
  ['arp.opcode', 'uint', 'arp', 'Opcode'],
  ['arp.proto.size', 'uint', 'arp', 'Protocol size'],
  ['arp.proto.type', 'uint', 'arp', 'Protocol type'],
  ['arp.src.hw', 'bytes', 'arp', 'Sender hardware address'],
  ['arp.src.hw_mac', 'ether', 'arp', 'Sender MAC address'],
  ['arp.src.proto', 'bytes', 'arp', 'Sender protocol address'],
  ['arp.src.proto_ipv4', 'ipv4', 'arp', 'Sender IP address'],
  ['data.data', 'bytes', 'data', 'Data'],
  ['data.len', 'int', 'data', 'Length'],
  ['eth.addr', 'ether', 'eth', 'Address'],
  ['eth.dst', 'ether', 'eth', 'Destination'],
  ['eth.len', 'uint', 'eth', 'Length'],
  ['eth.src', 'ether', 'eth', 'Source'],
  ['eth.type', 'uint', 'eth', 'Type'],
  ['frame.cap_len', 'uint', 'frame', 'Frame length stored into the capture file'],
  ['frame.comment', 'string', 'frame', 'Comment'],
  ['frame.interface_id', 'uint', 'frame', 'Interface id'],
  ['frame.len', 'uint', 'frame', 'Frame length on the wire'],
  ['frame.number', 'uint', 'frame', 'Frame Number'],
  ['frame.protocols', 'string', 'frame', 'Protocols in frame'],
  ['frame.time_delta', 'time', 'frame', 'Time delta from previous captured frame'],
  ['frame.time_delta_displayed', 'time', 'frame', 'Time delta from previous displayed frame'],
  ['frame.time_epoch', 'time', 'frame', 'Epoch Time'],
  ['frame.time_relative', 'time', 'frame', 'Time since reference or first frame'],
  ['icmp.checksum', 'uint', 'icmp', 'Checksum'],
  ['icmp.checksum.status', 'uint', 'icmp', 'Checksum Status'],
  ['icmp.code', 'uint', 'icmp', 'Code'],
  ['icmp.ident', 'uint', 'icmp', 'Identifier (BE)'],
  ['icmp.seq', 'uint', 'icmp', 'Sequence Number (BE)'],
  ['icmp.type', 'uint', 'icmp', 'Type'],
  ['icmpv6.checksum', 'uint', 'icmpv6', 'Checksum'],
  ['icmpv6.checksum.status', 'uint', 'icmpv6', 'Checksum Status'],
  ['icmpv6.code', 'uint', 'icmpv6', 'Code'],
  ['icmpv6.echo.identifier', 'uint', 'icmpv6', 'Identifier'],
  ['icmpv6.echo.sequence_number', 'uint', 'icmpv6', 'Sequence'],
  ['icmpv6.mtu', 'uint', 'icmpv6', 'MTU'],
  ['icmpv6.nd.na.flag', 'uint', 'icmpv6', 'Flags'],
  ['icmpv6.nd.na.flag.o', 'bool', 'icmpv6', 'Override'],
  ['icmpv6.nd.na.flag.r', 'bool', 'icmpv6', 'Router'],
  ['icmpv6.nd.na.flag.rsv', 'uint', 'icmpv6', 'Reserved'],
  ['icmpv6.nd.na.flag.s', 'bool', 'icmpv6', 'Solicited'],
  ['icmpv6.nd.na.target_address', 'ipv6', 'icmpv6', 'Target Address'],
  ['icmpv6.nd.ns.target_address', 'ipv6', 'icmpv6', 'Target Address'],
  ['icmpv6.nd.ra.cur_hop_limit', 'uint', 'icmpv6', 'Cur hop limit'],
  ['icmpv6.nd.ra.flag', 'uint', 'icmpv6', 'Flags'],
  ['icmpv6.nd.ra.flag.h', 'bool', 'icmpv6', 'Home Agent'],
  ['icmpv6.nd.ra.flag.m', 'bool', 'icmpv6', 'Managed address configuration'],
  ['icmpv6.nd.ra.flag.o', 'bool', 'icmpv6', 'Other configuration'],
  ['icmpv6.nd.ra.flag.p', 'bool', 'icmpv6', 'Proxy'],
  ['icmpv6.nd.ra.flag.prf', 'uint', 'icmpv6', 'Prf (Default Router Preference)'],
  ['icmpv6.nd.ra.reachable_time', 'uint', 'icmpv6', 'Reachable time (ms)'],
  ['icmpv6.nd.ra.retrans_timer', 'uint', 'icmpv6', 'Retrans timer (ms)'],
  ['icmpv6.nd.ra.router_lifetime', 'uint', 'icmpv6', 'Router lifetime (s)'],
  ['icmpv6.nd.rd.target_address', 'ipv6', 'icmpv6', 'Target Address'],
  ['icmpv6.opt.length', 'uint', 'icmpv6', 'Length'],
  ['icmpv6.opt.linkaddr', 'bytes', 'icmpv6', 'Link-layer address'],
  ['icmpv6.opt.mtu', 'uint', 'icmpv6', 'MTU'],
  ['icmpv6.opt.prefix', 'ipv6', 'icmpv6', 'Prefix'],
  ['icmpv6.opt.prefix.flag', 'uint', 'icmpv6', 'Flag'],
  ['icmpv6.opt.prefix.flag.a', 'bool', 'icmpv6', 'Autonomous address-configuration flag(A)'],
  ['icmpv6.opt.prefix.flag.l', 'bool', 'icmpv6', 'On-link flag(L)'],
  ['icmpv6.opt.prefix.flag.r', 'bool', 'icmpv6', 'Router address flag(R)'],
  ['icmpv6.opt.prefix.length', 'uint', 'icmpv6', 'Prefix Length'],
  ['icmpv6.opt.prefix.preferred_lifetime', 'uint', 'icmpv6', 'Preferred Lifetime'],
  ['icmpv6.opt.prefix.valid_lifetime', 'uint', 'icmpv6', 'Valid Lifetime'],
  ['icmpv6.opt.src_linkaddr', 'bytes', 'icmpv6', 'Source Link-layer address'],
  ['icmpv6.opt.target_linkaddr', 'bytes', 'icmpv6', 'Target Link-layer address'],
  ['icmpv6.opt.type', 'uint', 'icmpv6', 'Type'],
  ['icmpv6.pointer', 'uint', 'icmpv6', 'Pointer'],
  ['icmpv6.rd.na.destination_address', 'ipv6', 'icmpv6', 'Destination Address'],
  ['icmpv6.reserved', 'bytes', 'icmpv6', 'Reserved'],
  ['icmpv6.type', 'uint', 'icmpv6', 'Type'],
  ['ieee8021ad.cvid', 'uint', 'ieee8021ad', 'ID'],
  ['ieee8021ad.dei', 'uint', 'ieee8021ad', 'DEI'],
  ['ieee8021ad.id', 'uint', 'ieee8021ad', 'ID'],
  ['ieee8021ad.priority', 'uint', 'ieee8021ad', 'Priority'],
  ['ieee8021ad.svid', 'uint', 'ieee8021ad', 'ID'],
  ['ieee8021ah.etype', 'uint', 'ieee8021ah', 'Type'],
  ['ip.addr', 'ipv4', 'ip', 'Source or Destination Address'],
  ['ip.checksum', 'uint', 'ip', 'Header Checksum'],
  ['ip.checksum.status', 'uint', 'ip', 'Header checksum status'],
  ['ip.dsfield', 'uint', 'ip', 'Differentiated Services Field'],
  ['ip.dsfield.dscp', 'uint', 'ip', 'Differentiated Services Codepoint'],
  ['ip.dsfield.ecn', 'uint', 'ip', 'Explicit Congestion Notification'],
  ['ip.dst', 'ipv4', 'ip', 'Destination Address'],
  ['ip.flags', 'uint', 'ip', 'Flags'],
  ['ip.flags.df', 'bool', 'ip', 'Don\'t fragment'],
  ['ip.flags.mf', 'bool', 'ip', 'More fragments'],
  ['ip.flags.rb', 'bool', 'ip', 'Reserved bit'],
  ['ip.frag_offset', 'uint', 'ip', 'Fragment Offset'],
  ['ip.hdr_len', 'uint', 'ip', 'Header Length'],
  ['ip.id', 'uint', 'ip', 'Identification'],
  ['ip.len', 'uint', 'ip', 'Total Length'],
  ['ip.opt.len', 'uint', 'ip', 'Length'],
  ['ip.opt.ra', 'uint', 'ip', 'Router Alert'],
  ['ip.opt.type', 'uint', 'ip', 'Type'],
  ['ip.opt.type.class', 'uint', 'ip', 'Class'],
  ['ip.opt.type.copy', 'bool', 'ip', 'Copy on fragmentation'],
  ['ip.opt.type.number', 'uint', 'ip', 'Number'],
  ['ip.proto', 'uint', 'ip', 'Protocol'],
  ['ip.src', 'ipv4', 'ip', 'Source Address'],
  ['ip.ttl', 'uint', 'ip', 'Time to Live'],
  ['ip.version', 'uint', 'ip', 'Version'],
  ['ipv6.addr', 'ipv6', 'ipv6', 'Source or Destination Address'],
  ['ipv6.dst', 'ipv6', 'ipv6', 'Destination Address'],
  ['ipv6.dstopts', 'none', 'ipv6.dstopts', 'Destination Options for IPv6'],
  ['ipv6.dstopts.len', 'uint', 'ipv6.dstopts', 'Length'],
  ['ipv6.dstopts.len_oct', 'uint', 'ipv6.dstopts', 'Length'],
  ['ipv6.dstopts.nxt', 'uint', 'ipv6.dstopts', 'Next Header'],
  ['ipv6.flow', 'uint', 'ipv6', 'Flow Label'],
  ['ipv6.fraghdr', 'none', 'ipv6.fraghdr', 'Fragment Header for IPv6'],
  ['ipv6.fraghdr.ident', 'uint', 'ipv6.fraghdr', 'Identification'],
  ['ipv6.fraghdr.more', 'bool', 'ipv6.fraghdr', 'More Fragments'],
  ['ipv6.fraghdr.nxt', 'uint', 'ipv6.fraghdr', 'Next header'],
  ['ipv6.fraghdr.offset', 'uint', 'ipv6.fraghdr', 'Offset'],
  ['ipv6.fraghdr.reserved_bits', 'uint', 'ipv6.fraghdr', 'Reserved bits'],
  ['ipv6.fraghdr.reserved_octet', 'uint', 'ipv6.fraghdr', 'Reserved octet'],
  ['ipv6.hlim', 'uint', 'ipv6', 'Hop Limit'],
  ['ipv6.hopopts', 'none', 'ipv6.hopopts', 'IPv6 Hop-by-Hop Option'],
  ['ipv6.hopopts.len', 'uint', 'ipv6.hopopts', 'Length'],
  ['ipv6.hopopts.len_oct', 'uint', 'ipv6.hopopts', 'Length'],
  ['ipv6.hopopts.nxt', 'uint', 'ipv6.hopopts', 'Next Header'],
  ['ipv6.nxt', 'uint', 'ipv6', 'Next Header'],
  ['ipv6.opt.jumbo', 'uint', 'ipv6', 'Payload Length'],
  ['ipv6.opt.length', 'uint', 'ipv6', 'Length'],
  ['ipv6.opt.padn', 'bytes', 'ipv6', 'PadN'],
  ['ipv6.opt.router_alert', 'uint', 'ipv6', 'Router Alert'],
  ['ipv6.opt.type', 'uint', 'ipv6', 'Type'],
  ['ipv6.opt.type.action', 'uint', 'ipv6', 'Action'],
  ['ipv6.opt.type.change', 'bool', 'ipv6', 'May Change'],
  ['ipv6.opt.type.rest', 'uint', 'ipv6', 'Low-Order Bits'],
  ['ipv6.plen', 'uint', 'ipv6', 'Payload Length'],
  ['ipv6.routing', 'none', 'ipv6.routing', 'Routing Header for IPv6'],
  ['ipv6.routing.len', 'uint', 'ipv6.routing', 'Length'],
  ['ipv6.routing.len_oct', 'uint', 'ipv6.routing', 'Length'],
  ['ipv6.routing.mipv6.home_address', 'ipv6', 'ipv6.routing', 'Home Address'],
  ['ipv6.routing.mipv6.reserved', 'bytes', 'ipv6.routing', 'Reserved'],
  ['ipv6.routing.nxt', 'uint', 'ipv6.routing', 'Next Header'],
  ['ipv6.routing.segleft', 'uint', 'ipv6.routing', 'Segments Left'],
  ['ipv6.routing.src.addr', 'ipv6', 'ipv6.routing', 'Address'],
  ['ipv6.routing.src.reserved', 'bytes', 'ipv6.routing', 'Reserved'],
  ['ipv6.routing.type', 'uint', 'ipv6.routing', 'Type'],
  ['ipv6.src', 'ipv6', 'ipv6', 'Source Address'],
  ['ipv6.tclass', 'uint', 'ipv6', 'Traffic Class'],
  ['ipv6.tclass.dscp', 'uint', 'ipv6', 'Differentiated Services Codepoint'],
  ['ipv6.tclass.ecn', 'uint', 'ipv6', 'Explicit Congestion Notification'],
  ['ipv6.version', 'uint', 'ipv6', 'Version'],
  ['null.family', 'uint', 'null', 'Family'],
  ['null.type', 'uint', 'null', 'Type'],
  ['sll.etype', 'uint', 'sll', 'Protocol'],
  ['sll.gretype', 'uint', 'sll', 'Protocol'],
  ['sll.halen', 'uint', 'sll', 'Link-layer address length'],
  ['sll.hatype', 'uint', 'sll', 'Link-layer address type'],
  ['sll.ifindex', 'uint', 'sll', 'Interface index'],
  ['sll.ltype', 'uint', 'sll', 'Protocol'],
  ['sll.pkttype', 'uint', 'sll', 'Packet type'],
  ['sll.src.eth', 'ether', 'sll', 'Source'],
  ['sll.src.ipv4', 'ipv4', 'sll', 'Source'],
  ['sll.src.other', 'bytes', 'sll', 'Source'],
  ['sll.unused', 'bytes', 'sll', 'Unused'],
  ['tcp.ack', 'uint', 'tcp', 'Acknowledgment Number'],
  ['tcp.ack.nonzero', 'none', 'tcp', 'The acknowledgment number field is nonzero while the ACK flag is not set'],
  ['tcp.ack_raw', 'uint', 'tcp', 'Acknowledgment number (raw)'],
  ['tcp.analysis.ack_lost_segment', 'none', 'tcp', 'ACKed segment that wasn\'t captured (common at capture start)'],
  ['tcp.analysis.ack_rtt', 'time', 'tcp', 'The RTT to ACK the segment was'],
  ['tcp.analysis.acks_frame', 'uint', 'tcp', 'This is an ACK to the segment in frame'],
  ['tcp.analysis.bytes_in_flight', 'uint', 'tcp', 'Bytes in flight'],
  ['tcp.analysis.duplicate_ack', 'none', 'tcp', 'Duplicate ACK'],
  ['tcp.analysis.duplicate_ack_frame', 'uint', 'tcp', 'Duplicate to the ACK in frame'],
  ['tcp.analysis.duplicate_ack_num', 'uint', 'tcp', 'Duplicate ACK #'],
  ['tcp.analysis.fast_retransmission', 'none', 'tcp', 'This frame is a (suspected) fast retransmission'],
  ['tcp.analysis.flags', 'none', 'tcp', 'TCP Analysis Flags'],
  ['tcp.analysis.initial_rtt', 'time', 'tcp', 'iRTT'],
  ['tcp.analysis.keep_alive', 'none', 'tcp', 'TCP keep-alive segment'],
  ['tcp.analysis.keep_alive_ack', 'none', 'tcp', 'ACK to a TCP keep-alive segment'],
  ['tcp.analysis.lost_segment', 'none', 'tcp', 'Previous segment(s) not captured (common at capture start)'],
  ['tcp.analysis.out_of_order', 'none', 'tcp', 'This frame is a (suspected) out-of-order segment'],
  ['tcp.analysis.push_bytes_sent', 'uint', 'tcp', 'Bytes sent since last PSH flag'],
  ['tcp.analysis.retransmission', 'none', 'tcp', 'This frame is a (suspected) retransmission'],
  ['tcp.analysis.reused_ports', 'none', 'tcp', 'A new tcp session is started with the same ports as an earlier session in this trace'],
  ['tcp.analysis.rto', 'time', 'tcp', 'The RTO for this segment was'],
  ['tcp.analysis.rto_frame', 'uint', 'tcp', 'RTO based on delta from frame'],
  ['tcp.analysis.spurious_retransmission', 'none', 'tcp', 'This frame is a (suspected) spurious retransmission'],
  ['tcp.analysis.window_full', 'none', 'tcp', 'TCP window specified by the receiver is now completely full'],
  ['tcp.analysis.window_update', 'none', 'tcp', 'TCP window update'],
  ['tcp.analysis.zero_window', 'none', 'tcp', 'TCP Zero Window segment'],
  ['tcp.analysis.zero_window_probe', 'none', 'tcp', 'TCP Zero Window Probe'],
  ['tcp.analysis.zero_window_probe_ack', 'none', 'tcp', 'ACK to a TCP Zero Window Probe'],
  ['tcp.checksum', 'uint', 'tcp', 'Checksum'],
  ['tcp.checksum.status', 'uint', 'tcp', 'Checksum Status'],
  ['tcp.completeness', 'uint', 'tcp', 'Conversation completeness'],
  ['tcp.dstport', 'uint', 'tcp', 'Destination Port'],
  ['tcp.flags', 'uint', 'tcp', 'Flags'],
  ['tcp.flags.ack', 'bool', 'tcp', 'Acknowledgment'],
  ['tcp.flags.ae', 'bool', 'tcp', 'Accurate ECN'],
  ['tcp.flags.cwr', 'bool', 'tcp', 'Congestion Window Reduced'],
  ['tcp.flags.ece', 'bool', 'tcp', 'ECN-Echo'],
  ['tcp.flags.fin', 'bool', 'tcp', 'Fin'],
  ['tcp.flags.push', 'bool', 'tcp', 'Push'],
  ['tcp.flags.res', 'bool', 'tcp', 'Reserved'],
  ['tcp.flags.reset', 'bool', 'tcp', 'Reset'],
  ['tcp.flags.str', 'string', 'tcp', 'TCP Flags'],
  ['tcp.flags.syn', 'bool', 'tcp', 'Syn'],
  ['tcp.flags.urg', 'bool', 'tcp', 'Urgent'],
  ['tcp.hdr_len', 'uint', 'tcp', 'Header Length'],
  ['tcp.len', 'uint', 'tcp', 'TCP Segment Len'],
  ['tcp.nxtseq', 'uint', 'tcp', 'Next Sequence Number'],
  ['tcp.option_kind', 'uint', 'tcp', 'Kind'],
  ['tcp.option_len', 'uint', 'tcp', 'Length'],
  ['tcp.options.mss_val', 'uint', 'tcp', 'MSS Value'],
  ['tcp.options.sack.count', 'uint', 'tcp', 'TCP SACK Count'],
  ['tcp.options.sack_le', 'uint', 'tcp', 'TCP SACK Left Edge'],
  ['tcp.options.sack_le_raw', 'uint', 'tcp', 'TCP SACK Left Edge (raw)'],
  ['tcp.options.sack_perm', 'none', 'tcp.options.sack_perm', 'TCP Option - SACK permitted'],
  ['tcp.options.sack_re', 'uint', 'tcp', 'TCP SACK Right Edge'],
  ['tcp.options.sack_re_raw', 'uint', 'tcp', 'TCP SACK Right Edge (raw)'],
  ['tcp.options.timestamp.tsecr', 'uint', 'tcp', 'Timestamp echo reply'],
  ['tcp.options.timestamp.tsval', 'uint', 'tcp', 'Timestamp value'],
  ['tcp.options.wscale.multiplier', 'uint', 'tcp', 'Multiplier'],
  ['tcp.options.wscale.shift', 'uint', 'tcp', 'Shift count'],
  ['tcp.payload', 'bytes', 'tcp', 'TCP payload'],
  ['tcp.port', 'uint', 'tcp', 'Source or Destination Port'],
  ['tcp.seq', 'uint', 'tcp', 'Sequence Number'],
  ['tcp.seq_raw', 'uint', 'tcp', 'Sequence Number (raw)'],
  ['tcp.srcport', 'uint', 'tcp', 'Source Port'],
  ['tcp.stream', 'uint', 'tcp', 'Stream index'],
  ['tcp.time_delta', 'time', 'tcp', 'Time since previous frame in this TCP stream'],
  ['tcp.time_relative', 'time', 'tcp', 'Time since first frame in this TCP stream'],
  ['tcp.urgent_pointer', 'uint', 'tcp', 'Urgent Pointer'],
  ['tcp.window_size', 'uint', 'tcp', 'Calculated window size'],
  ['tcp.window_size_scalefactor', 'int', 'tcp', 'Window size scaling factor'],
  ['tcp.window_size_value', 'uint', 'tcp', 'Window'],
  ['udp.checksum', 'uint', 'udp', 'Checksum'],
  ['udp.checksum.status', 'uint', 'udp', 'Checksum Status'],
  ['udp.dstport', 'uint', 'udp', 'Destination Port'],
  ['udp.length', 'uint', 'udp', 'Length'],
  ['udp.payload', 'bytes', 'udp', 'Payload'],
  ['udp.port', 'uint', 'udp', 'Source or Destination Port'],
  ['udp.srcport', 'uint', 'udp', 'Source Port'],
  ['udp.stream', 'uint', 'udp', 'Stream index'],
  ['vlan.dei', 'bool', 'vlan', 'DEI'],
  ['vlan.etype', 'uint', 'vlan', 'Type'],
  ['vlan.id', 'uint', 'vlan', 'ID'],
  ['vlan.len', 'uint', 'vlan', 'Length'],
  ['vlan.priority', 'uint', 'vlan', 'Priority'],
  ['wl.error.code', 'string', 'wl', 'Stable code of the problem a layer has (WL_MALFORMED_...)'],
  ['wl.error.message', 'string', 'wl', 'What is wrong with the layer, in words'],
  ['wl.error.offset', 'uint', 'wl', 'Frame offset of the bytes the problem is about'],
  ['wl.truncated', 'string', 'wl', 'Protocol whose header the snap length cut short'],
  ['_ws.malformed', 'none', '_ws.malformed', 'Malformed Packet'],
];

/** Layer protocols: presence tests (`tcp`, `ipv6`), slices (`tcp[13]`), contains (`frame contains "GET"`). */
const PROTOCOLS: readonly (readonly [string, string])[] = [
  ['frame', 'Frame'],
  ['eth', 'Ethernet II'],
  ['vlan', '802.1Q Virtual LAN'],
  ['ieee8021ad', 'IEEE 802.1ad (provider bridge, Q-in-Q)'],
  ['arp', 'Address Resolution Protocol'],
  ['sll', 'Linux cooked-mode capture (v1 and v2)'],
  ['null', 'Null/Loopback'],
  ['raw', 'Raw packet data (link type RAW: IP with no link header)'],
  ['ip', 'Internet Protocol Version 4'],
  ['ipv6', 'Internet Protocol Version 6'],
  ['icmp', 'Internet Control Message Protocol'],
  ['icmpv6', 'Internet Control Message Protocol v6'],
  ['tcp', 'Transmission Control Protocol'],
  ['udp', 'User Datagram Protocol'],
  ['data', 'Data (bytes no dissector claims)'],
];

/** Fields the analysis stage adds (src/analysis/analyzer.ts PacketAnalysis.fields()), not a layer. */
const ANALYSIS_FIELDS = new Set([
  'tcp.stream',
  'tcp.completeness',
  'tcp.seq',
  'tcp.ack',
  'tcp.nxtseq',
  'tcp.window_size',
  'tcp.window_size_scalefactor',
  'tcp.time_relative',
  'tcp.time_delta',
  'tcp.options.sack_le',
  'tcp.options.sack_re',
  'tcp.ack.nonzero',
  'udp.stream',
]);

/** Fields made from two others: Wireshark's "either" fields (src or dst). */
export const EITHER_FIELDS: Readonly<Record<string, readonly [string, string]>> = {
  'ip.addr': ['ip.src', 'ip.dst'],
  'ipv6.addr': ['ipv6.src', 'ipv6.dst'],
  'eth.addr': ['eth.src', 'eth.dst'],
};

/** Pseudo-protocols that are present when their first field is (Wireshark adds a protocol item for each). */
export const MARKER_FIELDS: Readonly<Record<string, string>> = {
  'ipv6.hopopts': 'ipv6.hopopts.nxt',
  'ipv6.routing': 'ipv6.routing.nxt',
  'ipv6.dstopts': 'ipv6.dstopts.nxt',
  'ipv6.fraghdr': 'ipv6.fraghdr.nxt',
};

/** tshark's value_string for every `*.checksum.status` (`tshark -G values`: proto_checksum_vals). */
export const CHECKSUM_STATUS = new Map<number, string>([
  [0, 'Bad'],
  [1, 'Good'],
  [2, 'Unverified'],
  [3, 'Not present'],
  [4, 'Illegal'],
]);

function sourceOf(name: string): FieldSource {
  if (ANALYSIS_FIELDS.has(name) || name.startsWith('tcp.analysis.')) return 'analysis';
  if (name === '_ws.malformed' || name.startsWith('wl.')) return 'status';
  // The 802.1ad layer emits 802.1ah's type field (Wireshark reuses it); AH is skipped inside the IPv6 layer.
  if (name.startsWith('ieee8021ah.')) return 'ieee8021ad';
  if (name.startsWith('ah.')) return 'ipv6';
  return name.slice(0, name.indexOf('.'));
}

/**
 * tshark's TCP PDU-reassembly fields (the segment list of a PDU that spans segments). wirelens puts
 * a message's fields on the frame that completes it but keeps no segment list, so these are not
 * produced: a filter naming one compiles, as in Wireshark, says so, and matches nothing.
 */
const TCP_REASSEMBLY_FIELDS: FieldRows = [
  ['tcp.pdu.size', 'uint', 'tcp', 'PDU Size'],
  ['tcp.reassembled.data', 'bytes', 'tcp', 'Reassembled TCP Data'],
  ['tcp.reassembled.length', 'uint', 'tcp', 'Reassembled TCP length'],
  ['tcp.reassembled_in', 'uint', 'tcp', 'Reassembled PDU in frame'],
  ['tcp.segment', 'uint', 'tcp', 'TCP Segment'],
  ['tcp.segment.count', 'uint', 'tcp', 'Segment count'],
  ['tcp.segment.error', 'uint', 'tcp', 'Reassembling error'],
  ['tcp.segment.multipletails', 'bool', 'tcp', 'Multiple tail segments found'],
  ['tcp.segment.overlap', 'bool', 'tcp', 'Segment overlap'],
  ['tcp.segment.overlap.conflict', 'bool', 'tcp', 'Conflicting data in segment overlap'],
  ['tcp.segment.toolongfragment', 'bool', 'tcp', 'Segment too long'],
  ['tcp.segment_data', 'bytes', 'tcp', 'TCP segment data'],
  ['tcp.segments', 'none', 'tcp', 'Reassembled TCP Segments'],
];
const UNDECODED = new Set(TCP_REASSEMBLY_FIELDS.map(([name]) => name));

/** The `time` fields that are points in time (FT_ABSOLUTE_TIME in `tshark -G fields`). */
const ABSOLUTE_TIMES: ReadonlySet<string> = new Set([
  'dns.rrsig.signature_expiration',
  'dns.rrsig.signature_inception',
  'dns.tkey.signature_expiration',
  'dns.tkey.signature_inception',
  'dns.tsig.time_signed',
  'tls.handshake.random_time',
  'tls.sct.sct_timestamp',
]);

/**
 * The decoded integer fields `tshark -G fields` (4.0.17) gives a hex base, with the digits of their
 * type (FT_UINT8 2, FT_UINT16 4, FT_UINT24 6, FT_UINT32 8); test/filter/registry.test.ts checks
 * the list against tshark when it is installed.
 */
const HEX_DIGITS: ReadonlyMap<string, number> = new Map([
  ['arp.proto.type', 4],
  ['eth.type', 4],
  ['icmp.checksum', 4],
  ['icmpv6.checksum', 4],
  ['icmpv6.echo.identifier', 4],
  ['icmpv6.nd.na.flag', 8],
  ['icmpv6.nd.ra.flag', 2],
  ['icmpv6.opt.prefix.flag', 2],
  ['ieee8021ah.etype', 4],
  ['ip.checksum', 4],
  ['ip.dsfield', 2],
  ['ip.flags', 2],
  ['ip.id', 4],
  ['ipv6.flow', 6],
  ['ipv6.fraghdr.ident', 8],
  ['ipv6.fraghdr.reserved_octet', 2],
  ['ipv6.opt.type', 2],
  ['ipv6.opt.type.rest', 2],
  ['ipv6.tclass', 8],
  ['null.type', 4],
  ['sll.etype', 4],
  ['sll.gretype', 4],
  ['sll.ltype', 4],
  ['tcp.checksum', 4],
  ['tcp.flags', 4],
  ['udp.checksum', 4],
  ['vlan.etype', 4],
  ['dns.dnskey.flags', 4],
  ['dns.dnskey.flags.reserved', 4],
  ['dns.ds.key_id', 4],
  ['dns.flags', 4],
  ['dns.id', 4],
  ['dns.qry.class', 4],
  ['dns.resp.class', 4],
  ['dns.resp.ext_rcode', 2],
  ['dns.resp.z', 4],
  ['dns.resp.z.reserved', 4],
  ['dns.rr.udp_payload_size', 4],
  ['quic.supported_version', 8],
  ['quic.version', 8],
  ['tls.handshake.ciphersuite', 4],
  ['tls.handshake.extensions.supported_version', 4],
  ['tls.handshake.extensions_supported_group', 4],
  ['tls.handshake.sig_hash_alg', 4],
  ['tls.handshake.version', 4],
  ['tls.record.version', 4],
  ['websocket.rsv', 2],
]);

const APP_PROTOCOL_NAMES = new Set(APP_PROTOCOLS.map(([name]) => name));
const REGISTRY = new Map<string, FieldDef>();
for (const [name, description] of [...PROTOCOLS, ...APP_PROTOCOLS]) REGISTRY.set(name, { name, type: 'protocol', proto: name, description, source: name });
for (const [name, type, proto, description] of [...TABLE, ...TCP_REASSEMBLY_FIELDS, ...APP_FIELDS]) {
  const def: FieldDef = { name, type, proto, description, source: sourceOf(name) };
  if (name.endsWith('.checksum.status')) def.valueStrings = CHECKSUM_STATUS;
  const hex = HEX_DIGITS.get(name);
  if (hex !== undefined) def.hexDigits = hex;
  if (ABSOLUTE_TIMES.has(name)) def.absolute = true;
  if (name === 'ip.version') def.alsoFrom = ['ipv6'];
  if (name in EITHER_FIELDS || name in MARKER_FIELDS || name === 'tcp.analysis.flags') def.derived = true;
  if ((APP_PROTOCOL_NAMES.has(proto) && !APP_FIELDS_DECODED.has(name)) || UNDECODED.has(name)) def.undecoded = true;
  REGISTRY.set(name, def);
}

export function lookupField(name: string): FieldDef | undefined {
  return REGISTRY.get(name);
}

/** Every registered name, protocols first, in registry order. */
export function allFields(): FieldDef[] {
  return [...REGISTRY.values()];
}

/** Up to `max` registered names nearest to `name` (edit distance, ties by name), for "did you mean". */
export function suggestFields(name: string, max = 3): string[] {
  const limit = Math.max(2, Math.floor(name.length / 3));
  const scored: { n: string; d: number }[] = [];
  for (const n of REGISTRY.keys()) {
    if (Math.abs(n.length - name.length) > limit) continue;
    const d = editDistance(name, n, limit);
    if (d <= limit) scored.push({ n, d });
  }
  scored.sort((a, b) => a.d - b.d || a.n.localeCompare(b.n));
  return scored.slice(0, max).map((s) => s.n);
}

/** Levenshtein distance, giving up (returning limit + 1) once every path costs more than `limit`. */
export function editDistance(a: string, b: string, limit = Number.POSITIVE_INFINITY): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      cur.push(v);
      if (v < best) best = v;
    }
    if (best > limit) return limit + 1;
    prev = cur;
  }
  return prev[b.length]!;
}

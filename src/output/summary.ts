/**
 * The one-line packet summary of `wirelens read`, in tshark's column layout:
 *   No. Time Source → Destination Protocol Length Info
 * The Info text comes from the top-most layer that has one, as in Wireshark where each dissector
 * overwrites the columns of the one below.
 */
import type { Layer, Packet } from '../decode/layer.js';
import type { PacketAnalysis } from '../analysis/analyzer.js';
import { PayloadLayer, TlsAppLayer } from '../analysis/app.js';
import { TcpAnalysisFlag as F, type TcpSegmentInfo } from '../analysis/tcp-tracker.js';
import { TcpLayer } from '../wire/tcp.js';
import { escapeControl } from './escape.js';
import { microsText } from './time-column.js';
import { nsBetween } from '../capture/frame-clock.js';

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
  websocket: 'WebSocket',
};

export interface SummaryColumns {
  source: string;
  destination: string;
  protocol: string;
  info: string;
}

/**
 * tshark's expert marks at the front of a TCP Info column, in the order it shows them when
 * several apply (each is prepended in turn by packet-tcp.c's tcp_print_sequence_number_analysis).
 */
const EXPERT_MARKS: readonly [number, string][] = [
  [F.REUSED_PORTS, 'TCP Port numbers reused'],
  [F.LOST_SEGMENT, 'TCP Previous segment not captured'],
  [F.ACK_LOST_SEGMENT, 'TCP ACKed unseen segment'],
  [F.KEEP_ALIVE, 'TCP Keep-Alive'],
  [F.WINDOW_UPDATE, 'TCP Window Update'],
  [F.WINDOW_FULL, 'TCP Window Full'],
  [F.KEEP_ALIVE_ACK, 'TCP Keep-Alive ACK'],
  [F.DUPLICATE_ACK, 'TCP Dup ACK'],
  [F.ZERO_WINDOW_PROBE, 'TCP ZeroWindowProbe'],
  [F.ZERO_WINDOW, 'TCP ZeroWindow'],
  [F.ZERO_WINDOW_PROBE_ACK, 'TCP ZeroWindowProbeAck'],
  [F.SPURIOUS_RETRANSMISSION, 'TCP Spurious Retransmission'],
  [F.RETRANSMISSION, 'TCP Retransmission'],
  [F.FAST_RETRANSMISSION, 'TCP Fast Retransmission'],
  [F.OUT_OF_ORDER, 'TCP Out-Of-Order'],
];

export function tcpExpertPrefix(a: TcpSegmentInfo): string {
  if (a.flags === 0) return '';
  let prefix = '';
  for (const [flag, text] of EXPERT_MARKS) {
    if ((a.flags & flag) === 0) continue;
    const mark = flag === F.DUPLICATE_ACK ? `${text} ${a.dupAckFrame}#${a.dupAckNum}` : text;
    prefix = `[${mark}] ${prefix}`;
  }
  return prefix;
}

/**
 * The Info text of a TCP segment, with relative numbers and expert marks when analysed; a segment
 * that carries part of a PDU completed later says so as tshark does (its dissector's Info if it
 * set one, then "[TCP segment of a reassembled PDU]").
 */
function tcpInfo(tcp: TcpLayer, a: TcpSegmentInfo | undefined): string {
  // A retransmission is not handed to a dissector again (its bytes, when it fills a hole, are).
  const part = tcp.pduInfo;
  if (part === undefined || (a !== undefined && (a.flags & RETRANSMISSIONS) !== 0)) return tcpOwnInfo(tcp, a);
  const before = part ?? tcpOwnInfo(tcp, a);
  return `${before}${before ? ' ' : ''}[TCP segment of a reassembled PDU]`;
}

/** The segment's own Info: flags, numbers (relative when analysed) and expert marks. */
function tcpOwnInfo(tcp: TcpLayer, a: TcpSegmentInfo | undefined): string {
  return a ? tcpExpertPrefix(a) + tcp.info({ seq: a.seq, ack: a.ack, window: a.window }) : tcp.info();
}

const RETRANSMISSIONS = F.RETRANSMISSION | F.FAST_RETRANSMISSION | F.SPURIOUS_RETRANSMISSION;

export function summarize(original: Packet, analysis?: PacketAnalysis): SummaryColumns {
  const packet = analysis?.reassembled ?? original;
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
    // A message body's layer leaves the column to its carrier ("HTTP", "WebSocket"), as in tshark.
    if (p !== 'data' && p !== 'raw' && !(layers[i] instanceof PayloadLayer)) {
      top = layers[i];
      break;
    }
  }
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i]!;
    if (layer instanceof TcpLayer) {
      info = tcpInfo(layer, analysis?.tcp);
      break;
    }
    if (layer.info) {
      info = layer.info();
      break;
    }
  }
  // TLS names the column after the record version ("TLSv1.3"), as tshark does.
  if (top) protocol = top instanceof TlsAppLayer ? top.versionName : (COLUMN_NAME[top.proto] ?? top.proto.toUpperCase());
  else protocol = 'DATA';
  const damaged = packet.layers.find((l) => l.status !== 'ok');
  if (damaged?.status === 'malformed') info += `${info ? ' ' : ''}[Malformed ${COLUMN_NAME[damaged.proto] ?? damaged.proto}: ${damaged.problem?.code ?? ''}]`;
  else if (damaged?.status === 'truncated') info += `${info ? ' ' : ''}[${COLUMN_NAME[damaged.proto] ?? damaged.proto} header truncated by snaplen]`;
  return { source, destination, protocol, info: escapeControl(info) };
}

/**
 * Packet comments (pcapng opt_comment, Wireshark's frame.comment: teachers' notes) as a compact
 * suffix for a summary line, e.g. " [note: the client's SYN]"; empty when there are none. Not
 * escaped: each view escapes for its medium.
 */
export function noteSuffix(comments: readonly string[] | undefined): string {
  return comments?.length ? comments.map((c) => ` [note: ${c}]`).join('') : '';
}

/** Seconds since the first packet, with six decimals (tshark's default time format). */
export function relativeTime(sec: number, nsec: number, firstSec: number, firstNsec: number): string {
  return microsText(nsBetween(firstSec, firstNsec, sec, nsec));
}

export function formatSummaryLine(number: number, time: string, c: SummaryColumns, length: number): string {
  return `${String(number).padStart(6)} ${time.padStart(11)} ${c.source} → ${c.destination} ${c.protocol} ${length} ${c.info}`;
}

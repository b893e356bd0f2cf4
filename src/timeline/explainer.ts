/**
 * The Explainer turns each packet, with what the analysis found about it, into plain sentences
 * (explanation.ts). It is fed every packet in capture order, once, after the Analyzer: it reads the
 * decoded layers and the PacketAnalysis and never decodes anything again. Cross-packet knowledge
 * (which side is the client, when the SYN was sent, how far the teardown has gone) is kept per
 * stream here, small and bounded by the number of connections.
 *
 * What the sentences teach, with the rule behind each:
 * - handshake 1/3..3/3: SYN, SYN-ACK, ACK (RFC 9293 §3.5, Figure 6); each side picks an ISN, the
 *   SYN takes one sequence number, so the peer acknowledges ISN + 1 (§3.4);
 * - data and acknowledgments, with relative sequence numbers as Wireshark shows them;
 * - the sequence analysis's expert flags (tcp-tracker.ts restates Wireshark's rules; their reason
 *   is quoted as "which rule fired"), with Wireshark's severities (packet-tcp.c expert infos:
 *   window update is a chat; retransmissions, duplicate ACKs, keep-alives and probes are notes;
 *   zero window, window full, lost and out-of-order segments and RST are warnings);
 * - duplicate ACKs: the third one is the fast-retransmit signal (RFC 5681 §3.2);
 * - teardown 1/4..4/4: FIN, its ACK, the other FIN, its ACK (RFC 9293 §3.6, Figure 12); a FIN that
 *   also acknowledges the peer's FIN is steps 2 and 3 at once; RST aborts (§3.5.2) or refuses;
 * - ARP, ICMP, UDP, DNS and QUIC headers (RFC 9000 §17) from their layers; IP fragments, and the
 *   fragment that completes a datagram, which is explained whole (RFC 791 §3.2, RFC 8200 §4.5);
 * - HTTP, WebSocket, SSE, TLS hellos and DNS over TCP from the application stage's records
 *   (analysis/app.ts, AppRecord) when the caller provides them;
 * - packet comments (pcapng opt_comment, Wireshark's frame.comment) as notes.
 */
import type { PacketAnalysis } from '../analysis/analyzer.js';
import { fragmentOf, type DatagramInfo, type FragmentView } from '../analysis/defrag.js';
import { ipProtocolName } from '../wire/ipv4.js';
import type { Dir } from '../analysis/connection.js';
import { TcpAnalysisFlag, type TcpSegmentInfo } from '../analysis/tcp-tracker.js';
import { isLikelyServerPort, type TcpLifecycle } from '../analysis/tcp-lifecycle.js';
import type { Layer, Packet } from '../decode/layer.js';
import { DnsLayer, dnsTypeName, DnsTransactions, type DnsTransactionInfo } from '../protocols/dns.js';
import { QuicLayer, type QuicPacketType } from '../protocols/quic.js';
import type { ArpLayer } from '../wire/arp.js';
import type { IcmpLayer } from '../wire/icmp.js';
import type { Icmpv6Layer } from '../wire/icmpv6.js';
import { TcpFlag, TcpLayer } from '../wire/tcp.js';
import { UdpLayer } from '../wire/udp.js';
import { WsOpcode } from '../protocols/websocket.js';
import { header, type HttpHeader } from '../protocols/http.js';
import { basicCredentials } from '../protocols/http-fields.js';
import type { AppRecord } from '../analysis/app.js';
import { cipherSuiteText, HandshakeType, TLS13, tlsAlertText, tlsVersionText, type TlsHandshakeMessage } from '../protocols/tls.js';
import {
  bytesText,
  durationText,
  explanation as ex,
  maxSeverity,
  nsBetween,
  type Explanation,
  type PacketExplanation,
  type Phase,
  type Severity,
} from './explanation.js';

const { SYN, ACK, FIN, RST } = TcpFlag;
const F = TcpAnalysisFlag;

export type Role = 'client' | 'server';

/** Per TCP stream: who is who, the handshake's times and numbers, how far the teardown went. */
export class StreamState {
  /** Source (address + port) of the stream's first packet: direction 0. */
  constructor(readonly firstSrc: string) {}
  clientDir: Dir | undefined = undefined;
  synSec = 0;
  synNsec = 0;
  haveSyn = false;
  serverIsn = -1;
  synAckSeen = false;
  established = false;
  /** Per direction: raw sequence number just past the FIN (what its ACK carries), -1 none. */
  readonly finNext: [number, number] = [-1, -1];
  readonly finAcked: [boolean, boolean] = [false, false];
  /** Direction of the first FIN. */
  firstFinDir: Dir | undefined = undefined;
  reset = false;
  phase: Phase | undefined = undefined;

  clone(): StreamState {
    // Every field is a primitive but the two per-direction pairs.
    return Object.assign(new StreamState(this.firstSrc), this, { finNext: [...this.finNext], finAcked: [...this.finAcked] });
  }
}

export interface ExplainerOptions {
  /** The analyzer's lifecycle observer: gives the client's side when the handshake was not captured. */
  lifecycle?: TcpLifecycle;
}

/** A view of one direction's numbers for sentences. */
function roleOf(st: StreamState, dir: Dir): Role {
  return st.clientDir === undefined || dir === st.clientDir ? 'client' : 'server';
}

function other(role: Role): Role {
  return role === 'client' ? 'server' : 'client';
}

export class Explainer {
  private readonly tcp: StreamState[] = [];
  private readonly dns = new DnsTransactions();
  private readonly lifecycle: TcpLifecycle | undefined;

  constructor(options: ExplainerOptions = {}) {
    this.lifecycle = options.lifecycle;
  }

  /**
   * A copy of what this Explainer knows about one TCP stream. Everything it says about a stream's
   * packet depends on that packet, its analysis, its application messages and this state alone
   * (the lifecycle is asked only before the stream's first packet has set the roles), so a fresh
   * Explainer resumed with the copy explains the packets that follow as this one would: the
   * terminal UI explains a window of a long stream again that way (tui/stream-record.ts).
   */
  streamState(stream: number): StreamState | undefined {
    return this.tcp[stream]?.clone();
  }

  /** Continues a stream from a copy taken with streamState(). */
  resume(stream: number, state: StreamState): void {
    this.tcp[stream] = state.clone();
  }

  /** Explains one packet; call once per packet, in capture order, after the analyzer saw it. */
  explain(packet: Packet, analysis: PacketAnalysis | undefined, app: readonly AppRecord[] = []): PacketExplanation {
    const out: Explanation[] = [];
    const layers = packet.layers;
    let tcpAt = -1;
    let udpAt = -1;
    for (let i = layers.length - 1; i > 0; i--) {
      const l = layers[i]!;
      if (l instanceof TcpLayer) {
        tcpAt = i;
        break;
      }
      if (l instanceof UdpLayer) {
        udpAt = i;
        break;
      }
    }
    const result: PacketExplanation = { frame: packet.frame.number, explanations: out, severity: 'chat' };
    const info = analysis?.tcp;
    if (tcpAt > 0 && info) {
      result.stream = { proto: 'tcp', id: info.stream };
      result.phase = this.explainTcp(packet, layers[tcpAt - 1]!, layers[tcpAt] as TcpLayer, info, app, out);
    } else if (udpAt > 0) {
      if (analysis?.udpStream !== undefined) result.stream = { proto: 'udp', id: analysis.udpStream };
      this.explainUdp(packet, layers[udpAt - 1]!, layers[udpAt] as UdpLayer, out);
    } else {
      this.explainOther(packet, out);
    }
    for (const l of layers) {
      if (l.status === 'malformed') {
        out.unshift(ex('WL_EXPLAIN_MALFORMED', 'error', 'malformed', `Malformed ${l.proto}: ${l.problem?.message ?? 'the header contradicts itself'}`, { proto: l.proto, problem: l.problem?.code ?? '' }));
        break;
      }
      if (l.status === 'truncated') {
        out.push(ex('WL_EXPLAIN_TRUNCATED', 'note', 'malformed', `The ${l.proto} header is cut short: the capture kept only the first bytes of this packet (snap length)`, { proto: l.proto }));
        break;
      }
    }
    const whole = analysis?.reassembled;
    if (whole) out.push(explainReassembled(whole.datagram));
    if (out.length === 0) out.push(ex('WL_EXPLAIN_OTHER', 'chat', 'other', `${topProto(packet)} packet`, { proto: topProto(packet) }));
    for (const c of packet.frame.comments ?? []) out.push(ex('WL_EXPLAIN_COMMENT', 'note', 'comment', `Note: ${c}`, { comment: c }));
    let sev: Severity = 'chat';
    for (const e of out) sev = maxSeverity(sev, e.severity);
    result.severity = sev;
    return result;
  }

  // -------------------------------------------------------------------------------------------
  // TCP

  private explainTcp(packet: Packet, net: Layer, t: TcpLayer, info: TcpSegmentInfo, app: readonly AppRecord[], out: Explanation[]): Phase {
    const src = `${net.endpoints?.()?.src ?? ''}|${t.srcPort}`;
    let st = this.tcp[info.stream];
    if (!st) {
      st = new StreamState(src);
      this.tcp[info.stream] = st;
    }
    const dir: Dir = src === st.firstSrc ? 0 : 1;
    const flags = t.flags;
    const frame = packet.frame;
    const len = t.status === 'ok' || t.payloadOffset <= frame.data.length ? t.payloadLength : 0;
    this.settleRoles(st, info.stream, dir, flags, t);
    const me = roleOf(st, dir);
    const peer = other(me);
    const arrow = `${me}→${peer}`;
    const rawSeq = t.seq;
    const rawAck = t.ack;
    let phase: Phase = st.reset ? 'abort' : st.finNext[0] >= 0 || st.finNext[1] >= 0 ? 'teardown' : st.established ? 'data' : 'handshake';

    // Expert flags first: they are what the packet is remarkable for.
    const expert = this.tcpExpert(info, t, me, peer, len, out);

    const syn = (flags & SYN) !== 0;
    const ack = (flags & ACK) !== 0;
    const fin = (flags & FIN) !== 0;
    const rst = (flags & RST) !== 0;
    const base: Explanation[] = [];
    if (rst) {
      phase = 'abort';
      const refused = !st.synAckSeen && st.haveSyn && me === 'server';
      if (refused) {
        base.push(ex('WL_EXPLAIN_TCP_REFUSED', 'warn', 'tcp-reset', `RST: the server refuses the connection (nothing accepts connections on port ${t.srcPort})`, { port: t.srcPort, role: me }));
      } else {
        base.push(ex('WL_EXPLAIN_TCP_RST', 'warn', 'tcp-reset', `RST: the ${me} aborts the connection; data still in flight is discarded`, { role: me }));
      }
      st.reset = true;
    } else if (syn && !ack) {
      phase = 'handshake';
      const again = st.haveSyn && (info.flags & (F.RETRANSMISSION | F.FAST_RETRANSMISSION)) !== 0;
      st.haveSyn = true;
      st.synSec = frame.tsSec;
      st.synNsec = frame.tsNsec;
      if (!again) {
        const opts = synOptions(t);
        base.push(
          ex('WL_EXPLAIN_TCP_SYN', 'chat', 'tcp-handshake', `SYN: ${me} opens a connection and picks initial sequence number ${rawSeq}${opts.text} (handshake 1/3)`, {
            role: me,
            isn: rawSeq,
            step: 1,
            ...opts.params,
          }),
        );
      }
    } else if (syn && ack) {
      phase = 'handshake';
      st.synAckSeen = true;
      st.serverIsn = rawSeq;
      const opts = synOptions(t);
      const since = st.haveSyn ? `, ${durationText(nsBetween(frame.tsSec, frame.tsNsec, st.synSec, st.synNsec))} after the SYN` : '';
      base.push(
        ex('WL_EXPLAIN_TCP_SYN_ACK', 'chat', 'tcp-handshake', `SYN-ACK: ${me} accepts, its ISN ${rawSeq}, acknowledges ${rawAck}${opts.text}${since} (handshake 2/3)`, {
          role: me,
          isn: rawSeq,
          ack: rawAck,
          step: 2,
          ...opts.params,
        }),
      );
    } else if (!st.established && ack && st.synAckSeen && me === 'client' && rawAck === ((st.serverIsn + 1) >>> 0) && !fin) {
      st.established = true;
      phase = 'handshake';
      const ns = st.haveSyn ? nsBetween(frame.tsSec, frame.tsNsec, st.synSec, st.synNsec) : Number.NaN;
      const after = Number.isNaN(ns) ? '' : `, ${durationText(ns)} after the SYN`;
      const params: Record<string, number | string> = { role: me, step: 3 };
      if (!Number.isNaN(ns)) params.ms = ns / 1e6;
      if (len > 0) params.len = len;
      base.push(ex('WL_EXPLAIN_TCP_HANDSHAKE_ACK', 'chat', 'tcp-handshake', `ACK: connection established${after}${len > 0 ? `, already carrying ${bytesText(len)}` : ''} (handshake 3/3)`, params));
    } else {
      if (!st.established && !syn) st.established = true;
      if (phase === 'handshake') phase = 'data';
      this.teardownOrData(st, dir, me, peer, arrow, t, info, len, fin, ack, rawAck, expert, base);
      if (fin || st.finNext[0] >= 0 || st.finNext[1] >= 0) phase = 'teardown';
    }
    // A FIN's sequence number follows its data (RFC 9293 §3.4); remember what its ACK will carry.
    if (fin && st.finNext[dir] < 0) {
      st.finNext[dir] = (rawSeq + len + (syn ? 1 : 0) + 1) >>> 0;
      st.firstFinDir ??= dir;
    }

    // Application messages completed by this packet come before the TCP view of it.
    const appEx: Explanation[] = [];
    for (const m of app) {
      const e = explainApp(m);
      if (e) appEx.push(e);
    }
    out.push(...appEx, ...base);
    return phase;
  }

  /** Client and server: the SYN's sender, else the SYN-ACK's receiver, else the lifecycle's or the ports' verdict. */
  private settleRoles(st: StreamState, stream: number, dir: Dir, flags: number, t: TcpLayer): void {
    if ((flags & (SYN | ACK)) === SYN) {
      st.clientDir = dir;
      return;
    }
    if ((flags & (SYN | ACK)) === (SYN | ACK)) {
      st.clientDir = (dir ^ 1) as Dir;
      return;
    }
    if (st.clientDir !== undefined) return;
    const life = this.lifecycle?.summary(stream);
    if (life) {
      // The lifecycle numbers directions from the connection's first packet, as we do.
      st.clientDir = life.clientDir;
      return;
    }
    // Zeek's orientation rule (tcp-lifecycle.ts): a source port that looks like a server's.
    if (isLikelyServerPort(t.srcPort) && !isLikelyServerPort(t.dstPort)) st.clientDir = (dir ^ 1) as Dir;
    else st.clientDir = dir;
  }

  private teardownOrData(
    st: StreamState,
    dir: Dir,
    me: Role,
    peer: Role,
    arrow: string,
    t: TcpLayer,
    info: TcpSegmentInfo,
    len: number,
    fin: boolean,
    ack: boolean,
    rawAck: number,
    expert: boolean,
    base: Explanation[],
  ): void {
    const peerDir = (dir ^ 1) as Dir;
    // Does this segment acknowledge the peer's FIN for the first time?
    const acksPeerFin = ack && st.finNext[peerDir] >= 0 && !st.finAcked[peerDir] && seqAtLeast(rawAck, st.finNext[peerDir]);
    if (acksPeerFin) st.finAcked[peerDir] = true;
    if (fin) {
      const first = st.finNext[peerDir] < 0;
      const data = len > 0 ? `, after its last ${bytesText(len)}` : '';
      if (first) {
        base.push(ex('WL_EXPLAIN_TCP_FIN', 'chat', 'tcp-teardown', `FIN: ${me} has nothing more to send${data} (teardown 1/4)`, { role: me, step: 1, len }));
      } else if (acksPeerFin) {
        base.push(
          ex('WL_EXPLAIN_TCP_FIN', 'chat', 'tcp-teardown', `FIN: ${me} acknowledges the ${peer}'s FIN and has nothing more to send either${data} (teardown 2/4 + 3/4)`, {
            role: me,
            step: 3,
            acksFin: true,
            len,
          }),
        );
      } else {
        const simultaneous = !st.finAcked[peerDir] ? ' (simultaneous close: both FINs crossed)' : '';
        base.push(ex('WL_EXPLAIN_TCP_FIN', 'chat', 'tcp-teardown', `FIN: ${me} has nothing more to send either${data}${simultaneous} (teardown 3/4)`, { role: me, step: 3, len }));
      }
      return;
    }
    if (acksPeerFin) {
      const bothDone = st.finNext[dir] >= 0;
      if (bothDone) base.push(ex('WL_EXPLAIN_TCP_FIN_ACK', 'chat', 'tcp-teardown', 'ACK of FIN: connection closed (teardown 4/4)', { role: me, step: 4 }));
      else
        base.push(
          ex('WL_EXPLAIN_TCP_FIN_ACK', 'chat', 'tcp-teardown', `ACK of FIN: ${me} confirms the ${peer}'s close; the ${me} may still send (teardown 2/4)`, { role: me, step: 2 }),
        );
      return;
    }
    if (expert && len === 0) return;
    if (len > 0) {
      const first = info.seq;
      const last = (info.seq + len - 1) >>> 0;
      const params: Record<string, number | string> = { role: me, len, seq: first, last };
      if (info.bytesInFlight) params.inFlight = info.bytesInFlight;
      base.push(ex('WL_EXPLAIN_TCP_DATA', 'chat', 'tcp-data', `Data: ${bytesText(len)} ${arrow} (bytes ${first}–${last})`, params));
      return;
    }
    if (ack) {
      const params: Record<string, number | string> = { role: me, ack: info.ack };
      let after = '';
      if (info.hasAckRtt) {
        params.ms = info.ackRtt * 1e3;
        after = `, ${durationText(info.ackRttSec * 1e9 + info.ackRttNsec)} after they were sent`;
      }
      base.push(ex('WL_EXPLAIN_TCP_ACK', 'chat', 'tcp-ack', `ACK: ${me} has received every byte before ${info.ack}${after}`, params));
    }
  }

  /** One explanation per expert flag; returns whether any was raised. */
  private tcpExpert(info: TcpSegmentInfo, t: TcpLayer, me: Role, peer: Role, len: number, out: Explanation[]): boolean {
    const f = info.flags;
    if (f === 0) return false;
    const notes = info.notes;
    const rule = (name: string) => notes.find((n) => n.flag === name)?.message ?? '';
    const ctx = info.ctx;
    const first = info.seq;
    const last = (info.seq + Math.max(len, 1) - 1) >>> 0;
    const range = len > 0 ? `bytes ${first}–${last}` : `sequence number ${first}`;
    if (f & F.REUSED_PORTS) out.push(ex('WL_EXPLAIN_TCP_REUSED_PORTS', 'note', 'tcp-ports-reused', `Ports reused: ${rule('tcp.analysis.reused_ports')}`, { rule: rule('tcp.analysis.reused_ports') }));
    if (f & F.FAST_RETRANSMISSION) {
      const r = rule('tcp.analysis.fast_retransmission');
      const after = ctx ? `, ${durationText(ctx.refNs)} after the last of ${ctx.aux} duplicate ACKs` : '';
      out.push(
        ex('WL_EXPLAIN_TCP_FAST_RETRANSMISSION', 'note', 'tcp-retransmission', `Fast retransmission of ${range}${after}: the ${peer} signalled the loss with duplicate ACKs`, {
          role: me,
          seq: first,
          len,
          rule: r,
          ...(ctx ? { ms: ctx.refNs / 1e6, dupAcks: ctx.aux } : {}),
        }),
      );
    } else if (f & F.SPURIOUS_RETRANSMISSION) {
      const r = rule('tcp.analysis.spurious_retransmission');
      out.push(ex('WL_EXPLAIN_TCP_SPURIOUS_RETRANSMISSION', 'note', 'tcp-retransmission', `Spurious retransmission of ${range}: the ${peer} had already acknowledged them`, { role: me, seq: first, len, rule: r }));
    } else if (f & F.RETRANSMISSION) {
      const r = rule('tcp.analysis.retransmission');
      const known = ctx && ctx.refFrame > 0;
      // The tracker times it from the oldest unacknowledged segment, as Wireshark's RTO field does.
      const after = known ? `, ${durationText(ctx.refNs)} after the oldest unacknowledged segment (frame ${ctx.refFrame})` : '';
      out.push(
        ex('WL_EXPLAIN_TCP_RETRANSMISSION', 'note', 'tcp-retransmission', `Retransmission of ${range}${after}: no ACK came back (timeout)`, {
          role: me,
          seq: first,
          len,
          rule: r,
          ...(known ? { ms: ctx.refNs / 1e6, original: ctx.refFrame } : {}),
        }),
      );
    }
    if (f & F.OUT_OF_ORDER) {
      const r = rule('tcp.analysis.out_of_order');
      out.push(ex('WL_EXPLAIN_TCP_OUT_OF_ORDER', 'warn', 'tcp-retransmission', `Out of order: ${range} arrive after later bytes (too soon after them to be a retransmission)`, { role: me, seq: first, len, rule: r }));
    }
    if (f & F.LOST_SEGMENT) {
      const missing = ctx ? (info.seq - ctx.nextExpected) >>> 0 : 0;
      out.push(
        ex('WL_EXPLAIN_TCP_LOST_SEGMENT', 'warn', 'tcp-capture-loss', `Previous segment not captured: ${missing ? `${bytesText(missing)} ` : 'bytes '}before this one are missing (lost on the network, or by the capture)`, {
          role: me,
          missing,
          rule: rule('tcp.analysis.lost_segment'),
        }),
      );
    }
    if (f & F.ACK_LOST_SEGMENT) {
      out.push(ex('WL_EXPLAIN_TCP_ACK_LOST_SEGMENT', 'warn', 'tcp-capture-loss', `ACK of unseen data: the ${me} acknowledges bytes the capture never saw`, { role: me, rule: rule('tcp.analysis.ack_lost_segment') }));
    }
    if (f & F.DUPLICATE_ACK) {
      const n = info.dupAckNum;
      const sack = sackText(t, info);
      // RFC 5681 §3.2: the third duplicate ACK triggers fast retransmit; later ones inflate the window (fast recovery).
      const signal = n === 3 ? `; the ${peer} should retransmit now (fast retransmit)` : n > 3 ? '; the loss is already signalled (fast recovery)' : '';
      out.push(
        ex('WL_EXPLAIN_TCP_DUP_ACK', 'note', 'tcp-duplicate-ack', `Duplicate ACK #${n}: the ${me} still waits for byte ${info.ack}${sack}${signal}`, {
          role: me,
          n,
          ack: info.ack,
          original: info.dupAckFrame,
          rule: rule('tcp.analysis.duplicate_ack'),
        }),
      );
    }
    if (f & F.ZERO_WINDOW) out.push(ex('WL_EXPLAIN_TCP_ZERO_WINDOW', 'warn', 'tcp-flow-control', `Zero window: the ${me}'s buffer is full; the ${peer} must wait`, { role: me }));
    if (f & F.ZERO_WINDOW_PROBE) out.push(ex('WL_EXPLAIN_TCP_ZERO_WINDOW_PROBE', 'note', 'tcp-flow-control', `Zero-window probe: the ${me} sends one byte to learn whether the window has opened`, { role: me }));
    if (f & F.ZERO_WINDOW_PROBE_ACK) out.push(ex('WL_EXPLAIN_TCP_ZERO_WINDOW_PROBE_ACK', 'note', 'tcp-flow-control', `Zero-window probe ACK: the ${me}'s window is still closed`, { role: me }));
    if (f & F.WINDOW_UPDATE) out.push(ex('WL_EXPLAIN_TCP_WINDOW_UPDATE', 'chat', 'tcp-flow-control', `Window update: the ${me} has room again, window ${bytesText(info.window)}`, { role: me, window: info.window }));
    if (f & F.WINDOW_FULL) out.push(ex('WL_EXPLAIN_TCP_WINDOW_FULL', 'warn', 'tcp-flow-control', `Window full: this segment fills the ${peer}'s receive window; the ${me} must wait for an ACK`, { role: me }));
    if (f & F.KEEP_ALIVE) out.push(ex('WL_EXPLAIN_TCP_KEEP_ALIVE', 'note', 'tcp-keep-alive', `Keep-alive: the ${me} checks that the ${peer} is still there`, { role: me }));
    if (f & F.KEEP_ALIVE_ACK) out.push(ex('WL_EXPLAIN_TCP_KEEP_ALIVE_ACK', 'note', 'tcp-keep-alive', `Keep-alive ACK: the ${me} is still there`, { role: me }));
    return out.length > 0;
  }

  // -------------------------------------------------------------------------------------------
  // UDP, DNS, ARP, ICMP

  private explainUdp(packet: Packet, net: Layer, u: UdpLayer, out: Explanation[]): void {
    const dns = packet.layers.find((l): l is DnsLayer => l instanceof DnsLayer);
    if (dns && dns.status === 'ok') {
      const e = net.endpoints?.();
      const a = `${e?.src ?? ''}|${u.srcPort}`;
      const b = `${e?.dst ?? ''}|${u.dstPort}`;
      const key = dns.isResponse ? `${b}-${a}` : `${a}-${b}`;
      const tx = this.dns.onMessage(dns, packet.frame.number, { tsSec: packet.frame.tsSec, tsNsec: packet.frame.tsNsec }, key);
      out.push(explainDns(dns, tx));
      return;
    }
    const quic = packet.layers.find((l): l is QuicLayer => l instanceof QuicLayer);
    if (quic && quic.packets.length > 0) {
      out.push(explainQuic(quic));
      return;
    }
    out.push(ex('WL_EXPLAIN_UDP', 'chat', 'udp', `UDP datagram, ${bytesText(u.payloadLength)} from port ${u.srcPort} to ${u.dstPort}: no connection, no acknowledgment`, { srcPort: u.srcPort, dstPort: u.dstPort, len: u.payloadLength }));
  }

  private explainOther(packet: Packet, out: Explanation[]): void {
    const frag = fragmentOf(packet);
    if (frag) return void out.push(explainFragment(frag));
    for (let i = packet.layers.length - 1; i >= 0; i--) {
      const l = packet.layers[i]!;
      if (l.status !== 'ok') continue;
      if (l.proto === 'arp') return void out.push(explainArp(l as ArpLayer));
      if (l.proto === 'icmp') return void out.push(explainIcmp(l as IcmpLayer));
      if (l.proto === 'icmpv6') return void out.push(explainIcmpv6(l as Icmpv6Layer));
    }
  }
}

/**
 * A fragment waiting for the rest of its datagram (RFC 791 §2.3 and §3.2; RFC 8200 §4.5): which
 * bytes of which datagram it carries. Only the receiver puts them back together.
 */
function explainFragment(f: FragmentView): Explanation {
  const end = f.offset + f.dataEnd - f.dataStart;
  const which = f.more ? (f.offset === 0 ? 'the first fragment' : 'a fragment') : 'the last fragment';
  const id = `0x${f.id.toString(16).padStart(f.version === 4 ? 4 : 8, '0')}`;
  const params = { version: f.version, id: f.id, offset: f.offset, length: end - f.offset, more: f.more, protocol: f.protocol };
  return ex('WL_EXPLAIN_IP_FRAGMENT', 'chat', 'ip-fragmentation', `IPv${f.version} fragment: ${which} of datagram ${id} (${ipProtocolName(f.protocol)}), bytes ${f.offset}–${end - 1}; the receiver reassembles the datagram when all its fragments are in`, params);
}

/** The fragment that completed a datagram: the datagram is shown (and explained) whole on it. */
function explainReassembled(d: DatagramInfo): Explanation {
  const id = `0x${d.id.toString(16).padStart(d.version === 4 ? 4 : 8, '0')}`;
  const params = { version: d.version, id: d.id, frames: d.frames.join(','), length: d.length };
  const overlap = d.conflict ? '; fragments overlapped with different bytes (the first copy kept)' : d.overlap ? '; fragments overlapped' : '';
  return ex('WL_EXPLAIN_IP_REASSEMBLED', d.conflict ? 'warn' : 'chat', 'ip-fragmentation', `Reassembled: this fragment completes IPv${d.version} datagram ${id} from frames ${d.frames.join(', ')} (${bytesText(d.length)}), shown whole here${overlap}`, params);
}

function topProto(packet: Packet): string {
  for (let i = packet.layers.length - 1; i >= 0; i--) {
    const p = packet.layers[i]!.proto;
    if (p !== 'data' && p !== 'raw') return p;
  }
  return 'data';
}

/** a ≥ b in 32-bit sequence space (RFC 9293 §3.4). */
function seqAtLeast(a: number, b: number): boolean {
  return ((a - b) | 0) >= 0;
}

function synOptions(t: TcpLayer): { text: string; params: Record<string, number | boolean> } {
  const params: Record<string, number | boolean> = {};
  const parts: string[] = [];
  if (t.mss !== undefined) {
    params.mss = t.mss;
    parts.push(`MSS ${t.mss}`);
  }
  if (t.wscale !== undefined) {
    params.wscale = t.wscale;
    parts.push(`window scale ×${2 ** Math.min(t.wscale, 14)}`);
  }
  if (t.sackPermitted) {
    params.sackPermitted = true;
    parts.push('SACK');
  }
  return { text: parts.length ? ` (${parts.join(', ')})` : '', params };
}

/** The SACK blocks of a duplicate ACK in the sender's relative numbers (RFC 2018 §3: what did arrive). */
function sackText(t: TcpLayer, info: TcpSegmentInfo): string {
  const blocks = t.sackBlocks;
  if (blocks.length === 0) return '';
  // The acknowledgment field's raw and relative values give the peer's base.
  const base = (t.ack - info.ack) >>> 0;
  const parts = blocks.map((b) => `${(b.left - base) >>> 0}–${(((b.right - base) >>> 0) - 1) >>> 0}`);
  return ` (it already holds ${parts.join(', ')} via SACK)`;
}

/**
 * A ClientHello offers (versions, ALPN protocols, and in SNI the name it wants a certificate for,
 * RFC 6066 §3); the ServerHello picks one of each (RFC 8446 §4.1.3, RFC 7301 §3.2). In TLS 1.3 all
 * that follows is encrypted (RFC 8446 §2); before it the certificate and key exchange follow in the
 * clear and data only after ChangeCipherSpec (RFC 5246 §7.3). wirelens never decrypts.
 */
function explainTlsHello(h: TlsHandshakeMessage): Explanation {
  const s = h.summary;
  const sev: Severity = h.problem ? 'warn' : 'chat';
  const versions = (s?.versions ?? []).map(tlsVersionText);
  const alpn = s?.alpn ?? [];
  if (h.type === HandshakeType.ClientHello) {
    const parts = [s?.sni !== undefined ? `for ${s.sni}` : 'without a server name (no SNI)'];
    if (versions.length) parts.push(`offers ${versions.join(', ')}`);
    if (alpn.length) parts.push(`ALPN ${alpn.join(', ')}`);
    if (h.client) parts.push(`${h.client.cipherSuites.length} cipher suites`);
    return ex('WL_EXPLAIN_TLS_CLIENT_HELLO', sev, 'tls', `TLS ClientHello ${parts.join('; ')}`, { sni: s?.sni ?? '', versions: versions.join(','), alpn: alpn.join(',') });
  }
  const parts = versions.length ? [`chooses ${versions[0]}`] : [];
  if (h.server) parts.push(`cipher suite ${cipherSuiteText(h.server.cipherSuite)}`);
  if (alpn.length) parts.push(`ALPN ${alpn[0]}`);
  const params: Record<string, string | number> = { versions: versions.join(','), alpn: alpn.join(',') };
  if (h.server) params.cipher = h.server.cipherSuite;
  const after = s?.versions[0] === TLS13 ? 'from here on everything is encrypted' : 'certificate and key exchange follow in the clear, data after ChangeCipherSpec is encrypted';
  return ex('WL_EXPLAIN_TLS_SERVER_HELLO', sev, 'tls', `TLS ServerHello${parts.length ? ` ${parts.join('; ')}` : ''}: ${after}`, params);
}

/** Each QUIC packet type: its name, and what it is for (RFC 9000 §17; RFC 9001 for the keys). */
const QUIC_PACKETS: Record<QuicPacketType, [string, string]> = {
  initial: ['Initial', 'the TLS hello that opens or answers the connection, under keys anyone can derive from the connection ID (RFC 9001 §5.2)'],
  handshake: ['Handshake', 'the rest of the TLS handshake, under keys only the two ends have'],
  '0rtt': ['0-RTT', 'application data sent before the handshake ends, under keys from an earlier session'],
  retry: ['Retry', 'the server asks the client to prove its address by sending the token back (RFC 9000 §8.1)'],
  version_negotiation: ['Version Negotiation', "the server does not speak the client's version and lists the ones it does (RFC 9000 §6)"],
  short: ['1-RTT', 'encrypted application data on an established connection (short header)'],
};

/** QUIC's own names for its versions (RFC 9000, RFC 9369). */
function quicVersionText(v: number): string {
  return v === 1 ? 'v1' : v === 0x6b3343cf ? 'v2' : `version 0x${v.toString(16).padStart(8, '0')}`;
}

/**
 * A QUIC datagram by its first packet: its type, version and connection IDs (an empty one is not
 * named), and the other packets coalesced with it (RFC 9000 §12.2). Nothing is decrypted.
 */
function explainQuic(l: QuicLayer): Explanation {
  const pk = l.packets[0]!;
  const [name, purpose] = QUIC_PACKETS[pk.type];
  const version = pk.version !== undefined && pk.type !== 'version_negotiation' ? ` ${quicVersionText(pk.version)}` : '';
  const dcid = l.dcid(pk);
  const scid = l.scid(pk);
  const ids = [dcid ? `DCID ${dcid}` : '', scid ? `SCID ${scid}` : ''].filter((x) => x !== '');
  const more = l.packets.length > 1 ? `; coalesced with ${l.packets.slice(1).map((p) => QUIC_PACKETS[p.type][0]).join(', ')}` : '';
  const params: Record<string, string | number> = { type: pk.type, packets: l.packets.length };
  if (pk.version !== undefined) params.version = pk.version;
  if (dcid !== undefined) params.dcid = dcid;
  return ex('WL_EXPLAIN_QUIC', l.status === 'ok' ? 'chat' : 'warn', 'quic', `QUIC${version} ${name}${ids.length ? ` (${ids.join(', ')})` : ''}: ${purpose}${more}`, params);
}

/** A DNS explanation as a ladder label: the question, and for a response the first answer (the Info column lists every record). */
export function dnsLabel(main: Explanation): string {
  const q = `${dnsTypeName(Number(main.params.type))}? ${String(main.params.name)}`;
  if (main.code === 'WL_EXPLAIN_DNS_QUERY') return `DNS ${q}`;
  const answers = String(main.params.answers ?? '').split(',').filter(Boolean);
  const rcode = Number(main.params.rcode ?? 0);
  const records = Number(main.params.records ?? 0);
  const other = records > 0 ? `${records} record${records > 1 ? 's' : ''}` : 'no address';
  return `DNS ${q} → ${rcode !== 0 ? `rcode ${rcode}` : answers.length ? `${answers[0]}${answers.length > 1 ? ` +${answers.length - 1}` : ''}` : other}`;
}

function explainDns(dns: DnsLayer, tx: DnsTransactionInfo): Explanation {
  const { time, retransmitOf, responseRetransmitOf } = tx;
  const fields = dns.fields();
  const name = fields.find((f) => f.name === 'dns.qry.name')?.value;
  const type = fields.find((f) => f.name === 'dns.qry.type')?.value;
  const q = `${typeof type === 'number' ? dnsTypeName(type) : '?'}? ${typeof name === 'string' ? name : '<no question>'}`;
  if (!dns.isResponse) {
    const again = retransmitOf !== undefined ? ` (repeated: no answer yet to frame ${retransmitOf})` : '';
    return ex('WL_EXPLAIN_DNS_QUERY', retransmitOf !== undefined ? 'note' : 'chat', 'dns', `DNS query ${q}${again}`, { name: String(name ?? ''), type: Number(type ?? 0), id: dns.id });
  }
  const answers: string[] = [];
  let ttl: number | undefined;
  let lastTtl: number | undefined;
  const cnames: string[] = [];
  for (const f of fields) {
    if (f.name === 'dns.a' || f.name === 'dns.aaaa') answers.push(String(f.value));
    else if (f.name === 'dns.cname') cnames.push(String(f.value));
    else if (f.name === 'dns.resp.ttl') lastTtl = Number(f.value);
    // The TTL worth telling is the address's own (a record's TTL field precedes its data).
    if ((f.name === 'dns.a' || f.name === 'dns.aaaa') && ttl === undefined) ttl = lastTtl;
  }
  if (ttl === undefined && cnames.length > 0) ttl = lastTtl;
  const rcode = dns.rcode;
  const inTime =
    time !== undefined ? `, in ${durationText(time * 1e9)}`
    : responseRetransmitOf !== undefined ? ` (repeated: the answer came in frame ${responseRetransmitOf})`
    : tx.unsolicited ? ' (no query seen for it)' : '';
  const params: Record<string, string | number> = { name: String(name ?? ''), type: Number(type ?? 0), id: dns.id, rcode, answers: answers.join(','), records: dns.answerCount };
  if (time !== undefined) params.ms = time * 1e3;
  if (rcode !== 0) {
    const why = rcode === 3 ? 'no such name (NXDOMAIN)' : rcode === 2 ? 'server failure (SERVFAIL)' : rcode === 5 ? 'refused' : `error code ${rcode}`;
    return ex('WL_EXPLAIN_DNS_RESPONSE', 'warn', 'dns', `DNS ${q} → ${why}${inTime}`, params);
  }
  let what: string;
  if (answers.length > 0) what = answers.length > 3 ? `${answers.slice(0, 3).join(', ')} (+${answers.length - 3} more)` : answers.join(', ');
  else if (cnames.length > 0) what = `alias ${cnames[cnames.length - 1]}`;
  else if (dns.answerCount > 0) {
    const types = dns.sections().records.filter((r) => r.section === 'answer').map((r) => dnsTypeName(r.type));
    what = `${dns.answerCount} record${dns.answerCount > 1 ? 's' : ''} (${types.join(', ')})`;
  }
  else what = 'no records';
  const via = answers.length > 0 && cnames.length > 0 ? ` via ${cnames.length} alias${cnames.length > 1 ? 'es' : ''}` : '';
  const ttlText = ttl !== undefined && (answers.length > 0 || cnames.length > 0) ? `, TTL ${ttl}` : '';
  if (ttl !== undefined) params.ttl = ttl;
  return ex('WL_EXPLAIN_DNS_RESPONSE', 'chat', 'dns', `DNS ${q} → ${what}${via}${ttlText}${inTime}`, params);
}

function explainArp(a: ArpLayer): Explanation {
  const fields = a.fields();
  const get = (n: string) => String(fields.find((f) => f.name === n)?.value ?? '?');
  const senderIp = get('arp.src.proto_ipv4');
  const targetIp = get('arp.dst.proto_ipv4');
  const senderMac = get('arp.src.hw_mac');
  if (a.isGratuitous || a.isAnnouncement)
    return ex('WL_EXPLAIN_ARP_GRATUITOUS', 'chat', 'arp', `Gratuitous ARP: ${senderIp} announces it is at ${senderMac}`, { ip: senderIp, mac: senderMac });
  if (a.opcode === 1) return ex('WL_EXPLAIN_ARP_REQUEST', 'chat', 'arp', `ARP request: who has ${targetIp}? Tell ${senderIp} (broadcast to the whole link)`, { target: targetIp, sender: senderIp });
  if (a.opcode === 2) return ex('WL_EXPLAIN_ARP_REPLY', 'chat', 'arp', `ARP reply: ${senderIp} is at ${senderMac}`, { ip: senderIp, mac: senderMac });
  return ex('WL_EXPLAIN_OTHER', 'chat', 'arp', `ARP opcode ${a.opcode}`, { opcode: a.opcode });
}

function explainIcmp(i: IcmpLayer): Explanation {
  const type = i.type;
  const code = i.code;
  if (type === 8) return ex('WL_EXPLAIN_ICMP_ECHO_REQUEST', 'chat', 'icmp', `Ping (echo request) id ${i.ident ?? 0} seq ${i.seq ?? 0}: is this host reachable?`, { id: i.ident ?? 0, seq: i.seq ?? 0 });
  if (type === 0) return ex('WL_EXPLAIN_ICMP_ECHO_REPLY', 'chat', 'icmp', `Ping reply (echo reply) id ${i.ident ?? 0} seq ${i.seq ?? 0}: the host is reachable`, { id: i.ident ?? 0, seq: i.seq ?? 0 });
  if (type === 3) {
    // RFC 792 destination-unreachable codes.
    const why = ['network unreachable', 'host unreachable', 'protocol unreachable', 'port unreachable: nothing listens there', 'fragmentation needed but DF set'][code] ?? `code ${code}`;
    return ex('WL_EXPLAIN_ICMP_UNREACHABLE', 'warn', 'icmp', `Destination unreachable (${why})`, { code });
  }
  if (type === 11) return ex('WL_EXPLAIN_ICMP_TIME_EXCEEDED', 'warn', 'icmp', `Time exceeded: ${code === 0 ? 'the TTL ran out on the way (as traceroute uses it)' : 'fragments never all arrived'}`, { code });
  return ex('WL_EXPLAIN_ICMP_OTHER', 'chat', 'icmp', `ICMP type ${type} code ${code}`, { type, code });
}

function explainIcmpv6(i: Icmpv6Layer): Explanation {
  const type = i.type;
  if (type === 128) return ex('WL_EXPLAIN_ICMP_ECHO_REQUEST', 'chat', 'icmp', `Ping (ICMPv6 echo request) id ${i.ident ?? 0} seq ${i.seq ?? 0}`, { id: i.ident ?? 0, seq: i.seq ?? 0 });
  if (type === 129) return ex('WL_EXPLAIN_ICMP_ECHO_REPLY', 'chat', 'icmp', `Ping reply (ICMPv6 echo reply) id ${i.ident ?? 0} seq ${i.seq ?? 0}`, { id: i.ident ?? 0, seq: i.seq ?? 0 });
  // RFC 4861 §4: IPv6's replacement for ARP and router discovery.
  if (type === 135) return ex('WL_EXPLAIN_ICMPV6_NEIGHBOR', 'chat', 'icmp', `Neighbor solicitation: who has ${i.targetAddress ?? '?'}? (IPv6's ARP)`, { type, target: i.targetAddress ?? '' });
  if (type === 136) return ex('WL_EXPLAIN_ICMPV6_NEIGHBOR', 'chat', 'icmp', `Neighbor advertisement: ${i.targetAddress ?? '?'} is here`, { type, target: i.targetAddress ?? '' });
  if (type === 133) return ex('WL_EXPLAIN_ICMPV6_NEIGHBOR', 'chat', 'icmp', 'Router solicitation: is there a router on this link?', { type });
  if (type === 134) return ex('WL_EXPLAIN_ICMPV6_NEIGHBOR', 'chat', 'icmp', 'Router advertisement: a router announces itself and the link prefix', { type });
  if (type === 1) return ex('WL_EXPLAIN_ICMP_UNREACHABLE', 'warn', 'icmp', `Destination unreachable (ICMPv6 code ${i.code})`, { code: i.code });
  if (type === 3) return ex('WL_EXPLAIN_ICMP_TIME_EXCEEDED', 'warn', 'icmp', 'Time exceeded: the hop limit ran out on the way', { code: i.code });
  return ex('WL_EXPLAIN_ICMP_OTHER', 'chat', 'icmp', `ICMPv6 type ${type} code ${i.code}`, { type, code: i.code });
}

// ---------------------------------------------------------------------------------------------
// Application messages

const dirText = (d: 'c2s' | 's2c') => (d === 'c2s' ? 'client→server' : 'server→client');

/** What was wrong with a message (a cut-short body, a bad header), after its sentence. */
function problemText(p: { message: string } | undefined): string {
  return p ? `: ${p.message}` : '';
}

/** The user-id of the request's Basic credentials (RFC 7617 §2), for its origin or its proxy, if it sends any. */
function basicUser(headers: readonly HttpHeader[]): string | undefined {
  const credentials = basicCredentials(header(headers, 'authorization') ?? '') ?? basicCredentials(header(headers, 'proxy-authorization') ?? '');
  return credentials?.split(':')[0];
}

/** Up to `max` characters of wire text, quoted; the renderer escapes. */
function quote(s: string, max = 40): string {
  const cut = s.length > max ? `${s.slice(0, max)}…` : s;
  return `'${cut}'`;
}

export function explainApp(m: AppRecord): Explanation | undefined {
  switch (m.kind) {
    case 'http': {
      const msg = m.msg;
      if (msg.kind === 'request') {
        const user = basicUser(msg.headers);
        // RFC 7617 §4: Basic credentials are only encoded, not encrypted; worth a note to a learner.
        const credentials = user !== undefined ? `, with Basic credentials for user ${quote(user)}: the password is only base64-encoded, readable by anyone on the path` : '';
        return ex('WL_EXPLAIN_HTTP_REQUEST', msg.problem ? 'warn' : user !== undefined ? 'note' : 'chat', 'http', `HTTP request ${msg.method} ${msg.uri}${msg.host ? ` (host ${msg.host})` : ''}${credentials}${problemText(msg.problem)}`, {
          method: msg.method,
          uri: msg.uri,
          host: msg.host ?? '',
          ...(user !== undefined ? { user } : {}),
        });
      }
      const req = msg.request;
      const what = req ? `${req.method} ${req.uri} → ` : 'HTTP response ';
      const inTime = msg.latency !== undefined ? ` in ${durationText(msg.latency * 1e9)}` : '';
      const body: string[] = [];
      if (msg.contentType) body.push(msg.contentType.split(';')[0]!.trim());
      if (msg.bodyLen > 0) body.push(bytesText(msg.bodyLen));
      const params: Record<string, string | number> = { status: msg.status, phrase: msg.phrase, bodyLen: msg.bodyLen };
      if (req) {
        params.method = req.method;
        params.uri = req.uri;
      }
      if (msg.latency !== undefined) params.ms = msg.latency * 1e3;
      const sev: Severity = msg.problem ? 'warn' : msg.status >= 500 ? 'warn' : 'chat';
      return ex('WL_EXPLAIN_HTTP_RESPONSE', sev, 'http', `${what}${msg.status} ${msg.phrase}${inTime}${body.length ? ` (${body.join(', ')})` : ''}`.replace(/ +/g, ' ') + problemText(msg.problem), params);
    }
    case 'http-upgrade': {
      const u = m.upgrade;
      const ws = u.websocket;
      const check = ws ? (ws.acceptValid ? ', handshake key verified' : ', Sec-WebSocket-Accept does not match the key') : '';
      return ex('WL_EXPLAIN_HTTP_UPGRADE', ws && !ws.acceptValid ? 'warn' : 'chat', 'websocket', `Upgrade: from here on the connection speaks ${u.protocol}${check}`, { protocol: u.protocol });
    }
    case 'ws-message': {
      const msg = m.msg;
      const masked = m.masked ? ', masked' : '';
      const frames = msg.frames > 1 ? `, ${msg.frames} fragments` : '';
      const kind = msg.opcode === WsOpcode.TEXT ? 'text' : msg.opcode === WsOpcode.BINARY ? 'binary' : `opcode ${msg.opcode}`;
      const what = msg.text !== undefined ? ` ${quote(msg.text)}` : `, ${bytesText(msg.bytes)}`;
      return ex('WL_EXPLAIN_WS_MESSAGE', msg.problem ? 'warn' : 'chat', 'websocket', `WebSocket ${kind}${what} (${dirText(msg.dir)}${masked}${frames})`, {
        opcode: msg.opcode,
        bytes: msg.bytes,
        frames: msg.frames,
        masked: m.masked,
        ...(msg.text !== undefined ? { text: msg.text } : {}),
      });
    }
    case 'ws-ping':
      return ex('WL_EXPLAIN_WS_PING', 'chat', 'websocket', `WebSocket ping (${dirText(m.ping.dir)}): are you still there?`, { bytes: m.ping.payload.length });
    case 'ws-pong': {
      const p = m.pong;
      const after = p.pingFrame !== undefined && p.pingTime !== undefined ? ` to the ping of frame ${p.pingFrame}, ${durationText((p.time - p.pingTime) * 1e9)} later` : '';
      return ex('WL_EXPLAIN_WS_PONG', 'chat', 'websocket', `WebSocket pong (${dirText(p.dir)}): the answer${after}`, { ...(p.pingFrame !== undefined ? { pingFrame: p.pingFrame } : {}) });
    }
    case 'ws-close': {
      const c = m.close;
      const code = c.closeCode !== undefined ? ` ${c.closeCode}` : '';
      const reason = c.closeReason ? ` ${quote(c.closeReason)}` : '';
      return ex('WL_EXPLAIN_WS_CLOSE', c.problem ? 'warn' : 'chat', 'websocket', `WebSocket close${code}${reason} (${dirText(c.dir)}${m.masked ? ', masked' : ''})`, {
        ...(c.closeCode !== undefined ? { closeCode: c.closeCode } : {}),
        reason: c.closeReason ?? '',
      });
    }
    case 'sse': {
      const e = m.event;
      return ex('WL_EXPLAIN_SSE_EVENT', e.problem ? 'warn' : 'chat', 'sse', `SSE event ${quote(e.event)}${e.id ? ` id ${e.id}` : ''}${e.data ? `: ${quote(e.data)}` : ''}`, { event: e.event, id: e.id });
    }
    case 'tls-hello':
      return explainTlsHello(m.hello);
    case 'tls-alert': {
      const names = tlsAlertText(m);
      // RFC 8446 §6.1: close_notify ends the session in order; §6.2: a fatal alert ends it at once.
      const what = m.description === 0 ? ': the sender closes the TLS session in order' : m.level === 2 ? ': the connection is being torn down' : '';
      return ex('WL_EXPLAIN_TLS_ALERT', m.level === 2 ? 'warn' : 'note', 'tls', `TLS alert (${dirText(m.dir)}): ${names.level}, ${names.description}${what}`, { level: m.level, description: m.description });
    }
    case 'dns':
      return explainDns(m.layer, m.tx);
  }
  return undefined;
}

/**
 * TCP connection lifecycle: the handshake (RFC 9293 §3.5), the data phase, the teardown
 * (RFC 9293 §3.6) or abort (RFC 9293 §3.5.2), seen from the wire, per connection (tcp.stream).
 *
 * Three views of the same segments are kept:
 *  - our own: who is the client, the handshake's options and round-trip time, established,
 *    half-closed, closed, refused, reset and by whom, simultaneous open and close;
 *  - Zeek's conn.log `conn_state` and `history`, by Zeek's rules (its TCP analyzer keeps a small
 *    state machine per endpoint: inactive, SYN sent, SYN-ACK sent, partial, established, closed,
 *    reset; conn_state is a function of the two endpoint states at the end, history a string of
 *    event letters, upper-case for the originator and lower-case for the responder);
 *  - Wireshark's `tcp.completeness` bitmask of what the conversation showed.
 *
 * Zeek's originator is the endpoint that sent the first packet, unless that packet is not a plain
 * SYN and its source port looks like a server's (then the roles are flipped and history starts
 * with '^'), or a SYN/SYN-ACK exchange later shows the roles reversed. Our client is Zeek's
 * originator, which is the SYN's sender whenever the handshake was captured.
 *
 * Where this differs from Zeek: TCP checksums are not verified (as `zeek -C`; no 'C' letter),
 * content gaps ('G') come from a one-hole approximation of Zeek's reassembler (a hole in an
 * endpoint's captured data, or data cut by the snap length, that the peer acknowledges), the
 * likely-server-port table is fixed, and segments whose TCP header is damaged never reach
 * observers (Zeek drops them too). tcp.completeness follows packet-tcp.c, but a stream whose first
 * segment had a damaged header starts here from its second one.
 *
 * Invariant: per-segment work is O(1) with no allocation beyond the per-connection record;
 * options are read only from SYN segments; history letters are appended at most a bounded number
 * of times per connection (single letters once per direction, repeated SYN/FIN/RST letters only
 * when their sequence number changes, counted letters logarithmically).
 */
import type { TcpObserver } from './analyzer.js';
import type { Dir, TcpConnection, TcpSegment } from './connection.js';
import { TcpAnalysisFlag, type TcpSegmentInfo } from './tcp-tracker.js';
import { seqAdd, seqDiff, seqGe, seqGt, seqLe, seqSub } from './seq.js';
import { TcpFlag } from '../wire/tcp.js';

/** Zeek's conn_state values (scripts/base/protocols/conn/main.zeek). */
export type ZeekConnState = 'S0' | 'S1' | 'SF' | 'REJ' | 'S2' | 'S3' | 'RSTO' | 'RSTR' | 'RSTOS0' | 'RSTRH' | 'SH' | 'SHR' | 'OTH';

export type Side = 'client' | 'server';

/**
 * Where the connection stands after the last captured segment:
 * handshake: a SYN or SYN-ACK was seen but the handshake did not complete;
 * established: data may flow both ways (handshake completed, or the start was not captured);
 * half-closed: one side sent a FIN (RFC 9293 §3.6: it still receives);
 * closed: both sides sent a FIN; reset: a RST ended it; refused: the SYN was answered by a RST.
 */
export type Phase = 'handshake' | 'established' | 'half-closed' | 'closed' | 'reset' | 'refused';

/** What one side announced in its SYN or SYN-ACK (RFC 9293 §3.7.1, RFC 7323, RFC 2018). */
export interface HandshakeSide {
  /** Initial sequence number: the SYN's sequence number. */
  isn?: number;
  mss?: number;
  /** Window-scale shift as sent (RFC 7323 §2.2); undefined when the option was absent. */
  wscale?: number;
  sackPermitted: boolean;
  timestamps: boolean;
}

export interface Handshake {
  client: HandshakeSide;
  server: HandshakeSide;
  /** Epoch seconds of the (last) SYN, the (last) SYN-ACK and the ACK that completed the handshake. */
  synTime?: number;
  synAckTime?: number;
  ackTime?: number;
  /**
   * Wireshark's tcp.analysis.initial_rtt: from the most recent SYN to the first segment with ACK
   * and without SYN, in seconds.
   */
  rtt?: number;
  /** SYN, SYN-ACK and the client's ACK of the SYN-ACK were all seen. */
  complete: boolean;
  /** Window scaling is in effect: both SYNs carried the option (RFC 7323 §2.2). */
  windowScaling: boolean;
}

export interface ConnectionLifecycle {
  stream: number;
  /** The direction (of the connection's endpoints a→b = 0) in which the client sends. */
  clientDir: Dir;
  /** The client is not the sender of the first captured packet (Zeek's '^'). */
  flipped: boolean;
  /** The first captured segment was a SYN without ACK: the connection's start is in the capture. */
  startCaptured: boolean;
  phase: Phase;
  state: ZeekConnState;
  history: string;
  /** Wireshark's tcp.completeness after the last segment: 1 SYN, 2 SYN-ACK, 4 ACK, 8 data, 16 FIN, 32 RST. */
  completeness: number;
  handshake: Handshake;
  /** Both sides sent a SYN without ACK (RFC 9293 §3.5, Figure 8). */
  simultaneousOpen: boolean;
  /** Each side sent its FIN before acknowledging the other's (RFC 9293 §3.6, Figure 13). */
  simultaneousClose: boolean;
  /** The active closer: the side whose FIN came first. */
  closedBy?: Side;
  /** The side that sent the first RST. */
  resetBy?: Side;
  /** A SYN answered by a RST before any SYN-ACK. */
  refused: boolean;
  /** Segments the sequence analysis flagged as retransmissions (retransmission, fast or spurious). */
  retransmissions: number;
  /** Zeek's orig_bytes / resp_bytes: payload bytes each way as the sequence numbers tell. */
  seqBytes: { client: number; server: number };
}

// Zeek's per-endpoint states (TCP_Endpoint.h EndpointState).
const INACTIVE = 0;
const SYN_SENT = 1;
const SYN_ACK_SENT = 2;
const PARTIAL = 3;
const ESTABLISHED = 4;
const CLOSED = 5;
const RESET = 6;

// History masks (Zeek's HIST_*); the responder's are shifted left by 16.
const HIST_SYN = 0x1;
const HIST_FIN = 0x2;
const HIST_RST = 0x4;
const HIST_FIN_RST = 0x8;
const HIST_DATA = 0x10;
const HIST_ACK = 0x20;
const HIST_MULTI_FLAG = 0x40;

/** Zeek ignores SYN/RST sequence numbers this far from what it expects (TOO_LARGE_SEQ_DELTA). */
const TOO_LARGE_SEQ_DELTA = 1048576;

/** tcp.completeness bits (Wireshark's TCP_COMPLETENESS_*). */
export const Completeness = { SYN: 1, SYN_ACK: 2, ACK: 4, DATA: 8, FIN: 16, RST: 32 } as const;

const { FIN, SYN, RST, ACK } = TcpFlag;

/**
 * Which port numbers probably belong to a server, for Zeek's orientation heuristics. Zeek uses
 * its `likely_server_ports`, filled by the analyzers' `register_for_ports` calls in its base
 * scripts; this is a fixed approximation of that set (the well-known ports of the protocols its
 * base scripts analyse), one table for TCP and UDP.
 */
const SERVER_PORTS = [
  53, 137, 5353, 5355, // DNS, NetBIOS-NS, mDNS, LLMNR
  80, 81, 631, 1080, 3128, 8000, 8080, 8888, // HTTP and proxies
  443, 563, 585, 614, 636, 989, 990, 992, 993, 995, 5223, // TLS-wrapped services
  21, 22, 25, 110, 143, 587, 2811, 6666, 6667, 6668, 6669, // FTP, SSH, SMTP, POP3, IMAP, IRC
  67, 68, 88, 123, 161, 162, 389, 514, 750, 1812, 3268, 5060, // DHCP, Kerberos, NTP, SNMP, LDAP, syslog, RADIUS, SIP
  135, 139, 445, 502, 1883, 3306, 3389, 5222, 5269, 5432, 20000, // RPC, SMB, Modbus, MQTT, MySQL, RDP, XMPP, PostgreSQL, DNP3
  5900, 5901, 5902, 5903, 5904, 5905, 5906, 5907, // VNC
  2123, 2152, 3544, 4789, 6081, // GTP, Teredo, VXLAN, Geneve
];
const SERVER_PORT_TABLE = new Uint8Array(65536);
for (const p of SERVER_PORTS) SERVER_PORT_TABLE[p] = 1;

export function isLikelyServerPort(port: number): boolean {
  return SERVER_PORT_TABLE[port & 0xffff] === 1;
}

/** One endpoint, in Zeek's terms plus what our own view needs. Sequence numbers are raw 32-bit. */
class Endpoint {
  state = INACTIVE;
  prevState = INACTIVE;
  startSeq = 0;
  lastSeq = 0;
  /** Highest acknowledgment the peer sent for this endpoint's data. */
  ackSeq = 0;
  histLastSyn = -1;
  histLastFin = -1;
  histLastRst = -1;
  // Counted history letters: Zeek adds the letter at the 1st, 10th, 100th … event.
  rxmtCount = 0;
  rxmtThreshold = 1;
  win0Count = 0;
  win0Threshold = 1;
  gapCount = 0;
  gapThreshold = 1;
  finCount = 0;
  finSeq = 0;
  didClose = false;
  // Content gaps (Zeek's 'G'): the highest data end seen, and the start of a hole not yet filled.
  dataEnd = 0;
  holeAt = 0;
  hasHole = false;
  // Our own view.
  readonly hs: HandshakeSide = { sackPermitted: false, timestamps: false };
  sentPureSyn = false;
  sentSynAck = false;
  synTime = 0;
  synAckTime = 0;
  firstFinTime = -1;
  firstRstTime = -1;
  /** Raw seq of this side's first FIN (the FIN octet's number). */
  firstFinSeq = 0;

  setState(s: number): void {
    if (s !== this.state) {
      this.prevState = this.state;
      this.state = s;
    }
  }

  /** Zeek's TCP_Endpoint::Size(): payload bytes from the sequence space (minus SYN and FIN octets). */
  size(peer: Endpoint): number {
    // A half-open connection found and aborted: its sequence numbers say nothing about data.
    const noDataAcked = this.ackSeq === this.startSeq || this.ackSeq === seqAdd(this.startSeq, 1);
    if (this.prevState === SYN_SENT && this.state === RESET && peer.state === INACTIVE && !noDataAcked) return 0;
    const hi = seqGt(this.lastSeq, this.ackSeq) ? this.lastSeq : this.ackSeq;
    let size = seqSub(hi, this.startSeq);
    if (size !== 0) size--;
    if (this.finCount > 0 && size !== 0) size--;
    return size;
  }
}

/** All lifecycle state of one connection. Endpoints are held by Zeek role: 0 originator, 1 responder. */
class Life {
  readonly eps: [Endpoint, Endpoint] = [new Endpoint(), new Endpoint()];
  /** The direction in which the originator sends. */
  origDir: Dir = 0;
  flipped = false;
  history = '';
  histSeen = 0;
  completeness = 0;
  startCaptured = false;
  /**
   * Wireshark's ts_mru_syn (as seconds and nanoseconds, so that the RTT is exact) and ts_first_rtt
   * (0 = unset, as Wireshark tests them).
   */
  mruSynSec = 0;
  mruSynNsec = 0;
  firstRtt = 0;
  /** The initial RTT comes from the tracker's per-segment result, not from this module. */
  rttFromTracker = false;
  ackTime = 0;
  simultaneousOpen = false;
  simultaneousClose = false;
  /** The endpoints that sent the first FIN and the first RST. */
  firstFin?: Endpoint;
  firstRst?: Endpoint;
  retransmissions = 0;

  constructor(readonly stream: number) {}

  addHistory(role: number, code: string): void {
    this.history += role === 0 ? code : code.toLowerCase();
  }

  /** Zeek's CheckHistory: adds the letter the first time, says whether it had been seen. */
  checkHistory(role: number, mask: number, code: string): boolean {
    const m = role === 0 ? mask : mask << 16;
    if ((this.histSeen & m) === 0) {
      this.histSeen |= m;
      this.addHistory(role, code);
      return false;
    }
    return true;
  }

  flip(): void {
    const [o, r] = this.eps;
    this.eps[0] = r;
    this.eps[1] = o;
    this.origDir = (this.origDir ^ 1) as Dir;
    this.flipped = !this.flipped;
    this.history += '^';
  }
}

/**
 * Zeek's ScaledHistoryEntry with base 10: the letter is added on the 1st, 10th, 100th … event.
 * Returns the new threshold (unchanged when the letter was not added).
 */
function scaled(life: Life, role: number, code: string, count: number, threshold: number): number {
  if (count === threshold) {
    life.addHistory(role, code);
    const next = threshold * 10;
    return next > 0xffffffff ? threshold : next;
  }
  return threshold;
}

function clean(e: Endpoint): boolean {
  return e.state === ESTABLISHED || (e.state === CLOSED && e.prevState === ESTABLISHED);
}

/** Segments tshark marks with tcp.analysis.retransmission (it shows that field with the fast and spurious ones too). */
const RETRANSMITTED = TcpAnalysisFlag.RETRANSMISSION | TcpAnalysisFlag.FAST_RETRANSMISSION | TcpAnalysisFlag.SPURIOUS_RETRANSMISSION;

export class TcpLifecycle implements TcpObserver {
  private readonly lives: (Life | undefined)[] = [];
  onConnection(conn: TcpConnection, first: TcpSegment): void {
    this.start(conn.stream, first);
  }

  onSegment(conn: TcpConnection, seg: TcpSegment, info?: TcpSegmentInfo): void {
    const life = this.lives[conn.stream] ?? this.start(conn.stream, seg);
    // The info is optional so that the lifecycle can be driven without the sequence analysis. With
    // it, the initial RTT is the tracker's: it also sees segments whose header is damaged (a SYN
    // cut inside its options), which observers do not get.
    if (info !== undefined) {
      life.rttFromTracker = true;
      if ((info.flags & RETRANSMITTED) !== 0) life.retransmissions++;
      if (life.firstRtt === 0 && !Number.isNaN(info.initialRtt)) life.firstRtt = info.initialRtt;
    }
    process(life, seg, conn.packets[0] + conn.packets[1] === 1);
  }

  finish(): void {}

  /** Wireshark's tcp.completeness so far; read before a segment's onSegment it is what tshark shows on that packet. */
  completeness(stream: number): number {
    return this.lives[stream]?.completeness ?? 0;
  }

  history(stream: number): string {
    return this.lives[stream]?.history ?? '';
  }

  state(stream: number): ZeekConnState {
    const life = this.lives[stream];
    return life ? connState(life) : 'OTH';
  }

  /** Everything known about one connection, built on demand (allocates; call once per connection). */
  summary(stream: number): ConnectionLifecycle | undefined {
    const life = this.lives[stream];
    return life ? summarize(life) : undefined;
  }

  private start(stream: number, first: TcpSegment): Life {
    const life = new Life(stream);
    life.origDir = first.dir;
    const f = first.tcp.flags;
    life.startCaptured = (f & (SYN | ACK)) === SYN;
    // Zeek's TCP WantConnection: a connection seen first without a SYN, or with a SYN-ACK, is
    // oriented by port: flipped when the source port looks like a server's, unless both do and
    // (this is a SYN-ACK, or the source port is the higher one).
    if ((f & SYN) === 0 || (f & ACK) !== 0) {
      const sp = first.tcp.srcPort;
      const dp = first.tcp.dstPort;
      if (isLikelyServerPort(sp) && (!isLikelyServerPort(dp) || ((f & SYN) === 0 && sp < dp))) life.flip();
    }
    this.lives[stream] = life;
    return life;
  }
}

/** One segment through Zeek's TCP analysis order (TCPSessionAdapter::Process), plus our own view. */
function process(life: Life, seg: TcpSegment, firstOfStream: boolean): void {
  const t = seg.tcp;
  const flags = t.flags;
  const syn = (flags & SYN) !== 0;
  const fin = (flags & FIN) !== 0;
  const rst = (flags & RST) !== 0;
  const ack = (flags & ACK) !== 0;
  const len = t.payloadLength;
  const base = t.seq;
  const ackNum = t.ack;
  const time = seg.time;

  wiresharkView(life, flags, len, seg, firstOfStream);

  let role = seg.dir === life.origDir ? 0 : 1;
  let ep = life.eps[role]!;
  const peer = life.eps[1 - role]!;

  // Sequence space this segment occupies: SYN and FIN take one number each; a RST's data is not
  // part of the stream (RFC 9293 §3.5.3 "RST segments may carry data" only as diagnostics).
  const segLen = (rst ? 0 : len) + (syn ? 1 : 0) + (fin ? 1 : 0);
  const seqEnd = seqAdd(base, segLen);

  initEndpoint(ep, syn, base, seqEnd);
  const relSeq = seqSub(base, ep.startSeq);
  updateHistory(life, role, flags, relSeq, len);

  // Zero window (Zeek's 'W'): not with or after a RST, nor after the peer's FIN.
  if (t.window === 0 && !rst && peer.state !== CLOSED && ep.state !== RESET) {
    ep.win0Count++;
    ep.win0Threshold = scaled(life, role, 'W', ep.win0Count, ep.win0Threshold);
  }

  if (syn) ownSyn(life, ep, peer, seg, ack, time);
  if (fin) {
    ep.finCount++;
    ep.finSeq = seqEnd;
    if (ep.firstFinTime < 0) {
      ep.firstFinTime = time;
      ep.firstFinSeq = seqAdd(base, segLen - 1);
      if (!life.firstFin) life.firstFin = ep;
      // RFC 9293 §3.6: a simultaneous close is when this FIN does not acknowledge the peer's.
      else if (life.firstFin === peer && (!ack || seqLe(ackNum, peer.firstFinSeq))) life.simultaneousClose = true;
    }
  }
  if (rst && ep.firstRstTime < 0) {
    ep.firstRstTime = time;
    if (!life.firstRst) life.firstRst = ep;
  }

  if (ack) {
    if (peer.state === INACTIVE) {
      // Zeek's init_peer: number the peer's space as if its SYN had been seen.
      const s = seqAdd(ackNum, -1);
      peer.startSeq = s;
      peer.ackSeq = s;
      peer.lastSeq = s;
      peer.dataEnd = ackNum;
      peer.hasHole = false;
    } else if (!rst) {
      const d = seqDiff(ackNum, peer.ackSeq);
      if (!(ackNum === 0 && d > TOO_LARGE_SEQ_DELTA) && d > 0) peer.ackSeq = ackNum;
    }
    // The handshake completes with the client's first ACK of the server's SYN-ACK (RFC 9293 §3.5).
    if (!syn && !rst && life.ackTime === 0 && role === 0 && peer.sentSynAck && ep.sentPureSyn && peer.hs.isn !== undefined && seqGe(ackNum, seqAdd(peer.hs.isn, 1))) {
      life.ackTime = time;
    }
  }

  // Zeek's update_last_seq: a segment with data that does not advance the endpoint's highest
  // sequence number is a retransmission ('T').
  const deltaLast = seqDiff(seqEnd, ep.lastSeq);
  if ((syn || rst) && (deltaLast > TOO_LARGE_SEQ_DELTA || deltaLast < -TOO_LARGE_SEQ_DELTA)) {
    // Untrusted sequence number.
  } else if (fin && ep.lastSeq === seqAdd(ep.startSeq, 1)) ep.lastSeq = seqEnd;
  else if (ep.state === RESET) {
    // Nothing after a RST is trusted.
  } else if (deltaLast > 0) ep.lastSeq = seqEnd;
  else if (len > 0) {
    ep.rxmtCount++;
    ep.rxmtThreshold = scaled(life, role, 'T', ep.rxmtCount, ep.rxmtThreshold);
  }

  // Payload cut by the snap length never reaches Zeek's reassembler: it stays a hole.
  if (len > 0 && !rst && seg.packet.frame.data.length - t.payloadOffset >= len) trackHoles(ep, syn ? seqAdd(base, 1) : base, len);

  const roleBefore = role;
  const close = stateMachine(life, role, ep, peer, base, len, flags);
  // A SYN/SYN-ACK reversal flips the roles inside the state machine.
  if (life.eps[roleBefore] !== ep) {
    role = 1 - role;
    ep = life.eps[role]!;
  }
  if (ack) ackReceived(life, 1 - role, peer, ackNum);
  if (close && !ep.didClose) ep.didClose = true;
}

/**
 * tcp.completeness and Wireshark's initial RTT (packet-tcp.c). The first packet of a conversation
 * counts only if it is a SYN without ACK (1, and 8 if it carries data: TCP Fast Open); after it, a
 * SYN-ACK sets 2, a segment with ACK and without SYN sets 8 when it carries data and 4 when it does
 * not, a FIN with ACK sets 16 and any RST 32.
 */
function wiresharkView(life: Life, flags: number, len: number, seg: TcpSegment, first: boolean): void {
  const frame = seg.packet.frame;
  const synAck = flags & (SYN | ACK);
  let c = life.completeness;
  if (first) {
    if (synAck === SYN) c = len > 0 ? Completeness.SYN | Completeness.DATA : Completeness.SYN;
  } else {
    if (synAck === (SYN | ACK)) c |= Completeness.SYN_ACK;
    if (synAck === ACK) c |= len > 0 ? Completeness.DATA : Completeness.ACK;
    if ((flags & (FIN | ACK)) === (FIN | ACK)) c |= Completeness.FIN;
    if (flags & RST) c |= Completeness.RST;
  }
  life.completeness = c;
  // ts_mru_syn: the most recent SYN without ACK.
  if (synAck === SYN) {
    life.mruSynSec = frame.tsSec;
    life.mruSynNsec = frame.tsNsec;
  }
  if (!life.rttFromTracker && synAck === ACK && (life.mruSynSec !== 0 || life.mruSynNsec !== 0) && life.firstRtt === 0) {
    life.firstRtt = frame.tsSec - life.mruSynSec + (frame.tsNsec - life.mruSynNsec) / 1e9;
  }
}

/** Zeek's init_endpoint: where an endpoint's sequence space starts. */
function initEndpoint(ep: Endpoint, syn: boolean, base: number, seqEnd: number): void {
  switch (ep.state) {
    case INACTIVE:
      if (syn) {
        ep.startSeq = base;
        ep.ackSeq = base;
        ep.lastSeq = seqEnd;
      } else {
        // Started unseen: number it as if the SYN were just before this segment.
        ep.startSeq = seqAdd(base, -1);
        ep.ackSeq = ep.startSeq;
        ep.lastSeq = base;
      }
      ep.dataEnd = syn ? seqAdd(base, 1) : base;
      ep.hasHole = false;
      break;
    case SYN_SENT:
    case SYN_ACK_SENT:
      // A SYN with another ISN restarts the numbering.
      if (syn && base !== ep.startSeq) resetSpace(ep, base, seqEnd);
      break;
    case ESTABLISHED:
    case PARTIAL:
      // Guess that the connection never got established and this SYN sets it up.
      if (syn) resetSpace(ep, base, seqEnd);
      break;
    case RESET:
      if (syn && ep.prevState === INACTIVE) resetSpace(ep, base, seqEnd);
      break;
  }
}

function resetSpace(ep: Endpoint, base: number, seqEnd: number): void {
  ep.startSeq = base;
  ep.ackSeq = base;
  ep.lastSeq = seqEnd;
  ep.dataEnd = seqAdd(base, 1);
  ep.hasHole = false;
}

/** Zeek's update_history: the letters for flags and data. */
function updateHistory(life: Life, role: number, flags: number, relSeq: number, len: number): void {
  const syn = (flags & SYN) !== 0;
  const fin = (flags & FIN) !== 0;
  const rst = (flags & RST) !== 0;
  const ep = life.eps[role]!;
  const bits = (syn ? 1 : 0) + (fin ? 1 : 0) + (rst ? 1 : 0);
  if (bits > 1) {
    if (fin && rst) life.checkHistory(role, HIST_FIN_RST, 'I');
    else life.checkHistory(role, HIST_MULTI_FLAG, 'Q');
  } else if (bits === 1) {
    if (syn) {
      const code = flags & ACK ? 'H' : 'S';
      if (life.checkHistory(role, HIST_SYN, code) && relSeq !== ep.histLastSyn) life.addHistory(role, code);
      ep.histLastSyn = relSeq;
    }
    if (fin) {
      // A FIN's number is after the segment's data.
      const at = (relSeq + len) >>> 0;
      if (life.checkHistory(role, HIST_FIN, 'F') && at !== ep.histLastFin) life.addHistory(role, 'F');
      ep.histLastFin = at;
    }
    if (rst) {
      if (life.checkHistory(role, HIST_RST, 'R') && relSeq !== ep.histLastRst) life.addHistory(role, 'R');
      ep.histLastRst = relSeq;
    }
  } else if (len > 0) life.checkHistory(role, HIST_DATA, 'D');
  else if (flags & ACK) life.checkHistory(role, HIST_ACK, 'A');
}

/** Handshake options and times, and simultaneous open. */
function ownSyn(life: Life, ep: Endpoint, peer: Endpoint, seg: TcpSegment, ack: boolean, time: number): void {
  const t = seg.tcp;
  const hs = ep.hs;
  hs.isn = t.seq;
  hs.mss = t.mss;
  hs.wscale = t.wscale;
  hs.sackPermitted = t.sackPermitted;
  hs.timestamps = t.tsval !== undefined;
  if (ack) {
    ep.sentSynAck = true;
    ep.synAckTime = time;
  } else {
    ep.sentPureSyn = true;
    ep.synTime = time;
    if (peer.sentPureSyn) life.simultaneousOpen = true;
  }
}

/** Remembers the first unfilled hole in an endpoint's data, for Zeek's content-gap letter. */
function trackHoles(ep: Endpoint, from: number, len: number): void {
  const end = seqAdd(from, len);
  if (ep.hasHole && seqLe(from, ep.holeAt) && seqGt(end, ep.holeAt)) ep.hasHole = false;
  if (seqGt(from, ep.dataEnd) && !ep.hasHole) {
    ep.hasHole = true;
    ep.holeAt = ep.dataEnd;
  }
  if (seqGt(end, ep.dataEnd)) ep.dataEnd = end;
}

/**
 * The peer acknowledged `ackNum` of endpoint `e`'s data: data acknowledged but never seen is a
 * content gap (Zeek's 'G', reported only while both sides are established or cleanly closing).
 */
function ackReceived(life: Life, role: number, e: Endpoint, ackNum: number): void {
  if (e.state === INACTIVE) return;
  // The FIN's octet is acknowledged too but is not data.
  const upTo = e.finCount > 0 && seqGe(ackNum, e.finSeq) ? seqAdd(e.finSeq, -1) : ackNum;
  let gap = false;
  if (e.hasHole && seqGt(upTo, e.holeAt)) {
    gap = true;
    e.hasHole = false;
  }
  if (seqGt(upTo, e.dataEnd)) {
    gap = true;
    e.dataEnd = upTo;
  }
  if (gap && clean(e) && clean(life.eps[1 - role]!)) {
    e.gapCount++;
    e.gapThreshold = scaled(life, role, 'G', e.gapCount, e.gapThreshold);
  }
}

/** Zeek's UpdateStateMachine; returns whether the segment closes the endpoint (do_close). */
function stateMachine(life: Life, role: number, ep: Endpoint, peer: Endpoint, base: number, len: number, flags: number): boolean {
  const syn = (flags & SYN) !== 0;
  const fin = (flags & FIN) !== 0;
  const rst = (flags & RST) !== 0;
  const ack = (flags & ACK) !== 0;
  let close = false;
  switch (ep.state) {
    case INACTIVE: {
      if (syn) {
        if (role === 0) ep.setState(ack ? SYN_ACK_SENT : SYN_SENT);
        else {
          if (!ack && peer.state === SYN_ACK_SENT && base === ep.startSeq) {
            // SYN/SYN-ACK reversal: the "originator" answered a SYN we did not see first.
            life.flip();
            peer.setState(ESTABLISHED);
          }
          if (peer.state === SYN_SENT) peer.setState(ESTABLISHED);
          ep.setState(ESTABLISHED);
        }
      }
      if (fin) {
        ep.setState(CLOSED);
        close = true;
      }
      if (rst) {
        ep.setState(RESET);
        close = true;
      }
      if (ep.state === INACTIVE) {
        const orig = life.eps[0];
        if (role === 1 && len === 0 && orig.state === SYN_SENT) {
          // Some stacks ACK a SYN before answering it; not a partial connection.
        } else if (ack && peer.state === ESTABLISHED) ep.setState(ESTABLISHED);
        else ep.setState(PARTIAL);
      }
      break;
    }
    case SYN_SENT:
    case SYN_ACK_SENT:
      if (fin) {
        ep.setState(CLOSED);
        close = true;
      }
      if (rst) {
        ep.setState(RESET);
        close = true;
      }
      break;
    case ESTABLISHED:
    case PARTIAL:
      if (syn && ep.state === PARTIAL && peer.state === INACTIVE && !ack) ep.setState(SYN_SENT);
      if (fin && !rst) {
        ep.setState(CLOSED);
        // A FIN then a RST from the peer was a normal close after all.
        if (peer.state === RESET && peer.prevState === CLOSED) peer.setState(CLOSED);
        close = true;
      }
      if (rst) {
        ep.setState(RESET);
        close = true;
      }
      break;
    case CLOSED:
      if (rst && peer.state !== CLOSED) {
        ep.setState(RESET);
        if (!ep.didClose) close = true;
      }
      break;
    case RESET:
      break;
  }
  return close;
}

/** Zeek's conn_state (scripts/base/protocols/conn/main.zeek) from the two endpoint states. */
function connState(life: Life): ZeekConnState {
  const [o, r] = life.eps;
  const os = o.state;
  const rs = r.state;
  const oInactive = os === INACTIVE || os === PARTIAL;
  const rInactive = rs === INACTIVE || rs === PARTIAL;
  if (rs === RESET) {
    if (os === SYN_SENT || os === SYN_ACK_SENT || (os === RESET && o.size(r) === 0 && r.size(o) === 0)) return 'REJ';
    return oInactive ? 'RSTRH' : 'RSTR';
  }
  if (os === RESET) {
    if (rInactive) return /^\^?S[^HAFGIQ]*R/.test(life.history) ? 'RSTOS0' : 'OTH';
    return 'RSTO';
  }
  if (rs === CLOSED && os === CLOSED) return 'SF';
  if (os === CLOSED) return rInactive ? 'SH' : 'S2';
  if (rs === CLOSED) return oInactive ? 'SHR' : 'S3';
  if (os === SYN_SENT && rs === INACTIVE) return 'S0';
  if (os === ESTABLISHED && rs === ESTABLISHED) return 'S1';
  return 'OTH';
}

function phaseOf(life: Life, refused: boolean, established: boolean): Phase {
  const [o, r] = life.eps;
  if (refused) return 'refused';
  if (life.firstRst) return 'reset';
  if (o.firstFinTime >= 0 && r.firstFinTime >= 0) return 'closed';
  if (o.firstFinTime >= 0 || r.firstFinTime >= 0) return 'half-closed';
  return established ? 'established' : 'handshake';
}

function summarize(life: Life): ConnectionLifecycle {
  const [c, s] = life.eps;
  const side = (e: Endpoint | undefined): Side | undefined => (e === undefined ? undefined : e === c ? 'client' : 'server');
  // Refused: the client's SYN drew a RST from the server, and the server never sent a SYN-ACK.
  const refused = c.sentPureSyn && !s.sentSynAck && s.firstRstTime >= 0 && (c.firstRstTime < 0 || s.firstRstTime <= c.firstRstTime);
  const complete = life.ackTime !== 0;
  const established = complete || (!life.startCaptured && !c.sentPureSyn && !s.sentSynAck) || (c.state === ESTABLISHED && s.state === ESTABLISHED);
  const synTime = c.sentPureSyn ? c.synTime : undefined;
  const synAckTime = s.sentSynAck ? s.synAckTime : undefined;
  return {
    stream: life.stream,
    clientDir: life.origDir,
    flipped: life.flipped,
    startCaptured: life.startCaptured,
    phase: phaseOf(life, refused, established),
    state: connState(life),
    history: life.history,
    completeness: life.completeness,
    handshake: {
      client: { ...c.hs },
      server: { ...s.hs },
      synTime,
      synAckTime,
      ackTime: complete ? life.ackTime : undefined,
      rtt: life.firstRtt !== 0 ? life.firstRtt : undefined,
      complete,
      windowScaling: c.hs.wscale !== undefined && s.hs.wscale !== undefined,
    },
    simultaneousOpen: life.simultaneousOpen,
    simultaneousClose: life.simultaneousClose,
    closedBy: side(life.firstFin),
    resetBy: side(life.firstRst),
    refused,
    retransmissions: life.retransmissions,
    seqBytes: { client: c.state === INACTIVE ? 0 : c.size(s), server: s.state === INACTIVE ? 0 : s.size(c) },
  };
}

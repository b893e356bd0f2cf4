/**
 * A TCP endpoint model (RFC 9293) for simulated hosts. Behaviour emerges from the state machine
 * reacting to what the network delivers; nothing is scripted per packet.
 *
 * - Three-way handshake with ISNs from the host's PRNG; MSS, window scale (RFC 7323 §2),
 *   SACK-permitted (RFC 2018) and timestamps (RFC 7323 §3) offered on the SYN and used only when
 *   both ends offered them.
 * - Sending: segmentation by the effective MSS, slow start and congestion avoidance (RFC 5681 §3.1),
 *   fast retransmit on three duplicate ACKs, then loss recovery: with SACK negotiated, the
 *   scoreboard of RFC 6675 (IsLost, SetPipe, NextSeg; sack.ts), which repairs every hole of a window
 *   in about one round trip and never resends SACKed data; without it, NewReno (RFC 6582 §3.2), one
 *   hole per round trip. The retransmission timer of RFC 6298 with Karn's rule and exponential
 *   backoff, go-back-N after a timeout (skipping SACKed ranges, RFC 6675 §5.1), persist probes
 *   against a zero window (RFC 9293 §3.8.6.1).
 * - Receiving: cumulative ACKs, delayed ACKs (every second full-sized segment or a timer;
 *   RFC 9293 §3.8.6.3, RFC 1122 §4.2.3.2), an immediate duplicate ACK with SACK blocks for an
 *   out-of-order segment (RFC 5681 §4.2), a receive buffer with receiver-side silly window
 *   avoidance (RFC 9293 §3.8.6.2.2) and window updates when the application reads.
 * - FIN teardown from either side with TIME_WAIT (2·MSL), RST for a segment to a closed port
 *   (RFC 9293 §3.10.7.1), abort with RST.
 * - Keep-alive when the application asks for it (RFC 1122 §4.2.3.6: off by default): after an idle
 *   time with nothing received, a probe carrying SND.NXT − 1 and no data, which the peer must answer
 *   with an ACK (RFC 9293 §3.10.7.4, an unacceptable segment); unanswered probes abort.
 *
 * Sequence numbers are kept relative to the ISN ("rel": the SYN is 0, the first data byte 1), the
 * way tshark shows them; the wire value is (ISN + rel) mod 2^32, so one connection carries < 4 GiB.
 * Every segment carries a note with the reason it was sent; a segment that repeats sequence space
 * already sent says "retransmission", and no other does.
 */
import { TcpFlag, type TcpOption, type TcpRepr } from '../wire/tcp.js';
import { RangeSums } from '../wire/checksum.js';
import { IPV4_MIN_HEADER_LEN } from '../wire/ipv4.js';
import { IPV6_HEADER_LEN } from '../wire/ipv6.js';
import { formatDuration, ms, sec, type Nanos } from './clock.js';
import { Timer, type Engine } from './engine.js';
import { DUP_THRESH, SackScoreboard } from './sack.js';
import type { Host } from './network.js';
import { isIpv6Key } from './network.js';
import { NoteParts, NoteText, type Note } from './note.js';

const { FIN, SYN, RST, PSH, ACK } = TcpFlag;

export interface TcpConfig {
  /**
   * MSS offered on the SYN over IPv4 (RFC 9293 §3.7.1: the MTU less 20 bytes of IPv4 and 20 of TCP
   * header). Over IPv6 the offer is 20 bytes less, for the 40-byte IPv6 header (RFC 8200 §3).
   */
  mss: number;
  /** Window scale shift offered (RFC 7323 §2.2); -1 to offer none. */
  windowScale: number;
  sack: boolean;
  timestamps: boolean;
  /** Receive buffer in bytes: the most the window can advertise. */
  receiveBuffer: number;
  /** Initial window in segments (RFC 6928 allows 10; RFC 5681 §3.1 says 2–4). */
  initialWindow: number;
  /** RFC 6298 §2.1: 1 s before any RTT sample. */
  initialRto: Nanos;
  /** RFC 6298 §2.4 says 1 s; most stacks (Linux) use 200 ms. */
  minRto: Nanos;
  maxRto: Nanos;
  /** Delayed-ACK timer (RFC 1122 §4.2.3.2: under 500 ms; stacks use 40–200 ms). */
  delayedAck: Nanos;
  /** Maximum segment lifetime; TIME_WAIT lasts twice this (RFC 9293 §3.4.2). */
  msl: Nanos;
  /** SYN retransmissions before giving up. */
  synRetries: number;
  /** Data retransmissions of one segment before the connection is aborted. */
  maxRetries: number;
}

export const DEFAULT_TCP: TcpConfig = {
  mss: 1460,
  windowScale: 7,
  sack: true,
  timestamps: true,
  receiveBuffer: 256 * 1024,
  initialWindow: 10,
  initialRto: sec(1),
  minRto: ms(200),
  maxRto: sec(60),
  delayedAck: ms(40),
  msl: sec(30),
  synRetries: 6,
  maxRetries: 15,
};

export type TcpState =
  | 'CLOSED'
  | 'SYN_SENT'
  | 'SYN_RECEIVED'
  | 'ESTABLISHED'
  | 'FIN_WAIT_1'
  | 'FIN_WAIT_2'
  | 'CLOSE_WAIT'
  | 'CLOSING'
  | 'LAST_ACK'
  | 'TIME_WAIT';

export interface TcpHandlers {
  onConnect?(s: TcpSocket): void;
  /** In-order bytes, as the application reads them. */
  onData?(s: TcpSocket, data: Uint8Array): void;
  /** The peer sent FIN: no more data will come. */
  onPeerClose?(s: TcpSocket): void;
  /** Reset by the peer, or given up after too many retransmissions. */
  onReset?(s: TcpSocket, why: string): void;
  /** The connection reached CLOSED (or TIME_WAIT, which is closed for the application). */
  onClosed?(s: TcpSocket): void;
}

/** Repeating printable bytes for bulk transfers: no buffer per write, payloads are views of this. */
const PATTERN_PERIOD = 65536;
const PATTERN = (() => {
  const text = 'wirelens synthetic bulk data: the quick brown fox jumps over the lazy dog 0123456789\n';
  const b = new Uint8Array(PATTERN_PERIOD * 2);
  for (let i = 0; i < b.length; i++) b[i] = text.charCodeAt(i % text.length);
  return b;
})();

/** Checksum sums of PATTERN's ranges: a bulk segment's payload is never summed byte by byte. */
const PATTERN_SUMS = new RangeSums(PATTERN);

interface Chunk {
  /** rel of the first byte. */
  start: number;
  end: number;
  /** Absent for bulk data (PATTERN). */
  data?: Uint8Array;
  note?: string;
}

interface OooRange {
  start: number;
  end: number;
  data: Uint8Array;
}

type RtxReason = 'rto' | 'gobackn' | 'fast' | 'partial' | 'sack';

// The fixed texts of the notes sent most (see note.ts).
const DATA_SEQ = new NoteText('data seq ');
const DATA_LEN = new NoteText(' len ');
const ACK_HEAD = new NoteText('ACK ');
const ACK_EVERY_SECOND = new NoteText(': every second full-sized segment is acknowledged at once (RFC 9293 §3.8.6.3)');

const NOP: TcpOption = { type: 'nop' };
const EMPTY = new Uint8Array(0);

export class TcpStack {
  readonly config: TcpConfig;
  private readonly sockets = new Map<string, TcpSocket>();
  private readonly listeners = new Map<number, (s: TcpSocket) => void>();
  /** Segments answered with RST because no socket wanted them. */
  resets = 0;

  constructor(
    readonly host: Host,
    config: Partial<TcpConfig>,
  ) {
    this.config = { ...DEFAULT_TCP, ...config };
  }

  /** Accepts connections on `port`; `accept` sets the new socket's handlers. */
  listen(port: number, accept: (s: TcpSocket) => void): void {
    this.listeners.set(port, accept);
  }

  unlisten(port: number): void {
    this.listeners.delete(port);
  }

  connect(dstIp: number, dstPort: number, handlers: TcpHandlers = {}, options: { srcPort?: number; config?: Partial<TcpConfig>; note?: string } = {}): TcpSocket {
    const s = new TcpSocket(this, options.srcPort ?? this.host.ephemeralPort(), dstIp, dstPort, { ...this.config, ...options.config });
    Object.assign(s, handlers);
    this.register(s);
    s.openActive(options.note);
    return s;
  }

  /** @internal */
  forget(s: TcpSocket): void {
    if (this.sockets.get(s.key) === s) this.sockets.delete(s.key);
    this.last = undefined;
  }

  /** The socket found last: most segments belong to the same connection as the one before. */
  private last: TcpSocket | undefined;

  private register(s: TcpSocket): void {
    this.sockets.set(s.key, s);
    this.last = undefined;
  }

  receive(srcIp: number, seg: TcpRepr): void {
    let s = this.last;
    // Checked field by field: building the map key costs a string per segment.
    if (!s || s.remoteIp !== srcIp || s.remotePort !== seg.srcPort || s.localPort !== seg.dstPort) {
      s = this.sockets.get(`${srcIp}:${seg.srcPort}:${seg.dstPort}`);
      this.last = s;
    }
    if (s) return s.segmentArrives(seg);
    const accept = this.listeners.get(seg.dstPort);
    if (accept && (seg.flags & (SYN | ACK | RST)) === SYN) {
      const n = new TcpSocket(this, seg.dstPort, srcIp, seg.srcPort, this.config);
      this.register(n);
      accept(n);
      n.openPassive(seg);
      return;
    }
    if (seg.flags & RST) return;
    this.resets++;
    // RFC 9293 §3.10.7.1: no connection. With an ACK, RST seq = SEG.ACK; without, seq 0 and ACK the segment.
    const len = seg.payload.length + (seg.flags & SYN ? 1 : 0) + (seg.flags & FIN ? 1 : 0);
    const reply: TcpRepr =
      seg.flags & ACK
        ? { srcPort: seg.dstPort, dstPort: seg.srcPort, seq: seg.ack, ack: 0, flags: RST, window: 0, urgentPointer: 0, options: [], payload: EMPTY }
        : { srcPort: seg.dstPort, dstPort: seg.srcPort, seq: 0, ack: (seg.seq + len) >>> 0, flags: RST | ACK, window: 0, urgentPointer: 0, options: [], payload: EMPTY };
    const why = accept ? 'not a SYN and no such connection' : `port ${seg.dstPort} is closed (nothing listens)`;
    this.host.sendTcp(srcIp, reply, `RST: ${why} (RFC 9293 §3.10.7.1)`, 'a RST is not retransmitted');
  }
}

export class TcpSocket implements TcpHandlers {
  // Fields from the start, set or not: a handler assigned later then leaves the object's shape alone,
  // and every socket has the same one (V8 then keeps one optimised version of the per-segment methods).
  onConnect: ((s: TcpSocket) => void) | undefined = undefined;
  onData: ((s: TcpSocket, data: Uint8Array) => void) | undefined = undefined;
  onPeerClose: ((s: TcpSocket) => void) | undefined = undefined;
  onReset: ((s: TcpSocket, why: string) => void) | undefined = undefined;
  onClosed: ((s: TcpSocket) => void) | undefined = undefined;

  state: TcpState = 'CLOSED';
  readonly key: string;
  /** Free-form label for notes ("client", "browser"); default the host name. */
  label: string;
  /** How the application reads: 'auto' reads on arrival; 'manual' leaves data in the buffer until read(). */
  readMode: 'auto' | 'manual' = 'auto';

  // --- send side (rel sequence numbers)
  private iss = 0;
  private sndUna = 0;
  private sndNxt = 0;
  private sndMax = 0;
  /** Peer's window in bytes (already scaled). */
  private sndWnd = 0;
  private sndWl1 = 0;
  private sndWl2 = 0;
  private dataEnd = 1;
  private readonly chunks: Chunk[] = [];
  private chunkHead = 0;
  private finQueued = false;
  private finRel = -1;
  private finNote: string | undefined;
  private kaIdle = 0;
  private kaInterval = 0;
  private kaMax = 0;
  private kaProbes = 0;
  private kaTimer: Timer | undefined;
  /**
   * Set by the handshake (takeSynOptions), read only after it. Starts, as ssthresh does, with a number
   * too large for V8's small integers: both fields then hold doubles from the first, and
   * `cwnd = ssthresh` in the first loss recovery does not change the field's representation, which
   * would discard the optimised code of every method reading a socket in the middle of a transfer.
   */
  private cwnd = Number.MAX_SAFE_INTEGER;
  private ssthresh = Number.MAX_SAFE_INTEGER;
  private dupAcks = 0;
  private inRecovery = false;
  /** RFC 6582 "recover", RFC 6675 RecoveryPoint: HighData when recovery (or a timeout) began. */
  private recover = 0;
  /** RFC 6675 §3: the SACK scoreboard, and HighRxt (here one past the highest octet retransmitted in this recovery). */
  private readonly scoreboard = new SackScoreboard(() => this.effMss);
  private highRxt = 0;
  /** Why NextSeg picked the segment being retransmitted (for its note). */
  private sackWhy = '';
  private srtt = -1;
  private rttvar = 0;
  private rto: Nanos;
  private backoff = 1;
  private rttSeq = -1;
  private rttStart = 0;
  private readonly rtxCount = new Map<number, number>();
  private rtxReason: RtxReason | undefined;
  private persistBackoff = 1;
  private probes = 0;
  private probeEnd = 0;
  private synRetries = 0;
  private readonly rtxTimer: Timer;
  private readonly persistTimer: Timer;

  // --- receive side
  private irs = 0;
  private rcvNxt = 0;
  private rcvBuffered = 0;
  private readonly rcvQueue: Uint8Array[] = [];
  private lastAdvRight = 0;
  private lastAdvWnd = 0;
  private ooo: OooRange[] = [];
  private unackedFull = 0;
  /** rcvNxt as carried by the last ACK we sent. */
  private ackedUpTo = 0;
  private readonly delAckTimer: Timer;
  private peerFinRel = -1;

  // --- negotiated
  private mssPeer = 536;
  private effMss = 536;
  private sndShift = 0;
  private rcvShift = 0;
  private useTs = false;
  private useSack = false;
  private tsOffset = 0;
  private tsRecent = 0;
  private readonly timeWaitTimer: Timer;

  constructor(
    readonly stack: TcpStack,
    readonly localPort: number,
    readonly remoteIp: number,
    readonly remotePort: number,
    readonly config: TcpConfig,
  ) {
    this.key = `${remoteIp}:${remotePort}:${localPort}`;
    this.label = stack.host.name;
    this.rto = config.initialRto;
    const engine = stack.host.engine;
    this.engine = engine;
    this.rtxTimer = new Timer(engine, () => this.onRto());
    this.persistTimer = new Timer(engine, () => this.onPersist());
    this.delAckTimer = new Timer(engine, () => {
      if (this.ackedUpTo < this.rcvNxt) this.sendAck(`delayed ACK after the ${formatDuration(this.config.delayedAck)} timer (RFC 9293 §3.8.6.3)`);
    });
    this.timeWaitTimer = new Timer(engine, () => this.finish());
  }

  private get host(): Host {
    return this.stack.host;
  }

  /** Kept: the clock is read for every segment, and the way there through host and network is long. */
  private readonly engine: Engine;

  private get now(): Nanos {
    return this.engine.now;
  }

  get peer(): string {
    const addr = this.host.network.addressText(this.remoteIp);
    // RFC 3986 §3.2.2: an IPv6 address with a port goes in brackets.
    return isIpv6Key(this.remoteIp) ? `[${addr}]:${this.remotePort}` : `${addr}:${this.remotePort}`;
  }

  /** The MSS this end offers: config.mss, less the extra IPv6 header bytes over IPv6. */
  private get ourMss(): number {
    return isIpv6Key(this.remoteIp) ? this.config.mss - (IPV6_HEADER_LEN - IPV4_MIN_HEADER_LEN) : this.config.mss;
  }

  /** Congestion window in bytes (for tests and notes). */
  get congestionWindow(): number {
    return this.cwnd;
  }

  get smoothedRtt(): Nanos {
    return this.srtt;
  }

  /** Bytes written by the application and not yet acknowledged by the peer. */
  get unacknowledged(): number {
    return Math.max(0, this.dataEnd - this.sndUna);
  }

  // ------------------------------------------------------------------ application calls

  /** Queues bytes; `note` is added to the comment of the segment that carries the first of them. */
  write(data: Uint8Array, note?: string): void {
    if (data.length === 0) return;
    this.chunks.push({ start: this.dataEnd, end: this.dataEnd + data.length, data, note });
    this.dataEnd += data.length;
    this.output();
  }

  /** Queues `n` bytes of filler (a bulk transfer) without allocating them. */
  writeBulk(n: number, note?: string): void {
    if (n <= 0) return;
    this.chunks.push({ start: this.dataEnd, end: this.dataEnd + n, note });
    this.dataEnd += n;
    this.output();
  }

  /** Half-close: a FIN follows the queued data (RFC 9293 §3.10.4); `note` joins the FIN's comment. */
  close(note?: string): void {
    if (this.finQueued) return;
    this.finNote = note;
    if (this.state === 'SYN_SENT' || this.state === 'CLOSED') return this.abort('closed before the connection was established');
    this.finQueued = true;
    this.finRel = this.dataEnd;
    if (this.state === 'ESTABLISHED' || this.state === 'SYN_RECEIVED') this.state = 'FIN_WAIT_1';
    else if (this.state === 'CLOSE_WAIT') this.state = 'LAST_ACK';
    this.output();
  }

  /** Abort: RST and forget (RFC 9293 §3.10.5). */
  abort(why: string): void {
    if (this.state !== 'CLOSED' && this.state !== 'TIME_WAIT' && this.state !== 'SYN_SENT') {
      this.emit(this.sndNxt, RST | ACK, EMPTY, `RST: ${this.label} aborts the connection (${why})`, 'a RST is not retransmitted');
    }
    this.finish();
  }

  /**
   * Turns on keep-alive (RFC 1122 §4.2.3.6): after `idle` with no segment from the peer, a probe every
   * `interval`; after `probes` unanswered ones the connection is aborted. Stacks default to 2 h idle.
   */
  setKeepAlive(idle: Nanos, interval: Nanos = idle, probes = 9): void {
    this.kaIdle = idle;
    this.kaInterval = interval;
    this.kaMax = probes;
    this.kaProbes = 0;
    this.kaTimer ??= new Timer(this.host.engine, () => this.onKeepAlive());
    this.kaTimer.set(idle);
  }

  private onKeepAlive(): void {
    const st = this.state;
    if (st === 'CLOSED' || st === 'TIME_WAIT') return;
    // While data is outstanding the retransmission timer already watches the peer.
    if (st === 'SYN_SENT' || st === 'SYN_RECEIVED' || this.sndMax > this.sndUna) return this.kaTimer!.set(this.kaIdle);
    if (this.kaProbes >= this.kaMax) {
      this.onReset?.(this, `keep-alive: ${this.kaMax} probes unanswered`);
      return this.abort(`keep-alive: ${this.kaMax} probes unanswered, the peer is gone`);
    }
    const waited = this.kaProbes === 0 ? this.kaIdle : this.kaInterval;
    this.kaProbes++;
    // RFC 1122 §4.2.3.6: SEG.SEQ = SND.NXT − 1 and no data, so the peer sees an old segment and ACKs it.
    this.emit(
      this.sndNxt - 1,
      ACK,
      EMPTY,
      `keep-alive probe #${this.kaProbes}: seq ${this.sndNxt - 1}, one below the next sequence number, after ${formatDuration(waited)} without a segment from the peer (RFC 1122 §4.2.3.6)`,
      'the next keep-alive probe follows',
    );
    this.kaTimer!.set(this.kaInterval);
  }

  /** Reads up to `n` buffered bytes (manual read mode); may open the window. */
  read(n: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    let left = n;
    while (left > 0 && this.rcvQueue.length > 0) {
      const b = this.rcvQueue[0]!;
      if (b.length <= left) {
        out.push(b);
        this.rcvQueue.shift();
        left -= b.length;
      } else {
        out.push(b.subarray(0, left));
        this.rcvQueue[0] = b.subarray(left);
        left = 0;
      }
    }
    const got = n - left;
    this.rcvBuffered -= got;
    if (got > 0) this.maybeWindowUpdate();
    return out;
  }

  get buffered(): number {
    return this.rcvBuffered;
  }

  // ------------------------------------------------------------------ opening

  /** @internal */
  openActive(note?: string): void {
    this.iss = this.host.prng.u32();
    this.tsOffset = this.host.prng.u32();
    this.state = 'SYN_SENT';
    this.sendSyn(note ?? `SYN: ${this.label} opens a connection to ${this.peer} (ISN ${this.iss}); offers ${this.offerText()}`);
  }

  /** @internal */
  openPassive(syn: TcpRepr): void {
    this.iss = this.host.prng.u32();
    this.tsOffset = this.host.prng.u32();
    this.irs = syn.seq;
    this.rcvNxt = 1;
    this.takeSynOptions(syn);
    this.state = 'SYN_RECEIVED';
    this.sendSyn(`SYN-ACK: ${this.label} accepts the connection from ${this.peer} (ISN ${this.iss}); agreed ${this.agreedText()}`);
  }

  private offerText(): string {
    const c = this.config;
    const parts = [`MSS ${this.ourMss}`];
    if (c.sack) parts.push('SACK');
    if (c.timestamps) parts.push('timestamps');
    if (c.windowScale >= 0) parts.push(`window scale ${c.windowScale}`);
    return parts.join(', ');
  }

  private agreedText(): string {
    const parts = [`MSS ${this.effMss} payload bytes per segment`];
    parts.push(this.useSack ? 'SACK' : 'no SACK');
    parts.push(this.useTs ? 'timestamps' : 'no timestamps');
    parts.push(this.sndShift || this.rcvShift ? `window scale ${this.rcvShift} (ours) / ${this.sndShift} (theirs)` : 'no window scaling');
    return parts.join(', ');
  }

  private takeSynOptions(syn: TcpRepr): void {
    let mss = 536;
    let ws = -1;
    let sack = false;
    let ts = false;
    for (const o of syn.options) {
      if (o.type === 'mss') mss = o.mss;
      else if (o.type === 'wscale') ws = Math.min(o.shift, 14);
      else if (o.type === 'sackPermitted') sack = true;
      else if (o.type === 'timestamp') {
        ts = true;
        this.tsRecent = o.tsval;
      }
    }
    const c = this.config;
    this.mssPeer = mss;
    // RFC 7323 §2.2: scaling only when both SYNs carry the option.
    if (ws >= 0 && c.windowScale >= 0) {
      this.sndShift = ws;
      this.rcvShift = c.windowScale;
    }
    this.useSack = sack && c.sack;
    this.useTs = ts && c.timestamps;
    // RFC 9293 §3.7.1: the MSS counts data only; options in every segment come out of it (RFC 7323 §3.2).
    this.effMss = Math.min(this.mssPeer, this.ourMss) - (this.useTs ? 12 : 0);
    this.cwnd = c.initialWindow * this.effMss;
    // RFC 7323 §2.2: the window in a SYN is never scaled.
    this.sndWnd = syn.window;
    this.sndWl1 = 0;
  }

  private sendSyn(note: string): void {
    const c = this.config;
    const opts: TcpOption[] = [{ type: 'mss', mss: this.ourMss }];
    const active = this.state === 'SYN_SENT';
    if (c.sack && (active || this.useSack)) opts.push({ type: 'sackPermitted' });
    if (c.timestamps && (active || this.useTs)) opts.push({ type: 'timestamp', tsval: this.tsval(), tsecr: active ? 0 : this.tsRecent });
    if (c.windowScale >= 0 && (active || this.sndShift || this.rcvShift)) opts.push(NOP, { type: 'wscale', shift: c.windowScale });
    const flags = active ? SYN : SYN | ACK;
    const repr: TcpRepr = {
      srcPort: this.localPort,
      dstPort: this.remotePort,
      seq: this.iss,
      ack: active ? 0 : (this.irs + this.rcvNxt) >>> 0,
      flags,
      window: Math.min(this.config.receiveBuffer, 0xffff),
      urgentPointer: 0,
      options: opts,
      payload: EMPTY,
    };
    this.lastAdvRight = this.rcvNxt + repr.window;
    this.host.sendTcp(this.remoteIp, repr, note, 'will be retransmitted');
    this.sndNxt = 1;
    if (this.sndMax < 1) this.sndMax = 1;
    if (this.synRetries === 0) {
      this.rttSeq = 1;
      this.rttStart = this.now;
    }
    this.rtxTimer.set(this.rto);
  }

  private tsval(): number {
    // RFC 7323 §5.4: a clock of 1 ms per tick, from a random offset.
    return (Math.floor(this.now / 1e6) + this.tsOffset) >>> 0;
  }

  // ------------------------------------------------------------------ segment arrival

  /** @internal */
  segmentArrives(seg: TcpRepr): void {
    const f = seg.flags;
    if (this.state === 'CLOSED') return;
    if (this.kaIdle > 0) {
      this.kaProbes = 0;
      this.kaTimer!.set(this.kaIdle);
    }
    if (this.state === 'SYN_SENT') return this.synSentArrives(seg);
    const rel = (seg.seq - this.irs) >>> 0;
    if (f & RST) {
      // RFC 5961 §3.2 would demand an exact match; in-window is RFC 9293 §3.10.7.4's first check.
      if (this.state === 'TIME_WAIT') return this.finish();
      this.onReset?.(this, 'reset by the peer');
      return this.finish();
    }
    if (f & SYN) {
      // A retransmitted SYN (our SYN-ACK was lost) or SYN-ACK (our ACK was lost): answer again.
      if (this.state === 'SYN_RECEIVED') {
        this.synRetries++;
        this.sendSyn(this.rtxNote('SYN-ACK', 'the peer repeated its SYN, so our SYN-ACK was lost'));
      }
      else this.sendAck('ACK again: the peer repeated its SYN-ACK, so our handshake ACK was lost');
      return;
    }
    if (!(f & ACK)) return;
    if (this.useTs) this.readTimestamp(seg, rel);
    if (this.state === 'SYN_RECEIVED') {
      if (((seg.ack - this.iss) >>> 0) !== 1) return;
      this.state = 'ESTABLISHED';
      this.sndUna = 1;
      this.synRetries = 0;
      this.rtxTimer.stop();
      this.sampleRtt(1);
      this.updateWindow(seg, rel, 1);
      this.onConnect?.(this);
    }
    this.ackArrives(seg, rel);
    if ((this.state as TcpState) === 'CLOSED') return;
    this.dataArrives(seg, rel);
    this.output();
  }

  private synSentArrives(seg: TcpRepr): void {
    const f = seg.flags;
    const ackRel = (seg.ack - this.iss) >>> 0;
    if (f & ACK && ackRel !== 1) return;
    if (f & RST) {
      if (f & ACK) {
        this.onReset?.(this, `connection refused by ${this.peer}`);
        this.finish();
      }
      return;
    }
    if (!(f & SYN) || !(f & ACK)) return;
    this.irs = seg.seq;
    this.rcvNxt = 1;
    this.takeSynOptions(seg);
    this.sndUna = 1;
    this.state = 'ESTABLISHED';
    this.rtxTimer.stop();
    this.sampleRtt(1);
    this.synRetries = 0;
    this.sendAck(`ACK: ${this.label} completes the three-way handshake; agreed ${this.agreedText()}`);
    this.onConnect?.(this);
    this.output();
  }

  private readTimestamp(seg: TcpRepr, rel: number): void {
    // Indexed: runs per segment, and for-of allocates an iterator where it is not inlined.
    for (let i = 0; i < seg.options.length; i++) {
      const o = seg.options[i]!;
      if (o.type !== 'timestamp') continue;
      // RFC 7323 §4.3: remember TSval of a segment at the left window edge.
      if (rel <= this.rcvNxt) this.tsRecent = o.tsval;
      return;
    }
  }

  private updateWindow(seg: TcpRepr, rel: number, ackRel: number): void {
    // RFC 9293 §3.10.7.4: take the window from the newest segment (SND.WL1/SND.WL2).
    if (this.sndWl1 < rel || (this.sndWl1 === rel && this.sndWl2 <= ackRel)) {
      const wasZero = this.sndWnd === 0;
      this.sndWnd = seg.window << this.sndShift;
      this.sndWl1 = rel;
      this.sndWl2 = ackRel;
      if (wasZero && this.sndWnd > 0) {
        this.persistTimer.stop();
        this.persistBackoff = 1;
        this.probes = 0;
      }
    }
  }

  private ackArrives(seg: TcpRepr, rel: number): void {
    const ackRel = (seg.ack - this.iss) >>> 0;
    if (ackRel > this.sndMax && ackRel <= this.probeEnd) this.sndMax = ackRel;
    if (ackRel > this.sndMax) {
      // Acknowledges what was never sent: RFC 9293 §3.10.7.4 says ACK and drop.
      return this.sendAck('ACK: the peer acknowledged data not yet sent');
    }
    const newlySacked = this.useSack ? this.takeSack(seg, ackRel) : 0;
    const oldWnd = this.sndWnd;
    if (ackRel > this.sndUna) {
      this.updateWindow(seg, rel, ackRel);
      this.newAck(ackRel);
      return;
    }
    this.updateWindow(seg, rel, ackRel);
    if (this.useSack) return this.sackDupAck(ackRel, newlySacked);
    // RFC 5681 §2: a duplicate ACK carries no data, no SYN/FIN, the same ACK and window, while data is outstanding.
    const dup = this.sndWnd > 0 && ackRel === this.sndUna && seg.payload.length === 0 && !(seg.flags & (SYN | FIN)) && this.sndWnd === oldWnd && this.sndMax > this.sndUna;
    if (!dup) return;
    this.dupAcks++;
    if (this.inRecovery) {
      // RFC 6582 §3.2 step 4: each further duplicate ACK inflates the window by one segment.
      this.cwnd += this.effMss;
      return;
    }
    if (this.dupAcks === DUP_THRESH && this.mayEnterRecovery()) {
      this.enterRecovery();
      this.retransmitFirst('fast');
      this.cwnd = this.ssthresh + 3 * this.effMss;
    }
  }

  /** RFC 6582 §3.2 step 2, RFC 6675 §5.1: no new recovery until what was outstanding at the last one (or timeout) is acknowledged. */
  private mayEnterRecovery(): boolean {
    return this.sndUna > this.recover || this.recover === 0;
  }

  /** RFC 5681 §3.2 step 2 (RFC 6675 §5 step 2): ssthresh is half the flight, at least two segments. */
  private enterRecovery(): void {
    const flight = this.sndMax - this.sndUna;
    this.ssthresh = Math.max(Math.floor(flight / 2), 2 * this.effMss);
    this.recover = this.sndMax;
    this.inRecovery = true;
  }

  /** RFC 6675 §5 Update(): records the ACK's SACK blocks (RFC 2018 §3); returns the bytes newly SACKed. */
  private takeSack(seg: TcpRepr, ackRel: number): number {
    let added = 0;
    const opts = seg.options;
    for (let i = 0; i < opts.length; i++) {
      const o = opts[i]!;
      if (o.type !== 'sack') continue;
      for (const b of o.blocks) {
        const left = (b.left - this.iss) >>> 0;
        const right = (b.right - this.iss) >>> 0;
        // Blocks outside what was sent are ignored (RFC 2018 §3 describes only data received).
        if (left < right && right <= this.sndMax) added += this.scoreboard.add(left, right, Math.max(ackRel, this.sndUna));
      }
    }
    if (added > 0) this.scoreboard.updateLoss(Math.max(ackRel, this.sndUna));
    return added;
  }

  /**
   * An ACK that does not advance HighACK, with SACK in use. RFC 6675 §2: it is a duplicate ACK when
   * it SACKs new data while data is outstanding; the third (or IsLost(HighACK + 1) sooner) starts
   * loss recovery (§5); during recovery each ACK may let NextSeg send more (§5 step C).
   */
  private sackDupAck(ackRel: number, newlySacked: number): void {
    if (this.inRecovery) return this.sackRecoverySend();
    if (ackRel !== this.sndUna || newlySacked === 0 || this.sndMax <= this.sndUna) return;
    this.dupAcks++;
    if ((this.dupAcks >= DUP_THRESH || this.scoreboard.lostBelow > this.sndUna) && this.mayEnterRecovery()) {
      // RFC 6675 §5 steps 1–4: RecoveryPoint = HighData, cwnd = ssthresh, retransmit HighACK + 1.
      this.enterRecovery();
      this.cwnd = this.ssthresh;
      // Unless the last recovery already resent it and that copy is still on its way: HighRxt is kept
      // across recoveries (only a timeout resets it), so no hole is resent while its repair is in flight.
      if (this.highRxt <= this.sndUna) this.highRxt = this.retransmitFirst('fast');
      this.sackRecoverySend();
    }
  }

  /** RFC 6675 §5 step C: while cwnd − pipe allows a full segment, send what NextSeg picks. */
  private sackRecoverySend(): void {
    let pipe = this.scoreboard.pipe(this.sndUna, this.sndMax, this.highRxt);
    while (this.cwnd - pipe >= this.effMss) {
      const sent = this.nextSeg();
      if (sent === 0) break;
      pipe += sent;
    }
  }

  /**
   * RFC 6675 §4 NextSeg, and sends the segment; returns its length (0: nothing to send). Rule 1: the
   * first unSACKed octet above HighRxt that IsLost; rule 2: new data the windows allow; rule 3: the
   * first unSACKed octet above HighRxt below the highest SACKed one. Rule 4 (the "rescue"
   * retransmission of the highest unSACKed segment, a MAY) is left out: it would resend data that may
   * only be in flight, and the RTO repairs a lost tail as it did before.
   */
  private nextSeg(): number {
    const sb = this.scoreboard;
    const from = sb.skipSacked(Math.max(this.highRxt, this.sndUna));
    if (from < sb.lostBelow) {
      this.sackWhy = `lost: ${this.scoreboard.describeAbove(from)}; RFC 6675 NextSeg rule 1`;
      return this.sackRetransmit(from);
    }
    const avail = this.dataEnd - this.sndMax;
    const room = this.sndUna + this.sndWnd - this.sndMax;
    if (avail > 0 && room > 0) {
      const len = Math.min(avail, this.effMss, room);
      // Sender SWS avoidance, as in output(): a short segment only when it is all there is.
      if (len < this.effMss && len < avail) return 0;
      this.sendData(this.sndMax, len);
      return len;
    }
    if (this.finQueued && this.sndMax === this.finRel) {
      this.sendFin();
      return 1;
    }
    if (from < sb.highestSacked && from < this.sndMax) {
      this.sackWhy = `not yet deemed lost, but nothing new may be sent; RFC 6675 NextSeg rule 3`;
      return this.sackRetransmit(from);
    }
    return 0;
  }

  /** Retransmits the segment of the hole starting at `rel`, up to the hole's end; moves HighRxt past it. */
  private sackRetransmit(rel: number): number {
    const end = this.scoreboard.holeEnd(rel, this.sndMax);
    const len = Math.min(this.effMss, end - rel, this.dataEnd - rel);
    if (len <= 0) return 0;
    this.rtxReason = 'sack';
    this.sendData(rel, len);
    this.rtxReason = undefined;
    this.highRxt = rel + len;
    // Resending the first hole restarts the timer, as a fast retransmission does (retransmitFirst).
    if (rel === this.sndUna) this.rtxTimer.set(this.rto);
    return len;
  }

  private newAck(ackRel: number): void {
    const acked = ackRel - this.sndUna;
    this.sndUna = ackRel;
    if (this.sndNxt < ackRel) this.sndNxt = ackRel;
    this.dupAcks = 0;
    if (this.useSack && !this.scoreboard.empty) {
      this.scoreboard.ackedTo(ackRel);
      this.scoreboard.updateLoss(ackRel);
    }
    this.sampleRtt(ackRel);
    while (this.chunkHead < this.chunks.length && this.chunks[this.chunkHead]!.end <= ackRel) this.chunkHead++;
    if (this.chunkHead > 64 && this.chunkHead * 2 > this.chunks.length) {
      this.chunks.splice(0, this.chunkHead);
      this.chunkHead = 0;
    }
    if (this.inRecovery) {
      if (ackRel >= this.recover) {
        // RFC 6582 §3.2 step 3 (full ACK): deflate to ssthresh, bounded by what is in flight.
        // RFC 6675 §5: recovery ends once RecoveryPoint is acknowledged; cwnd is ssthresh already.
        this.inRecovery = false;
        this.cwnd = Math.min(this.ssthresh, Math.max(this.sndMax - this.sndUna, this.effMss) + this.effMss);
      } else if (this.useSack) {
        // A partial ACK in SACK recovery: cwnd stays at ssthresh; NextSeg (output) picks what to send.
      } else {
        // Step 3 (partial ACK): the next hole is lost too; retransmit it now, deflate by what was acknowledged.
        this.retransmitFirst('partial');
        this.cwnd = Math.max(this.cwnd - acked + (acked >= this.effMss ? this.effMss : 0), this.effMss);
      }
    } else if (this.cwnd < this.ssthresh) {
      this.cwnd += Math.min(acked, this.effMss);
    } else {
      this.cwnd += Math.max(1, Math.floor((this.effMss * this.effMss) / this.cwnd));
    }
    // RFC 6298 §5.2/§5.3: stop the timer when all is acknowledged, else restart it.
    if (this.sndUna >= this.sndMax) this.rtxTimer.stop();
    else if (!this.inRecovery || ackRel < this.recover) this.rtxTimer.set(this.rto);
    if (this.finQueued && ackRel > this.finRel) this.ourFinAcked();
  }

  private sampleRtt(ackRel: number): void {
    if (this.rttSeq < 0 || ackRel < this.rttSeq) return;
    const r = this.now - this.rttStart;
    this.rttSeq = -1;
    // RFC 6298 §2.2–2.3.
    if (this.srtt < 0) {
      this.srtt = r;
      this.rttvar = r / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r);
      this.srtt = 0.875 * this.srtt + 0.125 * r;
    }
    const G = 1e6;
    this.rto = Math.round(Math.min(this.config.maxRto, Math.max(this.config.minRto, this.srtt + Math.max(G, 4 * this.rttvar))));
    this.backoff = 1;
  }

  private ourFinAcked(): void {
    if (this.state === 'FIN_WAIT_1') this.state = 'FIN_WAIT_2';
    else if (this.state === 'CLOSING') this.enterTimeWait();
    else if (this.state === 'LAST_ACK') this.finish();
  }

  private dataArrives(seg: TcpRepr, rel: number): void {
    const len = seg.payload.length;
    const fin = (seg.flags & FIN) !== 0;
    if (len === 0 && !fin) {
      // RFC 9293 §3.10.7.4: a segment below the window (a keep-alive probe) is answered with an ACK.
      if (rel === this.rcvNxt - 1 && this.rcvNxt > 1) this.sendAck(`ACK of a keep-alive probe: ${this.label} is still here (RFC 1122 §4.2.3.6)`);
      return;
    }
    if (this.state === 'TIME_WAIT') {
      // RFC 9293 §3.10.7.4: a retransmitted FIN in TIME_WAIT is acknowledged and the timer restarted.
      this.timeWaitTimer.set(2 * this.config.msl);
      return this.sendAck('ACK again in TIME_WAIT: the peer repeated its FIN (our last ACK was lost)');
    }
    if (this.peerFinRel >= 0 && rel >= this.peerFinRel) return this.sendAck('ACK: segment after the peer\'s FIN');
    if (len > 0 && rel + len <= this.rcvNxt) {
      return this.sendAck(`duplicate segment seq ${rel} len ${len}: already received, ACK at once (RFC 9293 §3.10.7.4)`);
    }
    const wnd = this.windowBytes();
    if (rel > this.rcvNxt) {
      if (len > 0 && rel + len <= this.rcvNxt + Math.max(wnd, this.lastAdvRight - this.rcvNxt)) this.storeOoo(rel, seg.payload);
      this.unackedFull = 0;
      return this.sendAck(`duplicate ACK: segment seq ${rel} arrived out of order, ${rel - this.rcvNxt} bytes missing at ${this.rcvNxt} (RFC 5681 §4.2)`);
    }
    // In order (possibly overlapping what we have): take what fits the window.
    let data = seg.payload;
    const skip = this.rcvNxt - rel;
    if (skip > 0) data = data.subarray(skip);
    const room = Math.max(0, this.lastAdvRight - this.rcvNxt, wnd);
    if (data.length > room) {
      if (room === 0) return this.sendAck(`ACK with zero window: ${data.length}-byte segment seq ${this.rcvNxt} not accepted, receive buffer full (${this.rcvBuffered} bytes unread)`);
      data = data.subarray(0, room);
    }
    const filledHole = this.ooo.length > 0;
    this.accept(data);
    if (filledHole) this.pullOoo();
    let finNow = false;
    if (fin && rel + len === this.rcvNxt) finNow = true;
    else if (this.peerFinRel > 0 && this.rcvNxt === this.peerFinRel) finNow = true;
    if (fin && !finNow && rel + len > this.rcvNxt) this.peerFinRel = Math.max(this.peerFinRel, rel + len);
    if (finNow) return this.peerFinArrives();
    if (filledHole) {
      this.unackedFull = 0;
      return this.sendAck(this.ooo.length > 0 ? `ACK at once: segment filled a hole, another remains at ${this.rcvNxt}` : `ACK at once: segment filled the hole, everything up to ${this.rcvNxt} received (RFC 5681 §4.2)`);
    }
    // The application may have answered at once, the answer carrying the ACK (piggybacking).
    if (this.ackedUpTo >= this.rcvNxt) return;
    if (data.length >= this.effMss) this.unackedFull++;
    if (this.unackedFull >= 2) {
      this.unackedFull = 0;
      this.sendAck(new NoteParts([ACK_HEAD, this.rcvNxt, ACK_EVERY_SECOND]));
    } else if (!this.delAckTimer.running) this.delAckTimer.set(this.config.delayedAck);
  }

  private accept(data: Uint8Array): void {
    this.rcvNxt += data.length;
    if (data.length === 0) return;
    if (this.readMode === 'auto') this.onData?.(this, data);
    else {
      this.rcvQueue.push(data);
      this.rcvBuffered += data.length;
    }
  }

  private storeOoo(start: number, data: Uint8Array): void {
    const end = start + data.length;
    const r = this.ooo;
    let i = 0;
    while (i < r.length && r[i]!.start < start) i++;
    if (i < r.length && r[i]!.start === start && r[i]!.end >= end) return;
    r.splice(i, 0, { start, end, data });
    this.lastOooStart = start;
  }

  private lastOooStart = -1;

  private pullOoo(): void {
    const r = this.ooo;
    let k = 0;
    while (k < r.length && r[k]!.start <= this.rcvNxt) {
      const o = r[k]!;
      if (o.end > this.rcvNxt) this.accept(o.data.subarray(this.rcvNxt - o.start));
      k++;
    }
    if (k > 0) this.ooo = r.slice(k);
  }

  private sackBlocks(): { left: number; right: number }[] {
    // RFC 2018 §4: the block holding the most recent segment first; at most 3 with timestamps.
    const merged: { start: number; end: number }[] = [];
    for (const o of this.ooo) {
      const last = merged[merged.length - 1];
      if (last && o.start <= last.end) last.end = Math.max(last.end, o.end);
      else merged.push({ start: o.start, end: o.end });
    }
    const first = merged.findIndex((m) => this.lastOooStart >= m.start && this.lastOooStart < m.end);
    if (first > 0) merged.unshift(merged.splice(first, 1)[0]!);
    return merged.slice(0, this.useTs ? 3 : 4).map((m) => ({ left: (this.irs + m.start) >>> 0, right: (this.irs + m.end) >>> 0 }));
  }

  private peerFinArrives(): void {
    this.rcvNxt++;
    this.peerFinRel = this.rcvNxt - 1;
    this.delAckTimer.stop();
    this.unackedFull = 0;
    const st = this.state;
    if (st === 'ESTABLISHED' || st === 'SYN_RECEIVED') this.state = 'CLOSE_WAIT';
    else if (st === 'FIN_WAIT_1') this.state = this.finQueued && this.sndUna > this.finRel ? 'TIME_WAIT' : 'CLOSING';
    else if (st === 'FIN_WAIT_2') this.state = 'TIME_WAIT';
    this.sendAck(`ACK of the peer's FIN (${this.state === 'CLOSE_WAIT' ? 'peer closed its side; now CLOSE_WAIT' : this.state === 'TIME_WAIT' ? `now TIME_WAIT for 2·MSL = ${formatDuration(2 * this.config.msl)}` : 'simultaneous close; now CLOSING'})`);
    if (this.state === 'TIME_WAIT') this.enterTimeWait();
    this.onPeerClose?.(this);
  }

  private enterTimeWait(): void {
    this.state = 'TIME_WAIT';
    this.rtxTimer.stop();
    this.persistTimer.stop();
    this.timeWaitTimer.set(2 * this.config.msl);
    this.onClosed?.(this);
  }

  private finish(): void {
    const was = this.state;
    this.state = 'CLOSED';
    this.rtxTimer.stop();
    this.persistTimer.stop();
    this.delAckTimer.stop();
    this.timeWaitTimer.stop();
    this.kaTimer?.stop();
    this.stack.forget(this);
    if (was !== 'TIME_WAIT' && was !== 'CLOSED') this.onClosed?.(this);
  }

  // ------------------------------------------------------------------ receive window

  /** Free receive buffer, with receiver-side SWS avoidance: small openings are not advertised (RFC 9293 §3.8.6.2.2). */
  private windowBytes(): number {
    const free = this.config.receiveBuffer - this.rcvBuffered;
    if (free >= Math.min(this.effMss, this.config.receiveBuffer / 2)) return free;
    return Math.max(0, this.lastAdvRight - this.rcvNxt);
  }

  private maybeWindowUpdate(): void {
    const w = this.windowBytes();
    if (this.lastAdvWnd < this.effMss && w >= this.effMss && this.state !== 'CLOSED') {
      this.sendAck(`window update: the application read data, window reopens from ${this.lastAdvWnd} to ${w} bytes`);
    }
  }

  // ------------------------------------------------------------------ sending

  private sendAck(note: Note): void {
    if (this.state === 'CLOSED' || this.state === 'SYN_SENT') return;
    this.emit(this.sndNxt, ACK, EMPTY, note, 'ACKs are not retransmitted; a later ACK covers it');
  }

  /** Builds and sends one segment (not SYN); `payloadSum` as for emitTcpInto. */
  private emit(rel: number, flags: number, payload: Uint8Array, note: Note, lossNote: string, payloadSum?: number): void {
    const wnd = this.windowBytes();
    const field = Math.min(wnd >> this.rcvShift, 0xffff);
    // Array literals of the final size: pushing onto [] allocates a 17-slot backing store per segment.
    const ts: TcpOption | undefined = this.useTs ? { type: 'timestamp', tsval: this.tsval(), tsecr: this.tsRecent } : undefined;
    const sack: TcpOption | undefined = this.useSack && this.ooo.length > 0 && flags & ACK ? { type: 'sack', blocks: this.sackBlocks() } : undefined;
    const opts: TcpOption[] = ts ? (sack ? [NOP, NOP, ts, NOP, NOP, sack] : [NOP, NOP, ts]) : sack ? [NOP, NOP, sack] : [];
    const adv = field << this.rcvShift;
    if (flags & ACK) {
      this.lastAdvRight = Math.max(this.lastAdvRight, this.rcvNxt + adv);
      if (adv === 0 && this.lastAdvWnd > 0 && !(flags & RST)) note = `${note}; zero window: receive buffer full (${this.rcvBuffered} bytes unread)`;
      this.lastAdvWnd = adv;
      this.ackedUpTo = this.rcvNxt;
      this.delAckTimer.stop();
      this.unackedFull = 0;
    }
    const repr: TcpRepr = {
      srcPort: this.localPort,
      dstPort: this.remotePort,
      seq: (this.iss + rel) >>> 0,
      ack: flags & ACK ? (this.irs + this.rcvNxt) >>> 0 : 0,
      flags,
      window: field,
      urgentPointer: 0,
      options: opts,
      payload,
    };
    this.host.sendTcp(this.remoteIp, repr, note, lossNote, payloadSum);
  }

  /** Sends what the windows allow (RFC 5681 §3.1, RFC 9293 §3.8.6.2.1). */
  private output(): void {
    const st = this.state;
    if (st !== 'ESTABLISHED' && st !== 'CLOSE_WAIT' && st !== 'FIN_WAIT_1' && st !== 'LAST_ACK' && st !== 'CLOSING') return;
    if (this.inRecovery && this.useSack) return this.sackRecoverySend();
    for (;;) {
      const limit = this.sndUna + Math.min(this.cwnd, this.sndWnd);
      const avail = this.dataEnd - this.sndNxt;
      if (avail > 0) {
        if (this.sndNxt < this.sndMax && !this.scoreboard.empty) {
          // Going back after a timeout: what the receiver SACKed is not sent again (RFC 6675 §5.1).
          const next = this.scoreboard.skipSacked(this.sndNxt);
          if (next > this.sndNxt) {
            this.sndNxt = next;
            continue;
          }
        }
        let len = Math.min(avail, this.effMss, limit - this.sndNxt);
        if (this.sndNxt < this.sndMax) len = Math.min(len, this.scoreboard.holeEnd(this.sndNxt, this.sndMax) - this.sndNxt);
        if (len <= 0) {
          if (this.sndWnd === 0 && this.sndUna === this.sndNxt && !this.persistTimer.running) this.startPersist();
          return;
        }
        // Sender SWS avoidance: a short segment only when it is all there is or nothing is in flight.
        if (len < this.effMss && len < avail && this.sndNxt > this.sndUna) return;
        this.sendData(this.sndNxt, len);
        continue;
      }
      if (this.finQueued && this.sndNxt === this.finRel) {
        this.sendFin();
        continue;
      }
      return;
    }
  }

  private sendFin(): void {
    const rtx = this.finRel < this.sndMax;
    if (rtx) this.countRtx(this.finRel);
    const saved = this.rtxReason;
    if (rtx) this.rtxReason ??= 'gobackn';
    const note = rtx ? this.rtxNote('FIN') : `FIN: ${this.label} has no more data to send (${this.state})${this.finNote ? `; ${this.finNote}` : ''}`;
    this.rtxReason = saved;
    this.emit(this.finRel, FIN | ACK, EMPTY, note, 'will be retransmitted');
    this.sndNxt = this.finRel + 1;
    if (this.sndMax < this.sndNxt) this.sndMax = this.sndNxt;
    if (!this.rtxTimer.running) this.rtxTimer.set(this.rto);
  }

  /** Set by payloadAt: the application's note for the first byte, and the payload's checksum sum when known. */
  private payloadNote: string | undefined;
  private payloadSum: number | undefined;

  /** The bytes [rel, rel + len) of the stream (see payloadNote, payloadSum). */
  private payloadAt(rel: number, len: number): Uint8Array {
    let i = this.chunkHead;
    const chunks = this.chunks;
    while (i < chunks.length && chunks[i]!.end <= rel) i++;
    const c = chunks[i]!;
    let note: string | undefined;
    if (c.start === rel && c.note) note = c.note;
    this.payloadNote = note;
    this.payloadSum = undefined;
    if (rel + len <= c.end) {
      const off = rel - c.start;
      if (c.data) return c.data.subarray(off, off + len);
      if (len <= PATTERN_PERIOD) this.payloadSum = PATTERN_SUMS.sum(patternOffset(rel), patternOffset(rel) + len);
      return patternAt(rel, len);
    }
    // Crosses chunks: the one copy on the send path.
    const out = new Uint8Array(len);
    let p = 0;
    while (p < len) {
      const k = chunks[i++]!;
      const from = rel + p - k.start;
      const n = Math.min(len - p, k.end - (rel + p));
      out.set(k.data ? k.data.subarray(from, from + n) : patternAt(rel + p, n), p);
      if (!note && k.start === rel + p && k.note) note = k.note;
      p += n;
    }
    this.payloadNote = note;
    return out;
  }

  private sendData(rel: number, len: number): void {
    const data = this.payloadAt(rel, len);
    const appNote = this.payloadNote;
    const payloadSum = this.payloadSum;
    const rtx = rel < this.sndMax;
    let note: Note;
    if (rtx) {
      this.countRtx(rel);
      const saved = this.rtxReason;
      this.rtxReason ??= 'gobackn';
      note = this.rtxNote(`seq ${rel}`);
      this.rtxReason = saved;
      // Karn's rule (RFC 6298 §3): no RTT sample from retransmitted data.
      if (this.rttSeq >= 0 && this.rttSeq > rel) this.rttSeq = -1;
    } else {
      note = new NoteParts([DATA_SEQ, rel, DATA_LEN, len, this.cwndNote()]);
      if (this.rttSeq < 0) {
        this.rttSeq = rel + len;
        this.rttStart = this.now;
      }
    }
    if (appNote) note = `${note}; ${appNote}`;
    const end = rel + len;
    const push = end === this.dataEnd || !!this.chunkAt(end)?.note;
    this.emit(rel, ACK | (push ? PSH : 0), data, note, 'will be retransmitted', payloadSum);
    if (end > this.sndNxt) this.sndNxt = end;
    if (end > this.sndMax) this.sndMax = end;
    if (!this.rtxTimer.running) this.rtxTimer.set(this.rto);
  }

  private chunkAt(rel: number): Chunk | undefined {
    for (let i = this.chunkHead; i < this.chunks.length; i++) if (this.chunks[i]!.start === rel) return this.chunks[i];
    return undefined;
  }

  /**
   * The end of a new data segment's note, " (slow start, cwnd 12.5 segments)", made again only when
   * the phase or the tenths of a segment change: in congestion avoidance cwnd grows by a fraction
   * of a segment per ACK, so most segments repeat the one before.
   */
  private cwndNote(): NoteText {
    const tenths = Math.round((this.cwnd / this.effMss) * 10);
    const slowStart = this.cwnd < this.ssthresh;
    const c = this.cwndNoteCache;
    if (c.tenths !== tenths || c.slowStart !== slowStart) {
      c.tenths = tenths;
      c.slowStart = slowStart;
      c.text = new NoteText(` (${slowStart ? 'slow start' : 'congestion avoidance'}, cwnd ${tenths / 10} segments)`);
    }
    return c.text;
  }

  private readonly cwndNoteCache = { tenths: -1, slowStart: false, text: new NoteText('') };

  private countRtx(rel: number): number {
    const n = (this.rtxCount.get(rel) ?? 0) + 1;
    this.rtxCount.set(rel, n);
    return n;
  }

  private rtxNote(what: string, extra?: string): string {
    const n = this.rtxCount.get(what.startsWith('seq ') ? Number(what.slice(4)) : what === 'FIN' ? this.finRel : 0) ?? this.synRetries;
    const count = what === 'SYN' || what === 'SYN-ACK' ? this.synRetries : n;
    const head = `retransmission #${count} of ${what}`;
    switch (this.rtxReason) {
      case 'rto':
        return `${head} after RTO ${formatDuration(this.rtoFired)} (backoff x${this.backoffFired})`;
      case 'fast':
        if (this.dupAcks < DUP_THRESH) return `fast ${head} after ${this.dupAcks} duplicate ACKs: IsLost, ${this.scoreboard.describeAbove(this.sndUna)} (SACK loss recovery, RFC 6675 §5; ssthresh ${this.ssthreshText()})`;
        return `fast ${head} after ${this.dupAcks} duplicate ACKs (RFC 5681 §3.2; ${this.useSack ? 'SACK loss recovery, RFC 6675 §5' : 'NewReno'}, ssthresh ${this.ssthreshText()})`;
      case 'sack':
        return `${head} (SACK hole, ${this.sackWhy})`;
      case 'partial':
        return `${head} after a partial ACK during fast recovery (NewReno, RFC 6582 §3.2)`;
      case 'gobackn':
        return `${head} (go-back-N after a timeout: unacknowledged data is sent again, RFC 5681 §3.1)`;
      default:
        return extra ? `${head} (${extra})` : head;
    }
  }

  private ssthreshText(): string {
    return `${this.ssthresh} bytes`;
  }

  private rtoFired: Nanos = 0;
  private backoffFired = 1;

  /** Retransmits the segment at SND.UNA (or the FIN); returns the end of what it resent. */
  private retransmitFirst(reason: RtxReason): number {
    const rel = this.sndUna;
    let end = rel;
    this.rtxReason = reason;
    if (this.finQueued && rel === this.finRel) {
      this.sendFin();
      end = rel + 1;
    } else {
      const len = Math.min(this.effMss, this.scoreboard.holeEnd(rel, this.sndMax) - rel, this.dataEnd - rel);
      if (len > 0) {
        const nxt = this.sndNxt;
        this.sendData(rel, len);
        this.sndNxt = Math.max(nxt, rel + len);
        end = rel + len;
      }
    }
    this.rtxReason = undefined;
    // A fast retransmission gets a full RTO to be acknowledged in (as Linux re-arms it), not what is
    // left of the timer the last new ACK started.
    if (reason === 'fast') this.rtxTimer.set(this.rto);
    return end;
  }

  private onRto(): void {
    const st = this.state;
    this.rtoFired = this.rto;
    this.backoffFired = this.backoff;
    if (st === 'SYN_SENT' || st === 'SYN_RECEIVED') {
      if (this.synRetries >= this.config.synRetries) {
        this.onReset?.(this, 'connection timed out');
        return this.finish();
      }
      this.synRetries++;
      this.rttSeq = -1;
      this.backOff();
      this.rtxReason = 'rto';
      this.sendSyn(this.rtxNote(st === 'SYN_SENT' ? 'SYN' : 'SYN-ACK'));
      this.rtxReason = undefined;
      return;
    }
    if (this.sndUna >= this.sndMax) return;
    const count = this.rtxCount.get(this.sndUna) ?? 0;
    if (count >= this.config.maxRetries) {
      this.onReset?.(this, 'too many retransmissions');
      return this.abort('too many retransmissions');
    }
    // RFC 5681 §3.1 eq. 4 and "loss window" of one segment; RFC 6582 §3.2 step 1 for recover.
    const flight = this.sndMax - this.sndUna;
    this.ssthresh = Math.max(Math.floor(flight / 2), 2 * this.effMss);
    this.cwnd = this.effMss;
    this.inRecovery = false;
    this.recover = this.sndMax;
    this.highRxt = 0;
    this.dupAcks = 0;
    this.rttSeq = -1;
    this.backOff();
    this.sndNxt = this.sndUna;
    this.retransmitFirst('rto');
    this.rtxTimer.set(this.rto);
    // The rest goes out as the window opens again, as go-back-N retransmissions.
    this.rtxReason = 'gobackn';
    this.output();
    this.rtxReason = undefined;
  }

  /** RFC 6298 §5.5: double the RTO, up to the maximum. */
  private backOff(): void {
    this.backoff *= 2;
    this.rto = Math.min(this.rto * 2, this.config.maxRto);
  }

  private startPersist(): void {
    const d = Math.min(Math.max(this.rto, this.config.minRto) * this.persistBackoff, this.config.maxRto);
    this.persistTimer.set(d);
  }

  private onPersist(): void {
    if (this.sndWnd > 0 || this.state === 'CLOSED' || this.dataEnd <= this.sndUna) return;
    this.probes++;
    const rel = this.sndUna;
    const data = this.payloadAt(rel, 1);
    const wait = Math.min(Math.max(this.rto, this.config.minRto) * this.persistBackoff, this.config.maxRto);
    // RFC 9293 §3.8.6.1: probe a zero window with one byte of new data; the receiver answers with its window.
    // The probe byte is not counted as sent (SND.NXT stays): the receiver drops it while its window is
    // zero, and the next segment after the window opens carries it as new data. An ACK may still cover it.
    this.probeEnd = rel + 1;
    this.emit(rel, ACK, data, `zero-window probe #${this.probes}: 1 byte at seq ${rel} after ${formatDuration(wait)} (persist timer, RFC 9293 §3.8.6.1)`, 'the persist timer probes again');
    this.persistBackoff = Math.min(this.persistBackoff * 2, 64);
    this.startPersist();
  }
}

/** Where stream byte `rel` of bulk data lies in PATTERN. */
const patternOffset = (rel: number): number => (rel - 1) % PATTERN_PERIOD;

function patternAt(rel: number, len: number): Uint8Array {
  const off = patternOffset(rel);
  // The constructor, not subarray(): subarray looks up a species constructor on every call.
  if (len <= PATTERN_PERIOD) return new Uint8Array(PATTERN.buffer, off, len);
  const out = new Uint8Array(len);
  for (let p = 0; p < len; p += PATTERN_PERIOD) out.set(patternAt(rel + p, Math.min(PATTERN_PERIOD, len - p)), p);
  return out;
}

/**
 * The simulated network: hosts (one MAC, one IPv4 and one IPv6 address each), point-to-point links between
 * them, and taps. A host hands a finished Ethernet frame to the link towards the destination; the
 * link decides the frame's fate the moment it is offered (tail drop, random loss) and schedules its
 * arrival (serialisation at the link's bandwidth, one-way latency, jitter, reordering,
 * duplication). Taps record frames as tcpdump would at their position, with each frame's ground
 * truth as the packet comment.
 *
 * Frames are built only by the wire/ emit functions (Ethernet ← IPv4 or IPv6 ← TCP/UDP): what the
 * capture holds is exactly what the decoder reads. The receiving host is handed the sender's Repr along
 * with the bytes (its exact encoding) instead of parsing them again, to keep one emit per packet.
 *
 * Addresses are plain numbers throughout the stacks (socket lookup, routes) so that no string or
 * byte array is built per packet: an IPv4 address is its 32-bit value, and a host's IPv6 address is
 * the key IPV6_KEY_BASE + its IPv4 value, which the network maps back to the 16 bytes
 * (`Host.address(6)`, `Network.addressText`). Which family a connection uses is which of the two
 * numbers it was given.
 */
import { emitEthernetInto, ETH_HEADER_LEN, EtherType, type EthernetRepr } from '../wire/ethernet.js';
import { emitIpv4Into, IPV4_MIN_HEADER_LEN, IpProtocol, type Ipv4Repr } from '../wire/ipv4.js';
import { emitIpv6Into, IPV6_HEADER_LEN, type Ipv6Repr } from '../wire/ipv6.js';
import { emitTcpInto, tcpSegmentLength, type TcpRepr } from '../wire/tcp.js';
import { emitUdp, type UdpRepr } from '../wire/udp.js';
import { Buffer } from 'node:buffer';
import { formatIPv6, parseIPv4, parseIPv6 } from '../wire/addr.js';
import type { NetworkContext } from '../decode/dissector.js';
import { Capture, type CaptureOptions } from './capture.js';
import { Engine } from './engine.js';
import { formatDuration, type Nanos } from './clock.js';
import type { Note } from './note.js';
import { Prng } from './prng.js';
import { TcpStack, type TcpConfig } from './tcp.js';
import { UdpStack } from './udp.js';

export interface SimPacket {
  frame: Uint8Array;
  src: Host;
  /** The source address as the stacks know it (IPv4 value or IPv6 key, the family of dstIp). */
  srcIp: number;
  dstIp: number;
  tcp?: TcpRepr;
  udp?: UdpRepr;
  /** Ground truth from the sender (why it sent this). */
  note: Note;
  /** What happens when the packet is lost: "will be retransmitted", "not retransmitted", … */
  lossNote: string;
}

export interface LinkParams {
  /** One-way propagation delay. */
  latency: Nanos;
  /** Extra delay, uniform in [0, jitter); FIFO order is kept unless reordering picks the packet. */
  jitter?: Nanos;
  /** Bits per second; 0 or absent: no serialisation delay. */
  bandwidth?: number;
  /** Packets waiting or being serialised, at most; one more is tail-dropped. Default 1000. */
  queueLimit?: number;
  /** Probability that a packet is lost in flight, 0..1. */
  loss?: number;
  /** Probability that a packet is held back and overtaken, 0..1. */
  reorder?: number;
  /** How long a reordered packet is held back. Default: a quarter of the latency plus 1 ms. */
  reorderDelay?: Nanos;
  /** Probability that a packet arrives twice, 0..1. */
  duplicate?: number;
}

export interface HostOptions {
  ip: string;
  /** Default 2001:db8::/96 (RFC 3849, documentation) with the IPv4 address as the last 32 bits. */
  ip6?: string;
  /** Default 02:00:00:00:00:NN, NN counting hosts from 1. */
  mac?: string;
  tcp?: Partial<TcpConfig>;
}

export interface NetworkOptions extends CaptureOptions {
  seed?: number;
}

export const ipToU32 = (b: Uint8Array): number => ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
export const u32ToIp = (v: number): string => `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;

/** Address numbers from here up are IPv6 keys (IPV6_KEY_BASE + the host's IPv4 value); below, IPv4 addresses. */
export const IPV6_KEY_BASE = 2 ** 32;
export const isIpv6Key = (address: number): boolean => address >= IPV6_KEY_BASE;
export type IpFamily = 4 | 6;

export class Network {
  readonly engine = new Engine();
  readonly prng: Prng;
  readonly capture: Capture;
  readonly hosts: Host[] = [];
  readonly links: Link[] = [];
  readonly seed: number;

  constructor(options: NetworkOptions = {}) {
    this.seed = options.seed ?? 1;
    this.prng = new Prng(this.seed);
    this.capture = new Capture(options);
  }

  get now(): Nanos {
    return this.engine.now;
  }

  private slab = new Uint8Array(0);
  private slabUsed = 0;

  /**
   * A buffer for one frame, cut from a shared slab: a separate ArrayBuffer per frame costs an
   * off-heap allocation and a finaliser each, a large share of the simulator's time. A slab is
   * freed when the last frame cut from it is. Slabs are not zeroed (that would cost as much as
   * writing the frames): the emit functions write every byte of the frame they lay out.
   */
  frameBuffer(n: number): Uint8Array {
    if (n > FRAME_SLAB / 8) return new Uint8Array(n);
    // Frames start 2 bytes past a multiple of 4, so the IP header after the 14-byte Ethernet header
    // is 4-byte aligned: checksums read aligned 32-bit words faster.
    let at = this.slabUsed + ((2 - this.slabUsed) & 3);
    if (at + n > this.slab.length) {
      this.slab = Buffer.allocUnsafeSlow(FRAME_SLAB);
      at = 2;
    }
    this.slabUsed = at + n;
    // The constructor, not subarray(): subarray looks up a species constructor on every call.
    return new Uint8Array(this.slab.buffer, at, n);
  }

  host(name: string, options: HostOptions): Host {
    const ip = parseIPv4(options.ip);
    if (!ip) throw new Error(`host ${name}: ${options.ip} is not an IPv4 address`);
    const n = this.hosts.length + 1;
    const mac = options.mac ? Uint8Array.from(options.mac.split(':').map((x) => parseInt(x, 16))) : Uint8Array.of(2, 0, 0, 0, (n >> 8) & 255, n & 255);
    const ip6 = options.ip6 === undefined ? undefined : parseIPv6(options.ip6);
    if (options.ip6 !== undefined && !ip6) throw new Error(`host ${name}: ${options.ip6} is not an IPv6 address`);
    const h = new Host(this, name, ip, mac, this.prng.fork(), options.tcp ?? {}, ip6);
    this.hosts.push(h);
    this.byIp6Key.set(h.ip6Key, h);
    return h;
  }

  private readonly byIp6Key = new Map<number, Host>();

  /** The host holding an address number (IPv4 value or IPv6 key). */
  hostAt(address: number): Host | undefined {
    return isIpv6Key(address) ? this.byIp6Key.get(address) : this.hosts.find((h) => h.ipU32 === address);
  }

  /** An address number as text: dotted IPv4, or the IPv6 address it stands for. */
  addressText(address: number): string {
    if (!isIpv6Key(address)) return u32ToIp(address);
    return this.byIp6Key.get(address)?.ip6Text ?? `(unknown IPv6 key ${address})`;
  }

  /** The address number of a host's IPv4 or IPv6 address given as text (a DNS answer, say). */
  addressOf(text: string): number | undefined {
    const v4 = parseIPv4(text);
    if (v4) return ipToU32(v4);
    const v6 = parseIPv6(text);
    if (!v6) return undefined;
    return this.hosts.find((h) => h.ip6.every((b, i) => b === v6[i]))?.ip6Key;
  }

  /** A duplex link; `back` gives the b→a direction its own parameters (default: the same). */
  link(a: Host, b: Host, params: LinkParams, back?: LinkParams): Link {
    const l = new Link(this, `${a.name}-${b.name}`, a, b, params, back ?? params);
    this.links.push(l);
    return l;
  }

  /** Captures everything a host sends and receives, as tcpdump on that host would. */
  tap(host: Host, name = host.name): Host {
    host.tapIds.push(this.capture.addInterface(name, `wirelens synth: tap on host ${host.name} (${host.ipText}, ${host.ip6Text})`));
    return host;
  }

  /** Captures a link on the wire, both directions, as each frame finishes serialisation (so it sees frames lost in flight, not tail drops). */
  tapLink(link: Link, name = `link ${link.name}`): Link {
    const id = this.capture.addInterface(name, `wirelens synth: tap on link ${link.name}`);
    link.ab.tapIds.push(id);
    link.ba.tapIds.push(id);
    return link;
  }

  run(until?: Nanos): void {
    this.engine.run(until);
  }

  /** Runs `fn` when the simulation starts (after taps are in place): where apps begin. */
  atStart(fn: () => void): void {
    this.engine.at(0, fn);
  }

  /** Runs `fn` at time `at`. */
  at(at: Nanos, fn: () => void): void {
    this.engine.at(at, fn);
  }
}

export class Host {
  readonly ipU32: number;
  readonly ipText: string;
  /** The IPv6 address's key: what connect() and send() take to use IPv6 (see the file comment). */
  readonly ip6Key: number;
  readonly ip6Text: string;
  readonly tapIds: number[] = [];
  readonly routes = new Map<number, LinkDirection>();
  defaultRoute?: LinkDirection;
  readonly tcp: TcpStack;
  readonly udp: UdpStack;
  private ident: number;
  private nextEphemeral: number;
  private readonly peerCtx = new Map<number, NetworkContext>();

  constructor(
    readonly network: Network,
    readonly name: string,
    readonly ip: Uint8Array,
    readonly mac: Uint8Array,
    readonly prng: Prng,
    tcpConfig: Partial<TcpConfig>,
    readonly ip6: Uint8Array = Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, ...ip),
  ) {
    this.ipU32 = ipToU32(ip);
    this.ipText = u32ToIp(this.ipU32);
    this.ip6Key = IPV6_KEY_BASE + this.ipU32;
    this.ip6Text = formatIPv6(ip6, 0);
    this.ident = prng.int(0, 0xffff);
    // RFC 6335 §6: the dynamic port range 49152–65535.
    this.nextEphemeral = prng.int(49152, 60000);
    this.tcp = new TcpStack(this, tcpConfig);
    this.udp = new UdpStack(this);
  }

  get engine(): Engine {
    return this.network.engine;
  }

  /** This host's address number in a family: what a peer passes to connect() or send(). */
  address(family: IpFamily = 4): number {
    return family === 6 ? this.ip6Key : this.ipU32;
  }

  ephemeralPort(): number {
    const p = this.nextEphemeral;
    this.nextEphemeral = p >= 65535 ? 49152 : p + 1;
    return p;
  }

  /** Source and destination address bytes towards `dst`, in dst's family (kept: the pseudo-header reads them per segment). */
  private ctx(dst: number): NetworkContext {
    let c = this.peerCtx.get(dst);
    if (!c) {
      if (isIpv6Key(dst)) c = { version: 6, src: this.ip6, dst: this.network.hostAt(dst)?.ip6 ?? new Uint8Array(16) };
      else c = { version: 4, src: this.ip, dst: Uint8Array.of(dst >>> 24, (dst >>> 16) & 255, (dst >>> 8) & 255, dst & 255) };
      this.peerCtx.set(dst, c);
    }
    return c;
  }

  private sourceFor(dst: number): number {
    return isIpv6Key(dst) ? this.ip6Key : this.ipU32;
  }

  // The whole frame is laid out in one buffer, innermost layer first: each emit writes its header
  // in place, so a segment is copied once (its payload) instead of once per layer.
  /** `payloadSum`: the payload's checksum sum when the sender knows it (see emitTcpInto). */
  sendTcp(dst: number, repr: TcpRepr, note: Note, lossNote: string, payloadSum?: number): void {
    const c = this.ctx(dst);
    const at = ETH_HEADER_LEN + ipHeaderLength(c);
    const len = tcpSegmentLength(repr);
    const frame = this.network.frameBuffer(at + len);
    emitTcpInto(repr, c, frame, at, payloadSum);
    this.sendIp(c, IpProtocol.TCP, frame, len, { frame, src: this, srcIp: this.sourceFor(dst), dstIp: dst, tcp: repr, note, lossNote });
  }

  sendUdp(dst: number, repr: UdpRepr, note: string): void {
    const c = this.ctx(dst);
    const at = ETH_HEADER_LEN + ipHeaderLength(c);
    const udp = emitUdp(repr, c);
    const frame = this.network.frameBuffer(at + udp.length);
    frame.set(udp, at);
    this.sendIp(c, IpProtocol.UDP, frame, udp.length, { frame, src: this, srcIp: this.sourceFor(dst), dstIp: dst, udp: repr, note, lossNote: 'UDP: not retransmitted' });
  }

  /** Scratch records for the outer headers: emit reads them and keeps nothing. */
  private readonly ip4: Ipv4Repr = { dscp: 0, ecn: 0, ident: 0, dontFragment: false, moreFragments: false, fragmentOffset: 0, ttl: 64, protocol: 0, src: new Uint8Array(4), dst: new Uint8Array(4) };
  private readonly ip6Repr: Ipv6Repr = { trafficClass: 0, flowLabel: 0, nextHeader: 0, hopLimit: 64, src: new Uint8Array(16), dst: new Uint8Array(16) };
  private readonly eth: EthernetRepr = { dst: new Uint8Array(6), src: new Uint8Array(6), etherType: EtherType.IPv4 };

  /** Writes the IP and Ethernet headers in front of the `payloadLength` bytes already at the frame's end, then sends it. */
  private sendIp(c: NetworkContext, protocol: number, frame: Uint8Array, payloadLength: number, pkt: SimPacket): void {
    const dst = pkt.dstIp;
    const route = this.routes.get(dst) ?? this.defaultRoute;
    const eth = this.eth;
    if (c.version === 4) {
      const r = this.ip4;
      r.protocol = protocol;
      // TCP segments are sized to the path (MSS), so they may say "don't fragment"; DNS over UDP does not.
      r.dontFragment = protocol === IpProtocol.TCP;
      r.src = c.src;
      r.dst = c.dst;
      this.ident = (this.ident + 1) & 0xffff;
      r.ident = this.ident;
      emitIpv4Into(r, payloadLength, frame, ETH_HEADER_LEN);
      eth.etherType = EtherType.IPv4;
    } else {
      // RFC 8200 §3: no identification, no checksum, no fragmentation by routers.
      const r = this.ip6Repr;
      r.nextHeader = protocol;
      r.src = c.src;
      r.dst = c.dst;
      emitIpv6Into(r, payloadLength, frame, ETH_HEADER_LEN);
      eth.etherType = EtherType.IPv6;
    }
    eth.dst = route ? route.to.mac : BROADCAST;
    eth.src = this.mac;
    emitEthernetInto(eth, frame, 0);
    const fate = route ? route.offer(pkt) : `no route from ${this.name} to ${this.network.addressText(dst)}: dropped`;
    const taps = this.tapIds;
    if (taps.length > 0) {
      const comment = fate === undefined ? pkt.note : `${pkt.note}; ${fate}`;
      for (let i = 0; i < taps.length; i++) this.network.capture.record(taps[i]!, this.engine.now, pkt.frame, comment);
    }
    // Bytes and note are kept only while a tap further on may record them: a packet in flight then
    // holds only its Repr, and what dies young costs the garbage collector nothing.
    if (!route || (route.tapIds.length === 0 && route.to.tapIds.length === 0)) {
      pkt.frame = NO_BYTES;
      pkt.note = '';
    }
  }

  /** A frame arrives from a link. */
  receive(pkt: SimPacket, linkNote: string | undefined): void {
    const taps = this.tapIds;
    if (taps.length > 0) {
      const comment = linkNote === undefined ? pkt.note : `${pkt.note}; ${linkNote}`;
      for (let i = 0; i < taps.length; i++) this.network.capture.record(taps[i]!, this.engine.now, pkt.frame, comment);
    }
    if (pkt.dstIp !== this.ipU32 && pkt.dstIp !== this.ip6Key) return;
    if (pkt.tcp) this.tcp.receive(pkt.srcIp, pkt.tcp);
    else if (pkt.udp) this.udp.receive(pkt.srcIp, pkt.udp);
  }
}

/** The IP header the simulator writes: no IPv4 options, no IPv6 extension headers. */
const ipHeaderLength = (c: NetworkContext): number => (c.version === 6 ? IPV6_HEADER_LEN : IPV4_MIN_HEADER_LEN);

const BROADCAST = Uint8Array.of(255, 255, 255, 255, 255, 255);
const NO_BYTES = new Uint8Array(0);
/** Bytes per frame slab: room for about 170 full-sized Ethernet frames. */
const FRAME_SLAB = 256 * 1024;

export class Link {
  readonly ab: LinkDirection;
  readonly ba: LinkDirection;
  constructor(
    readonly network: Network,
    readonly name: string,
    readonly a: Host,
    readonly b: Host,
    params: LinkParams,
    back: LinkParams,
  ) {
    this.ab = new LinkDirection(this, a, b, params, network.prng.fork());
    this.ba = new LinkDirection(this, b, a, back, network.prng.fork());
    a.routes.set(b.ipU32, this.ab);
    b.routes.set(a.ipU32, this.ba);
    a.routes.set(b.ip6Key, this.ab);
    b.routes.set(a.ip6Key, this.ba);
    a.defaultRoute ??= this.ab;
    b.defaultRoute ??= this.ba;
  }
}

export class LinkDirection {
  readonly tapIds: number[] = [];
  /** Counters for reports and tests. */
  stats = { offered: 0, lost: 0, tailDropped: 0, duplicated: 0, reordered: 0 };
  private busyUntil = 0;
  private lastArrival = 0;
  /** When each packet in the queue finishes serialisation, FIFO; [head, length) are still queued. */
  private finish: number[] = [];
  private head = 0;
  private readonly nsPerByte: number;
  private readonly queueLimit: number;
  private readonly reorderDelay: Nanos;

  constructor(
    readonly link: Link,
    readonly from: Host,
    readonly to: Host,
    readonly params: LinkParams,
    private readonly prng: Prng,
  ) {
    this.nsPerByte = params.bandwidth ? 8e9 / params.bandwidth : 0;
    this.queueLimit = params.queueLimit ?? 1000;
    this.reorderDelay = params.reorderDelay ?? Math.round(params.latency / 4) + 1_000_000;
  }

  /** Takes a frame; returns a note when it will not arrive (its fate is known at once). */
  offer(pkt: SimPacket): string | undefined {
    const engine = this.link.network.engine;
    const now = engine.now;
    const p = this.params;
    this.stats.offered++;
    const fin = this.finish;
    while (this.head < fin.length && fin[this.head]! <= now) this.head++;
    if (this.head > 1024 && this.head * 2 > fin.length) {
      fin.splice(0, this.head);
      this.head = 0;
    }
    const queued = fin.length - this.head;
    if (queued >= this.queueLimit) {
      this.stats.tailDropped++;
      return `dropped: queue of link ${this.link.name} full (${queued} packets, tail drop; ${pkt.lossNote})`;
    }
    const start = now > this.busyUntil ? now : this.busyUntil;
    const done = start + Math.ceil(pkt.frame.length * this.nsPerByte);
    this.busyUntil = done;
    fin.push(done);
    const lost = this.prng.chance(p.loss ?? 0);
    if (this.tapIds.length > 0) this.tapOnWire(done, pkt, lost);
    if (lost) {
      this.stats.lost++;
      return `lost on link ${this.link.name} (${pkt.lossNote})`;
    }
    let arrival = done + p.latency + (p.jitter ? Math.floor(this.prng.next() * p.jitter) : 0);
    let note: string | undefined;
    if (this.prng.chance(p.reorder ?? 0)) {
      arrival += this.reorderDelay;
      this.stats.reordered++;
      note = `held back ${formatDuration(this.reorderDelay)} by link ${this.link.name} (reordered)`;
    } else {
      // Jitter alone does not reorder: a FIFO link delivers in order.
      if (arrival < this.lastArrival) arrival = this.lastArrival;
      this.lastArrival = arrival;
    }
    const to = this.to;
    engine.at(arrival, () => to.receive(pkt, note));
    if (this.prng.chance(p.duplicate ?? 0)) {
      this.stats.duplicated++;
      engine.at(arrival + 1000, () => to.receive(pkt, `duplicate copy made by link ${this.link.name}`));
    }
    return undefined;
  }

  private tapOnWire(at: Nanos, pkt: SimPacket, lost: boolean): void {
    const net = this.link.network;
    const comment = lost ? `${pkt.note}; lost on link ${this.link.name} after this point (${pkt.lossNote})` : pkt.note;
    net.engine.at(at, () => {
      for (const id of this.tapIds) net.capture.record(id, at, pkt.frame, comment);
    });
  }
}

export type { TcpConfig };

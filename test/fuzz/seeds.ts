/**
 * Seed captures for the fuzzer: every file of the real corpus (trimmed to a few dozen packets so that
 * thousands of cases stay fast) plus captures built here with our own writers and emit functions, so
 * the fuzzer has something to chew on when the corpus is absent.
 *
 * Each seed comes with its layout (where records/blocks, options and packet bytes are, and which
 * layers the unmutated packets decode to), so mutators can aim at length fields they know the
 * position of. The layout walker is a deliberately separate, simple one: seeds are well formed.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { encodePcap } from '../../src/capture/pcap-writer.js';
import { encodePcapng } from '../../src/capture/pcapng-writer.js';
import { decodePacket } from '../../src/decode/bindings.js';
import { emitArp } from '../../src/wire/arp.js';
import { EtherType, emitEthernet } from '../../src/wire/ethernet.js';
import { emitIcmp } from '../../src/wire/icmp.js';
import { emitIcmpv6 } from '../../src/wire/icmpv6.js';
import { emitIpv4, IpProtocol } from '../../src/wire/ipv4.js';
import { emitFragmentHeader, emitIpv6 } from '../../src/wire/ipv6.js';
import { emitNull, LINKTYPE_NULL } from '../../src/wire/null.js';
import { emitRaw, LINKTYPE_RAW } from '../../src/wire/raw.js';
import { emitSll, emitSll2, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2 } from '../../src/wire/sll.js';
import { emitTcp, TcpFlag } from '../../src/wire/tcp.js';
import { emitUdp } from '../../src/wire/udp.js';
import { emitVlan } from '../../src/wire/vlan.js';

export const REAL_DIR = '/work/shared/traces/real';

export interface LayerInfo {
  proto: string;
  offset: number;
  length: number;
}

/** One packet record: a pcap record or a pcapng packet block. */
export interface RecordInfo {
  /** File offset of the record header / block. */
  at: number;
  /** File offset of the first packet byte, and how many were captured. */
  dataStart: number;
  dataLen: number;
  /** pcapng block type (6 EPB, 3 SPB, 2 PB); 0 for pcap. */
  blockType: number;
  /** Byte order of the record header / block. */
  le: boolean;
  linkType: number;
  /** Layers of the unmutated packet. */
  layers: LayerInfo[];
}

/** One pcapng block, with the file offsets of its options' headers. */
export interface BlockInfo {
  at: number;
  type: number;
  len: number;
  le: boolean;
  options: number[];
}

export interface Seed {
  name: string;
  bytes: Uint8Array;
  format: 'pcap' | 'pcapng' | 'other';
  /** Byte order of the file header (pcap) or of the first section (pcapng). */
  le: boolean;
  records: RecordInfo[];
  blocks: BlockInfo[];
}

/** Corpus seeds are cut (at a record boundary) to at most this many bytes and packets. */
const MAX_SEED_BYTES = 48 * 1024;
const MAX_SEED_RECORDS = 48;

function u16(b: Uint8Array, o: number, le: boolean): number {
  return le ? b[o]! | (b[o + 1]! << 8) : (b[o]! << 8) | b[o + 1]!;
}
function u32(b: Uint8Array, o: number, le: boolean): number {
  return le ? (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0 : ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

function layersOf(data: Uint8Array, linkType: number, origLen: number): LayerInfo[] {
  const p = decodePacket({ number: 1, tsSec: 0, tsNsec: 0, origLen, data, linkType, interfaceId: 0, fileOffset: 0 });
  return p.layers.map((l) => ({ proto: l.proto, offset: l.offset, length: l.length }));
}

/** Walks a (well-formed) capture and notes where everything is. */
export function analyse(name: string, bytes: Uint8Array): Seed {
  const seed: Seed = { name, bytes, format: 'other', le: true, records: [], blocks: [] };
  if (bytes.length < 24) return seed;
  const m = u32(bytes, 0, true);
  if (m === 0xa1b2c3d4 || m === 0xa1b23c4d || m === 0xd4c3b2a1 || m === 0x4d3cb2a1) {
    const le = m === 0xa1b2c3d4 || m === 0xa1b23c4d;
    seed.format = 'pcap';
    seed.le = le;
    const minor = u16(bytes, 6, le);
    const linkType = u32(bytes, 20, le) & 0xffff;
    for (let at = 24; at + 16 <= bytes.length; ) {
      let incl = u32(bytes, at + 8, le);
      let orig = u32(bytes, at + 12, le);
      if (minor < 3) [incl, orig] = [orig, incl];
      if (at + 16 + incl > bytes.length) break;
      const data = bytes.subarray(at + 16, at + 16 + incl);
      seed.records.push({ at, dataStart: at + 16, dataLen: incl, blockType: 0, le, linkType, layers: layersOf(data, linkType, orig) });
      at += 16 + incl;
    }
    return seed;
  }
  if (m !== 0x0a0d0d0a) return seed;
  seed.format = 'pcapng';
  let le = true;
  let ifaces: number[] = [];
  for (let at = 0; at + 12 <= bytes.length; ) {
    let type = u32(bytes, at, le);
    if (u32(bytes, at, true) === 0x0a0d0d0a) {
      type = 0x0a0d0d0a;
      le = u32(bytes, at + 8, true) === 0x1a2b3c4d;
      if (at === 0) seed.le = le;
      ifaces = [];
    }
    const len = u32(bytes, at + 4, le);
    if (len < 12 || len % 4 !== 0 || at + len > bytes.length) break;
    const block: BlockInfo = { at, type, len, le, options: [] };
    let optStart = -1;
    if (type === 0x0a0d0d0a) optStart = at + 24;
    else if (type === 1) {
      ifaces.push(u16(bytes, at + 8, le));
      optStart = at + 16;
    } else if (type === 5) optStart = at + 20;
    else if (type === 6 || type === 2) {
      const id = type === 6 ? u32(bytes, at + 8, le) : u16(bytes, at + 8, le);
      const cap = u32(bytes, at + 20, le);
      const orig = u32(bytes, at + 24, le);
      if (28 + cap + 4 <= len) {
        const linkType = ifaces[id] ?? 1;
        const data = bytes.subarray(at + 28, at + 28 + cap);
        seed.records.push({ at, dataStart: at + 28, dataLen: cap, blockType: type, le, linkType, layers: layersOf(data, linkType, orig) });
        optStart = at + 28 + ((cap + 3) & ~3);
      }
    } else if (type === 3) {
      const orig = u32(bytes, at + 8, le);
      const cap = Math.min(orig, len - 16);
      const linkType = ifaces[0] ?? 1;
      seed.records.push({ at, dataStart: at + 12, dataLen: cap, blockType: 3, le, linkType, layers: layersOf(bytes.subarray(at + 12, at + 12 + cap), linkType, orig) });
    }
    if (optStart >= 0) {
      const end = at + len - 4;
      for (let p = optStart; p + 4 <= end; ) {
        const code = u16(bytes, p, le);
        const n = u16(bytes, p + 2, le);
        if (p + 4 + n > end) break;
        block.options.push(p);
        if (code === 0) break;
        p += 4 + ((n + 3) & ~3);
      }
    }
    seed.blocks.push(block);
    at += len;
  }
  return seed;
}

/** Cuts a seed at a record boundary so it has at most MAX_SEED_BYTES bytes and MAX_SEED_RECORDS records. */
function trim(seed: Seed): Seed {
  let cut = seed.bytes.length;
  for (let i = 0; i < seed.records.length; i++) {
    const r = seed.records[i]!;
    if (i >= MAX_SEED_RECORDS || r.at >= MAX_SEED_BYTES) {
      cut = r.at;
      break;
    }
  }
  if (cut >= seed.bytes.length && seed.bytes.length <= MAX_SEED_BYTES) return seed;
  cut = Math.min(cut, MAX_SEED_BYTES);
  return analyse(seed.name, seed.bytes.slice(0, cut));
}

/** Every file of the real corpus (but MANIFEST.md), trimmed; [] when the corpus is absent. */
export function corpusSeeds(dir = REAL_DIR): Seed[] {
  if (!existsSync(dir)) return [];
  const out: Seed[] = [];
  for (const f of readdirSync(dir).sort()) {
    if (f.endsWith('.md')) continue;
    const path = join(dir, f);
    if (!statSync(path).isFile()) continue;
    const b = readFileSync(path);
    out.push(trim(analyse(f, new Uint8Array(b.buffer, b.byteOffset, b.length).slice())));
  }
  return out;
}

// --- Synthetic seeds -------------------------------------------------------------------------

const MAC_A = Uint8Array.of(0x00, 0x1b, 0x21, 0x3a, 0x4b, 0x5c);
const MAC_B = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
const IP_A = Uint8Array.of(192, 0, 2, 1);
const IP_B = Uint8Array.of(198, 51, 100, 7);
const IP6_A = Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
const IP6_B = Uint8Array.of(0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x1b, 0x21, 0xff, 0xfe, 0x3a, 0x4b, 0x5c);
const text = (s: string) => new TextEncoder().encode(s);

function ipv4(protocol: number, payload: Uint8Array, options?: Uint8Array): Uint8Array {
  return emitIpv4({ dscp: 0, ecn: 0, ident: 0x1234, dontFragment: true, moreFragments: false, fragmentOffset: 0, ttl: 64, protocol, src: IP_A, dst: IP_B, options }, payload);
}

function ipv6(nextHeader: number, payload: Uint8Array, ext?: Uint8Array): Uint8Array {
  return emitIpv6({ trafficClass: 0, flowLabel: 0x12345, nextHeader, hopLimit: 64, src: IP6_A, dst: IP6_B, extensionHeaders: ext }, payload);
}

const net4 = { version: 4 as const, src: IP_A, dst: IP_B };
const net6 = { version: 6 as const, src: IP6_A, dst: IP6_B };

function tcpSegment(net: typeof net4 | typeof net6, payload: Uint8Array): Uint8Array {
  return emitTcp(
    {
      srcPort: 49152,
      dstPort: 80,
      seq: 0x01020304,
      ack: 0x0a0b0c0d,
      flags: TcpFlag.ACK | TcpFlag.PSH,
      window: 502,
      urgentPointer: 0,
      options: [
        { type: 'nop' },
        { type: 'nop' },
        { type: 'timestamp', tsval: 1000, tsecr: 2000 },
        { type: 'sack', blocks: [{ left: 5, right: 9 }] },
        { type: 'mss', mss: 1460 },
        { type: 'wscale', shift: 7 },
        { type: 'sackPermitted' },
      ],
      payload,
    },
    net,
  );
}

function udpDatagram(net: typeof net4 | typeof net6, payload: Uint8Array): Uint8Array {
  return emitUdp({ srcPort: 5353, dstPort: 53, payload }, net);
}

/** Network-layer packets (no link header) covering every protocol file. */
function networkPackets(): { type: number; bytes: Uint8Array }[] {
  // HBH with a Router Alert and PadN, then a Fragment header (RFC 8200 §4.3, §4.5).
  const hbh = Uint8Array.of(IpProtocol.Fragment, 0, 5, 2, 0, 0, 1, 0);
  const ext = new Uint8Array(16);
  ext.set(hbh, 0);
  ext.set(emitFragmentHeader(IpProtocol.TCP, 0, false, 0xdeadbeef), 8);
  const ns = emitIcmpv6({ type: 135, code: 0, restOfHeader: 0, targetAddress: IP6_B, options: [{ type: 1, data: MAC_A }] }, new Uint8Array(0), net6);
  return [
    { type: EtherType.IPv4, bytes: ipv4(IpProtocol.TCP, tcpSegment(net4, text('GET / HTTP/1.1\r\nHost: x\x1b[2J\r\n\r\n'))) },
    { type: EtherType.IPv4, bytes: ipv4(IpProtocol.UDP, udpDatagram(net4, text('\x07query\x00')), Uint8Array.of(0x94, 4, 0, 0)) },
    { type: EtherType.IPv4, bytes: ipv4(IpProtocol.ICMP, emitIcmp({ type: 8, code: 0, ident: 7, seq: 1 }, text('ping\x00\x01'))) },
    { type: EtherType.IPv6, bytes: ipv6(IpProtocol.HopByHop, tcpSegment(net6, text('x')), ext) },
    { type: EtherType.IPv6, bytes: ipv6(IpProtocol.ICMPv6, ns) },
    { type: EtherType.IPv6, bytes: ipv6(IpProtocol.UDP, udpDatagram(net6, text('v6'))) },
  ];
}

function ethernetFrames(): Uint8Array[] {
  const eth = (etherType: number, payload: Uint8Array) => emitEthernet({ dst: MAC_B, src: MAC_A, etherType }, payload);
  const out = networkPackets().map((p) => eth(p.type, p.bytes));
  out.push(eth(EtherType.ARP, emitArp({ hardwareType: 1, protocolType: 0x0800, opcode: 1, senderHardware: MAC_A, senderProtocol: IP_A, targetHardware: new Uint8Array(6), targetProtocol: IP_B })));
  // 802.1ad S-tag, 802.1Q C-tag, then IPv4/UDP.
  const inner = networkPackets()[1]!;
  out.push(eth(EtherType.QinQ, emitVlan({ priority: 3, dei: false, id: 2001, etherType: EtherType.VLAN }, emitVlan({ priority: 0, dei: true, id: 200, etherType: EtherType.IPv4 }, inner.bytes))));
  return out;
}

const frames = (datas: Uint8Array[], interfaceId = 0) =>
  datas.map((data, i) => ({ tsSec: 1_700_000_000 + i, tsNsec: 123_456_789, data, interfaceId, origLen: data.length + (i === 2 ? 10 : 0) }));

/** Captures built with our writers and emit functions: every link type and protocol we decode. */
export function syntheticSeeds(): Seed[] {
  const net = networkPackets();
  const sll = net.map((p) => emitSll({ packetType: 0, hatype: 1, address: MAC_A, protocol: p.type }, p.bytes));
  const sll2 = net.map((p) => emitSll2({ packetType: 4, hatype: 1, address: MAC_A, protocol: p.type, interfaceIndex: 3 }, p.bytes));
  const nul = net.map((p) => emitNull({ family: p.type === EtherType.IPv4 ? 2 : 30 }, p.bytes, LINKTYPE_NULL));
  const raw = net.map((p) => emitRaw(p.bytes));
  const eth = ethernetFrames();
  const seeds: [string, Uint8Array][] = [
    ['synthetic-pcap-le-usec-eth', encodePcap(frames(eth), { linkType: 1 })],
    ['synthetic-pcap-be-nsec-eth-fcs', encodePcap(frames(eth.map((f) => Uint8Array.from([...f, 0xde, 0xad, 0xbe, 0xef]))), { linkType: 1, bigEndian: true, nanosecond: true, fcsLength: 4 })],
    ['synthetic-pcap-sll', encodePcap(frames(sll), { linkType: LINKTYPE_LINUX_SLL, snapLen: 96 })],
    ['synthetic-pcap-sll2', encodePcap(frames(sll2), { linkType: LINKTYPE_LINUX_SLL2 })],
    ['synthetic-pcap-null', encodePcap(frames(nul), { linkType: LINKTYPE_NULL })],
    ['synthetic-pcap-raw', encodePcap(frames(raw), { linkType: LINKTYPE_RAW })],
    [
      'synthetic-pcapng-le-3if-comments',
      encodePcapng(
        [...frames(eth, 0), ...frames(sll2, 1).map((f) => ({ ...f, comments: ['second interface', 'bell \x07 and ESC \x1b[31m'] })), ...frames(raw, 2)],
        [
          { linkType: 1, name: 'eth0', description: 'wired', filter: 'tcp or udp', os: 'Linux', tsResolution: 1e9, tsOffset: 10 },
          { linkType: LINKTYPE_LINUX_SLL2, name: 'any', tsResolution: 1e6, fcsLength: 0 },
          { linkType: LINKTYPE_RAW, tsResolution: 1024 },
        ],
        { comments: ['section comment'], hardware: 'x86_64', os: 'Linux 6.1' },
      ),
    ],
    ['synthetic-pcapng-be-eth', encodePcapng(frames(eth), [{ linkType: 1, name: 'en0' }], { bigEndian: true })],
  ];
  return seeds.map(([name, bytes]) => analyse(name, bytes));
}

/**
 * TCP and UDP fields against tshark on the real corpus. Self-contained on purpose: a throwaway
 * pcap/pcapng reader and a minimal IPv4/IPv6 front end find each segment, so this test checks the
 * transport dissectors alone (the full pipeline is test/differential's job). Skips visibly when
 * the corpus or tshark is missing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { DissectContext, NetworkContext, Span } from '../../src/decode/dissector.js';
import type { FieldValue } from '../../src/decode/layer.js';
import { concatBytes, put16 } from '../../src/wire/bytes.js';
import { internetChecksum, pseudoHeaderSum } from '../../src/wire/checksum.js';
import { dissectTcp, emitTcp, TcpFlag, type TcpRepr } from '../../src/wire/tcp.js';
import { dissectUdp, emitUdp } from '../../src/wire/udp.js';

const TRACES = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/traces/real');
const HAVE_TSHARK = spawnSync('tshark', ['--version']).status === 0;
if (!existsSync(TRACES)) console.warn(`transport-corpus: ${TRACES} is absent, skipping the tshark comparison`);
else if (!HAVE_TSHARK) console.warn('transport-corpus: tshark is not installed, skipping the tshark comparison');

const FILES = [
  'pcap_le_usec_eth_http_get_fin.pcap',
  'pcap_be_usec_eth_pptp_retrans_dupack.pcap',
  'pcap_nsec_sll_tcp_handshake.pcap',
  'tcp_sack_fast_retransmit.pcap',
  'tcp_snaplen68_truncated.pcap',
  'tcp_retrans_dupack_ooo_keepalive_http.pcap',
  'tcp_rst_injection.pcap',
  'tcp_zero_window_ooo_retrans_http_range.pcap',
  'dns_over_tcp.pcap',
  'pcapng_2if_nsec_usec_linux_windows_dns.pcapng',
  'ipv4_ipv6_fragmented_dnssec.pcap',
  'rawip_android_dns_http_tls.pcap',
  'null_lo0_macos_ipv6_http.pcap',
  'null_lo0_ipv6_quic_handshake.pcap',
  'quic_v1_chromium_initial_sni.pcap',
  'tls13_curl_sni_dns_fin.pcap',
  'http_pipelined_scanner.pcap',
  'fuzz_wireshark_eth_2006.pcap',
  'http_keepalive_sequential_requests.pcap',
  'http_chunked_keepalive_nsec.pcapng',
  'pcapng_merged_2if_comments_vlan_rtp.pcapng',
  'tls_clienthello_split_segments.pcap',
  'websocket_fragmented_ping_pong_close.pcap',
  'websocket_wstunnel_ssh_masked_binary.pcap',
  'websocket_permessage_deflate_rsv1.pcap',
];

/** tshark field → our field (raw SACK edges: tshark prints them raw once relative numbers are off). */
const COMPARED: Array<[string, string]> = [
  ['tcp.srcport', 'tcp.srcport'],
  ['tcp.dstport', 'tcp.dstport'],
  ['tcp.port', 'tcp.port'],
  ['tcp.seq_raw', 'tcp.seq_raw'],
  ['tcp.ack_raw', 'tcp.ack_raw'],
  ['tcp.hdr_len', 'tcp.hdr_len'],
  ['tcp.len', 'tcp.len'],
  ['tcp.flags', 'tcp.flags'],
  ['tcp.flags.res', 'tcp.flags.res'],
  ['tcp.flags.ae', 'tcp.flags.ae'],
  ['tcp.flags.cwr', 'tcp.flags.cwr'],
  ['tcp.flags.ece', 'tcp.flags.ece'],
  ['tcp.flags.urg', 'tcp.flags.urg'],
  ['tcp.flags.ack', 'tcp.flags.ack'],
  ['tcp.flags.push', 'tcp.flags.push'],
  ['tcp.flags.reset', 'tcp.flags.reset'],
  ['tcp.flags.syn', 'tcp.flags.syn'],
  ['tcp.flags.fin', 'tcp.flags.fin'],
  ['tcp.flags.str', 'tcp.flags.str'],
  ['tcp.window_size_value', 'tcp.window_size_value'],
  ['tcp.checksum', 'tcp.checksum'],
  ['tcp.checksum.status', 'tcp.checksum.status'],
  ['tcp.urgent_pointer', 'tcp.urgent_pointer'],
  ['tcp.option_kind', 'tcp.option_kind'],
  ['tcp.option_len', 'tcp.option_len'],
  ['tcp.options.mss_val', 'tcp.options.mss_val'],
  ['tcp.options.wscale.shift', 'tcp.options.wscale.shift'],
  ['tcp.options.wscale.multiplier', 'tcp.options.wscale.multiplier'],
  ['tcp.options.sack_perm', 'tcp.options.sack_perm'],
  ['tcp.options.sack.count', 'tcp.options.sack.count'],
  ['tcp.options.sack_le', 'tcp.options.sack_le_raw'],
  ['tcp.options.sack_re', 'tcp.options.sack_re_raw'],
  ['tcp.options.timestamp.tsval', 'tcp.options.timestamp.tsval'],
  ['tcp.options.timestamp.tsecr', 'tcp.options.timestamp.tsecr'],
  ['udp.srcport', 'udp.srcport'],
  ['udp.dstport', 'udp.dstport'],
  ['udp.port', 'udp.port'],
  ['udp.length', 'udp.length'],
  ['udp.checksum', 'udp.checksum'],
  ['udp.checksum.status', 'udp.checksum.status'],
];

const STATUS = ['bad', 'good', 'unverified', 'not present', 'illegal'];

interface RawFrame {
  data: Uint8Array;
  origLen: number;
  linkType: number;
}

/** Throwaway reader: classic pcap (either byte order) and little-endian pcapng EPBs. */
function readFrames(path: string): RawFrame[] {
  const b = readFileSync(path);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const frames: RawFrame[] = [];
  if (v.getUint32(0, true) === 0x0a0d0d0a) {
    const links: number[] = [];
    for (let o = 0; o + 12 <= b.length; ) {
      const type = v.getUint32(o, true);
      const len = v.getUint32(o + 4, true);
      if (len < 12) break;
      if (type === 1) links.push(v.getUint16(o + 8, true));
      if (type === 6) {
        const cap = v.getUint32(o + 20, true);
        frames.push({ data: b.subarray(o + 28, o + 28 + cap), origLen: v.getUint32(o + 24, true), linkType: links[v.getUint32(o + 8, true)]! });
      }
      o += len;
    }
    return frames;
  }
  const le = v.getUint32(0, true) === 0xa1b2c3d4 || v.getUint32(0, true) === 0xa1b23c4d;
  const linkType = v.getUint32(20, le) & 0xffff;
  for (let o = 24; o + 16 <= b.length; ) {
    const cap = v.getUint32(o + 8, le);
    frames.push({ data: b.subarray(o + 16, o + 16 + cap), origLen: v.getUint32(o + 12, le), linkType });
    o += 16 + cap;
  }
  return frames;
}

/** Where the network header starts and its EtherType-like version hint, for the link types in FILES. */
function networkOffset(f: RawFrame): number | undefined {
  const d = f.data;
  switch (f.linkType) {
    case 1: {
      const t = (d[12]! << 8) | d[13]!;
      return t === 0x0800 || t === 0x86dd ? 14 : undefined;
    }
    case 0:
      return 4;
    case 101:
      return 0;
    case 113: {
      const t = (d[14]! << 8) | d[15]!;
      return t === 0x0800 || t === 0x86dd ? 16 : undefined;
    }
  }
  return undefined;
}

/** Minimal IP: enough to hand the transport dissector its span and pseudo-header (no extension headers). */
function transportFields(f: RawFrame): Record<string, FieldValue[]> | undefined {
  const d = f.data;
  const ip = networkOffset(f);
  if (ip === undefined || ip + 20 > d.length) return undefined;
  const reportedFrameEnd = f.origLen;
  let proto: number;
  let start: number;
  let ipEnd: number;
  let net: NetworkContext;
  if (d[ip]! >> 4 === 4) {
    const ihl = (d[ip]! & 15) * 4;
    const frag = ((d[ip + 6]! << 8) | d[ip + 7]!) & 0x3fff;
    if (frag & 0x1fff) return undefined; // later fragment: no transport header
    proto = d[ip + 9]!;
    start = ip + ihl;
    ipEnd = Math.min(ip + ((d[ip + 2]! << 8) | d[ip + 3]!), reportedFrameEnd);
    net = { version: 4, src: d.subarray(ip + 12, ip + 16), dst: d.subarray(ip + 16, ip + 20), fragmented: (frag & 0x2000) !== 0 };
  } else if (d[ip]! >> 4 === 6 && ip + 40 <= d.length) {
    proto = d[ip + 6]!;
    start = ip + 40;
    ipEnd = Math.min(ip + 40 + ((d[ip + 4]! << 8) | d[ip + 5]!), reportedFrameEnd);
    net = { version: 6, src: d.subarray(ip + 8, ip + 24), dst: d.subarray(ip + 24, ip + 40) };
  } else return undefined;
  if (proto !== 6 && proto !== 17) return undefined;
  const span: Span = { offset: start, end: Math.min(d.length, ipEnd), reportedEnd: ipEnd };
  const ctx = { frame: undefined, layers: [], network: net } as unknown as DissectContext;
  const { layer } = (proto === 6 ? dissectTcp : dissectUdp)(d, span, ctx);
  const out: Record<string, FieldValue[]> = {};
  for (const fl of layer.fields()) (out[fl.name] ??= []).push(fl.value);
  return out;
}

function canonTshark(token: string, field: string): string {
  if (field.endsWith('checksum.status')) return STATUS[Number(token)] ?? token;
  if (field === 'tcp.options.sack_perm') return 'present';
  if (field === 'tcp.flags.str') return token;
  if (/^0x[0-9a-f]+$/i.test(token)) return String(Number.parseInt(token, 16));
  return token;
}

function canonOurs(v: FieldValue, field: string): string {
  if (field === 'tcp.options.sack_perm') return 'present';
  if (typeof v === 'boolean') return v ? '1' : '0';
  return String(v);
}

describe.skipIf(!existsSync(TRACES) || !HAVE_TSHARK)('TCP/UDP fields agree with tshark on the corpus', () => {
  for (const file of FILES) {
    it(file, () => {
      const path = join(TRACES, file);
      const args = ['-n', '-r', path, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=\x1f'];
      for (const o of [
        'tcp.check_checksum:TRUE',
        'udp.check_checksum:TRUE',
        'ip.defragment:FALSE',
        'ipv6.defragment:FALSE',
        'tcp.desegment_tcp_streams:FALSE',
        'tcp.analyze_sequence_numbers:FALSE',
        'tcp.relative_sequence_numbers:FALSE',
      ])
        args.push('-o', o);
      args.push('-e', 'frame.protocols');
      for (const [t] of COMPARED) args.push('-e', t);
      const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 64 << 20 });
      const rows = r.stdout.split('\n').filter((l) => l).map((l) => l.split('\t'));
      const frames = readFrames(path);
      expect(rows.length).toBe(frames.length);
      const mismatches: string[] = [];
      let compared = 0;
      frames.forEach((frame, i) => {
        const ours = transportFields(frame);
        const row = rows[i]!;
        const protocols = row[0]!;
        // Only frames where both sides see exactly one transport header right after IP.
        if (!ours || /icmp|ipv6:ipv6\.|gre|ip:ip|udp:.*:(udp|tcp)|tcp:.*:tcp/.test(protocols)) return;
        if (!/:(tcp|udp)(:|$)/.test(protocols)) return;
        compared++;
        COMPARED.forEach(([t, o], c) => {
          const theirs = row[c + 1]!;
          const theirsCanon = theirs === '' ? '' : theirs.split('\x1f').map((x) => canonTshark(x, t)).join(',');
          const oursCanon = (ours[o] ?? []).map((v) => canonOurs(v, t)).join(',');
          if (theirsCanon !== oursCanon) mismatches.push(`frame ${i + 1} ${t}: ours ${oursCanon || '∅'} tshark ${theirsCanon || '∅'}`);
        });
      });
      expect(compared).toBeGreaterThan(0);
      expect(mismatches).toEqual([]);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Hand-made damaged and edge-case segments, written to a temporary pcap and decoded by both sides.

const SRC4 = Uint8Array.from([10, 0, 0, 1]);
const DST4 = Uint8Array.from([10, 0, 0, 2]);
const SRC6 = Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
const DST6 = Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
const NET4: NetworkContext = { version: 4, src: SRC4, dst: DST4 };
const NET6: NetworkContext = { version: 6, src: SRC6, dst: DST6 };

interface Crafted {
  name: string;
  frame: Uint8Array;
  /** Bytes kept in the capture (snap length); the whole frame when absent. */
  caplen?: number;
}

/** Ethernet + IP around a transport segment; ipPayloadLength overrides the IP length field. */
function wrap(proto: number, seg: Uint8Array, v6 = false, ipPayloadLength = seg.length, padTo = 0): Uint8Array {
  const ipLen = v6 ? 40 : 20;
  const frame = new Uint8Array(Math.max(14 + ipLen + seg.length, padTo));
  frame.set([0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6], 0);
  put16(frame, 12, v6 ? 0x86dd : 0x0800);
  const ip = frame.subarray(14);
  if (v6) {
    ip[0] = 0x60;
    put16(ip, 4, ipPayloadLength);
    ip[6] = proto;
    ip[7] = 64;
    ip.set(SRC6, 8);
    ip.set(DST6, 24);
  } else {
    ip[0] = 0x45;
    put16(ip, 2, 20 + ipPayloadLength);
    ip[8] = 64;
    ip[9] = proto;
    ip.set(SRC4, 12);
    ip.set(DST4, 16);
    put16(ip, 10, internetChecksum(ip, 0, 20));
  }
  frame.set(seg, 14 + ipLen);
  return frame;
}

const BASE_TCP: TcpRepr = {
  srcPort: 40000,
  dstPort: 40001,
  seq: 1000,
  ack: 0,
  flags: TcpFlag.SYN,
  window: 8192,
  urgentPointer: 0,
  options: [],
  payload: new Uint8Array(0),
};

/** A TCP segment whose option bytes are given raw (padded to 4), with a correct checksum unless told. */
function rawOptionsSegment(optHex: string, extra: Partial<TcpRepr> = {}): Uint8Array {
  const bytes = Uint8Array.from(Buffer.from(optHex, 'hex'));
  // Emit with a placeholder option of the right size, then lay the raw bytes over it and re-checksum.
  const repr: TcpRepr = { ...BASE_TCP, ...extra, options: [{ type: 'unknown', kind: 0xfd, data: new Uint8Array(Math.max(0, bytes.length - 2)) }] };
  const seg = emitTcp(repr, NET4);
  seg.set(bytes, 20);
  seg.fill(0, 20 + bytes.length, (seg[12]! >> 4) * 4);
  put16(seg, 16, 0);
  put16(seg, 16, internetChecksum(seg, 0, seg.length, pseudoHeaderSum(NET4, 6, seg.length)));
  return seg;
}

function withDataOffset(seg: Uint8Array, words: number): Uint8Array {
  const s = seg.slice();
  s[12] = (words << 4) | (s[12]! & 0x0f);
  put16(s, 16, 0);
  put16(s, 16, internetChecksum(s, 0, s.length, pseudoHeaderSum(NET4, 6, s.length)));
  return s;
}

function crafted(): Crafted[] {
  const payload = Uint8Array.from(Buffer.from('hello, world'));
  const full: TcpRepr = {
    ...BASE_TCP,
    flags: TcpFlag.PSH | TcpFlag.ACK | TcpFlag.URG,
    ack: 0xfffffff0,
    urgentPointer: 3,
    options: [
      { type: 'nop' },
      { type: 'nop' },
      { type: 'timestamp', tsval: 0xdeadbeef, tsecr: 1 },
      { type: 'sack', blocks: [{ left: 1, right: 2 }, { left: 0xfffffff0, right: 5 }] },
    ],
    payload,
  };
  const udp = emitUdp({ srcPort: 40000, dstPort: 40001, payload }, NET4);
  const udp6 = emitUdp({ srcPort: 40000, dstPort: 40001, payload }, NET6);
  const udpZero = emitUdp({ srcPort: 40000, dstPort: 40001, payload, checksum: 0 }, NET4);
  const udp6Zero = emitUdp({ srcPort: 40000, dstPort: 40001, payload, checksum: 0 }, NET6);
  const synFull = emitTcp(
    {
      ...BASE_TCP,
      flags: TcpFlag.SYN | TcpFlag.ECE | TcpFlag.CWR,
      options: [
        { type: 'mss', mss: 1460 },
        { type: 'sackPermitted' },
        { type: 'timestamp', tsval: 7, tsecr: 0 },
        { type: 'nop' },
        { type: 'wscale', shift: 7 },
      ],
    },
    NET4,
  );
  return [
    { name: 'tcp full', frame: wrap(6, emitTcp(full, NET4)) },
    { name: 'tcp ipv6', frame: wrap(6, emitTcp(full, NET6), true) },
    { name: 'tcp bad checksum', frame: wrap(6, emitTcp({ ...full, checksum: 0x1234 }, NET4)) },
    { name: 'tcp all flags', frame: wrap(6, emitTcp({ ...BASE_TCP, flags: 0xfff }, NET4)) },
    { name: 'tcp no flags', frame: wrap(6, emitTcp({ ...BASE_TCP, flags: 0 }, NET4)) },
    { name: 'tcp ethernet padding', frame: wrap(6, emitTcp({ ...BASE_TCP, flags: TcpFlag.ACK }, NET4), false, 20, 60) },
    { name: 'tcp syn options', frame: wrap(6, synFull) },
    { name: 'tcp snaplen in options', frame: wrap(6, synFull), caplen: 14 + 20 + 27 },
    { name: 'tcp snaplen in option length', frame: wrap(6, synFull), caplen: 14 + 20 + 20 + 7 },
    { name: 'tcp snaplen in fixed header', frame: wrap(6, synFull), caplen: 14 + 20 + 10 },
    { name: 'tcp snaplen in payload', frame: wrap(6, emitTcp(full, NET4)), caplen: 14 + 20 + 40 },
    { name: 'tcp eol then garbage', frame: wrap(6, rawOptionsSegment('020405b400ff0000')) },
    { name: 'tcp eol then zeros then garbage', frame: wrap(6, rawOptionsSegment('020405b4000000ff')) },
    { name: 'tcp mss of length 3', frame: wrap(6, rawOptionsSegment('0203050101010101')) },
    { name: 'tcp timestamp of length 8', frame: wrap(6, rawOptionsSegment('0808000000010000')) },
    { name: 'tcp option past header', frame: wrap(6, rawOptionsSegment('01010a0a00000000')) },
    { name: 'tcp option length 0', frame: wrap(6, rawOptionsSegment('fe00010100000000')) },
    { name: 'tcp option length 1', frame: wrap(6, rawOptionsSegment('01fe0101')) },
    { name: 'tcp option without length byte', frame: wrap(6, rawOptionsSegment('01010102')) },
    { name: 'tcp sack of length 4', frame: wrap(6, rawOptionsSegment('0101050400000000')) },
    { name: 'tcp wscale 255', frame: wrap(6, rawOptionsSegment('0303ff00')) },
    { name: 'tcp unknown kind', frame: wrap(6, rawOptionsSegment('1e040101')) },
    { name: 'tcp data offset 4', frame: wrap(6, withDataOffset(emitTcp({ ...BASE_TCP, payload }, NET4), 4)) },
    { name: 'tcp data offset past segment', frame: wrap(6, withDataOffset(emitTcp(BASE_TCP, NET4), 6)) },
    { name: 'tcp segment of 15 bytes', frame: wrap(6, emitTcp(BASE_TCP, NET4).subarray(0, 15)) },
    { name: 'udp', frame: wrap(17, udp) },
    { name: 'udp ipv6', frame: wrap(17, udp6, true) },
    { name: 'udp bad checksum', frame: wrap(17, emitUdp({ srcPort: 40000, dstPort: 40001, payload, checksum: 0xbeef }, NET4)) },
    { name: 'udp zero checksum ipv4', frame: wrap(17, udpZero) },
    { name: 'udp zero checksum ipv6', frame: wrap(17, udp6Zero, true) },
    { name: 'udp length 4', frame: wrap(17, emitUdp({ srcPort: 40000, dstPort: 40001, payload, length: 4, checksum: 0 }, NET4)) },
    { name: 'udp length past ip payload', frame: wrap(17, emitUdp({ srcPort: 40000, dstPort: 40001, payload, length: 40 }, NET4)) },
    { name: 'udp length short of ip payload', frame: wrap(17, emitUdp({ srcPort: 40000, dstPort: 40001, payload, length: 12 }, NET4)) },
    { name: 'udp 6-byte datagram', frame: wrap(17, udp.subarray(0, 6)) },
    { name: 'udp snaplen in payload', frame: wrap(17, udp), caplen: 14 + 20 + 10 },
    { name: 'udp snaplen in header', frame: wrap(17, udp), caplen: 14 + 20 + 6 },
    { name: 'udp ethernet padding', frame: wrap(17, emitUdp({ srcPort: 40000, dstPort: 40001, payload: payload.subarray(0, 2) }, NET4), false, 10, 60) },
  ];
}

function writePcap(path: string, frames: Crafted[]): void {
  const parts: Uint8Array[] = [];
  const head = new DataView(new ArrayBuffer(24));
  head.setUint32(0, 0xa1b2c3d4, true);
  head.setUint16(4, 2, true);
  head.setUint16(6, 4, true);
  head.setUint32(16, 65535, true);
  head.setUint32(20, 1, true);
  parts.push(new Uint8Array(head.buffer));
  frames.forEach((c, i) => {
    const cap = c.caplen ?? c.frame.length;
    const rec = new DataView(new ArrayBuffer(16));
    rec.setUint32(0, i + 1, true);
    rec.setUint32(8, cap, true);
    rec.setUint32(12, c.frame.length, true);
    parts.push(new Uint8Array(rec.buffer), c.frame.subarray(0, cap));
  });
  writeFileSync(path, concatBytes(parts));
}

describe.skipIf(!HAVE_TSHARK)('hand-made edge cases agree with tshark', () => {
  const cases = crafted();
  const dir = mkdtempSync(join(tmpdir(), 'wirelens-transport-'));
  const path = join(dir, 'crafted.pcap');
  writePcap(path, cases);
  const args = ['-n', '-r', path, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=\x1f'];
  for (const o of ['tcp.check_checksum:TRUE', 'udp.check_checksum:TRUE', 'tcp.analyze_sequence_numbers:FALSE', 'tcp.relative_sequence_numbers:FALSE'])
    args.push('-o', o);
  for (const [t] of COMPARED) args.push('-e', t);
  const r = spawnSync('tshark', args, { encoding: 'utf8' });
  rmSync(dir, { recursive: true, force: true });
  const rows = r.stdout.split('\n').filter((l) => l).map((l) => l.split('\t'));
  const frames = readFramesFromCases(cases);

  cases.forEach((c, i) => {
    it(c.name, () => {
      const ours = transportFields(frames[i]!) ?? {};
      const row = rows[i]!;
      const mismatches: string[] = [];
      COMPARED.forEach(([t, o], col) => {
        const theirs = row[col]!;
        const theirsCanon = theirs === '' ? '' : theirs.split('\x1f').map((x) => canonTshark(x, t)).join(',');
        const oursCanon = (ours[o] ?? []).map((v) => canonOurs(v, t)).join(',');
        if (theirsCanon !== oursCanon && !knownCraftedDifference(c.name, t, oursCanon, theirsCanon)) {
          mismatches.push(`${t}: ours ${oursCanon || '∅'} tshark ${theirsCanon || '∅'}`);
        }
      });
      expect(mismatches).toEqual([]);
    });
  });
});

function readFramesFromCases(cases: Crafted[]): RawFrame[] {
  return cases.map((c) => ({ data: c.frame.subarray(0, c.caplen ?? c.frame.length), origLen: c.frame.length, linkType: 1 }));
}

/** Deliberate departures from tshark, each with its reason. */
function knownCraftedDifference(_name: string, _field: string, _ours: string, _theirs: string): boolean {
  return false;
}

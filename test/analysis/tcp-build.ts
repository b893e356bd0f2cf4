/**
 * Test helper: TCP conversations built segment by segment (emitEthernet/emitIpv4/emitTcp), as
 * frames for the analyzer and as a pcap file for tshark.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import type { Frame } from '../../src/capture/frame.js';
import { PcapWriter } from '../../src/capture/pcap-writer.js';
import { memorySink } from '../../src/capture/byte-output.js';
import { decodePacket } from '../../src/decode/bindings.js';
import type { Packet } from '../../src/decode/layer.js';
import { emitEthernet } from '../../src/wire/ethernet.js';
import { emitIpv4 } from '../../src/wire/ipv4.js';
import { emitTcp, TcpFlag, type TcpOption } from '../../src/wire/tcp.js';

export const { SYN, ACK, FIN, RST, PSH } = TcpFlag;

export interface SegSpec {
  /** 'c' client → server, 's' server → client. */
  from: 'c' | 's';
  seq: number;
  ack?: number;
  flags: number;
  win?: number;
  len?: number;
  /** The payload itself (default: `len` bytes of 'a'). */
  payload?: Uint8Array;
  options?: TcpOption[];
  /** Seconds since the start. */
  t: number;
  /** Other ports (a different connection). */
  cport?: number;
}

const C = Uint8Array.of(10, 0, 0, 1);
const S = Uint8Array.of(10, 0, 0, 2);
const MAC_C = Uint8Array.of(2, 0, 0, 0, 0, 1);
const MAC_S = Uint8Array.of(2, 0, 0, 0, 0, 2);
const T0 = 1_700_000_000;

export function buildFrames(specs: SegSpec[]): Frame[] {
  return specs.map((s, i) => {
    const fromC = s.from === 'c';
    const src = fromC ? C : S;
    const dst = fromC ? S : C;
    const cport = s.cport ?? 40000;
    const tcp = emitTcp(
      {
        srcPort: fromC ? cport : 80,
        dstPort: fromC ? 80 : cport,
        seq: s.seq >>> 0,
        ack: (s.ack ?? 0) >>> 0,
        flags: s.flags,
        window: s.win ?? 1000,
        urgentPointer: 0,
        options: s.options ?? [],
        payload: s.payload ?? new Uint8Array(s.len ?? 0).fill(0x61),
      },
      { version: 4, src, dst },
    );
    const ip = emitIpv4({ dscp: 0, ecn: 0, ident: i, dontFragment: true, moreFragments: false, fragmentOffset: 0, ttl: 64, protocol: 6, src, dst }, tcp);
    const data = emitEthernet({ dst: fromC ? MAC_S : MAC_C, src: fromC ? MAC_C : MAC_S, etherType: 0x0800 }, ip);
    const whole = Math.floor(s.t);
    return { number: i + 1, tsSec: T0 + whole, tsNsec: Math.round((s.t - whole) * 1e9), origLen: data.length, data, linkType: 1, interfaceId: 0, fileOffset: 0 };
  });
}

export function buildPackets(specs: SegSpec[]): Packet[] {
  return buildFrames(specs).map((f) => decodePacket(f));
}

export function writePcap(path: string, frames: Frame[]): void {
  const mem = memorySink();
  const w = new PcapWriter(mem.sink, { linkType: 1, nanosecond: true });
  for (const f of frames) w.writeFrame(f);
  w.close();
  writeFileSync(path, mem.bytes());
}

/** tshark's values of `fields`, one row per frame (occurrences joined with '|'). */
export function tsharkRows(path: string, fields: string[]): string[][] {
  const out = execFileSync('tshark', ['-n', '-r', path, '-o', 'tcp.desegment_tcp_streams:FALSE', '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=|', ...fields.flatMap((f) => ['-e', f])], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('\t'));
}

/**
 * A GET and its response delimited by the connection's close (RFC 9112 §6.3 rule 8), in a capture
 * that stops before any FIN: only the capture's end completes the response. Its bytes are frame 5
 * ("HTTP/1.1 200 OK", body "hello"); frame 6, the client's ACK, is the connection's last packet.
 */
export function responseOnlyTheEndCompletes(): Frame[] {
  const enc = (x: string) => new TextEncoder().encode(x);
  const get = enc('GET /a HTTP/1.1\r\nHost: h\r\n\r\n');
  const ok = enc('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nhello');
  return buildFrames([
    { from: 'c', seq: 100, flags: SYN, t: 0 },
    { from: 's', seq: 500, ack: 101, flags: SYN | ACK, t: 0.001 },
    { from: 'c', seq: 101, ack: 501, flags: ACK, t: 0.002 },
    { from: 'c', seq: 101, ack: 501, flags: PSH | ACK, payload: get, t: 0.003 },
    { from: 's', seq: 501, ack: 101 + get.length, flags: PSH | ACK, payload: ok, t: 0.004 },
    { from: 'c', seq: 101 + get.length, ack: 501 + ok.length, flags: ACK, t: 0.005 },
  ]);
}

/** A TLS 1.2 record (RFC 8446 §5.1) of content `type` carrying `body`. */
export const tlsRecord = (type: number, ...body: number[]) => Uint8Array.from([type, 3, 3, body.length >> 8, body.length & 0xff, ...body]);

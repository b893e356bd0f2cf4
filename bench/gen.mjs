/**
 * Deterministic synthetic capture for the benchmark: Ethernet/IPv4/TCP conversations built only
 * through our own emit functions and pcap writer, so the file exercises the same definitions that
 * decode it. Many overlapping connections, each with a three-way handshake (MSS, SACK_PERM,
 * timestamps, window scale), request/response exchanges (real HTTP/1.1 on ports 80/8080, about
 * 60% of connections; random bytes elsewhere) in segments of varied size up to 1448
 * bytes (an MSS of 1460 less the 12-byte timestamp option), delayed ACKs every second segment, and a
 * FIN teardown (a few end with RST instead). Everything comes from one seeded PRNG, so the same
 * parameters give the same bytes; timestamps only move forward.
 *
 * The file is reused when bench/out holds one made with the same parameters (see `meta`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PcapWriter } from '../dist/capture/pcap-writer.js';
import { fdSink } from '../dist/capture/byte-output.js';
import { emitEthernet, EtherType, LINKTYPE_ETHERNET } from '../dist/wire/ethernet.js';
import { emitIpv4 } from '../dist/wire/ipv4.js';
import { emitTcp, TcpFlag, IP_PROTO_TCP } from '../dist/wire/tcp.js';

/** Bump when the traffic model changes, so stale files in bench/out are regenerated. */
const GEN_VERSION = 4;

/** mulberry32: small, fast, and good enough to make traffic look varied. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MSS = 1460;
/** Payload per full segment when both sides use the timestamp option (RFC 7323 §3: 10 bytes, padded to 12). */
const FULL = MSS - 12;

const { SYN, ACK, FIN, PSH, RST } = TcpFlag;

/** A SYN's options as a Linux host sends them: MSS, SACK permitted, timestamps, window scale. */
export function synOptions(side) {
  return [
    { type: 'mss', mss: MSS },
    { type: 'sackPermitted' },
    { type: 'timestamp', tsval: side.ts >>> 0, tsecr: 0 },
    { type: 'nop' },
    { type: 'wscale', shift: 7 },
  ];
}

/**
 * Writes `frame`, side a's segment, `step` µs after the previous frame (`clock` is {sec, usec}),
 * then moves a past it: its sequence number by the payload and any SYN or FIN (RFC 9293 §3.4),
 * its timestamp clock by 0 to 3 ticks (`int` draws them).
 */
export function writeSegment(writer, clock, step, a, frame, flags, payloadLen, int) {
  clock.usec += step;
  if (clock.usec >= 1e6) {
    clock.sec += Math.floor(clock.usec / 1e6);
    clock.usec %= 1e6;
  }
  writer.writeFrame({ tsSec: clock.sec, tsNsec: clock.usec * 1000, data: frame });
  a.seq = (a.seq + payloadLen + (flags & (SYN | FIN) ? 1 : 0)) >>> 0;
  a.ts = (a.ts + int(0, 3)) >>> 0;
}

/**
 * One Ethernet/IPv4/TCP frame from side `a` to side `b` (each {ip, mac, port, seq, ts, ipId}),
 * built only through our emit functions. Advances a's IP identification; the caller advances
 * sequence numbers and timestamps.
 */
export function tcpFrame(a, b, flags, payload, window, ttl, options) {
  const tcp = emitTcp(
    {
      srcPort: a.port,
      dstPort: b.port,
      seq: a.seq >>> 0,
      ack: flags & TcpFlag.ACK ? b.seq >>> 0 : 0,
      flags,
      window,
      urgentPointer: 0,
      options: options ?? [{ type: 'nop' }, { type: 'nop' }, { type: 'timestamp', tsval: a.ts >>> 0, tsecr: b.ts >>> 0 }],
      payload,
    },
    { version: 4, src: a.ip, dst: b.ip },
  );
  a.ipId = (a.ipId + 1) & 0xffff;
  const ip = emitIpv4(
    { dscp: 0, ecn: 0, ident: a.ipId, dontFragment: true, moreFragments: false, fragmentOffset: 0, ttl, protocol: IP_PROTO_TCP, src: a.ip, dst: b.ip },
    tcp,
  );
  return emitEthernet({ dst: b.mac, src: a.mac, etherType: EtherType.IPv4 }, ip);
}

export function defaultParams() {
  return {
    version: GEN_VERSION,
    seed: 20240611,
    /** Stop once both minimums are met. */
    minPackets: 500_000,
    minBytes: 240 * 1024 * 1024,
    /** Connections open at once. */
    concurrency: 96,
  };
}

function fileNames(outDir, p) {
  const tag = `tcp-v${p.version}-s${p.seed}-p${p.minPackets}-b${p.minBytes}-c${p.concurrency}`;
  return { pcap: path.join(outDir, `${tag}.pcap`), meta: path.join(outDir, `${tag}.json`) };
}

/** Returns {file, packets, bytes, reused, seconds} for a capture with these parameters, making it if needed. */
export function ensureCapture(outDir, params = defaultParams()) {
  fs.mkdirSync(outDir, { recursive: true });
  const names = fileNames(outDir, params);
  try {
    const meta = JSON.parse(fs.readFileSync(names.meta, 'utf8'));
    const size = fs.statSync(names.pcap).size;
    if (JSON.stringify(meta.params) === JSON.stringify(params) && meta.fileBytes === size) {
      return { file: names.pcap, ...meta, reused: true, seconds: 0 };
    }
  } catch {
    // Absent or unreadable: make it.
  }
  const t0 = performance.now();
  const tmp = `${names.pcap}.partial`;
  const fd = fs.openSync(tmp, 'w');
  let summary;
  try {
    summary = generate(fd, params);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, names.pcap);
  const meta = { params, ...summary, fileBytes: fs.statSync(names.pcap).size };
  fs.writeFileSync(names.meta, JSON.stringify(meta, null, 2) + '\n');
  return { file: names.pcap, ...meta, reused: false, seconds: (performance.now() - t0) / 1000 };
}

function generate(fd, params) {
  const rnd = prng(params.seed);
  const int = (lo, hi) => lo + Math.floor(rnd() * (hi - lo + 1));
  /** Log-uniform: many small values, a long tail of large ones (message sizes look like this). */
  const logUniform = (lo, hi) => Math.round(Math.exp(Math.log(lo) + rnd() * (Math.log(hi) - Math.log(lo))));

  const writer = new PcapWriter(fdSink(fd), { linkType: LINKTYPE_ETHERNET });
  const pool = new Uint8Array(1 << 16);
  for (let i = 0; i < pool.length; i++) pool[i] = (rnd() * 256) | 0;
  const gatewayMac = Uint8Array.of(0x00, 0x00, 0x0c, 0x9f, 0xf0, 0xa6);

  const clock = { sec: 1_718_000_000, usec: 0 };
  let packets = 0;
  let bytes = 0;
  let connections = 0;
  let ident = int(0, 0xffff);
  const flagCounts = { syn: 0, synAck: 0, fin: 0, rst: 0, pureAck: 0, data: 0 };

  function newConnection() {
    connections++;
    const client = Uint8Array.of(10, int(0, 3), int(0, 255), int(1, 254));
    const server = Uint8Array.of(192, 168, int(0, 7), int(1, 254));
    // Mostly HTTP, as the issues' targets assume (application decoding is measured on it).
    const serverPort = [80, 80, 80, 8080, 80, 443, 5432, 22][int(0, 7)];
    const small = serverPort === 22 || serverPort === 6379;
    const http = serverPort === 80 || serverPort === 8080;
    return {
      c: { ip: client, mac: Uint8Array.of(0x02, 0x42, client[1], client[2], client[3], 0x01), port: int(32768, 60999), seq: int(0, 0xffffffff), ts: int(0, 0x7fffffff), ipId: int(0, 0xffff) },
      s: { ip: server, mac: gatewayMac, port: serverPort, seq: int(0, 0xffffffff), ts: int(0, 0x7fffffff), ipId: int(0, 0xffff) },
      phase: 'syn',
      exchanges: small ? int(5, 40) : int(1, 6),
      small,
      http,
      /** For HTTP connections, the message being sent (request or response), else undefined. */
      message: undefined,
      /** Bytes left in the message being sent, and who sends it. */
      left: 0,
      sender: 'c',
      /** Segments received since the receiver last ACKed (delayed ACK, RFC 1122 §4.2.3.2: at least every second full segment). */
      unacked: 0,
      abort: rnd() < 0.03,
    };
  }

  function emit(conn, from, flags, payloadLen, options) {
    const a = conn[from];
    const b = conn[from === 'c' ? 's' : 'c'];
    let payload;
    if (conn.message && payloadLen > 0) {
      const at = conn.message.length - conn.left - payloadLen;
      payload = conn.message.subarray(at, at + payloadLen);
    } else {
      const off = int(0, pool.length - payloadLen);
      payload = pool.subarray(off, off + payloadLen);
    }
    // The window is drawn here, after the payload, so the PRNG sequence (and the file) is unchanged.
    const window = flags & SYN ? 64240 : int(400, 2048);
    const frame = tcpFrame(a, b, flags, payload, window, from === 'c' ? 64 : 57, options);
    // Mostly a few µs apart (a busy link), now and then a pause.
    writeSegment(writer, clock, rnd() < 0.02 ? int(200, 5000) : int(1, 30), a, frame, flags, payloadLen, int);
    packets++;
    bytes += frame.length;
    if (flags & SYN) flagCounts[flags & ACK ? 'synAck' : 'syn']++;
    else if (flags & FIN) flagCounts.fin++;
    else if (flags & RST) flagCounts.rst++;
    else if (payloadLen === 0) flagCounts.pureAck++;
    else flagCounts.data++;
  }


  const ascii = new TextEncoder();
  /** An HTTP/1.1 request (RFC 9112 §3) padded to about `size` bytes with a header. */
  function httpRequest(size) {
    const head = `GET /assets/${int(1, 99999)}.bin HTTP/1.1\r\nHost: bench.example\r\nUser-Agent: wirelens-bench\r\nAccept: */*\r\n`;
    const pad = Math.max(0, size - head.length - 12);
    return ascii.encode(`${head}X-Pad: ${'p'.repeat(pad)}\r\n\r\n`);
  }
  /** A 200 response with a Content-Length body (RFC 9112 §6.2) of pool bytes, about `size` in all. */
  function httpResponse(size) {
    const bodyLen = Math.max(0, size - 90);
    const head = ascii.encode(`HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: ${bodyLen}\r\n\r\n`);
    const out = new Uint8Array(head.length + bodyLen);
    out.set(head, 0);
    for (let o = head.length; o < out.length; o += pool.length) out.set(pool.subarray(0, Math.min(pool.length, out.length - o)), o);
    return out;
  }

  function startMessage(conn, sender) {
    conn.sender = sender;
    let size;
    if (sender === 'c') size = conn.small ? logUniform(20, 400) : logUniform(80, 1800);
    else size = conn.small ? logUniform(20, 1500) : rnd() < 0.85 ? logUniform(100, 6000) : logUniform(6000, 400_000);
    conn.message = conn.http ? (sender === 'c' ? httpRequest(size) : httpResponse(size)) : undefined;
    conn.left = conn.message ? conn.message.length : size;
    conn.phase = 'data';
  }

  /** One packet of this connection's life; returns false when it is over. */
  function step(conn) {
    switch (conn.phase) {
      case 'syn':
        emit(conn, 'c', SYN, 0, synOptions(conn.c));
        conn.phase = 'synack';
        return true;
      case 'synack':
        conn.s.seq = conn.s.seq >>> 0;
        emit(conn, 's', SYN | ACK, 0, synOptions(conn.s));
        conn.phase = 'ack';
        return true;
      case 'ack':
        emit(conn, 'c', ACK, 0);
        startMessage(conn, 'c');
        return true;
      case 'data': {
        const from = conn.sender;
        const to = from === 'c' ? 's' : 'c';
        if (conn.unacked >= 2) {
          emit(conn, to, ACK, 0);
          conn.unacked = 0;
          return true;
        }
        // Senders usually fill segments; writes that straddle segment boundaries leave odd sizes.
        const size = Math.min(conn.left, rnd() < 0.8 ? FULL : int(1, FULL));
        conn.left -= size;
        emit(conn, from, conn.left === 0 ? PSH | ACK : ACK, size);
        conn.unacked++;
        if (conn.left > 0) return true;
        if (conn.abort && rnd() < 0.5) {
          emit(conn, to, RST | ACK, 0);
          return false;
        }
        if (from === 'c') {
          startMessage(conn, 's');
          return true;
        }
        conn.exchanges--;
        conn.phase = conn.exchanges > 0 ? 'next' : 'fin1';
        return true;
      }
      case 'next':
        // The client ACKs the response tail; the next request follows.
        if (conn.unacked > 0) {
          emit(conn, 'c', ACK, 0);
          conn.unacked = 0;
        }
        startMessage(conn, 'c');
        return true;
      case 'fin1':
        emit(conn, 'c', FIN | ACK, 0);
        conn.phase = 'fin2';
        return true;
      case 'fin2':
        emit(conn, 's', FIN | ACK, 0);
        conn.phase = 'last';
        return true;
      case 'last':
        emit(conn, 'c', ACK, 0);
        return false;
    }
    return false;
  }

  const active = [];
  for (let i = 0; i < params.concurrency; i++) active.push(newConnection());
  while (packets < params.minPackets || bytes < params.minBytes) {
    const i = int(0, active.length - 1);
    if (!step(active[i])) active[i] = newConnection();
  }
  writer.close();
  return { packets, capturedBytes: bytes, connections, flagCounts, firstSec: 1_718_000_000, lastSec: clock.sec };
}

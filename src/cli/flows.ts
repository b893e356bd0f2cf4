/**
 * `wirelens flows FILE`: one row per TCP connection or UDP conversation, like tshark's
 * `-z conv,tcp -z conv,udp` tables joined with Zeek's conn.log: who the client and server are,
 * when it started and how long it lasted, packets and bytes each way, the handshake RTT, the
 * retransmissions, Zeek's conn_state and history, and who closed or reset it.
 *
 * Rows come in the order of each conversation's first packet (so tcp.stream and udp.stream each
 * increase down the table). `--json` prints one object per row (NDJSON).
 */
import { compileFilterOption } from '../filter/index.js';
import { openCapture } from '../capture/reader.js';
import { Slice } from '../event-loop.js';
import { decodePacket } from '../decode/bindings.js';
import { Analyzer } from '../analysis/analyzer.js';
import type { TcpConnection, UdpConversation } from '../analysis/connection.js';
import { UdpConversations } from '../analysis/conversations.js';
import { TcpLifecycle, type Side } from '../analysis/tcp-lifecycle.js';
import { LineSink } from '../output/sink.js';
import type { ReadWarning } from '../errors.js';
import { reportWarnings } from './common.js';
import { FrameClock } from '../capture/frame-clock.js';

export interface FlowsOptions {
  json?: boolean;
  displayFilter?: string;
}

/** Counts each way: sent by the client and sent by the server. */
export interface PerSide {
  client: number;
  server: number;
}

/** One row, with the keys `--json` prints. */
export interface FlowRow {
  stream: number;
  proto: 'tcp' | 'udp';
  /** Client (Zeek's originator) address and port. */
  src: string;
  srcport: number;
  /** Server (Zeek's responder) address and port. */
  dst: string;
  dstport: number;
  state: string;
  history: string;
  /** First packet, seconds since the epoch. */
  start: number;
  /** From the first packet to the last, seconds (tshark's conversation duration). */
  duration: number;
  /** Frames each way. */
  packets: PerSide;
  /** Bytes on the wire each way (frame.len). */
  bytes: PerSide;
  /** Transport payload bytes each way (tcp.len / UDP payload). */
  payload_bytes: PerSide;
  /** Seconds from the SYN to the first ACK (tcp.analysis.initial_rtt); null for UDP or when not seen. */
  handshake_rtt: number | null;
  /** Segments tshark marks tcp.analysis.retransmission (fast and spurious included); null for UDP. */
  retransmissions: number | null;
  /** The side whose FIN came first; null when none (and for UDP). */
  closed_by: Side | null;
  /** The side that sent the first RST; null when none (and for UDP). */
  reset_by: Side | null;
}

/** Reads a capture and returns its conversations, in the order of their first packets. */
export async function collectFlows(file: string, displayFilter?: string): Promise<{ rows: FlowRow[]; firstTime: number; warnings: ReadWarning[] }> {
  const filter = compileFilterOption(displayFilter);
  const reader = await openCapture(file);
  // With -Y: the streams that had at least one matching packet (bit per stream number).
  const tcpMatched: boolean[] = [];
  const udpMatched: boolean[] = [];
  const lifecycle = new TcpLifecycle();
  const udp = new UdpConversations();
  const tcpSpans = new Spans();
  const udpSpans = new Spans();
  const analyzer = new Analyzer({ tcpObservers: [lifecycle], udpObservers: [udp] });
  let firstTime = Number.NaN;
  const clock = new FrameClock();
  for await (const batch of reader.batches()) {
    for (const frame of batch) {
      if (Number.isNaN(firstTime)) firstTime = frame.tsSec + frame.tsNsec / 1e9;
      const packet = decodePacket(frame);
      const a = analyzer.analyze(packet);
      clock.advance(frame);
      const matched = filter ? filter.matches(packet, a, clock) : false;
      if (matched) clock.shown();
      if (a.tcp) {
        tcpSpans.note(a.tcp.stream, frame.tsSec, frame.tsNsec);
        if (matched) tcpMatched[a.tcp.stream] = true;
      } else if (a.udpStream !== undefined) {
        udpSpans.note(a.udpStream, frame.tsSec, frame.tsNsec);
        if (matched) udpMatched[a.udpStream] = true;
      }
    }
  }
  analyzer.finish();
  reader.close();
  const rows: { first: number; row: FlowRow }[] = [];
  // Thousands of connections take a while to summarise: a UI showing them keeps its turns.
  const slice = new Slice();
  for (const c of analyzer.connections()) {
    if (!filter || tcpMatched[c.stream]) rows.push({ first: c.firstFrame, row: tcpRow(c, lifecycle, tcpSpans.duration(c)) });
    await slice.pause();
  }
  for (const c of analyzer.udpConversations()) {
    if (!filter || udpMatched[c.stream]) rows.push({ first: c.firstFrame, row: udpRow(c, udp, udpSpans.duration(c)) });
  }
  rows.sort((x, y) => x.first - y.first);
  return { rows: rows.map((r) => r.row), firstTime, warnings: reader.warnings };
}

/**
 * First and last packet times per stream as seconds and nanoseconds, so that durations are exact
 * (epoch seconds in a double are only good to a few hundred nanoseconds).
 */
class Spans {
  private readonly t: number[] = [];

  note(stream: number, tsSec: number, tsNsec: number): void {
    const i = stream * 4;
    if (this.t[i] === undefined) {
      this.t[i] = tsSec;
      this.t[i + 1] = tsNsec;
    }
    this.t[i + 2] = tsSec;
    this.t[i + 3] = tsNsec;
  }

  duration(c: TcpConnection | UdpConversation): number {
    const i = c.stream * 4;
    const t = this.t;
    if (t[i] === undefined) return c.lastTime - c.startTime;
    return t[i + 2]! - t[i]! + (t[i + 3]! - t[i + 1]!) / 1e9;
  }
}

function perSide(pair: readonly [number, number], clientDir: number): PerSide {
  return clientDir === 0 ? { client: pair[0], server: pair[1] } : { client: pair[1], server: pair[0] };
}

/** The columns TCP and UDP rows share, oriented client → server. */
function baseRow(
  c: TcpConnection | UdpConversation,
  s: { clientDir: number; state: string; history: string } | undefined,
  duration: number,
): Omit<FlowRow, 'handshake_rtt' | 'retransmissions' | 'closed_by' | 'reset_by'> {
  const dir = s?.clientDir ?? 0;
  const [cl, sv] = dir === 0 ? [c.a, c.b] : [c.b, c.a];
  return {
    stream: c.stream,
    proto: c.proto,
    src: cl.address,
    srcport: cl.port,
    dst: sv.address,
    dstport: sv.port,
    state: s?.state ?? 'OTH',
    history: s?.history ?? '',
    start: c.startTime,
    duration,
    packets: perSide(c.packets, dir),
    bytes: perSide(c.bytes, dir),
    payload_bytes: perSide(c.payloadBytes, dir),
  };
}

function tcpRow(c: TcpConnection, lifecycle: TcpLifecycle, duration: number): FlowRow {
  const s = lifecycle.summary(c.stream);
  return {
    ...baseRow(c, s, duration),
    handshake_rtt: s?.handshake.rtt ?? null,
    retransmissions: s?.retransmissions ?? 0,
    closed_by: s?.closedBy ?? null,
    reset_by: s?.resetBy ?? null,
  };
}

function udpRow(c: UdpConversation, udp: UdpConversations, duration: number): FlowRow {
  return { ...baseRow(c, udp.summary(c.stream), duration), handshake_rtt: null, retransmissions: null, closed_by: null, reset_by: null };
}

export async function runFlows(file: string, opts: FlowsOptions): Promise<number> {
  const { rows, firstTime, warnings } = await collectFlows(file, opts.displayFilter);
  const sink = new LineSink();
  if (opts.json) for (const r of rows) sink.line(JSON.stringify(r));
  else for (const line of formatTable(rows, firstTime)) sink.line(line);
  await sink.flush(true);
  reportWarnings(warnings);
  return 0;
}

function endpoint(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

function seconds(v: number | null, digits: number): string {
  return v === null ? '-' : v.toFixed(digits);
}

const HEADER = ['Stream', 'Proto', 'Client', 'Server', 'Start', 'Duration', 'Pkts c>s', 'Pkts s>c', 'Bytes c>s', 'Bytes s>c', 'Data c>s', 'Data s>c', 'HS RTT', 'Retr', 'State', 'History', 'Closed', 'Reset'];
/** Columns aligned left (text); the rest are numbers, aligned right. */
const LEFT = new Set([1, 2, 3, 14, 15, 16, 17]);

/** The aligned text table: a header line, then one line per row; Start is relative to the first packet. */
export function formatTable(rows: readonly FlowRow[], firstTime: number): string[] {
  const cells = rows.map((r) => [
    String(r.stream),
    r.proto.toUpperCase(),
    endpoint(r.src, r.srcport),
    endpoint(r.dst, r.dstport),
    (r.start - firstTime).toFixed(6),
    r.duration.toFixed(6),
    String(r.packets.client),
    String(r.packets.server),
    String(r.bytes.client),
    String(r.bytes.server),
    String(r.payload_bytes.client),
    String(r.payload_bytes.server),
    seconds(r.handshake_rtt, 6),
    r.retransmissions === null ? '-' : String(r.retransmissions),
    r.state,
    r.history || '-',
    r.closed_by ?? '-',
    r.reset_by ?? '-',
  ]);
  const widths = HEADER.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const fmt = (c: string[]) =>
    c
      .map((v, i) => (LEFT.has(i) ? v.padEnd(widths[i]!) : v.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [fmt(HEADER), ...cells.map(fmt)];
}

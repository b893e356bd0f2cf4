/**
 * Application messages as the timeline consumes them: the parsers' own records (http.ts,
 * websocket.ts, sse.ts), tagged, and attached to the frame that completed them (the frame tshark
 * shows them on). Whatever runs the application parsers hands the Explainer the messages each
 * packet completed; that is the whole plug-in contract.
 *
 * AppTap is a small stand-in for the analyzer's own application stage (being integrated
 * separately): a TcpObserver that reassembles each connection, recognises HTTP/1.x by its first
 * bytes (looksLikeHttp) and runs HttpConnection, which hands over to WebSocket and SSE by itself.
 * Messages are collected while the analyzer processes a packet and taken right after it.
 */
import type { TcpObserver } from '../analysis/analyzer.js';
import type { Dir, TcpConnection, TcpSegment } from '../analysis/connection.js';
import { TcpReassembler } from '../analysis/reassembly.js';
import type { TcpSegmentInfo } from '../analysis/tcp-tracker.js';
import { HttpConnection, looksLikeHttp, type HttpMessage, type HttpUpgrade } from '../protocols/http.js';
import type { SseEvent } from '../protocols/sse.js';
import type { StreamSink } from '../protocols/stream.js';
import type { WsClose, WsFrame, WsMessage, WsPing, WsPong } from '../protocols/websocket.js';

export type AppMessage =
  | { kind: 'http'; msg: HttpMessage }
  | { kind: 'http-upgrade'; upgrade: HttpUpgrade }
  | { kind: 'ws-message'; msg: WsMessage; masked: boolean }
  | { kind: 'ws-ping'; ping: WsPing }
  | { kind: 'ws-pong'; pong: WsPong }
  | { kind: 'ws-close'; close: WsClose; masked: boolean }
  | { kind: 'sse'; event: SseEvent };

interface StreamApp {
  http?: HttpConnection;
  /** The direction (of the connection's a→b = 0) in which the HTTP client sends. */
  clientDir?: Dir;
  /** Not HTTP: ignore the rest. */
  off: boolean;
  /** Masking of the last WebSocket frame seen per direction (c2s, s2c): a message reports it. */
  masked: [boolean, boolean];
}

export class AppTap implements TcpObserver {
  private readonly reassembler: TcpReassembler;
  private readonly streams: StreamApp[] = [];
  private pending: AppMessage[] = [];
  private frame = 0;
  private time = 0;
  private t0Sec = Number.NaN;

  constructor() {
    this.reassembler = new TcpReassembler({
      onData: (conn, dir, bytes) => this.data(conn, dir, bytes),
      onGap: (conn, dir, gap) => this.sink(conn, dir)?.gap(gap.length),
      onEnd: (conn, dir) => this.sink(conn, dir)?.end(),
    });
  }

  onConnection(conn: TcpConnection, first: TcpSegment): void {
    this.reassembler.onConnection(conn, first);
  }

  onSegment(conn: TcpConnection, seg: TcpSegment, _info: TcpSegmentInfo): void {
    const f = seg.packet.frame;
    if (Number.isNaN(this.t0Sec)) this.t0Sec = f.tsSec;
    this.frame = f.number;
    // Seconds since the first packet keep nanosecond precision in a double (stream.ts).
    this.time = f.tsSec - this.t0Sec + f.tsNsec / 1e9;
    this.reassembler.onSegment(conn, seg);
  }

  finish(): void {
    this.reassembler.finish();
  }

  /** The messages completed since the last call (by the packet just analysed). */
  take(): AppMessage[] {
    if (this.pending.length === 0) return NONE;
    const out = this.pending;
    this.pending = [];
    return out;
  }

  private state(conn: TcpConnection): StreamApp {
    let s = this.streams[conn.stream];
    if (!s) {
      s = { off: false, masked: [false, false] };
      this.streams[conn.stream] = s;
    }
    return s;
  }

  private sink(conn: TcpConnection, dir: Dir): StreamSink | undefined {
    const s = this.streams[conn.stream];
    if (!s?.http || s.clientDir === undefined) return undefined;
    return dir === s.clientDir ? s.http.client : s.http.server;
  }

  private data(conn: TcpConnection, dir: Dir, bytes: Uint8Array): void {
    const s = this.state(conn);
    if (s.off) return;
    if (!s.http) {
      const kind = looksLikeHttp(bytes);
      if (kind === false) {
        s.off = true;
        return;
      }
      s.clientDir = (kind === 'request' ? dir : dir ^ 1) as Dir;
      s.http = new HttpConnection(this.handler(s));
    }
    this.sink(conn, dir)?.push(bytes, this.frame, this.time);
  }

  private handler(s: StreamApp) {
    const push = (m: AppMessage) => this.pending.push(m);
    return {
      httpRequest: (msg: HttpMessage) => push({ kind: 'http', msg }),
      httpResponse: (msg: HttpMessage) => push({ kind: 'http', msg }),
      httpUpgrade: (upgrade: HttpUpgrade) => push({ kind: 'http-upgrade', upgrade }),
      wsFrame: (f: WsFrame) => {
        s.masked[f.dir === 'c2s' ? 0 : 1] = f.masked;
      },
      wsMessage: (msg: WsMessage) => push({ kind: 'ws-message', msg, masked: s.masked[msg.dir === 'c2s' ? 0 : 1] }),
      wsPing: (ping: WsPing) => push({ kind: 'ws-ping', ping }),
      wsPong: (pong: WsPong) => push({ kind: 'ws-pong', pong }),
      wsClose: (close: WsClose) => push({ kind: 'ws-close', close, masked: s.masked[close.dir === 'c2s' ? 0 : 1] }),
      sseEvent: (event: SseEvent) => push({ kind: 'sse', event }),
    };
  }
}

const NONE: AppMessage[] = [];

/**
 * The application-layer stage: HTTP/1.x (with WebSocket and SSE after it), TLS hellos and DNS over
 * TCP on reassembled TCP streams; DNS transaction pairing and QUIC flow state on UDP. It is a
 * TcpObserver and a UdpObserver for the Analyzer:
 *
 *   const app = new AppStage({ onMessage: (m) => ... });
 *   const analyzer = new Analyzer({ tcpObservers: [app], udpObservers: [app] });   // or appAnalyzerOptions()
 *
 * What a frame gets. The reassembler delivers bytes synchronously while the Analyzer handles the
 * segment that makes them in order, so the messages completed by a segment are known before
 * analyze() returns. They become layers of that packet (http, websocket, tls, dns), replacing the
 * trailing `data` layer, as tshark with desegmentation shows the PDU on the frame that completes
 * it. So `read --json`, the Info column (the top layer's info()), `frame.protocols` and display
 * filters (`-Y http`, `http.response.code == 404`) see them with no further plumbing. Fields only
 * a later packet can tell (http.response_in on a request, dns.response_in on a query) are computed
 * when fields() is called: a streaming `read --json` prints a packet before its answer is seen, as
 * tshark's single pass does; `messages` prints once the capture is read.
 *
 * The layer list follows tshark 4.0's too: a segment whose bytes went to a parser loses its `data`
 * layer even when it completes nothing (tshark shows a PDU's earlier segments as bare `tcp`),
 * WebSocket sits under an `http` layer, and bodies and WebSocket payloads get the layer tshark
 * names them by (PayloadLayer: `data-text-lines`, `json`, `media`…), grouped per dissector call
 * (HttpAppLayer).
 *
 * Which protocol a stream carries is decided on its first payload bytes, on any port: TCP port 53
 * is DNS (RFC 1035 §4.2.2 length-prefixed messages); a TLS record header (RFC 8446 §5.1) is TLS; a
 * request or status line (RFC 9112 §3, §4) is HTTP. Anything else is left alone, and its segments
 * are no longer reassembled (the cost of the stage on other traffic is one check per segment).
 */
import { bytesHex, type Field, type Layer, type LayerProblem, type LayerStatus, type Packet } from '../decode/layer.js';
import type { Frame } from '../capture/frame.js';
import type { AnalyzerOptions, TcpObserver, UdpObserver } from './analyzer.js';
import type { Dir, TcpConnection, TcpSegment, UdpConversation, UdpDatagram } from './connection.js';
import { TcpReassembler, type EndReason, type StreamGap, type StreamHandler } from './reassembly.js';
import { TcpFlag } from '../wire/tcp.js';
import { concatBytes } from '../wire/bytes.js';
import { HttpConnection, looksLikeHttp, type HttpConnectionHandler, type HttpSink, type HttpMalformed, type HttpMessage, type HttpRequest, type HttpResponse, type HttpOptions, type HttpUpgrade } from '../protocols/http.js';
import { round9, type Direction, type ProtocolProblem } from '../protocols/stream.js';
import { WsOpcode, type WsClose, type WsFrame, type WsMessage, type WsPing, type WsPong } from '../protocols/websocket.js';
import type { SseEvent } from '../protocols/sse.js';
import { cipherSuiteText, helloFingerprint, looksLikeTlsRecord, tlsAlert, tlsAlertText, tlsInfo, tlsRecordFields, tlsVersionText, TlsConnection, HandshakeType, type TlsHandshakeMessage, type TlsRecordEvent } from '../protocols/tls.js';
import { DnsLayer, DnsTcpFramer, DnsTransactions, DNS_PORT, dissectDnsMessage, dnsTypeName, type DnsTransactionInfo } from '../protocols/dns.js';
import { QuicFlows, QuicLayer } from '../protocols/quic.js';
import { bodyProtocol } from '../protocols/media-type.js';
import { httpMessageFields } from '../protocols/http-fields.js';

export type AppProto = 'http' | 'websocket' | 'sse' | 'dns' | 'tls' | 'quic';

/** One application message, as `wirelens messages --json` prints it (keys per kind: see messages.ts). */
export interface AppMessage {
  /** The frame that completed the message. */
  frame: number;
  /** Seconds since the time base (the first packet, unless set). */
  time: number;
  /** tcp.stream, or udp.stream for DNS/QUIC over UDP. */
  stream: number;
  transport: 'tcp' | 'udp';
  proto: AppProto;
  kind: string;
  dir: Direction;
  [key: string]: unknown;
}

/**
 * One application message as its parser reported it: the records behind AppMessage, for the views
 * that explain and draw messages (timeline/, the Trace API). DNS over UDP has none: its packet's
 * layer tells all.
 */
export type AppRecord =
  | { kind: 'http'; msg: HttpMessage }
  | { kind: 'http-upgrade'; upgrade: HttpUpgrade }
  /** `masked`: the message's last frame was masked (RFC 6455 §5.3: client to server). */
  | { kind: 'ws-message'; msg: WsMessage; masked: boolean }
  | { kind: 'ws-ping'; ping: WsPing }
  | { kind: 'ws-pong'; pong: WsPong }
  | { kind: 'ws-close'; close: WsClose; masked: boolean }
  | { kind: 'sse'; event: SseEvent }
  /** A ClientHello or ServerHello (its `summary` has SNI, ALPN and versions). */
  | { kind: 'tls-hello'; hello: TlsHandshakeMessage; dir: Direction }
  /** An alert sent in plaintext (RFC 8446 §6): a refused handshake, or a close. */
  | { kind: 'tls-alert'; level: number; description: number; dir: Direction }
  /** A DNS message over TCP (RFC 1035 §4.2.2), with its transaction as the stage paired it. */
  | { kind: 'dns'; layer: DnsLayer; tx: DnsTransactionInfo };

export interface AppStageOptions {
  /** Every message, in the order they complete. */
  onMessage?: (m: AppMessage) => void;
  /**
   * Every message as its parser's record, in the order they complete, with the frame it belongs to:
   * the packet being analysed, or, for a message only the capture's end completed (during
   * finish()), the one `messages` names: its last bytes' packet, else the connection's last one.
   */
  onRecord?: (r: AppRecord, frame: number) => void;
  /** Which TCP streams to decode (default all). */
  tcpStreams?: (stream: number) => boolean;
  /** Most bytes kept per WebSocket message (default: the parser's 16 MiB). */
  maxWebSocketMessage?: number;
  /**
   * Keep every HTTP header field on the messages (HttpMessage.headers), for the http layers' fields
   * (http.server, http.request.line…) and the messages' header lists. Default true. False keeps
   * only the fields the stage reads, and the others cost no strings: for a consumer that reads no
   * http.* field (stats without such a filter; see readsHttpFields).
   */
  allHeaders?: boolean;
  /**
   * With `allHeaders` off, still keep Host, User-Agent and credentials, which the explainer and the
   * timeline describe (default true; HttpOptions.describedHeaders). False for a consumer that shows
   * no message detail.
   */
  describedHeaders?: boolean;
  /**
   * Keep HTTP bodies, up to MAX_HTTP_BODY_KEPT bytes each (or `maxBodyKept`), for http.file_data
   * (default false: bodies are counted, not read; see readsHttpBodies).
   */
  bodies?: boolean;
  /** With `bodies`: the most bytes kept of each (default MAX_HTTP_BODY_KEPT). */
  maxBodyKept?: number;
}

/** The most body bytes kept per HTTP message with `bodies` (beyond them http.file_data is cut short). */
export const MAX_HTTP_BODY_KEPT = 16 * 1024 * 1024;

/** What a stream was recognised as. */
const enum Mode {
  Undecided,
  Http,
  Tls,
  Dns,
  None,
}

/** Bytes held while too few have arrived to recognise the protocol (a longest method is 10). */
const SNIFF_BYTES = 10;
const SNIFF_LIMIT = 64;

interface SniffChunk {
  dir: Dir;
  bytes: Uint8Array;
}

class ConnState {
  mode = Mode.Undecided;
  clientDir: Dir = 0;
  http?: HttpConnection;
  /** The HTTP sinks by Dir (direction 0's, direction 1's): one load less per body segment. */
  sink0?: HttpSink;
  sink1?: HttpSink;
  tls?: TlsConnection;
  dns?: [DnsTcpFramer, DnsTcpFramer];
  sniff: SniffChunk[] | null = null;
  sniffBytes = 0;
  gaps = 0;
  /** Directions the reassembler has ended (bit per Dir): at 3 nothing more can come. */
  ended = 0;
  /**
   * Whether the last WebSocket frame was masked, by direction (c2s, s2c): its message's record says
   * so. Made at the first frame: most connections carry none.
   */
  wsMasked: [boolean, boolean] | null = null;
  constructor(readonly conn: TcpConnection) {}
  dirName(d: Dir): Direction {
    return d === this.clientDir ? 'c2s' : 's2c';
  }
}


// ---------------------------------------------------------------------------------------------
// Layers added to packets

/** Fields and Info of app layers carry no frame offsets of their own: they sit on the TCP payload. */
abstract class AppLayer implements Layer {
  abstract readonly proto: string;
  status: LayerStatus = 'ok';
  problem?: LayerProblem;
  constructor(
    readonly offset: number,
    readonly length: number,
  ) {}
  abstract fields(): Field[];
  abstract info(): string;
  protected field(out: Field[], name: string, value: number | string | boolean): void {
    out.push({ name, value, offset: this.offset, length: 0 });
  }
}

/**
 * `list` with `item` appended. An empty list (a shared empty one, or one let go) is replaced by a
 * new one-element array: most lists here hold one item, and V8 grows an empty array's first push
 * to 17 slots.
 */
function appended<T>(list: T[], item: T): T[] {
  if (list.length === 0) return [item];
  list.push(item);
  return list;
}

const NO_MESSAGES: (HttpMessage | HttpMalformed)[] = [];
const NO_HTTP_LAYERS: HttpAppLayer[] = [];
const NO_LAYERS: Layer[] = [];

/** RFC 9112 §2.1's message grammar problems (not a gap or an early end) make the message malformed. */
const MALFORMED_HTTP = /^WL_HTTP_(BAD_|HEADER_TOO_LARGE)/;

/**
 * One `http` layer: the messages of one call of tshark's HTTP dissector on the frame. TCP calls it
 * once for a message reassembled from earlier segments and once for the messages that begin in
 * this segment (pipelined ones all in that call), so a frame can hold two; a WebSocket call
 * (WebSocket runs under HTTP in tshark) has an `http` layer with no message.
 */
export class HttpAppLayer extends AppLayer {
  readonly proto = 'http';
  /** Its messages, in order (a list only add() grows: it may start as the shared empty one). */
  messages: (HttpMessage | HttpMalformed)[] = NO_MESSAGES;
  /**
   * The http layers of the same frame, in order, this one among them (the stage sets it): tshark
   * appends each message's Info.
   */
  group: readonly HttpAppLayer[] = NO_HTTP_LAYERS;
  add(message: HttpMessage | HttpMalformed): void {
    this.messages = appended(this.messages, message);
    const p = message.problem;
    if (this.problem === undefined && p && ('kind' in message ? MALFORMED_HTTP.test(p.code) : true)) {
      this.status = 'malformed';
      this.problem = { code: p.code, offset: this.offset, message: p.message };
    }
  }
  ownInfo(): string {
    let info = '';
    for (const m of this.messages) {
      if (!('kind' in m)) continue;
      if (m.kind === 'request') info += `${m.method} ${m.uri} ${m.version} `;
      else {
        // tshark: the status line, then "  (media type)" without parameters when there is a body type.
        const ct = m.contentType?.split(';')[0]!.trim();
        info += `${m.version} ${m.status} ${m.phrase} ${ct ? ` (${ct})` : ''}`;
      }
    }
    return info;
  }
  info(): string {
    // A layer made outside a stage has no group: its own Info.
    return this.group.length === 0 ? this.ownInfo() : this.group.map((l) => l.ownInfo()).join('');
  }
  fields(): Field[] {
    const out: Field[] = [];
    for (const m of this.messages) if ('kind' in m) this.messageFields(out, m);
    return out;
  }
  private messageFields(out: Field[], m: HttpMessage): void {
    httpMessageFields(m, (name, value) => this.field(out, name, value));
  }
}

/**
 * A message body or WebSocket payload as the layer tshark shows it under its carrier
 * (`data-text-lines`, `json`, `xml`, `media`, `data`…: media-type.ts). Bodies are counted, not
 * dissected, so it has no fields but `data`'s length.
 */
export class PayloadLayer implements Layer {
  status: LayerStatus = 'ok';
  constructor(
    readonly proto: string,
    readonly offset: number,
    readonly length: number,
    /** Payload bytes (after any transfer coding), over every segment they came in. */
    readonly bytes: number,
  ) {}
  fields(): Field[] {
    return this.proto === 'data' ? [{ name: 'data.len', value: this.bytes, offset: this.offset, length: 0 }] : [];
  }
}

const WS_OPCODE_NAMES: Record<number, string> = { 0: 'Continuation', 1: 'Text', 2: 'Binary', 8: 'Connection Close', 9: 'Ping', 10: 'Pong' };

/** What a frame's payload said, as tshark's websocket.payload.* fields show it. */
export interface WsPayloadNote {
  /** A text message's text, on the frame that completes it (its only frame or its last fragment). */
  text?: string;
  /** A continuation frame that is not the last: its own bytes (websocket.payload.continue). */
  continued?: Uint8Array;
  /** A message of several frames, on its last: the frames that carried them and its payload bytes. */
  fragments?: { frames: readonly number[]; bytes: number };
  ping?: Uint8Array;
  pong?: Uint8Array;
  closeCode?: number;
  closeReason?: string;
}

/** One `websocket` layer: the frames of one dissector call (see HttpAppLayer), in order. */
export class WebSocketAppLayer extends AppLayer {
  readonly proto = 'websocket';
  readonly frames: WsFrame[] = [];
  /** By frame (same index): what its payload carried, when the parser reported it. */
  private readonly notes: (WsPayloadNote | undefined)[] = [];
  add(frame: WsFrame): void {
    this.frames.push(frame);
    this.notes.push(undefined);
    if (frame.problem && this.problem === undefined) {
      this.status = 'malformed';
      this.problem = { code: frame.problem.code, offset: this.offset, message: frame.problem.message };
    }
  }
  /** What the last frame added carried (its message, ping, pong or close, reported after it). */
  note(n: WsPayloadNote): void {
    if (this.notes.length > 0) this.notes[this.notes.length - 1] = { ...this.notes[this.notes.length - 1], ...n };
  }
  info(): string {
    // tshark: "WebSocket Ping [FIN] ", "WebSocket Pong [FIN] [MASKED]" and, for a frame before its
    // message's last, "WebSocket Text[FRAGMENT]  [MASKED]": for the last frame of the call.
    const f = this.frames[this.frames.length - 1]!;
    return `WebSocket ${WS_OPCODE_NAMES[f.opcode] ?? `Unknown (${f.opcode})`}${f.fin ? ' [FIN] ' : '[FRAGMENT]  '}${f.masked ? '[MASKED]' : ''}`;
  }
  fields(): Field[] {
    const out: Field[] = [];
    for (let i = 0; i < this.frames.length; i++) {
      const f = this.frames[i]!;
      this.field(out, 'websocket.fin', f.fin);
      this.field(out, 'websocket.rsv', f.rsv);
      this.field(out, 'websocket.opcode', f.opcode);
      this.field(out, 'websocket.mask', f.masked);
      this.field(out, 'websocket.payload_length', f.lengthCode);
      if (f.lengthCode === 126) this.field(out, 'websocket.payload_length_ext_16', f.payloadLength);
      if (f.lengthCode === 127) this.field(out, 'websocket.payload_length_ext_64', f.payloadLength);
      if (f.masked && f.maskingKey !== undefined) this.field(out, 'websocket.masking_key', (f.maskingKey >>> 0).toString(16).padStart(8, '0'));
      this.payloadFields(out, f, this.notes[i]);
      const fragments = this.notes[i]?.fragments;
      // tshark 4.0 reassembles a fragmented message (RFC 6455 §5.4) and lists its fragments.
      if (fragments !== undefined) {
        this.field(out, 'websocket.fragments', true);
        for (const frame of fragments.frames) this.field(out, 'websocket.fragment', frame);
        this.field(out, 'websocket.fragment.count', fragments.frames.length);
        this.field(out, 'websocket.reassembled.length', fragments.bytes);
      }
    }
    return out;
  }
  /** tshark's Payload subtree (RFC 6455 §5.5-5.6): present when there is one, then what it holds. */
  private payloadFields(out: Field[], f: WsFrame, n: WsPayloadNote | undefined): void {
    if (f.payloadLength === 0) return;
    this.field(out, 'websocket.payload', true);
    if (f.masked) this.field(out, 'websocket.masked_payload', true);
    if (n === undefined) return;
    if (n.text !== undefined) this.field(out, 'websocket.payload.text', n.text);
    if (n.continued !== undefined) this.field(out, 'websocket.payload.continue', bytesHex(n.continued));
    if (n.ping !== undefined) this.field(out, 'websocket.payload.ping', bytesHex(n.ping));
    if (n.pong !== undefined) this.field(out, 'websocket.payload.pong', bytesHex(n.pong));
    if (n.closeCode !== undefined) {
      this.field(out, 'websocket.payload.close', true);
      this.field(out, 'websocket.payload.close.status_code', n.closeCode);
      if (n.closeReason) this.field(out, 'websocket.payload.close.reason', n.closeReason);
    }
  }
}

export class TlsAppLayer extends AppLayer {
  readonly proto = 'tls';
  constructor(
    offset: number,
    length: number,
    readonly events: TlsRecordEvent[],
    /** The connection's ServerHello selected TLS 1.3 (RFC 8446 §4.2.1): tshark names every later record so. */
    private readonly tls13: boolean,
  ) {
    super(offset, length);
  }
  info(): string {
    return tlsInfo(this.events);
  }
  fields(): Field[] {
    // tlsRecordFields gives stream offsets; on a packet the fields sit on the TCP payload.
    const out = this.events.flatMap(tlsRecordFields);
    for (const f of out) {
      f.offset = this.offset;
      f.length = 0;
    }
    return out;
  }
  /** The version tshark names the Protocol column after ("TLSv1.3"). */
  get versionName(): string {
    const v = this.events[this.events.length - 1]?.record.version ?? 0x0301;
    return tlsVersionName(v, this.tls13);
  }
}

function tlsVersionName(v: number, tls13: boolean): string {
  if (tls13) return 'TLSv1.3';
  return v === 0x0300 ? 'SSLv3' : v === 0x0301 ? 'TLSv1' : v === 0x0302 ? 'TLSv1.1' : v === 0x0303 ? 'TLSv1.2' : v === 0x0304 ? 'TLSv1.3' : 'TLS';
}

/**
 * A DNS layer that also lists its transaction fields (dns.response_to, dns.time...), at `offset`
 * in the frame. Made with Object.create so it stays a DnsLayer for every reader of the original.
 */
function dnsWithTransaction(layer: DnsLayer, tx: DnsTransactionInfo, offset?: number, length?: number): DnsLayer {
  const w = Object.create(layer) as DnsLayer;
  const own = layer.fields.bind(layer);
  Object.defineProperty(w, 'fields', { value: () => own().concat(tx.fields()) });
  if (offset !== undefined) {
    Object.defineProperty(w, 'offset', { value: offset });
    Object.defineProperty(w, 'length', { value: length ?? 0 });
  }
  return w;
}

// ---------------------------------------------------------------------------------------------
// The stage

export class AppStage implements TcpObserver, UdpObserver, StreamHandler {
  private readonly reassembler: TcpReassembler;
  private readonly states: (ConnState | undefined)[] = [];
  private readonly dnsTx = new DnsTransactions();
  private readonly quic = new QuicFlows();
  private readonly onMessage?: (m: AppMessage) => void;
  private readonly onRecord?: (r: AppRecord, frame: number) => void;
  private readonly tcpStreams?: (stream: number) => boolean;
  /** What every HttpConnection is made with (one object for all of them). */
  private readonly httpOptions: HttpOptions;
  /*
   * The packet being analysed, kept as numbers: this object lives long and packets do not, so a
   * reference to one stored here would go through V8's old-to-new write barrier on every segment.
   */
  private curFrame = -1;
  private curTime = 0;
  private curSec = 0;
  private curNsec = 0;
  /** Inside onSegment: where its payload lies in the frame (app layers sit on it). */
  private inSegment = false;
  /** Inside finish: events come from the reassembler's flush, not from a segment. */
  private finishing = false;
  private segOffset = 0;
  private segLength = 0;
  /** Layers completed by the current segment. */
  private added: Layer[] = NO_LAYERS;
  private httpGroup: HttpAppLayer[] = NO_HTTP_LAYERS;
  /** The current segment's open dissector call (see HttpAppLayer): its http and websocket layers. */
  private callHttp: HttpAppLayer | undefined;
  private callWs: WebSocketAppLayer | undefined;
  /** The open call holds a PDU that began in an earlier frame: nothing joins it. */
  private callReassembled = false;
  /** The current segment's payload went to a parser: it is no longer shown as `data`. */
  private consumed = false;
  /** Bytes of the current segment went to a parser (not a retransmission, not held out of order). */
  private delivered = false;
  /** A TLS record began in the current segment and goes on past it: TLS cleared the Info column. */
  private tlsRecordBegun = false;
  private tlsEvents: TlsRecordEvent[] | null = null;
  private tls13Now = false;
  private baseSec = 0;
  private baseNsec = 0;
  private based = false;
  /** SSE: the frame of the last event with each id, per server endpoint (for Last-Event-ID). */
  private readonly sseIds = new Map<string, number>();

  constructor(options: AppStageOptions = {}) {
    this.reassembler = new TcpReassembler(this);
    if (options.onMessage) this.onMessage = options.onMessage;
    if (options.onRecord) this.onRecord = options.onRecord;
    if (options.tcpStreams) this.tcpStreams = options.tcpStreams;
    this.httpOptions = { allHeaders: options.allHeaders ?? true, describedHeaders: options.describedHeaders ?? true, maxBodyKept: options.bodies ? (options.maxBodyKept ?? MAX_HTTP_BODY_KEPT) : 0 };
    if (options.maxWebSocketMessage !== undefined) this.httpOptions.maxWebSocketMessage = options.maxWebSocketMessage;
  }

  /** Message times count from this timestamp (default: the first packet the stage sees). */
  setTimeBase(sec: number, nsec: number): void {
    this.baseSec = sec;
    this.baseNsec = nsec;
    this.based = true;
  }

  /**
   * At the capture end, a connection's remaining events belong to its last packet: a message
   * completed by data released then, or a hole reported then, names a frame that exists. Its time
   * is the tracker's (epoch seconds in a double, so whole microseconds).
   */
  private atCaptureEnd(conn: TcpConnection): void {
    this.curFrame = conn.lastFrame;
    const sec = Math.floor(conn.lastTime);
    this.curSec = sec;
    this.curNsec = Math.round((conn.lastTime - sec) * 1e6) * 1000;
    this.curTime = sec - this.baseSec + (this.curNsec - this.baseNsec) / 1e9;
  }

  private enter(f: Frame): void {
    if (!this.based) this.setTimeBase(f.tsSec, f.tsNsec);
    this.curFrame = f.number;
    this.curSec = f.tsSec;
    this.curNsec = f.tsNsec;
    this.curTime = f.tsSec - this.baseSec + (f.tsNsec - this.baseNsec) / 1e9;
  }

  // TcpObserver --------------------------------------------------------------------------------

  onConnection(conn: TcpConnection, first: TcpSegment): void {
    if (this.tcpStreams && !this.tcpStreams(conn.stream)) return;
    const st = new ConnState(conn);
    const f = first.tcp.flags;
    // RFC 9293 §3.5: the SYN's sender is the client; a SYN-ACK's receiver is.
    if (f & TcpFlag.SYN) st.clientDir = f & TcpFlag.ACK ? ((1 - first.dir) as Dir) : first.dir;
    // Without the handshake, the side on the higher (ephemeral) port is taken for the client.
    else st.clientDir = conn.a.port >= conn.b.port ? 0 : 1;
    if (conn.a.port === DNS_PORT || conn.b.port === DNS_PORT) this.decide(st, Mode.Dns);
    this.states[conn.stream] = st;
    this.reassembler.onConnection(conn, first);
  }

  onSegment(conn: TcpConnection, seg: TcpSegment): boolean | void {
    const tcp = seg.tcp;
    const st = this.states[conn.stream];
    // Not decoded (tcpStreams), given up on (Mode.None), or over in both directions: nothing more
    // of this connection is read, and the analyzer stops handing it over.
    if (!st || st.mode === Mode.None) return false;
    // A pure ACK (a third of a bulk transfer's packets) brings no bytes and declares no hole.
    if (this.reassembler.quietAck(conn, seg)) return;
    const p = seg.packet;
    this.enter(p.frame);
    const off = tcp.payloadOffset;
    this.segOffset = off;
    this.segLength = Math.max(0, Math.min(p.frame.data.length, off + tcp.payloadLength) - off);
    this.inSegment = true;
    this.reassembler.onSegment(conn, seg);
    // tshark shows a segment whose bytes a dissector took (a PDU's part) as bare `tcp`.
    const mode = st.mode;
    if (tcp.payloadLength > 0 && (mode === Mode.Http || mode === Mode.Tls || mode === Mode.Dns)) this.consumed = true;
    // Bytes taken for a PDU that goes on past this segment, nothing completed here (tshark's TCP:
    // a dissector asked for more before it could dissect any of them: packet-tcp.c, desegment_tcp).
    if (this.consumed && this.delivered && this.tlsEvents === null) {
      if (this.tlsRecordBegun) tcp.pduInfo = '';
      else if (this.added.length === 0) tcp.pduInfo = mode === Mode.Http ? this.httpPduInfo(st, seg.dir) : null;
    }
    this.delivered = false;
    this.tlsRecordBegun = false;
    this.flushLayers(p);
    this.inSegment = false;
  }

  // UdpObserver --------------------------------------------------------------------------------

  onDatagram(conv: UdpConversation, dgram: UdpDatagram): void {
    const layers = dgram.packet.layers;
    for (let i = layers.length - 1; i >= 0; i--) {
      const l = layers[i]!;
      if (l instanceof DnsLayer) {
        this.enter(dgram.packet.frame);
        const tx = this.dnsTx.onMessage(l, dgram.packet.frame.number, dgram.packet.frame, conv.key);
        layers[i] = dnsWithTransaction(l, tx);
        this.dnsMessage(l, tx, conv.stream, 'udp', dgram.dir === 0 ? 'c2s' : 's2c');
        return;
      }
      if (l instanceof QuicLayer) {
        this.enter(dgram.packet.frame);
        // A direction label is all QuicFlows needs; dir 0 (the first sender) serves as one.
        this.quic.onDatagram(l, conv.key, dgram.dir === 0);
        if (this.onMessage) this.quicMessage(l, conv, dgram);
        return;
      }
    }
  }

  finish(): void {
    // What the reassembler still delivers or reports now (held data, holes, stream ends) is dated
    // by each connection's last packet (atCaptureEnd).
    this.finishing = true;
    this.reassembler.finish();
    this.finishing = false;
    this.curFrame = -1;
    this.added = NO_LAYERS;
    this.httpGroup = NO_HTTP_LAYERS;
    this.endCall();
    this.consumed = false;
    this.tlsEvents = null;
  }

  // StreamHandler ------------------------------------------------------------------------------

  onData(conn: TcpConnection, dir: Dir, bytes: Uint8Array): void {
    const st = this.states[conn.stream];
    if (!st) return;
    if (this.inSegment) this.delivered = true;
    if (this.finishing) this.atCaptureEnd(conn);
    // Recognition happens only at a stream's start: kept out of this function so its one-off
    // shapes (sniff chunks) do not deoptimise the path every later segment takes.
    if (st.mode === Mode.Undecided) this.undecided(st, dir, bytes);
    else this.feed(st, dir, bytes);
  }

  onDataAt(conn: TcpConnection, dir: Dir, data: Uint8Array, start: number, end: number): void {
    const st = this.states[conn.stream];
    if (!st) return;
    if (this.inSegment) this.delivered = true;
    // Most segments of an HTTP connection are body bytes nobody here reads: counted, no view made.
    if (st.mode === Mode.Http && this.sinkOf(st, dir).skipBody(end - start, this.curFrame, this.curTime)) return;
    this.onData(conn, dir, data.subarray(start, end));
  }

  onGap(conn: TcpConnection, dir: Dir, gap: StreamGap): void {
    const st = this.states[conn.stream];
    if (!st) return;
    if (this.finishing) this.atCaptureEnd(conn);
    if (st.mode === Mode.Undecided) {
      // What came before the hole cannot be read; what follows it may start a message (the capture
      // began mid-connection, or missed a segment), as tshark tries too. A second hole gives up.
      if (st.gaps++ > 0) this.decide(st, Mode.None);
      else if (st.sniff) {
        st.sniff = st.sniff.filter((c) => c.dir !== dir);
        st.sniffBytes = st.sniff.reduce((n, c) => n + c.bytes.length, 0);
        if (st.sniff.length === 0) st.sniff = null;
      }
      return;
    }
    if (st.mode === Mode.Http) this.sinkOf(st, dir).gap(gap.length);
    // Length-prefixed framings cannot find their next boundary after a gap: stop this stream.
    else if (st.mode === Mode.Dns || st.mode === Mode.Tls) this.decide(st, Mode.None);
  }

  onEnd(conn: TcpConnection, dir: Dir, _reason: EndReason): void {
    const st = this.states[conn.stream];
    if (!st) return;
    if (this.finishing) this.atCaptureEnd(conn);
    if (st.mode === Mode.Undecided && st.sniff) this.sniff(st, dir, true);
    if (st.mode === Mode.Http) this.sinkOf(st, dir).end();
    // Both directions over: the reassembler delivers nothing more, so the parsers (and what they
    // hold) can go; a long capture would otherwise keep one per connection it ever saw.
    st.ended |= 1 << dir;
    if (st.ended === 3 && this.states[conn.stream] === st) this.states[conn.stream] = undefined;
  }

  // Recognition and feeding --------------------------------------------------------------------

  /** Bytes of a stream not recognised yet: decided on at once when there are enough, else held. */
  private undecided(st: ConnState, dir: Dir, bytes: Uint8Array): void {
    if (st.sniff === null && bytes.length >= SNIFF_BYTES) {
      // Enough to decide on at once (recognise always does with this many): nothing to hold.
      this.decide(st, this.recognise(st, dir, bytes, false));
      this.feed(st, dir, bytes);
      return;
    }
    (st.sniff ??= []).push({ dir, bytes: bytes.slice() });
    st.sniffBytes += bytes.length;
    this.sniff(st, dir);
  }

  private sniff(st: ConnState, dir: Dir, final = false): void {
    const chunks = st.sniff!;
    const firstDir = chunks[0]!.dir;
    const head = chunks.filter((c) => c.dir === firstDir).map((c) => c.bytes);
    const joined = head.length === 1 ? head[0]! : concatBytes(head);
    const mode = this.recognise(st, firstDir, joined, final);
    if (mode !== Mode.Undecided) this.decide(st, mode);
  }

  /**
   * What a stream whose first bytes, sent by `dir`, are `first` carries (setting its client side
   * for HTTP); Undecided while too few bytes have come to tell.
   */
  private recognise(st: ConnState, dir: Dir, first: Uint8Array, final: boolean): Mode {
    if (looksLikeTlsRecord(first, 0, first.length)) return Mode.Tls;
    const h = looksLikeHttp(first);
    if (h) {
      st.clientDir = h === 'request' ? dir : ((1 - dir) as Dir);
      return Mode.Http;
    }
    return first.length < SNIFF_BYTES && st.sniffBytes < SNIFF_LIMIT && !final && couldBeHttp(first) ? Mode.Undecided : Mode.None;
  }

  private decide(st: ConnState, mode: Mode): void {
    st.mode = mode;
    const held = st.sniff;
    st.sniff = null;
    st.sniffBytes = 0;
    if (mode === Mode.Http) {
      const http = new HttpConnection(new HttpEvents(this, st), this.httpOptions);
      st.http = http;
      st.sink0 = st.clientDir === 0 ? http.client : http.server;
      st.sink1 = st.clientDir === 0 ? http.server : http.client;
    } else if (mode === Mode.Tls) st.tls = new TlsConnection();
    else if (mode === Mode.Dns) st.dns = [new DnsTcpFramer(), new DnsTcpFramer()];
    else {
      st.http = undefined;
      st.sink0 = st.sink1 = undefined;
      st.tls = undefined;
      st.dns = undefined;
      // Nothing of this stream will be read: neither the reassembler nor this stage need keep its
      // state (or held out-of-order copies) until the capture ends.
      this.reassembler.forget(st.conn.stream);
      if (this.states[st.conn.stream] === st) this.states[st.conn.stream] = undefined;
      return;
    }
    if (held) for (const c of held) this.feed(st, c.dir, c.bytes);
  }

  private sinkOf(st: ConnState, dir: Dir): HttpSink {
    return dir === 0 ? st.sink0! : st.sink1!;
  }

  private feed(st: ConnState, dir: Dir, bytes: Uint8Array): void {
    if (st.mode === Mode.Http) {
      this.sinkOf(st, dir).push(bytes, this.curFrame, this.curTime);
    } else if (st.mode === Mode.Tls) {
      const tls = st.tls!;
      const d = st.dirName(dir);
      const recordStarts = tls.buffered(d) === 0;
      const events = tls.push(d, bytes);
      if (events.length) this.tlsRecords(st, events);
      // A record begun here and finished later: tshark's TLS dissector saw its header here and
      // asked for the rest, so the frame lists `tls` ("[TCP segment of a reassembled PDU]").
      else if (recordStarts && tls.buffered(d) > 0) {
        this.addPayload('tls', 0);
        this.tlsRecordBegun = this.inSegment;
      }
    } else if (st.mode === Mode.Dns) {
      for (const m of st.dns![dir].push(bytes)) {
        // The framer's message is a view that follows its 2-byte length in the same buffer.
        const whole = new Uint8Array(m.message.buffer, m.message.byteOffset - 2, m.message.length + 2);
        const layer = dissectDnsMessage(whole, { offset: 0, end: whole.length, reportedEnd: whole.length }, true);
        // At the capture end (a message completed by the flush) the last packet's time stands.
        const tx = this.dnsTx.onMessage(layer, this.curFrame, { tsSec: this.curSec, tsNsec: this.curNsec }, st.conn.key);
        if (this.inSegment) this.addLayer(dnsWithTransaction(layer, tx, this.payloadOffset(), this.payloadLength()));
        this.dnsMessage(layer, tx, st.conn.stream, 'tcp', st.dirName(dir));
      }
    }
  }

  // Layers -------------------------------------------------------------------------------------

  /** Where the current segment's payload starts in its frame: app layers sit on it. */
  private payloadOffset(): number {
    return this.inSegment ? this.segOffset : 0;
  }

  /** The current segment's captured payload length. */
  private payloadLength(): number {
    return this.inSegment ? this.segLength : 0;
  }

  /**
   * The http layer of the dissector call that a PDU beginning in `firstFrame` belongs to: a PDU
   * reassembled from earlier segments has a call of its own, the PDUs beginning in this segment
   * share one (HttpAppLayer).
   */
  private httpCall(firstFrame: number, headersFrame = -1): HttpAppLayer {
    // tshark's TCP hands a PDU whose length was known from earlier segments (its headers were
    // complete) to the dissector alone; one whose headers were not went on with the whole of this
    // segment (DESEGMENT_ONE_MORE_SEGMENT), so the PDUs after it share its call.
    const alone = firstFrame !== this.curFrame && headersFrame !== this.curFrame;
    let l = this.callHttp;
    if (l === undefined || alone || this.callReassembled) {
      l = new HttpAppLayer(this.payloadOffset(), this.payloadLength());
      this.httpGroup = appended(this.httpGroup, l);
      l.group = this.httpGroup;
      this.addLayer(l);
      this.callHttp = l;
      this.callWs = undefined;
      this.callReassembled = alone;
    }
    return l;
  }

  private endCall(): void {
    this.callHttp = undefined;
    this.callWs = undefined;
    this.callReassembled = false;
  }

  /** A layer the current segment completed, after those before it. */
  private addLayer(layer: Layer): void {
    this.added = appended(this.added, layer);
  }

  /** A payload layer after the current call's layers (nothing at the capture end). */
  private addPayload(proto: string, bytes: number): void {
    if (this.inSegment) this.addLayer(new PayloadLayer(proto, this.payloadOffset(), this.payloadLength(), bytes));
  }

  private flushLayers(p: Packet): void {
    if (this.tlsEvents) {
      this.addLayer(new TlsAppLayer(this.payloadOffset(), this.payloadLength(), this.tlsEvents, this.tls13Now));
      this.tlsEvents = null;
    }
    if (this.added.length || this.consumed) {
      const ls = p.layers;
      // The payload is now the application protocol's (tshark shows no `data` for it).
      if (ls.length && ls[ls.length - 1]!.proto === 'data') ls.pop();
      const added = this.added;
      for (let i = 0; i < added.length; i++) ls.push(added[i]!);
    }
    // Let go (the packet has them), not emptied: the next segment's first layer makes a new list.
    if (this.added.length) this.added = NO_LAYERS;
    this.consumed = false;
    if (this.httpGroup.length) this.httpGroup = NO_HTTP_LAYERS;
    if (this.callHttp) this.endCall();
  }

  private tlsRecords(st: ConnState, events: TlsRecordEvent[]): void {
    if (this.inSegment) {
      (this.tlsEvents ??= []).push(...events);
      this.tls13Now = st.tls!.tls13;
    }
    if (!this.onMessage && !this.onRecord) return;
    for (const ev of events) {
      const alert = tlsAlert(ev);
      if (alert) {
        if (this.onRecord) this.record({ kind: 'tls-alert', ...alert, dir: ev.dir }, this.curFrame);
        if (this.onMessage) {
          const names = tlsAlertText(alert);
          this.emit('tls', st.conn.stream, 'tcp', ev.dir, { kind: 'alert', level: alert.level, level_name: names.level, description: alert.description, description_name: names.description }, this.curFrame, this.curTime);
        }
      }
      for (const h of ev.handshakes) {
        if (h.type !== HandshakeType.ClientHello && h.type !== HandshakeType.ServerHello) continue;
        if (this.onRecord) this.record({ kind: 'tls-hello', hello: h, dir: ev.dir }, this.curFrame);
        if (!this.onMessage) continue;
        const s = h.summary;
        const m: Partial<AppMessage> = {
          kind: h.type === HandshakeType.ClientHello ? 'client_hello' : 'server_hello',
          sni: s?.sni ?? null,
          alpn: s?.alpn ?? [],
          versions: (s?.versions ?? []).map(tlsVersionText),
        };
        if (h.server) m['cipher'] = cipherSuiteText(h.server.cipherSuite);
        else if (h.client) m['ciphers'] = h.client.cipherSuites.length;
        // JA3 of a ClientHello, JA3S of a ServerHello (tls.handshake.ja3 / ja3s).
        const fp = helloFingerprint(h);
        if (fp) m[h.client ? 'ja3' : 'ja3s'] = fp.hash;
        if (h.problem) m['error'] = h.problem.code;
        this.emit('tls', st.conn.stream, 'tcp', ev.dir, m, this.curFrame, this.curTime);
      }
    }
  }

  private emit(proto: AppProto, stream: number, transport: 'tcp' | 'udp', dir: Direction, rest: Partial<AppMessage>, frame: number, time: number): void {
    // A parser that has seen no bytes in a direction dates what it reports there (a loss before
    // anything came) as frame 0, none (frames count from 1): it is the current packet's.
    const seen = frame > 0;
    // Head keys first (the JSON contract's order), then the kind's, accessors kept live.
    const m = { frame: seen ? frame : this.curFrame, time: round9(seen ? time : this.curTime), stream, transport, proto, kind: rest.kind!, dir } as AppMessage;
    Object.defineProperties(m, Object.getOwnPropertyDescriptors(rest));
    this.onMessage!(m);
  }

  /**
   * Hands a parser's record to onRecord, with its frame (emit's rule for a frame the parser never
   * saw). Callers check for onRecord first: stats has none, and makes no record objects.
   */
  private record(r: AppRecord, frame: number): void {
    this.onRecord!(r, frame > 0 ? frame : this.curFrame);
  }

  private dnsMessage(layer: DnsLayer, tx: DnsTransactionInfo, stream: number, transport: 'tcp' | 'udp', dir: Direction): void {
    if (transport === 'tcp' && this.onRecord) this.record({ kind: 'dns', layer, tx }, this.curFrame);
    if (!this.onMessage) return;
    const resp = layer.isResponse;
    const m: Partial<AppMessage> = { kind: resp ? 'response' : 'query', id: layer.id };
    let name: string | null = null;
    let type: string | null = null;
    const answers: string[] = [];
    for (const f of layer.fields()) {
      if (f.name === 'dns.qry.name' && name === null) name = String(f.value);
      else if (f.name === 'dns.qry.type' && type === null) type = dnsTypeName(Number(f.value));
      else if ((f.name === 'dns.a' || f.name === 'dns.aaaa' || f.name === 'dns.cname') && answers.length < layer.answerCount) answers.push(String(f.value));
    }
    m['name'] = name;
    m['type'] = type;
    if (!resp) Object.defineProperty(m, 'response_frame', { enumerable: true, get: () => tx.responseIn ?? null });
    if (resp) {
      m['rcode'] = layer.rcode;
      m['answers'] = answers;
      m['latency'] = tx.time ?? null;
      m['query_frame'] = tx.responseTo ?? null;
    }
    // A repeated copy (dns.retransmit_request_in / _response_in): part of the first copy's transaction.
    const first = tx.retransmitOf ?? tx.responseRetransmitOf;
    if (first !== undefined) m['retransmission_of'] = first;
    if (layer.problem) m['error'] = layer.problem.code;
    this.emit('dns', stream, transport, dir, m, this.curFrame, this.curTime);
  }

  private quicMessage(l: QuicLayer, conv: UdpConversation, dgram: UdpDatagram): void {
    const pk = l.packets[0];
    if (!pk) return;
    const m: Partial<AppMessage> = { kind: pk.type, packets: l.packets.length };
    if (pk.version !== undefined) m['version'] = pk.version;
    const dcid = l.dcid(pk);
    const scid = l.scid(pk);
    if (dcid !== undefined) m['dcid'] = dcid;
    if (scid !== undefined) m['scid'] = scid;
    if (l.problem) m['error'] = l.problem.code;
    this.emit('quic', conv.stream, 'udp', dgram.dir === 0 ? 'c2s' : 's2c', m, this.curFrame, this.curTime);
  }

  /**
   * The Info tshark's HTTP dissector leaves on a segment of a message it has not finished: the
   * start line once it has read the headers, there and, for a body of unknown length (chunked, or
   * ending with the connection) that it dissects again as each segment comes, on every segment
   * after; nothing on the middle of a body of known length, which it does not look at.
   */
  private httpPduInfo(st: ConnState, dir: Dir): string | null {
    const sink = this.sinkOf(st, dir);
    if (sink.inKnownBodyAfter(this.curFrame)) return null;
    const m = sink.inBody();
    if (m === undefined) return null;
    return m.kind === 'request' ? `${m.method} ${m.uri} ${m.version} ` : `${m.version} ${m.status} ${m.phrase} `;
  }

  // HTTP, WebSocket and SSE events of one connection (through its HttpEvents) -------------------

  /** A message completed by the current segment becomes part of its layers. */
  private httpLayer(m: HttpMessage | HttpMalformed): void {
    if (m.frame !== this.curFrame || !this.inSegment) return;
    this.httpCall(m.firstFrame, 'kind' in m ? m.headersFrame : -1).add(m);
    // The body, as the dissector its media type selects (none for an empty or damaged one).
    if ('kind' in m && m.bodyLen > 0) this.addPayload(bodyProtocol(m.contentType), m.bodyLen);
  }

  /** @internal HttpEvents */
  httpRequest(st: ConnState, q: HttpRequest): void {
    this.httpLayer(q);
    if (this.onRecord) this.record({ kind: 'http', msg: q }, q.frame);
    if (!this.onMessage) return;
    const m: Partial<AppMessage> = { kind: 'request', method: q.method, uri: q.uri, version: q.version, headers: q.headers.map((h) => [h.name, h.value]), body_len: q.bodyLen };
    if (q.lastEventId !== undefined) {
      m['last_event_id'] = q.lastEventId;
      m['resumes_frame'] = this.sseIds.get(`${serverKey(st)}|${q.lastEventId}`) ?? null;
    }
    if (q.problem) m['error'] = q.problem.code;
    // Known once the response completes: read when the message is printed.
    Object.defineProperty(m, 'response_frame', { enumerable: true, get: () => q.responseFrame ?? null });
    this.emit('http', st.conn.stream, 'tcp', 'c2s', m, q.frame, q.time);
  }

  /** @internal HttpEvents */
  httpResponse(st: ConnState, r: HttpResponse): void {
    // An event stream's headers were shown when they came (httpHeaders); its end adds nothing.
    if (!(r.status >= 200 && r.status < 300 && isSse(r))) this.httpLayer(r);
    if (this.onRecord) this.record({ kind: 'http', msg: r }, r.frame);
    if (!this.onMessage) return;
    const m: Partial<AppMessage> = {
      kind: 'response',
      status: r.status,
      phrase: r.phrase,
      content_type: r.contentType ?? null,
      body_len: r.bodyLen,
      request_frame: r.requestFrame ?? null,
      latency: r.latency !== undefined ? round9(r.latency) : null,
    };
    if (r.problem) m['error'] = r.problem.code;
    this.emit('http', st.conn.stream, 'tcp', 's2c', m, r.frame, r.time);
  }

  /** @internal HttpEvents */
  httpHeaders(msg: HttpMessage): void {
    if (msg.kind === 'response' && msg.status >= 200 && msg.status < 300 && isSse(msg)) {
      if (msg.headersFrame === this.curFrame && this.inSegment) this.httpCall(msg.firstFrame, msg.headersFrame).add(msg);
    }
  }

  /** @internal HttpEvents */
  httpMalformed(st: ConnState, x: HttpMalformed): void {
    this.httpLayer(x);
    if (this.onMessage) this.emit('http', st.conn.stream, 'tcp', x.dir, { kind: 'malformed', error: x.problem.code, message: x.problem.message, bytes: x.bytes }, x.frame, x.time);
  }

  /** @internal HttpEvents */
  httpUpgrade(st: ConnState, u: HttpUpgrade): void {
    if (this.onRecord) this.record({ kind: 'http-upgrade', upgrade: u }, u.frame);
    if (this.onMessage && u.websocket) {
      const ws = u.websocket;
      this.emit('websocket', st.conn.stream, 'tcp', 's2c', { kind: 'handshake', accept_valid: ws.acceptValid, deflate: !!ws.deflate, subprotocol: ws.subprotocol ?? null }, u.frame, u.time);
    }
  }

  /** @internal HttpEvents */
  wsFrame(st: ConnState, f: WsFrame): void {
    (st.wsMasked ??= [false, false])[f.dir === 'c2s' ? 0 : 1] = f.masked;
    if (f.frame === this.curFrame && this.inSegment) {
      // tshark runs WebSocket under HTTP: each call is `http:websocket` and its payloads.
      const call = this.httpCall(f.firstFrame);
      if (this.callWs === undefined) {
        this.callWs = new WebSocketAppLayer(call.offset, call.length);
        this.addLayer(this.callWs);
      }
      this.callWs.add(f);
      if (f.continued !== undefined) this.callWs.note({ continued: f.continued });
    }
    if (this.onMessage) {
      const m: Partial<AppMessage> = { kind: 'frame', opcode: f.opcode, fin: f.fin, masked: f.masked, payload_len: f.payloadLength };
      if (f.problem) m['error'] = f.problem.code;
      this.emit('websocket', st.conn.stream, 'tcp', f.dir, m, f.frame, f.time);
    }
  }

  /** @internal HttpEvents */
  wsMessage(st: ConnState, w: WsMessage): void {
    // A data message's payload, text as lines and binary as data (tshark 4.0's websocket).
    if (w.frame === this.curFrame && w.wireBytes > 0) this.addPayload(w.opcode === WsOpcode.TEXT ? 'data-text-lines' : 'data', w.wireBytes);
    // tshark 4.0 shows a message on the frame that completes it: its text, and for one that came in
    // fragments, the frames that carried them.
    const note: WsPayloadNote = {};
    if (w.opcode === WsOpcode.TEXT && w.text !== undefined) note.text = w.text;
    if (w.frames > 1) note.fragments = { frames: w.fragmentFrames, bytes: w.wireBytes };
    if (note.text !== undefined || note.fragments !== undefined) this.wsNote(w.frame, note);
    if (this.onRecord) this.record({ kind: 'ws-message', msg: w, masked: st.wsMasked?.[w.dir === 'c2s' ? 0 : 1] ?? false }, w.frame);
    if (!this.onMessage) return;
    const m: Partial<AppMessage> = { kind: 'message', opcode: w.opcode, bytes: w.bytes, frames: w.frames };
    if (w.text !== undefined) m['text'] = w.text;
    if (w.compressed) m['compressed'] = true;
    if (w.problem) m['error'] = w.problem.code;
    this.emit('websocket', st.conn.stream, 'tcp', w.dir, m, w.frame, w.time);
  }

  /** @internal HttpEvents */
  wsClose(st: ConnState, c: WsClose): void {
    if (c.closeCode !== undefined) this.wsNote(c.frame, { closeCode: c.closeCode, ...(c.closeReason ? { closeReason: c.closeReason } : {}) });
    if (this.onRecord) this.record({ kind: 'ws-close', close: c, masked: st.wsMasked?.[c.dir === 'c2s' ? 0 : 1] ?? false }, c.frame);
    if (!this.onMessage) return;
    const m: Partial<AppMessage> = { kind: 'close', payload_len: c.payloadLength, close_code: c.closeCode ?? null, close_reason: c.closeReason ?? null };
    if (c.problem) m['error'] = c.problem.code;
    this.emit('websocket', st.conn.stream, 'tcp', c.dir, m, c.frame, c.time);
  }

  /** @internal HttpEvents */
  wsPing(st: ConnState, p: WsPing): void {
    this.wsNote(p.frame, { ping: p.payload });
    if (this.onRecord) this.record({ kind: 'ws-ping', ping: p }, p.frame);
    if (this.onMessage) this.emit('websocket', st.conn.stream, 'tcp', p.dir, { kind: 'ping', payload_len: p.payload.length }, p.frame, p.time);
  }

  /** @internal HttpEvents */
  wsPong(st: ConnState, p: WsPong): void {
    this.wsNote(p.frame, { pong: p.payload });
    if (this.onRecord) this.record({ kind: 'ws-pong', pong: p }, p.frame);
    if (this.onMessage) this.emit('websocket', st.conn.stream, 'tcp', p.dir, { kind: 'pong', payload_len: p.payload.length, ping_frame: p.pingFrame ?? null, latency: p.pingTime !== undefined ? round9(p.time - p.pingTime) : null }, p.frame, p.time);
  }

  /** What the WebSocket frame just added to this segment's layer carried (reported right after it). */
  private wsNote(frame: number, n: WsPayloadNote): void {
    if (frame === this.curFrame && this.inSegment) this.callWs?.note(n);
  }

  /** @internal HttpEvents */
  wsLostSync(st: ConnState, dir: Direction, problem: ProtocolProblem, frame: number, time: number): void {
    if (this.onMessage) this.emit('websocket', st.conn.stream, 'tcp', dir, { kind: 'lost_sync', error: problem.code, message: problem.message }, frame, time);
  }

  /** @internal HttpEvents */
  sseEvent(st: ConnState, e: SseEvent): void {
    if (this.onRecord) this.record({ kind: 'sse', event: e }, e.frame);
    // Only `messages` reads these (resumes_frame): without a listener they would grow for nothing.
    if (!this.onMessage) return;
    if (e.id !== '') this.sseIds.set(`${serverKey(st)}|${e.id}`, e.frame);
    const m: Partial<AppMessage> = { kind: 'event', event: e.event, id: e.id, data: e.data };
    if (e.retry !== undefined) m['retry'] = e.retry;
    if (e.problem) m['error'] = e.problem.code;
    this.emit('sse', st.conn.stream, 'tcp', 's2c', m, e.frame, e.time);
  }
}

/**
 * One HTTP connection's handler: the stage's methods, given the connection's state. A class with
 * two fields rather than an object of closures: a capture has thousands of connections alive at
 * once (each handler outlives many young-generation collections, so its size is copied), and every
 * connection's parser then calls the same functions. No httpBody: bodies are only counted.
 */
class HttpEvents implements HttpConnectionHandler {
  constructor(
    private readonly stage: AppStage,
    private readonly st: ConnState,
  ) {}
  httpRequest(q: HttpRequest): void {
    this.stage.httpRequest(this.st, q);
  }
  httpResponse(r: HttpResponse): void {
    this.stage.httpResponse(this.st, r);
  }
  httpHeaders(msg: HttpMessage): void {
    this.stage.httpHeaders(msg);
  }
  httpMalformed(x: HttpMalformed): void {
    this.stage.httpMalformed(this.st, x);
  }
  httpUpgrade(u: HttpUpgrade): void {
    this.stage.httpUpgrade(this.st, u);
  }
  wsFrame(f: WsFrame): void {
    this.stage.wsFrame(this.st, f);
  }
  wsMessage(w: WsMessage): void {
    this.stage.wsMessage(this.st, w);
  }
  wsClose(c: WsClose): void {
    this.stage.wsClose(this.st, c);
  }
  wsPing(p: WsPing): void {
    this.stage.wsPing(this.st, p);
  }
  wsPong(p: WsPong): void {
    this.stage.wsPong(this.st, p);
  }
  wsLostSync(dir: Direction, problem: ProtocolProblem, frame: number, time: number): void {
    this.stage.wsLostSync(this.st, dir, problem, frame, time);
  }
  sseEvent(e: SseEvent): void {
    this.stage.sseEvent(this.st, e);
  }
}

/** The server's address and port, naming its SSE event ids across connections. */
function serverKey(st: ConnState): string {
  const s = st.clientDir === 0 ? st.conn.b : st.conn.a;
  return `${s.address}|${s.port}`;
}

function isSse(m: HttpMessage): boolean {
  const ct = m.contentType;
  if (ct === undefined) return false;
  // The media type before any parameters; asked twice per response, so no array from split().
  const semi = ct.indexOf(';');
  const type = (semi < 0 ? ct : ct.slice(0, semi)).trim();
  return type.length === 17 && type.toLowerCase() === 'text/event-stream';
}

/** Few bytes that are a prefix of something looksLikeHttp would accept. */
function couldBeHttp(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    // Upper-case letters, '/', '.', digits: methods and "HTTP/1.".
    if (!((c >= 0x41 && c <= 0x5a) || c === 0x2f || c === 0x2e || (c >= 0x30 && c <= 0x39) || c === 0x20)) return false;
  }
  return true;
}

const NO_RECORDS: readonly AppRecord[] = [];

/**
 * Collects the stage's records for views that go packet by packet: `onRecord` goes to the stage,
 * take() after each analyze() gives what that packet completed, and after the analyzer's finish()
 * takeLate() gives what only the capture's end completed, by the frame each belongs to.
 */
export class AppRecordTap {
  private pending: AppRecord[] = [];
  private frames: number[] = [];
  readonly onRecord = (r: AppRecord, frame: number): void => {
    this.pending.push(r);
    this.frames.push(frame);
  };

  /** The records since the last take (those the packet just analysed completed). */
  take(): readonly AppRecord[] {
    if (this.pending.length === 0) return NO_RECORDS;
    const out = this.pending;
    this.pending = [];
    this.frames = [];
    return out;
  }

  /** The records since the last take, by frame in frame order. */
  takeLate(): [number, AppRecord[]][] {
    const byFrame = new Map<number, AppRecord[]>();
    for (let i = 0; i < this.pending.length; i++) {
      const f = this.frames[i]!;
      const l = byFrame.get(f);
      if (l) l.push(this.pending[i]!);
      else byFrame.set(f, [this.pending[i]!]);
    }
    this.pending = [];
    this.frames = [];
    return [...byFrame].sort((a, b) => a[0] - b[0]);
  }
}

/** Whether a display filter reads an http.* field (the stage must then keep every header: allHeaders). */
export function readsHttpFields(filter: { readonly fields: readonly string[] } | undefined): boolean {
  return filter !== undefined && filter.fields.some((f) => f.startsWith('http.'));
}

/** Whether a display filter reads a body's bytes, http.file_data or http.chunk_data (the stage must then keep bodies: `bodies`). */
export function readsHttpBodies(filter: { readonly fields: readonly string[] } | undefined): boolean {
  return filter !== undefined && (filter.fields.includes('http.file_data') || filter.fields.includes('http.chunk_data'));
}

/** Analyzer options with the application stage installed (plus any other observers given). */
export function appAnalyzerOptions(stage: AppStage = new AppStage(), base: AnalyzerOptions = {}): AnalyzerOptions {
  return {
    ...base,
    tcpObservers: [...(base.tcpObservers ?? []), stage],
    udpObservers: [...(base.udpObservers ?? []), stage],
  };
}

/** The app protocols a display filter can name that only this stage produces on packets. */
export const APP_STAGE_PROTOCOLS: ReadonlySet<string> = new Set(['http', 'websocket', 'tls', 'dns', 'quic']);

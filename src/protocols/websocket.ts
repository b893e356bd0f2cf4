/**
 * WebSocket (RFC 6455) after the opening handshake: a frame receiver per direction, fed with the
 * bytes that follow the HTTP 101 response (server) and the Upgrade request (client) in any split.
 *
 * Invariants: frames are self-delimiting, so a frame that breaks a rule (§5.2 reserved bits, §5.5
 * control-frame limits, §5.4 fragmentation order, §5.1 masking direction) is reported with a problem
 * and parsing goes on; only missing bytes inside a frame header lose the framing, after which the
 * direction's bytes are reported raw. Message bytes are kept up to a bound (copied once, unmasked);
 * permessage-deflate messages (RFC 7692) are inflated with the 32 KiB window carried between
 * messages as a preset dictionary unless the handshake negotiated no_context_takeover.
 */
import { createHash } from 'node:crypto';
import { constants as zconst, inflateRawSync } from 'node:zlib';
import { BoundedBuffer, type Direction, type MessageSpan, type ProtocolProblem, type StreamSink } from './stream.js';

export const WsOpcode = {
  CONTINUATION: 0x0,
  TEXT: 0x1,
  BINARY: 0x2,
  CLOSE: 0x8,
  PING: 0x9,
  PONG: 0xa,
} as const;

export const WL_WS_RSV = 'WL_WS_RSV';
export const WL_WS_OPCODE = 'WL_WS_OPCODE';
export const WL_WS_CONTROL_FRAME = 'WL_WS_CONTROL_FRAME';
export const WL_WS_FRAGMENTATION = 'WL_WS_FRAGMENTATION';
export const WL_WS_MASK = 'WL_WS_MASK';
export const WL_WS_LENGTH = 'WL_WS_LENGTH';
export const WL_WS_INVALID_UTF8 = 'WL_WS_INVALID_UTF8';
export const WL_WS_CLOSE_PAYLOAD = 'WL_WS_CLOSE_PAYLOAD';
export const WL_WS_AFTER_CLOSE = 'WL_WS_AFTER_CLOSE';
export const WL_WS_MESSAGE_TOO_LARGE = 'WL_WS_MESSAGE_TOO_LARGE';
export const WL_WS_DECOMPRESSED_TOO_LARGE = 'WL_WS_DECOMPRESSED_TOO_LARGE';
export const WL_WS_DECOMPRESS_FAILED = 'WL_WS_DECOMPRESS_FAILED';
export const WL_WS_GAP = 'WL_WS_GAP';
export const WL_WS_LOST_SYNC = 'WL_WS_LOST_SYNC';

/** RFC 6455 §1.3: the GUID appended to the client's key before hashing. */
const HANDSHAKE_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** The Sec-WebSocket-Accept value a server must answer to a Sec-WebSocket-Key (§4.2.2 step 5.4). */
export function websocketAccept(key: string): string {
  return createHash('sha1').update(key.trim() + HANDSHAKE_GUID).digest('base64');
}

/** One offered or accepted extension of Sec-WebSocket-Extensions (§9.1), parameters as given. */
export interface WsExtension {
  name: string;
  params: Record<string, string | true>;
}

/** Parses Sec-WebSocket-Extensions: comma-separated extensions, each with ';'-separated params. */
export function parseExtensions(header: string): WsExtension[] {
  const out: WsExtension[] = [];
  for (const item of header.split(',')) {
    const parts = item.split(';').map((p) => p.trim());
    const name = parts[0]?.toLowerCase() ?? '';
    if (name === '') continue;
    const params: Record<string, string | true> = {};
    for (const p of parts.slice(1)) {
      if (p === '') continue;
      const eq = p.indexOf('=');
      if (eq < 0) params[p.toLowerCase()] = true;
      else params[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    }
    out.push({ name, params });
  }
  return out;
}

/** What the server accepted of permessage-deflate (RFC 7692 §7.1). */
export interface PerMessageDeflate {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits?: number;
  clientMaxWindowBits?: number;
}

/** permessage-deflate as accepted in the server's Sec-WebSocket-Extensions, or undefined. */
export function acceptedDeflate(serverExtensions: string | undefined): PerMessageDeflate | undefined {
  if (serverExtensions === undefined) return undefined;
  const ext = parseExtensions(serverExtensions).find((e) => e.name === 'permessage-deflate');
  if (!ext) return undefined;
  const bits = (v: string | true | undefined): number | undefined => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined);
  return {
    serverNoContextTakeover: ext.params['server_no_context_takeover'] !== undefined,
    clientNoContextTakeover: ext.params['client_no_context_takeover'] !== undefined,
    ...(bits(ext.params['server_max_window_bits']) !== undefined ? { serverMaxWindowBits: bits(ext.params['server_max_window_bits']) } : {}),
    ...(bits(ext.params['client_max_window_bits']) !== undefined ? { clientMaxWindowBits: bits(ext.params['client_max_window_bits']) } : {}),
  };
}

export interface WsFrame extends MessageSpan {
  dir: Direction;
  fin: boolean;
  /** The three reserved bits as tshark's websocket.rsv (RSV1 = 4). */
  rsv: number;
  /** RSV1 on a message's first frame when permessage-deflate is on (websocket.pmc). */
  compressed: boolean;
  opcode: number;
  masked: boolean;
  maskingKey?: number;
  /** The 7-bit length field (websocket.payload_length): the length, or 126 / 127 for the extended forms. */
  lengthCode: number;
  /** The real payload length (websocket.payload_length_ext_16/64 when lengthCode is 126/127). */
  payloadLength: number;
  headerLength: number;
  /** Payload bytes never seen (a gap). */
  missing: number;
  /**
   * A continuation frame that is not its message's last: its payload, unmasked (as kept, within
   * the message size bound). tshark shows it as websocket.payload.continue; the last frame shows
   * the whole message instead.
   */
  continued?: Uint8Array;
  problem?: ProtocolProblem;
}

export interface WsMessage extends MessageSpan {
  dir: Direction;
  opcode: number;
  /** The text of a text message (decoded with replacement when it is not valid UTF-8). */
  text?: string;
  /** The message bytes (unmasked, inflated), at most the size bound. */
  data: Uint8Array;
  /** Message size after inflation (may exceed data.length when the bound was hit). */
  bytes: number;
  /** Payload bytes on the wire over all its frames. */
  wireBytes: number;
  frames: number;
  /** The frame that completed each of its WebSocket frames, in order (RFC 6455 §5.4 fragments). */
  fragmentFrames: number[];
  compressed: boolean;
  problem?: ProtocolProblem;
}

export interface WsClose {
  dir: Direction;
  /** The Close frame's payload length (code and reason; 0 for a bare Close). */
  payloadLength: number;
  closeCode?: number;
  closeReason?: string;
  frame: number;
  time: number;
  problem?: ProtocolProblem;
}

export interface WsPing {
  dir: Direction;
  payload: Uint8Array;
  frame: number;
  time: number;
}

export interface WsPong extends WsPing {
  /** The ping this pong answers (same application data, other direction, §5.5.3). */
  pingFrame?: number;
  pingTime?: number;
}

export interface WebSocketHandler {
  wsFrame?(f: WsFrame): void;
  wsMessage?(m: WsMessage): void;
  wsClose?(c: WsClose): void;
  wsPing?(p: WsPing): void;
  wsPong?(p: WsPong): void;
  /** The framing of a direction was lost (bytes missing outside a payload, an unusable length); wsRaw follows. */
  wsLostSync?(dir: Direction, problem: ProtocolProblem, frame: number, time: number): void;
  /** Bytes of a direction whose framing was lost. */
  wsRaw?(dir: Direction, bytes: Uint8Array, frame: number, time: number): void;
}

export interface WebSocketOptions {
  deflate?: PerMessageDeflate;
  /** Most bytes kept per message, before and after inflation (default 16 MiB). */
  maxMessageSize?: number;
}

const DEFAULT_MAX_MESSAGE = 16 * 1024 * 1024;
const WINDOW = 32 * 1024;
const DEFLATE_TAIL = new Uint8Array([0x00, 0x00, 0xff, 0xff]);
const utf8Fatal = new TextDecoder('utf-8', { fatal: true });
const utf8 = new TextDecoder('utf-8');

/** Both directions of one WebSocket connection; pongs are paired with the other side's pings. */
export class WebSocketConnection {
  readonly client: WebSocketReceiver;
  readonly server: WebSocketReceiver;

  constructor(handler: WebSocketHandler, options: WebSocketOptions = {}) {
    this.client = new WebSocketReceiver('c2s', handler, options);
    this.server = new WebSocketReceiver('s2c', handler, options);
    this.client.peer = this.server;
    this.server.peer = this.client;
  }
}

/**
 * Inflates one direction's messages. Deflate back-references reach at most 32 KiB back (RFC 1951
 * §2.3.1 .. 3.2.5), so with context takeover the last 32 KiB of output, given as a preset
 * dictionary, is all the state a message needs from the ones before it (RFC 7692 §7.2.2).
 */
class Inflater {
  private window = new Uint8Array(0);

  constructor(
    private readonly takeover: boolean,
    private readonly maxOutput: number,
  ) {}

  inflate(compressed: Uint8Array): { out: Uint8Array; problem?: ProtocolProblem } {
    const input = new Uint8Array(compressed.length + 4);
    input.set(compressed);
    // RFC 7692 §7.2.2: the sender removed the empty stored block's 00 00 ff ff; put it back.
    input.set(DEFLATE_TAIL, compressed.length);
    try {
      const out = inflateRawSync(input, {
        finishFlush: zconst.Z_SYNC_FLUSH,
        maxOutputLength: this.maxOutput,
        ...(this.takeover && this.window.length > 0 ? { dictionary: this.window } : {}),
      });
      const bytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
      if (this.takeover) this.remember(bytes);
      return { out: bytes };
    } catch (e) {
      const tooLarge = e instanceof RangeError || (e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
      return {
        out: new Uint8Array(0),
        problem: tooLarge
          ? { code: WL_WS_DECOMPRESSED_TOO_LARGE, message: `message inflates to more than ${this.maxOutput} bytes` }
          : { code: WL_WS_DECOMPRESS_FAILED, message: `permessage-deflate data does not inflate: ${(e as Error).message}` },
      };
    }
  }

  private remember(out: Uint8Array): void {
    if (out.length >= WINDOW) {
      this.window = out.slice(out.length - WINDOW);
      return;
    }
    const keep = Math.min(this.window.length, WINDOW - out.length);
    const w = new Uint8Array(keep + out.length);
    w.set(this.window.subarray(this.window.length - keep));
    w.set(out, keep);
    this.window = w;
  }
}

type State = 'header' | 'payload' | 'lost';

interface PendingPing {
  payload: Uint8Array;
  frame: number;
  time: number;
}

/** One direction's frame parser (RFC 6455 §5.2). */
export class WebSocketReceiver implements StreamSink {
  /** The other direction, whose pings this side's pongs answer. */
  peer?: WebSocketReceiver;
  /** Pings sent in this direction not yet answered. */
  private readonly pings: PendingPing[] = [];

  private state: State = 'header';
  private readonly hdr = new Uint8Array(14);
  private hdrLen = 0;
  private frameFirst = 0;
  private frameFirstTime = 0;
  // Current frame.
  private fin = false;
  private rsv = 0;
  private opcode = 0;
  private masked = false;
  private maskKey = new Uint8Array(4);
  private lengthCode = 0;
  private payloadLength = 0;
  private remaining = 0;
  private payloadPos = 0;
  private missing = 0;
  private frameProblem: ProtocolProblem | undefined;
  private readonly control = new BoundedBuffer(125);
  // Current message (data frames).
  private readonly message: BoundedBuffer;
  private inMessage = false;
  private msgOpcode = 0;
  private msgCompressed = false;
  private msgFrames = 0;
  private msgFragmentFrames: number[] = [];
  /** Where the current data frame's payload starts among the message's bytes. */
  private framePayloadAt = 0;
  private msgMissing = 0;
  private msgProblem: ProtocolProblem | undefined;
  private msgFirst = 0;
  private msgFirstTime = 0;
  private closed = false;

  private frame = 0;
  private time = 0;
  private readonly inflater: Inflater | undefined;
  private readonly maxMessage: number;

  constructor(
    readonly dir: Direction,
    private readonly handler: WebSocketHandler,
    private readonly options: WebSocketOptions,
  ) {
    this.maxMessage = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE;
    this.message = new BoundedBuffer(this.maxMessage);
    const d = options.deflate;
    if (d) {
      const noTakeover = dir === 'c2s' ? d.clientNoContextTakeover : d.serverNoContextTakeover;
      this.inflater = new Inflater(!noTakeover, this.maxMessage);
    }
  }

  push(bytes: Uint8Array, frame: number, time: number): void {
    this.frame = frame;
    this.time = time;
    let pos = 0;
    while (pos < bytes.length) {
      switch (this.state) {
        case 'lost':
          this.handler.wsRaw?.(this.dir, bytes.subarray(pos), frame, time);
          return;
        case 'header':
          pos = this.readHeader(bytes, pos);
          break;
        case 'payload':
          pos = this.readPayload(bytes, pos);
          break;
      }
    }
  }

  gap(length: number): void {
    if (length <= 0) return;
    if (this.state === 'payload' && length <= this.remaining) {
      this.missing += length;
      this.frameProblem ??= { code: WL_WS_GAP, message: `${length} payload bytes are missing` };
      if (this.isControl()) this.control.skip(length);
      else this.message.skip(length);
      this.payloadPos += length;
      this.remaining -= length;
      if (this.remaining === 0) this.finishFrame();
      return;
    }
    // Anywhere else the next frame's start is unknown: frames do not resynchronise.
    if (this.state !== 'lost') this.loseSync(`${length} bytes are missing inside or across a frame header`);
  }

  end(): void {
    if (this.state === 'header' && this.hdrLen === 0) return;
    if (this.state !== 'lost') this.loseSync('the stream ended inside a frame');
  }

  private loseSync(why: string, code = WL_WS_LOST_SYNC): void {
    this.state = 'lost';
    const problem = { code, message: why };
    // Report a message cut short, so its first frames are not silently forgotten.
    if (this.inMessage) {
      this.msgProblem ??= problem;
      this.emitMessage();
    }
    this.handler.wsLostSync?.(this.dir, problem, this.frame, this.time);
  }

  private isControl(): boolean {
    return (this.opcode & 0x8) !== 0;
  }

  private readHeader(bytes: Uint8Array, pos: number): number {
    if (this.hdrLen === 0) {
      this.frameFirst = this.frame;
      this.frameFirstTime = this.time;
    }
    // §5.2: 2 fixed bytes, then 0/2/8 bytes of extended length, then 0/4 bytes of masking key.
    while (pos < bytes.length) {
      const need = this.headerNeed();
      if (this.hdrLen >= need) break;
      const n = Math.min(need - this.hdrLen, bytes.length - pos);
      this.hdr.set(bytes.subarray(pos, pos + n), this.hdrLen);
      this.hdrLen += n;
      pos += n;
    }
    if (this.hdrLen < this.headerNeed()) return pos;
    this.startFrame();
    return pos;
  }

  private headerNeed(): number {
    if (this.hdrLen < 2) return 2;
    const code = this.hdr[1]! & 0x7f;
    return 2 + (code === 126 ? 2 : code === 127 ? 8 : 0) + (this.hdr[1]! & 0x80 ? 4 : 0);
  }

  private startFrame(): void {
    const h = this.hdr;
    this.fin = (h[0]! & 0x80) !== 0;
    this.rsv = (h[0]! >> 4) & 0x7;
    this.opcode = h[0]! & 0x0f;
    this.masked = (h[1]! & 0x80) !== 0;
    this.lengthCode = h[1]! & 0x7f;
    let p = 2;
    let len = this.lengthCode;
    this.frameProblem = undefined;
    if (this.lengthCode === 126) {
      len = (h[2]! << 8) | h[3]!;
      p = 4;
    } else if (this.lengthCode === 127) {
      const hi = ((h[2]! << 24) >>> 0) + (h[3]! << 16) + (h[4]! << 8) + h[5]!;
      const lo = ((h[6]! << 24) >>> 0) + (h[7]! << 16) + (h[8]! << 8) + h[9]!;
      p = 10;
      if (hi >= 0x200000) {
        // §5.2: the 64-bit length's most significant bit must be 0; beyond 2^53 it cannot be
        // counted either, so the frame boundaries are lost.
        this.hdrLen = 0;
        this.loseSync('64-bit payload length too large (or its top bit set)', WL_WS_LENGTH);
        return;
      }
      len = hi * 0x1_0000_0000 + lo;
    }
    if (this.masked) this.maskKey.set(h.subarray(p, p + 4));
    this.payloadLength = len;
    this.remaining = len;
    this.payloadPos = 0;
    this.missing = 0;
    this.hdrLen = p + (this.masked ? 4 : 0);
    this.checkFrame();
    if (this.isControl()) this.control.clear();
    else this.startData();
    this.state = 'payload';
    if (len === 0) this.finishFrame();
  }

  private problem(code: string, message: string): void {
    this.frameProblem ??= { code, message };
  }

  private checkFrame(): void {
    const op = this.opcode;
    if ((op >= 3 && op <= 7) || op >= 0xb) this.problem(WL_WS_OPCODE, `reserved opcode ${op}`);
    const deflate = this.options.deflate !== undefined;
    // RFC 7692 §6: RSV1 marks a compressed message, on its first frame only, and only data frames.
    const rsv1Allowed = deflate && (op === WsOpcode.TEXT || op === WsOpcode.BINARY);
    if ((this.rsv & 0x3) !== 0 || ((this.rsv & 0x4) !== 0 && !rsv1Allowed)) this.problem(WL_WS_RSV, `reserved bits ${this.rsv} set without an extension defining them`);
    if (this.isControl()) {
      // §5.5: control frames have at most 125 payload bytes and are never fragmented.
      if (this.payloadLength > 125) this.problem(WL_WS_CONTROL_FRAME, `control frame with ${this.payloadLength} payload bytes`);
      if (!this.fin) this.problem(WL_WS_CONTROL_FRAME, 'fragmented control frame');
    }
    // §5.1: clients mask every frame, servers none.
    if (this.masked !== (this.dir === 'c2s')) this.problem(WL_WS_MASK, this.masked ? 'server frame is masked' : 'client frame is not masked');
    if (this.closed) this.problem(WL_WS_AFTER_CLOSE, 'frame after this side sent Close (§5.5.1)');
  }

  private startData(): void {
    const op = this.opcode;
    if (op === WsOpcode.CONTINUATION) {
      if (!this.inMessage) {
        this.problem(WL_WS_FRAGMENTATION, 'continuation frame without a message to continue');
        this.beginMessage(op);
      }
    } else {
      if (this.inMessage) {
        // §5.4: a new data message may not start before the fragmented one is finished.
        this.msgProblem ??= { code: WL_WS_FRAGMENTATION, message: 'message interrupted by a new data frame' };
        this.problem(WL_WS_FRAGMENTATION, 'data frame inside a fragmented message');
        this.emitMessage();
      }
      this.beginMessage(op);
    }
    this.msgFrames++;
    this.framePayloadAt = this.message.total;
  }

  private beginMessage(op: number): void {
    this.inMessage = true;
    this.msgOpcode = op;
    this.msgCompressed = this.inflater !== undefined && (this.rsv & 0x4) !== 0;
    this.msgFrames = 0;
    this.msgFragmentFrames = [];
    this.msgMissing = 0;
    this.msgProblem = undefined;
    this.msgFirst = this.frameFirst;
    this.msgFirstTime = this.frameFirstTime;
    this.message.clear();
  }

  private readPayload(bytes: Uint8Array, pos: number): number {
    const n = Math.min(this.remaining, bytes.length - pos);
    const piece = bytes.subarray(pos, pos + n);
    const sink = this.isControl() ? this.control : this.message;
    const dst = sink.extend(n);
    if (this.masked) {
      const k = this.maskKey;
      for (let i = 0; i < dst.length; i++) dst[i] = piece[i]! ^ k[(this.payloadPos + i) & 3]!;
    } else {
      dst.set(piece.subarray(0, dst.length));
    }
    this.payloadPos += n;
    this.remaining -= n;
    if (this.remaining === 0) this.finishFrame();
    return pos + n;
  }

  private finishFrame(): void {
    const f: WsFrame = {
      dir: this.dir,
      fin: this.fin,
      rsv: this.rsv,
      compressed: this.inflater !== undefined && (this.rsv & 0x4) !== 0,
      opcode: this.opcode,
      masked: this.masked,
      ...(this.masked ? { maskingKey: ((this.maskKey[0]! << 24) | (this.maskKey[1]! << 16) | (this.maskKey[2]! << 8) | this.maskKey[3]!) >>> 0 } : {}),
      lengthCode: this.lengthCode,
      payloadLength: this.payloadLength,
      headerLength: this.hdrLen,
      missing: this.missing,
      firstFrame: this.frameFirst,
      firstTime: this.frameFirstTime,
      frame: this.frame,
      time: this.time,
    };
    this.state = 'header';
    this.hdrLen = 0;
    if (this.isControl()) {
      this.finishControl(f);
      return;
    }
    if (f.problem === undefined && this.frameProblem) f.problem = this.frameProblem;
    this.msgFragmentFrames.push(this.frame);
    if (!this.fin && this.opcode === WsOpcode.CONTINUATION) {
      const kept = this.message.bytes();
      f.continued = kept.slice(Math.min(this.framePayloadAt, kept.length));
    }
    this.handler.wsFrame?.(f);
    this.msgMissing += this.missing;
    if (this.frameProblem) this.msgProblem ??= this.frameProblem;
    if (this.fin) this.emitMessage();
  }

  private finishControl(f: WsFrame): void {
    const payload = this.control.take();
    if (this.opcode === WsOpcode.CLOSE) {
      const c: WsClose = { dir: this.dir, payloadLength: payload.length, frame: this.frame, time: this.time };
      // §5.5.1: an optional 2-byte status code, then a UTF-8 reason.
      if (payload.length === 1) this.problem(WL_WS_CLOSE_PAYLOAD, 'close payload of 1 byte');
      if (payload.length >= 2) {
        c.closeCode = (payload[0]! << 8) | payload[1]!;
        try {
          c.closeReason = utf8Fatal.decode(payload.subarray(2));
        } catch {
          c.closeReason = utf8.decode(payload.subarray(2));
          this.problem(WL_WS_INVALID_UTF8, 'close reason is not valid UTF-8');
        }
      }
      if (this.frameProblem) f.problem = c.problem = this.frameProblem;
      this.handler.wsFrame?.(f);
      this.closed = true;
      this.handler.wsClose?.(c);
      return;
    }
    if (this.frameProblem) f.problem = this.frameProblem;
    this.handler.wsFrame?.(f);
    if (this.opcode === WsOpcode.PING) {
      const p: WsPing = { dir: this.dir, payload, frame: this.frame, time: this.time };
      if (this.pings.length >= 64) this.pings.shift();
      this.pings.push({ payload, frame: this.frame, time: this.time });
      this.handler.wsPing?.(p);
    } else if (this.opcode === WsOpcode.PONG) {
      const p: WsPong = { dir: this.dir, payload, frame: this.frame, time: this.time };
      const ping = this.peer?.answer(payload);
      if (ping) {
        p.pingFrame = ping.frame;
        p.pingTime = ping.time;
      }
      this.handler.wsPong?.(p);
    }
  }

  /**
   * Takes the ping a pong answers: the oldest with the same data. §5.5.3 lets an endpoint answer
   * only the latest of several pings, so older unanswered ones are dropped with it.
   */
  answer(payload: Uint8Array): PendingPing | undefined {
    const i = this.pings.findIndex((p) => sameBytes(p.payload, payload));
    if (i < 0) return undefined;
    const ping = this.pings[i]!;
    this.pings.splice(0, i + 1);
    return ping;
  }

  private emitMessage(): void {
    this.inMessage = false;
    let data = this.message.bytes();
    let bytes = this.message.total;
    const wireBytes = this.message.total;
    let problem = this.msgProblem;
    if (this.message.overflowed) problem ??= { code: WL_WS_MESSAGE_TOO_LARGE, message: `message longer than ${this.maxMessage} bytes; the rest was not kept` };
    if (this.msgCompressed && this.inflater) {
      if (this.msgMissing > 0 || this.message.overflowed) {
        problem ??= { code: WL_WS_DECOMPRESS_FAILED, message: 'compressed message is incomplete' };
        data = new Uint8Array(0);
        bytes = 0;
      } else {
        const r = this.inflater.inflate(data);
        data = r.out;
        bytes = r.out.length;
        if (r.problem) problem ??= r.problem;
      }
    } else {
      data = data.slice();
    }
    const m: WsMessage = {
      dir: this.dir,
      opcode: this.msgOpcode,
      data,
      bytes,
      wireBytes,
      frames: this.msgFrames,
      fragmentFrames: this.msgFragmentFrames,
      compressed: this.msgCompressed,
      firstFrame: this.msgFirst,
      firstTime: this.msgFirstTime,
      frame: this.frame,
      time: this.time,
    };
    if (this.msgOpcode === WsOpcode.TEXT) {
      // §8.1: text is UTF-8; a message cut by the size bound may end inside a character.
      const complete = bytes === data.length && this.msgMissing === 0;
      try {
        m.text = complete ? utf8Fatal.decode(data) : utf8.decode(data);
      } catch {
        m.text = utf8.decode(data);
        problem ??= { code: WL_WS_INVALID_UTF8, message: 'text message is not valid UTF-8' };
      }
    }
    if (problem) m.problem = problem;
    this.message.clear();
    this.handler.wsMessage?.(m);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Builds a frame (for tests and the simulator): masking applied when a key is given. */
export interface WsFrameRepr {
  fin?: boolean;
  rsv?: number;
  opcode: number;
  maskingKey?: number;
  payload: Uint8Array;
  /** Force the 16- or 64-bit length form (for tests of non-minimal encodings). */
  lengthForm?: 7 | 16 | 64;
}

export function emitWsFrame(r: WsFrameRepr): Uint8Array {
  const len = r.payload.length;
  const form = r.lengthForm ?? (len < 126 ? 7 : len < 0x10000 ? 16 : 64);
  const ext = form === 7 ? 0 : form === 16 ? 2 : 8;
  const masked = r.maskingKey !== undefined;
  const out = new Uint8Array(2 + ext + (masked ? 4 : 0) + len);
  out[0] = ((r.fin ?? true) ? 0x80 : 0) | (((r.rsv ?? 0) & 7) << 4) | (r.opcode & 0x0f);
  out[1] = (masked ? 0x80 : 0) | (form === 7 ? len : form === 16 ? 126 : 127);
  let p = 2;
  if (form === 16) {
    out[2] = len >> 8;
    out[3] = len & 0xff;
    p = 4;
  } else if (form === 64) {
    const hi = Math.floor(len / 0x1_0000_0000);
    const lo = len >>> 0;
    out.set([hi >>> 24, (hi >> 16) & 0xff, (hi >> 8) & 0xff, hi & 0xff, lo >>> 24, (lo >> 16) & 0xff, (lo >> 8) & 0xff, lo & 0xff], 2);
    p = 10;
  }
  if (masked) {
    const k = r.maskingKey! >>> 0;
    const key = [k >>> 24, (k >> 16) & 0xff, (k >> 8) & 0xff, k & 0xff];
    out.set(key, p);
    p += 4;
    for (let i = 0; i < len; i++) out[p + i] = r.payload[i]! ^ key[i & 3]!;
  } else {
    out.set(r.payload, p);
  }
  return out;
}

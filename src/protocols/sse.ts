/**
 * Server-sent events: the event stream interpretation of WHATWG HTML §9.2.6 ("Interpreting an
 * event stream"), fed with the body of a `text/event-stream` response (after any chunked transfer
 * coding is removed) in any split.
 *
 * Invariants: the stream is decoded as UTF-8 with replacement (one leading BOM dropped); lines end
 * at CR, LF or CRLF, a CRLF split across pushes counting once; an event is dispatched on a blank
 * line and reported on the frame carrying that line ending; what is pending at the end of the
 * stream is discarded, as the spec says.
 */
import type { MessageSpan, ProtocolProblem, StreamSink } from './stream.js';
import { mediaType } from './media-type.js';

export const WL_SSE_EVENT_TOO_LARGE = 'WL_SSE_EVENT_TOO_LARGE';
export const WL_SSE_GAP = 'WL_SSE_GAP';

export interface SseEvent extends MessageSpan {
  /** The event type; "message" when no `event` field was given. */
  event: string;
  /** The last event ID at dispatch (it persists across events, §9.2.6 "last event ID buffer"). */
  id: string;
  /** The `data` lines joined by "\n" (the final newline removed). */
  data: string;
  /** The `retry` value given in this event's block, when one was (milliseconds). */
  retry?: number;
  /** Event index in this stream, from 0. */
  index: number;
  problem?: ProtocolProblem;
}

export interface SseComment {
  text: string;
  frame: number;
  time: number;
}

export interface SseHandler {
  sseEvent?(ev: SseEvent): void;
  sseComment?(c: SseComment): void;
}

export interface SseOptions {
  /**
   * The last event ID the stream starts with: a reconnect's `Last-Event-ID` request header, so
   * events that carry no `id` report the one the client resumed from.
   */
  lastEventId?: string;
  /** Most characters kept for one event's line plus data (default 16 Mi); more are dropped. */
  maxEventSize?: number;
}

const DEFAULT_MAX_EVENT = 16 * 1024 * 1024;
const CR = 13;
const LF = 10;

export class SseParser implements StreamSink {
  private readonly decoder = new TextDecoder('utf-8');
  private readonly maxEvent: number;
  private line = '';
  /** The previous push ended in CR: an LF starting the next push belongs to that line ending. */
  private afterCR = false;
  /** After a gap: the rest of the cut line is dropped. */
  private skipToLineEnd = false;
  private data = '';
  private hasData = false;
  private eventType = '';
  private lastEventId: string;
  private retry: number | undefined;
  private problem: ProtocolProblem | undefined;
  private started = false;
  private firstFrame = 0;
  private firstTime = 0;
  private frame = 0;
  private time = 0;
  private index = 0;
  private ended = false;

  constructor(
    private readonly handler: SseHandler,
    options: SseOptions = {},
  ) {
    this.lastEventId = options.lastEventId ?? '';
    this.maxEvent = options.maxEventSize ?? DEFAULT_MAX_EVENT;
  }

  push(bytes: Uint8Array, frame: number, time: number): void {
    if (this.ended || bytes.length === 0) return;
    this.frame = frame;
    this.time = time;
    this.text(this.decoder.decode(bytes, { stream: true }));
  }

  /**
   * Bytes never seen: the line being read is unreliable, so it is dropped, and the event it was
   * part of is marked. Reading resumes after the next line ending.
   */
  gap(length: number): void {
    if (this.ended || length <= 0) return;
    this.decoder.decode();
    this.line = '';
    this.afterCR = false;
    this.skipToLineEnd = true;
    this.problem ??= { code: WL_SSE_GAP, message: `${length} bytes of the event stream are missing` };
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    // §9.2.6: "Once the end of the file is reached, any pending data must be discarded."
    this.decoder.decode();
  }

  private text(s: string): void {
    let pos = 0;
    if (this.afterCR && s.charCodeAt(0) === LF) pos = 1;
    this.afterCR = false;
    while (pos < s.length) {
      let stop = pos;
      while (stop < s.length) {
        const c = s.charCodeAt(stop);
        if (c === CR || c === LF) break;
        stop++;
      }
      if (!this.started && stop > pos) this.start();
      if (stop === s.length) {
        this.appendLine(s, pos, stop);
        return;
      }
      this.appendLine(s, pos, stop);
      const c = s.charCodeAt(stop);
      pos = stop + 1;
      if (c === CR) {
        if (pos === s.length) this.afterCR = true;
        else if (s.charCodeAt(pos) === LF) pos++;
      }
      const line = this.line;
      this.line = '';
      if (this.skipToLineEnd) {
        this.skipToLineEnd = false;
        continue;
      }
      this.processLine(line);
    }
  }

  private appendLine(s: string, from: number, to: number): void {
    if (this.skipToLineEnd || to === from) return;
    const room = this.maxEvent - this.line.length - this.data.length;
    if (to - from > room) {
      this.tooLarge();
      to = from + Math.max(0, room);
    }
    this.line += s.slice(from, to);
  }

  private tooLarge(): void {
    this.problem ??= { code: WL_SSE_EVENT_TOO_LARGE, message: `event longer than ${this.maxEvent} characters; the rest was dropped` };
  }

  private start(): void {
    this.started = true;
    this.firstFrame = this.frame;
    this.firstTime = this.time;
  }

  private processLine(line: string): void {
    if (line.length === 0) {
      this.dispatch();
      return;
    }
    if (!this.started) this.start();
    if (line.charCodeAt(0) === 0x3a) {
      this.handler.sseComment?.({ text: line.slice(1), frame: this.frame, time: this.time });
      return;
    }
    const colon = line.indexOf(':');
    let field: string;
    let value: string;
    if (colon < 0) {
      field = line;
      value = '';
    } else {
      field = line.slice(0, colon);
      // One space after the colon is part of the syntax, not of the value.
      value = line.charCodeAt(colon + 1) === 0x20 ? line.slice(colon + 2) : line.slice(colon + 1);
    }
    switch (field) {
      case 'event':
        this.eventType = value;
        break;
      case 'data':
        if (this.data.length + value.length + 1 > this.maxEvent) {
          this.tooLarge();
          break;
        }
        this.data += value + '\n';
        this.hasData = true;
        break;
      case 'id':
        // An id containing NUL is ignored (it could not be sent back in Last-Event-ID).
        if (!value.includes('\0')) this.lastEventId = value;
        break;
      case 'retry':
        if (/^[0-9]+$/.test(value)) this.retry = Number(value);
        break;
      default:
        // Unknown fields are ignored.
        break;
    }
  }

  private dispatch(): void {
    // §9.2.6 "dispatch the event": an empty data buffer resets the buffers and dispatches nothing.
    if (this.hasData) {
      this.handler.sseEvent?.({
        event: this.eventType === '' ? 'message' : this.eventType,
        id: this.lastEventId,
        data: this.data.endsWith('\n') ? this.data.slice(0, -1) : this.data,
        ...(this.retry !== undefined ? { retry: this.retry } : {}),
        index: this.index++,
        firstFrame: this.firstFrame,
        firstTime: this.firstTime,
        frame: this.frame,
        time: this.time,
        ...(this.problem ? { problem: this.problem } : {}),
      });
    }
    this.data = '';
    this.hasData = false;
    this.eventType = '';
    this.retry = undefined;
    this.problem = undefined;
    this.started = false;
  }
}

/** Whether a Content-Type value names an event stream (media type compared without parameters). */
export function isEventStream(contentType: string | undefined): boolean {
  return contentType !== undefined && mediaType(contentType) === 'text/event-stream';
}

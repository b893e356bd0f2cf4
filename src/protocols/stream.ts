/**
 * Shared pieces of the application-layer stream parsers (http.ts, websocket.ts, sse.ts).
 *
 * A stream parser is a state machine fed with the in-order bytes of one direction of a connection,
 * in whatever pieces the network delivered them: `push` may be called with any split of the same
 * bytes and must produce the same messages. Each push says which frame carried the bytes, so that a
 * message is reported on the frame that completes it (as tshark does with desegmentation on).
 * `gap` says bytes are missing (never captured); `end` says the direction is finished (FIN/RST or
 * end of capture). None of these methods throws on any input.
 */

export type Direction = 'c2s' | 's2c';

/**
 * One direction of a stream. `time` is in whatever unit the caller likes (seconds relative to the
 * first frame keep nanosecond precision in a double; epoch seconds do not): latencies are plain
 * differences of these values.
 */
export interface StreamSink {
  push(bytes: Uint8Array, frame: number, time: number): void;
  gap(length: number): void;
  end(): void;
}

/** Seconds rounded to whole nanoseconds (what a 9-digit time prints): sums of doubles lose their noise. */
export function round9(seconds: number): number {
  return Math.round(seconds * 1e9) / 1e9;
}

/** A problem found in a message: a stable code (WL_HTTP_*, WL_WS_*, WL_SSE_*) and what was wrong. */
export interface ProtocolProblem {
  code: string;
  message: string;
}

/** Where a message was seen: the frame carrying its first byte and the frame that completed it. */
export interface MessageSpan {
  firstFrame: number;
  firstTime: number;
  /** The frame that completed the message (where tshark puts its fields). */
  frame: number;
  time: number;
}

/** The empty buffer every LineReader starts with: most never need one (their lines come whole). */
const NO_BYTES = new Uint8Array(0);

/**
 * Buffers for lines that cross pushes, lent to LineReaders while they hold such a line and given
 * back on the reader's next call after it: a capture with thousands of connections then reuses a
 * few buffers rather than allocating one (off the V8 heap, slow to make and to free) per reader.
 */
const spareLineBuffers: Uint8Array[] = [];
/** What a lent buffer holds at least; larger ones are made for longer lines and not kept. */
const LINE_BUFFER_BYTES = 4096;
const MAX_SPARE_LINE_BUFFERS = 64;

/**
 * Collects one LF-terminated line across pushes. A line inside one push is returned as a view of
 * that push's bytes (no copy); only a line crossing pushes is copied. Lines longer than `limit`
 * are not kept: `overflow` is set and bytes are dropped until the line ends.
 */
export class LineReader {
  private buf: Uint8Array = NO_BYTES;
  private len = 0;
  /** Bytes of the current (unfinished) line seen so far, kept or not. */
  seen = 0;
  overflow = false;
  /*
   * What the last take() found besides the line, kept here rather than in an object per call (a
   * header section is many short lines). Numbers only: a kept view would pin its frame's buffer.
   */
  /** Position in the bytes given just after what take() consumed. */
  next = 0;
  /** The line's whole length on the wire, ending included, over every push it came in. */
  lineSize = 0;
  /** The line outgrew the limit (it came back empty). */
  lineOverflow = false;
  /** Where the line takeBounds() found lies in the array it returned. */
  lineStart = 0;
  lineEnd = 0;

  constructor(public limit: number) {}

  /**
   * Scans `bytes` from `pos`. Returns the line without its line ending (CR LF or a bare LF), or
   * undefined when the line goes on past the end of `bytes`; `next`, `lineSize` and `lineOverflow`
   * tell the rest (read them before the next call).
   */
  take(bytes: Uint8Array, pos: number): Uint8Array | undefined {
    const src = this.takeBounds(bytes, pos);
    return src === undefined ? undefined : src.subarray(this.lineStart, this.lineEnd);
  }

  /**
   * take() without making a view (a header section is many lines): returns the array that holds
   * the line, `bytes` itself or this reader's buffer, the line being [lineStart, lineEnd) of it
   * (valid until the next call); undefined when the line goes on past the end of `bytes`.
   */
  takeBounds(bytes: Uint8Array, pos: number): Uint8Array | undefined {
    // The line the last call returned from the buffer has been read: the buffer can go back.
    if (this.len === 0 && this.buf !== NO_BYTES) {
      this.giveBack(this.buf);
      this.buf = NO_BYTES;
    }
    const lf = findLf(bytes, pos);
    const stop = lf < 0 ? bytes.length : lf;
    this.seen += stop - pos;
    if (!this.overflow) {
      if (this.seen > this.limit) {
        this.overflow = true;
        this.len = 0;
      } else if (lf >= 0 && this.len === 0) {
        // The whole line is in this push: one view of it, CR dropped, nothing copied.
        this.next = lf + 1;
        this.lineOverflow = false;
        this.lineSize = this.seen + 1;
        this.reset();
        this.lineStart = pos;
        this.lineEnd = stop > pos && bytes[stop - 1] === 0x0d ? stop - 1 : stop;
        return bytes;
      } else {
        this.append(bytes, pos, stop);
      }
    }
    if (lf < 0) {
      this.next = bytes.length;
      this.lineOverflow = false;
      this.lineSize = 0;
      return undefined;
    }
    this.next = lf + 1;
    this.lineOverflow = this.overflow;
    this.lineSize = this.seen + 1;
    const n = this.len > 0 && this.buf[this.len - 1] === 0x0d ? this.len - 1 : this.len;
    this.reset();
    this.lineStart = 0;
    this.lineEnd = n;
    return this.buf;
  }

  /** Drops a partial line (after a gap, or when the parser changes mode). */
  reset(): void {
    this.len = 0;
    this.seen = 0;
    this.overflow = false;
  }

  get pending(): number {
    return this.seen;
  }

  private append(bytes: Uint8Array, from: number, to: number): void {
    const n = to - from;
    if (this.len + n > this.buf.length) this.grow(this.len + n);
    // A short piece is copied byte by byte: cheaper than making a view to hand to set().
    if (n <= 32) for (let i = 0; i < n; i++) this.buf[this.len + i] = bytes[from + i]!;
    else this.buf.set(bytes.subarray(from, to), this.len);
    this.len += n;
  }

  /** Room for `need` bytes, the line so far kept: a spare buffer when one is big enough. */
  private grow(need: number): void {
    const old = this.buf;
    const grown = (old === NO_BYTES && need <= LINE_BUFFER_BYTES ? spareLineBuffers.pop() : undefined) ?? new Uint8Array(need <= LINE_BUFFER_BYTES ? LINE_BUFFER_BYTES : need * 2);
    if (this.len > 0) grown.set(old.subarray(0, this.len));
    this.buf = grown;
    if (old !== NO_BYTES) this.giveBack(old);
  }

  private giveBack(buf: Uint8Array): void {
    if (buf.length === LINE_BUFFER_BYTES && spareLineBuffers.length < MAX_SPARE_LINE_BUFFERS) spareLineBuffers.push(buf);
  }
}

/**
 * The first LF at or after `pos`, or -1. Buffer's native search even for short header lines: on
 * the bench capture's HTTP streams (bench/http-replay.mjs), a JS loop over the first 128 bytes was
 * slower, 99 vs 90 ms for the first round of 29 568 messages and 53 vs 48 ms once compiled.
 */
function findLf(bytes: Uint8Array, pos: number): number {
  return pos >= bytes.length ? -1 : bufferIndexOf.call(bytes, 0x0a, pos);
}

/**
 * Buffer's indexOf (memchr) on any Uint8Array, positions relative to the view: about ten times
 * faster than TypedArray#indexOf's element loop over a long line (a padded header, a body while
 * resynchronising).
 */
const bufferIndexOf = Buffer.prototype.indexOf as (this: Uint8Array, value: number, byteOffset: number) => number;

/** Growable byte buffer with a cap: bytes past `limit` are counted, not kept. */
export class BoundedBuffer {
  private buf = new Uint8Array(0);
  private len = 0;
  /** Every byte offered, kept or not. */
  total = 0;

  constructor(public limit: number) {}

  get overflowed(): boolean {
    return this.total > this.limit;
  }

  /** Room left under the limit. */
  get room(): number {
    return Math.max(0, this.limit - this.len);
  }

  append(piece: Uint8Array): void {
    this.total += piece.length;
    const n = Math.min(piece.length, this.limit - this.len);
    if (n <= 0) return;
    this.reserve(n);
    this.buf.set(n === piece.length ? piece : piece.subarray(0, n), this.len);
    this.len += n;
  }

  /** Makes room for n more bytes and returns the view to write them into (the caller fills it). */
  extend(n: number): Uint8Array {
    this.total += n;
    const k = Math.max(0, Math.min(n, this.limit - this.len));
    this.reserve(k);
    const view = this.buf.subarray(this.len, this.len + k);
    this.len += k;
    return view;
  }

  /** Counts bytes that were never seen (a gap) without keeping anything. */
  skip(n: number): void {
    this.total += n;
  }

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  /**
   * The bytes, for the caller to keep: the buffer itself when they fill it (it is then let go, and
   * the next append makes another), else a copy.
   */
  take(): Uint8Array {
    const out = this.len === this.buf.length ? this.buf : this.buf.slice(0, this.len);
    if (out === this.buf) this.buf = new Uint8Array(0);
    this.clear();
    return out;
  }

  /** Room for `n` bytes in all (up to the limit), made at once: for a length known in advance. */
  expect(n: number): void {
    const want = Math.min(n, this.limit);
    if (want > this.buf.length) {
      const sized = new Uint8Array(want);
      sized.set(this.buf.subarray(0, this.len));
      this.buf = sized;
    }
  }

  clear(): void {
    this.len = 0;
    this.total = 0;
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(1024, (this.len + n) * 2));
    grown.set(this.buf.subarray(0, this.len));
    this.buf = grown;
  }
}

const utf8Fatal = new TextDecoder('utf-8', { fatal: true });

/**
 * Bytes [start, end) of any Uint8Array (offsets relative to the view) as ISO-8859-1, one character
 * per byte: for ASCII the same string UTF-8 decoding gives, at about half the cost of a
 * TextDecoder call on a short header line, and with no subarray to make first.
 */
export const latin1Text: (bytes: Uint8Array, start: number, end: number) => string = (() => {
  const slice = (Buffer.prototype as unknown as { latin1Slice: (this: Uint8Array, start: number, end: number) => string }).latin1Slice;
  return (bytes, start, end) => slice.call(bytes, start, end);
})();

/** Header text: UTF-8 when it is valid, else each byte as one character (RFC 9110 §5.5 obs-text). */
export function headerText(bytes: Uint8Array): string {
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i]! >= 0x80) {
      try {
        return utf8Fatal.decode(bytes);
      } catch {
        // TextDecoder's 'latin1' is really windows-1252; Buffer's is ISO-8859-1.
        return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
      }
    }
  }
  // All ASCII: UTF-8 and ISO-8859-1 read it alike.
  return latin1Text(bytes, 0, bytes.length);
}

/**
 * One TCP stream read for the ladder pane, the full-screen ladder and the graphs, and kept for the
 * few streams looked at last. Reading a stream means analysing every packet before its last one
 * (sequence analysis and explanations carry state across the whole capture), so it runs as a Pass
 * in time slices driven by the app's background loop, on its own reader; it stops at the stream's
 * last frame once the index knows it.
 *
 * Only one stream is read at a time: asking for another drops the read under way, so moving the
 * selection quickly through many streams costs one slice each, not one file read each. What is
 * kept of a stream is a StreamRecord (stream-record.ts: tens of bytes per packet), and the timeline
 * entries of the window of LADDER_WINDOW packets the ladder shows, explained again from the record
 * when the selection leaves the window. What is kept over all streams is bounded by bytes.
 *
 * A window's rendered ladder is kept per lane width with the line of each frame, so that moving
 * the selection only changes which line is highlighted.
 */
import { openCaptureSync } from '../capture/reader.js';
import { buildLadder } from '../timeline/ladder.js';
import type { TimelineEntry } from '../timeline/pipeline.js';
import { renderText } from '../timeline/render-text.js';
import { Pass } from './scan.js';
import { CHECKPOINT_STEP, StreamRecorder, type FrameAt, type StreamRecord } from './stream-record.js';
import { ladderFrameOf } from './widgets/views.js';

export interface LadderText {
  lines: string[];
  /** The lane labels and lines (the lines before `head`), kept on top when the rest scrolls. */
  head: number;
  /** Frame number (1-based) → its arrow's line. */
  lineOf: Map<number, number>;
  /** The frames drawn, first and last, and whether they are the whole stream. */
  first: number;
  last: number;
  whole: boolean;
}

/**
 * A stream this long is drawn as a ladder of the packets around the selected one: rendering every
 * arrow of a 100 000-packet stream takes over a second, a window of LADDER_WINDOW a few tens of ms,
 * and only a window's timeline entries are kept.
 */
export const LADDER_WINDOW = 2000;
/** Windows start at multiples of this (at checkpoints of the record), so that nearby selections share one. */
const WINDOW_STEP = CHECKPOINT_STEP;

export class StreamData {
  /** Rendered ladders by lane width and first row; only the last few are kept. */
  private readonly ladders = new Map<string, LadderText>();
  /** Segments explained again (StreamRecord.segment), least recently used first: a window and a step either side. */
  private readonly segments = new Map<number, TimelineEntry[]>();

  constructor(
    readonly record: StreamRecord,
    private readonly frameAt: FrameAt,
  ) {}

  get stream(): number {
    return this.record.stream;
  }

  /** Packets in the stream. */
  get count(): number {
    return this.record.length;
  }

  /**
   * The ladder as text, every packet on its line (no collapsed runs, so the selected one can be
   * highlighted), in ASCII: blessed rewrites box-drawing characters into the terminal's alternate
   * character set, which tmux and some terminals then show as letters (q, x, l, m). A stream longer
   * than LADDER_WINDOW packets gives the window around `frame` (frame number).
   */
  ladder(laneWidth: number, frame = 0): LadderText {
    const n = this.record.length;
    let from = 0;
    let to = n;
    if (n > LADDER_WINDOW) {
      const at = this.record.rowAt(frame);
      const last = Math.floor((n - 1) / WINDOW_STEP) * WINDOW_STEP;
      // The window starts at a checkpoint at or before the selection's row, with about half a window before it.
      from = Math.max(0, Math.min(Math.floor(at / WINDOW_STEP) * WINDOW_STEP - LADDER_WINDOW / 2, last - LADDER_WINDOW + WINDOW_STEP));
      to = Math.min(n, from + LADDER_WINDOW);
    }
    const key = `${laneWidth}:${from}`;
    let t = this.ladders.get(key);
    if (!t) {
      const entries = this.entries(from, to);
      const timeline = this.record.timeline(entries);
      const lines = renderText(buildLadder(timeline, { all: true }), { laneWidth, ascii: true }).replace(/\n$/, '').split('\n');
      const lineOf = new Map<number, number>();
      let head = -1;
      lines.forEach((l, i) => {
        const f = ladderFrameOf(l);
        if (f !== undefined) lineOf.set(f, i);
        // The lane header ends at the first phase bracket or arrow.
        if (head < 0 && (f !== undefined || l.startsWith('+'))) head = i;
      });
      t = { lines, head: head < 0 ? lines.length : head, lineOf, first: entries[0]?.frame ?? 0, last: entries[entries.length - 1]?.frame ?? 0, whole: entries.length === n };
      if (this.ladders.size >= 4) this.ladders.delete(this.ladders.keys().next().value!);
      this.ladders.set(key, t);
    }
    return t;
  }

  /** Rows [from, to), `from` at a checkpoint: a window moved by a step explains one segment again, not four. */
  private entries(from: number, to: number): TimelineEntry[] {
    const step = this.record.step;
    const out: TimelineEntry[] = [];
    for (let k = from / step; k * step < to; k++) {
      let seg = this.segments.get(k);
      if (seg) this.segments.delete(k);
      else seg = this.record.segment(k, this.frameAt);
      this.segments.set(k, seg);
      out.push(...seg.slice(0, to - k * step));
    }
    while (this.segments.size > LADDER_WINDOW / step + 2) this.segments.delete(this.segments.keys().next().value!);
    return out;
  }
}

/** Lanes as wide as a pane or view of `width` columns allows: two lanes, the frame/time prefix and some explanation. */
export function laneWidthFor(width: number): number {
  return Math.max(16, Math.min(36, width - 60));
}

interface Read {
  stream: number;
  pass: Pass;
  recorder: StreamRecorder;
  /** Frame number of the stream's last packet, once the index is complete. */
  last: number;
  ready: ((d: StreamData) => void)[];
}

export class StreamCache {
  /** Streams read, least recently used first. */
  private readonly kept = new Map<number, StreamData>();
  private read: Read | undefined;

  constructor(
    private readonly file: string,
    /** The frame number of `stream`'s last packet; Infinity while the index may still add some. */
    private readonly lastFrameOf: (stream: number) => number,
    /**
     * Reads a frame again for a ladder window: a reader that has read at least to the frames asked
     * for (the index's, whose end lastFrameOf waits for), so that it knows their interfaces.
     */
    private readonly frameAt: FrameAt,
    /** Bytes kept over all streams (StreamRecord.bytes); the last stream read is always kept. */
    private readonly keepBytes = 64 * 2 ** 20,
  ) {}

  /**
   * The stream's data when it was read; otherwise starts reading it (dropping the read of another
   * stream) and returns undefined. `ready` is called when it is there (at once if it is).
   */
  want(stream: number, ready?: (d: StreamData) => void): StreamData | undefined {
    const d = this.kept.get(stream);
    if (d) {
      // Most recently used last.
      this.kept.delete(stream);
      this.kept.set(stream, d);
      ready?.(d);
      return d;
    }
    if (this.read?.stream !== stream) {
      this.drop();
      const recorder = new StreamRecorder(stream);
      const pass = new Pass(openCaptureSync(this.file), (p) => recorder.add(p));
      this.read = { stream, pass, recorder, last: Number.POSITIVE_INFINITY, ready: [] };
      this.knowLast(this.read, this.lastFrameOf(stream));
    }
    if (ready) this.read.ready.push(ready);
    return undefined;
  }

  /** The stream being read, if any. */
  get reading(): number | undefined {
    return this.read?.stream;
  }

  /** How far the read has come, 0 to 1 (0 while the stream's end is not known). */
  get progress(): number {
    const r = this.read;
    return r && Number.isFinite(r.last) ? Math.min(1, r.pass.framesRead / r.last) : 0;
  }

  /** Reads for about `budgetMs`; returns the stream's data when the read finished. */
  step(budgetMs: number): StreamData | undefined {
    const r = this.read;
    if (!r) return undefined;
    if (!Number.isFinite(r.last)) this.knowLast(r, this.lastFrameOf(r.stream));
    const eof = r.pass.step(budgetMs, r.last);
    if (!eof && r.pass.framesRead < r.last) return undefined;
    const d = new StreamData(r.recorder.finishRecord(r.pass.reader.warnings), this.frameAt);
    this.drop();
    this.kept.set(d.stream, d);
    let total = 0;
    for (const k of this.kept.values()) total += k.record.bytes;
    for (const [stream, k] of this.kept) {
      if (total <= this.keepBytes || stream === d.stream) break;
      this.kept.delete(stream);
      total -= k.record.bytes;
    }
    for (const f of r.ready) f(d);
    return d;
  }

  /** The stream's last frame, once the index knows it: the record needs no more rows than frames left to it. */
  private knowLast(r: Read, last: number): void {
    r.last = last;
    const record = r.recorder.record;
    if (Number.isFinite(last)) record.maxRows = record.length + Math.max(0, last - r.pass.framesRead);
  }

  private drop(): void {
    this.read?.pass.reader.close();
    this.read = undefined;
  }

  close(): void {
    this.drop();
  }
}

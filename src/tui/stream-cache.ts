/**
 * One TCP stream's timeline (timeline/pipeline.ts), read for the ladder pane, the full-screen
 * ladder and the graphs, and kept for the few streams looked at last. Reading a stream means
 * analysing every packet before its last one (sequence analysis and explanations carry state
 * across the whole capture), so it runs as a Pass in time slices driven by the app's background
 * loop, on its own reader; it stops at the stream's last frame once the index knows it.
 *
 * Only one stream is read at a time: asking for another drops the read under way, so moving the
 * selection quickly through many streams costs one slice each, not one file read each. What is
 * kept is bounded by packets, not streams: a timeline entry costs about 2 kB.
 *
 * A stream's rendered ladder is kept per lane width with the line of each frame, so that moving
 * the selection only changes which line is highlighted.
 */
import { openCaptureSync } from '../capture/reader.js';
import { buildLadder } from '../timeline/ladder.js';
import { TimelineBuilder, type Timeline } from '../timeline/pipeline.js';
import { renderText } from '../timeline/render-text.js';
import { streamSamples, type StreamSamples } from './graphs.js';
import { Pass } from './scan.js';
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
 * arrow of a 100 000-packet stream takes over a second, a window of LADDER_WINDOW a few tens of ms.
 */
export const LADDER_WINDOW = 2000;
/** Windows start at multiples of this, so that nearby selections share one. */
const WINDOW_STEP = LADDER_WINDOW / 4;

export class StreamData {
  /** Rendered ladders by lane width and first entry; only the last few are kept. */
  private readonly ladders = new Map<string, LadderText>();
  private samplesCache: StreamSamples | undefined;

  constructor(
    readonly stream: number,
    readonly timeline: Timeline,
  ) {}

  /**
   * The ladder as text, every packet on its line (no collapsed runs, so the selected one can be
   * highlighted), in ASCII: blessed rewrites box-drawing characters into the terminal's alternate
   * character set, which tmux and some terminals then show as letters (q, x, l, m). A stream longer
   * than LADDER_WINDOW packets gives the window around `frame` (frame number).
   */
  ladder(laneWidth: number, frame = 0): LadderText {
    const entries = this.timeline.entries;
    let from = 0;
    let to = entries.length;
    if (entries.length > LADDER_WINDOW) {
      // Entries are in frame order: the first at or after `frame`.
      let at = 0;
      for (let hi = entries.length; at < hi; ) {
        const mid = (at + hi) >> 1;
        if (entries[mid]!.frame < frame) at = mid + 1;
        else hi = mid;
      }
      from = Math.max(0, Math.min(entries.length - LADDER_WINDOW, Math.floor(at / WINDOW_STEP) * WINDOW_STEP - LADDER_WINDOW / 2));
      to = from + LADDER_WINDOW;
    }
    const key = `${laneWidth}:${from}`;
    let t = this.ladders.get(key);
    if (!t) {
      const timeline = from === 0 && to === entries.length ? this.timeline : { ...this.timeline, entries: entries.slice(from, to) };
      const lines = renderText(buildLadder(timeline, { all: true }), { laneWidth, ascii: true }).replace(/\n$/, '').split('\n');
      const lineOf = new Map<number, number>();
      let head = -1;
      lines.forEach((l, i) => {
        const f = ladderFrameOf(l);
        if (f !== undefined) lineOf.set(f, i);
        // The lane header ends at the first phase bracket or arrow.
        if (head < 0 && (f !== undefined || l.startsWith('+'))) head = i;
      });
      t = { lines, head: head < 0 ? lines.length : head, lineOf, first: entries[from]?.frame ?? 0, last: entries[to - 1]?.frame ?? 0, whole: to - from === entries.length };
      if (this.ladders.size >= 4) this.ladders.delete(this.ladders.keys().next().value!);
      this.ladders.set(key, t);
    }
    return t;
  }

  get samples(): StreamSamples {
    return (this.samplesCache ??= streamSamples(this.timeline));
  }
}

/** Lanes as wide as a pane or view of `width` columns allows: two lanes, the frame/time prefix and some explanation. */
export function laneWidthFor(width: number): number {
  return Math.max(16, Math.min(36, width - 60));
}

interface Read {
  stream: number;
  pass: Pass;
  builder: TimelineBuilder;
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
    /** Packets kept over all streams (a packet's entry costs about 2 kB); the last stream read is always kept. */
    private readonly keepPackets = 200_000,
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
      const builder = new TimelineBuilder({ stream });
      const pass = new Pass(openCaptureSync(this.file), (p) => builder.add(p));
      this.read = { stream, pass, builder, last: this.lastFrameOf(stream), ready: [] };
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
    if (!Number.isFinite(r.last)) r.last = this.lastFrameOf(r.stream);
    const eof = r.pass.step(budgetMs, r.last);
    if (!eof && r.pass.framesRead < r.last) return undefined;
    const d = new StreamData(r.stream, r.builder.finish(r.pass.reader.warnings));
    this.drop();
    this.kept.set(d.stream, d);
    let total = 0;
    for (const k of this.kept.values()) total += k.timeline.entries.length;
    for (const [stream, k] of this.kept) {
      if (total <= this.keepPackets || stream === d.stream) break;
      this.kept.delete(stream);
      total -= k.timeline.entries.length;
    }
    for (const f of r.ready) f(d);
    return d;
  }

  private drop(): void {
    this.read?.pass.reader.close();
    this.read = undefined;
  }

  close(): void {
    this.drop();
  }
}

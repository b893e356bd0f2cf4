/**
 * Incremental passes over a capture file that never block the terminal for long: each `step`
 * reads, decodes and analyses batches until its time budget is spent, then returns so that the
 * event loop can handle keys and redraws. Three passes use it: the index (every frame, once),
 * each display filter (filters may name analysis fields such as tcp.stream, which only exist when
 * the packets are analysed in order, so a filter cannot be evaluated on re-decoded frames alone),
 * and one TCP stream's timeline for the ladder and the graphs (stream-cache.ts).
 */
import { openCaptureSync, type CaptureReader } from '../capture/reader.js';
import { Analyzer, type PacketAnalysis } from '../analysis/analyzer.js';
import { AppRecordTap, AppStage, appAnalyzerOptions, readsHttpBodies, type AppRecord } from '../analysis/app.js';
import { TcpLifecycle } from '../analysis/tcp-lifecycle.js';
import { decodePacket } from '../decode/bindings.js';
import type { Packet } from '../decode/layer.js';
import type { Frame } from '../capture/frame.js';
import type { PacketFilter } from '../filter/index.js';
import { summarize, noteSuffix } from '../output/summary.js';
import { Explainer, explainApp } from '../timeline/explainer.js';
import { maxSeverity } from '../timeline/explanation.js';
import { escapeTerminal } from '../timeline/escape.js';
import type { PacketIndex } from './packet-index.js';
import { FrameClock } from '../capture/frame-clock.js';

/** `app`: the application messages the packet completed (the explainer tells of them first). */
export type PacketVisitor = (packet: Packet, analysis: PacketAnalysis, explainer: Explainer, app: readonly AppRecord[]) => void;

/**
 * A pass over a reader in time slices: each decoded packet goes to `onPacket`, and `onEnd` runs
 * once when the file is exhausted. What a pass does with the packets (index, filter, one stream's
 * timeline) is its owner's business.
 */
export class Pass {
  private frames = 0;
  /** The batch being worked through: a pass may stop inside one (its limit), and resumes there. */
  private batch: Frame[] = [];
  private at = 0;
  done = false;
  /**
   * The reader follows a growing file (live capture) and has delivered everything written so far:
   * there is nothing to do until more is written (the app then clears this and steps again).
   */
  waiting = false;

  constructor(
    readonly reader: CaptureReader,
    private readonly onPacket: (packet: Packet) => void,
    private readonly onEnd: () => void = () => {},
  ) {}

  get framesRead(): number {
    return this.frames;
  }

  /**
   * Works for about `budgetMs`; stops before frame number `limit` + 1 (a filter pass must not run
   * ahead of the index). Returns true when the file is exhausted.
   */
  step(budgetMs: number, limit = Number.POSITIVE_INFINITY): boolean {
    if (this.done) return true;
    this.waiting = false;
    const until = performance.now() + budgetMs;
    while (performance.now() < until && this.frames < limit) {
      if (this.at === this.batch.length) {
        const batch = this.reader.nextBatchSync();
        if (!batch) {
          if (!this.reader.done) {
            this.waiting = true;
            return false;
          }
          this.done = true;
          this.onEnd();
          return true;
        }
        this.batch = batch;
        this.at = 0;
      }
      const end = Math.min(this.batch.length, this.at + (limit - this.frames));
      for (; this.at < end; this.at++) {
        this.frames++;
        this.onPacket(decodePacket(this.batch[this.at]!));
      }
    }
    return false;
  }
}

/**
 * A pass with the analysis `read` runs (every packet analysed in order) and the Explainer; `bodies`
 * keeps HTTP bodies (for a filter on http.file_data).
 */
export class Scan extends Pass {
  /**
   * `late`: what only the capture's end completed (a body ended by a close never captured, a
   * message cut short), by the frame it belongs to, once the file is exhausted.
   */
  constructor(reader: CaptureReader, visit: PacketVisitor, bodies = false, late?: (frame: number, app: readonly AppRecord[]) => void) {
    const lifecycle = new TcpLifecycle();
    // The same stages as `read` (app layers fill the Info column) plus the lifecycle the Explainer
    // needs, and the messages each packet completes for it (explain's own pipeline does the same).
    const records = new AppRecordTap();
    const analyzer = new Analyzer(appAnalyzerOptions(new AppStage({ bodies, onRecord: records.onRecord }), { defragment: true, tcpObservers: [lifecycle] }));
    const explainer = new Explainer({ lifecycle });
    super(
      reader,
      (packet) => {
        const analysis = analyzer.analyze(packet);
        visit(packet, analysis, explainer, records.take());
      },
      () => {
        analyzer.finish();
        if (late) for (const [frame, app] of records.takeLate()) late(frame, app);
      },
    );
  }
}

/**
 * The index pass: fills `index` with one entry per frame; at the file's end, a message only the
 * end completed becomes its frame's explanation, as it would have had it completed in time
 * (`explain` prints it after the last packet).
 */
export function indexScan(reader: CaptureReader, index: PacketIndex): Scan {
  const late = (frame: number, app: readonly AppRecord[]) => {
    const found = app.map(explainApp).filter((x) => x !== undefined);
    if (found.length > 0) index.amend(frame - 1, escapeTerminal(found[0]!.text), found.reduce((s, x) => maxSeverity(s, x.severity), index.severity(frame - 1)));
  };
  return new Scan(reader, (packet, analysis, explainer, app) => {
    const c = summarize(packet, analysis);
    const x = explainer.explain(packet, analysis, app);
    const f = packet.frame;
    const main = x.explanations[0];
    index.add({
      fileOffset: f.fileOffset,
      tsSec: f.tsSec,
      tsNsec: f.tsNsec,
      origLen: f.origLen,
      source: escapeTerminal(c.source),
      destination: escapeTerminal(c.destination),
      protocol: escapeTerminal(c.protocol),
      // Comments already in the file (Wireshark's, or earlier notes) show as notes, as in `read`.
      info: escapeTerminal(c.info + noteSuffix(f.comments)),
      explanation: main ? escapeTerminal(main.text) : '',
      severity: x.severity,
      tcpStream: analysis.tcp?.stream ?? -1,
      damaged: packet.layers.some((l) => l.status !== 'ok'),
    });
  }, false, late);
}

/**
 * A filter pass on its own reader: calls `match` with the 0-based index of each matching frame.
 * `follow` while a live capture still writes the file.
 */
export function filterScan(file: string, filter: PacketFilter, match: (i: number) => void, follow = false): Scan {
  const reader = openCaptureSync(file, { follow });
  let i = 0;
  const clock = new FrameClock();
  return new Scan(
    reader,
    (packet, analysis) => {
      clock.advance(packet.frame);
      if (filter.matches(packet, analysis, clock)) {
        clock.shown();
        match(i);
      }
      i++;
    },
    readsHttpBodies(filter),
  );
}

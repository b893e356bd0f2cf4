/**
 * The selected packet as `read --json` shows it: decoded, and analysed with every packet before it
 * in order, so that its tree has what only that context gives (the http, tls and dns layers of the
 * messages it completes, a reassembled datagram, tcp.stream, relative numbers, expert flags), as
 * Wireshark's and termshark's details do. A packet decoded alone from its offset has none of it.
 *
 * The analysis runs from the file's start up to the selected frame in time slices (scan.ts), and
 * keeps the WINDOW packets up to it: moving the selection forward continues the same pass, moving
 * back a little finds the packet kept, and only a jump back past them starts again.
 */
import { openCaptureSync } from '../capture/reader.js';
import type { Packet } from '../decode/layer.js';
import { Analyzer, type PacketAnalysis } from '../analysis/analyzer.js';
import { AppStage, appAnalyzerOptions } from '../analysis/app.js';
import { Pass } from './scan.js';
import { FrameClock } from '../capture/frame-clock.js';
import type { FrameTimes } from './details.js';

/** Analysed packets kept behind the pass: each pins its frame's read buffer, so not many (about 10 pages of the list). */
export const WINDOW = 256;

/** The most of each HTTP body kept for the tree's http.file_data row. */
const TREE_BODY_BYTES = 64 * 1024;

export interface AnalysedPacket {
  packet: Packet;
  analysis: PacketAnalysis;
  /** frame.time_delta and frame.time_relative: the pass sees the frames before it. */
  times: FrameTimes;
}

export class DetailPass {
  private scan: Pass | undefined;
  /** 0-based frame index → its analysed packet, for the WINDOW frames up to the last one wanted. */
  private readonly kept = new Map<number, AnalysedPacket>();
  /** The index of the next frame the pass analyses. */
  private next = 0;
  /** The frame whose analysis is wanted (-1: none). */
  private target = -1;

  constructor(
    private readonly file: string,
    /** The file is still being written (a live capture): the pass waits for it to grow. */
    private readonly follow: () => boolean,
  ) {}

  /** The analysed packet of frame index `i`, if the pass has been there and still keeps it. */
  get(i: number): AnalysedPacket | undefined {
    return this.kept.get(i);
  }

  /** Asks for frame index `i`; true when it is already there (else step() works toward it). */
  want(i: number): boolean {
    if (this.kept.has(i)) return true;
    this.target = i;
    // Behind the pass and no longer kept: only a new pass from the start reaches it.
    if (i < this.next) this.restart();
    return false;
  }

  /** There is work: a wanted frame not reached yet, and the file not exhausted (or waiting for a live capture). */
  get busy(): boolean {
    return this.target >= this.next && !(this.scan?.done ?? false) && !(this.scan?.waiting ?? false);
  }

  /** Works about `budgetMs` toward the wanted frame; true when it got there (or the file ended first). */
  step(budgetMs: number): boolean {
    if (!this.busy) return this.target < this.next;
    this.scan ??= this.open();
    this.scan.step(budgetMs, this.target + 1);
    return this.target < this.next || this.scan.done;
  }

  /** A live capture wrote more: a pass that waited for it may go on. */
  grew(): void {
    if (this.scan) this.scan.waiting = false;
  }

  /** The live capture ended: the file's end is the end. */
  endFollow(): void {
    this.scan?.reader.endFollow();
  }

  close(): void {
    this.scan?.reader.close();
    this.scan = undefined;
  }

  private open(): Pass {
    const reader = openCaptureSync(this.file, { follow: this.follow() });
    // `read`'s analysis (no explainer: the tree shows fields), with the start of each body for
    // http.file_data: a tree row shows no more, and a whole 500 MB download would be kept otherwise.
    const analyzer = new Analyzer(appAnalyzerOptions(new AppStage({ bodies: true, maxBodyKept: TREE_BODY_BYTES }), { defragment: true }));
    const clock = new FrameClock();
    return new Pass(reader, (packet) => {
      const analysis = analyzer.analyze(packet);
      clock.advance(packet.frame);
      // Only the packets just before the wanted one are kept: on the way to a frame far ahead,
      // keeping each for a while would let many outlive a young-generation collection, and the
      // old generation would fill with them.
      if (this.next > this.target - WINDOW) {
        this.kept.set(this.next, { packet, analysis, times: { delta: clock.delta, relative: clock.relative } });
        this.kept.delete(this.next - WINDOW);
      }
      this.next++;
    });
  }

  private restart(): void {
    this.close();
    this.kept.clear();
    this.next = 0;
  }
}

/**
 * `wirelens explain FILE`: the packet list with a plain-words explanation of every packet
 * (src/timeline/explainer.ts), or NDJSON with the explanations as data (`--json`: code, severity,
 * concept, params, text) for exports and scripts. `-Y` selects packets after the analysis, so
 * explanations that depend on earlier packets stay right.
 *
 * Packets are printed as they are read, as tshark prints them: memory stays flat however long the
 * capture (a kept timeline entry is about 2 kB). A message that only the capture's end completes
 * (a body delimited by a close that was never captured) belongs to a frame printed long before:
 * it comes last, under that frame's number, marked as completed at the capture's end.
 */
import type { PacketAnalysis } from '../analysis/analyzer.js';
import type { AppRecord } from '../analysis/app.js';
import { openCapture } from '../capture/reader.js';
import { decodePacket } from '../decode/bindings.js';
import type { Packet } from '../decode/layer.js';
import { compileFilterOption } from '../filter/index.js';
import { LineSink } from '../output/sink.js';
import { relativeTime } from '../output/summary.js';
import { escapeTerminal } from '../timeline/escape.js';
import { explainApp } from '../timeline/explainer.js';
import type { Explanation, PacketExplanation } from '../timeline/explanation.js';
import { TimelineBuilder, timelineEntry, type TimelineEntry, type TimelineOptions } from '../timeline/pipeline.js';
import { reportWarnings } from './common.js';

export interface ExplainOptions {
  displayFilter?: string;
  json?: boolean;
}

export async function runExplain(file: string, opts: ExplainOptions): Promise<number> {
  const filter = compileFilterOption(opts.displayFilter);
  const sink = new LineSink();
  const printer = new ExplainPrinter(sink, opts.json === true, filter ? { filter } : {});
  const reader = await openCapture(file);
  try {
    for await (const batch of reader.batches()) {
      for (const frame of batch) printer.add(decodePacket(frame));
      // Written per batch, waiting for a slow reader (a pager) rather than holding the output.
      await sink.flush();
      if (sink.isClosed) break;
    }
  } finally {
    reader.close();
  }
  if (!sink.isClosed) printer.finish(reader.warnings);
  await sink.flush(true);
  reportWarnings(reader.warnings);
  return 0;
}

/** The timeline pipeline printing each selected packet at once, keeping none. */
class ExplainPrinter extends TimelineBuilder {
  /** Frames printed, by number (a bit each): the capture's end may add to them. */
  private printed = new Uint8Array(1024);

  constructor(
    private readonly sink: LineSink,
    private readonly json: boolean,
    options: TimelineOptions,
  ) {
    super(options);
  }

  protected override select(packet: Packet, analysis: PacketAnalysis, app: readonly AppRecord[], explained: PacketExplanation): void {
    const e = timelineEntry(packet, analysis, app, explained);
    this.markPrinted(e.frame);
    if (this.json) this.sink.line(JSON.stringify(explainJson(e)));
    else for (const l of explainLines(e, this.startSec, this.startNsec)) this.sink.line(l);
  }

  protected override late(frame: number, app: AppRecord[]): void {
    if (!this.wasPrinted(frame)) return;
    const explanations = app.map(explainApp).filter((x) => x !== undefined);
    if (explanations.length === 0) return;
    if (this.json) this.sink.line(JSON.stringify({ frame, capture_end: true, explanations }));
    else for (const l of lateLines(frame, explanations)) this.sink.line(l);
  }

  private markPrinted(frame: number): void {
    const byte = frame >>> 3;
    if (byte >= this.printed.length) {
      const grown = new Uint8Array(Math.max(byte + 1, this.printed.length * 2));
      grown.set(this.printed);
      this.printed = grown;
    }
    this.printed[byte]! |= 1 << (frame & 7);
  }

  private wasPrinted(frame: number): boolean {
    return ((this.printed[frame >>> 3] ?? 0) & (1 << (frame & 7))) !== 0;
  }
}

export function explainJson(e: TimelineEntry): object {
  return {
    frame: e.frame,
    time: `${e.tsSec}.${String(e.tsNsec).padStart(9, '0')}`,
    ...(e.explained.stream ? { stream: e.explained.stream } : {}),
    ...(e.explained.phase ? { phase: e.explained.phase } : {}),
    severity: e.explained.severity,
    explanations: e.explained.explanations,
  };
}

/** The packet's summary line, then its explanations indented under it (wire text escaped). */
export function explainLines(e: TimelineEntry, startSec: number, startNsec: number): string[] {
  const time = relativeTime(e.tsSec, e.tsNsec, startSec, startNsec);
  const src = e.srcPort !== undefined ? `${e.srcHost}:${e.srcPort}` : e.srcHost;
  const dst = e.dstPort !== undefined ? `${e.dstHost}:${e.dstPort}` : e.dstHost;
  return [`${String(e.frame).padStart(6)} ${time.padStart(11)} ${escapeTerminal(src)} → ${escapeTerminal(dst)} ${e.protocol}`, ...sentenceLines(e.explained.explanations)];
}

/** Messages the capture's end completed for a frame already printed, under its number. */
export function lateLines(frame: number, explanations: readonly Explanation[]): string[] {
  return [`${String(frame).padStart(6)} (at the capture's end)`, ...sentenceLines(explanations)];
}

function sentenceLines(explanations: readonly Explanation[]): string[] {
  return explanations.map((x) => `${' '.repeat(8)}${x.severity === 'chat' ? '' : `[${x.severity}] `}${escapeTerminal(x.text)}`);
}

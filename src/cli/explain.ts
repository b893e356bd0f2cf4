/**
 * `wirelens explain FILE`: the packet list with a plain-words explanation of every packet
 * (src/timeline/explainer.ts), or NDJSON with the explanations as data (`--json`: code, severity,
 * concept, params, text) for exports and scripts. `-Y` selects packets after the analysis, so
 * explanations that depend on earlier packets stay right.
 */
import { compileFilterOption } from '../filter/index.js';
import { LineSink } from '../output/sink.js';
import { relativeTime } from '../output/summary.js';
import { escapeTerminal } from '../timeline/escape.js';
import { buildTimeline, type TimelineEntry } from '../timeline/pipeline.js';
import { reportWarnings } from './common.js';

export interface ExplainOptions {
  displayFilter?: string;
  json?: boolean;
}

export async function runExplain(file: string, opts: ExplainOptions): Promise<number> {
  const filter = compileFilterOption(opts.displayFilter);
  const timeline = await buildTimeline(file, filter ? { filter } : {});
  const sink = new LineSink();
  for (const e of timeline.entries) {
    if (opts.json) sink.line(JSON.stringify(explainJson(e)));
    else for (const l of explainLines(e, timeline.startSec, timeline.startNsec)) sink.line(l);
    if (sink.isClosed) break;
  }
  await sink.flush(true);
  reportWarnings(timeline.warnings);
  return 0;
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
  const lines = [`${String(e.frame).padStart(6)} ${time.padStart(11)} ${escapeTerminal(src)} → ${escapeTerminal(dst)} ${e.protocol}`];
  for (const x of e.explained.explanations) {
    const tag = x.severity === 'chat' ? '' : `[${x.severity}] `;
    lines.push(`${' '.repeat(8)}${tag}${escapeTerminal(x.text)}`);
  }
  return lines;
}

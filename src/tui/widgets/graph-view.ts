/**
 * The graphs view: a header (which graph, the stream's endpoints, the keys) and a blessed-contrib
 * line chart on its braille canvas. The chart is made when the view first shows (the module is
 * loaded then, not when the TUI starts) and again when the view's size changes, because its canvas
 * is sized once, when it is attached; its data is set only when the graph changes, since drawing
 * the canvas costs more than a redraw of the screen.
 */
import { createRequire } from 'node:module';
import type blessed from 'blessed';
import type line from 'blessed-contrib/lib/widget/charts/line.js';
import { escapeTerminal } from '../../timeline/escape.js';
import { GRAPH_KINDS, isRetransmission, type Graph, type GraphKind, type StreamSamples } from '../graphs.js';
import type { Rect } from '../layout.js';
import { fit, tagEscape } from './text.js';

let makeLine: typeof line | undefined;

/**
 * A point between two gaps has no segment to draw, so the chart would not show it: it is drawn as
 * a short tick instead, repeated on the next point (or the previous one at the end).
 */
export function withTicks(y: readonly number[]): number[] {
  const out = [...y];
  const gap = (i: number) => i < 0 || i >= y.length || Number.isNaN(y[i]!);
  for (let i = 0; i < y.length; i++) {
    if (gap(i) || !gap(i - 1) || !gap(i + 1)) continue;
    if (i + 1 < y.length) out[i + 1] = y[i]!;
    else if (i > 0) out[i - 1] = y[i]!;
  }
  return out;
}

const NAMES: Record<GraphKind, string> = { seq: 'Sequence', throughput: 'Throughput', rtt: 'RTT' };

/** The view's first lines: the graphs with the one shown in brackets, the keys, the two ends and the counts. */
export function graphHeader(stream: number, shown: GraphKind, { samples, endpoints }: StreamSamples, width: number): string[] {
  const tabs = GRAPH_KINDS.map((k) => (k === shown ? `[${NAMES[k]}]` : ` ${NAMES[k]} `)).join(' ');
  let retransmitted = 0;
  for (let i = 0; i < samples.length; i++) if (isRetransmission(samples.analysis[i]!)) retransmitted++;
  return [
    `{bold}${tagEscape(fit(`Graphs of tcp.stream ${stream}: ${tabs}   Tab next graph, d direction, Esc back`, width))}{/bold}`,
    tagEscape(fit(escapeTerminal(`A = ${endpoints[0]}   B = ${endpoints[1]}   ${samples.length} segments, ${retransmitted} retransmitted`), width)),
  ];
}

export class GraphView {
  private chart: line.LineChart | undefined;
  private readonly header: blessed.Widgets.BoxElement;
  private rect = '';
  private shown: Graph | undefined;

  constructor(
    private readonly screen: blessed.Widgets.Screen,
    makeBox: (options: blessed.Widgets.BoxOptions) => blessed.Widgets.BoxElement,
    /** An overlay (the help) the chart must stay under. */
    private readonly under: blessed.Widgets.BoxElement,
  ) {
    this.header = makeBox({ hidden: true });
    this.screen.insertBefore(this.header, under);
  }

  /**
   * Points a chart `width` columns wide has room for, two braille dots apart: its canvas is two
   * dots per column less a margin of 6 columns, and the y labels take about 6 more.
   */
  static pointsFor(width: number): number {
    return Math.max(2, width - 12);
  }

  /**
   * Shows `graph` in `r` under `headerLines` (blessed tags, already escaped), its title and a
   * legend in the series' colours. The chart has no border and no legend box of its own: blessed
   * draws borders with the terminal's line-drawing character set, which some terminals and tmux
   * show as letters.
   */
  show(r: Rect, headerLines: string[], graph: Graph | undefined): void {
    const lines = [...headerLines];
    if (graph) {
      lines.push(`{bold}${tagEscape(fit(graph.title, r.width))}{/bold}`);
      lines.push(graph.series.map((s) => `{${s.color}-fg}●{/${s.color}-fg} ${tagEscape(s.title)}`).join('   '));
    }
    const h = lines.length;
    Object.assign(this.header, { top: r.top, left: r.left, width: r.width, height: h });
    this.header.setContent(lines.join('\n'));
    this.header.show();
    const key = `${r.top},${r.left},${r.width},${r.height},${h}`;
    if (!graph || r.height - h < 6) {
      this.chart?.hide();
      return;
    }
    if (this.rect !== key || !this.chart) {
      this.chart?.destroy();
      this.chart = this.make({ top: r.top + h, left: r.left, width: r.width, height: r.height - h });
      this.rect = key;
      this.shown = undefined;
    }
    const c = this.chart;
    if (this.shown !== graph) {
      c.options.maxY = graph.maxY;
      c.setData(graph.series.map((s) => ({ title: s.title, x: graph.labels, y: withTicks(s.y), style: { line: s.color } })));
      this.shown = graph;
    }
    c.show();
  }

  hide(): void {
    this.header.hide();
    this.chart?.hide();
  }

  private make(r: Rect): line.LineChart {
    makeLine ??= createRequire(import.meta.url)('blessed-contrib/lib/widget/charts/line.js') as typeof line;
    const chart = makeLine({
      ...r,
      showLegend: false,
      numYLabels: 5,
      xLabelPadding: 3,
      xPadding: 6,
      style: { line: 'yellow', text: 'white', baseline: 'white' },
    });
    // Attached (which makes its canvas) under the overlay.
    this.screen.insertBefore(chart, this.under);
    return chart;
  }
}

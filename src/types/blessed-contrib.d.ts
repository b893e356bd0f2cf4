/**
 * The part of blessed-contrib the graphs view uses: the line chart, loaded from its own file so
 * that opening the TUI does not load every widget (maps, pictures, markdown) the package index
 * requires. The package's own index.d.ts does not describe this path.
 */
declare module 'blessed-contrib/lib/widget/charts/line.js' {
  import type { Widgets } from 'blessed';

  function line(options: line.LineOptions): line.LineChart;

  namespace line {
    interface LineSeries {
      title: string;
      /** One label per point; the points are spaced evenly, whatever the labels say. */
      x: string[];
      /** NaN leaves a gap (no segment to or from that point). */
      y: number[];
      style?: { line?: string };
    }

    interface LineOptions extends Widgets.BoxOptions {
      showLegend?: boolean;
      legend?: { width?: number };
      minY?: number;
      /** Top of the y axis; without it the chart takes the data's maximum plus 20%. */
      maxY?: number;
      numYLabels?: number;
      wholeNumbersOnly?: boolean;
      xLabelPadding?: number;
      xPadding?: number;
      showNthLabel?: number;
      style?: { line?: string; text?: string; baseline?: string } & Widgets.Types.TStyle;
    }

    interface LineChart extends Widgets.BoxElement {
      options: LineOptions;
      /** Only once the chart is attached to a screen: its canvas is made then. */
      setData(data: LineSeries[]): void;
    }
  }

  export = line;
}

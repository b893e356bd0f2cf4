/**
 * The per-packet output of `read`, shared with `capture`: decode, analyze in order (tcp.stream,
 * relative numbers, application messages), apply the display filter, and print a summary line or
 * NDJSON. Frames come in batches whatever their source, a file or a live capture tool.
 */
import type { Frame } from '../capture/frame.js';
import { decodePacket } from '../decode/bindings.js';
import { Analyzer } from '../analysis/analyzer.js';
import { AppStage, appAnalyzerOptions, readsHttpBodies } from '../analysis/app.js';
import { packetToJson, type PacketJson } from '../output/json.js';
import type { Packet } from '../decode/layer.js';
import type { PacketAnalysis } from '../analysis/analyzer.js';
import { LineSink } from '../output/sink.js';
import { formatSummaryLine, summarize, noteSuffix } from '../output/summary.js';
import { timeColumn, type TimeFormat } from '../output/time-column.js';
import { fieldsHeader, fieldsLine, type FieldsFormat } from '../output/fields-text.js';
import { treeRows } from '../tui/details.js';
import { escapeControl } from '../output/escape.js';
import { compileFilterOption } from '../filter/index.js';
import { FrameClock } from '../capture/frame-clock.js';

export interface PrintOptions {
  count?: number;
  json?: boolean;
  displayFilter?: string;
  /** The Time column's format (tshark -t; default r). */
  timeFormat?: TimeFormat;
  /** Print these fields of each packet instead (tshark -T fields -e …). */
  fields?: FieldsFormat;
  /** After each summary line, the packet's layer tree, every layer open (as tshark -V). */
  verbose?: boolean;
}

export class PacketPrinter {
  private readonly filter: ReturnType<typeof compileFilterOption>;
  private readonly sink = new LineSink();
  private readonly limit: number;
  private n = 0;
  private readonly clock = new FrameClock();
  private readonly analyzer: Analyzer;
  /** -e names a summary column (_ws.col.*): the summary is made for each packet. */
  private readonly columns: boolean;
  /** The input is a classic pcap file: -e leaves frame.interface_id empty, as tshark does (it has no interfaces). */
  classicPcap = false;

  /** Compiles the display filter first, so a bad one fails before any input is opened. */
  constructor(private readonly opts: PrintOptions) {
    this.filter = compileFilterOption(opts.displayFilter);
    this.limit = opts.count ?? Number.POSITIVE_INFINITY;
    // Context fields (tcp.stream, relative numbers, expert flags) need every packet in order. The
    // application stage (src/analysis/app.ts) adds http/websocket/tls/dns layers to the frames that
    // complete messages; HTTP bodies are kept only for what shows or tests http.file_data.
    const bodies = opts.json === true || readsHttpBodies(this.filter) || readsHttpBodies(opts.fields && { fields: opts.fields.fields.map((d) => d.name) });
    this.analyzer = new Analyzer(appAnalyzerOptions(new AppStage({ bodies }), { defragment: true }));
    if (opts.fields?.header) this.sink.line(fieldsHeader(opts.fields));
    this.columns = opts.fields?.fields.some((d) => d.source === 'column') ?? false;
  }

  /** Frames taken so far (counted against --count whether or not the display filter kept them). */
  get taken(): number {
    return this.n;
  }
  /** True once --count is reached or the output was closed (a pipe reader went away): stop reading. */
  get done(): boolean {
    return this.n >= this.limit || this.sink.isClosed;
  }

  /** Prints a batch and flushes; returns how many of its frames were taken (fewer once --count is reached). */
  async batch(frames: readonly Frame[]): Promise<number> {
    const { filter, analyzer, sink, opts, clock } = this;
    let i = 0;
    for (; i < frames.length && this.n < this.limit; i++) {
      const frame = frames[i]!;
      this.n++;
      const packet = decodePacket(frame);
      const analysis = analyzer.analyze(packet);
      clock.advance(frame);
      if (filter && !filter.matches(packet, analysis, clock)) continue;
      if (opts.json) sink.line(JSON.stringify(packetToJson(packet, analysis, clock)));
      else if (opts.fields) sink.line(fieldsLine(this.fieldsJson(packet, analysis), opts.fields));
      else {
        const time = timeColumn(opts.timeFormat ?? 'r', frame, clock);
        const line = formatSummaryLine(frame.number, time, summarize(packet, analysis), frame.origLen);
        // Packet comments (pcapng opt_comment, Wireshark's frame.comment) as a compact suffix, escaped.
        sink.line(line + escapeControl(noteSuffix(frame.comments)));
        if (opts.verbose) this.tree(packet, analysis);
      }
      clock.shown();
    }
    await sink.flush();
    return i;
  }

  /** The layer tree the terminal UI shows, every node open, then a blank line (tshark -V's layout). */
  private tree(packet: Packet, analysis: PacketAnalysis): void {
    const shown = analysis.reassembled ?? packet;
    const open = new Set(['frame', ...shown.layers.map((l) => l.proto)]);
    const times = { delta: this.clock.delta, relative: this.clock.relative };
    for (const row of treeRows(packet, open, analysis, times)) this.sink.line(row.text);
    this.sink.line('');
  }

  /** The packet's JSON, and the summary columns when -e names one (_ws.col.Info…). */
  private fieldsJson(packet: Packet, analysis: PacketAnalysis): PacketJson {
    const json = packetToJson(packet, analysis, this.clock);
    if (this.classicPcap) delete json['frame.interface_id'];
    if (!this.columns) return json;
    const frame = packet.frame;
    const c = summarize(packet, analysis);
    json['_ws.col.No.'] = frame.number;
    json['_ws.col.Time'] = timeColumn(this.opts.timeFormat ?? 'r', frame, this.clock);
    json['_ws.col.Source'] = c.source;
    json['_ws.col.Destination'] = c.destination;
    json['_ws.col.Protocol'] = c.protocol;
    json['_ws.col.Length'] = frame.origLen;
    json['_ws.col.Info'] = c.info;
    return json;
  }

  async finish(): Promise<void> {
    await this.sink.flush(true);
    this.analyzer.finish();
  }
}

/**
 * `wirelens read FILE`: one line per packet like tshark's summary, or NDJSON with Wireshark's
 * field names (`--json`). FILE may be `-` for standard input (`tcpdump -w - | wirelens read -`).
 */
import type { Command } from 'commander';
import { openCapture } from '../capture/reader.js';
import { decodePacket } from '../decode/bindings.js';
import { Analyzer } from '../analysis/analyzer.js';
import { AppStage, appAnalyzerOptions } from '../analysis/app.js';
import { packetToJson } from '../output/json.js';
import { LineSink } from '../output/sink.js';
import { formatSummaryLine, relativeTime, summarize } from '../output/summary.js';
import { escapeControl } from '../output/escape.js';
import { parseCount, reportWarnings } from './common.js';
import { DISPLAY_FILTER_FLAGS, DISPLAY_FILTER_HELP, compileFilterOption } from '../filter/index.js';

interface ReadOptions {
  count?: number;
  json?: boolean;
  displayFilter?: string;
}

export function registerRead(program: Command, setExit: (code: number) => void): void {
  program
    .command('read')
    .description('print one line per packet (or NDJSON with --json)')
    .argument('<file>', 'pcap or pcapng file, or - for standard input')
    .option('-c, --count <n>', 'stop after n packets', parseCount)
    .option('--json', 'NDJSON: one object per packet, keyed by Wireshark field names')
    .option(DISPLAY_FILTER_FLAGS, DISPLAY_FILTER_HELP)
    .addHelpText('after', '\nExamples:\n  wirelens read traces/http-get.pcapng\n  wirelens read -c 10 --json capture.pcap\n  tcpdump -i lo -w - | wirelens read -')
    .action(async (file: string, opts: ReadOptions) => {
      setExit(await runRead(file, opts));
    });
}

export async function runRead(file: string, opts: ReadOptions): Promise<number> {
  const filter = compileFilterOption(opts.displayFilter);
  const reader = await openCapture(file);
  const sink = new LineSink();
  const limit = opts.count ?? Number.POSITIVE_INFINITY;
  let n = 0;
  let firstSec = 0;
  let firstNsec = 0;
  // Context fields (tcp.stream, relative numbers, expert flags) need every packet in order.
  // The application stage (src/analysis/app.ts) adds http/websocket/tls/dns layers to the frames that complete messages.
  const analyzer = new Analyzer(appAnalyzerOptions(new AppStage(), { defragment: true }));
  outer: for await (const batch of reader.batches()) {
    for (const frame of batch) {
      if (n >= limit) break outer;
      if (n === 0) {
        firstSec = frame.tsSec;
        firstNsec = frame.tsNsec;
      }
      n++;
      const packet = decodePacket(frame);
      const analysis = analyzer?.analyze(packet);
      if (filter && !filter.matches(packet, analysis)) continue;
      if (opts.json) sink.line(JSON.stringify(packetToJson(packet, analysis)));
      else {
        const time = relativeTime(frame.tsSec, frame.tsNsec, firstSec, firstNsec);
        const line = formatSummaryLine(frame.number, time, summarize(packet, analysis), frame.origLen);
        // Packet comments (pcapng opt_comment, Wireshark's frame.comment) as a compact suffix, escaped.
        sink.line(frame.comments?.length ? `${line} ${frame.comments.map((c) => `[note: ${escapeControl(c)}]`).join(' ')}` : line);
      }
    }
    await sink.flush();
    if (sink.isClosed) break;
  }
  await sink.flush(true);
  analyzer?.finish();
  reader.close();
  reportWarnings(reader.warnings);
  return 0;
}

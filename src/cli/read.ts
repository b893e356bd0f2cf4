/**
 * `wirelens read FILE`: one line per packet like tshark's summary, or NDJSON with Wireshark's
 * field names (`--json`). FILE may be `-` for standard input (`tcpdump -w - | wirelens read -`).
 */
import { openCapture } from '../capture/reader.js';
import { reportWarnings } from './common.js';
import { PacketPrinter } from './packet-printer.js';

export interface ReadOptions {
  count?: number;
  json?: boolean;
  displayFilter?: string;
}

export async function runRead(file: string, opts: ReadOptions): Promise<number> {
  // The loop body is shared with `wirelens capture` (packet-printer.ts).
  const printer = new PacketPrinter(opts);
  const reader = await openCapture(file);
  for await (const batch of reader.batches()) {
    await printer.batch(batch);
    if (printer.done) break;
  }
  await printer.finish();
  reader.close();
  reportWarnings(reader.warnings);
  return 0;
}

/**
 * `wirelens read FILE`: one line per packet like tshark's summary, or NDJSON with Wireshark's
 * field names (`--json`). FILE may be `-` for standard input (`tcpdump -w - | wirelens read -`).
 */
import { timestampsApproximate } from '../capture/frame.js';
import { openCapture, type CaptureReader } from '../capture/reader.js';
import { escapeControl } from '../output/escape.js';
import { reportWarnings } from './common.js';
import { PacketPrinter } from './packet-printer.js';
import type { TimeFormat } from '../output/time-column.js';
import { fieldsFormat, type FieldsCliOptions } from './fields-option.js';

export interface ReadOptions extends FieldsCliOptions {
  count?: number;
  json?: boolean;
  displayFilter?: string;
  timeFormat?: TimeFormat;
  verbose?: boolean;
}

export async function runRead(file: string, opts: ReadOptions): Promise<number> {
  // The loop body is shared with `wirelens capture` (packet-printer.ts).
  const printer = new PacketPrinter({ ...opts, fields: fieldsFormat(opts) });
  const reader = await openCapture(file);
  printer.classicPcap = reader.format === 'pcap';
  let noted = 0;
  for await (const batch of reader.batches()) {
    noted = noteApproximateTimestamps(reader, noted);
    await printer.batch(batch);
    if (printer.done) break;
  }
  await printer.finish();
  reader.close();
  reportWarnings(reader.warnings);
  return 0;
}

/**
 * Says once per interface, on stderr before its packets, that its times were taken in user space
 * (a capture by the cap engine): the Time column of such packets is good to about a millisecond,
 * not a microsecond. Returns how many interfaces have been looked at.
 */
function noteApproximateTimestamps(reader: CaptureReader, from: number): number {
  const interfaces = reader.interfaces;
  for (let i = from; i < interfaces.length; i++) {
    const info = interfaces[i]!;
    if (!timestampsApproximate(info)) continue;
    const name = info.name ? ` (${escapeControl(info.name)})` : '';
    process.stderr.write(`wirelens: interface ${i}${name}: timestamps are approximate, taken in user space by the cap engine, not by the kernel\n`);
  }
  return interfaces.length;
}

/**
 * `wirelens stats FILE`: packets, bytes, duration, link types and the protocol hierarchy
 * (like `capinfos` plus `tshark -q -z io,phs`).
 */
import type { Command } from 'commander';
import { openCapture } from '../capture/reader.js';
import { linkTypeName } from '../capture/linktype.js';
import { ProtocolHierarchy } from '../analysis/hierarchy.js';
import { decodePacket } from '../decode/bindings.js';
import { reportWarnings } from './common.js';

interface StatsOptions {
  json?: boolean;
}

export function registerStats(program: Command, setExit: (code: number) => void): void {
  program
    .command('stats')
    .description('packets, bytes, duration, link types and protocol hierarchy')
    .argument('<file>', 'pcap or pcapng file, or - for standard input')
    .option('--json', 'one JSON object')
    .addHelpText('after', '\nExamples:\n  wirelens stats capture.pcapng\n  wirelens stats --json capture.pcap | jq .protocols')
    .action(async (file: string, opts: StatsOptions) => {
      setExit(await runStats(file, opts));
    });
}

export interface CaptureStats {
  file: string;
  format: string;
  packets: number;
  bytes: number;
  capturedBytes: number;
  first: number | null;
  last: number | null;
  duration: number;
  linkTypes: { linkType: number; name: string; packets: number }[];
  protocols: ReturnType<ProtocolHierarchy['tree']>;
}

export async function runStats(file: string, opts: StatsOptions): Promise<number> {
  const reader = await openCapture(file);
  const hierarchy = new ProtocolHierarchy();
  const linkTypes = new Map<number, number>();
  let packets = 0;
  let bytes = 0;
  let capturedBytes = 0;
  let first: number | null = null;
  let last: number | null = null;
  let minTs = Number.POSITIVE_INFINITY;
  let maxTs = Number.NEGATIVE_INFINITY;
  for await (const batch of reader.batches()) {
    for (const frame of batch) {
      packets++;
      bytes += frame.origLen;
      capturedBytes += frame.data.length;
      linkTypes.set(frame.linkType, (linkTypes.get(frame.linkType) ?? 0) + 1);
      const ts = frame.tsSec + frame.tsNsec / 1e9;
      if (ts < minTs) minTs = ts;
      if (ts > maxTs) maxTs = ts;
      hierarchy.add(decodePacket(frame));
    }
  }
  reader.close();
  if (packets > 0) {
    first = minTs;
    last = maxTs;
  }
  const stats: CaptureStats = {
    file,
    format: reader.format,
    packets,
    bytes,
    capturedBytes,
    first,
    last,
    duration: packets > 0 ? maxTs - minTs : 0,
    linkTypes: [...linkTypes].map(([linkType, n]) => ({ linkType, name: linkTypeName(linkType), packets: n })),
    protocols: hierarchy.tree(),
  };
  if (opts.json) process.stdout.write(JSON.stringify(stats) + '\n');
  else process.stdout.write(formatStats(stats, hierarchy).join('\n') + '\n');
  reportWarnings(reader.warnings);
  return 0;
}

function formatStats(s: CaptureStats, hierarchy: ProtocolHierarchy): string[] {
  const iso = (t: number | null) => (t === null ? '-' : new Date(t * 1000).toISOString());
  return [
    `File:        ${s.file} (${s.format})`,
    `Packets:     ${s.packets}`,
    `Bytes:       ${s.bytes} on the wire, ${s.capturedBytes} captured`,
    `First:       ${iso(s.first)}`,
    `Last:        ${iso(s.last)}`,
    `Duration:    ${s.duration.toFixed(6)} s`,
    `Link types:  ${s.linkTypes.map((l) => `${l.name} (${l.linkType}) ×${l.packets}`).join(', ') || '-'}`,
    '',
    'Protocol hierarchy:',
    ...hierarchy.lines().map((l) => `  ${l}`),
  ];
}

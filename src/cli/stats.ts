/**
 * `wirelens stats FILE`: packets, bytes, duration, link types and the protocol hierarchy
 * (like `capinfos` plus `tshark -q -z io,phs`).
 */
import { openCapture } from '../capture/reader.js';
import { linkTypeName } from '../capture/linktype.js';
import { ProtocolHierarchy } from '../analysis/hierarchy.js';
import { Analyzer } from '../analysis/analyzer.js';
import { AppStage, appAnalyzerOptions, readsHttpBodies, readsHttpFields } from '../analysis/app.js';
import { decodePacket } from '../decode/bindings.js';
import { reportWarnings } from './common.js';
import { compileFilterOption } from '../filter/index.js';
import { FrameClock } from '../capture/frame-clock.js';

export interface StatsOptions {
  json?: boolean;
  displayFilter?: string;
  /**
   * False leaves the application stage out: no stream reassembly, no http/tls/dns-over-TCP layers.
   * Not a command-line option; `npm run bench` runs stats both ways to measure what the stage
   * costs (issue 4: at most 30% of stats time).
   */
  applicationStage?: boolean;
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
  /** TCP connections (tcp.stream values) and UDP conversations (udp.stream values). */
  tcpConnections: number;
  udpConversations: number;
}

export async function runStats(file: string, opts: StatsOptions): Promise<number> {
  const filter = compileFilterOption(opts.displayFilter);
  const reader = await openCapture(file);
  const hierarchy = new ProtocolHierarchy();
  // The full analysis runs even though only its counts are printed: stats is the benchmark of it,
  // and the hierarchy counts what it finds. Defragmentation, TCP analysis, and the application
  // stage, which reassembles every TCP stream until it knows the stream carries none of its
  // protocols (as Wireshark reassembles only for dissectors that ask).
  const base = { reuseResults: true, defragment: true };
  // Header fields nobody prints cost no strings, unless -Y asks for one (http.server…): stats
  // shows no message detail, so not even Host and User-Agent are kept.
  const stage = new AppStage({ allHeaders: readsHttpFields(filter), describedHeaders: false, bodies: readsHttpBodies(filter) });
  const analyzer = new Analyzer(opts.applicationStage === false ? base : appAnalyzerOptions(stage, base));
  const linkTypes = new Map<number, number>();
  let packets = 0;
  let bytes = 0;
  let capturedBytes = 0;
  let first: number | null = null;
  let last: number | null = null;
  let minTs = Number.POSITIVE_INFINITY;
  let maxTs = Number.NEGATIVE_INFINITY;
  // Frames of one link type come in long runs: count the run and add it to the map when it ends
  // (a map update per packet is a noticeable part of the loop). Map order stays first-seen order.
  let runLinkType = -1;
  let runLength = 0;
  // Only a filter reads it (frame.time_relative, frame.time_delta…).
  const clock = filter ? new FrameClock() : undefined;
  for await (const batch of reader.batches()) {
    for (const frame of batch) {
      // -Y: decode and analyse every packet, count only the matching ones (as tshark -z io,phs -Y).
      const filtered = filter ? decodePacket(frame) : undefined;
      const filteredAnalysis = filtered ? analyzer.analyze(filtered) : undefined;
      if (clock) clock.advance(frame);
      if (filtered && !filter!.matches(filtered, filteredAnalysis, clock)) continue;
      if (clock) clock.shown();
      packets++;
      bytes += frame.origLen;
      capturedBytes += frame.data.length;
      if (frame.linkType !== runLinkType) {
        if (runLength > 0) linkTypes.set(runLinkType, (linkTypes.get(runLinkType) ?? 0) + runLength);
        runLinkType = frame.linkType;
        runLength = 0;
      }
      runLength++;
      const ts = frame.tsSec + frame.tsNsec / 1e9;
      if (ts < minTs) minTs = ts;
      if (ts > maxTs) maxTs = ts;
      const packet = filtered ?? decodePacket(frame);
      // Analysis first: the application stage adds the http/tls/dns layers the hierarchy counts.
      const analysis = filteredAnalysis ?? analyzer.analyze(packet);
      // A datagram completed by this fragment counts whole, as tshark -z io,phs counts it.
      hierarchy.add(analysis.reassembled ?? packet);
    }
  }
  if (runLength > 0) linkTypes.set(runLinkType, (linkTypes.get(runLinkType) ?? 0) + runLength);
  analyzer.finish();
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
    tcpConnections: analyzer.connections().length,
    udpConversations: analyzer.udpConversations().length,
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
    `Streams:     ${s.tcpConnections} TCP, ${s.udpConversations} UDP`,
    `Link types:  ${s.linkTypes.map((l) => `${l.name} (${l.linkType}) ×${l.packets}`).join(', ') || '-'}`,
    '',
    'Protocol hierarchy:',
    ...hierarchy.lines().map((l) => `  ${l}`),
  ];
}

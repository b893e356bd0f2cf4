/**
 * Display filters, Wireshark style: `wirelens read -Y 'tcp.port == 80 && ip.addr == 10.0.0.0/8'`.
 *
 *   const filter = compileFilter('tcp.analysis.retransmission');   // throws FilterError
 *   if (filter.matches(packet, analysis)) ...
 *
 * Commands take the text from their `-Y, --display-filter` option through compileFilterOption.
 */
import type { PacketAnalysis } from '../analysis/analyzer.js';
import type { Packet } from '../decode/layer.js';
import type { FrameClock } from '../capture/frame-clock.js';
import { compileFilter, type PacketFilter } from './compile.js';

export { FrameClock } from '../capture/frame-clock.js';
export { compileFilter, MAX_MATCH_INPUT, type PacketFilter } from './compile.js';
export { FilterError } from './errors.js';
export { allFields, lookupField, suggestFields, type FieldDef, type FieldType } from './fields.js';

export type PacketPredicate = (packet: Packet, analysis?: PacketAnalysis, clock?: FrameClock) => boolean;

export { DISPLAY_FILTER_FLAGS, DISPLAY_FILTER_HELP } from './option.js';

/**
 * The compiled `-Y` option, or undefined when it was not given. A bad filter throws a FilterError
 * (a WirelensError: the command line prints it and exits with code 2); a filter naming a field
 * wirelens does not decode gets a note on standard error.
 */
export function compileFilterOption(text: string | undefined): PacketFilter | undefined {
  if (text === undefined) return undefined;
  const filter = compileFilter(text);
  // Wireshark would match these; wirelens knows the names but never emits them: say so, once.
  for (const name of filter.undecoded) process.stderr.write(`wirelens: note: -Y names ${name}, a Wireshark field wirelens does not decode: a test on it is never true\n`);
  return filter;
}

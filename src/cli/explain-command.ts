/** `wirelens explain`'s options and help; the command itself is in explain.ts, loaded when it runs. */
import type { Command } from 'commander';
import { DISPLAY_FILTER_FLAGS, DISPLAY_FILTER_HELP } from '../filter/option.js';
import type { ExplainOptions } from './explain.js';

export function registerExplain(program: Command, setExit: (code: number) => void): void {
  program
    .command('explain')
    .description('every packet with an explanation in plain words (handshake, data, loss, teardown …)')
    .argument('<file>', 'pcap or pcapng file')
    .option(DISPLAY_FILTER_FLAGS, DISPLAY_FILTER_HELP)
    .option('--json', 'NDJSON: one object per packet with its explanations as data (code, severity, params, text)')
    .addHelpText('after', '\nExamples:\n  wirelens explain trace.pcap\n  wirelens explain trace.pcap -Y "tcp.analysis.flags" --json')
    .action(async (file: string, opts: ExplainOptions) => {
      const { runExplain } = await import('./explain.js');
      setExit(await runExplain(file, opts));
    });
}

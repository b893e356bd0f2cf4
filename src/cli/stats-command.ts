/** `wirelens stats`'s options and help; the command itself is in stats.ts, loaded when it runs. */
import type { Command } from 'commander';
import { DISPLAY_FILTER_FLAGS, DISPLAY_FILTER_HELP } from '../filter/option.js';
import type { StatsOptions } from './stats.js';

export function registerStats(program: Command, setExit: (code: number) => void): void {
  program
    .command('stats')
    .description('packets, bytes, duration, link types and protocol hierarchy')
    .argument('<file>', 'pcap or pcapng file, or - for standard input')
    .option('--json', 'one JSON object')
    .option(DISPLAY_FILTER_FLAGS, DISPLAY_FILTER_HELP)
    .addHelpText('after', '\nExamples:\n  wirelens stats capture.pcapng\n  wirelens stats --json capture.pcap | jq .protocols')
    .action(async (file: string, opts: StatsOptions) => {
      const { runStats } = await import('./stats.js');
      setExit(await runStats(file, opts));
    });
}

/** `wirelens synth`'s options and help; the command itself is in synth.ts, loaded when it runs. */
import type { Command } from 'commander';
import type { SynthOptions } from './synth.js';

export function registerSynth(program: Command, setExit: (code: number) => void): void {
  program
    .command('synth')
    .description('simulate a network scenario and write its capture (every packet commented with its ground truth)')
    .argument('[scenario]', 'scenario name (see --list)')
    .option('--list', 'list scenarios and their parameters')
    .option('--json', 'with --list: JSON')
    .option('--seed <n>', 'PRNG seed: same scenario, parameters and seed give the same bytes', '1')
    .option('-o, --output <file>', 'output file (default <scenario>.pcapng)')
    .option('--format <fmt>', 'pcapng (default) or pcap (loses the comments)', 'pcapng')
    .option('--taps <names>', 'capture at these hosts/links (comma-separated) instead of the default point')
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .addHelpText('after', '\nExamples:\n  wirelens synth --list\n  wirelens synth lossy-transfer --rtt 80ms --loss 2% --size 1MB\n  wirelens synth retry-storm --policy jitter -o storm.pcapng')
    .action(async (scenario: string | undefined, opts: SynthOptions, cmd: Command) => {
      const { runSynth } = await import('./synth.js');
      setExit(runSynth(scenario, opts, cmd.args.slice(scenario ? 1 : 0)));
    });
}

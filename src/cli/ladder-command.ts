/** `wirelens ladder`'s options and help; the command itself is in ladder.ts, loaded when it runs. */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { DISPLAY_FILTER_FLAGS, DISPLAY_FILTER_HELP } from '../filter/option.js';
import type { LadderCliOptions } from './ladder.js';

function wholeNumber(what: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected ${what}`);
    return n;
  };
}

function oneOf<T extends string>(values: readonly T[]) {
  return (v: string): T => {
    if ((values as readonly string[]).includes(v)) return v as T;
    throw new InvalidArgumentError(`expected one of ${values.join(', ')}`);
  };
}

export function registerLadder(program: Command, setExit: (code: number) => void): void {
  program
    .command('ladder')
    .description('sequence (ladder) diagram: text, markdown, mermaid, plantuml or svg')
    .argument('<file>', 'pcap or pcapng file')
    .option('-s, --stream <n>', 'only this tcp.stream', wholeNumber('a stream number'))
    .option(DISPLAY_FILTER_FLAGS, DISPLAY_FILTER_HELP)
    .option('--max <n>', 'at most n packets', wholeNumber('a number of packets'))
    .option('--all', 'show every packet (no collapsing of bulk transfer)')
    .option('--by <lanes>', 'lanes per endpoint (host:port) or per host', oneOf(['endpoint', 'host'] as const), 'endpoint')
    .option('--time <mode>', 'times shown: abs, rel (since the first packet) or delta', oneOf(['abs', 'rel', 'delta'] as const), 'rel')
    .option('-F, --format <format>', 'text, markdown, mermaid, plantuml or svg', oneOf(['text', 'markdown', 'mermaid', 'plantuml', 'svg'] as const), 'text')
    .option('--ascii', 'plain ASCII instead of box-drawing characters')
    .option('--scale <scale>', 'svg: vertical distance follows elapsed time', oneOf(['time'] as const))
    .option('-o, --output <file>', 'write to a file instead of standard output')
    .addHelpText('after', '\nExamples:\n  wirelens ladder trace.pcap --stream 0\n  wirelens ladder trace.pcap -F mermaid -o ladder.mmd\n  wirelens ladder trace.pcap -F svg --scale time -o ladder.svg')
    .action(async (file: string, opts: LadderCliOptions) => {
      const { runLadder } = await import('./ladder.js');
      setExit(await runLadder(file, opts));
    });
}

/** `wirelens annotate`'s options and help; the command itself is in annotate.ts, loaded when it runs. */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { AnnotateOptions } from './annotate.js';
import { collect } from './common.js';

function collectFrame(v: string, prev: number[]): number[] {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a frame number (from 1)');
  return [...prev, n];
}

export function registerAnnotate(program: Command, setExit: (code: number) => void): void {
  program
    .command('annotate')
    .description("write a pcapng copy with notes on chosen packets (Wireshark's packet comments)")
    .argument('<file>', 'pcap or pcapng file')
    .option('--frame <n>', 'frame to annotate (repeatable, pairs with --note)', collectFrame, [])
    .option('--note <text>', 'the note for the matching --frame (repeatable)', collect, [])
    .option('--notes <file>', 'JSON notes: [{"frame": 3, "note": "…"}] or {"3": "…"}')
    .requiredOption('-o, --output <file>', 'pcapng file to write')
    .addHelpText('after', '\nExamples:\n  wirelens annotate trace.pcap --frame 1 --note "the SYN: watch the ISN" -o lesson.pcapng\n  wirelens annotate trace.pcapng --notes notes.json -o lesson.pcapng')
    .action(async (file: string, opts: AnnotateOptions) => {
      const { runAnnotate } = await import('./annotate.js');
      setExit(await runAnnotate(file, opts));
    });
}

/** `wirelens open`'s arguments and help, and the bare `wirelens FILE`; the command is in open.ts, loaded when it runs. */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';

export function registerOpen(program: Command, setExit: (code: number) => void): void {
  const runOpen = async (file: string) => (await import('./open.js')).runOpen(file);
  program
    .command('open')
    .description('browse a capture in the terminal UI: packet list, layer tree, hex, filters, notes')
    .argument('<file>', 'pcap or pcapng file')
    .addHelpText('after', '\nKeys: ? in the UI lists them all.\nExamples:\n  wirelens open trace.pcap\n  wirelens trace.pcap')
    .action(async (file: string) => {
      setExit(await runOpen(file));
    });
  // A bare file argument opens the UI too; a word that is a command name never reaches here.
  program.argument('[file]').action(async (file: string | undefined) => {
    if (file === undefined) program.help({ error: true });
    // A mistyped command name would otherwise read as a missing file: say both.
    if (!existsSync(file)) program.error(`error: unknown command or file '${file}'`, { code: 'commander.unknownCommand' });
    setExit(await runOpen(file));
  });
}

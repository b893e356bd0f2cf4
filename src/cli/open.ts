/**
 * `wirelens open FILE` (and `wirelens FILE`): the terminal UI (src/tui/). It needs a terminal on
 * both sides; without one (a pipe, a CI log) there is nothing to draw on, so it points to the
 * commands that print the same information as text and exits with the usage code.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';

export function registerOpen(program: Command, setExit: (code: number) => void): void {
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

export async function runOpen(file: string): Promise<number> {
  if (!process.stdout.isTTY || !process.stdin.isTTY) {
    process.stderr.write(`wirelens: open needs a terminal; use \`wirelens read ${file}\` or \`wirelens explain ${file}\` for text output\n`);
    return 2;
  }
  // Loaded only here: the other commands never pay for blessed.
  const { TuiApp } = await import('../tui/app.js');
  const stats = process.env.WIRELENS_TUI_STATS;
  return new TuiApp(file, stats ? { statsFile: stats } : {}).run();
}

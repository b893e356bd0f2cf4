/** `wirelens interfaces`'s options and help; the command itself is in interfaces.ts, loaded when it runs. */
import type { Command } from 'commander';

export function registerInterfaces(program: Command, setExit: (code: number) => void): void {
  program
    .command('interfaces')
    .description('list capture interfaces with their link types, addresses and flags, and which capture engines work here')
    .option('--json', 'one JSON object: { interfaces, engines }')
    .action(async (opts: { json?: boolean }) => {
      const { runInterfaces } = await import('./interfaces.js');
      setExit(runInterfaces(opts));
    });
}

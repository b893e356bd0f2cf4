/** `wirelens fields`'s options and help; the command itself is in fields.ts, loaded when it runs. */
import type { Command } from 'commander';
import type { FieldsOptions } from './fields.js';

export function registerFields(program: Command, setExit: (code: number) => void): void {
  program
    .command('fields')
    .description('list the field and protocol names display filters (-Y) understand')
    .argument('[prefix]', 'only names starting with this, e.g. tcp.analysis or ip.')
    .option('--json', 'NDJSON: one {name, type, protocol, description} object per line')
    .addHelpText('after', '\nExamples:\n  wirelens fields\n  wirelens fields tcp.flags\n  wirelens fields --json | jq -r .name')
    .action(async (prefix: string | undefined, opts: FieldsOptions) => {
      const { runFields } = await import('./fields.js');
      setExit(runFields(prefix, opts));
    });
}

/** `wirelens record`'s options and help; the command itself is in record.ts, loaded when it runs. */
import type { Command } from 'commander';
import { engineOptions } from './capture-command.js';
import type { RecordOptions } from './record.js';

export function registerRecord(program: Command, setExit: (code: number) => void): void {
  const command = program
    .command('record')
    .description('capture while a command runs; exit with its exit code')
    .requiredOption('-i, --interface <if>', 'interface to capture on (see wirelens interfaces)')
    .requiredOption('-w, --write <file>', 'pcapng file to write')
    .option('-f, --filter <bpf>', 'capture filter (BPF, as tcpdump)');
  engineOptions(command)
    .argument('<command...>', 'the command and its arguments, after --')
    .addHelpText(
      'after',
      '\nThe capture is running before the command starts and stops shortly after it exits;\n' +
        'packets captured and dropped go to stderr.\n' +
        'Examples:\n  wirelens record -i lo -f "tcp port 3000" -w run.pcapng -- npm test\n  wirelens record -i lo -w curl.pcapng -- curl -s http://127.0.0.1:8080/',
    )
    .action(async (command: string[], opts: RecordOptions) => {
      const { runRecord } = await import('./record.js');
      setExit(await runRecord(command, opts));
    });
}

/** `wirelens check`'s options and help; the command itself is in check.ts, loaded when it runs. */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
// report.ts has no runtime imports, so the reporter names cost nothing to load here.
import { REPORTERS, type ReporterName } from '../assert/report.js';
import type { CheckOptions } from './check.js';
import { collect } from './common.js';

function parseReporter(value: string): ReporterName {
  if (!(REPORTERS as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${REPORTERS.join(', ')}`);
  return value as ReporterName;
}

export function registerCheck(program: Command, setExit: (code: number) => void): void {
  program
    .command('check')
    .description('assert protocol behaviour on a capture (exit 0 pass, 1 fail, 2 usage)')
    .argument('<file>', 'pcap or pcapng file, or - for standard input')
    .option('-e, --expect <filter>', 'some packet must match this display filter (repeatable)', collect)
    .option('-n, --expect-none <filter>', 'no packet may match this display filter (repeatable)', collect)
    .option('--spec <file>', 'named checks in YAML or JSON (see README "Asserting protocol behaviour in tests")')
    .option('--reporter <name>', `output: ${REPORTERS.join(', ')}`, parseReporter, 'text' as ReporterName)
    .addHelpText(
      'after',
      '\nExamples:\n  wirelens check run.pcapng --expect "http.response.code == 200" --expect-none "tcp.analysis.retransmission"\n' +
        '  wirelens check run.pcapng --spec checks.yaml --reporter junit > report.xml',
    )
    .action(async (file: string, opts: CheckOptions) => {
      const { runCheck } = await import('./check.js');
      setExit(await runCheck(file, opts));
    });
}

/** `wirelens capture`'s options and help; the command itself is in capture.ts, loaded when it runs. */
import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { TIME_FORMATS, TIME_FORMAT_HELP } from '../output/time-column.js';
import { DISPLAY_FILTER_FLAGS, DISPLAY_FILTER_HELP } from '../filter/option.js';
import { parseCount } from './common.js';
import type { CaptureCliOptions } from './capture.js';
import { fieldsOptions } from './fields-option.js';

export const ENGINES = ['auto', 'dumpcap', 'tcpdump', 'cap'] as const;

export function parseEngine(value: string): (typeof ENGINES)[number] {
  if (!(ENGINES as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${ENGINES.join(', ')}`);
  return value as (typeof ENGINES)[number];
}

export function parsePositive(what: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a positive number of ${what}`);
    return n;
  };
}

export function parseSnaplen(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 262144) throw new InvalidArgumentError('expected bytes per packet, 1 to 262144');
  return n;
}

/** The engine options `capture` and `record` share: snap length, kernel buffer, which engine. */
export function engineOptions(command: Command): Command {
  return command
    .option('--snaplen <n>', 'bytes kept per packet (default 262144)', parseSnaplen)
    .option('--buffer <MiB>', 'kernel capture buffer size', parsePositive('MiB'))
    .option('--engine <name>', `capture engine: ${ENGINES.join(', ')} (auto: dumpcap, else tcpdump, else the in-process cap)`, parseEngine, 'auto' as const);
}

export function registerCapture(program: Command, setExit: (code: number) => void): void {
  const command = program
    .command('capture')
    .description('capture live from an interface: the terminal UI on a terminal, else print each packet (as read); and/or write pcapng')
    .requiredOption('-i, --interface <if>', 'interface to capture on (see wirelens interfaces)')
    .option('-f, --filter <bpf>', 'capture filter (BPF, as tcpdump), applied in the kernel')
    .option('-w, --write <file>', 'write the capture as pcapng as it goes (- for standard output)')
    .option('-c, --count <n>', 'stop after n packets', parseCount)
    .option('--duration <s>', 'stop after s seconds', parsePositive('seconds'));
  engineOptions(command)
    .option('--no-tui', 'print packet lines even on a terminal (--json and -q do too)')
    .option('--json', 'NDJSON: one object per packet, keyed by Wireshark field names')
    .option('-q, --quiet', 'no packet lines (with -w: only write the file)')
    .option(DISPLAY_FILTER_FLAGS, DISPLAY_FILTER_HELP)
    .addOption(new Option('-t, --time-format <format>', TIME_FORMAT_HELP).choices(TIME_FORMATS));
  fieldsOptions(command)
    .addHelpText(
      'after',
      '\nStops on Ctrl-C, -c or --duration; the pcapng stays valid and ends with the received/dropped counts.\n' +
        'In the terminal UI, -c and --duration end the capture but not the UI (q quits); without -w the capture\n' +
        'goes to a temporary file deleted on quit.\n' +
        'Needs root or CAP_NET_RAW+CAP_NET_ADMIN for the capture tool, or for node with --engine cap (the error says how).\n' +
        'With --engine cap timestamps are approximate (taken in user space) and drops are not counted.\n' +
        'Examples:\n  wirelens capture -i lo -f "tcp port 8080"\n  wirelens capture -i eth0 -w out.pcapng -c 1000 --no-tui',
    )
    .action(async (opts: CaptureCliOptions) => {
      const { runCapture } = await import('./capture.js');
      setExit(await runCapture(opts));
    });
}

/** `wirelens read`'s options and help; the command itself is in read.ts, loaded when it runs. */
import { Option, type Command } from 'commander';
import { TIME_FORMATS, TIME_FORMAT_HELP } from '../output/time-column.js';
import { fieldsOptions } from './fields-option.js';
import { DISPLAY_FILTER_FLAGS, DISPLAY_FILTER_HELP } from '../filter/option.js';
import { parseCount } from './common.js';
import type { ReadOptions } from './read.js';

export function registerRead(program: Command, setExit: (code: number) => void): void {
  const command = program
    .command('read')
    .description('print one line per packet (or NDJSON with --json)')
    .argument('<file>', 'pcap or pcapng file, or - for standard input')
    .option('-c, --count <n>', 'stop after n packets', parseCount)
    .option('--json', 'NDJSON: one object per packet, keyed by Wireshark field names')
    .option(DISPLAY_FILTER_FLAGS, DISPLAY_FILTER_HELP)
    .addOption(new Option('-t, --time-format <format>', TIME_FORMAT_HELP).choices(TIME_FORMATS))
    .option('-v, --verbose', 'after each packet line, its layer tree with every field (tshark -V; Wireshark field names)');
  fieldsOptions(command)
    .addHelpText(
      'after',
      '\nExamples:\n  wirelens read traces/http-get.pcapng\n  wirelens read -c 10 --json capture.pcap\n  wirelens read -t ad -Y dns capture.pcap\n' +
        '  wirelens read -T fields -e frame.number -e ip.src -e tcp.srcport -E separator=, capture.pcap\n  tcpdump -i lo -w - | wirelens read -',
    )
    .action(async (file: string, opts: ReadOptions) => {
      const { runRead } = await import('./read.js');
      setExit(await runRead(file, opts));
    });
}

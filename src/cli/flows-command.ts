/** `wirelens flows`'s options and help; the command itself is in flows.ts, loaded when it runs. */
import type { Command } from 'commander';
import { DISPLAY_FILTER_FLAGS } from '../filter/option.js';
import type { FlowsOptions } from './flows.js';

export function registerFlows(program: Command, setExit: (code: number) => void): void {
  program
    .command('flows')
    .description('one row per TCP connection or UDP conversation (tshark conv tables + Zeek conn.log)')
    .argument('<file>', 'pcap or pcapng file, or - for standard input')
    .option('--json', 'NDJSON: one object per conversation')
    .option(DISPLAY_FILTER_FLAGS, 'only conversations having a packet that matches this Wireshark display filter')
    .addHelpText(
      'after',
      '\nExamples:\n  wirelens flows capture.pcapng\n  wirelens flows -Y tcp.analysis.retransmission capture.pcap\n  wirelens flows --json capture.pcap | jq \'select(.state == "REJ")\'\n\n' +
        'State and history follow Zeek\'s conn.log (S0 attempt, SF normal close, REJ refused, RSTO/RSTR reset\n' +
        'by client/server, OTH midstream, ...; history letters: S syn, h syn-ack, A/a ack, D/d data, F/f fin,\n' +
        'R/r rst, T/t retransmission, W/w zero window, G/g gap, ^ roles flipped; upper case = client).',
    )
    .action(async (file: string, opts: FlowsOptions) => {
      const { runFlows } = await import('./flows.js');
      setExit(await runFlows(file, opts));
    });
}

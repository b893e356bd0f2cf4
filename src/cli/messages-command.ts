/** `wirelens messages`'s options and help; the command itself is in messages.ts, loaded when it runs. */
import type { Command } from 'commander';
import { DISPLAY_FILTER_FLAGS, DISPLAY_FILTER_HELP } from '../filter/option.js';
import { parseStream } from './common.js';
import type { MessagesOptions } from './messages.js';

export function registerMessages(program: Command, setExit: (code: number) => void): void {
  program
    .command('messages')
    .description('application messages: HTTP, WebSocket, SSE, DNS, TLS hellos, QUIC headers')
    .argument('<file>', 'pcap or pcapng file, or - for standard input')
    .option('-s, --stream <n>', 'only this tcp.stream', parseStream)
    .option('--json', 'NDJSON: one object per message')
    .option(DISPLAY_FILTER_FLAGS, DISPLAY_FILTER_HELP)
    .addHelpText('after', '\nExamples:\n  wirelens messages capture.pcap\n  wirelens messages capture.pcap --stream 3 --json\n  wirelens messages capture.pcap -Y "http.response.code >= 400"')
    .action(async (file: string, opts: MessagesOptions) => {
      const { runMessages } = await import('./messages.js');
      setExit(await runMessages(file, opts));
    });
}

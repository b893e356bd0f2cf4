/** `wirelens follow`'s options and help; the command itself is in follow.ts, loaded when it runs. */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { parseStream } from './common.js';
import type { FollowFormat, FollowOptions } from './follow.js';

function parseFormat(value: string): FollowFormat {
  if (value === 'ascii' || value === 'hex' || value === 'raw' || value === 'messages') return value;
  throw new InvalidArgumentError('expected ascii, hex, raw or messages');
}

export function registerFollow(program: Command, setExit: (code: number) => void): void {
  program
    .command('follow')
    .description("one TCP connection's reassembled byte streams, as Wireshark's Follow TCP Stream")
    .argument('<file>', 'pcap or pcapng file, or - for standard input')
    .requiredOption('-s, --stream <n>', 'tcp.stream number (as `wirelens read --json` and tshark number them)', parseStream)
    .option('-f, --format <format>', 'ascii, hex or raw (as tshark -z follow,tcp,FORMAT,N), or messages (the decoded HTTP/WebSocket/SSE/TLS/DNS messages)', parseFormat, 'ascii')
    .addHelpText(
      'after',
      '\nExamples:\n  wirelens follow capture.pcap --stream 0\n  wirelens follow capture.pcap -s 3 --format hex\n  wirelens follow capture.pcap -s 0 --format raw | tail -n +7 | xxd -r -p',
    )
    .action(async (file: string, opts: FollowOptions) => {
      const { runFollow } = await import('./follow.js');
      setExit(await runFollow(file, opts));
    });
}

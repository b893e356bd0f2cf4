/**
 * `wirelens ladder FILE`: a sequence (ladder) diagram of the capture, for the terminal, a
 * Markdown handout, Mermaid, PlantUML or a standalone SVG (src/timeline/). Colour in the terminal
 * only when stdout is a TTY and NO_COLOR is not set (https://no-color.org).
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { DISPLAY_FILTER_FLAGS, DISPLAY_FILTER_HELP, compileFilterOption } from '../filter/index.js';
import { WirelensError } from '../errors.js';
import { buildLadder, type TimeMode } from '../timeline/ladder.js';
import { buildTimeline } from '../timeline/pipeline.js';
import { renderLadder, type LadderFormat } from '../timeline/render.js';
import { reportWarnings } from './common.js';

interface LadderCliOptions {
  stream?: number;
  displayFilter?: string;
  max?: number;
  all?: boolean;
  by: 'endpoint' | 'host';
  time: TimeMode;
  format: LadderFormat;
  ascii?: boolean;
  scale?: 'time';
  output?: string;
}

function wholeNumber(what: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected ${what}`);
    return n;
  };
}

function oneOf<T extends string>(values: readonly T[]) {
  return (v: string): T => {
    if ((values as readonly string[]).includes(v)) return v as T;
    throw new InvalidArgumentError(`expected one of ${values.join(', ')}`);
  };
}

export function registerLadder(program: Command, setExit: (code: number) => void): void {
  program
    .command('ladder')
    .description('sequence (ladder) diagram: text, markdown, mermaid, plantuml or svg')
    .argument('<file>', 'pcap or pcapng file')
    .option('-s, --stream <n>', 'only this tcp.stream', wholeNumber('a stream number'))
    .option(DISPLAY_FILTER_FLAGS, DISPLAY_FILTER_HELP)
    .option('--max <n>', 'at most n packets', wholeNumber('a number of packets'))
    .option('--all', 'show every packet (no collapsing of bulk transfer)')
    .option('--by <lanes>', 'lanes per endpoint (host:port) or per host', oneOf(['endpoint', 'host'] as const), 'endpoint')
    .option('--time <mode>', 'times shown: abs, rel (since the first packet) or delta', oneOf(['abs', 'rel', 'delta'] as const), 'rel')
    .option('-F, --format <format>', 'text, markdown, mermaid, plantuml or svg', oneOf(['text', 'markdown', 'mermaid', 'plantuml', 'svg'] as const), 'text')
    .option('--ascii', 'plain ASCII instead of box-drawing characters')
    .option('--scale <scale>', 'svg: vertical distance follows elapsed time', oneOf(['time'] as const))
    .option('-o, --output <file>', 'write to a file instead of standard output')
    .addHelpText('after', '\nExamples:\n  wirelens ladder trace.pcap --stream 0\n  wirelens ladder trace.pcap -F mermaid -o ladder.mmd\n  wirelens ladder trace.pcap -F svg --scale time -o ladder.svg')
    .action(async (file: string, opts: LadderCliOptions) => {
      setExit(await runLadder(file, opts));
    });
}

export async function runLadder(file: string, opts: LadderCliOptions): Promise<number> {
  const filter = compileFilterOption(opts.displayFilter);
  const timeline = await buildTimeline(file, {
    ...(filter ? { filter } : {}),
    ...(opts.stream !== undefined ? { stream: opts.stream } : {}),
    ...(opts.max !== undefined ? { max: opts.max } : {}),
  });
  if (opts.stream !== undefined && timeline.entries.length === 0) {
    throw new WirelensError('WL_ERR_NO_SUCH_STREAM', `${file}: no packets in tcp.stream ${opts.stream}${filter ? ' matching the filter' : ''}`);
  }
  const ladder = buildLadder(timeline, { by: opts.by, time: opts.time, all: opts.all === true, title: titleOf(file, opts) });
  const toTty = opts.output === undefined && process.stdout.isTTY === true;
  const color = toTty && !process.env.NO_COLOR;
  const text = renderLadder(ladder, opts.format, { ascii: opts.ascii === true, color, scaleTime: opts.scale === 'time' });
  if (opts.output !== undefined) {
    try {
      writeFileSync(opts.output, text);
    } catch (err) {
      throw new WirelensError('WL_ERR_FILE_OPEN', `${opts.output}: ${(err as Error).message}`);
    }
  } else process.stdout.write(text);
  reportWarnings(timeline.warnings);
  return 0;
}

function titleOf(file: string, opts: LadderCliOptions): string {
  const base = file.split('/').pop() ?? file;
  return opts.stream !== undefined ? `${base} · tcp.stream ${opts.stream}` : base;
}

/**
 * `wirelens ladder FILE`: a sequence (ladder) diagram of the capture, for the terminal, a
 * Markdown handout, Mermaid, PlantUML or a standalone SVG (src/timeline/). Colour in the terminal
 * only when stdout is a TTY and NO_COLOR is not set (https://no-color.org).
 */
import { writeFileSync } from 'node:fs';
import { compileFilterOption } from '../filter/index.js';
import { WirelensError } from '../errors.js';
import { buildLadder, type TimeMode } from '../timeline/ladder.js';
import { buildTimeline } from '../timeline/pipeline.js';
import { renderLadder, type LadderFormat } from '../timeline/render.js';
import { reportWarnings } from './common.js';

export interface LadderCliOptions {
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

/** Small pieces shared by the commands: option parsers and how warnings are printed. */
import { InvalidArgumentError } from 'commander';
import type { ReadWarning } from '../errors.js';

/** A repeatable option's values, in the order given (commander's accumulator). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number of packets');
  return n;
}

/** A tcp.stream number, for the commands that narrow to one stream. */
export function parseStream(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a stream number (tcp.stream, from 0)');
  return n;
}

/** Warnings go to stderr after the output, one line each, with the code to search for (the reader's message already names the file, frame and offset). */
export function reportWarnings(warnings: readonly ReadWarning[]): void {
  for (const w of warnings) process.stderr.write(`wirelens: warning: ${w.message} [${w.code}]\n`);
}

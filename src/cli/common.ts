/** Small pieces shared by the commands: option parsers and how warnings are printed. */
import { InvalidArgumentError } from 'commander';
import type { ReadWarning } from '../errors.js';

export function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number of packets');
  return n;
}

/** Warnings go to stderr after the output, one line each, with the code to search for. */
export function reportWarnings(file: string, warnings: readonly ReadWarning[]): void {
  for (const w of warnings) {
    const where = [w.frameNumber !== undefined ? `after frame ${w.frameNumber}` : '', `at file offset ${w.fileOffset}`]
      .filter(Boolean)
      .join(', ');
    process.stderr.write(`wirelens: warning: ${file}: ${w.message} (${where}) [${w.code}]\n`);
  }
}

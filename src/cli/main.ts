/**
 * Command-line entry point. Each command lives in its own file; this one wires them into commander
 * and turns user errors (WirelensError) into one line on stderr and exit code 2, never a stack trace.
 */
import { Command, CommanderError } from 'commander';
import { WirelensError } from '../errors.js';
import { registerRead } from './read.js';
import { registerFields } from './fields.js';
import { registerStats } from './stats.js';
import { registerFlows } from './flows.js';
import { registerFollow } from './follow.js';
import { registerSynth } from './synth.js';
import { registerExplain } from './explain.js';
import { registerLadder } from './ladder.js';
import { registerAnnotate } from './annotate.js';
import { registerMessages } from './messages.js';
import { registerOpen } from './open.js';
import { registerCheck } from './check.js';

export const VERSION = '0.1.0';

export async function main(argv: string[]): Promise<number> {
  const program = new Command('wirelens')
    .description('See networking: read captures, decode every layer, explain every packet.')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .showHelpAfterError('(run wirelens --help for usage)');
  let exitCode = 0;
  const setExit = (code: number) => {
    exitCode = Math.max(exitCode, code);
  };
  registerRead(program, setExit);
  registerFields(program, setExit);
  registerStats(program, setExit);
  registerFlows(program, setExit);
  registerFollow(program, setExit);
  registerSynth(program, setExit);
  registerExplain(program, setExit);
  registerLadder(program, setExit);
  registerAnnotate(program, setExit);
  registerMessages(program, setExit);
  registerOpen(program, setExit);
  registerCheck(program, setExit);
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    return reportError(err);
  }
}

export function reportError(err: unknown): number {
  if (err instanceof CommanderError) {
    // Help and version are exits with code 0; usage mistakes are code 2, as with tshark/tcpdump.
    return err.exitCode === 0 ? 0 : 2;
  }
  if (err instanceof WirelensError) {
    process.stderr.write(`wirelens: ${err.message} [${err.code}]\n`);
    return 2;
  }
  throw err;
}

/**
 * Command-line entry point. Each command lives in its own file; this one wires them into commander
 * and turns user errors (WirelensError) into one line on stderr and exit code 2, never a stack trace.
 *
 * Every command is two modules: X-command.ts declares its arguments, options and help and imports
 * only commander and small option helpers; X.ts does the work and is loaded by the action with
 * import(). Registering all commands is then cheap, and a run loads only the chosen command's
 * dependencies (decoders, analysis, simulator, UI): `wirelens --version` starts as fast as node.
 */
import { Command, CommanderError } from 'commander';
import { WirelensError } from '../errors.js';
import { registerRead } from './read-command.js';
import { registerFields } from './fields-command.js';
import { registerStats } from './stats-command.js';
import { registerFlows } from './flows-command.js';
import { registerFollow } from './follow-command.js';
import { registerSynth } from './synth-command.js';
import { registerExplain } from './explain-command.js';
import { registerLadder } from './ladder-command.js';
import { registerAnnotate } from './annotate-command.js';
import { registerMessages } from './messages-command.js';
import { registerOpen } from './open-command.js';
import { registerCheck } from './check-command.js';
import { registerCapture } from './capture-command.js';
import { registerRecord } from './record-command.js';
import { registerInterfaces } from './interfaces-command.js';

export const VERSION = '0.1.0';

export async function main(argv: string[]): Promise<number> {
  // A reader that went away (`wirelens read --help | head -3`) is no error: what was left to say
  // has nobody to read it. Without a listener, Node throws EPIPE with a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
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
  registerCapture(program, setExit);
  registerRecord(program, setExit);
  registerInterfaces(program, setExit);
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

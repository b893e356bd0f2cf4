/**
 * One `stats` run with or without the application stage, for issue 4's target (application
 * decoding adds at most 30% to stats time). It runs the command's own code, runStats, in a fresh
 * process as `wirelens stats FILE` does, minus the command-line parsing, which both sides would pay
 * alike; the stats text goes to stdout.
 *
 *   node bench/stats-app.mjs FILE with|without
 */
import { fileURLToPath } from 'node:url';

export const APP_STAGE_MODES = ['with', 'without'];

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, mode] = process.argv.slice(2);
  if (!file || !APP_STAGE_MODES.includes(mode)) {
    console.error(`usage: node bench/stats-app.mjs FILE ${APP_STAGE_MODES.join('|')}`);
    process.exit(2);
  }
  const { runStats } = await import('../dist/cli/stats.js');
  process.exitCode = await runStats(file, { applicationStage: mode === 'with' });
}

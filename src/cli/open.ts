/**
 * `wirelens open FILE` (and `wirelens FILE`): the terminal UI (src/tui/). It needs a terminal on
 * both sides; without one (a pipe, a CI log) there is nothing to draw on, so it points to the
 * commands that print the same information as text and exits with the usage code.
 */

export async function runOpen(file: string): Promise<number> {
  if (!process.stdout.isTTY || !process.stdin.isTTY) {
    process.stderr.write(`wirelens: open needs a terminal; use \`wirelens read ${file}\` or \`wirelens explain ${file}\` for text output\n`);
    return 2;
  }
  // Loaded only here: the other commands never pay for blessed.
  const { TuiApp } = await import('../tui/app.js');
  const stats = process.env.WIRELENS_TUI_STATS;
  return new TuiApp(file, stats ? { statsFile: stats } : {}).run();
}

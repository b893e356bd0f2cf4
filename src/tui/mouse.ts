/**
 * The mouse (blessed reports it once an element listens for it): a press selects the list row
 * under it, or the packet of a ladder pane line, and focuses the pane it is in; the wheel scrolls
 * the list (the selection stays unless it would leave the screen), moves in the tree and the dump
 * as the arrow keys do there, and scrolls the full-screen views. In the connections and messages
 * tables a press selects the row, and a press on the selected row acts as Enter. A press acts at once, as in most
 * terminal programs, rather than on the release. Row 0 of every pane is its title or header.
 */
import type blessed from 'blessed';
import type { Action } from './keymap.js';
import type { TuiState } from './state.js';
import { windowStart } from './widgets/details-pane.js';

/** Rows (or lines) one turn of the wheel moves. */
export const WHEEL_ROWS = 3;

type Box = blessed.Widgets.BoxElement;

export interface MouseHost {
  state: TuiState;
  boxes: Record<'list' | 'tree' | 'hex' | 'ladder' | 'view', Box>;
  /** Rows of the layer tree and the rows its pane shows. */
  treeRows(): { count: number; visible: number };
  /** The frame number drawn on a row of the ladder pane, if any. */
  ladderFrame(row: number): number | undefined;
  act(a: Action): void;
  redraw(): void;
}

export function bindMouse(host: MouseHost): void {
  const s = host.state;
  const b = host.boxes;
  const on = (box: Box, event: string, f: (row: number) => void) =>
    box.on(event, (data: { y: number }) => {
      if (s.mode !== 'normal') return;
      f(data.y - (box.atop as number));
      host.redraw();
    });
  const wheel = (box: Box, focus: () => void = () => {}) => {
    for (const [event, a] of [['wheelup', 'up'], ['wheeldown', 'down']] as const)
      on(box, event, () => {
        focus();
        for (let k = 0; k < WHEEL_ROWS; k++) host.act(a);
      });
  };
  on(b.list, 'mousedown', (row) => {
    s.pane = 'list';
    s.clickRow(row - 1);
  });
  on(b.list, 'wheelup', () => s.scroll(-WHEEL_ROWS));
  on(b.list, 'wheeldown', () => s.scroll(WHEEL_ROWS));
  on(b.tree, 'mousedown', (row) => {
    s.pane = 'tree';
    const { count, visible } = host.treeRows();
    const at = windowStart(s.treeCursor, count, visible) + row - 1;
    if (row >= 1 && at < count) s.treeCursor = at;
  });
  wheel(b.tree, () => (s.pane = 'tree'));
  on(b.hex, 'mousedown', () => (s.pane = 'hex'));
  wheel(b.hex, () => (s.pane = 'hex'));
  on(b.ladder, 'mousedown', (row) => {
    const f = host.ladderFrame(row);
    if (f !== undefined) s.jumpTo(f);
  });
  on(b.view, 'mousedown', (row) => {
    if (s.clickViewRow(row)) host.act('toggle');
  });
  wheel(b.view);
}

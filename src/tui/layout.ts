/**
 * Where the panes go for a terminal size. Pure, so 80×24 (the smallest supported) is tested.
 * Top to bottom: packet list, layer tree, hex dump, filter bar, status line. On wide terminals the
 * tree and the dump sit side by side under the list (a dump line needs 74 columns).
 */
export interface Rect {
  top: number;
  left: number;
  width: number;
  height: number;
}

export interface Layout {
  list: Rect;
  tree: Rect;
  hex: Rect;
  /** A full-screen view (connections, messages, ladder, follow): everything above the filter bar. */
  view: Rect;
  filterBar: Rect;
  status: Rect;
}

/** Width of one hex dump line: "0000  " + 16 × "xx " + " " + 16 ASCII columns. */
export const HEX_WIDTH = 6 + 48 + 1 + 16 + 1;

export function computeLayout(cols: number, rows: number): Layout {
  const width = Math.max(20, cols);
  const body = Math.max(6, rows - 2);
  const sideBySide = width >= HEX_WIDTH + 60;
  const list = Math.max(3, Math.floor(body * (sideBySide ? 0.55 : 0.42)));
  const rest = body - list;
  let tree: Rect;
  let hex: Rect;
  if (sideBySide) {
    tree = { top: list, left: 0, width: width - HEX_WIDTH, height: rest };
    hex = { top: list, left: width - HEX_WIDTH, width: HEX_WIDTH, height: rest };
  } else {
    const t = Math.ceil(rest / 2);
    tree = { top: list, left: 0, width, height: t };
    hex = { top: list + t, left: 0, width, height: rest - t };
  }
  return {
    list: { top: 0, left: 0, width, height: list },
    tree,
    hex,
    view: { top: 0, left: 0, width, height: body },
    filterBar: { top: body, left: 0, width, height: 1 },
    status: { top: body + 1, left: 0, width, height: 1 },
  };
}

/**
 * Where the panes go for a terminal size. Pure, so 80×24 (the smallest supported) is tested.
 * Top to bottom: packet list, layer tree, hex dump, filter bar, status line. On wide terminals the
 * tree and the dump sit side by side under the list (a dump line needs 74 columns).
 *
 * The ladder pane shows by itself from LADDER_AUTO_COLS columns, as a column on the right (its
 * lines need about 60 columns to say something next to the arrows, and the list keeps 96); on a
 * narrower terminal it shows only when asked, as a band across the bottom of the panes.
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
  /** The ladder pane, when shown. */
  ladder?: Rect;
}

/** The ladder pane: by the terminal's width (auto), or as toggled. */
export type LadderPane = 'auto' | 'on' | 'off';

export const LADDER_AUTO_COLS = 160;

/** Width of one hex dump line: "0000  " + 16 × "xx " + " " + 16 ASCII columns. */
export const HEX_WIDTH = 6 + 48 + 1 + 16 + 1;

export function computeLayout(cols: number, rows: number, ladder: LadderPane = 'off'): Layout {
  const width = Math.max(20, cols);
  const body = Math.max(6, rows - 2);
  const show = ladder === 'on' || (ladder === 'auto' && width >= LADDER_AUTO_COLS);
  let panes: Pick<Layout, 'list' | 'tree' | 'hex'>;
  let pane: Rect | undefined;
  if (!show) panes = packetPanes(width, body);
  else if (width >= LADDER_AUTO_COLS) {
    const w = Math.max(64, Math.min(110, Math.floor(width * 0.4)));
    panes = packetPanes(width - w, body);
    // One blank column keeps the list's last column apart from the ladder's gutter.
    pane = { top: 0, left: width - w + 1, width: w - 1, height: body };
  } else {
    const h = Math.max(4, Math.floor(body * 0.4));
    panes = packetPanes(width, body - h);
    pane = { top: body - h, left: 0, width, height: h };
  }
  return {
    ...panes,
    view: { top: 0, left: 0, width, height: body },
    filterBar: { top: body, left: 0, width, height: 1 },
    status: { top: body + 1, left: 0, width, height: 1 },
    ...(pane ? { ladder: pane } : {}),
  };
}

/** The packet list, the layer tree and the dump in `width` × `body` from the top left. */
function packetPanes(width: number, body: number): Pick<Layout, 'list' | 'tree' | 'hex'> {
  const sideBySide = width >= HEX_WIDTH + 60;
  const list = Math.max(3, Math.floor(body * (sideBySide ? 0.55 : 0.42)));
  const rest = body - list;
  if (sideBySide) {
    return {
      list: { top: 0, left: 0, width, height: list },
      tree: { top: list, left: 0, width: width - HEX_WIDTH, height: rest },
      hex: { top: list, left: width - HEX_WIDTH, width: HEX_WIDTH, height: rest },
    };
  }
  const t = Math.ceil(rest / 2);
  return {
    list: { top: 0, left: 0, width, height: list },
    tree: { top: list, left: 0, width, height: t },
    hex: { top: list + t, left: 0, width, height: rest - t },
  };
}

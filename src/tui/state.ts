/**
 * Everything the TUI shows that is not pixels: the selection and scroll position over the packet
 * list (virtual rows: a frame index, or a position in the current filter's matches), the filter
 * with its last good version and the error to show in the filter bar, follow-tail, notes, which
 * pane has the focus, the prompt being typed. It has no terminal and no I/O, so every key's effect
 * is unit-tested (test/tui/state.test.ts); the app (app.ts) turns keys into calls here and draws
 * from what it reads here.
 */
import { compileFilter, FilterError, type PacketFilter } from '../filter/index.js';
import type { FrameNote } from '../timeline/annotate.js';
import { GRAPH_KINDS, type GraphKind } from './graphs.js';
import type { LadderPane } from './layout.js';

export type Pane = 'list' | 'tree' | 'hex';
export type Mode = 'normal' | 'filter' | 'jump' | 'note' | 'search' | 'help';
/**
 * What fills the screen above the filter bar: the packet panes, or one full-screen view. The
 * connections and messages views are tables with a selected row (Enter acts on it); the ladder and
 * follow views are text that scrolls; the graphs view draws one of three graphs of a stream.
 */
export type View = 'packets' | 'connections' | 'messages' | 'ladder' | 'follow' | 'graphs';

const TABLE_VIEWS: ReadonlySet<View> = new Set(['connections', 'messages']);

const PANES: readonly Pane[] = ['list', 'tree', 'hex'];

export interface StateOptions {
  /** Start following the tail (live capture); a file opens at its first packet. */
  follow?: boolean;
}

/** What the app must do after a prompt was submitted. */
export type PromptOutcome =
  | { kind: 'none' }
  | { kind: 'filter'; filter: PacketFilter | undefined }
  | { kind: 'note'; frame: number }
  | { kind: 'search'; text: string };

export class TuiState {
  /** Frames indexed so far. */
  total = 0;
  indexDone = false;
  /** Rows of the list when a filter applies: 0-based frame indices in file order. */
  matches: number[] | null = null;
  filterDone = true;
  selected = 0;
  top = 0;
  pageSize = 1;
  follow: boolean;
  pane: Pane = 'list';
  mode: Mode = 'normal';
  /** The text being typed in the prompt (filter, frame number, note). */
  input = '';
  /** The filter in force (last good one) and its text. */
  filter: PacketFilter | undefined;
  filterText = '';
  /** The last rejected filter's message, caret lines included; '' when the last one compiled. */
  filterError = '';
  /** For the filter in force: the Wireshark fields it names that wirelens does not decode ('' for none). */
  filterNote = '';
  /** A one-line message for the status line (e.g. "no frame 99"). */
  message = '';
  /** Notes by frame number (1-based, as shown). */
  readonly notes = new Map<number, string>();
  /** Layer-tree cursor and the protocols shown expanded (kept across packets, like Wireshark). */
  treeCursor = 0;
  readonly expanded = new Set<string>();
  /** While a filter pass runs: the frame that was selected, to land near it again. */
  private anchor = -1;
  /** The last search (`s`), repeated by N and P. */
  searchText = '';
  /** Where the last search found its text in a packet's bytes, highlighted in the dump until the selection moves. */
  searchHit: { frame: number; offset: number; length: number } | undefined;
  /** The full-screen view and its rows (table rows or text lines); `viewLoading` until they came. */
  view: View = 'packets';
  viewLoading = false;
  viewRows = 0;
  /** Table views: the selected row. Text views: the line to highlight (-1 none). */
  viewSelected = 0;
  viewTop = 0;
  viewPage = 1;
  /** The graphs view: which graph, and the sequence graph's direction (undefined: the busier one). */
  graph: GraphKind = 'seq';
  graphDir: 0 | 1 | undefined;
  /** The messages view: only the selected packet's TCP stream (else the whole trace). */
  messagesOfStream = false;
  /** The ladder pane: shown by the terminal's width, or as toggled. */
  ladderPane: LadderPane = 'auto';
  /** The help's first line shown, and its page and length. */
  helpTop = 0;
  helpPage = 1;
  private helpLines = 0;

  constructor(options: StateOptions = {}) {
    this.follow = options.follow ?? false;
  }

  get rowCount(): number {
    return this.matches ? this.matches.length : this.total;
  }

  /** The 0-based frame index shown on `row`. */
  frameAt(row: number): number {
    return this.matches ? this.matches[row]! : row;
  }

  /** The selected frame's 0-based index, undefined when the list is empty. */
  get selectedFrame(): number | undefined {
    return this.rowCount === 0 ? undefined : this.frameAt(this.selected);
  }

  setPageSize(rows: number): void {
    this.pageSize = Math.max(1, rows);
    this.reveal();
  }

  move(delta: number): void {
    if (this.rowCount === 0) return;
    const before = this.selected;
    this.selected = clamp(this.selected + delta, 0, this.rowCount - 1);
    // Moving up stops following the tail; arriving at the last row resumes it.
    if (delta < 0) this.follow = false;
    else if (this.selected === this.rowCount - 1) this.follow = true;
    if (before !== this.selected) {
      this.treeCursor = 0;
      this.searchHit = undefined;
    }
    this.reveal();
  }
  pageDown(): void {
    this.move(this.pageSize);
  }
  pageUp(): void {
    this.move(-this.pageSize);
  }
  home(): void {
    this.move(-this.selected);
    this.follow = false;
  }
  end(): void {
    this.move(this.rowCount - 1 - this.selected);
    this.follow = true;
  }

  /** Selects the row shown `offset` rows below the top of the list (a mouse click). */
  clickRow(offset: number): void {
    const row = this.top + offset;
    if (offset < 0 || row >= this.rowCount) return;
    this.follow = false;
    this.move(row - this.selected);
  }

  /**
   * Scrolls the list by `delta` rows without moving the selection, unless it would leave the
   * screen: then it is carried along at the edge (the mouse wheel).
   */
  scroll(delta: number): void {
    if (this.rowCount === 0) return;
    this.top = clamp(this.top + delta, 0, Math.max(0, this.rowCount - this.pageSize));
    const row = clamp(this.selected, this.top, this.top + this.pageSize - 1);
    if (delta < 0) this.follow = false;
    if (row !== this.selected) this.move(row - this.selected);
  }

  /** Keeps the selected row on screen, scrolling as little as possible. */
  private reveal(): void {
    if (this.selected < this.top) this.top = this.selected;
    else if (this.selected >= this.top + this.pageSize) this.top = this.selected - this.pageSize + 1;
    this.top = clamp(this.top, 0, Math.max(0, this.rowCount - this.pageSize));
  }

  /** The index pass added frames (total is the new count). */
  framesIndexed(total: number, done: boolean): void {
    this.total = total;
    this.indexDone = done;
    if (!this.matches && this.follow && total > 0) this.selectLast();
    else this.reveal();
  }

  private selectLast(): void {
    if (this.selected !== this.rowCount - 1) this.treeCursor = 0;
    this.selected = Math.max(0, this.rowCount - 1);
    this.reveal();
  }

  /** The filter pass found frame `i` (calls come in file order). */
  filterMatched(i: number): void {
    if (!this.matches) return;
    this.matches.push(i);
    if (this.follow) this.selectLast();
    else if (i <= this.anchor) {
      // Land on the previously selected frame, or the closest match before it.
      this.selected = this.matches.length - 1;
      this.reveal();
    }
  }

  filterFinished(): void {
    this.filterDone = true;
    this.anchor = -1;
  }

  /**
   * Applies a filter text: '' removes the filter. A text that does not compile leaves the list as
   * it was (the last good filter stays) and puts the error in `filterError`. Returns the filter
   * the app must run a pass for, or undefined when there is nothing to run.
   */
  applyFilter(text: string, compile: (text: string) => PacketFilter = compileFilter): { ok: boolean; filter?: PacketFilter } {
    const trimmed = text.trim();
    const previous = this.selectedFrame ?? -1;
    if (trimmed === '') {
      this.filter = undefined;
      this.filterText = '';
      this.filterError = '';
      this.filterNote = '';
      this.matches = null;
      this.filterDone = true;
      this.selected = previous >= 0 ? previous : 0;
      this.reveal();
      return { ok: true };
    }
    let filter: PacketFilter;
    try {
      filter = compile(trimmed);
    } catch (err) {
      if (err instanceof FilterError) {
        this.filterError = err.message;
        return { ok: false };
      }
      throw err;
    }
    this.filter = filter;
    this.filterText = trimmed;
    this.filterError = '';
    // Such a test is never true: the bar says why the list may stay empty.
    this.filterNote = filter.undecoded.length ? `${filter.undecoded.join(', ')}: not decoded by wirelens, never true` : '';
    this.matches = [];
    this.filterDone = false;
    this.anchor = previous;
    this.selected = 0;
    this.top = 0;
    this.treeCursor = 0;
    return { ok: true, filter };
  }

  /** Selects frame `number` (1-based); false (with a message) when it is not in the list. */
  jumpTo(number: number): boolean {
    const i = number - 1;
    if (!Number.isInteger(number) || i < 0 || i >= this.total) {
      this.message = `no frame ${Number.isFinite(number) ? number : '?'}${this.indexDone ? '' : ' (yet)'}`;
      return false;
    }
    let row = i;
    if (this.matches) {
      row = lowerBound(this.matches, i);
      if (this.matches[row] !== i) {
        this.message = `frame ${number} is hidden by the filter`;
        return false;
      }
    }
    this.follow = false;
    this.move(row - this.selected);
    return true;
  }

  cyclePane(back = false): void {
    const k = PANES.indexOf(this.pane);
    this.pane = PANES[(k + (back ? PANES.length - 1 : 1)) % PANES.length]!;
  }

  /** Opens a prompt; the note prompt starts with the note already there, to edit it. */
  startPrompt(mode: 'filter' | 'jump' | 'note' | 'search'): void {
    this.mode = mode;
    this.message = '';
    const f = this.selectedFrame;
    this.input = mode === 'filter' ? this.filterText : mode === 'search' ? this.searchText : mode === 'note' && f !== undefined ? (this.notes.get(f + 1) ?? '') : '';
  }

  /** Typed text; control characters are never kept (they would reach the terminal when drawn). */
  typeText(text: string): void {
    // eslint-disable-next-line no-control-regex
    this.input += text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
  }
  backspace(): void {
    this.input = [...this.input].slice(0, -1).join('');
  }
  cancelPrompt(): void {
    this.mode = 'normal';
    this.input = '';
  }

  submitPrompt(): PromptOutcome {
    const mode = this.mode;
    const text = this.input;
    if (mode === 'filter') {
      const r = this.applyFilter(text);
      // A bad filter keeps the bar open with the error under it, so it can be fixed.
      if (!r.ok) return { kind: 'none' };
      this.mode = 'normal';
      return { kind: 'filter', filter: r.filter };
    }
    this.mode = 'normal';
    this.input = '';
    if (mode === 'jump') this.jumpTo(Number(text.trim()));
    if (mode === 'search') {
      this.searchText = text.trim();
      return this.searchText ? { kind: 'search', text: this.searchText } : { kind: 'none' };
    }
    if (mode === 'note') {
      const f = this.selectedFrame;
      if (f === undefined) return { kind: 'none' };
      this.setNote(f + 1, text);
      return { kind: 'note', frame: f + 1 };
    }
    return { kind: 'none' };
  }

  /** Sets the note of frame `number` (1-based); blank text removes it. */
  setNote(number: number, text: string): void {
    if (text.trim() === '') this.notes.delete(number);
    else this.notes.set(number, text);
  }

  /** The notes in frame order, as annotateCapture takes them. */
  noteList(): FrameNote[] {
    return [...this.notes.entries()].sort((a, b) => a[0] - b[0]).map(([frame, text]) => ({ frame, text }));
  }

  /** Opens a full-screen view (its rows come later, from viewLoaded); the open view's key closes it. */
  openView(view: Exclude<View, 'packets'>): void {
    if (this.view === view) return this.closeView();
    this.view = view;
    this.viewLoading = true;
    this.viewRows = 0;
    this.viewSelected = TABLE_VIEWS.has(view) ? 0 : -1;
    this.viewTop = 0;
  }

  closeView(): void {
    this.view = 'packets';
    this.viewLoading = false;
    this.viewRows = 0;
  }

  get isTableView(): boolean {
    return TABLE_VIEWS.has(this.view);
  }

  setViewPage(rows: number): void {
    this.viewPage = Math.max(1, rows);
    this.revealView();
  }

  /**
   * The open view's rows arrived. `focus` is the row to select (tables) or the line to highlight
   * and centre (text); a text view without one starts at the top.
   */
  viewLoaded(rows: number, focus = -1): void {
    this.viewLoading = false;
    this.viewRows = rows;
    if (this.isTableView) {
      this.viewSelected = clamp(focus, 0, Math.max(0, rows - 1));
      this.revealView();
    } else {
      this.viewSelected = focus;
      this.viewTop = focus >= 0 ? focus - Math.floor(this.viewPage / 2) : 0;
      this.clampViewTop();
    }
  }

  /** Up/down/pages: tables move their selection, text views scroll. */
  viewMove(delta: number): void {
    if (this.isTableView) {
      if (this.viewRows === 0) return;
      this.viewSelected = clamp(this.viewSelected + delta, 0, this.viewRows - 1);
      this.revealView();
    } else {
      this.viewTop += delta;
      this.clampViewTop();
    }
  }

  /**
   * A press on line `row` of a table view (0 and 1 are its title and column header) selects that
   * row; returns true when it was already selected, which the app takes as Enter (a second click).
   */
  clickViewRow(row: number): boolean {
    const at = this.viewTop + row - 2;
    if (!this.isTableView || row < 2 || at >= this.viewRows) return false;
    if (at === this.viewSelected) return true;
    this.viewSelected = at;
    return false;
  }

  private clampViewTop(): void {
    this.viewTop = clamp(this.viewTop, 0, Math.max(0, this.viewRows - this.viewPage));
  }

  private revealView(): void {
    if (!this.isTableView) return this.clampViewTop();
    if (this.viewSelected < this.viewTop) this.viewTop = this.viewSelected;
    else if (this.viewSelected >= this.viewTop + this.viewPage) this.viewTop = this.viewSelected - this.viewPage + 1;
    this.clampViewTop();
  }

  /**
   * Enter on a connection: back to the packets, narrowed to that stream with the display filter
   * Wireshark's "Conversation filter" writes, so the filter bar shows what is in force and `/` edits it.
   */
  narrowToStream(proto: 'tcp' | 'udp', stream: number): { ok: boolean; filter?: PacketFilter } {
    this.closeView();
    return this.applyFilter(`${proto}.stream == ${stream}`);
  }

  /**
   * Enter on a message: back to the packets at the frame that completed it. The messages cover the
   * whole trace, so a frame hidden by the filter clears the filter rather than fail; `cleared` tells
   * the app to drop its filter pass. (While the filter pass still runs, a frame not matched yet may
   * still match, so the filter stays and jumpTo says why the frame is not there.)
   */
  goToFrame(number: number): { cleared: boolean } {
    this.closeView();
    let cleared = false;
    if (this.matches && this.filterDone && number >= 1 && number <= this.total && this.matches[lowerBound(this.matches, number - 1)] !== number - 1) {
      this.applyFilter('');
      cleared = true;
    }
    this.jumpTo(number);
    return { cleared };
  }

  /** Tab in the graphs view: the next (or previous) graph. */
  cycleGraph(back = false): void {
    const k = GRAPH_KINDS.indexOf(this.graph);
    this.graph = GRAPH_KINDS[(k + (back ? GRAPH_KINDS.length - 1 : 1)) % GRAPH_KINDS.length]!;
  }

  /** The sequence graph shows the other direction; `shown` is the one it shows now. */
  flipGraphDir(shown: 0 | 1): void {
    this.graphDir = shown === 0 ? 1 : 0;
  }

  /** The ladder pane's key: hides it if it is `shown`, shows it otherwise (at any terminal size). */
  toggleLadderPane(shown: boolean): void {
    this.ladderPane = shown ? 'off' : 'on';
  }

  toggleHelp(): void {
    this.mode = this.mode === 'help' ? 'normal' : 'help';
    this.helpTop = 0;
  }

  /** Help lines that fit the help box, and how many there are (80×24 cannot show them all at once). */
  setHelpPage(rows: number, lines: number): void {
    this.helpPage = Math.max(1, rows);
    this.helpLines = lines;
    this.scrollHelp(0);
  }

  scrollHelp(delta: number): void {
    this.helpTop = clamp(this.helpTop + delta, 0, Math.max(0, this.helpLines - this.helpPage));
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/** First position in sorted `a` whose value is >= v. */
function lowerBound(a: readonly number[], v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

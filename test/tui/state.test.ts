import { describe, expect, it } from 'vitest';
import { TuiState } from '../../src/tui/state.js';
import { RenderScheduler } from '../../src/tui/scheduler.js';
import { computeLayout } from '../../src/tui/layout.js';
import { KEYMAP, actionFor, helpLines } from '../../src/tui/keymap.js';

function withFrames(n: number, page = 10): TuiState {
  const s = new TuiState();
  s.setPageSize(page);
  s.framesIndexed(n, true);
  return s;
}

describe('selection and paging', () => {
  it('moves, pages and clamps, keeping the selection on screen', () => {
    const s = withFrames(100);
    s.move(-1);
    expect(s.selected).toBe(0);
    s.move(3);
    expect([s.selected, s.top]).toEqual([3, 0]);
    s.pageDown();
    expect([s.selected, s.top]).toEqual([13, 4]);
    s.end();
    expect([s.selected, s.top]).toEqual([99, 90]);
    s.pageUp();
    expect([s.selected, s.top]).toEqual([89, 89]);
    s.home();
    expect([s.selected, s.top]).toEqual([0, 0]);
    s.move(1000);
    expect(s.selected).toBe(99);
  });

  it('does nothing on an empty list', () => {
    const s = withFrames(0);
    s.move(5);
    s.end();
    expect(s.selected).toBe(0);
    expect(s.selectedFrame).toBeUndefined();
  });

  it('a smaller page keeps the selection visible', () => {
    const s = withFrames(100, 40);
    s.move(30);
    s.setPageSize(5);
    expect(s.top).toBe(26);
  });

  it('jumps to a frame number and reports frames that do not exist', () => {
    const s = withFrames(50);
    expect(s.jumpTo(20)).toBe(true);
    expect(s.selectedFrame).toBe(19);
    expect(s.jumpTo(51)).toBe(false);
    expect(s.message).toBe('no frame 51');
    expect(s.jumpTo(Number('x'))).toBe(false);
    expect(s.selectedFrame).toBe(19);
  });
});

describe('follow tail', () => {
  it('a file opens at the top and does not follow', () => {
    const s = withFrames(10);
    s.framesIndexed(20, false);
    expect(s.selected).toBe(0);
    expect(s.follow).toBe(false);
  });

  it('follows new frames until the user moves up, and resumes at the end', () => {
    const s = new TuiState({ follow: true });
    s.setPageSize(5);
    s.framesIndexed(3, false);
    expect(s.selected).toBe(2);
    s.framesIndexed(30, false);
    expect([s.selected, s.top]).toEqual([29, 25]);
    s.move(-1);
    expect(s.follow).toBe(false);
    s.framesIndexed(40, false);
    expect(s.selected).toBe(28);
    s.end();
    expect(s.follow).toBe(true);
    s.framesIndexed(41, false);
    expect(s.selected).toBe(40);
    s.move(-3);
    s.move(3);
    expect(s.follow).toBe(true);
  });

  it('a filter naming a Wireshark field wirelens does not decode is applied, with a note saying it is never true', () => {
    const s = new TuiState({});
    s.framesIndexed(10, true);
    expect(s.applyFilter('http.proxy_connect_host contains "pw" || tcp').ok).toBe(true);
    expect(s.filterNote).toBe('http.proxy_connect_host: not decoded by wirelens, never true');
    s.applyFilter('tcp');
    expect(s.filterNote).toBe('');
  });

  it('live and filtered: matches arriving at the tail are followed until the user moves up', () => {
    const s = new TuiState({ follow: true });
    s.setPageSize(3);
    s.framesIndexed(10, false);
    s.applyFilter('tcp');
    // The pass reads the file from the start while the capture keeps appending to it.
    for (const i of [1, 4, 7]) s.filterMatched(i);
    expect([s.selectedFrame, s.follow]).toEqual([7, true]);
    s.framesIndexed(20, false);
    for (const i of [12, 15]) s.filterMatched(i);
    expect([s.selectedFrame, s.top]).toEqual([15, 2]);
    s.move(-2);
    expect([s.selectedFrame, s.follow]).toEqual([7, false]);
    // New matches go below; the selection and the scroll stay where the user put them.
    s.framesIndexed(30, false);
    for (const i of [21, 28]) s.filterMatched(i);
    expect([s.selectedFrame, s.top, s.rowCount]).toEqual([7, 2, 7]);
    s.end();
    expect([s.selectedFrame, s.follow]).toEqual([28, true]);
    s.filterMatched(29);
    expect(s.selectedFrame).toBe(29);
  });

  it('live: applying a filter keeps following when it was, and clearing it lands on the last frame', () => {
    const s = new TuiState({ follow: true });
    s.setPageSize(5);
    s.framesIndexed(8, false);
    s.applyFilter('udp');
    s.filterMatched(2);
    expect(s.selectedFrame).toBe(2);
    s.framesIndexed(12, false);
    expect(s.selectedFrame).toBe(2);
    s.applyFilter('');
    s.framesIndexed(13, false);
    expect([s.selectedFrame, s.follow]).toEqual([12, true]);
  });
});

describe('filtering', () => {
  it('applies a filter, lists matches as they come, and lands near the previous selection', () => {
    const s = withFrames(100);
    s.jumpTo(50);
    const r = s.applyFilter('tcp');
    expect(r.ok).toBe(true);
    expect(r.filter?.text).toBe('tcp');
    expect(s.rowCount).toBe(0);
    expect(s.filterDone).toBe(false);
    for (const i of [3, 10, 47, 60, 80]) s.filterMatched(i);
    s.filterFinished();
    expect(s.rowCount).toBe(5);
    expect(s.selectedFrame).toBe(47);
    expect(s.frameAt(0)).toBe(3);
    expect(s.jumpTo(61)).toBe(true);
    expect(s.jumpTo(62)).toBe(false);
    expect(s.message).toMatch(/hidden by the filter/);
  });

  it('keeps the last good filter and gives the error with its caret for the bar', () => {
    const s = withFrames(10);
    s.applyFilter('udp');
    s.filterMatched(2);
    s.filterFinished();
    const r = s.applyFilter('tcp.port ==');
    expect(r.ok).toBe(false);
    expect(s.filterText).toBe('udp');
    expect(s.rowCount).toBe(1);
    expect(s.filterError).toMatch(/display filter: .*\n  tcp\.port ==\n {13}\^/);
    s.applyFilter('ip');
    expect(s.filterError).toBe('');
  });

  it('an empty filter shows every frame again, on the same frame', () => {
    const s = withFrames(10);
    s.applyFilter('udp');
    s.filterMatched(7);
    s.filterFinished();
    expect(s.applyFilter('  ').ok).toBe(true);
    expect(s.matches).toBeNull();
    expect(s.selectedFrame).toBe(7);
  });

  it('the filter bar: typing, backspace, Enter with a bad then a good filter, Esc', () => {
    const s = withFrames(10);
    s.startPrompt('filter');
    s.typeText('tcp.port ==\u001b[2J');
    expect(s.input).toBe('tcp.port ==[2J');
    for (let k = 0; k < 3; k++) s.backspace();
    expect(s.submitPrompt()).toEqual({ kind: 'none' });
    expect(s.mode).toBe('filter');
    expect(s.filterError).not.toBe('');
    s.typeText(' 80');
    const out = s.submitPrompt();
    expect(out.kind).toBe('filter');
    expect(s.mode).toBe('normal');
    s.startPrompt('filter');
    expect(s.input).toBe('tcp.port == 80');
    s.cancelPrompt();
    expect(s.mode).toBe('normal');
    expect(s.filterText).toBe('tcp.port == 80');
  });
});

describe('notes', () => {
  it('adds, edits and removes notes, and lists them in frame order', () => {
    const s = withFrames(10);
    s.jumpTo(5);
    s.startPrompt('note');
    s.typeText('retransmission starts here');
    expect(s.submitPrompt()).toEqual({ kind: 'note', frame: 5 });
    s.jumpTo(2);
    s.startPrompt('note');
    s.typeText('client hello');
    s.submitPrompt();
    s.jumpTo(5);
    s.startPrompt('note');
    expect(s.input).toBe('retransmission starts here');
    s.cancelPrompt();
    expect(s.noteList()).toEqual([
      { frame: 2, text: 'client hello' },
      { frame: 5, text: 'retransmission starts here' },
    ]);
    s.setNote(2, '  ');
    expect(s.noteList().map((n) => n.frame)).toEqual([5]);
  });
});

describe('panes, help and keys', () => {
  it('Tab cycles the panes both ways; ? toggles the help', () => {
    const s = withFrames(1);
    s.cyclePane();
    expect(s.pane).toBe('tree');
    s.cyclePane();
    s.cyclePane();
    expect(s.pane).toBe('list');
    s.cyclePane(true);
    expect(s.pane).toBe('hex');
    s.toggleHelp();
    expect(s.mode).toBe('help');
    s.toggleHelp();
    expect(s.mode).toBe('normal');
  });

  it('every key is bound once, and the help lists every binding', () => {
    const all = KEYMAP.flatMap((b) => b.keys);
    expect(new Set(all).size).toBe(all.length);
    const help = helpLines().join('\n');
    for (const b of KEYMAP) expect(help).toContain(b.help);
    expect(actionFor('q')).toBe('quit');
    expect(actionFor('/')).toBe('filter');
    expect(actionFor('x')).toBeUndefined();
    // g opens the graphs (it was an alias of Home); L toggles the ladder pane.
    expect([actionFor('g'), actionFor('home'), actionFor('S-l'), actionFor('d')]).toEqual(['graphs', 'home', 'ladderPane', 'direction']);
  });
});

describe('mouse, graphs and the ladder pane', () => {
  it('a click selects the row under it, below the rows there is nothing to select', () => {
    const s = withFrames(100);
    s.move(30);
    s.clickRow(4);
    expect([s.selected, s.top]).toEqual([25, 21]);
    s.clickRow(-1);
    s.clickRow(200);
    expect(s.selected).toBe(25);
    const few = withFrames(3);
    few.clickRow(5);
    expect(few.selected).toBe(0);
  });

  it('a click in a table view selects its row; a click on the selected row is Enter', () => {
    const s = withFrames(10);
    s.openView('messages');
    s.setViewPage(5);
    s.viewLoaded(8, 0);
    expect(s.clickViewRow(1)).toBe(false); // the column header
    expect(s.viewSelected).toBe(0);
    expect(s.clickViewRow(4)).toBe(false);
    expect(s.viewSelected).toBe(2);
    expect(s.clickViewRow(4)).toBe(true);
    expect(s.clickViewRow(20)).toBe(false); // below the rows
    expect(s.viewSelected).toBe(2);
  });

  it('the wheel scrolls the list and carries the selection along only at the edges', () => {
    const s = withFrames(100);
    s.move(5);
    s.scroll(3);
    expect([s.selected, s.top]).toEqual([5, 3]);
    s.scroll(3);
    expect([s.selected, s.top]).toEqual([6, 6]);
    s.scroll(1000);
    expect([s.selected, s.top]).toEqual([90, 90]);
    s.scroll(-3);
    expect([s.selected, s.top]).toEqual([90, 87]);
    s.scroll(-1000);
    expect([s.selected, s.top]).toEqual([9, 0]);
  });

  it('Tab cycles the three graphs; d flips the sequence graph; L overrides the automatic ladder pane', () => {
    const s = withFrames(10);
    expect(s.graph).toBe('seq');
    s.cycleGraph();
    expect(s.graph).toBe('throughput');
    s.cycleGraph();
    s.cycleGraph();
    expect(s.graph).toBe('seq');
    s.cycleGraph(true);
    expect(s.graph).toBe('rtt');
    s.flipGraphDir(1);
    expect(s.graphDir).toBe(0);
    expect(s.ladderPane).toBe('auto');
    s.toggleLadderPane(false);
    expect(s.ladderPane).toBe('on');
    s.toggleLadderPane(true);
    expect(s.ladderPane).toBe('off');
  });
});

describe('layout', () => {
  it('fits 80×24 with every pane visible and nothing overlapping', () => {
    const l = computeLayout(80, 24);
    expect(l.status.top).toBe(23);
    expect(l.filterBar.top).toBe(22);
    expect(l.list.height).toBeGreaterThanOrEqual(5);
    expect(l.tree.height).toBeGreaterThanOrEqual(4);
    expect(l.hex.height).toBeGreaterThanOrEqual(4);
    expect(l.tree.top + l.tree.height).toBe(l.hex.top);
    expect(l.hex.top + l.hex.height).toBe(l.filterBar.top);
  });

  it('a full-screen view takes everything above the filter bar', () => {
    const l = computeLayout(80, 24);
    expect(l.view).toEqual({ top: 0, left: 0, width: 80, height: 22 });
  });

  it('puts tree and hex side by side on wide terminals', () => {
    const l = computeLayout(200, 50);
    expect(l.tree.top).toBe(l.hex.top);
    expect(l.tree.width + l.hex.width).toBe(200);
    expect(l.ladder).toBeUndefined();
  });

  it('shows the ladder pane by itself from 160 columns, as a column right of the panes', () => {
    expect(computeLayout(159, 40, 'auto').ladder).toBeUndefined();
    for (const cols of [160, 200, 250]) {
      const l = computeLayout(cols, 50, 'auto');
      const p = l.ladder!;
      expect(p).toMatchObject({ top: 0, height: l.view.height });
      expect(p.left + p.width).toBe(cols);
      // The panes keep the rest, with a blank column before the ladder.
      expect(Math.max(l.list.width, l.tree.left + l.tree.width, l.hex.left + l.hex.width)).toBe(p.left - 1);
      expect(l.list.width).toBeGreaterThanOrEqual(96);
    }
    expect(computeLayout(250, 50, 'off').ladder).toBeUndefined();
  });

  it('shows the ladder pane at 80×24 when asked, as a band under the other panes', () => {
    const l = computeLayout(80, 24, 'on');
    const p = l.ladder!;
    expect(p).toMatchObject({ left: 0, width: 80 });
    expect(p.top + p.height).toBe(l.filterBar.top);
    expect(l.hex.top + l.hex.height).toBe(p.top);
    expect(p.height).toBeGreaterThanOrEqual(6);
    expect(l.list.height).toBeGreaterThanOrEqual(4);
    expect(l.tree.height).toBeGreaterThanOrEqual(3);
    expect(l.hex.height).toBeGreaterThanOrEqual(3);
  });
});

describe('render scheduler', () => {
  it('coalesces requests and draws at most once per interval', async () => {
    let draws = 0;
    const r = new RenderScheduler(() => draws++, 30);
    r.flush();
    for (let k = 0; k < 100; k++) r.request();
    expect(draws).toBe(1);
    await new Promise((res) => setTimeout(res, 60));
    expect(draws).toBe(2);
    r.request();
    r.cancel();
    await new Promise((res) => setTimeout(res, 60));
    expect(draws).toBe(2);
  });
});

describe('views: connections, messages, ladder, follow', () => {
  it('opens a table view, selects the focused row, moves and pages within it', () => {
    const s = withFrames(10);
    s.openView('connections');
    expect([s.view, s.viewLoading, s.isTableView]).toEqual(['connections', true, true]);
    s.setViewPage(5);
    s.viewLoaded(20, 12);
    expect([s.viewLoading, s.viewSelected, s.viewTop]).toEqual([false, 12, 8]);
    s.viewMove(-100);
    expect([s.viewSelected, s.viewTop]).toEqual([0, 0]);
    s.viewMove(1e9);
    expect([s.viewSelected, s.viewTop]).toEqual([19, 15]);
    // No focus (-1, e.g. a UDP packet selected) starts at the first row.
    s.openView('messages');
    s.viewLoaded(3, -1);
    expect(s.viewSelected).toBe(0);
  });

  it("the view's own key closes it, another view's key switches", () => {
    const s = withFrames(10);
    s.openView('messages');
    s.openView('connections');
    expect(s.view).toBe('connections');
    s.openView('connections');
    expect(s.view).toBe('packets');
  });

  it('text views scroll and centre the highlighted line', () => {
    const s = withFrames(10);
    s.openView('ladder');
    expect(s.isTableView).toBe(false);
    s.setViewPage(10);
    s.viewLoaded(100, 50);
    expect([s.viewSelected, s.viewTop]).toEqual([50, 45]);
    s.viewMove(1000);
    expect(s.viewTop).toBe(90);
    expect(s.viewSelected).toBe(50);
    s.openView('follow');
    s.viewLoaded(4);
    expect([s.viewSelected, s.viewTop]).toEqual([-1, 0]);
    s.viewMove(3);
    expect(s.viewTop).toBe(0);
  });

  it('Enter on a connection narrows the list through the filter path', () => {
    const s = withFrames(10);
    s.openView('connections');
    s.viewLoaded(2, 1);
    const r = s.narrowToStream('udp', 3);
    expect(r.ok).toBe(true);
    expect(r.filter).toBeDefined();
    expect(s.view).toBe('packets');
    expect(s.filterText).toBe('udp.stream == 3');
    expect(s.matches).toEqual([]);
  });

  it("Enter on a message selects its frame, clearing a finished filter that hides it", () => {
    const s = withFrames(10);
    s.applyFilter('tcp');
    s.filterMatched(2);
    s.filterMatched(4);
    s.filterFinished();
    s.openView('messages');
    expect(s.goToFrame(5)).toEqual({ cleared: false });
    expect([s.view, s.selectedFrame]).toEqual(['packets', 4]);
    s.openView('messages');
    expect(s.goToFrame(8)).toEqual({ cleared: true });
    expect([s.matches, s.filterText, s.selectedFrame]).toEqual([null, '', 7]);
  });

  it('the help scrolls when it is taller than its box', () => {
    const s = withFrames(1);
    s.setHelpPage(10, 25);
    s.toggleHelp();
    s.scrollHelp(100);
    expect(s.helpTop).toBe(15);
    s.toggleHelp();
    s.toggleHelp();
    expect(s.helpTop).toBe(0);
  });

  it('binds c, m, l, f and Esc', () => {
    expect(['c', 'm', 'l', 'f', 'escape'].map(actionFor)).toEqual(['connections', 'messages', 'ladder', 'follow', 'back']);
    // Every help line fits the 78-column help box (76 inside its border).
    for (const line of helpLines()) expect([...line].length).toBeLessThanOrEqual(76);
  });
});

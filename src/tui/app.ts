/**
 * The blessed application: one screen, its boxes (packet list, layer tree, hex dump, the ladder
 * pane on wide terminals, filter bar, status line), the full-screen views (graphs.ts and
 * widgets/graph-view.ts for the graphs) and a help overlay, all drawn from TuiState by one
 * throttled scheduler. The capture is indexed in the background in small time slices (scan.ts) so
 * the first screen shows as soon as one screenful is indexed; the selected packet is decoded again
 * from its file offset when its details are drawn, and its TCP stream's timeline is read in the
 * same background loop when the ladder or the graphs need it (stream-cache.ts).
 *
 * The terminal is given back on every way out: `q`, Ctrl-C (a key in raw mode), SIGINT/SIGTERM,
 * and an unexpected error, which is printed only after the screen is restored so it stays readable.
 */
import { writeFileSync } from 'node:fs';
import { statSync } from 'node:fs';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import blessed from 'blessed';
import { openCaptureSync, type CaptureReader } from '../capture/reader.js';
import { decodePacket } from '../decode/bindings.js';
import type { Packet } from '../decode/layer.js';
import { annotateCapture } from '../timeline/annotate.js';
import { escapeTerminal } from '../timeline/escape.js';
import type { AppMessage } from '../analysis/app.js';
import { collectFlows, type FlowRow } from '../cli/flows.js';
import { mapInSlices } from '../event-loop.js';
import { followStream } from '../cli/follow.js';
import { collectMessages, formatMessage } from '../cli/messages.js';
import { hexLineOf, hexLines, treeRows, type TreeRow } from './details.js';
import { buildGraph, busierDirection, type Graph } from './graphs.js';
import { actionFor, helpLines, type Action } from './keymap.js';
import { computeLayout, type Layout } from './layout.js';
import { bindMouse } from './mouse.js';
import { PacketIndex } from './packet-index.js';
import { filterScan, indexScan, type Scan } from './scan.js';
import type { LiveFeed } from './live.js';
import { RenderScheduler } from './scheduler.js';
import { DetailPass } from './detail-pass.js';
import { matchesBytes, matchesColumns, parseSearch, type SearchQuery } from './search.js';
import { TuiState, type View } from './state.js';
import { laneWidthFor, StreamCache, type LadderText } from './stream-cache.js';
import { renderHex, renderTree } from './widgets/details-pane.js';
import { graphHeader, GraphView } from './widgets/graph-view.js';
import { renderLadderPane } from './widgets/ladder-pane.js';
import { renderPacketList } from './widgets/packet-list.js';
import { fit, tagEscape } from './widgets/text.js';
import { CONNECTIONS_HEADER, connectionLines, followLines, renderTableView, renderTextView, type ViewLine } from './widgets/views.js';

export interface TuiOptions {
  /**
   * Where to write timing figures (JSON) on exit, for `npm run bench` (bench/tui.mjs): first
   * screen, draw times, memory when indexing ended, the longest event-loop stall after it.
   */
  statsFile?: string;
  /** A live capture writing the file (src/tui/live.ts): the list follows it as it grows. */
  live?: LiveFeed;
  /** A display filter in force from the start (`capture -Y`); compiled by the caller already. */
  filter?: string;
}

/** Packet-list draw times kept for the stats (a bench session makes a few hundred). */
const MAX_DRAW_SAMPLES = 10_000;

/** Time slices for the background passes: short enough that a key is handled within ~a frame. */
const INDEX_SLICE_MS = 12;
const FILTER_SLICE_MS = 8;
const SEARCH_SLICE_MS = 8;
const STREAM_SLICE_MS = 8;
const DETAIL_SLICE_MS = 8;

interface Detail {
  frame: number;
  packet: Packet | undefined;
  rows: TreeRow[];
  /** The packet came from the detail pass (analysed in order), not decoded alone. */
  analysed: boolean;
}

interface KeyEvent {
  name?: string;
  full?: string;
  ctrl?: boolean;
  meta?: boolean;
}

export class TuiApp {
  private readonly state: TuiState;
  private readonly live: LiveFeed | undefined;
  private readonly index = new PacketIndex();
  private readonly reader: CaptureReader;
  private readonly indexer: Scan;
  private readonly fileSize: number;
  private filterPass: Scan | undefined;
  /** Analyses the capture up to the selected packet, for its details (detail-pass.ts). */
  private readonly detailPass: DetailPass;
  private screen!: blessed.Widgets.Screen;
  private boxes!: Record<'list' | 'tree' | 'hex' | 'ladder' | 'view' | 'filterBar' | 'status' | 'help' | 'error', blessed.Widgets.BoxElement>;
  /** The selected stream's timeline, for the ladder pane, the ladder view and the graphs. */
  private readonly streams: StreamCache;
  private graphView!: GraphView;
  /** The graph drawn last and what it was drawn from, so that a redraw does not compute it again. */
  private graph: { key: string; graph: Graph } | undefined;
  /** The frame on each row of the ladder pane as drawn last (for clicks). */
  private ladderRows: (number | undefined)[] = [];
  private layout!: Layout;
  private readonly scheduler: RenderScheduler;
  private immediate: ReturnType<typeof setImmediate> | undefined;
  private detail: Detail | undefined;
  /**
   * The open view's content. The flows and the messages cover the whole file, which does not
   * change while it is open, so each is collected once; a view's load that finishes after the
   * view was closed or replaced (its token is stale) is dropped.
   */
  private viewLines: ViewLine[] = [];
  private viewTitle = '';
  private viewToken = 0;
  /** The stream the ladder, follow or graphs view shows. */
  private viewStream = -1;
  private flows: Promise<FlowRow[]> | undefined;
  private messages: Promise<AppMessage[]> | undefined;
  private flowRows: FlowRow[] = [];
  /** The search walking the list, if one runs. */
  private search: { q: SearchQuery; dir: 1 | -1; row: number; left: number } | undefined;
  private messageRows: AppMessage[] = [];
  private hexTop = 0;
  private closed = false;
  private quitting = false;
  private resolveExit!: (code: number) => void;
  private readonly startedAt = performance.now();
  private firstScreenMs = -1;
  private maxDrawMs = 0;
  private totalDrawMs = 0;
  private indexMs = -1;
  /** Draw times once indexing is over: what moving the selection costs, without index slices. */
  private idleDraws = 0;
  private idleMaxMs = 0;
  private idleTotalMs = 0;
  /** With statsFile: each packet-list draw's time once indexing is over, and memory at that moment. */
  private readonly packetDrawMs: number[] = [];
  private memoryAtIndex: { rssKiB: number; peakRssKiB: number } | undefined;
  /** With statsFile: when the ladder pane first showed a stream's ladder, and the draws that had to build a new ladder window. */
  private ladderReadyMs = -1;
  private ladderShown: LadderText | undefined;
  private ladderBuilt = false;
  private readonly ladderWindowDrawMs: number[] = [];
  private loopDelay: IntervalHistogram | undefined;
  // Exit right here, after restoring: blessed's own signal handler, which runs next, would exit 0 on
  // the next tick; and after an unexpected error the program's state is not worth continuing from.
  // A live capture is stopped first (its file closed valid), then the same way out.
  private readonly onSignal = (sig: NodeJS.Signals) => (this.live ? this.quit(sig === 'SIGINT' ? 130 : 143) : this.exitNow(sig === 'SIGINT' ? 130 : 143));
  private readonly onCrash = (err: unknown) => this.exitNow(70, err);

  private exitNow(code: number, err?: unknown): never {
    this.close(code, err);
    this.live?.cleanup();
    process.exit(code);
  }

  constructor(
    private readonly file: string,
    private readonly options: TuiOptions = {},
  ) {
    this.live = options.live;
    // Live: the list starts at the tail and follows it.
    this.state = new TuiState({ follow: this.live !== undefined });
    // Opening errors (no such file, not a capture) are thrown before the screen takes the terminal.
    this.reader = openCaptureSync(file, { follow: this.live?.running });
    this.fileSize = statSync(file).size;
    this.indexer = indexScan(this.reader, this.index);
    this.detailPass = new DetailPass(file, () => this.live?.running ?? false);
    this.streams = new StreamCache(file, (stream) => this.lastFrameOf(stream), (n) => this.reader.readFrameAt(this.index.fileOffset(n - 1), n));
    this.scheduler = new RenderScheduler(() => this.draw());
  }

  /** Runs until the user quits; resolves with the exit code. */
  run(): Promise<number> {
    const done = new Promise<number>((resolve) => (this.resolveExit = resolve));
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
    process.on('uncaughtException', this.onCrash);
    process.on('unhandledRejection', this.onCrash);
    try {
      this.open();
      if (this.options.filter) this.startFilter(this.state.applyFilter(this.options.filter).filter);
      // One screenful (or a short while) indexed before the first draw, so it is not empty.
      const until = performance.now() + 300;
      while (!this.indexer.done && !this.indexer.waiting && this.index.count < this.layout.list.height && performance.now() < until) this.indexer.step(INDEX_SLICE_MS);
      if (this.indexer.done) this.indexFinished();
      this.state.framesIndexed(this.index.count, this.indexer.done);
      this.scheduler.flush();
      this.firstScreenMs = performance.now();
      this.live?.listen({ written: () => this.liveGrew(), ended: () => this.liveEnded() });
      this.schedule();
    } catch (err) {
      this.close(70, err);
    }
    return done;
  }

  private open(): void {
    this.screen = blessed.screen({ smartCSR: true, fullUnicode: true, title: 'wirelens', warnings: false, autoPadding: false });
    const box = (extra: blessed.Widgets.BoxOptions = {}) =>
      blessed.box({ parent: this.screen, tags: true, wrap: false, ...extra }) as blessed.Widgets.BoxElement;
    this.boxes = {
      list: box(),
      tree: box(),
      hex: box(),
      ladder: box({ hidden: true }),
      view: box({ hidden: true }),
      filterBar: box({ style: { bg: 'blue', fg: 'white' } }),
      status: box({ style: { inverse: true } }),
      error: box({ hidden: true, style: { bg: 'red', fg: 'white' } }),
      help: box({ hidden: true, border: { type: 'line' }, top: 'center', left: 'center', width: 78, height: 22, label: ' help ' }),
    };
    this.boxes.help.setContent(helpLines().map(tagEscape).join('\n'));
    this.graphView = new GraphView(this.screen, box, this.boxes.help);
    bindMouse({
      state: this.state,
      boxes: this.boxes,
      treeRows: () => ({ count: this.currentDetail()?.rows.length ?? 0, visible: this.layout.tree.height - 1 }),
      ladderFrame: (row) => this.ladderRows[row],
      act: (a) => this.act(a),
      redraw: () => this.scheduler.request(),
    });
    this.relayout();
    this.screen.on('resize', () => {
      this.relayout();
      this.scheduler.request();
    });
    this.screen.on('keypress', (ch: string | undefined, key: KeyEvent) => this.key(ch, key ?? {}));
  }

  private relayout(): void {
    const l = computeLayout(this.screen.cols as number, this.screen.rows as number, this.state.ladderPane);
    this.layout = l;
    if (l.ladder) Object.assign(this.boxes.ladder, l.ladder);
    for (const k of ['list', 'tree', 'hex', 'view', 'filterBar', 'status'] as const) {
      const b = this.boxes[k];
      const r = l[k];
      b.top = r.top;
      b.left = r.left;
      b.width = r.width;
      b.height = r.height;
    }
    this.boxes.help.width = Math.min(78, l.list.width);
    this.boxes.help.height = Math.min(helpLines().length + 2, (this.screen.rows as number) - 1);
    this.state.setHelpPage((this.boxes.help.height as number) - 2, helpLines().length);
    this.state.setPageSize(l.list.height - 1);
    this.setViewPage();
  }

  /** The live capture wrote more frames: the passes that caught up with the file go on. */
  private liveGrew(): void {
    this.indexer.waiting = false;
    if (this.filterPass) this.filterPass.waiting = false;
    this.detailPass.grew();
    // The views cover the whole file, which just changed.
    this.flows = this.messages = undefined;
    this.schedule();
  }

  /** The capture ended and its file is complete: its end is the end, and the status line says so. */
  private liveEnded(): void {
    this.reader.endFollow();
    this.filterPass?.reader.endFollow();
    this.detailPass.endFollow();
    this.liveGrew();
    this.scheduler.request();
  }

  /** Background work: index slices, then filter slices, one per event-loop turn. */
  private schedule(): void {
    if (this.closed || this.immediate !== undefined) return;
    // A pass that read all a live capture has written so far waits for liveGrew().
    const more = (!this.indexer.done && !this.indexer.waiting) || this.filterCanStep() || this.streams.reading !== undefined || this.detailPass.busy;
    if (!more) return;
    this.immediate = setImmediate(() => {
      this.immediate = undefined;
      if (this.closed) return;
      if (!this.indexer.done) {
        this.indexer.step(INDEX_SLICE_MS);
        if (this.indexer.done) this.indexFinished();
        this.state.framesIndexed(this.index.count, this.indexer.done);
      }
      const f = this.filterPass;
      if (f && !f.done) {
        // A filter pass may not run ahead of the index: rows must exist before they are listed.
        if (f.step(FILTER_SLICE_MS, this.indexer.done ? Number.POSITIVE_INFINITY : this.index.count)) {
          f.reader.close();
          this.state.filterFinished();
        }
      }
      if (this.streams.reading !== undefined) this.streams.step(STREAM_SLICE_MS);
      // The selected packet's analysed details: drawn again once the pass reaches it.
      if (this.detailPass.busy && this.detailPass.step(DETAIL_SLICE_MS)) this.detail = undefined;
      this.scheduler.request();
      this.schedule();
    });
  }

  private indexFinished(): void {
    this.index.complete = true;
    this.indexMs = performance.now() - this.startedAt;
    if (!this.options.statsFile) return;
    this.memoryAtIndex = { rssKiB: Math.round(process.memoryUsage().rss / 1024), peakRssKiB: process.resourceUsage().maxRSS };
    // From here on the event loop serves only the user: its longest stall is what a key can wait.
    this.loopDelay = monitorEventLoopDelay({ resolution: 10 });
    this.loopDelay.enable();
  }

  /** The filter pass has work: it is not finished, and not waiting for the file or for the index to grow. */
  private filterCanStep(): boolean {
    const f = this.filterPass;
    return f !== undefined && !f.done && !f.waiting && (this.indexer.done || !this.indexer.waiting || f.framesRead < this.index.count);
  }

  private startFilter(filter: Parameters<typeof filterScan>[1] | undefined): void {
    // The rows a running search walks are about to change.
    this.search = undefined;
    this.filterPass?.reader.close();
    this.filterPass = undefined;
    if (filter) {
      this.filterPass = filterScan(this.file, filter, (i) => this.state.filterMatched(i), this.live?.running);
      this.schedule();
    }
  }

  private key(ch: string | undefined, key: KeyEvent): void {
    const s = this.state;
    if (key.name === 'return') return; // blessed reports Enter twice (return, then enter)
    if (s.mode === 'help') {
      // The help scrolls when the terminal is too short for every key; any other key closes it.
      const d = { up: -1, down: 1, pageup: -s.helpPage, pagedown: s.helpPage }[key.name ?? ''];
      if (d !== undefined) s.scrollHelp(d);
      else s.toggleHelp();
    } else if (s.mode !== 'normal') {
      if (key.full === 'C-c') return this.quit(0);
      if (key.name === 'escape') s.cancelPrompt();
      else if (key.name === 'enter') {
        const out = s.submitPrompt();
        if (out.kind === 'filter') this.startFilter(out.filter);
        if (out.kind === 'search') this.startSearch(1);
      } else if (key.name === 'backspace') s.backspace();
      else if (ch && !key.ctrl && !key.meta) s.typeText(ch);
    } else {
      const action = actionFor(key.full ?? '');
      if (action) this.act(action);
    }
    this.scheduler.request();
  }

  private act(a: Action): void {
    const s = this.state;
    if (s.view !== 'packets' && this.actInView(a)) return;
    const inTree = s.pane === 'tree';
    const inHex = s.pane === 'hex';
    const treeMove = (d: number) => {
      const n = this.currentDetail()?.rows.length ?? 0;
      s.treeCursor = Math.max(0, Math.min(n - 1, s.treeCursor + d));
      s.searchHit = undefined;
    };
    switch (a) {
      case 'up':
      case 'down':
      case 'pageUp':
      case 'pageDown': {
        const step = a === 'up' || a === 'down' ? 1 : a === 'pageUp' || a === 'pageDown' ? (inTree ? this.layout.tree.height - 1 : inHex ? this.layout.hex.height - 1 : s.pageSize) : 1;
        const d = a === 'up' || a === 'pageUp' ? -step : step;
        if (inTree) treeMove(d);
        else if (inHex) this.hexTop = Math.max(0, this.hexTop + d);
        else s.move(d);
        break;
      }
      case 'home':
        if (inTree) s.treeCursor = 0;
        else if (inHex) this.hexTop = 0;
        else s.home();
        break;
      case 'end':
        if (inTree) treeMove(1e9);
        else s.end();
        break;
      case 'nextPane':
        s.cyclePane();
        break;
      case 'prevPane':
        s.cyclePane(true);
        break;
      case 'toggle': {
        const row = this.currentDetail()?.rows[s.treeCursor];
        if (s.pane === 'list') s.pane = 'tree';
        else if (row) {
          if (s.expanded.has(row.proto)) s.expanded.delete(row.proto);
          else if (row.isLayer) s.expanded.add(row.proto);
          this.detail = undefined;
          // Collapsing from a field row moves the cursor back onto its layer.
          const rows = this.currentDetail()?.rows ?? [];
          if (!row.isLayer) s.treeCursor = Math.max(0, rows.findIndex((r) => r.isLayer && r.proto === row.proto));
        }
        break;
      }
      case 'filter':
        s.startPrompt('filter');
        break;
      case 'jump':
        s.startPrompt('jump');
        break;
      case 'note':
        if (s.selectedFrame !== undefined) s.startPrompt('note');
        break;
      case 'write':
        this.writeNotes();
        break;
      case 'help':
        s.toggleHelp();
        break;
      case 'connections':
      case 'messages':
      case 'ladder':
      case 'follow':
      case 'graphs':
        this.openView(a);
        break;
      case 'ladderPane':
        s.toggleLadderPane(this.layout.ladder !== undefined);
        this.relayout();
        break;
      case 'back':
        if (this.search) {
          this.search = undefined;
          s.message = 'search stopped';
        }
        break;
      case 'search':
        s.startPrompt('search');
        break;
      case 'searchNext':
      case 'searchPrev':
        this.startSearch(a === 'searchNext' ? 1 : -1);
        break;
      case 'quit':
        this.quit(0);
        break;
    }
  }

  /** A key while a full-screen view is open; false lets the packet list's meaning apply. */
  private actInView(a: Action): boolean {
    const s = this.state;
    switch (a) {
      case 'up':
      case 'down':
        s.viewMove(a === 'up' ? -1 : 1);
        return true;
      case 'pageUp':
      case 'pageDown':
        s.viewMove(a === 'pageUp' ? -s.viewPage : s.viewPage);
        return true;
      case 'home':
      case 'end':
        s.viewMove(a === 'home' ? -1e9 : 1e9);
        return true;
      case 'toggle':
        this.viewEnter();
        return true;
      case 'back':
        s.closeView();
        return true;
      case 'nextPane':
      case 'prevPane':
        if (s.view === 'graphs') s.cycleGraph(a === 'prevPane');
        return true;
      case 'direction':
        if (s.view === 'graphs') s.flipGraphDir(this.graphDirection());
        return true;
      case 'scope':
        if (s.view === 'messages') {
          s.messagesOfStream = !s.messagesOfStream;
          // Reopened on the same selection: the messages are collected once, so this only filters.
          s.closeView();
          this.openView('messages');
        }
        return true;
      case 'filter':
      case 'jump':
      case 'search':
      case 'searchNext':
      case 'searchPrev':
        // These act on the packet list, so it comes back first.
        s.closeView();
        return false;
      default:
        return false;
    }
  }

  private viewEnter(): void {
    const s = this.state;
    if (s.viewLoading) return;
    if (s.view === 'connections') {
      const row = this.flowRows[s.viewSelected];
      if (!row) return;
      const r = s.narrowToStream(row.proto, row.stream);
      if (r.ok) this.startFilter(r.filter);
    } else if (s.view === 'messages') {
      const m = this.messageRows[s.viewSelected];
      if (!m) return;
      if (s.goToFrame(m.frame).cleared) this.startFilter(undefined);
    }
  }

  private setViewPage(): void {
    this.state.setViewPage(this.layout.view.height - (this.state.isTableView ? 2 : 1));
  }

  /** Opens (or, with its own key, closes) a view and starts collecting its lines. */
  private openView(view: Exclude<View, 'packets'>): void {
    const s = this.state;
    const frame = s.selectedFrame;
    const stream = frame === undefined ? -1 : this.index.tcpStream(frame);
    if ((view === 'ladder' || view === 'follow' || view === 'graphs') && s.view !== view && stream < 0) {
      s.message = `${view}: ${frame === undefined ? 'no packet selected' : `frame ${frame + 1} is not TCP`}`;
      return;
    }
    s.openView(view);
    if (s.view !== view) return;
    this.viewStream = stream;
    this.setViewPage();
    this.viewLines = [];
    const token = ++this.viewToken;
    const current = () => token === this.viewToken && s.view === view;
    const show = (title: string, lines: ViewLine[], focus = -1) => {
      if (!current()) return;
      this.viewTitle = title;
      this.viewLines = lines;
      s.viewLoaded(lines.length, focus);
      this.scheduler.request();
    };
    const fail = (err: unknown) => {
      if (!current()) return;
      s.closeView();
      s.message = `${view}: ${err instanceof Error ? err.message : String(err)}`;
      this.scheduler.request();
    };
    const name = this.live?.label ?? this.file.split('/').pop();
    this.viewTitle = { connections: `Connections in ${name}`, messages: `Messages in ${name}`, ladder: `Ladder of tcp.stream ${stream}`, follow: `Follow tcp.stream ${stream}`, graphs: `Graphs of tcp.stream ${stream}` }[view];
    // The collectors read the whole file; their reader gives the event loop a turn every few
    // milliseconds (CaptureReader.batches), so keys and redraws go on meanwhile. The view's
    // "reading…" screen goes out at once.
    this.scheduler.flush();
    switch (view) {
      case 'connections':
        this.flows ??= collectFlows(this.file).then((r) => r.rows);
        this.flows
          .then(async (rows) => {
            this.flowRows = rows;
            const at = rows.findIndex((r) => r.proto === 'tcp' && r.stream === stream);
            // Thousands of lines: formatted in slices, like the collecting, so keys keep working.
            show(`Connections in ${name}: ${rows.length}   Enter shows its packets, Esc back`, await mapInSlices(rows, connectionLines), at);
          })
          .catch(fail);
        break;
      case 'messages':
        this.messages ??= collectMessages(this.file).then((r) => r.messages);
        this.messages
          .then(async (all) => {
            const ofStream = s.messagesOfStream && stream >= 0;
            const msgs = ofStream ? all.filter((m) => m.transport === 'tcp' && m.stream === stream) : all;
            this.messageRows = msgs;
            // Start at the selected packet's place in the trace.
            const at = frame === undefined ? 0 : msgs.findIndex((m) => m.frame >= frame + 1);
            const scope = ofStream
              ? `Messages of tcp.stream ${stream}: ${msgs.length}   a whole trace`
              : `Messages in ${name}: ${msgs.length}${s.messagesOfStream ? ' (the selected packet is not TCP)' : ''}   a this stream only`;
            show(
              `${scope}, Enter goes to the frame, Esc back`,
              await mapInSlices(msgs, (part) => part.map((m) => ({ text: escapeTerminal(formatMessage(m)), color: m.dir === 'c2s' ? '' : 'cyan-fg' }))),
              at < 0 ? msgs.length - 1 : at,
            );
          })
          .catch(fail);
        break;
      case 'ladder':
        this.streams.want(stream, (d) => {
          const { lines, lineOf, whole, first, last } = d.ladder(laneWidthFor(this.layout.view.width), frame! + 1);
          const part = whole ? '' : ` (frames ${first}–${last} of ${d.count} packets)`;
          show(`Ladder of tcp.stream ${stream}${part}, frame ${frame! + 1} highlighted   ↑↓ scroll, Esc back`, lines.map((t) => ({ text: t, color: '' })), lineOf.get(frame! + 1) ?? -1);
        });
        this.schedule();
        break;
      case 'graphs':
        s.graphDir = undefined;
        this.streams.want(stream, () => show(this.viewTitle, []));
        this.schedule();
        break;
      case 'follow':
        followStream(this.file, stream).then((r) => {
          if (!r.conn) return fail(new Error(`no TCP stream ${stream}`));
          show(`Follow tcp.stream ${stream} (ascii)   ↑↓ scroll, Esc back`, followLines(r.conn, stream, r.chunks));
        }, fail);
        break;
    }
  }

  /**
   * Walks the list from the selection in `dir` (wrapping once), in time slices like the index pass
   * so that a search through a big capture never freezes the keys; Esc stops it.
   */
  private startSearch(dir: 1 | -1): void {
    const s = this.state;
    if (!s.searchText) {
      s.message = 'no search yet (s searches)';
      return;
    }
    const q = parseSearch(s.searchText);
    if ('error' in q) {
      s.message = q.error;
      return;
    }
    if (s.rowCount === 0) {
      s.message = 'nothing to search';
      return;
    }
    this.search = { q, dir, row: s.selected, left: s.rowCount };
    this.stepSearch();
  }

  private stepSearch(): void {
    const job = this.search;
    if (!job || this.closed) return;
    const s = this.state;
    const n = s.rowCount;
    const until = performance.now() + SEARCH_SLICE_MS;
    while (job.left > 0 && n > 0 && performance.now() < until) {
      job.row = (job.row + job.dir + n) % n;
      job.left--;
      const i = s.frameAt(job.row);
      let at = -1;
      // The columns are in memory; the bytes cost a read, so they come second.
      if (!matchesColumns(job.q, this.index.columns(i))) {
        const frame = this.reader.readFrameAt(this.index.fileOffset(i), i + 1);
        at = frame ? matchesBytes(job.q, frame.data) : -1;
        if (at < 0) continue;
      }
      this.search = undefined;
      s.move(job.row - s.selected);
      s.follow = false;
      if (at >= 0) s.searchHit = { frame: i, offset: at, length: job.q.bytes.length };
      s.message = `found in frame ${i + 1}${at >= 0 ? ` at byte ${at}` : ''}`;
      this.scheduler.request();
      return;
    }
    if (job.left <= 0 || n === 0) {
      this.search = undefined;
      s.message = `not found: ${s.searchText}`;
    } else {
      s.message = `searching… ${n - job.left}/${n} (Esc stops)`;
      setImmediate(() => this.stepSearch());
    }
    this.scheduler.request();
  }

  private writeNotes(): void {
    const notes = this.state.noteList();
    if (notes.length === 0) {
      this.state.message = 'no notes to write (n adds one)';
      return;
    }
    const out = this.live?.notesPath ?? `${this.file.replace(/\.(pcapng|pcap|cap)$/i, '')}.notes.pcapng`;
    this.state.message = `writing ${notes.length} note(s)…`;
    annotateCapture(this.file, out, notes).then(
      (r) => {
        this.state.message = `wrote ${r.annotated.length} note(s) to ${out}`;
        this.scheduler.request();
      },
      (err: unknown) => {
        this.state.message = `could not write notes: ${(err as Error).message}`;
        this.scheduler.request();
      },
    );
  }

  /**
   * The selected packet (cached while it stays selected): analysed in order with those before it
   * when the detail pass has reached it, else decoded again from its file offset meanwhile.
   */
  private currentDetail(): Detail | undefined {
    const i = this.state.selectedFrame;
    if (i === undefined) return undefined;
    if (this.detail?.frame !== i) {
      const analysed = this.detailPass.want(i) ? this.detailPass.get(i) : undefined;
      if (analysed) this.detail = { frame: i, packet: analysed.packet, rows: treeRows(analysed.packet, this.state.expanded, analysed.analysis, analysed.times), analysed: true };
      else {
        const frame = this.reader.readFrameAt(this.index.fileOffset(i), i + 1);
        const packet = frame ? decodePacket(frame) : undefined;
        this.detail = { frame: i, packet, rows: packet ? treeRows(packet, this.state.expanded) : [], analysed: false };
        this.schedule();
      }
      this.hexTop = -1;
    }
    return this.detail;
  }

  private draw(): void {
    if (this.closed) return;
    const t0 = performance.now();
    const s = this.state;
    const l = this.layout;
    const b = this.boxes;
    if (s.view !== 'packets') this.drawView();
    else this.drawPackets();
    b.filterBar.setContent(tagEscape(fit(escapeTerminal(this.promptLine()), l.filterBar.width)));
    this.drawError();
    b.status.setContent(tagEscape(fit(escapeTerminal(this.statusLine()), l.status.width)));
    if (s.mode === 'help') {
      b.help.setContent(helpLines().slice(s.helpTop).map(tagEscape).join('\n'));
      // A short terminal cannot show every key at once: the label says there is more below.
      b.help.setLabel(s.helpTop + s.helpPage < helpLines().length ? ' help: ↓ PgDn for more ' : ' help ');
      b.help.show();
    } else b.help.hide();
    this.screen.render();
    const ms = performance.now() - t0;
    this.maxDrawMs = Math.max(this.maxDrawMs, ms);
    this.totalDrawMs += ms;
    if (this.indexer.done) {
      this.idleDraws++;
      this.idleMaxMs = Math.max(this.idleMaxMs, ms);
      this.idleTotalMs += ms;
      if (this.options.statsFile && s.view === 'packets' && this.packetDrawMs.length < MAX_DRAW_SAMPLES) {
        this.packetDrawMs.push(+ms.toFixed(3));
        if (this.ladderBuilt) this.ladderWindowDrawMs.push(+ms.toFixed(3));
      }
    }
  }

  private drawView(): void {
    const s = this.state;
    const b = this.boxes;
    const r = this.layout.view;
    for (const k of ['list', 'tree', 'hex', 'ladder'] as const) b[k].hide();
    const title = s.viewLoading ? `${this.viewTitle}: reading…${this.readingText(this.viewStream)}` : this.viewTitle;
    if (s.view === 'graphs' && !s.viewLoading) {
      b.view.hide();
      return this.drawGraph(r);
    }
    this.graphView.hide();
    b.view.show();
    b.view.setContent(
      s.view === 'connections' ? renderTableView(s, title, CONNECTIONS_HEADER, this.viewLines, r.width, r.height)
      : s.view === 'messages' ? renderTableView(s, title, '', this.viewLines, r.width, r.height)
      : renderTextView(s, title, this.viewLines, r.width, r.height),
    );
  }

  private drawPackets(): void {
    const s = this.state;
    const l = this.layout;
    const b = this.boxes;
    b.view.hide();
    this.graphView.hide();
    for (const k of ['list', 'tree', 'hex'] as const) b[k].show();
    this.drawLadderPane();
    b.list.setContent(renderPacketList(s, this.index, l.list.width, l.list.height, s.pane === 'list'));
    const d = this.currentDetail();
    if (d?.packet) {
      s.treeCursor = Math.min(s.treeCursor, Math.max(0, d.rows.length - 1));
      // A search match in the bytes is highlighted instead of the tree row until the selection moves.
      const cursor = d.rows[s.treeCursor];
      const row = s.searchHit?.frame === d.frame ? s.searchHit : cursor;
      const lines = hexLines(d.packet.frame.data, row?.offset ?? 0, row?.length ?? 0);
      const body = l.hex.height - 1;
      // Follow the highlight unless the dump pane is being scrolled by hand.
      if (s.pane !== 'hex' || this.hexTop < 0) this.hexTop = row && row.length > 0 ? Math.max(0, Math.min(hexLineOf(row.offset), lines.length - body)) : 0;
      this.hexTop = Math.max(0, Math.min(this.hexTop, Math.max(0, lines.length - body)));
      const note = d.analysed ? '' : '(decoded alone: analysing the packets before it…)';
      b.tree.setContent(renderTree(d.rows, s.treeCursor, l.tree.width, l.tree.height, s.pane === 'tree', note));
      b.hex.setContent(renderHex(lines, this.hexTop, l.hex.width, l.hex.height, s.pane === 'hex'));
    } else {
      b.tree.setContent(`{bold}  Layers{/bold}\n  ${d ? 'could not re-read this frame' : ''}`);
      b.hex.setContent('{bold}  Bytes{/bold}');
    }
  }

  /** The graphs view: the header, and the chart of the graph chosen (computed again only when it changes). */
  private drawGraph(r: Layout['view']): void {
    const s = this.state;
    const d = this.streams.want(this.viewStream);
    if (!d) return;
    const samples = d.record;
    const dir = this.graphDirection();
    const points = GraphView.pointsFor(r.width);
    const key = `${this.viewStream},${s.graph},${dir},${points}`;
    if (this.graph?.key !== key) this.graph = { key, graph: buildGraph(s.graph, samples, { maxPoints: points, dir }) };
    const header = graphHeader(this.viewStream, s.graph, { samples, endpoints: samples.endpoints }, r.width);
    this.graphView.show(r, header, samples.length ? this.graph.graph : undefined);
  }

  /** The sequence graph's direction: as chosen with d, else the one that sent more. */
  private graphDirection(): 0 | 1 {
    const d = this.streams.want(this.viewStream);
    return this.state.graphDir ?? (d ? busierDirection(d.record) : 0);
  }

  /** The ladder pane, when the layout has one: the selected packet's stream, its line highlighted. */
  private drawLadderPane(): void {
    const b = this.boxes.ladder;
    const r = this.layout.ladder;
    this.ladderRows = [];
    this.ladderBuilt = false;
    if (!r) return void b.hide();
    b.show();
    const frame = this.state.selectedFrame;
    const stream = frame === undefined ? -1 : this.index.tcpStream(frame);
    if (stream < 0) {
      b.setContent(`{bold}${fit('  Ladder', r.width)}{/bold}\n  ${frame === undefined ? '' : `frame ${frame + 1} is not TCP`}`);
      return;
    }
    const d = this.streams.want(stream);
    if (!d) this.schedule();
    const ladder = d?.ladder(laneWidthFor(r.width), frame! + 1);
    this.ladderBuilt = ladder !== undefined && ladder !== this.ladderShown;
    if (ladder) {
      if (this.ladderReadyMs < 0) this.ladderReadyMs = performance.now();
      this.ladderShown = ladder;
    }
    const part = !ladder || ladder.whole ? '' : ` (frames ${ladder.first}–${ladder.last} of ${d!.count})`;
    const title = `  Ladder of tcp.stream ${stream}${d ? part : `: reading…${this.readingText(stream)}`}`;
    const pane = renderLadderPane(title, ladder, frame! + 1, r.width, r.height);
    this.ladderRows = pane.frames;
    b.setContent(pane.content);
  }

  /** " 45%" while `stream` is being read and its end is known. */
  private readingText(stream: number): string {
    const p = this.streams.reading === stream ? this.streams.progress : 0;
    return p > 0 ? ` ${Math.floor(p * 100)}%` : '';
  }

  /** The frame number of `stream`'s last packet, or Infinity while the index may still add packets to it. */
  private lastFrameOf(stream: number): number {
    if (!this.indexer.done) return Number.POSITIVE_INFINITY;
    for (let i = this.index.count - 1; i >= 0; i--) if (this.index.tcpStream(i) === stream) return i + 1;
    return 0;
  }

  private promptLine(): string {
    const s = this.state;
    switch (s.mode) {
      case 'filter':
        return `Filter: ${s.input}▏`;
      case 'jump':
        return `Go to frame: ${s.input}▏`;
      case 'search':
        return `Search (text, or hex as 0x4500): ${s.input}▏`;
      case 'note':
        return `Note for frame ${(s.selectedFrame ?? 0) + 1}: ${s.input}▏`;
      default:
        if (s.view !== 'packets') return `${s.filterText ? `Filter: ${s.filterText}   ` : ''}↑↓ PgUp PgDn move  Esc back  ? help  q quit`;
        return s.filterText ? `Filter: ${s.filterText}${s.filterNote ? `   (${s.filterNote})` : ''}` : 'Filter: (none)   / filter  : go to  c conns  m msgs  l ladder  g graphs  f follow  ? help';
    }
  }

  /** The filter's error, caret lines included, just above the bar while it is being edited. */
  private drawError(): void {
    const s = this.state;
    const e = this.boxes.error;
    if (s.mode !== 'filter' || !s.filterError) {
      e.hide();
      return;
    }
    const lines = s.filterError.split('\n').map((x) => escapeTerminal(x));
    e.top = this.layout.filterBar.top - lines.length;
    e.left = 0;
    e.width = this.layout.filterBar.width;
    e.height = lines.length;
    e.setContent(lines.map((x) => tagEscape(fit(x, this.layout.filterBar.width))).join('\n'));
    e.show();
  }

  private statusLine(): string {
    const s = this.state;
    const n = this.index.count;
    let progress = '';
    if (this.live) {
      // A live file grows: the index is either caught up with it or behind it.
      if (!this.indexer.done && !this.indexer.waiting) progress = ' (indexing…)';
    } else if (!this.indexer.done) {
      const pct = n > 0 && this.fileSize > 0 ? Math.floor((this.index.fileOffset(n - 1) / this.fileSize) * 100) : 0;
      progress = ` (indexing ${pct}%)`;
    }
    const live = this.live?.status();
    const parts = live ? [live.head, `${n} packets${progress}`, live.counts] : [`${this.file.split('/').pop()}`, `${n} packets${progress}`];
    // Live, a filter pass that caught up with the capture is not "filtering": it waits like the index.
    const filtering = !s.filterDone && !(this.indexer.waiting && !this.filterCanStep());
    if (s.matches) parts.push(`${s.matches.length} shown${filtering ? ' (filtering…)' : ''}`);
    if (s.selectedFrame !== undefined) parts.push(`frame ${s.selectedFrame + 1}`);
    if (s.follow) parts.push('following');
    if (s.notes.size) parts.push(`${s.notes.size} note(s)`);
    if (s.message) parts.push(s.message);
    return ` ${parts.join(' | ')}`;
  }

  /**
   * q, Ctrl-C, SIGINT, SIGTERM. A running live capture is stopped first, the UI still up and saying
   * so (the engine drains for up to a second); the terminal is given back once its file is closed.
   */
  private quit(code: number): void {
    if (!this.live) return this.close(code);
    if (this.quitting) return;
    this.quitting = true;
    if (this.live.running) {
      this.state.message = 'stopping the capture…';
      this.scheduler.request();
    }
    // Closed after the signal's listeners have all run, even when the capture had already ended:
    // blessed's own listener exits 0 at once when it finds itself alone.
    void this.live.stop().then(() => this.close(code));
  }

  private close(code: number, err?: unknown): void {
    if (this.closed) return;
    this.closed = true;
    this.scheduler.cancel();
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    try {
      this.screen?.destroy();
    } catch {
      // The terminal is being given back; a failure here must not hide the original error.
    }
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
    process.off('uncaughtException', this.onCrash);
    process.off('unhandledRejection', this.onCrash);
    this.filterPass?.reader.close();
    this.detailPass.close();
    this.streams.close();
    this.reader.close();
    if (err !== undefined) process.stderr.write(`wirelens: internal error in the terminal UI: ${err instanceof Error && err.stack ? err.stack : String(err)}\n`);
    if (this.options.statsFile) this.writeStats();
    this.resolveExit(code);
  }

  private writeStats(): void {
    const draws = this.scheduler.draws;
    this.loopDelay?.disable();
    const stats = {
      frames: this.index.count,
      indexComplete: this.indexer.done,
      // performance.now() counts from the process's start, so this includes Node's and our start-up.
      firstScreenMs: Math.round(this.firstScreenMs),
      indexMs: Math.round(this.indexMs),
      draws,
      maxDrawMs: +this.maxDrawMs.toFixed(2),
      avgDrawMs: draws ? +(this.totalDrawMs / draws).toFixed(2) : 0,
      drawsAfterIndex: this.idleDraws,
      maxDrawMsAfterIndex: +this.idleMaxMs.toFixed(2),
      avgDrawMsAfterIndex: this.idleDraws ? +(this.idleTotalMs / this.idleDraws).toFixed(2) : 0,
      packetDrawMsAfterIndex: this.packetDrawMs,
      ladderReadyMs: this.ladderReadyMs < 0 ? null : Math.round(this.ladderReadyMs),
      ladderWindowDrawMs: this.ladderWindowDrawMs,
      indexBytes: this.index.bytes,
      rssKiBAtIndex: this.memoryAtIndex?.rssKiB ?? null,
      peakRssKiBAtIndex: this.memoryAtIndex?.peakRssKiB ?? null,
      peakRssKiB: process.resourceUsage().maxRSS,
      maxLoopDelayMsAfterIndex: this.loopDelay ? +(this.loopDelay.max / 1e6).toFixed(1) : null,
    };
    try {
      writeFileSync(this.options.statsFile!, `${JSON.stringify(stats)}\n`);
    } catch {
      // Figures for the bench only; failing to write them must not change the exit.
    }
  }
}

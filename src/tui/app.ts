/**
 * The blessed application: one screen, five boxes (packet list, layer tree, hex dump, filter bar,
 * status line) and a help overlay, all drawn from TuiState by one throttled scheduler. The capture
 * is indexed in the background in small time slices (scan.ts) so the first screen shows as soon as
 * one screenful is indexed; the selected packet is decoded again from its file offset when its
 * details are drawn.
 *
 * The terminal is given back on every way out: `q`, Ctrl-C (a key in raw mode), SIGINT/SIGTERM,
 * and an unexpected error, which is printed only after the screen is restored so it stays readable.
 */
import { writeFileSync } from 'node:fs';
import { statSync } from 'node:fs';
import blessed from 'blessed';
import { openCaptureSync, type CaptureReader } from '../capture/reader.js';
import { decodePacket } from '../decode/bindings.js';
import type { Packet } from '../decode/layer.js';
import { annotateCapture } from '../timeline/annotate.js';
import { escapeTerminal } from '../timeline/escape.js';
import { hexLineOf, hexLines, treeRows, type TreeRow } from './details.js';
import { actionFor, helpLines, type Action } from './keymap.js';
import { computeLayout, type Layout } from './layout.js';
import { PacketIndex } from './packet-index.js';
import { filterScan, indexScan, type Scan } from './scan.js';
import { RenderScheduler } from './scheduler.js';
import { TuiState } from './state.js';
import { renderHex, renderTree } from './widgets/details-pane.js';
import { renderPacketList } from './widgets/packet-list.js';
import { fit, tagEscape } from './widgets/text.js';

export interface TuiOptions {
  /** Where to write timing figures (JSON) on exit: first screen, draw times (for the bench). */
  statsFile?: string;
}

/** Time slices for the background passes: short enough that a key is handled within ~a frame. */
const INDEX_SLICE_MS = 12;
const FILTER_SLICE_MS = 8;

interface Detail {
  frame: number;
  packet: Packet | undefined;
  rows: TreeRow[];
}

interface KeyEvent {
  name?: string;
  full?: string;
  ctrl?: boolean;
  meta?: boolean;
}

export class TuiApp {
  private readonly state = new TuiState();
  private readonly index = new PacketIndex();
  private readonly reader: CaptureReader;
  private readonly indexer: Scan;
  private readonly fileSize: number;
  private filterPass: Scan | undefined;
  private screen!: blessed.Widgets.Screen;
  private boxes!: Record<'list' | 'tree' | 'hex' | 'filterBar' | 'status' | 'help' | 'error', blessed.Widgets.BoxElement>;
  private layout!: Layout;
  private readonly scheduler: RenderScheduler;
  private immediate: ReturnType<typeof setImmediate> | undefined;
  private detail: Detail | undefined;
  private hexTop = 0;
  private closed = false;
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
  // Exit right here, after restoring: blessed's own signal handler, which runs next, would exit 0 on
  // the next tick; and after an unexpected error the program's state is not worth continuing from.
  private readonly onSignal = (sig: NodeJS.Signals) => this.exitNow(sig === 'SIGINT' ? 130 : 143);
  private readonly onCrash = (err: unknown) => this.exitNow(70, err);

  private exitNow(code: number, err?: unknown): never {
    this.close(code, err);
    process.exit(code);
  }

  constructor(
    private readonly file: string,
    private readonly options: TuiOptions = {},
  ) {
    // Opening errors (no such file, not a capture) are thrown before the screen takes the terminal.
    this.reader = openCaptureSync(file);
    this.fileSize = statSync(file).size;
    this.indexer = indexScan(this.reader, this.index);
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
      // One screenful (or a short while) indexed before the first draw, so it is not empty.
      const until = performance.now() + 300;
      while (!this.indexer.done && this.index.count < this.layout.list.height && performance.now() < until) this.indexer.step(INDEX_SLICE_MS);
      this.state.framesIndexed(this.index.count, this.indexer.done);
      this.scheduler.flush();
      this.firstScreenMs = performance.now();
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
      filterBar: box({ style: { bg: 'blue', fg: 'white' } }),
      status: box({ style: { inverse: true } }),
      error: box({ hidden: true, style: { bg: 'red', fg: 'white' } }),
      help: box({ hidden: true, border: { type: 'line' }, top: 'center', left: 'center', width: 78, height: 22, label: ' help ' }),
    };
    this.boxes.help.setContent(helpLines().map(tagEscape).join('\n'));
    this.relayout();
    this.screen.on('resize', () => {
      this.relayout();
      this.scheduler.request();
    });
    this.screen.on('keypress', (ch: string | undefined, key: KeyEvent) => this.key(ch, key ?? {}));
  }

  private relayout(): void {
    const l = computeLayout(this.screen.cols as number, this.screen.rows as number);
    this.layout = l;
    for (const k of ['list', 'tree', 'hex', 'filterBar', 'status'] as const) {
      const b = this.boxes[k];
      const r = l[k];
      b.top = r.top;
      b.left = r.left;
      b.width = r.width;
      b.height = r.height;
    }
    this.boxes.help.width = Math.min(78, l.list.width);
    this.boxes.help.height = Math.min(helpLines().length + 2, (this.screen.rows as number) - 2);
    this.state.setPageSize(l.list.height - 1);
  }

  /** Background work: index slices, then filter slices, one per event-loop turn. */
  private schedule(): void {
    if (this.closed || this.immediate !== undefined) return;
    const more = !this.indexer.done || (this.filterPass !== undefined && !this.filterPass.done);
    if (!more) return;
    this.immediate = setImmediate(() => {
      this.immediate = undefined;
      if (this.closed) return;
      if (!this.indexer.done) {
        this.indexer.step(INDEX_SLICE_MS);
        if (this.indexer.done) {
          this.index.complete = true;
          this.indexMs = performance.now() - this.startedAt;
        }
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
      this.scheduler.request();
      this.schedule();
    });
  }

  private startFilter(filter: Parameters<typeof filterScan>[1] | undefined): void {
    this.filterPass?.reader.close();
    this.filterPass = undefined;
    if (filter) {
      this.filterPass = filterScan(this.file, filter, (i) => this.state.filterMatched(i));
      this.schedule();
    }
  }

  private key(ch: string | undefined, key: KeyEvent): void {
    const s = this.state;
    if (key.name === 'return') return; // blessed reports Enter twice (return, then enter)
    if (s.mode === 'help') {
      s.toggleHelp();
    } else if (s.mode !== 'normal') {
      if (key.full === 'C-c') return this.close(0);
      if (key.name === 'escape') s.cancelPrompt();
      else if (key.name === 'enter') {
        const out = s.submitPrompt();
        if (out.kind === 'filter') this.startFilter(out.filter);
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
    const inTree = s.pane === 'tree';
    const inHex = s.pane === 'hex';
    const treeMove = (d: number) => {
      const n = this.currentDetail()?.rows.length ?? 0;
      s.treeCursor = Math.max(0, Math.min(n - 1, s.treeCursor + d));
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
      case 'quit':
        this.close(0);
        break;
    }
  }

  private writeNotes(): void {
    const notes = this.state.noteList();
    if (notes.length === 0) {
      this.state.message = 'no notes to write (n adds one)';
      return;
    }
    const out = `${this.file.replace(/\.(pcapng|pcap|cap)$/i, '')}.notes.pcapng`;
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

  /** The selected packet decoded again from its file offset (cached while it stays selected). */
  private currentDetail(): Detail | undefined {
    const i = this.state.selectedFrame;
    if (i === undefined) return undefined;
    if (this.detail?.frame !== i) {
      const frame = this.reader.readFrameAt(this.index.fileOffset(i), i + 1);
      const packet = frame ? decodePacket(frame) : undefined;
      this.detail = { frame: i, packet, rows: packet ? treeRows(packet, this.state.expanded) : [] };
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
    b.list.setContent(renderPacketList(s, this.index, l.list.width, l.list.height, s.pane === 'list'));
    const d = this.currentDetail();
    if (d?.packet) {
      s.treeCursor = Math.min(s.treeCursor, Math.max(0, d.rows.length - 1));
      const row = d.rows[s.treeCursor];
      const lines = hexLines(d.packet.frame.data, row?.offset ?? 0, row?.length ?? 0);
      const body = l.hex.height - 1;
      // Follow the highlight unless the dump pane is being scrolled by hand.
      if (s.pane !== 'hex' || this.hexTop < 0) this.hexTop = row && row.length > 0 ? Math.max(0, Math.min(hexLineOf(row.offset), lines.length - body)) : 0;
      this.hexTop = Math.max(0, Math.min(this.hexTop, Math.max(0, lines.length - body)));
      b.tree.setContent(renderTree(d.rows, s.treeCursor, l.tree.width, l.tree.height, s.pane === 'tree'));
      b.hex.setContent(renderHex(lines, this.hexTop, l.hex.width, l.hex.height, s.pane === 'hex'));
    } else {
      b.tree.setContent(`{bold}  Layers{/bold}\n  ${d ? 'could not re-read this frame' : ''}`);
      b.hex.setContent('{bold}  Bytes{/bold}');
    }
    b.filterBar.setContent(tagEscape(fit(escapeTerminal(this.promptLine()), l.filterBar.width)));
    this.drawError();
    b.status.setContent(tagEscape(fit(escapeTerminal(this.statusLine()), l.status.width)));
    if (s.mode === 'help') b.help.show();
    else b.help.hide();
    this.screen.render();
    const ms = performance.now() - t0;
    this.maxDrawMs = Math.max(this.maxDrawMs, ms);
    this.totalDrawMs += ms;
    if (this.indexer.done) {
      this.idleDraws++;
      this.idleMaxMs = Math.max(this.idleMaxMs, ms);
      this.idleTotalMs += ms;
    }
  }

  private promptLine(): string {
    const s = this.state;
    switch (s.mode) {
      case 'filter':
        return `Filter: ${s.input}▏`;
      case 'jump':
        return `Go to frame: ${s.input}▏`;
      case 'note':
        return `Note for frame ${(s.selectedFrame ?? 0) + 1}: ${s.input}▏`;
      default:
        return s.filterText ? `Filter: ${s.filterText}` : 'Filter: (none)   / filter  : go to  n note  w write  ? help  q quit';
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
    if (!this.indexer.done) {
      const pct = n > 0 && this.fileSize > 0 ? Math.floor((this.index.fileOffset(n - 1) / this.fileSize) * 100) : 0;
      progress = ` (indexing ${pct}%)`;
    }
    const parts = [`${this.file.split('/').pop()}`, `${n} packets${progress}`];
    if (s.matches) parts.push(`${s.matches.length} shown${s.filterDone ? '' : ' (filtering…)'}`);
    if (s.selectedFrame !== undefined) parts.push(`frame ${s.selectedFrame + 1}`);
    if (s.follow) parts.push('following');
    if (s.notes.size) parts.push(`${s.notes.size} note(s)`);
    if (s.message) parts.push(s.message);
    return ` ${parts.join(' | ')}`;
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
    this.reader.close();
    if (err !== undefined) process.stderr.write(`wirelens: internal error in the terminal UI: ${err instanceof Error && err.stack ? err.stack : String(err)}\n`);
    if (this.options.statsFile) this.writeStats();
    this.resolveExit(code);
  }

  private writeStats(): void {
    const draws = this.scheduler.draws;
    const stats = {
      frames: this.index.count,
      indexComplete: this.indexer.done,
      firstScreenMs: Math.round(this.firstScreenMs),
      indexMs: Math.round(this.indexMs),
      draws,
      maxDrawMs: +this.maxDrawMs.toFixed(2),
      avgDrawMs: draws ? +(this.totalDrawMs / draws).toFixed(2) : 0,
      drawsAfterIndex: this.idleDraws,
      maxDrawMsAfterIndex: +this.idleMaxMs.toFixed(2),
      avgDrawMsAfterIndex: this.idleDraws ? +(this.idleTotalMs / this.idleDraws).toFixed(2) : 0,
    };
    try {
      writeFileSync(this.options.statsFile!, `${JSON.stringify(stats)}\n`);
    } catch {
      // Figures for the bench only; failing to write them must not change the exit.
    }
  }
}

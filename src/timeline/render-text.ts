/**
 * Terminal ladder: one line per arrow, lanes as vertical lines, the label written on the arrow and
 * the explanation to the right; further explanations and notes on lines of their own below.
 * Phases are bracketed in the left margin. Box-drawing characters by default, plain ASCII with
 * `ascii`; ANSI colour only when asked (the command asks when stdout is a TTY and NO_COLOR is unset,
 * https://no-color.org).
 *
 * Arrow lines by style: normal ─, retransmission ╌ (ASCII ~), warning ┄ (ASCII .), error ━ (ASCII =).
 */
import { escapeTerminal } from './escape.js';
import type { ArrowStyle, Ladder, LadderArrow, LadderCollapsed } from './ladder.js';
import type { Severity } from './explanation.js';

export interface TextRenderOptions {
  ascii?: boolean;
  color?: boolean;
  /** Columns between two lanes (default 36). */
  laneWidth?: number;
}

interface Glyphs {
  lane: string;
  laneDim: string;
  line: Record<ArrowStyle, string>;
  right: string;
  left: string;
  start: string;
  startLeft: string;
  open: string;
  mid: string;
  close: string;
  note: string;
  more: string;
}

const UNICODE: Glyphs = {
  lane: '│',
  laneDim: '┊',
  line: { normal: '─', retransmission: '╌', warning: '┄', error: '━' },
  right: '▶',
  left: '◀',
  start: '├',
  startLeft: '┤',
  open: '┌',
  mid: '│',
  close: '└',
  note: '✎',
  more: '·',
};

const ASCII: Glyphs = {
  lane: '|',
  laneDim: ':',
  line: { normal: '-', retransmission: '~', warning: '.', error: '=' },
  right: '>',
  left: '<',
  start: '|',
  startLeft: '|',
  open: '+',
  mid: '|',
  close: '+',
  note: '*',
  more: '-',
};

const SGR: Record<Severity | 'retransmission' | 'dim' | 'bold', string> = {
  chat: '',
  note: '36',
  warn: '33',
  error: '31',
  retransmission: '35',
  dim: '2',
  bold: '1',
};

export function renderText(ladder: Ladder, options: TextRenderOptions = {}): string {
  const g = options.ascii ? ASCII : UNICODE;
  const color = options.color === true;
  const paint = (s: string, c: keyof typeof SGR): string => (color && SGR[c] && s ? `\x1b[${SGR[c]}m${s}\x1b[0m` : s);
  const W = Math.max(16, options.laneWidth ?? 36);
  const n = Math.max(1, ladder.lanes.length);
  const areaWidth = (n - 1) * W + 1;
  const timeWidth = Math.max(8, ...ladder.groups.flatMap((gr) => gr.rows.map((r) => r.time.length)));
  const frameWidth = Math.max(5, ...ladder.groups.flatMap((gr) => gr.rows.map((r) => frameText(r).length)));
  const out: string[] = [];
  const pad = (s: string, w: number) => (s.length >= w ? s : s + ' '.repeat(w - s.length));
  const lanesOnly = (ch: string): string[] => {
    const a = new Array<string>(areaWidth).fill(' ');
    for (let i = 0; i < n; i++) a[i * W] = ch;
    return a;
  };
  const prefix = (gutter: string, frame: string, time: string) => `${gutter} ${frame.padStart(frameWidth)}  ${pad(time, timeWidth)}  `;

  if (ladder.title) out.push(escapeTerminal(ladder.title));
  // Header: lane labels centred on their lanes, in as many lines as needed so none overlap.
  const header = lanesHeader(ladder.lanes.map((l) => escapeTerminal(l.label)), W, areaWidth);
  for (const h of header) out.push(prefix(' ', '', '') + h.trimEnd());
  out.push((prefix(' ', '', '') + lanesOnly(g.lane).join('')).trimEnd());

  for (const group of ladder.groups) {
    const bracketed = group.phase !== undefined;
    if (bracketed) out.push((`${g.open}${paint(` ${escapeTerminal(group.label)}`, 'bold')}`).trimEnd());
    group.rows.forEach((row, idx) => {
      const lastRow = idx === group.rows.length - 1;
      const gutter = bracketed ? (lastRow ? g.close : g.mid) : ' ';
      const contGutter = bracketed && !lastRow ? g.mid : ' ';
      if (row.kind === 'collapsed') {
        const area = collapsedArea(row, lanesOnly(g.laneDim), W, g).join('');
        out.push(prefix(gutter, frameText(row), row.time) + paint(area, 'dim') + '  ' + paint(`${escapeTerminal(row.text)} (frames ${row.firstFrame}–${row.lastFrame}; --all shows them)`, 'dim'));
        return;
      }
      const area = arrowArea(row, lanesOnly(g.lane), W, g);
      const styleColor = row.style === 'retransmission' ? 'retransmission' : row.severity;
      const areaText = paint(area.join(''), styleColor as keyof typeof SGR);
      // Expert marks are the arrow's line style and colour; the explanation names them in words.
      const text = escapeTerminal(row.explanation.text);
      out.push(prefix(gutter, String(row.frame), row.time) + areaText + '  ' + paint(text, row.explanation.severity));
      const cont = prefix(contGutter, '', '') + lanesOnly(g.lane).join('') + '  ';
      for (const e of row.extra) out.push(cont + paint(`${g.more} ${escapeTerminal(e.text)}`, e.severity));
      for (const c of row.comments) out.push(cont + paint(`${g.note} note: ${escapeTerminal(c)}`, 'note'));
    });
  }
  return out.map((l) => l.trimEnd()).join('\n') + '\n';
}

function frameText(r: LadderArrow | LadderCollapsed): string {
  return r.kind === 'arrow' ? String(r.frame) : `${r.firstFrame}-${r.lastFrame}`;
}

function lanesHeader(labels: string[], W: number, areaWidth: number): string[] {
  const lines: string[][] = [];
  labels.forEach((label, i) => {
    const maxLen = Math.max(W - 2, 8);
    const text = label.length > maxLen && labels.length > 1 ? label.slice(0, maxLen - 1) + '…' : label;
    let start = Math.max(0, i * W - Math.floor(text.length / 2));
    if (start + text.length > areaWidth + W) start = Math.max(0, areaWidth + W - text.length);
    // First line where it does not touch another label.
    let line = lines.find((l) => l.slice(Math.max(0, start - 1), start + text.length + 1).every((c) => c === ' ' || c === undefined));
    if (!line) {
      line = [];
      lines.push(line);
    }
    while (line.length < start + text.length) line.push(' ');
    for (let k = 0; k < text.length; k++) line[start + k] = text[k]!;
  });
  return lines.map((l) => l.join(''));
}

function arrowArea(a: LadderArrow, area: string[], W: number, g: Glyphs): string[] {
  const x1 = a.from * W;
  const x2 = a.to * W;
  const line = g.line[a.style];
  const label = escapeTerminal(a.label);
  if (x1 === x2) {
    // A packet from an endpoint to itself (same host with --by host): a short loop.
    area[x1] = g.start;
    const text = ` ${line}${g.left} ${label}`;
    for (let k = 0; k < text.length && x1 + 1 + k < area.length + W; k++) area[x1 + 1 + k] = text[k]!;
    return area;
  }
  const lo = Math.min(x1, x2);
  const hi = Math.max(x1, x2);
  for (let x = lo + 1; x < hi; x++) area[x] = line;
  if (x2 > x1) {
    area[x1] = g.start;
    area[hi - 1] = g.right;
  } else {
    area[x1] = g.startLeft;
    area[lo + 1] = g.left;
  }
  // The label sits on the line, two cells in from the tail end, cut to fit.
  const room = hi - lo - 6;
  if (room >= 3) {
    const text = label.length > room ? label.slice(0, room - 1) + '…' : label;
    const start = x2 > x1 ? lo + 2 : hi - 2 - text.length - 1;
    area[start] = ' ';
    for (let k = 0; k < text.length; k++) area[start + 1 + k] = text[k]!;
    area[start + 1 + text.length] = ' ';
  }
  return area;
}

function collapsedArea(c: LadderCollapsed, area: string[], W: number, g: Glyphs): string[] {
  const lo = Math.min(c.from, c.to) * W;
  const hi = Math.max(c.from, c.to) * W;
  const text = `${g.more === '·' ? '⋯' : '...'} ${c.segments} segments ${g.more === '·' ? '⋯' : '...'}`;
  const span = Math.max(hi - lo - 1, 0);
  if (text.length > span) return area;
  const start = lo + 1 + Math.floor((span - text.length) / 2);
  for (let k = 0; k < text.length; k++) area[start + k] = text[k]!;
  return area;
}

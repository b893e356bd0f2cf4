/**
 * Ladder as a standalone SVG 1.1 document (no scripts, no external resources, black on white so
 * it prints): lanes as vertical lines under their labels, one arrow per packet with the frame
 * number and time on the left, the label on the arrow and the explanation beside it, phases as
 * tinted bands, collapsed runs as dashed boxes.
 *
 * With `scaleTime`, vertical distance follows elapsed time (rows never closer than one text line)
 * and each arrow slopes down by the connection's estimated one-way delay (half the handshake RTT),
 * so a stall shows as a gap and a slow path as steep arrows. Otherwise rows are evenly spaced and
 * arrows slope slightly, as in textbook ladder diagrams.
 *
 * Every string goes through escapeXml; the document is well-formed XML whatever the wire held.
 */
import { escapeXml } from './escape.js';
import type { ArrowStyle, Ladder, LadderArrow } from './ladder.js';
import type { Phase, Severity } from './explanation.js';

export interface SvgOptions {
  scaleTime?: boolean;
  /** Pixels between lanes (default 260). */
  laneGap?: number;
}

const ROW = 30;
const LINE = 15;
const TOP = 70;
const LEFT = 150;
const TEXT_WIDTH = 760;

const STROKE: Record<ArrowStyle, { color: string; width: number; dash?: string }> = {
  normal: { color: '#333333', width: 1.2 },
  retransmission: { color: '#d6336c', width: 2, dash: '7 4' },
  warning: { color: '#c77c00', width: 1.6, dash: '2 3' },
  error: { color: '#c92a2a', width: 2.4 },
};
const SEVERITY_COLOR: Record<Severity, string> = { chat: '#222222', note: '#1864ab', warn: '#a65e00', error: '#c92a2a' };
const PHASE_FILL: Record<Phase, string> = { handshake: '#e7f0ff', data: '#eef8e8', teardown: '#fff3e0', abort: '#ffe6e6' };

function cut(s: string, max: number): string {
  return s.length > max ? s.slice(0, Math.max(1, max - 1)) + '…' : s;
}

const num = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));

export function renderSvg(ladder: Ladder, options: SvgOptions = {}): string {
  const gap = Math.max(120, options.laneGap ?? 260);
  const n = Math.max(1, ladder.lanes.length);
  const laneX = (i: number) => LEFT + 40 + i * gap;
  const textX = laneX(n - 1) + 30;
  const width = textX + TEXT_WIDTH;
  const rows = ladder.groups.flatMap((g) => g.rows);
  const span = Math.max(ladder.end - ladder.start, 1e-6);
  // Time scale: the whole span over about 40 px per row, but never under 600 px.
  const pxPerSec = Math.max(600, rows.length * 40) / span;

  const body: string[] = [];
  const bands: string[] = [];
  let y = TOP + 20;
  let prevY = y - ROW;
  for (const g of ladder.groups) {
    const groupTop = y - 18;
    if (g.phase !== undefined) y += 16;
    for (const r of g.rows) {
      const lines = r.kind === 'arrow' ? 1 + r.extra.length + r.comments.length : 1;
      let rowY = options.scaleTime ? Math.max(prevY + ROW, TOP + 20 + (r.t - ladder.start) * pxPerSec) : Math.max(y, prevY + ROW);
      if (g.phase !== undefined && r === g.rows[0]) rowY = Math.max(rowY, groupTop + 34);
      if (r.kind === 'collapsed') {
        const x1 = laneX(Math.min(r.from, r.to));
        const x2 = laneX(Math.max(r.from, r.to));
        body.push(`<text x="10" y="${num(rowY + 4)}" class="t">${escapeXml(`${r.firstFrame}–${r.lastFrame}`)}</text>`);
        body.push(`<text x="60" y="${num(rowY + 4)}" class="t">${escapeXml(r.time)}</text>`);
        body.push(`<rect x="${num(x1 + 6)}" y="${num(rowY - 11)}" width="${num(Math.max(x2 - x1 - 12, 30))}" height="20" class="collapsed"/>`);
        body.push(`<text x="${num((x1 + x2) / 2)}" y="${num(rowY + 4)}" class="lbl" text-anchor="middle">${escapeXml(`${r.segments} segments`)}</text>`);
        body.push(`<text x="${textX}" y="${num(rowY + 4)}" class="ex" fill="#666666">${escapeXml(`${r.text} (frames ${r.firstFrame}–${r.lastFrame})`)}</text>`);
      } else {
        body.push(...arrowSvg(r, rowY, laneX, textX, gap, ladder, options.scaleTime === true, pxPerSec));
      }
      prevY = rowY + (lines - 1) * LINE;
      y = prevY + ROW;
    }
    if (g.phase !== undefined) {
      const x1 = LEFT + 4;
      const x2 = laneX(n - 1) + 20;
      bands.push(`<rect x="${x1}" y="${num(groupTop)}" width="${num(x2 - x1)}" height="${num(prevY + 14 - groupTop)}" fill="${PHASE_FILL[g.phase]}" stroke="#bbbbbb" stroke-width="0.6" rx="4"/>`);
      bands.push(`<text x="${x1 + 6}" y="${num(groupTop + 13)}" class="phase">${escapeXml(g.label)}</text>`);
    }
  }
  const height = Math.ceil(prevY + 40);
  const lanes: string[] = [];
  for (const l of ladder.lanes) {
    const x = laneX(l.id);
    lanes.push(`<text x="${x}" y="${TOP - 24}" class="lane" text-anchor="middle">${escapeXml(cut(l.label, Math.floor(gap / 7.5)))}</text>`);
    lanes.push(`<line x1="${x}" y1="${TOP - 14}" x2="${x}" y2="${height - 16}" class="laneline"/>`);
  }
  const title = ladder.title ? `<text x="10" y="20" class="title">${escapeXml(ladder.title)}</text>` : '';
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    '<style>',
    'text { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 12px; }',
    '.t, .lbl { font-family: "DejaVu Sans Mono", Menlo, monospace; font-size: 11px; fill: #333333; }',
    '.lane { font-weight: bold; font-size: 13px; }',
    '.title { font-weight: bold; font-size: 15px; }',
    '.phase { font-size: 11px; font-style: italic; fill: #555555; }',
    '.laneline { stroke: #888888; stroke-width: 1; }',
    '.collapsed { fill: #f4f4f4; stroke: #999999; stroke-dasharray: 4 3; }',
    '.sub { font-size: 11px; }',
    '</style>',
    '<defs>',
    ...(['normal', 'retransmission', 'warning', 'error'] as const).map(
      (s) => `<marker id="head-${s}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${STROKE[s].color}"/></marker>`,
    ),
    '</defs>',
    '<rect x="0" y="0" width="100%" height="100%" fill="#ffffff"/>',
    title,
    ...bands,
    ...lanes,
    ...body,
    '</svg>',
    '',
  ]
    .filter((l) => l !== '')
    .join('\n')
    .concat('\n');
}

function arrowSvg(
  a: LadderArrow,
  y: number,
  laneX: (i: number) => number,
  textX: number,
  gap: number,
  ladder: Ladder,
  scaleTime: boolean,
  pxPerSec: number,
): string[] {
  const out: string[] = [];
  const s = STROKE[a.style];
  const x1 = laneX(a.from);
  const x2 = laneX(a.to);
  let slope = 6;
  if (scaleTime && a.stream !== undefined) {
    const ow = ladder.oneWay(a.stream);
    if (Number.isFinite(ow)) slope = Math.min(Math.max(ow * pxPerSec, 2), 24);
  }
  out.push(`<g id="frame-${a.frame}">`);
  out.push(`<text x="10" y="${num(y + 4)}" class="t">${a.frame}</text>`);
  out.push(`<text x="60" y="${num(y + 4)}" class="t">${escapeXml(a.time)}</text>`);
  const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : '';
  if (x1 === x2) {
    out.push(`<path d="M${x1},${num(y - 4)} h30 v${num(slope + 4)} h-28" fill="none" stroke="${s.color}" stroke-width="${s.width}"${dash} marker-end="url(#head-${a.style})"/>`);
    out.push(`<text x="${x1 + 36}" y="${num(y + 4)}" class="lbl">${escapeXml(cut(a.label, Math.floor((gap - 40) / 6.6)))}</text>`);
  } else {
    out.push(`<line x1="${x1}" y1="${num(y - 3)}" x2="${x2}" y2="${num(y - 3 + slope)}" stroke="${s.color}" stroke-width="${s.width}"${dash} marker-end="url(#head-${a.style})"/>`);
    if (a.style === 'error') {
      // A cross where the arrow ends: the connection dies here.
      const cx = x2 + (x2 > x1 ? -14 : 14);
      const cy = y - 3 + slope;
      out.push(`<path d="M${cx - 5},${num(cy - 5)} l10,10 M${cx - 5},${num(cy + 5)} l10,-10" stroke="${s.color}" stroke-width="2"/>`);
    }
    const mid = (x1 + x2) / 2;
    const room = Math.floor((Math.abs(x2 - x1) - 20) / 6.6);
    out.push(`<text x="${num(mid)}" y="${num(y - 7 + slope / 2)}" class="lbl" text-anchor="middle">${escapeXml(cut(a.label, room))}</text>`);
  }
  const marks = a.marks.length ? `[${a.marks.join('] [')}] ` : '';
  out.push(`<text x="${textX}" y="${num(y + 4)}" fill="${SEVERITY_COLOR[a.explanation.severity]}">${escapeXml(marks + a.explanation.text)}</text>`);
  let yy = y + 4;
  for (const e of a.extra) {
    yy += LINE;
    out.push(`<text x="${textX + 12}" y="${num(yy)}" class="sub" fill="${SEVERITY_COLOR[e.severity]}">${escapeXml(e.text)}</text>`);
  }
  for (const c of a.comments) {
    yy += LINE;
    out.push(`<text x="${textX + 12}" y="${num(yy)}" class="sub" fill="#8a6d00">${escapeXml(`✎ ${c}`)}</text>`);
  }
  out.push('</g>');
  return out;
}

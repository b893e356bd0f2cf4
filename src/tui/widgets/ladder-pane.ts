/**
 * The ladder pane: the selected packet's TCP connection as the annotated ladder of `l`, following
 * the selection. The ladder is rendered once per stream (stream-cache.ts); a selection move only
 * picks the window around the selected frame's line and highlights it. The lane header stays on
 * top while the arrows scroll under it.
 */
import type { LadderText } from '../stream-cache.js';
import { windowStart } from './details-pane.js';
import { fit, tagEscape } from './text.js';
import { ladderFrameOf } from './views.js';

export interface LadderPane {
  /** Blessed tags. */
  content: string;
  /** The frame number whose arrow is on each row of the pane, for mouse clicks. */
  frames: (number | undefined)[];
}

export function renderLadderPane(title: string, ladder: LadderText | undefined, frame: number | undefined, width: number, height: number): LadderPane {
  const out = [`{bold}${tagEscape(fit(title, width))}{/bold}`];
  const frames: (number | undefined)[] = [undefined];
  if (!ladder) return { content: out.join('\n'), frames };
  for (const l of ladder.lines.slice(0, ladder.head).slice(0, Math.max(0, height - 2))) {
    out.push(tagEscape(fit(l, width)));
    frames.push(undefined);
  }
  const rows = height - out.length;
  const at = frame === undefined ? -1 : (ladder.lineOf.get(frame) ?? -1);
  const count = ladder.lines.length - ladder.head;
  const cursor = at < 0 ? 0 : at - ladder.head;
  const start = ladder.head + windowStart(cursor, count, rows);
  for (let r = start; r < Math.min(ladder.lines.length, start + rows); r++) {
    const text = tagEscape(fit(ladder.lines[r]!, width));
    out.push(r === at ? `{inverse}${text}{/inverse}` : text);
    frames.push(ladderFrameOf(ladder.lines[r]!));
  }
  return { content: out.join('\n'), frames };
}

/**
 * The layer tree and the hex dump of the selected packet, drawn from details.ts's rows and lines:
 * the tree's cursor row, and in the dump the bytes of that row's field, are shown inverse.
 */
import type { HexLine, TreeRow } from '../details.js';
import { fit, tagEscape } from './text.js';

/** First row to show so that `cursor` is visible in `rows` lines. */
export function windowStart(cursor: number, count: number, rows: number): number {
  if (count <= rows) return 0;
  return Math.min(Math.max(0, cursor - Math.floor(rows / 2)), count - rows);
}

/** `note` follows the title (what the tree is still missing, say). */
export function renderTree(rows: readonly TreeRow[], cursor: number, width: number, height: number, focused: boolean, note = ''): string {
  const title = `{bold}${fit(`${focused ? '▶ Layers' : '  Layers'}${note ? `  ${note}` : ''}`, width)}{/bold}`;
  const body = height - 1;
  const start = windowStart(cursor, rows.length, body);
  const out = [title];
  for (let r = start; r < Math.min(rows.length, start + body); r++) {
    const text = tagEscape(fit(rows[r]!.text, width));
    out.push(r === cursor ? `{${focused ? 'inverse' : 'underline'}}${text}{/}` : rows[r]!.isLayer ? `{bold}${text}{/bold}` : text);
  }
  return out.join('\n');
}

export function renderHex(lines: readonly HexLine[], top: number, width: number, height: number, focused: boolean): string {
  const out = [`{bold}${fit(focused ? '▶ Bytes' : '  Bytes', width)}{/bold}`];
  for (let r = top; r < Math.min(lines.length, top + height - 1); r++) {
    const l = lines[r]!;
    let hex = '';
    let ascii = '';
    for (let k = 0; k < 16; k++) {
      // An extra space after the eighth byte, as tcpdump and Wireshark group them.
      hex += `${k === 8 ? ' ' : ''}${l.marked[k] ? `{inverse}${l.cells[k]}{/inverse}` : l.cells[k]} `;
      // The ASCII column is already dots-for-controls (asciiDots); braces still need the tag escape.
      const ch = tagEscape(l.ascii[k] ?? ' ');
      ascii += l.marked[k] ? `{inverse}${ch}{/inverse}` : ch;
    }
    out.push(`${l.offset}  ${hex} ${ascii}`);
  }
  return out.join('\n');
}

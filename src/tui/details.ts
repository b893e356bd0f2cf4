/**
 * The selected packet's details as plain data: the layer tree's rows (a layer, then its fields when
 * expanded) and the hex dump's lines. Both are pure so that tests check them without a terminal;
 * every string that holds wire bytes goes through escapeTerminal (field values can be HTTP headers,
 * DNS names …) or is reduced to printable ASCII (the dump's right column).
 */
import type { Packet } from '../decode/layer.js';
import { asciiDots } from '../output/escape.js';
import { escapeTerminal } from '../timeline/escape.js';

export interface TreeRow {
  /** The row's text, indented, escaped. */
  text: string;
  proto: string;
  /** A layer row (expandable) or one of its fields. */
  isLayer: boolean;
  /** The bytes the row stands for, to highlight in the hex pane (length 0: nothing). */
  offset: number;
  length: number;
}

export function treeRows(packet: Packet, expanded: ReadonlySet<string>): TreeRow[] {
  const rows: TreeRow[] = [];
  const f = packet.frame;
  rows.push({
    text: `Frame ${f.number}: ${f.origLen} bytes on wire, ${f.data.length} captured`,
    proto: 'frame',
    isLayer: false,
    offset: 0,
    length: f.data.length,
  });
  for (const layer of packet.layers) {
    const open = expanded.has(layer.proto);
    const status = layer.status === 'ok' ? '' : ` [${layer.status}${layer.problem ? `: ${layer.problem.code}` : ''}]`;
    rows.push({
      text: `${open ? '▾' : '▸'} ${layer.proto} (${layer.length} bytes at ${layer.offset})${status}`,
      proto: layer.proto,
      isLayer: true,
      offset: layer.offset,
      length: layer.length,
    });
    if (!open) continue;
    for (const field of layer.fields()) {
      const value = typeof field.value === 'string' ? escapeTerminal(field.value) : String(field.value);
      rows.push({ text: `    ${field.name}: ${value}`, proto: layer.proto, isLayer: false, offset: field.offset, length: field.length });
    }
  }
  return rows;
}

export interface HexLine {
  offset: string;
  /** 16 cells of two hex digits (or blanks past the end). */
  cells: string[];
  ascii: string;
  /** Per cell: inside the highlighted range. */
  marked: boolean[];
}

/** The classic 16-bytes-a-line dump; bytes in [hlStart, hlStart + hlLength) are marked. */
export function hexLines(bytes: Uint8Array, hlStart = 0, hlLength = 0): HexLine[] {
  const lines: HexLine[] = [];
  for (let at = 0; at < bytes.length; at += 16) {
    const chunk = bytes.subarray(at, at + 16);
    const cells: string[] = [];
    const marked: boolean[] = [];
    for (let k = 0; k < 16; k++) {
      cells.push(k < chunk.length ? chunk[k]!.toString(16).padStart(2, '0') : '  ');
      marked.push(k < chunk.length && at + k >= hlStart && at + k < hlStart + hlLength);
    }
    lines.push({ offset: at.toString(16).padStart(4, '0'), cells, ascii: asciiDots(chunk), marked });
  }
  return lines;
}

/** The line holding byte `offset` (to scroll the dump to the highlight). */
export function hexLineOf(offset: number): number {
  return Math.floor(offset / 16);
}

/**
 * The selected packet's details as plain data: the layer tree's rows (a layer, then its fields when
 * expanded) and the hex dump's lines. Both are pure so that tests check them without a terminal;
 * every string that holds wire bytes goes through escapeTerminal (field values can be HTTP headers,
 * DNS names …) or is reduced to printable ASCII (the dump's right column).
 */
import type { Field, Packet } from '../decode/layer.js';
import type { PacketAnalysis } from '../analysis/analyzer.js';
import { asciiDots } from '../output/escape.js';
import { escapeTerminal } from '../timeline/escape.js';
import { formatEpoch } from '../capture/frame.js';
import { formatDuration } from '../capture/frame-clock.js';
import { lookupField } from '../filter/fields.js';
import { numberText } from '../output/fields-text.js';

/** The frame's times against the frames before it (frame.time_delta, frame.time_relative), in ns. */
export interface FrameTimes {
  delta: bigint;
  relative: bigint;
}

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

/**
 * The tree of a packet; with its `analysis` (the packet analysed in order with those before it, as
 * `read` does), the layers are the ones shown (a datagram completed by this fragment, whole) and
 * the context fields (tcp.stream, relative numbers, expert flags) follow the layer they belong to,
 * where packetToJson puts them. Rows of a reassembled datagram highlight nothing: its bytes are
 * not the frame's.
 */
export function treeRows(packet: Packet, expanded: ReadonlySet<string>, analysis?: PacketAnalysis, times?: FrameTimes): TreeRow[] {
  const rows: TreeRow[] = [];
  const f = packet.frame;
  const frameOpen = expanded.has('frame');
  rows.push({
    text: `${frameOpen ? '▾' : '▸'} Frame ${f.number}: ${f.origLen} bytes on wire, ${f.data.length} captured`,
    proto: 'frame',
    isLayer: true,
    offset: 0,
    length: f.data.length,
  });
  const shown = analysis?.reassembled ?? packet;
  // Wireshark's frame tree: its times (those against earlier frames when the pass gave them), number, lengths, protocols, notes.
  if (frameOpen) {
    const frameField = (name: string, value: string | number) => rows.push({ text: `    ${name}: ${typeof value === 'string' ? escapeTerminal(value) : value}`, proto: 'frame', isLayer: false, offset: 0, length: 0 });
    frameField('frame.time_epoch', formatEpoch(f.tsSec, f.tsNsec));
    if (times) {
      frameField('frame.time_delta', formatDuration(times.delta));
      frameField('frame.time_relative', formatDuration(times.relative));
    }
    frameField('frame.number', f.number);
    frameField('frame.len', f.origLen);
    frameField('frame.cap_len', f.data.length);
    frameField('frame.protocols', shown.layers.map((l) => l.proto).join(':'));
    for (const c of f.comments ?? []) frameField('frame.comment', shortened(c));
  }
  const inFrame = shown === packet;
  const fieldRow = (field: Field, proto: string): TreeRow => {
    const v = field.value;
    const value = typeof v === 'string' ? escapeTerminal(shortened(v)) : typeof v === 'number' ? numberText(lookupField(field.name), v) : String(v);
    return { text: `    ${field.name}: ${value}`, proto, isLayer: false, offset: inFrame ? field.offset : 0, length: inFrame ? field.length : 0 };
  };
  let context = analysis?.fields();
  for (const layer of shown.layers) {
    const open = expanded.has(layer.proto);
    const status = layer.status === 'ok' ? '' : ` [${layer.status}${layer.problem ? `: ${layer.problem.code}` : ''}]`;
    rows.push({
      text: `${open ? '▾' : '▸'} ${layer.proto} (${layer.length} bytes at ${layer.offset})${status}`,
      proto: layer.proto,
      isLayer: true,
      offset: inFrame ? layer.offset : 0,
      length: inFrame ? layer.length : 0,
    });
    const mine = context?.length && context[0]!.offset === layer.offset ? context : undefined;
    if (mine) context = undefined;
    if (!open) continue;
    for (const field of layer.fields()) rows.push(fieldRow(field, layer.proto));
    if (mine) for (const field of mine) rows.push(fieldRow(field, layer.proto));
  }
  // Context no layer claimed (none in practice: it sits on the transport layer) is not dropped.
  if (context?.length && expanded.has(shown.layers.at(-1)?.proto ?? '')) for (const field of context) rows.push(fieldRow(field, shown.layers.at(-1)!.proto));
  return rows;
}

/**
 * Most characters of a value a row shows: a payload's hex (tcp.payload) or a body (http.file_data)
 * can run to megabytes, and its bytes are in the hex pane anyway (Wireshark's tree cuts them too).
 */
export const MAX_ROW_VALUE = 160;

function shortened(value: string): string {
  return value.length > MAX_ROW_VALUE ? `${value.slice(0, MAX_ROW_VALUE)}…` : value;
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

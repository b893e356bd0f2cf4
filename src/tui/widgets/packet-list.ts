/**
 * The packet list, virtualised: only the rows on screen are formatted, from the compact index, so
 * drawing costs the same for ten packets or a million. Colour says the protocol (foreground) and
 * the expert severity (warnings yellow, errors and damaged headers white on red), as Wireshark's
 * colouring rules do with backgrounds; the first column repeats the severity as a letter, for
 * terminals without colour.
 */
import type { PacketIndex } from '../packet-index.js';
import type { TuiState } from '../state.js';
import { fit, fitRight, tagEscape } from './text.js';

const PROTO_COLOR: Record<string, string> = {
  TCP: '',
  UDP: 'light-blue-fg',
  HTTP: 'green-fg',
  WebSocket: 'light-green-fg',
  DNS: 'cyan-fg',
  ARP: 'yellow-fg',
  ICMP: 'magenta-fg',
  ICMPv6: 'magenta-fg',
  QUIC: 'light-cyan-fg',
};

const MARK = { chat: ' ', note: 'n', warn: 'W', error: 'E' } as const;

interface Widths {
  no: number;
  time: number;
  addr: number;
  proto: number;
  len: number;
}

function widths(width: number): Widths {
  const addr = width >= 160 ? 39 : width >= 120 ? 22 : 15;
  return { no: 7, time: 11, addr, proto: width >= 100 ? 9 : 7, len: 5 };
}

export function packetListHeader(width: number): string {
  const w = widths(width);
  const line = ` ${fitRight('No.', w.no)} ${fitRight('Time', w.time)} ${fit('Source', w.addr)} ${fit('Destination', w.addr)} ${fit('Protocol', w.proto)} ${fitRight('Len', w.len)} Info`;
  return fit(line, width);
}

function protoColor(protocol: string): string {
  if (protocol.startsWith('TLS') || protocol.startsWith('SSL')) return 'light-magenta-fg';
  return PROTO_COLOR[protocol] ?? '';
}

/** One row's plain text (no tags), for tests and for width checks. */
export function packetRowText(index: PacketIndex, i: number, width: number, noted: boolean): string {
  const w = widths(width);
  const c = index.columns(i);
  const info = c.explanation ? `${c.info}  — ${c.explanation}` : c.info;
  const mark = index.damaged(i) ? 'E' : MARK[index.severity(i)];
  const line = `${mark}${fitRight(`${noted ? '*' : ''}${i + 1}`, w.no)} ${fitRight(index.relTime(i), w.time)} ${fit(c.source, w.addr)} ${fit(c.destination, w.addr)} ${fit(c.protocol, w.proto)} ${fitRight(String(index.length(i)), w.len)} ${info}`;
  return fit(line, width);
}

/** The pane's content: the header, then the visible rows, with blessed tags for colour. */
export function renderPacketList(state: TuiState, index: PacketIndex, width: number, height: number, focused: boolean): string {
  const lines = [`{bold}${tagEscape(packetListHeader(width))}{/bold}`];
  const rows = height - 1;
  for (let r = state.top; r < Math.min(state.rowCount, state.top + rows); r++) {
    const i = state.frameAt(r);
    const text = tagEscape(packetRowText(index, i, width, state.notes.has(i + 1)));
    const sev = index.damaged(i) ? 'error' : index.severity(i);
    let style = sev === 'error' ? 'white-fg}{red-bg' : sev === 'warn' ? 'yellow-fg' : protoColor(index.protocol(i));
    if (r === state.selected) style = focused ? 'inverse' : 'underline';
    lines.push(style ? `{${style}}${text}{/}` : text);
  }
  if (state.rowCount === 0) {
    const why = state.matches ? (state.filterDone ? 'no packet matches the filter' : 'filtering…') : state.indexDone ? 'no packets' : 'reading…';
    lines.push(`  ${why}`);
  }
  return lines.join('\n');
}

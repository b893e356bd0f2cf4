/**
 * The full-screen views (connections, messages, ladder, follow stream): their lines as plain text
 * from the CLI's own collectors and formatters, and one drawing function for tables (a selected
 * row) and one for text (scrolled, one line highlighted). Every line is escaped for the terminal
 * and cut to the width before blessed's tag escape, as in the other panes.
 */
import type { TcpConnection } from '../../analysis/connection.js';
import type { FlowRow } from '../../cli/flows.js';
import { asciiText, type FollowChunk } from '../../cli/follow.js';
import { escapeTerminal } from '../../timeline/escape.js';
import type { TuiState } from '../state.js';
import { fit, fitRight, tagEscape } from './text.js';

/** A view line and its colour tag ('' none). */
export interface ViewLine {
  text: string;
  color: string;
}

function endpoint(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * The flows table, narrow enough for 80 columns: the columns that tell a connection's story come
 * first and the endpoints last, since they are long and can be cut at the right edge.
 */
export const CONNECTIONS_HEADER = `${fitRight('Strm', 4)} ${fit('Pr', 3)} ${fit('State', 6)} ${fitRight('Retr', 4)} ${fitRight('RTT ms', 8)} ${fitRight('Bytes c>s/s>c', 17)} ${fit('History', 9)} Client → Server`;

export function connectionLines(rows: readonly FlowRow[]): ViewLine[] {
  return rows.map((r) => {
    const rtt = r.handshake_rtt === null ? '-' : (r.handshake_rtt * 1000).toFixed(3);
    const text = `${fitRight(String(r.stream), 4)} ${fit(r.proto, 3)} ${fit(r.state, 6)} ${fitRight(r.retransmissions === null ? '-' : String(r.retransmissions), 4)} ${fitRight(rtt, 8)} ${fitRight(`${r.bytes.client}/${r.bytes.server}`, 17)} ${fit(r.history || '-', 9)} ${endpoint(r.src, r.srcport)} → ${endpoint(r.dst, r.dstport)}`;
    // Resets and retransmissions stand out, as in the packet list's expert colouring.
    const color = r.reset_by !== null || r.state === 'REJ' ? 'red-fg' : (r.retransmissions ?? 0) > 0 ? 'yellow-fg' : '';
    return { text: escapeTerminal(text), color };
  });
}

/**
 * Follow stream as Wireshark shows it: the conversation's text, the client's bytes in red and the
 * server's in blue (node 0 is the sender of the first packet). Wire bytes go through asciiText
 * (non-printables become '.'), and the CR it keeps before LF is dropped here: a terminal line never
 * holds a raw CR.
 */
export function followLines(conn: TcpConnection, stream: number, chunks: readonly FollowChunk[]): ViewLine[] {
  const out: ViewLine[] = [
    { text: `Stream tcp.stream == ${stream}: node 0 ${endpoint(conn.a.address, conn.a.port)} (red), node 1 ${endpoint(conn.b.address, conn.b.port)} (blue)`, color: 'bold' },
  ];
  for (const { dir, bytes } of chunks) {
    const color = dir === 0 ? 'red-fg' : 'blue-fg';
    const lines = asciiText(bytes).split('\n');
    // The chunk's final LF leaves an empty last piece: it is the end of the line, not a line.
    if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
    for (const l of lines) out.push({ text: escapeTerminal(l.replace(/\r$/, '')), color });
  }
  if (chunks.length === 0) out.push({ text: '(no payload in this connection)', color: '' });
  return out;
}

/** The frame a line of renderText's ladder draws (gutter, padded frame number, two spaces), if it draws one. */
export function ladderFrameOf(line: string): number | undefined {
  const m = /^.\s+(\d+) {2}\S/u.exec(line);
  return m ? Number(m[1]) : undefined;
}

/** A table view: a title line, the column header, then rows with the selected one inverse. */
export function renderTableView(state: TuiState, title: string, header: string, lines: readonly ViewLine[], width: number, height: number): string {
  return renderLines(state, [`{bold}${tagEscape(fit(title, width))}{/bold}`, `{underline}${tagEscape(fit(header, width))}{/underline}`], lines, width, height);
}

/** A text view: a title line, then the lines from viewTop, the highlighted one (viewSelected) inverse. */
export function renderTextView(state: TuiState, title: string, lines: readonly ViewLine[], width: number, height: number): string {
  return renderLines(state, [`{bold}${tagEscape(fit(title, width))}{/bold}`], lines, width, height);
}

/** The heading lines, then as many lines from viewTop as fit, escaped for blessed's tags. */
function renderLines(state: TuiState, heading: string[], lines: readonly ViewLine[], width: number, height: number): string {
  const out = heading;
  const body = height - heading.length;
  for (let r = state.viewTop; r < Math.min(lines.length, state.viewTop + body); r++) {
    const l = lines[r]!;
    const text = tagEscape(fit(l.text, width));
    out.push(r === state.viewSelected ? `{inverse}${text}{/inverse}` : l.color ? `{${l.color}}${text}{/}` : text);
  }
  if (lines.length === 0) out.push(state.viewLoading ? '  reading the whole capture…' : '  nothing to show');
  return out.join('\n');
}

/**
 * `wirelens follow FILE --stream N`: one TCP connection's reassembled conversation, laid out as
 * `tshark -q -z follow,tcp,MODE,N` prints it, so scripts written for one work with the other:
 *
 *   (blank line), a line of '=', "Follow: tcp,MODE", "Filter: tcp.stream eq N",
 *   "Node 0: ADDR:PORT" (the sender of the stream's first packet; IPv6 in brackets), "Node 1: …",
 *   then one chunk per segment's new bytes in capture order, node 1's marked by a leading tab:
 *     ascii: the chunk length on its own line, then the bytes, then a newline;
 *     hex:   16 bytes a line, offset (per direction, counting every chunk) as 8 upper-case hex
 *            digits, hex bytes with an extra space after the eighth, the printable view;
 *     raw:   the bytes as one line of lower-case hex;
 *   and a closing line of '='.
 *
 * A gap is a chunk reading "[N bytes missing in capture file]" followed by a NUL byte, exactly as
 * Wireshark inserts it (its length line counts the NUL; ascii shows it as '.').
 *
 * Bytes from the wire never reach the terminal raw: in ascii mode every byte outside printable
 * ASCII becomes '.', as tshark does, except the line feed, and a carriage return directly before a
 * line feed (tshark passes every CR through; a lone CR could overwrite what is on screen, so it
 * becomes '.' here: the one place our ascii output can differ from tshark's).
 */
import { openCapture } from '../capture/reader.js';
import { Analyzer } from '../analysis/analyzer.js';
import type { Dir, TcpConnection } from '../analysis/connection.js';
import { TcpReassembler } from '../analysis/reassembly.js';
import { decodePacket } from '../decode/bindings.js';
import { WirelensError, type ReadWarning } from '../errors.js';
import { LineSink } from '../output/sink.js';
import { reportWarnings } from './common.js';
import { collectMessages, formatMessage } from './messages.js';

export type FollowFormat = 'ascii' | 'hex' | 'raw' | 'messages';

export interface FollowOptions {
  stream: number;
  format: FollowFormat;
}

export interface FollowChunk {
  dir: Dir;
  bytes: Uint8Array;
}

export interface FollowResult {
  stream: number;
  /** Number of TCP streams in the capture. */
  streams: number;
  conn?: TcpConnection;
  chunks: FollowChunk[];
}

const SEPARATOR = '===================================================================';

/** Reads a capture and collects one stream's chunks (data and gaps) in the order tshark lists them. */
export async function followStream(file: string, stream: number): Promise<FollowResult & { warnings: ReadWarning[] }> {
  const chunks: FollowChunk[] = [];
  let conn: TcpConnection | undefined;
  const reassembler = new TcpReassembler(
    {
      onData(c, dir, bytes) {
        // Frames' buffers are never reused by the reader, so views stay valid.
        conn = c;
        chunks.push({ dir, bytes });
      },
      onGap(c, dir, gap) {
        conn = c;
        chunks.push({ dir, bytes: gapMarker(gap.length) });
      },
    },
    {
      filter: (c) => {
        if (c.stream === stream) conn = c;
        return c.stream === stream;
      },
    },
  );
  const analyzer = new Analyzer({ tcpObservers: [reassembler] });
  const reader = await openCapture(file);
  try {
    for await (const batch of reader.batches()) for (const frame of batch) analyzer.analyze(decodePacket(frame));
  } finally {
    reader.close();
  }
  analyzer.finish();
  const streams = analyzer.tcp.connections().length;
  conn ??= analyzer.tcp.connections()[stream];
  return { stream, streams, conn, chunks, warnings: reader.warnings };
}

/** Wireshark's stand-in for bytes the capture does not have: the text and its C string's NUL. */
export function gapMarker(length: number): Uint8Array {
  const text = `[${length} bytes missing in capture file]`;
  const out = new Uint8Array(text.length + 1);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

export async function runFollow(file: string, opts: FollowOptions): Promise<number> {
  if (opts.format === 'messages') return runFollowMessages(file, opts.stream);
  const result = await followStream(file, opts.stream);
  if (opts.stream >= result.streams || !result.conn) {
    const have = result.streams === 0 ? 'no TCP streams' : result.streams === 1 ? '1 TCP stream (number 0)' : `${result.streams} TCP streams (0 to ${result.streams - 1})`;
    throw new WirelensError('WL_ERR_NO_SUCH_STREAM', `${file}: there is no TCP stream ${opts.stream}; the capture has ${have}`);
  }
  const sink = new LineSink();
  for (const line of formatFollow(result.conn, opts.stream, result.chunks, opts.format)) {
    sink.line(line);
    await sink.flush();
    if (sink.isClosed) break;
  }
  await sink.flush(true);
  reportWarnings(result.warnings);
  return 0;
}

function node(e: { address: string; port: number }, v6: boolean): string {
  return v6 ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
}

/** The output lines (without their newlines), tshark's layout. */
export function* formatFollow(conn: TcpConnection, stream: number, chunks: readonly FollowChunk[], format: FollowFormat): Generator<string> {
  const v6 = conn.a.address.includes(':');
  yield '';
  yield SEPARATOR;
  yield `Follow: tcp,${format}`;
  yield `Filter: tcp.stream eq ${stream}`;
  yield `Node 0: ${node(conn.a, v6)}`;
  yield `Node 1: ${node(conn.b, v6)}`;
  const pos = [0, 0];
  for (const { dir, bytes } of chunks) {
    const tab = dir === 1 ? '\t' : '';
    if (format === 'ascii') {
      yield `${tab}${bytes.length}`;
      // The text's own line feeds split it into lines; the chunk always ends with one.
      yield* asciiText(bytes).split('\n');
    } else if (format === 'raw') {
      yield tab + hexString(bytes);
    } else {
      yield* hexDump(bytes, pos[dir]!, tab);
      pos[dir]! += bytes.length;
    }
  }
  yield SEPARATOR;
}

/** Printable ASCII, LF, and CR before LF as they are; everything else '.'. */
export function asciiText(bytes: Uint8Array): string {
  let s = '';
  const n = bytes.length;
  for (let i = 0; i < n; i++) {
    const b = bytes[i]!;
    if ((b >= 0x20 && b < 0x7f) || b === 0x0a) s += String.fromCharCode(b);
    // The chunk is followed by a line feed of tshark's, so a final CR is before one too.
    else if (b === 0x0d && (i + 1 === n || bytes[i + 1] === 0x0a)) s += '\r';
    else s += '.';
  }
  return s;
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function hexString(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += HEX[b]!;
  return s;
}

/** tshark's follow hex dump lines for one chunk whose first byte is at `offset` in its direction. */
export function* hexDump(bytes: Uint8Array, offset: number, prefix: string): Generator<string> {
  for (let i = 0; i < bytes.length; i += 16) {
    let hex = '';
    let text = '';
    const stop = Math.min(bytes.length, i + 16);
    for (let j = i; j < stop; j++) {
      const b = bytes[j]!;
      hex += HEX[b]! + ' ';
      text += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
      if (j - i === 7) {
        hex += ' ';
        text += ' ';
      }
    }
    // The printable view starts at a fixed column; a space ending it is dropped (as tshark does).
    if (text.endsWith(' ')) text = text.slice(0, -1);
    yield `${prefix}${(offset + i).toString(16).toUpperCase().padStart(8, '0')}  ${hex.padEnd(50)}${text}`;
  }
}

/**
 * `--format messages`: the stream's decoded application messages (`wirelens messages --stream N`
 * lines under follow's header). The default formats stay byte-identical to tshark's.
 */
async function runFollowMessages(file: string, stream: number): Promise<number> {
  const { messages, warnings } = await collectMessages(file, { stream });
  const sink = new LineSink();
  sink.line(SEPARATOR);
  sink.line('Follow: tcp,messages');
  sink.line(`Filter: tcp.stream eq ${stream}`);
  if (messages.length === 0) sink.line('(no HTTP, WebSocket, SSE, TLS or DNS message recognised on this stream: use --format ascii)');
  for (const m of messages) {
    sink.line(formatMessage(m));
    await sink.flush();
    if (sink.isClosed) break;
  }
  sink.line(SEPARATOR);
  await sink.flush(true);
  reportWarnings(warnings);
  return 0;
}

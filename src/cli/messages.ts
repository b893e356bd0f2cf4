/**
 * `wirelens messages FILE [--stream N] [-Y FILTER] [--json]`: the application-level timeline
 * (HTTP exchanges, WebSocket frames and messages, SSE events, DNS transactions, TLS hellos, QUIC
 * long headers), one line per message, in the order the messages complete.
 *
 * `--json` is NDJSON, one object per message: `frame` (the frame that completed it), `time`
 * (seconds since the first packet), `stream` (tcp.stream, or udp.stream for DNS/QUIC over UDP),
 * `proto`, `kind`, `dir` (`c2s`/`s2c`), then the keys of its kind (src/analysis/app.ts builds them).
 * `-Y` keeps the messages whose completing frame matches the display filter. The whole capture is
 * read before printing, so a message can name what only a later packet tells (a request's
 * `response_frame`, a query's `response_frame`).
 */
import { openCapture } from '../capture/reader.js';
import { decodePacket } from '../decode/bindings.js';
import { Analyzer } from '../analysis/analyzer.js';
import { AppStage, appAnalyzerOptions, readsHttpBodies, type AppMessage } from '../analysis/app.js';
import { LineSink } from '../output/sink.js';
import { escapeControl } from '../output/escape.js';
import { reportWarnings } from './common.js';
import { compileFilterOption } from '../filter/index.js';
import type { ReadWarning } from '../errors.js';
import { FrameClock } from '../capture/frame-clock.js';

export interface MessagesOptions {
  stream?: number;
  json?: boolean;
  displayFilter?: string;
}

/** Reads a capture and returns its messages (optionally one TCP stream's), in completion order. */
export async function collectMessages(file: string, opts: { stream?: number; displayFilter?: string } = {}): Promise<{ messages: AppMessage[]; warnings: ReadWarning[] }> {
  const filter = compileFilterOption(opts.displayFilter);
  const messages: AppMessage[] = [];
  const want = opts.stream;
  const app = new AppStage({
    onMessage: (m) => {
      if (want === undefined || (m.transport === 'tcp' && m.stream === want)) messages.push(m);
    },
    ...(want !== undefined ? { tcpStreams: (s: number) => s === want } : {}),
    bodies: readsHttpBodies(filter),
  });
  const analyzer = new Analyzer(appAnalyzerOptions(app, { defragment: true }));
  // Frames whose packet the filter rejected (their messages are dropped at the end).
  const rejected = new Set<number>();
  const reader = await openCapture(file);
  let first = true;
  const clock = new FrameClock();
  try {
    for await (const batch of reader.batches()) {
      for (const frame of batch) {
        if (first) {
          app.setTimeBase(frame.tsSec, frame.tsNsec);
          first = false;
        }
        const packet = decodePacket(frame);
        const analysis = analyzer.analyze(packet);
        clock.advance(frame);
        if (filter && !filter.matches(packet, analysis, clock)) rejected.add(frame.number);
        else clock.shown();
      }
    }
  } finally {
    reader.close();
  }
  analyzer.finish();
  const kept = filter ? messages.filter((m) => !rejected.has(m.frame)) : messages;
  return { messages: kept, warnings: reader.warnings };
}

export async function runMessages(file: string, opts: MessagesOptions): Promise<number> {
  const { messages, warnings } = await collectMessages(file, opts);
  const sink = new LineSink();
  for (const m of messages) {
    sink.line(opts.json ? JSON.stringify(m, (k, v) => (k === 'transport' ? undefined : v)) : formatMessage(m));
    await sink.flush();
    if (sink.isClosed) break;
  }
  await sink.flush(true);
  reportWarnings(warnings);
  return 0;
}

const WS_OPS: Record<number, string> = { 0: 'continuation', 1: 'text', 2: 'binary', 8: 'close', 9: 'ping', 10: 'pong' };

function preview(s: string, n = 60): string {
  const one = s.length > n ? `${s.slice(0, n)}…` : s;
  return JSON.stringify(one);
}

/** One human line: "   12   0.123456 tcp/0 c2s http request GET /index.html HTTP/1.1". */
export function formatMessage(m: AppMessage): string {
  const head = `${String(m.frame).padStart(6)} ${m.time.toFixed(6).padStart(11)} ${m.transport}/${m.stream} ${m.dir} ${m.proto} ${m.kind}`;
  const g = (k: string) => m[k];
  const ms = (v: unknown) => (typeof v === 'number' ? ` (${(v * 1000).toFixed(3)} ms)` : '');
  const repeat = (first: unknown) => (typeof first === 'number' ? ` (retransmission of frame ${first})` : '');
  let text = '';
  switch (`${m.proto}.${m.kind}`) {
    case 'http.request':
      text = `${g('method')} ${g('uri')} ${g('version')}${(g('body_len') as number) > 0 ? ` body ${g('body_len')} B` : ''}`;
      if (g('last_event_id') !== undefined) text += ` Last-Event-ID ${g('last_event_id')}${g('resumes_frame') !== null ? ` (resumes from frame ${g('resumes_frame')})` : ''}`;
      break;
    case 'http.response':
      text = `${g('status')} ${g('phrase')}${g('content_type') ? ` ${g('content_type')}` : ''} body ${g('body_len')} B${g('request_frame') !== null ? ` for frame ${g('request_frame')}` : ''}${ms(g('latency'))}`;
      break;
    case 'websocket.frame':
      text = `${WS_OPS[g('opcode') as number] ?? g('opcode')}${g('fin') ? ' FIN' : ''}${g('masked') ? ' MASKED' : ''} ${g('payload_len')} B`;
      break;
    case 'websocket.message':
      text = `${WS_OPS[g('opcode') as number] ?? g('opcode')} ${g('bytes')} B in ${g('frames')} frame(s)${typeof g('text') === 'string' ? ` ${preview(g('text') as string)}` : ''}`;
      break;
    case 'websocket.close':
      text = `code ${g('close_code') ?? '-'}${g('close_reason') ? ` ${preview(g('close_reason') as string)}` : ''}`;
      break;
    case 'websocket.pong':
      text = `${g('payload_len')} B${g('ping_frame') !== null ? ` for ping in frame ${g('ping_frame')}` : ''}${ms(g('latency'))}`;
      break;
    case 'sse.event':
      text = `${g('event')}${g('id') ? ` id=${g('id')}` : ''} ${preview(g('data') as string)}${g('retry') !== undefined ? ` retry=${g('retry')}` : ''}`;
      break;
    case 'dns.query':
      text = `0x${(g('id') as number).toString(16).padStart(4, '0')} ${g('type') ?? '?'} ${g('name') ?? ''}${repeat(g('retransmission_of'))}`;
      break;
    case 'dns.response':
      text = `0x${(g('id') as number).toString(16).padStart(4, '0')} ${g('type') ?? '?'} ${g('name') ?? ''} rcode ${g('rcode')} ${(g('answers') as string[]).join(' ')}${ms(g('latency'))}${repeat(g('retransmission_of'))}`;
      break;
    case 'tls.client_hello':
    case 'tls.server_hello':
      text = [g('sni') ? `SNI ${g('sni')}` : '', (g('alpn') as string[]).length ? `ALPN ${(g('alpn') as string[]).join(',')}` : '', `versions ${(g('versions') as string[]).join(',')}`, g('cipher') ? `cipher ${g('cipher')}` : '', g('ja3') ? `JA3 ${g('ja3')}` : '', g('ja3s') ? `JA3S ${g('ja3s')}` : '']
        .filter(Boolean)
        .join(' ');
      break;
    case 'tls.alert':
      text = `${g('level_name')}, ${g('description_name')} (${g('level')}/${g('description')})`;
      break;
    case 'quic.initial':
    case 'quic.handshake':
    case 'quic.0rtt':
    case 'quic.retry':
    case 'quic.version_negotiation':
    case 'quic.short':
      text = [g('version') !== undefined ? `version 0x${(g('version') as number).toString(16).padStart(8, '0')}` : '', g('dcid') ? `DCID ${g('dcid')}` : '', g('scid') ? `SCID ${g('scid')}` : ''].filter(Boolean).join(' ');
      break;
    default:
      text = g('message') !== undefined ? String(g('message')) : '';
  }
  if (g('error') !== undefined && !text.includes(String(g('error')))) text += ` [${g('error')}]`;
  return escapeControl(`${head}${text ? ` ${text}` : ''}`);
}

/**
 * Streaming scenarios: udp-vs-tcp (one media stream over both transports on the same lossy link)
 * and sse-stream (server-sent events through a reverse proxy whose idle timeout cuts the stream).
 */
import { formatDuration, ms, sec } from '../clock.js';
import type { Network } from '../network.js';
import { num } from '../params.js';
import { headerValue, httpChunk, httpMessageReader, httpRequest, httpResponseHead, onHttpHead, sseEvent, text } from '../apps.js';
import type { TcpSocket } from '../tcp.js';
import { lossParam, rttParam } from './basic.js';
import type { Scenario } from './index.js';

/** UDP and TCP ports of the media stream; no dissector claims them, so tshark shows plain data. */
export const MEDIA_UDP_PORT = 45000;
export const MEDIA_TCP_PORT = 45001;

/** Media frame `k` (from 0): a fixed-size payload that starts with its number, so a trace shows which frame is which. */
export function mediaFrame(k: number, size: number): Uint8Array {
  const head = `frame ${String(k).padStart(5, '0')} `;
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = i < head.length ? head.charCodeAt(i) : 0x2e;
  return b;
}

const udpVsTcp: Scenario = {
  name: 'udp-vs-tcp',
  description: 'one media stream over UDP (lost frames just vanish) and over TCP (head-of-line blocking stalls delivery until the loss is repaired)',
  params: [
    rttParam(60),
    lossParam(0.03),
    { name: 'frames', kind: 'int', default: 150, min: 1, max: 100_000, help: 'media frames sent over each transport' },
    { name: 'frame-interval', kind: 'duration', default: ms(20), min: ms(1), max: sec(10), help: 'time between two frames (20 ms: 50 frames/s)' },
    { name: 'frame-size', kind: 'size', default: 1000, min: 20, max: 1400, help: 'bytes per frame (one datagram or one TCP write)' },
    { name: 'transport', kind: 'choice', default: 'both', choices: ['both', 'udp', 'tcp'], help: 'which transports carry the stream' },
  ],
  build(net: Network, p) {
    const sender = net.host('sender', { ip: '10.0.0.1' });
    const receiver = net.host('receiver', { ip: '10.0.0.2' });
    net.link(sender, receiver, { latency: num(p, 'rtt') / 2, loss: num(p, 'loss') });
    const n = num(p, 'frames');
    const every = num(p, 'frame-interval');
    const size = num(p, 'frame-size');
    const useUdp = p.transport !== 'tcp';
    const useTcp = p.transport !== 'udp';
    // The receiver only consumes; what arrives (or not) is the point, not an answer.
    receiver.udp.bind(MEDIA_UDP_PORT, () => {});
    receiver.tcp.listen(MEDIA_TCP_PORT, (s) => {
      s.label = 'media receiver';
      s.onPeerClose = () => s.close('the receiver is done too');
    });
    net.atStart(() => {
      const udpPort = sender.ephemeralPort();
      let tcp: TcpSocket | undefined;
      if (useTcp) {
        tcp = sender.tcp.connect(receiver.ipU32, MEDIA_TCP_PORT, { onPeerClose: () => {} }, { note: 'SYN: the media sender opens the TCP stream (frames will wait for any lost predecessor: head-of-line blocking)' });
        tcp.label = 'media sender';
      }
      // Frames start once the TCP handshake had time to finish, so both streams start together.
      const start = num(p, 'rtt') + ms(5);
      for (let k = 0; k < n; k++) {
        net.engine.at(start + k * every, () => {
          const f = mediaFrame(k, size);
          if (useUdp) sender.udp.send(udpPort, receiver.ipU32, MEDIA_UDP_PORT, f, `media frame ${k} over UDP (a lost datagram is simply gone; the player skips it)`);
          if (tcp && tcp.state !== 'CLOSED') tcp.write(f, `media frame ${k} over TCP`);
        });
      }
      if (tcp) {
        const sock = tcp;
        net.engine.at(start + n * every, () => sock.close('the stream ends'));
      }
    });
    return { defaultTaps: [receiver] };
  },
};

/**
 * sse-stream: client → proxy → server. The server's events come on a timeline; after a quiet
 * period longer than the proxy's idle timeout the proxy cuts the response (as nginx's
 * proxy_read_timeout does). The client's EventSource reconnects after the `retry` time with
 * Last-Event-ID (WHATWG HTML §9.2.4), and the server replays what it missed.
 */
const sseStream: Scenario = {
  name: 'sse-stream',
  description: 'server-sent events through a proxy: events stream in, a quiet spell trips the proxy idle timeout, the client reconnects with Last-Event-ID and gets what it missed',
  params: [
    rttParam(20),
    { name: 'events', kind: 'int', default: 10, min: 2, max: 10_000, help: 'events the server publishes' },
    { name: 'interval', kind: 'duration', default: ms(1000), min: ms(1), max: sec(600), help: 'time between two events' },
    { name: 'quiet-after', kind: 'int', default: 4, min: 1, max: 10_000, help: 'the quiet spell starts after this event' },
    { name: 'quiet', kind: 'duration', default: sec(6), min: 0, max: sec(3600), help: 'length of the quiet spell (no event)' },
    { name: 'idle-timeout', kind: 'duration', default: sec(5), min: ms(1), max: sec(3600), help: 'proxy cuts a response after this long without a byte from upstream' },
    { name: 'retry', kind: 'duration', default: sec(3), min: ms(1), max: sec(600), help: 'reconnection time the server announces (SSE retry field)' },
    { name: 'heartbeat', kind: 'duration', default: 0, min: 0, max: sec(3600), help: 'server sends a comment line this often while quiet (0: never); shorter than the idle timeout keeps the stream open' },
    { name: 'keepalive', kind: 'duration', default: sec(2), min: 0, max: sec(7200), help: 'TCP keep-alive idle time on the client connection (0: off); keep-alives do not reset an HTTP idle timer' },
  ],
  build(net: Network, p) {
    const client = net.host('client', { ip: '10.0.0.1' });
    const proxy = net.host('proxy', { ip: '10.0.0.80' });
    const server = net.host('server', { ip: '10.0.1.1' });
    net.link(client, proxy, { latency: num(p, 'rtt') / 2 });
    net.link(proxy, server, { latency: ms(0.5) });
    const count = num(p, 'events');
    const every = num(p, 'interval');
    const quietAfter = num(p, 'quiet-after');
    const idle = num(p, 'idle-timeout');
    const retry = num(p, 'retry');
    const heartbeat = num(p, 'heartbeat');
    // The event timeline: event k (from 1) is published at this time, whoever is listening.
    const publishedAt = (k: number) => ms(100) + k * every + (k > quietAfter ? num(p, 'quiet') : 0);

    // --- server: publishes events, replays from Last-Event-ID, ends with an "end" event.
    const streams = new Set<TcpSocket>();
    const sendEvent = (s: TcpSocket, k: number, replay: boolean) => {
      const last = k === count;
      const body = sseEvent({ id: String(k), event: last ? 'end' : 'tick', data: last ? 'no more events' : `{"seq":${k},"price":${100 + ((k * 37) % 11)}}` });
      s.write(httpChunk(body), `SSE event id ${k}${last ? ' (the last)' : ''}${replay ? ': replayed, published while the client was away' : ''} (one HTTP chunk)`);
      if (last) {
        s.write(text('0\r\n\r\n'), 'last chunk: the response ends (RFC 9112 §7.1)');
        streams.delete(s);
      }
    };
    server.tcp.listen(8080, (s) => {
      s.label = 'event server';
      onHttpHead(s, (head) => {
        const lastId = Number(headerValue(head, 'Last-Event-ID') ?? 0);
        s.write(
          httpResponseHead(200, 'OK', { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', 'Transfer-Encoding': 'chunked' }),
          lastId ? `HTTP 200: event stream resumes after event ${lastId} (Last-Event-ID)` : 'HTTP 200: the event stream starts (text/event-stream, chunked, never-ending)',
        );
        if (!lastId) s.write(httpChunk(`retry: ${retry / 1e6}\n\n`), `SSE retry field: reconnect ${formatDuration(retry)} after a drop (WHATWG HTML §9.2.6)`);
        for (let k = lastId + 1; k <= count && publishedAt(k) <= net.now; k++) sendEvent(s, k, true);
        streams.add(s);
      });
      s.onPeerClose = () => {
        streams.delete(s);
        s.close('the server closes its side of the cut stream');
      };
      s.onReset = () => streams.delete(s);
    });
    for (let k = 1; k <= count; k++) {
      net.engine.at(publishedAt(k), () => {
        for (const s of [...streams]) if (s.state === 'ESTABLISHED') sendEvent(s, k, false);
      });
    }
    if (heartbeat > 0) {
      const beat = () => {
        if (net.now > publishedAt(count)) return;
        for (const s of streams) if (s.state === 'ESTABLISHED') s.write(httpChunk(': heartbeat\n\n'), 'SSE comment line as a heartbeat: keeps proxies from seeing an idle stream');
        net.engine.after(heartbeat, beat);
      };
      net.engine.at(publishedAt(1) + heartbeat, beat);
    }

    // --- proxy: relays one request per client connection, cuts the response after `idle` without upstream bytes.
    proxy.tcp.listen(80, (cs) => {
      cs.label = 'proxy';
      let up: TcpSocket | undefined;
      let lastByte = net.now;
      let cut = false;
      const watch = () => {
        if (cut || !up || up.state === 'CLOSED') return;
        const due = lastByte + idle;
        if (net.now < due) return void net.engine.at(due, watch);
        cut = true;
        const why = `proxy idle timeout: no byte from upstream for ${formatDuration(idle)}, the proxy ends the response (like nginx proxy_read_timeout)`;
        up.close(why);
        cs.close(why);
      };
      const read = httpMessageReader((m) => {
        const first = m.head.split('\r\n')[0]!;
        const headers: Record<string, string> = { 'X-Forwarded-For': client.ipText };
        const lastId = headerValue(m.head, 'Last-Event-ID');
        if (lastId) headers['Last-Event-ID'] = lastId;
        headers.Accept = 'text/event-stream';
        up = proxy.tcp.connect(
          server.ipU32,
          8080,
          {
            onConnect: (u) => u.write(httpRequest({ path: first.split(' ')[1] ?? '/', host: 'events.internal', headers }), `proxy forwards "${first}" upstream`),
            onData: (_u, d) => {
              lastByte = net.now;
              if (cs.state === 'ESTABLISHED' || cs.state === 'CLOSE_WAIT') cs.write(d, 'proxy relays upstream bytes to the client');
            },
            onPeerClose: (u) => {
              u.close();
              cs.close('upstream finished, so does the proxy');
            },
          },
          { note: `SYN: the proxy opens an upstream connection for "${first}"` },
        );
        up.label = 'proxy (upstream)';
        lastByte = net.now;
        net.engine.after(idle, watch);
      });
      cs.onData = (_s, d) => read(d);
      cs.onPeerClose = () => {
        if (up && !cut) up.close('the client left');
        cs.close();
      };
    });

    // --- client: an EventSource (WHATWG HTML §9.2.3) that reconnects with Last-Event-ID.
    let lastSeen = '';
    let finished = false;
    let attempt = 0;
    const connect = () => {
      attempt++;
      const reconnect = attempt > 1;
      const c = client.tcp.connect(
        proxy.ipU32,
        80,
        {
          onConnect: (s) => {
            const headers: Record<string, string> = { Accept: 'text/event-stream', 'Cache-Control': 'no-cache' };
            if (lastSeen) headers['Last-Event-ID'] = lastSeen;
            s.write(
              httpRequest({ path: '/events', host: 'stream.example', headers }),
              reconnect ? `EventSource reconnects: GET /events with Last-Event-ID: ${lastSeen} (WHATWG HTML §9.2.4)` : 'EventSource opens the stream: GET /events',
            );
            if (num(p, 'keepalive') > 0) s.setKeepAlive(num(p, 'keepalive'), num(p, 'keepalive') / 2, 5);
          },
          onPeerClose: (s) => {
            s.close(finished ? 'the client is done' : 'the stream was cut; EventSource will reconnect');
            if (!finished) net.engine.after(retry, connect);
          },
        },
        reconnect ? { note: `SYN: EventSource reconnects ${formatDuration(retry)} after the stream dropped (the announced retry time)` } : {},
      );
      c.label = 'EventSource';
      // Event ids are read from the decoded body lines; chunk framing is skipped by looking at "id:" lines only.
      let pending = '';
      c.onData = (s, d) => {
        pending += new TextDecoder().decode(d);
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          const m = /^id: (\S+)/.exec(line);
          if (m) lastSeen = m[1]!;
          if (line === 'event: end') {
            finished = true;
            s.close('the client got the last event and closes the stream');
          }
        }
      };
    };
    net.at(ms(10), connect);
    return { defaultTaps: [client] };
  },
};

export const streamingScenarios: readonly Scenario[] = [udpVsTcp, sseStream];

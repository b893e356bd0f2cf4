/** Web scenarios: page-load (DNS + HTTP/1.1) and websocket-chat. */
import { ms } from '../clock.js';
import type { Network } from '../network.js';
import { num } from '../params.js';
import {
  dnsLookup,
  dnsServer,
  headerValue,
  htmlBody,
  httpRequest,
  httpResponseHead,
  onHttpHead,
  text,
  websocketAccept,
  wsClientFrame,
  wsClosePayload,
  wsKey,
  wsReader,
  wsServerFrame,
  WsOpcode,
} from '../apps.js';
import { family, ipParam, lossParam, rttParam } from './basic.js';
import type { Scenario } from './index.js';

const pageLoad: Scenario = {
  name: 'page-load',
  description: 'what a browser visit does: DNS lookup, TCP handshake, HTTP GET, response, FIN',
  params: [
    rttParam(40),
    { name: 'dns-rtt', kind: 'duration', default: ms(10), min: 0, max: ms(10_000), help: 'round-trip time to the DNS resolver' },
    lossParam(0),
    { name: 'size', kind: 'size', default: 20e3, min: 0, max: 100e6, help: 'response body bytes' },
    { name: 'name', kind: 'choice', default: 'example.com', choices: ['example.com', 'www.example.org', 'missing.example'], help: 'name to resolve (missing.example gets NXDOMAIN)' },
    { ...ipParam, help: 'IP version: 6 asks DNS for AAAA and loads the page over IPv6' },
  ],
  build(net: Network, p) {
    const client = net.host('client', { ip: '192.168.1.10' });
    const resolver = net.host('resolver', { ip: '192.168.1.1' });
    const web = net.host('web', { ip: '93.184.216.34' });
    net.link(client, resolver, { latency: num(p, 'dns-rtt') / 2 });
    net.link(client, web, { latency: num(p, 'rtt') / 2, loss: num(p, 'loss') });
    dnsServer(resolver, { 'example.com': [web.ipText, web.ip6Text], 'www.example.org': [web.ipText, web.ip6Text] });
    const size = num(p, 'size');
    web.tcp.listen(80, (s) => {
      s.label = 'web server';
      onHttpHead(s, (head) => {
        const path = head.split(' ')[1] ?? '/';
        const body = htmlBody(size, 'wirelens page-load');
        s.write(httpResponseHead(200, 'OK', { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': String(body.length), Connection: 'close' }), `HTTP response 200 OK for ${path} (${body.length}-byte body follows)`);
        s.write(body);
        // "Connection: close": the server ends the connection after the response (RFC 9112 §9.6).
        s.close();
      });
      s.onPeerClose = () => {};
    });
    const host = String(p.name);
    const fam = family(p);
    net.atStart(() => dnsLookup(client, resolver.address(fam), host, (address) => {
      const to = address === undefined ? undefined : net.addressOf(address);
      if (to === undefined) return;
      const c = client.tcp.connect(to, 80, {
        onConnect: (s) =>
          s.write(
            httpRequest({ path: '/', host, headers: { 'User-Agent': 'wirelens-synth/0.1', Accept: 'text/html', Connection: 'close' } }),
            `HTTP request GET / (Host: ${host})`,
          ),
        onPeerClose: (s) => s.close(),
      });
      c.label = 'browser';
    }, 1e9, fam));
    return { defaultTaps: [client] };
  },
};

const websocketChat: Scenario = {
  name: 'websocket-chat',
  description: 'WebSocket: HTTP upgrade, masked client messages, server replies, ping/pong, close handshake',
  params: [
    rttParam(30),
    lossParam(0),
    { name: 'messages', kind: 'int', default: 4, min: 1, max: 10_000, help: 'chat messages the client sends' },
    { name: 'interval', kind: 'duration', default: ms(500), min: ms(1), max: ms(600_000), help: 'time between two client messages' },
    ipParam,
  ],
  build(net: Network, p) {
    const client = net.host('client', { ip: '10.0.0.1' });
    const server = net.host('server', { ip: '10.0.0.2' });
    net.link(client, server, { latency: num(p, 'rtt') / 2, loss: num(p, 'loss') });
    const count = num(p, 'messages');
    const interval = num(p, 'interval');
    server.tcp.listen(80, (s) => {
      s.label = 'chat server';
      onHttpHead(s, (head, rest) => {
        const key = headerValue(head, 'Sec-WebSocket-Key') ?? '';
        s.write(
          httpResponseHead(101, 'Switching Protocols', { Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Accept': websocketAccept(key) }),
          'HTTP 101 Switching Protocols: the connection now carries WebSocket frames (RFC 6455 §4.2.2)',
        );
        const read = wsReader((op, payload) => {
          if (op === WsOpcode.TEXT) {
            const msg = new TextDecoder().decode(payload);
            s.write(wsServerFrame(WsOpcode.TEXT, text(`server got: ${msg}`)), 'WebSocket text frame from the server (unmasked, RFC 6455 §5.1)');
          } else if (op === WsOpcode.PONG) {
            // Nothing to do: the pong answers our ping.
          } else if (op === WsOpcode.CLOSE) {
            s.write(wsServerFrame(WsOpcode.CLOSE, payload.subarray(0, 2)), 'WebSocket close frame echoed by the server (RFC 6455 §5.5.1)');
            // RFC 6455 §7.1.1: the server closes the TCP connection first.
            s.close();
          }
        });
        s.onData = (_s, d) => read(d);
        if (rest.length > 0) read(rest);
        net.engine.after(interval * Math.max(1, Math.floor(count / 2)) + ms(1), () => {
          if (s.state === 'ESTABLISHED') s.write(wsServerFrame(WsOpcode.PING, text('are you there?')), 'WebSocket ping from the server (RFC 6455 §5.5.2)');
        });
      });
      s.onPeerClose = () => {};
    });
    const key = wsKey(client);
    net.atStart(() => chat());
    const chat = () => {
    const c = client.tcp.connect(server.address(family(p)), 80, {
      onConnect: (s) =>
        s.write(
          httpRequest({ path: '/chat', host: 'server', headers: { Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Key': key, 'Sec-WebSocket-Version': '13' } }),
          'HTTP GET /chat asking to upgrade to WebSocket (RFC 6455 §4.1)',
        ),
      onPeerClose: (s) => s.close(),
    });
    c.label = 'chat client';
    onHttpHead(c, (_head, rest) => {
      const read = wsReader((op, payload) => {
        if (op === WsOpcode.PING) c.write(wsClientFrame(client, WsOpcode.PONG, payload), 'WebSocket pong: the client answers the ping with the same data (RFC 6455 §5.5.3)');
      });
      c.onData = (_s, d) => read(d);
      if (rest.length > 0) read(rest);
      for (let i = 1; i <= count; i++) {
        net.engine.after(interval * i, () => {
          if (c.state === 'ESTABLISHED') c.write(wsClientFrame(client, WsOpcode.TEXT, text(`message ${i} from the client`)), `WebSocket text frame ${i} from the client (masked, RFC 6455 §5.3)`);
        });
      }
      net.engine.after(interval * (count + 1), () => {
        if (c.state === 'ESTABLISHED') c.write(wsClientFrame(client, WsOpcode.CLOSE, wsClosePayload(1000, 'bye')), 'WebSocket close frame from the client, status 1000 (RFC 6455 §7.4.1)');
      });
    });
    };
    return { defaultTaps: [client] };
  },
};

export const webScenarios: readonly Scenario[] = [pageLoad, websocketChat];

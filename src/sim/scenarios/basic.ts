/** TCP-centred scenarios: handshake, lossy-transfer, zero-window. */
import { ms } from '../clock.js';
import type { IpFamily, Network } from '../network.js';
import { num, type ParamSpec, type ParamValues } from '../params.js';
import { text } from '../apps.js';
import type { Scenario } from './index.js';

export const rttParam = (def: number): ParamSpec => ({ name: 'rtt', kind: 'duration', default: ms(def), min: 0, max: ms(10_000), help: 'round-trip time (twice the one-way link latency)' });
export const lossParam = (def: number): ParamSpec => ({ name: 'loss', kind: 'percent', default: def, min: 0, max: 0.5, help: 'probability that the link loses a packet, each direction' });
/** Which address family the scenario's connections use: every host has an IPv4 and an IPv6 address. */
export const ipParam: ParamSpec = { name: 'ip', kind: 'choice', default: '4', choices: ['4', '6'], help: 'IP version the connections use (every host has both addresses)' };
export const family = (p: ParamValues): IpFamily => (p.ip === '6' ? 6 : 4);
const bandwidthParam = (def: number): ParamSpec => ({ name: 'bandwidth', kind: 'rate', default: def, min: 0, max: 100e9, help: 'link bandwidth, bits/s (0: unlimited)' });

const handshake: Scenario = {
  name: 'handshake',
  description: 'TCP open (three-way handshake), a little data each way, four-way close',
  params: [
    rttParam(20),
    lossParam(0),
    { name: 'closer', kind: 'choice', default: 'client', choices: ['client', 'server'], help: 'which side sends the first FIN' },
    { name: 'refused', kind: 'bool', default: false, help: 'first try a closed port (answered with RST)' },
    ipParam,
  ],
  build(net: Network, p) {
    const client = net.host('client', { ip: '10.0.0.1' });
    const server = net.host('server', { ip: '10.0.0.2' });
    net.link(client, server, { latency: num(p, 'rtt') / 2, loss: num(p, 'loss') });
    const serverCloses = p.closer === 'server';
    server.tcp.listen(7, (s) => {
      s.label = 'server';
      s.onData = (_s, d) => {
        s.write(text(`echo: ${new TextDecoder().decode(d)}`), 'server answers');
        if (serverCloses) s.close();
      };
      s.onPeerClose = () => s.close();
    });
    const start = () => {
      const c = client.tcp.connect(server.address(family(p)), 7, {
        onConnect: (s) => s.write(text('hello, server\n'), 'client sends a greeting'),
        onData: (s) => {
          if (!serverCloses) s.close();
        },
        onPeerClose: (s) => s.close(),
      });
      c.label = 'client';
    };
    net.atStart(() => {
      if (!p.refused) return start();
      const r = client.tcp.connect(server.address(family(p)), 8, { onReset: () => net.engine.after(ms(10), start) });
      r.label = 'client';
    });
    return { defaultTaps: [client] };
  },
};

const lossyTransfer: Scenario = {
  name: 'lossy-transfer',
  description: 'bulk upload over a long, lossy link: retransmissions, duplicate ACKs, fast retransmit, RTO backoff, congestion window',
  params: [
    rttParam(80),
    lossParam(0.02),
    { name: 'size', kind: 'size', default: 1e6, min: 1, max: 4e9, help: 'bytes the client uploads' },
    bandwidthParam(20e6),
    { name: 'queue', kind: 'int', default: 100, min: 1, max: 1e6, help: 'link queue limit, packets (tail drop beyond)' },
    { name: 'jitter', kind: 'duration', default: 0, min: 0, max: ms(1000), help: 'extra one-way delay, uniform in [0, jitter)' },
    ipParam,
    { name: 'sack', kind: 'bool', default: true, help: 'the sender offers SACK: loss recovery by the RFC 6675 scoreboard; false: NewReno, one hole per round trip' },
  ],
  build(net: Network, p) {
    const client = net.host('client', { ip: '10.0.0.1', tcp: { sack: p.sack === true } });
    const server = net.host('server', { ip: '10.0.1.1' });
    net.link(client, server, { latency: num(p, 'rtt') / 2, loss: num(p, 'loss'), bandwidth: num(p, 'bandwidth'), queueLimit: num(p, 'queue'), jitter: num(p, 'jitter') });
    server.tcp.listen(5001, (s) => {
      s.label = 'server';
      s.onPeerClose = () => s.close();
    });
    net.atStart(() => {
      const c = client.tcp.connect(server.address(family(p)), 5001, {
        onConnect: (s) => {
          s.writeBulk(num(p, 'size'), `upload of ${num(p, 'size')} bytes starts`);
          s.close();
        },
      });
      c.label = 'client';
    });
    // The sender's own tap: every segment is seen as sent, including those the link loses.
    return { defaultTaps: [client] };
  },
};

const zeroWindow: Scenario = {
  name: 'zero-window',
  description: 'a slow reader: the receive window closes, the sender probes, the window reopens',
  params: [
    rttParam(20),
    { name: 'size', kind: 'size', default: 200e3, min: 1, max: 1e9, help: 'bytes the server sends' },
    { name: 'buffer', kind: 'size', default: 32768, min: 2048, max: 1 << 30, help: "client's receive buffer" },
    { name: 'read', kind: 'size', default: 16384, min: 1, max: 1 << 30, help: 'bytes the client application reads each time' },
    { name: 'interval', kind: 'duration', default: ms(700), min: ms(1), max: ms(60_000), help: 'time between two reads' },
    ipParam,
  ],
  build(net: Network, p) {
    const client = net.host('client', { ip: '10.0.0.1', tcp: { receiveBuffer: num(p, 'buffer'), windowScale: 0 } });
    const server = net.host('server', { ip: '10.0.0.2' });
    net.link(client, server, { latency: num(p, 'rtt') / 2 });
    server.tcp.listen(80, (s) => {
      s.label = 'server';
      s.onData = () => {
        const size = num(p, 'size');
        s.write(text(`HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: ${size}\r\n\r\n`), `HTTP response head; ${size} bytes of body follow`);
        s.writeBulk(size);
        s.close();
      };
      s.onPeerClose = () => {};
    });
    net.atStart(() => {
      const c = client.tcp.connect(server.address(family(p)), 80, {
        onConnect: (s) => s.write(text('GET /large-file HTTP/1.1\r\nHost: server\r\n\r\n'), 'client asks for a large file, then reads it slowly'),
      });
      c.label = 'client';
      c.readMode = 'manual';
      let done = false;
      c.onPeerClose = (s) => {
        done = true;
        s.close();
      };
      const tick = () => {
        if (c.state === 'CLOSED') return;
        c.read(num(p, 'read'));
        if (!done || c.buffered > 0) net.engine.after(num(p, 'interval'), tick);
      };
      net.engine.after(num(p, 'interval'), tick);
    });
    return { defaultTaps: [client] };
  },
};

export const basicScenarios: readonly Scenario[] = [handshake, lossyTransfer, zeroWindow];

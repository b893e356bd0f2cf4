/**
 * The HTTP parser alone on the bench capture's real HTTP streams: the streams are reassembled once
 * (every in-order piece of every HTTP connection, as the application stage would hand it over),
 * then fed to fresh HttpConnections several times in capture order, the body bytes nobody reads
 * through skipBody as the stage does. The first round includes V8 compiling the parser; the later
 * ones show it compiled. For working on the application stage's cost (issue 4) without the rest of
 * the pipeline around it.
 *
 *   node bench/http-replay.mjs [FILE] [--rounds N]
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultParams, ensureCapture } from './gen.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.resolve(here, '..', 'dist');
const { CaptureReader } = await import(path.join(dist, 'capture/reader.js'));
const { decodePacket } = await import(path.join(dist, 'decode/bindings.js'));
const { Analyzer } = await import(path.join(dist, 'analysis/analyzer.js'));
const { TcpReassembler } = await import(path.join(dist, 'analysis/reassembly.js'));
const { HttpConnection, looksLikeHttp } = await import(path.join(dist, 'protocols/http.js'));

const args = process.argv.slice(2);
const roundsAt = args.indexOf('--rounds');
const rounds = roundsAt >= 0 ? Number(args.splice(roundsAt, 2)[1]) : 4;
const file = args[0] ?? ensureCapture(path.join(here, 'out'), defaultParams()).file;

/** Each HTTP stream's pieces in capture order: [stream, 0 client / 1 server, bytes, frame]. */
const pieces = [];
/** Per stream: the client's direction, or -1 for a stream that is not HTTP. */
const clientDir = new Map();
const collect = {
  onData(conn, dir, bytes, range, frames) {
    this.onDataAt(conn, dir, bytes, 0, bytes.length, range.offset, frames[0]);
  },
  onDataAt(conn, dir, data, start, end, _offset, frame) {
    let client = clientDir.get(conn.stream);
    if (client === undefined) {
      const first = looksLikeHttp(data.subarray(start, end));
      client = first === 'request' ? dir : first === 'response' ? 1 - dir : -1;
      clientDir.set(conn.stream, client);
    }
    if (client >= 0) pieces.push([conn.stream, dir === client ? 0 : 1, data.slice(start, end), frame]);
  },
};
const analyzer = new Analyzer({ tcpObservers: [new TcpReassembler(collect)], defragment: true });
const reader = CaptureReader.openSync(file);
for (let batch = reader.nextBatchSync(); batch; batch = reader.nextBatchSync()) for (const frame of batch) analyzer.analyze(decodePacket(frame));
analyzer.finish();
reader.close();
const streams = [...clientDir.values()].filter((c) => c >= 0).length;
console.log(`${path.relative(process.cwd(), file)}: ${streams} HTTP streams, ${pieces.length} pieces`);

for (let round = 0; round < rounds; round++) {
  let messages = 0;
  const handler = { httpRequest: () => messages++, httpResponse: () => messages++ };
  const connections = new Map();
  const t0 = performance.now();
  for (const [stream, side, bytes, frame] of pieces) {
    let c = connections.get(stream);
    if (!c) connections.set(stream, (c = new HttpConnection(handler, { allHeaders: false })));
    const sink = side === 0 ? c.client : c.server;
    if (!sink.skipBody(bytes.length, frame, frame)) sink.push(bytes, frame, frame);
  }
  console.log(`round ${round + 1}: ${(performance.now() - t0).toFixed(1)} ms for ${messages} messages`);
}

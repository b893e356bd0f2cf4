/**
 * What the live-capture tests share: real HTTP traffic on 127.0.0.1, the CLI run as a child, and a
 * look at the TCP header of a captured frame.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { join, resolve } from 'node:path';
import type { Frame } from '../../src/capture/frame.js';
import { decodePacket } from '../../src/decode/bindings.js';
import { findLayer } from '../../src/decode/layer.js';
import type { TcpLayer } from '../../src/wire/tcp.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const BIN = join(ROOT, 'bin/wirelens');

export const randomPort = () => 20000 + Math.floor(Math.random() * 40000);

/** A server on 127.0.0.1 answering every request; port 0 lets the kernel choose a free one. */
export async function httpServer(port = 0): Promise<{ port: number; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => res.end(`you asked for ${req.url}`));
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** `requests` GETs of /hello/i to 127.0.0.1:port, one connection each. */
export async function httpGets(port: number, requests: number, first = 0): Promise<void> {
  for (let i = first; i < first + requests; i++) {
    await new Promise<void>((res, rej) => {
      http
        .get({ host: '127.0.0.1', port, path: `/hello/${i}`, agent: false }, (r) => {
          r.resume();
          r.on('end', () => res());
        })
        .on('error', rej);
    });
  }
}

/** A server on 127.0.0.1:port, and `requests` GETs to it. */
export async function httpExchange(port: number, requests: number): Promise<void> {
  const server = await httpServer(port);
  try {
    await httpGets(port, requests);
  } finally {
    await server.close();
  }
}

export const SYN = 0x02;
export const ACK = 0x10;
export function tcpOf(f: Frame): TcpLayer | undefined {
  return findLayer<TcpLayer>(decodePacket(f), 'tcp');
}

/** Runs the CLI; resolves with its exit code and output once it exits (bounded by `timeoutMs`). */
export function cli(args: string[], timeoutMs = 20_000) {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b));
  child.stderr.on('data', (b: Buffer) => (stderr += b));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((r) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      r({ code, stdout, stderr });
    }),
  );
  /** Resolves once the CLI says it is capturing. */
  const capturing = new Promise<void>((r, rej) => {
    const look = () => {
      if (stderr.includes('capturing on')) r();
    };
    child.stderr.on('data', look);
    void done.then((x) => rej(new Error(`wirelens exited before capturing: ${x.stderr}`)));
  });
  capturing.catch(() => undefined);
  return { child, done, capturing };
}

/**
 * A reference tcpdump writing `file` with kernel nanosecond timestamps, resolved once it is
 * listening; stop it with `stop()` (after the capture under test, so it has at least as much).
 */
export async function tcpdumpBeside(tcpdump: string, file: string, filter: string): Promise<{ child: ChildProcess; stop: () => Promise<void> }> {
  const side = spawn(tcpdump, ['-i', 'lo', '-U', '--immediate-mode', '--time-stamp-precision=nano', '-B', '32768', '-w', file, filter], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let sideErr = '';
  await new Promise<void>((r, rej) => {
    const timer = setTimeout(() => rej(new Error(`tcpdump did not start: ${sideErr}`)), 10_000);
    side.stderr.on('data', (b: Buffer) => {
      sideErr += b;
      if (sideErr.includes('listening on')) {
        clearTimeout(timer);
        r();
      }
    });
  });
  const stop = async () => {
    side.kill('SIGTERM');
    await new Promise((r) => side.once('close', r));
  };
  return { child: side, stop };
}

/**
 * The Info column of TCP segments against tshark's (`_ws.col.Info`): relative numbers, scaled
 * windows, options in header order, relative SACK edges and the expert marks in tshark's order.
 * Frames whose Info tshark ends with its own malformed/short-frame marks, or which tshark's HTTP
 * dissector claims ("[Continuation to #N]"), are left out: there our text says it differently.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCaptureFileSync } from '../../src/capture/reader.js';
import { decodePacket } from '../../src/decode/bindings.js';
import { Analyzer } from '../../src/analysis/analyzer.js';
import { summarize } from '../../src/output/summary.js';

const REAL = resolve(import.meta.dirname, '../../../shared/traces/real');
const haveCorpus = existsSync(REAL);
let haveTshark = false;
try {
  execFileSync('tshark', ['--version'], { stdio: 'ignore' });
  haveTshark = true;
} catch {
  /* reported below */
}
if (!haveCorpus) console.warn(`SKIPPED: Info column differential needs the corpus at ${REAL}`);
if (!haveTshark) console.warn('SKIPPED: Info column differential needs tshark');

const THEIR_OWN_MARKS = /\[Malformed Packet\]|\[Packet size limited during capture\]|^\[Continuation to #/;

function tsharkTcpInfo(file: string): Map<number, string> {
  let out = '';
  try {
    out = execFileSync('tshark', ['-n', '-r', file, '-o', 'tcp.desegment_tcp_streams:FALSE', '-o', 'ip.defragment:FALSE', '-o', 'ipv6.defragment:FALSE', '-T', 'fields', '-E', 'separator=/t', '-e', 'frame.number', '-e', '_ws.col.Protocol', '-e', '_ws.col.Info'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      maxBuffer: 64 << 20,
    });
  } catch (err) {
    out = String((err as { stdout?: string }).stdout ?? ''); // damaged files: what tshark printed
  }
  const rows = new Map<number, string>();
  for (const line of out.split('\n')) {
    const [n, proto, info] = line.split('\t');
    if (proto === 'TCP' && info !== undefined) rows.set(Number(n), info.trimEnd());
  }
  return rows;
}

describe.skipIf(!haveCorpus || !haveTshark)('TCP Info column equals tshark', () => {
  const files = haveCorpus ? readdirSync(REAL).filter((f) => /\.pcap(ng)?$/.test(f)) : [];
  it.each(files)('%s', (name) => {
    const file = join(REAL, name);
    let frames;
    try {
      frames = readCaptureFileSync(file).frames;
    } catch {
      return; // files neither reader accepts are covered by the reader's own tests
    }
    const theirs = tsharkTcpInfo(file);
    const analyzer = new Analyzer();
    const mismatches: string[] = [];
    for (const frame of frames) {
      const packet = decodePacket(frame);
      const ours = summarize(packet, analyzer.analyze(packet));
      const expected = theirs.get(frame.number);
      if (expected === undefined || THEIR_OWN_MARKS.test(expected) || ours.protocol !== 'TCP') continue;
      // We also mark an option overrunning the header as malformed; tshark only notes it (known-differences.md).
      const text = ours.info.replace(/ \[Malformed TCP: WL_MALFORMED_TCP_OPTION\]$/, '');
      if (text !== expected) mismatches.push(`#${frame.number}\n  ours:   ${text}\n  tshark: ${expected}`);
    }
    expect(mismatches.join('\n')).toBe('');
  });
});

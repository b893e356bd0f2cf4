/**
 * Runs one fuzz case end to end — read the capture from an AsyncIterable of chunks, decode every
 * frame, build its JSON and its summary line — and checks the invariants the issue asks for.
 * Returns the problems found (empty when the case passed); never throws for a bug in the code
 * under test, so the caller can attach the seed and the mutation to the report.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Frame } from '../../src/capture/frame.js';
import { readCaptureFile, readCaptureFileSync, type CaptureContents } from '../../src/capture/reader.js';
import { decodePacket } from '../../src/decode/bindings.js';
import type { Field, Packet } from '../../src/decode/layer.js';
import { WirelensError } from '../../src/errors.js';
import { packetToJson } from '../../src/output/json.js';
import { formatSummaryLine, summarize } from '../../src/output/summary.js';
import type { Rng } from './prng.js';

// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export interface CaseOutcome {
  problems: string[];
  frames: number;
  /** Code of the WirelensError the reader threw, if it did. */
  readError?: string;
  warnings: number;
}

/** Splits `bytes` into chunks the way a pipe might deliver them: whole, even-sized, or random. */
export async function* chunked(bytes: Uint8Array, r: Rng): AsyncGenerator<Uint8Array> {
  const mode = r.int(4);
  if (mode === 0 || bytes.length === 0) {
    yield bytes;
    return;
  }
  const size = mode === 1 ? r.pick([1, 3, 7, 16, 64]) : mode === 2 ? r.range(1, 4096) : 0;
  for (let o = 0; o < bytes.length; ) {
    const n = size || r.range(1, 512);
    yield bytes.subarray(o, o + n);
    o += n;
  }
}

function describeError(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}\n${e.stack?.split('\n').slice(1, 6).join('\n') ?? ''}` : String(e);
}

function isReaderError(e: unknown): e is WirelensError {
  return e instanceof WirelensError && typeof e.code === 'string' && e.code.startsWith('WL_ERR_');
}

/**
 * Contract breaches already reported and owned elsewhere: the fuzz loop skips them (so that it keeps
 * finding new ones) and a regression test marked `it.fails` in fuzz.test.ts pins each of them.
 * Remove an entry once its fix lands (the `it.fails` test then fails and says so).
 */
export const KNOWN_ISSUES: readonly RegExp[] = [];

/** Every check on one frame and its decoding; appends problems. */
export function checkFrame(frame: Frame, problems: string[]): void {
  const where = `frame ${frame.number}`;
  if (!Number.isFinite(frame.tsSec) || !Number.isInteger(frame.tsNsec) || frame.tsNsec < 0 || frame.tsNsec > 999_999_999) {
    problems.push(`${where}: timestamp out of contract (${frame.tsSec}, ${frame.tsNsec})`);
  }
  if (!Number.isInteger(frame.origLen) || frame.origLen < 0) problems.push(`${where}: origLen ${frame.origLen}`);
  let packet: Packet;
  try {
    packet = decodePacket(frame);
  } catch (e) {
    problems.push(`${where}: decodePacket threw ${describeError(e)}`);
    return;
  }
  for (const p of checkPacket(packet)) problems.push(`${where}: ${p}`);
}

/** The checks on a decoded packet: offsets, values, JSON, summary line. Returns the problems. */
export function checkPacket(packet: Packet, known: readonly RegExp[] = KNOWN_ISSUES): string[] {
  const problems: string[] = [];
  const add = (p: string) => {
    if (!known.some((k) => k.test(p))) problems.push(p);
  };
  const { frame } = packet;
  const n = frame.data.length;
  for (const layer of packet.layers) {
    if (!(layer.offset >= 0 && layer.offset <= n)) add(`layer ${layer.proto} offset ${layer.offset} outside the ${n}-byte frame`);
    if (!(layer.length >= 0)) add(`layer ${layer.proto} length ${layer.length}`);
    // Rule: a malformed header says why, with a stable code and where (docs: "malformed input as values").
    if (layer.status === 'malformed' && !layer.problem) add(`layer ${layer.proto} is malformed without a problem (code, offset)`);
    if (layer.problem) {
      const pr = layer.problem;
      // Wire layers' codes are WL_MALFORMED_*; the application parsers' carry their protocol (WL_HTTP_*, WL_WS_*, WL_SSE_*).
      if (!/^WL_(MALFORMED|HTTP|WS|SSE)_[A-Z0-9_]+$/.test(pr.code)) add(`layer ${layer.proto} problem code ${JSON.stringify(pr.code)}`);
      if (!(pr.offset >= 0 && pr.offset <= n)) add(`layer ${layer.proto} problem offset ${pr.offset} outside the ${n}-byte frame`);
    }
    let fields: Field[];
    try {
      fields = layer.fields();
    } catch (e) {
      add(`${layer.proto}.fields() threw ${describeError(e)}`);
      continue;
    }
    for (const f of fields) {
      if (!(f.offset >= 0 && f.length >= 0 && f.offset + f.length <= n)) add(`field ${f.name} at [${f.offset}, +${f.length}) outside the ${n}-byte frame`);
      if (typeof f.value === 'number' && !Number.isFinite(f.value)) add(`field ${f.name} = ${f.value}`);
    }
  }
  try {
    JSON.stringify(packetToJson(packet));
  } catch (e) {
    add(`packetToJson/JSON.stringify threw ${describeError(e)}`);
  }
  try {
    const cols = summarize(packet);
    const line = formatSummaryLine(frame.number, '0.000000', cols, frame.origLen);
    const m = RAW_CONTROL.exec(line);
    if (m) add(`raw control character U+${m[0].charCodeAt(0).toString(16).padStart(4, '0')} in summary line ${JSON.stringify(line)}`);
  } catch (e) {
    add(`summarize threw ${describeError(e)}`);
  }
  return problems;
}

function checkContents(c: CaptureContents, problems: string[]): void {
  let expect = 1;
  for (const f of c.frames) {
    if (f.number !== expect++) problems.push(`frame numbers not consecutive: ${f.number} where ${expect - 1} was due`);
    if (f.interfaceId < 0 || f.interfaceId >= c.interfaces.length) problems.push(`frame ${f.number}: interfaceId ${f.interfaceId} of ${c.interfaces.length} interfaces`);
    checkFrame(f, problems);
  }
  for (const w of c.warnings) if (!w.code?.startsWith('WL_ERR_')) problems.push(`warning without a code: ${JSON.stringify(w)}`);
}

/** Reads from chunks in memory; with `viaFile`, also through a temp file and compares the two. */
export async function runCase(bytes: Uint8Array, r: Rng, viaFile?: string): Promise<CaseOutcome> {
  const problems: string[] = [];
  let contents: CaptureContents | undefined;
  let readError: string | undefined;
  try {
    contents = await readCaptureFile(chunked(bytes, r), { name: 'fuzz' });
  } catch (e) {
    if (isReaderError(e)) readError = e.code;
    else problems.push(`reader threw something other than a WirelensError: ${describeError(e)}`);
  }
  if (contents) checkContents(contents, problems);
  if (viaFile) {
    // The file path (FdSource, readSync) must agree with the stream path on what is in the file.
    writeFileSync(viaFile, bytes);
    let fromFile: CaptureContents | undefined;
    let fileError: string | undefined;
    try {
      fromFile = readCaptureFileSync(viaFile, { name: 'fuzz', chunkSize: r.pick([64, 4096, 1 << 20]) });
    } catch (e) {
      if (isReaderError(e)) fileError = e.code;
      else problems.push(`file reader threw something other than a WirelensError: ${describeError(e)}`);
    }
    if (fileError !== readError) problems.push(`stream read ended with ${readError ?? 'success'}, file read with ${fileError ?? 'success'}`);
    if (contents && fromFile) {
      const a = contents.frames;
      const b = fromFile.frames;
      if (a.length !== b.length) problems.push(`stream read gave ${a.length} frames, file read ${b.length}`);
      else {
        for (let i = 0; i < a.length; i++) {
          if (a[i]!.fileOffset !== b[i]!.fileOffset || Buffer.compare(a[i]!.data, b[i]!.data) !== 0) {
            problems.push(`frame ${i + 1} differs between stream and file reads`);
            break;
          }
        }
      }
      const wa = contents.warnings.map((w) => w.code).join(',');
      const wb = fromFile.warnings.map((w) => w.code).join(',');
      if (wa !== wb) problems.push(`warnings differ: stream [${wa}], file [${wb}]`);
    }
  }
  return { problems, frames: contents?.frames.length ?? 0, readError, warnings: contents?.warnings.length ?? 0 };
}

/** Saves a failing input where the report can point at it; returns the path. */
export function saveFailure(bytes: Uint8Array, label: string): string {
  const path = join(tmpdir(), `wirelens-fuzz-${label.replace(/[^\w.-]+/g, '_')}.bin`);
  writeFileSync(path, bytes);
  return path;
}

/** Hex of (the start of) a failing input, for a report or a regression test. */
export function hexDump(bytes: Uint8Array, max = 512): string {
  const b = bytes.subarray(0, max);
  let s = '';
  for (let i = 0; i < b.length; i += 16) {
    s += Array.from(b.subarray(i, i + 16), (x) => x.toString(16).padStart(2, '0')).join(' ') + '\n';
  }
  return s + (bytes.length > max ? `… (${bytes.length} bytes in all)\n` : '');
}

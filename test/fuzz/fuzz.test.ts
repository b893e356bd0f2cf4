/**
 * Fuzzing the whole read path: thousands of mutated captures (byte and bit flips, cut files, absurd
 * record/block/option/header lengths, VLAN and IP nesting bombs, duplicated ranges, garbage after
 * valid headers) must never throw anything but a WirelensError from the reader, never throw from
 * decoding/JSON/summary, never hang, and stay within bounded memory.
 *
 * Deterministic: every case is seeded from (run seed, suite, case index). On failure the report
 * names the seed capture, the mutations and the case, and saves the input under the OS temp dir.
 * Replay one case with  WIRELENS_FUZZ_CASE=<suite>:<index> npx vitest run test/fuzz
 * and try another run seed with WIRELENS_FUZZ_SEED=<n>; WIRELENS_FUZZ_SCALE=<x> multiplies the case counts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCaptureFile, readCaptureFileSync } from '../../src/capture/reader.js';
import { WirelensError } from '../../src/errors.js';
import type { Frame } from '../../src/capture/frame.js';
import { decodePacket } from '../../src/decode/bindings.js';
import type { Layer, Packet } from '../../src/decode/layer.js';
import { checkPacket, hexDump, runCase, saveFailure } from './check.js';
import { mutate } from './mutators.js';
import { caseSeed, Rng, suiteSalt, suiteTimeout } from './prng.js';
import { corpusSeeds, REAL_DIR, syntheticSeeds, type Seed } from './seeds.js';
import { Watchdog } from './watchdog.js';

const RUN_SEED = Number(process.env.WIRELENS_FUZZ_SEED ?? 0x5eed) >>> 0;
const SCALE = Number(process.env.WIRELENS_FUZZ_SCALE ?? 1);
const ONLY = process.env.WIRELENS_FUZZ_CASE;

/** A case slower than this is reported (generous: the typical case takes well under 10 ms). */
const CASE_LIMIT_MS = 2000;
/** A case still running after this is a hang: the watchdog kills the process and names the case. */
const HANG_LIMIT_MS = 15_000;
/** Growth allowed over a whole suite, checked every batch. */
const MAX_GROWTH = 300 * 1024 * 1024;
/** What one absurd-length case may add in ArrayBuffer memory / RSS (its input is at most ~60 KiB). */
const MAX_CASE_ARRAYBUFFERS = 16 * 1024 * 1024;
const MAX_CASE_RSS = 96 * 1024 * 1024;
const BATCH = 250;
const MAX_REPORTED = 8;

const synthetic = syntheticSeeds();
const corpus = corpusSeeds();
const haveCorpus = corpus.length > 0;
if (!haveCorpus) console.warn(`${REAL_DIR} is absent: the fuzzer runs on its synthetic seeds only`);

let watchdog: Watchdog;
let scratch: string;
beforeAll(() => {
  watchdog = new Watchdog(HANG_LIMIT_MS);
  scratch = mkdtempSync(join(tmpdir(), 'wirelens-fuzz-'));
});
afterAll(async () => {
  await watchdog.stop();
  rmSync(scratch, { recursive: true, force: true });
});

async function* chunks(...parts: Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield* parts;
}

interface SuiteResult {
  suite: string;
  cases: number;
  frames: number;
  readErrors: number;
  failures: string[];
  maxCaseMs: number;
  growth: { heap: number; rss: number };
}

/**
 * Runs `count` cases of `suite` over `seeds`. `force` makes every case start with that mutator.
 * Failures are collected (not thrown) so that one report lists several distinct ones.
 */
async function fuzzSuite(suite: string, seeds: Seed[], count: number, force?: string): Promise<SuiteResult> {
  const salt = suiteSalt(suite) ^ RUN_SEED;
  let indices = Array.from({ length: Math.round(count * SCALE) }, (_, i) => i);
  if (ONLY) {
    const [s, i] = ONLY.split(':');
    indices = s === suite ? [Number(i)] : [];
  }
  const res: SuiteResult = { suite, cases: 0, frames: 0, readErrors: 0, failures: [], maxCaseMs: 0, growth: { heap: 0, rss: 0 } };
  const start = process.memoryUsage();
  const filePath = join(scratch, `${suite}.pcap`);
  for (const i of indices) {
    const cs = caseSeed(salt, i);
    const r = new Rng(cs);
    const seed = seeds[r.int(seeds.length)]!;
    const m = mutate(seed, r, force);
    const replay = `suite ${suite} case ${i} (case seed ${cs}, run seed ${RUN_SEED}) on ${seed.name}: ${m.steps.join('; ')} — replay with WIRELENS_FUZZ_CASE=${suite}:${i}`;
    watchdog.begin(replay);
    const before = m.absurd ? process.memoryUsage() : undefined;
    const t0 = performance.now();
    const out = await runCase(m.bytes, r, i % 10 === 0 ? filePath : undefined);
    const ms = performance.now() - t0;
    watchdog.idle();
    const problems = out.problems;
    if (ms > CASE_LIMIT_MS) problems.push(`took ${ms.toFixed(0)} ms (limit ${CASE_LIMIT_MS})`);
    if (before) {
      // An absurd length (a record claiming 4 GiB) must not be allocated for.
      const after = process.memoryUsage();
      if (after.arrayBuffers - before.arrayBuffers > MAX_CASE_ARRAYBUFFERS) problems.push(`ArrayBuffer memory grew by ${after.arrayBuffers - before.arrayBuffers} bytes in one case`);
      if (after.rss - before.rss > MAX_CASE_RSS) problems.push(`RSS grew by ${after.rss - before.rss} bytes in one case`);
    }
    res.cases++;
    res.frames += out.frames;
    if (out.readError) res.readErrors++;
    res.maxCaseMs = Math.max(res.maxCaseMs, ms);
    if (problems.length || ONLY) {
      const path = saveFailure(m.bytes, `${suite}-${i}`);
      const text = `${replay}\n  input saved to ${path} (${m.bytes.length} bytes)\n  ${problems.join('\n  ') || 'no problem'}`;
      if (ONLY) console.log(`${text}\n${hexDump(m.bytes)}`);
      if (problems.length) res.failures.push(text);
    }
    if (res.cases % BATCH === 0) {
      const now = process.memoryUsage();
      res.growth.heap = Math.max(res.growth.heap, now.heapUsed - start.heapUsed);
      res.growth.rss = Math.max(res.growth.rss, now.rss - start.rss);
    }
  }
  return res;
}

function expectClean(suite: string, res: SuiteResult): void {
  const mib = (n: number) => (n / 1048576).toFixed(1);
  console.log(
    `fuzz ${suite}: ${res.cases} cases, ${res.frames} frames decoded, ${res.readErrors} rejected by the reader, ` +
      `slowest case ${res.maxCaseMs.toFixed(0)} ms, growth heap ${mib(res.growth.heap)} MiB rss ${mib(res.growth.rss)} MiB`,
  );
  const shown = res.failures.slice(0, MAX_REPORTED);
  const more = res.failures.length > shown.length ? `\n… and ${res.failures.length - shown.length} more failing cases` : '';
  expect(shown.join('\n\n') + more, `${res.failures.length} of ${res.cases} fuzz cases failed`).toBe('');
  expect(res.growth.heap, 'heap growth over the suite').toBeLessThan(MAX_GROWTH);
  expect(res.growth.rss, 'RSS growth over the suite').toBeLessThan(MAX_GROWTH);
}

describe('fuzzing the read path', () => {
  it('seeds are usable: every synthetic seed reads and decodes cleanly before mutation', async () => {
    for (const s of synthetic) {
      const c = await readCaptureFile(chunks(s.bytes));
      expect(c.warnings, s.name).toEqual([]);
      expect(c.frames.length, s.name).toBe(s.records.length);
      expect(s.records.length, s.name).toBeGreaterThan(0);
    }
  });

  it('the checker itself catches what it is meant to catch (negative control)', () => {
    const frame: Frame = { number: 1, tsSec: 0, tsNsec: 0, origLen: 4, data: new Uint8Array(4), linkType: 1, interfaceId: 0, fileOffset: 0 };
    const bad = (over: Partial<Layer>): Packet => ({
      frame,
      layers: [{ proto: 'x', offset: 0, length: 4, status: 'ok', fields: () => [], ...over } as Layer],
    });
    const found = (p: Packet) => checkPacket(p, []).join('\n');
    expect(found(bad({ fields: () => [{ name: 'x.f', value: 1, offset: 2, length: 3 }] }))).toMatch(/outside the 4-byte frame/);
    expect(found(bad({ fields: () => [{ name: 'x.f', value: NaN, offset: 0, length: 1 }] }))).toMatch(/x.f = NaN/);
    expect(found(bad({ offset: 5 }))).toMatch(/offset 5 outside/);
    expect(found(bad({ endpoints: () => ({ src: 'a\x1b[2J', dst: 'b' }) }))).toMatch(/raw control character U\+001b/);
    expect(found(bad({ status: 'malformed' }))).toMatch(/without a problem/);
    expect(found(bad({ status: 'malformed', problem: { code: 'oops', offset: 9, message: '' } }))).toMatch(/problem code "oops"[^]*problem offset 9/);
    expect(
      found(
        bad({
          fields: () => {
            throw new RangeError('boom');
          },
        }),
      ),
    ).toMatch(/fields\(\) threw RangeError: boom/);
    expect(found(bad({}))).toBe('');
  });

  it('synthetic seeds: mutated captures never throw, hang or blow up memory', async () => {
    expectClean('synthetic', await fuzzSuite('synthetic', synthetic, haveCorpus ? 3000 : 6000));
  }, suiteTimeout(SCALE));

  it('absurd length fields (records, blocks, options, IP/TCP/UDP, VLAN and IP nesting) allocate nothing absurd', async () => {
    const seeds = [...synthetic, ...corpus.filter((s) => s.records.length > 0)];
    const res: SuiteResult[] = [];
    for (const m of ['pcap-record-length', 'pcapng-block-length', 'pcapng-option-length', 'pcapng-interface-option', 'pcapng-packet-length', 'protocol-length', 'vlan-stack', 'ip-nesting']) {
      const fit = seeds.filter((s) => (m.startsWith('pcapng') ? s.format === 'pcapng' : m.startsWith('pcap-') ? s.format === 'pcap' : true));
      res.push(await fuzzSuite(`absurd-${m}`, fit, 400, m));
    }
    for (const r of res) expectClean(r.suite, r);
  }, suiteTimeout(SCALE));

  describe.skipIf(!haveCorpus)('real corpus seeds', () => {
    it('mutated corpus captures never throw, hang or blow up memory', async () => {
      expectClean('corpus', await fuzzSuite('corpus', corpus, 8000));
    }, suiteTimeout(SCALE));
  });

  // Found by the fuzzer: a frame shorter than the Ethernet header was malformed without a code.
  it('regression: a 2-byte Ethernet frame is malformed WITH a problem code (src/wire/ethernet.ts)', () => {
    const data = Uint8Array.of(0xdf, 0x10);
    const p = decodePacket({ number: 1, tsSec: 0, tsNsec: 0, origLen: 2, data, linkType: 1, interfaceId: 0, fileOffset: 0 });
    expect(checkPacket(p, [])).toEqual([]);
  });

  it('a file that claims a 4 GiB record is refused without allocating it', async () => {
    const hdr = new Uint8Array(24);
    const dv = new DataView(hdr.buffer);
    dv.setUint32(0, 0xa1b2c3d4, true);
    dv.setUint16(4, 2, true);
    dv.setUint16(6, 4, true);
    dv.setUint32(16, 0xffffffff, true);
    dv.setUint32(20, 1, true);
    for (const claim of [0xffffffff, 0x7fffffff, 0x4000000, 0x3fffff0]) {
      const rec = new Uint8Array(16 + 64);
      const rv = new DataView(rec.buffer);
      rv.setUint32(8, claim, true);
      rv.setUint32(12, claim, true);
      const file = join(scratch, 'claim.pcap');
      writeFileSync(file, Buffer.concat([hdr, rec]));
      // Through a stream and through a file (whose source sizes its buffers by what is needed).
      for (const read of [() => readCaptureFile(chunks(hdr, rec)), async () => readCaptureFileSync(file)]) {
        const before = process.memoryUsage();
        let err: unknown;
        let frames = -1;
        try {
          frames = (await read()).frames.length;
        } catch (e) {
          err = e;
        }
        const after = process.memoryUsage();
        if (err) expect(err).toBeInstanceOf(WirelensError);
        else expect(frames, `claim ${claim}`).toBe(0);
        expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(MAX_CASE_ARRAYBUFFERS);
        expect(after.rss - before.rss).toBeLessThan(MAX_CASE_RSS);
      }
    }
  });
});

/** The real-capture corpus for the filter tests: where it is, and its files decoded and analysed once. */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Analyzer, type PacketAnalysis } from '../../src/analysis/analyzer.js';
import { readCaptureFile } from '../../src/capture/reader.js';
import { decodePacket } from '../../src/decode/bindings.js';
import type { Packet } from '../../src/decode/layer.js';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const TRACE_DIR = resolve(PROJECT_ROOT, '../shared/traces/real');
export const HAVE_CORPUS = existsSync(TRACE_DIR);
if (!HAVE_CORPUS) console.warn(`filter tests: corpus ${TRACE_DIR} is missing; corpus tests are skipped`);

export interface Decoded {
  file: string;
  path: string;
  packets: { packet: Packet; analysis: PacketAnalysis }[];
}

/** Every capture file our reader accepts, decoded and analysed in order. */
export async function decodeCorpus(): Promise<Decoded[]> {
  const out: Decoded[] = [];
  for (const file of readdirSync(TRACE_DIR).sort()) {
    if (!/\.pcap(ng)?$/.test(file)) continue;
    const path = join(TRACE_DIR, file);
    let frames;
    try {
      frames = (await readCaptureFile(path)).frames;
    } catch {
      continue; // files the reader refuses (invalid versions) have no packets to filter
    }
    const analyzer = new Analyzer();
    const packets = frames.map((f) => {
      const packet = decodePacket(f);
      return { packet, analysis: analyzer.analyze(packet) };
    });
    analyzer.finish();
    out.push({ file, path, packets });
  }
  return out;
}

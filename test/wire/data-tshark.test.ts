/**
 * `data.data` (bytes no dissector claims, as hex) against tshark 4.0 on the real corpus, on every
 * frame whose TCP or UDP payload both leave undissected: where tshark dissects a protocol wirelens
 * does not (DHCP, PPTP…), or dissects further in (an ICMP echo's timestamp, a WebSocket payload),
 * its `data` is other bytes. Decoding alone, as `read` without reassembly: tshark with IP
 * defragmentation off. Skips visibly without the corpus or tshark.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readCaptureFileSync } from '../../src/capture/reader.js';
import { DataLayer } from '../../src/decode/data.js';
import { decodePacket } from '../../src/decode/bindings.js';
import { WirelensError } from '../../src/errors.js';
import { REAL } from './netfixture.js';

const HAVE_TSHARK = spawnSync('tshark', ['--version']).status === 0;
const HAVE_CORPUS = existsSync(REAL);
if (!HAVE_CORPUS || !HAVE_TSHARK) console.warn(`data-tshark: skipped (${!HAVE_CORPUS ? `${REAL} absent` : 'tshark not installed'})`);

/** tshark's frame.protocols and data.data per frame. */
function tsharkData(file: string): [string, string][] {
  const r = spawnSync('tshark', ['-r', file, '-o', 'ip.defragment:FALSE', '-o', 'ipv6.defragment:FALSE', '-T', 'fields', '-e', 'frame.protocols', '-e', 'data.data'], { encoding: 'utf8', maxBuffer: 256 << 20 });
  return r.stdout.split('\n').filter((l) => l !== '').map((l) => l.split('\t') as [string, string]);
}

describe.skipIf(!HAVE_CORPUS || !HAVE_TSHARK)('data.data against tshark', () => {
  it('agrees on every frame where both leave the transport payload as data', () => {
    let compared = 0;
    const mismatches: string[] = [];
    for (const name of readdirSync(REAL).filter((n) => /\.pcap(ng)?$/.test(n))) {
      let frames;
      try {
        frames = readCaptureFileSync(`${REAL}/${name}`).frames;
      } catch (e) {
        if (e instanceof WirelensError) continue; // a file we refuse (tshark reads none of it either)
        throw e;
      }
      const theirs = tsharkData(`${REAL}/${name}`);
      frames.forEach((f, i) => {
        const t = theirs[i];
        const layers = decodePacket(f).layers;
        const last = layers.at(-1);
        const transport = layers.at(-2)?.proto;
        if (!t || !/:(tcp|udp):data$/.test(t[0]) || !(last instanceof DataLayer) || (transport !== 'tcp' && transport !== 'udp')) return;
        const ours = last.fields().find((x) => x.name === 'data.data')?.value;
        compared++;
        if (ours !== t[1]) mismatches.push(`${name} #${f.number}: ours ${String(ours).slice(0, 40)} tshark ${t[1].slice(0, 40)}`);
      });
    }
    expect(mismatches).toEqual([]);
    // Enough frames for the comparison to mean something (UDP and TCP on ports nobody claims).
    expect(compared).toBeGreaterThan(20);
  });
});


import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runScenario } from '../../src/sim/scenarios/index.js';
import { SackScoreboard } from '../../src/sim/sack.js';
import { readCaptureFileSync } from '../../src/capture/reader.js';
import type { Frame } from '../../src/capture/frame.js';
import { parseTcp } from '../../src/wire/tcp.js';
import { ETH_HEADER_LEN } from '../../src/wire/ethernet.js';
import { ourDisagreements, tsharkFindings } from './ground-truth.js';

const hasTshark = spawnSync('tshark', ['-v']).status === 0;
if (!hasTshark) console.warn('tshark not found: the tshark checks in test/sim/sack.test.ts are skipped');
const dir = mkdtempSync(join(tmpdir(), 'wirelens-sack-'));

describe('SACK scoreboard (RFC 6675 §3–4)', () => {
  const MSS = 1000;
  it('merges blocks, forgets what is cumulatively acknowledged, and counts new bytes', () => {
    const sb = new SackScoreboard(() => MSS);
    expect(sb.add(3001, 4001, 1)).toBe(1000);
    expect(sb.add(5001, 6001, 1)).toBe(1000);
    // Touching and overlapping blocks merge; only the new bytes count.
    expect(sb.add(3501, 5001, 1)).toBe(1000);
    expect(sb.blocks).toBe(1);
    expect(sb.add(3001, 6001, 1)).toBe(0);
    expect(sb.skipSacked(3001)).toBe(6001);
    expect(sb.skipSacked(2000)).toBe(2000);
    expect(sb.holeEnd(1, 9999)).toBe(3001);
    expect(sb.holeEnd(6001, 9999)).toBe(9999);
    sb.ackedTo(4001);
    expect(sb.sackedBytes).toBe(2000);
    sb.ackedTo(6001);
    expect(sb.empty).toBe(true);
  });

  it('IsLost: three SACKed ranges above, or more than two segments SACKed above', () => {
    const sb = new SackScoreboard(() => MSS);
    // Holes at 1, 2001, 4001; one segment SACKed after each.
    sb.add(1001, 2001, 1);
    sb.add(3001, 4001, 1);
    sb.updateLoss(1);
    expect(sb.lostBelow).toBe(1); // two ranges, 2000 bytes: nothing lost yet
    sb.add(5001, 6001, 1);
    sb.updateLoss(1);
    // Three ranges above the first hole: it is lost; the hole at 2001 has only two above it.
    expect(sb.lostBelow).toBe(1001);
    sb.add(6001, 7001, 1);
    sb.updateLoss(1);
    // 2000 + 1000 bytes above the hole at 2001: more than (3 − 1)·SMSS.
    expect(sb.lostBelow).toBe(3001);
  });

  it('SetPipe: unSACKed bytes not lost, plus those retransmitted', () => {
    const sb = new SackScoreboard(() => MSS);
    // Sent [1, 10001); SACKed [2001, 5001); hole [1, 2001) is lost (3000 bytes above).
    sb.add(2001, 5001, 1);
    sb.updateLoss(1);
    expect(sb.lostBelow).toBe(2001);
    expect(sb.pipe(1, 10001, 0)).toBe(5000); // [5001, 10001) in flight
    expect(sb.pipe(1, 10001, 1001)).toBe(6000); // and [1, 1001) retransmitted
  });
});

/** A frame's TCP segment (Ethernet + IPv4 or IPv6, no options or extension headers in the simulator). */
function segment(f: Frame) {
  const ipv6 = f.data[12] === 0x86 && f.data[13] === 0xdd;
  return parseTcp(f.data, ETH_HEADER_LEN + (ipv6 ? 40 : 20));
}

interface Transfer {
  frames: Frame[];
  file: string;
  seconds: number;
  retransmissions: { seq: number; end: number; comment: string }[];
  /** Retransmissions that resent bytes the receiver had already SACKed before they left. */
  sackedResent: string[];
  /**
   * Fast and SACK-hole retransmissions (the scoreboard's choices) of bytes an earlier copy of which
   * got through. Go-back-N after a timeout may resend data still in flight, as RFC 5681 §3.1 does.
   */
  needless: string[];
}

/**
 * Runs lossy-transfer at the sender's tap and replays it: SACK blocks arrive on the server's ACKs
 * (relative to the client's ISN), retransmissions are the client's segments commented so.
 */
function transfer(seed: number, params: Record<string, string>): Transfer {
  const r = runScenario('lossy-transfer', { seed, params });
  const file = join(dir, `lossy-${seed}-${Object.values(params).join('_')}.pcapng`);
  writeFileSync(file, r.bytes!);
  const { frames } = readCaptureFileSync(file);
  let isn = 0;
  const sacked: [number, number][] = [];
  /** Per sent byte range start: whether some copy of it got through. */
  const arrived = new Map<number, boolean>();
  const out: Transfer = { frames, file, seconds: 0, retransmissions: [], sackedResent: [], needless: [] };
  for (const f of frames) {
    const seg = segment(f);
    const c = f.comments![0]!;
    const fromClient = seg.dstPort === 5001;
    if (fromClient && seg.flags & 0x02) isn = seg.seq;
    if (!fromClient) {
      for (const o of seg.options) if (o.type === 'sack') for (const b of o.blocks) sacked.push([(b.left - isn) >>> 0, (b.right - isn) >>> 0]);
      continue;
    }
    if (seg.payload.length === 0) continue;
    const seq = (seg.seq - isn) >>> 0;
    const end = seq + seg.payload.length;
    const gotThrough = !/lost on link|dropped: queue/.test(c);
    if (c.includes('retransmission')) {
      out.retransmissions.push({ seq, end, comment: c });
      if (sacked.some(([a, b]) => a < end && seq < b)) out.sackedResent.push(`${seq}-${end}: ${c}`);
      if (arrived.get(seq) === true && !c.includes('after RTO') && !c.includes('go-back-N')) out.needless.push(`${seq}-${end}: ${c}`);
    }
    arrived.set(seq, (arrived.get(seq) ?? false) || gotThrough);
  }
  const last = frames[frames.length - 1]!;
  out.seconds = last.tsSec - frames[0]!.tsSec + (last.tsNsec - frames[0]!.tsNsec) / 1e9;
  return out;
}

/** Slow start overshoots a 20-packet queue: a burst of tail drops in one window. */
const OVERSHOOT = { size: '1MB', loss: '0%', rtt: '100ms', bandwidth: '10Mbit', queue: '20' };
/** Random loss on top of a short queue. */
const RANDOM = { size: '1MB', loss: '2%', rtt: '100ms', bandwidth: '10Mbit', queue: '30' };

describe('lossy-transfer: the SACK sender (RFC 6675) against NewReno', () => {
  const cases: [string, number, Record<string, string>][] = [
    ['tail drops in one window', 1, OVERSHOOT],
    ['random loss', 4, RANDOM],
  ];
  describe.each(cases)('%s', (_name, seed, params) => {
    const sack = transfer(seed, { ...params, sack: 'true' });
    const newReno = transfer(seed, { ...params, sack: 'false' });

    it('repairs several holes of one window from the scoreboard, never resending SACKed or delivered data', () => {
      expect(sack.retransmissions.filter((r) => r.comment.includes('(SACK hole, lost:')).length).toBeGreaterThan(1);
      expect(sack.sackedResent).toEqual([]);
      expect(sack.needless).toEqual([]);
      // NewReno knows nothing of SACK holes.
      expect(newReno.retransmissions.some((r) => r.comment.includes('SACK'))).toBe(false);
    });

    it('finishes sooner than NewReno on the same seed', () => {
      expect(sack.seconds).toBeLessThan(newReno.seconds);
    });

    it('our analysis agrees with the ground truth', () => {
      expect(ourDisagreements(sack.frames)).toEqual([]);
      expect(ourDisagreements(newReno.frames)).toEqual([]);
    });

    it.skipIf(!hasTshark)('tshark agrees with the ground truth and sees no spurious retransmission', () => {
      for (const t of [sack, newReno]) {
        const { bad, wrong } = tsharkFindings(t.file);
        expect(bad).toBe('');
        expect(wrong).toEqual([]);
      }
      const spurious = execFileSync('tshark', ['-r', sack.file, '-Y', 'tcp.analysis.spurious_retransmission'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      expect(spurious).toBe('');
    });
  });

  it('tail drops: SACK resends each dropped segment once; NewReno takes a round trip per hole', () => {
    const sack = transfer(1, { ...OVERSHOOT, sack: 'true' });
    const dropped = sack.frames.filter((f) => f.comments![0]!.includes('dropped: queue')).length;
    expect(dropped).toBeGreaterThan(5);
    expect(sack.retransmissions.length).toBe(dropped);
    const newReno = transfer(1, { ...OVERSHOOT, sack: 'false' });
    expect(newReno.retransmissions.filter((r) => r.comment.includes('partial ACK')).length).toBeGreaterThan(5);
    expect(sack.seconds * 2).toBeLessThan(newReno.seconds);
  });
});

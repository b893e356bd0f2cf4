/**
 * The SACK scoreboard of RFC 6675 §3: which sequence ranges above the cumulative ACK (HighACK) the
 * receiver has reported holding (RFC 2018 §3 SACK blocks), merged and in order, plus the two
 * questions loss recovery asks of it: IsLost (§4) and the data in flight, "pipe" (SetPipe, §4).
 *
 * Sequence numbers are the sender's relative ones (see tcp.ts). IsLost holds for every unSACKed
 * octet of a hole alike (what lies above it is the same), and it holds for a hole whenever it holds
 * for a hole above it, so one boundary answers it for all octets: `lostBelow`, recomputed whenever
 * the scoreboard changes.
 */

/** RFC 6675 §2 DupThresh: 3, as for fast retransmit (RFC 5681 §3.2). */
export const DUP_THRESH = 3;

export class SackScoreboard {
  /** SACKed ranges [start, end), sorted, disjoint and not touching: [s0, e0, s1, e1, …]. */
  private ranges: number[] = [];
  /** Every unSACKed octet below this is lost per IsLost (RFC 6675 §4); HighACK when none is. */
  lostBelow = 0;

  constructor(private readonly smss: () => number) {}

  get empty(): boolean {
    return this.ranges.length === 0;
  }

  /** Number of SACKed ranges, and bytes SACKed (for notes and tests). */
  get blocks(): number {
    return this.ranges.length / 2;
  }

  get sackedBytes(): number {
    let n = 0;
    for (let i = 0; i < this.ranges.length; i += 2) n += this.ranges[i + 1]! - this.ranges[i]!;
    return n;
  }

  /** The highest SACKed octet + 1, or 0 when nothing is SACKed. */
  get highestSacked(): number {
    return this.ranges.length > 0 ? this.ranges[this.ranges.length - 1]! : 0;
  }

  /** Adds one SACK block; returns the bytes it SACKed that were not SACKed before. */
  add(start: number, end: number, highAck: number): number {
    if (start < highAck) start = highAck;
    if (end <= start) return 0;
    const r = this.ranges;
    // First range that ends at or after `start` (touching ranges merge).
    let i = 0;
    while (i < r.length && r[i + 1]! < start) i += 2;
    let j = i;
    let covered = 0;
    let s = start;
    let e = end;
    while (j < r.length && r[j]! <= end) {
      covered += Math.min(r[j + 1]!, end) - Math.max(r[j]!, start);
      if (r[j]! < s) s = r[j]!;
      if (r[j + 1]! > e) e = r[j + 1]!;
      j += 2;
    }
    const added = end - start - Math.max(0, covered);
    r.splice(i, j - i, s, e);
    return added;
  }

  /** Forgets everything below the new cumulative ACK (RFC 6675 §5: Update() drops acknowledged data). */
  ackedTo(highAck: number): void {
    const r = this.ranges;
    let k = 0;
    while (k < r.length && r[k + 1]! <= highAck) k += 2;
    if (k > 0) r.splice(0, k);
    if (r.length > 0 && r[0]! < highAck) r[0] = highAck;
  }

  clear(): void {
    this.ranges.length = 0;
  }

  /**
   * Recomputes `lostBelow`: RFC 6675 §4 IsLost(SeqNum) is true when DupThresh discontiguous SACKed
   * ranges lie above SeqNum, or more than (DupThresh − 1)·SMSS bytes above it are SACKed.
   */
  updateLoss(highAck: number): void {
    const r = this.ranges;
    const limit = (DUP_THRESH - 1) * this.smss();
    let count = 0;
    let bytes = 0;
    this.lostBelow = highAck;
    for (let i = r.length - 2; i >= 0; i -= 2) {
      count++;
      bytes += r[i + 1]! - r[i]!;
      if (count >= DUP_THRESH || bytes > limit) {
        this.lostBelow = r[i]!;
        return;
      }
    }
  }

  /** `rel` if it is not SACKed, else the end of the SACKed range holding it. */
  skipSacked(rel: number): number {
    const r = this.ranges;
    for (let i = 0; i < r.length; i += 2) {
      if (r[i]! > rel) return rel;
      if (rel < r[i + 1]!) return r[i + 1]!;
    }
    return rel;
  }

  /** Where the next SACKed range above `rel` starts (the end of the hole `rel` is in), or `fallback`. */
  holeEnd(rel: number, fallback: number): number {
    const r = this.ranges;
    for (let i = 0; i < r.length; i += 2) if (r[i]! > rel) return r[i]!;
    return fallback;
  }

  /** What lies SACKed above `rel`, for a retransmission's note: "3 SACKed ranges (4284 bytes) above it". */
  describeAbove(rel: number): string {
    const r = this.ranges;
    let count = 0;
    let bytes = 0;
    for (let i = 0; i < r.length; i += 2) {
      if (r[i + 1]! <= rel) continue;
      count++;
      bytes += r[i + 1]! - Math.max(r[i]!, rel);
    }
    return `${count} SACKed range${count === 1 ? '' : 's'} (${bytes} bytes) above it`;
  }

  /** UnSACKed bytes in [from, to). */
  unsacked(from: number, to: number): number {
    if (to <= from) return 0;
    let n = to - from;
    const r = this.ranges;
    for (let i = 0; i < r.length; i += 2) {
      const s = Math.max(r[i]!, from);
      const e = Math.min(r[i + 1]!, to);
      if (e > s) n -= e - s;
    }
    return n;
  }

  /**
   * RFC 6675 §4 SetPipe: every unSACKed octet in [HighACK, HighData) counts once if it is not lost
   * (still in flight), and once more if it was retransmitted (below HighRxt, exclusive here).
   */
  pipe(highAck: number, highData: number, highRxt: number): number {
    const inFlight = this.unsacked(Math.max(highAck, this.lostBelow), highData);
    return inFlight + this.unsacked(highAck, Math.min(highRxt, highData));
  }
}

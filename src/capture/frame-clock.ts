/**
 * Times of a frame relative to other frames: Wireshark's `frame.time_relative` (since the first
 * frame), `frame.time_delta` (since the previous captured frame) and `frame.time_delta_displayed`
 * (since the previous frame the display filter kept; 0 for the first one it keeps). They are not
 * in the frame: they depend on which frames came, and were shown, before it. Whoever walks the
 * frames in capture order keeps one clock, `advance`s it to each frame (before filtering: a filter
 * may test these fields) and tells it which frames were `shown`.
 *
 * Values are exact nanoseconds (bigint): seconds fields may be as far apart as a 32-bit pcap
 * timestamp allows, beyond what a double holds to the nanosecond.
 */
import type { Frame } from './frame.js';

const NS = 1_000_000_000n;

/** b − a in nanoseconds, exact. */
export function nsBetween(aSec: number, aNsec: number, bSec: number, bNsec: number): bigint {
  return BigInt(bSec - aSec) * NS + BigInt(bNsec - aNsec);
}

/** A timestamp as nanoseconds since the epoch, exact (frame.time_epoch). */
export function epochNs(sec: number, nsec: number): bigint {
  return nsBetween(0, 0, sec, nsec);
}

export class FrameClock {
  /** The first frame's timestamp (valid once a frame has come). */
  private firstSec = 0;
  private firstNsec = 0;
  private started = false;
  // The current frame, the one before it, and the last one shown (shownSec = NaN: none yet).
  private sec = 0;
  private nsec = 0;
  private prevSec = Number.NaN;
  private prevNsec = 0;
  private shownSec = Number.NaN;
  private shownNsec = 0;

  /** The next frame in capture order. Numbers only: the bigint values are made when read. */
  advance(frame: Pick<Frame, 'tsSec' | 'tsNsec'>): void {
    if (!this.started) {
      this.started = true;
      this.firstSec = frame.tsSec;
      this.firstNsec = frame.tsNsec;
    } else {
      this.prevSec = this.sec;
      this.prevNsec = this.nsec;
    }
    this.sec = frame.tsSec;
    this.nsec = frame.tsNsec;
  }

  /** The current frame is displayed: the next frames' time_delta_displayed count from it. */
  shown(): void {
    this.shownSec = this.sec;
    this.shownNsec = this.nsec;
  }

  /** frame.time_relative: since the first frame. */
  get relative(): bigint {
    return nsBetween(this.firstSec, this.firstNsec, this.sec, this.nsec);
  }
  /** frame.time_delta: since the previous captured frame (0 for the first). */
  get delta(): bigint {
    return Number.isNaN(this.prevSec) ? 0n : nsBetween(this.prevSec, this.prevNsec, this.sec, this.nsec);
  }
  /** frame.time_delta_displayed: since the previous displayed frame (0 before any). */
  get deltaDisplayed(): bigint {
    return Number.isNaN(this.shownSec) ? 0n : nsBetween(this.shownSec, this.shownNsec, this.sec, this.nsec);
  }
}

/** A duration in nanoseconds as Wireshark prints a relative time: seconds with nine decimals. */
export function formatDuration(ns: bigint): string {
  const sign = ns < 0n ? '-' : '';
  const abs = ns < 0n ? -ns : ns;
  return `${sign}${abs / NS}.${String(abs % NS).padStart(9, '0')}`;
}

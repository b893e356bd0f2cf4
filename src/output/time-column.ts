/**
 * The Time column of a summary line in tshark's `-t` formats: relative to the first frame (`r`,
 * the default), since the previous captured (`d`) or displayed (`dd`) frame, seconds since the
 * epoch (`e`), or the time of day, local (`a`, with the date `ad`) or UTC (`u`, `ud`). Six
 * decimals, microseconds rounded (tshark prints nine for a nanosecond file).
 */
import type { Frame } from '../capture/frame.js';
import { epochNs, type FrameClock } from '../capture/frame-clock.js';

export const TIME_FORMATS = ['r', 'a', 'ad', 'd', 'dd', 'e', 'u', 'ud'] as const;
export type TimeFormat = (typeof TIME_FORMATS)[number];

/** What each format shows, for --help. */
export const TIME_FORMAT_HELP =
  'time column as tshark -t: r since the first packet (default), d since the previous packet, dd since the previous displayed packet, e epoch seconds, a/ad local time of day (with date), u/ud the same in UTC';

/** Nanoseconds as seconds with six decimals, the microseconds rounded half away from zero. */
export function microsText(ns: bigint): string {
  const neg = ns < 0n;
  const us = ((neg ? -ns : ns) + 500n) / 1000n;
  return `${neg ? '-' : ''}${us / 1_000_000n}.${String(us % 1_000_000n).padStart(6, '0')}`;
}

const two = (n: number) => String(n).padStart(2, '0');

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const ZONE = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' });

/**
 * A point in time as Wireshark writes a field's (abs_time_to_str, for `read -e`): local time, the
 * day padded to two places, nanoseconds, then the zone's abbreviation (`Jun 19, 2019
 * 06:57:21.000000000 EDT`; the one Intl gives for en-US, which outside the US may be `GMT+1`).
 */
export function absoluteTimeText(seconds: number): string {
  const whole = Math.floor(seconds);
  const d = new Date(whole * 1000);
  const ns = String(Math.round((seconds - whole) * 1e9)).padStart(9, '0');
  const zone = ZONE.formatToParts(d).find((p) => p.type === 'timeZoneName')?.value ?? '';
  return `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2)}, ${d.getFullYear()} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${ns} ${zone}`;
}

/** The time of day (and date) of `us` microseconds since the epoch, local or UTC. */
function wallClock(us: bigint, date: boolean, utc: boolean): string {
  // Floor division, so that a time before 1970 still has its microseconds within its second.
  let sec = us / 1_000_000n;
  let frac = us % 1_000_000n;
  if (frac < 0n) {
    sec -= 1n;
    frac += 1_000_000n;
  }
  const d = new Date(Number(sec) * 1000);
  const [y, mo, day, h, mi, s] = utc
    ? [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()]
    : [d.getFullYear(), d.getMonth() + 1, d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds()];
  const time = `${two(h)}:${two(mi)}:${two(s)}.${String(frac).padStart(6, '0')}`;
  return date ? `${y}-${two(mo)}-${two(day)} ${time}` : time;
}

/** The column for `frame`, `clock` advanced to it (and told of the frames shown before it). */
export function timeColumn(format: TimeFormat, frame: Pick<Frame, 'tsSec' | 'tsNsec'>, clock: FrameClock): string {
  switch (format) {
    case 'r':
      return microsText(clock.relative);
    case 'd':
      return microsText(clock.delta);
    case 'dd':
      return microsText(clock.deltaDisplayed);
    default: {
      const ns = epochNs(frame.tsSec, frame.tsNsec);
      if (format === 'e') return microsText(ns);
      // Rounded as the relative formats are: .9999995 s is the next second.
      const us = (ns + (ns < 0n ? -500n : 500n)) / 1000n;
      return wallClock(us, format === 'ad' || format === 'ud', format === 'u' || format === 'ud');
    }
  }
}

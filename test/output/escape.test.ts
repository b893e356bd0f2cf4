import { describe, expect, it } from 'vitest';
import { asciiDots, escapeControl } from '../../src/output/escape.js';
import { relativeTime } from '../../src/output/summary.js';
import { formatEpoch } from '../../src/capture/frame.js';

describe('terminal safety', () => {
  it('escapes C0, DEL and C1 controls so wire bytes cannot drive the terminal', () => {
    expect(escapeControl('ok\x1b[2Jgone\x07\x7f\x9b')).toBe('ok\\x1b[2Jgone\\x07\\x7f\\x9b');
    expect(escapeControl('plain text')).toBe('plain text');
    expect(escapeControl('a\nb\tc')).toBe('a\\x0ab\\x09c');
  });
  it('shows non-printable bytes as dots', () => {
    expect(asciiDots(Uint8Array.from([0x48, 0x69, 0x00, 0x1b, 0x7f, 0x7e]))).toBe('Hi...~');
  });
});

describe('time formats', () => {
  it('frame.time_epoch has nine decimals', () => {
    expect(formatEpoch(1795678468, 750339000)).toBe('1795678468.750339000');
    expect(formatEpoch(0, 5)).toBe('0.000000005');
    expect(formatEpoch(-2, 750000000)).toBe('-1.250000000');
    expect(formatEpoch(-1, 500000000)).toBe('-0.500000000');
  });
  it('relative time has six decimals, like tshark', () => {
    expect(relativeTime(10, 500, 10, 0)).toBe('0.000001');
    expect(relativeTime(12, 250_000_000, 10, 500_000_000)).toBe('1.750000');
    expect(relativeTime(9, 0, 10, 0)).toBe('-1.000000');
  });
});

import { describe, expect, it } from 'vitest';
import { seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt, seqMax, seqMin, seqSub } from '../../src/analysis/seq.js';

describe('sequence arithmetic modulo 2^32', () => {
  const cases: [number, number, boolean][] = [
    [1, 2, true],
    [2, 1, false],
    [0xffffffff, 0, true], // wrap: 2^32-1 comes just before 0
    [0xfffffff0, 0x10, true],
    [0x10, 0xfffffff0, false],
    [5, 5, false],
  ];
  it.each(cases)('%i < %i is %s', (a, b, lt) => {
    expect(seqLt(a, b)).toBe(lt);
    expect(seqGe(a, b)).toBe(!lt);
    expect(seqGt(b, a)).toBe(lt);
    expect(seqLe(b, a)).toBe(!lt || a === b);
  });

  it('adds and subtracts across the wrap', () => {
    expect(seqAdd(0xfffffffe, 5)).toBe(3);
    expect(seqSub(3, 0xfffffffe)).toBe(5);
    expect(seqDiff(0xfffffffe, 3)).toBe(-5);
    expect(seqSub(100, 100)).toBe(0);
    expect(seqMax(0xffffff00, 0x00000010)).toBe(0x10);
    expect(seqMin(0xffffff00, 0x00000010)).toBe(0xffffff00);
  });
});

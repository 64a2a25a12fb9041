// countNonFinite: every NaN and infinity counted, wherever it sits (each of the four running sums,
// and the tail past the last whole group of four), in float32 and float64 arrays.

import { describe, expect, it } from 'vitest';
import { countNonFinite } from '../../src/util/non-finite.js';

describe('countNonFinite', () => {
  it('is 0 for finite values, including the extremes and negative zero', () => {
    expect(countNonFinite(new Float32Array([0, -0, 3.4028234663852886e38, -3.4028234663852886e38, 1e-45, 1, 2, 3, 4]))).toBe(0);
    expect(countNonFinite(new Float64Array([Number.MAX_VALUE, -Number.MAX_VALUE, 5e-324]))).toBe(0);
    expect(countNonFinite(new Float32Array(0))).toBe(0);
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])('finds a single bad value at every position of %i values', (n) => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      for (let at = 0; at < n; at++) {
        const values = new Float32Array(n).fill(1.5);
        values[at] = bad;
        expect(countNonFinite(values), `${bad} at ${at} of ${n}`).toBe(1);
        expect(countNonFinite(Float64Array.from(values)), `${bad} at ${at} of ${n} (float64)`).toBe(1);
      }
    }
  });

  it('counts every bad value, and infinities of both signs together (whose sum would be NaN)', () => {
    const values = new Float32Array(103).fill(-2);
    const bad = [0, 5, 6, 50, 99, 100, 101, 102];
    bad.forEach((at, i) => (values[at] = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY][i % 3]));
    expect(countNonFinite(values)).toBe(bad.length);
  });
});

// The agreement metrics of `vit verify --precision int8` (src/app/agreement.ts), on logit vectors
// small enough to work out by hand.

import { describe, expect, it } from 'vitest';
import { DEFAULT_AGREEMENT_RULE, measureAgreement } from '../../src/app/agreement.js';

const f32 = (...rows: number[][]) => new Float32Array(rows.flat());

describe('measureAgreement', () => {
  // image 0: identical; image 1: the top two classes swapped.
  const reference = f32([6, 5, 4, 3, 2, 1], [0, 0, 0, 0, 3, 4]);
  const ours = f32([6, 5, 4, 3, 2, 1], [0, 0, 0, 0, 4, 3]);

  it('per image: cosine, max |Δ|, top-1, top-5 overlap, top-1 in top-5', () => {
    const a = measureAgreement(ours, reference, 2);
    expect(a.samples[0]).toEqual({ cosine: 1, maxAbsDiff: 0, top1Same: true, top5Overlap: 1, top1InTop5: true });
    // (0,0,0,0,4,3).(0,0,0,0,3,4) = 24, both norms 5: cosine 24/25. Top-5 sets are {5,4,0,1,2} (ties: lower index first) on both sides.
    expect(a.samples[1]).toEqual({ cosine: 24 / 25, maxAbsDiff: 1, top1Same: false, top5Overlap: 1, top1InTop5: true });
  });

  it('over the batch: fractions, min and mean cosine, max |Δ|', () => {
    const a = measureAgreement(ours, reference, 2);
    expect(a.top1Agreement).toBe(0.5);
    expect(a.top5Overlap).toBe(1);
    expect(a.top1InTop5).toBe(1);
    expect(a.minCosine).toBe(0.96);
    expect(a.meanCosine).toBeCloseTo(0.98, 15);
    expect(a.maxAbsDiff).toBe(1);
  });

  it('passes when every cosine reaches the rule (equal counts), fails below it', () => {
    expect(DEFAULT_AGREEMENT_RULE.minCosine).toBe(0.999);
    expect(measureAgreement(ours, reference, 2).passed).toBe(false);
    expect(measureAgreement(ours, reference, 2, { minCosine: 0.96 }).passed).toBe(true);
    expect(measureAgreement(ours, reference, 2, { minCosine: 0.9600001 }).passed).toBe(false);
    expect(measureAgreement(ours, reference, 2, { minCosine: 0.96 }).rule).toEqual({ minCosine: 0.96 });
  });

  it('counts a partial top-5 overlap, and a reference top-1 that fell out of our top 5', () => {
    // Our top 5 [0,1,2,3,6] vs the reference's [0,1,2,3,4]: 4 of 5; class 0 stays first.
    const partial = measureAgreement(f32([10, 9, 8, 7, 0, 5, 6]), f32([10, 9, 8, 7, 6, 5, 0]), 1);
    expect(partial.samples[0]).toMatchObject({ top1Same: true, top5Overlap: 0.8, top1InTop5: true });
    // Reference top 5 [0,6,5,4,3], ours [6,5,4,3,2]: 4 of 5, and the reference's top-1 (0) is not in ours.
    const lost = measureAgreement(f32([0, 1, 2, 3, 4, 5, 6]), f32([9, 1, 2, 3, 4, 5, 6]), 1);
    expect(lost.samples[0]).toMatchObject({ top1Same: false, top5Overlap: 0.8, top1InTop5: false });
    // dot 91, |ours|^2 91, |ref|^2 172
    expect(lost.samples[0].cosine).toBeCloseTo(Math.sqrt(91 / 172), 12);
    expect(lost.top1InTop5).toBe(0);
  });

  it('uses all classes as the top-k when there are fewer than five', () => {
    const a = measureAgreement(f32([3, 2, 1]), f32([1, 2, 3]), 1);
    expect(a.samples[0]).toEqual({ cosine: 10 / 14, maxAbsDiff: 2, top1Same: false, top5Overlap: 1, top1InTop5: true });
  });

  it('fails a zero or non-finite logit vector (no direction to agree with)', () => {
    expect(measureAgreement(f32([0, 0, 0]), f32([1, 2, 3]), 1).passed).toBe(false);
    expect(measureAgreement(f32([NaN, 2, 3]), f32([1, 2, 3]), 1).passed).toBe(false);
    expect(measureAgreement(f32([Infinity, 2, 3]), f32([1, 2, 3]), 1).passed).toBe(false);
  });
});

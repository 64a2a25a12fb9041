// Agreement of a lower-precision run (int8) with the float reference, per image and over a batch:
// the numbers `vit verify --precision int8` reports and its PASS rule. Quantization moves every
// logit a little, so elementwise tolerances (compare-outputs.ts) are the wrong question; these ask
// whether the logit vector points the same way and the ranking survives.
//
//   cosine         cos(ours, reference) of each image's logit vector (float64 sums)
//   top-1          the image's top-1 class is the reference's top-1
//   top-5 overlap  |top5(ours) ∩ top5(reference)| / 5, the same five classes in any order
//                  (k = min(5, classes))
//   top-1 in top-5 the reference's top-1 class is among our top 5
//   max |Δlogit|   the largest absolute logit difference
// PASS: every image's cosine >= minCosine (default 0.999). Ranks are reported, not ruled on: two
// classes whose reference logits differ by less than the quantization noise may swap, on random
// fixture weights as on real models, without the run being wrong.

import { compareOutputs, DEFAULT_AGREEMENT_RULE, DEFAULT_TOLERANCE, type AgreementRule } from './compare-outputs.js';
import { topIndices } from './predictions.js';

export { DEFAULT_AGREEMENT_RULE, type AgreementRule };

export const TOP_K = 5;

export interface SampleAgreement {
  cosine: number;
  maxAbsDiff: number;
  top1Same: boolean;
  /** Fraction of the reference's top-5 classes that are in ours (order ignored). */
  top5Overlap: number;
  top1InTop5: boolean;
}

export interface Agreement {
  samples: SampleAgreement[];
  /** Fraction of images whose top-1 class is the reference's. */
  top1Agreement: number;
  /** Mean over images of the top-5 set overlap. */
  top5Overlap: number;
  /** Fraction of images whose reference top-1 is in our top 5. */
  top1InTop5: number;
  minCosine: number;
  meanCosine: number;
  maxAbsDiff: number;
  rule: AgreementRule;
  passed: boolean;
}

/** Agreement of [batch][classes] logits with the reference's. */
export function measureAgreement(ours: Float32Array, reference: Float32Array, batch: number, rule: AgreementRule = DEFAULT_AGREEMENT_RULE): Agreement {
  const compared = compareOutputs(ours, reference, batch, DEFAULT_TOLERANCE);
  const width = ours.length / batch;
  const samples = compared.samples.map((s, b): SampleAgreement => {
    const row = (a: Float32Array) => a.subarray(b * width, (b + 1) * width);
    const top = topIndices(row(ours), TOP_K);
    const refTop = topIndices(row(reference), TOP_K);
    return {
      cosine: s.cosine,
      maxAbsDiff: s.maxAbsDiff,
      top1Same: s.top1Agrees,
      top5Overlap: refTop.filter((c) => top.includes(c)).length / refTop.length,
      top1InTop5: top.includes(refTop[0]),
    };
  });
  const mean = (values: number[]) => values.reduce((a, v) => a + v, 0) / values.length;
  const cosines = samples.map((s) => s.cosine);
  return {
    samples,
    top1Agreement: mean(samples.map((s) => (s.top1Same ? 1 : 0))),
    top5Overlap: mean(samples.map((s) => s.top5Overlap)),
    top1InTop5: mean(samples.map((s) => (s.top1InTop5 ? 1 : 0))),
    minCosine: Math.min(...cosines),
    meanCosine: mean(cosines),
    maxAbsDiff: compared.maxAbsDiff,
    rule,
    // NaN (a zero or non-finite logit vector) is no agreement: `>=` is false for it.
    passed: cosines.every((c) => c >= rule.minCosine),
  };
}

// Comparing our outputs with reference outputs (PyTorch's): the numbers `vit verify` reports.

import { topIndices } from './predictions.js';

export interface Tolerance {
  /** Absolute tolerance. */
  atol: number;
  /** Relative tolerance: an element passes when |ours - ref| <= atol + rtol * |ref| (numpy.allclose). */
  rtol: number;
}

/** Default: float32 reordering across ~12 blocks moves logits of magnitude ~10 by ~1e-5; bugs move them by >= 1e-3. */
export const DEFAULT_TOLERANCE: Tolerance = { atol: 1e-4, rtol: 1e-4 };

/** What an approximate (int8) run is judged by instead of a tolerance: agreement.ts measures it. */
export interface AgreementRule {
  /** The smallest per-image logit cosine with the reference that passes. */
  minCosine: number;
}

/** The PASS rule of `vit verify --precision int8` (README "int8 agreement" gives the measured numbers). */
export const DEFAULT_AGREEMENT_RULE: AgreementRule = { minCosine: 0.999 };

export interface SampleComparison {
  maxAbsDiff: number;
  maxRelDiff: number;
  cosine: number;
  top1Agrees: boolean;
  /** The same five classes in the same order. */
  top5Agrees: boolean;
  withinTolerance: boolean;
}

export interface OutputComparison {
  samples: SampleComparison[];
  maxAbsDiff: number;
  maxRelDiff: number;
  minCosine: number;
  top1Agreement: number; // fraction of samples
  top5Agreement: number;
  withinTolerance: boolean;
}

/** Compare [batch][width] outputs sample by sample. */
export function compareOutputs(ours: Float32Array, reference: Float32Array, batch: number, tolerance: Tolerance): OutputComparison {
  if (ours.length !== reference.length || ours.length % batch !== 0) {
    throw new RangeError(`compareOutputs: ${ours.length} vs ${reference.length} values for ${batch} samples`);
  }
  const width = ours.length / batch;
  const samples: SampleComparison[] = [];
  for (let b = 0; b < batch; b++) {
    samples.push(compareSample(ours.subarray(b * width, (b + 1) * width), reference.subarray(b * width, (b + 1) * width), tolerance));
  }
  return {
    samples,
    maxAbsDiff: Math.max(...samples.map((s) => s.maxAbsDiff)),
    maxRelDiff: Math.max(...samples.map((s) => s.maxRelDiff)),
    minCosine: Math.min(...samples.map((s) => s.cosine)),
    top1Agreement: samples.filter((s) => s.top1Agrees).length / batch,
    top5Agreement: samples.filter((s) => s.top5Agrees).length / batch,
    withinTolerance: samples.every((s) => s.withinTolerance),
  };
}

function compareSample(a: Float32Array, b: Float32Array, tolerance: Tolerance): SampleComparison {
  let maxAbs = 0;
  let maxRel = 0;
  let dot = 0;
  let normA = 0;
  let normB = 0;
  let within = true;
  for (let i = 0; i < a.length; i++) {
    const diff = Math.abs(a[i] - b[i]);
    maxAbs = Math.max(maxAbs, diff);
    if (b[i] !== 0) maxRel = Math.max(maxRel, diff / Math.abs(b[i]));
    // A non-finite value on either side fails, even two equal infinities: no tolerance covers them.
    if (!(Number.isFinite(a[i]) && Number.isFinite(b[i]) && diff <= tolerance.atol + tolerance.rtol * Math.abs(b[i]))) within = false;
    dot += a[i] * b[i];
    normA += a[i] * a[i];
    normB += b[i] * b[i];
  }
  const topA = topIndices(a, 5);
  const topB = topIndices(b, 5);
  return {
    maxAbsDiff: maxAbs,
    maxRelDiff: maxRel,
    cosine: dot / Math.sqrt(normA * normB),
    top1Agrees: topA[0] === topB[0],
    top5Agrees: topA.every((v, i) => v === topB[i]),
    withinTolerance: within,
  };
}

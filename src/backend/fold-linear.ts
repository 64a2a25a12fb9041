// A LayerNorm folded into the Linear that reads it (src/vit/fold-norms.ts says why and where):
// W' = W diag(gamma), b' = b + W beta. Its arithmetic, defined here once: the reference backend
// runs this function, and the wasm backend's int8 pack (assembly/pack_i8.ts) repeats it bit for bit.

import type { Precision } from './names.js';

/** The LayerNorm's affine parameters, [inDim] each. */
export interface LinearFold {
  readonly gamma: Float32Array;
  readonly beta: Float32Array;
}

/**
 * In place, for w [rows][D] and bias [rows] (D = gamma's length): each bias[r] += sum_c w[r][c]
 * beta[c], the sum in float64 from bias[r], in column order, rounded to float32 once, with w as
 * given; and each w[r][c] *= gamma[c] in float32. One pass over w.
 */
export function foldLinear(w: Float32Array, bias: Float32Array, { gamma, beta }: LinearFold): void {
  const D = gamma.length;
  if (beta.length !== D || w.length !== bias.length * D) {
    throw new RangeError(`foldLinear: a [${bias.length}][${w.length / bias.length}] weight and a LayerNorm of ${D} (beta ${beta.length})`);
  }
  for (let r = 0, row = 0; r < bias.length; r++, row += D) {
    let sum = bias[r];
    for (let c = 0; c < D; c++) {
      const x = w[row + c];
      sum += x * beta[c];
      w[row + c] = x * gamma[c];
    }
    bias[r] = sum;
  }
}

/** What packLinear checks of a fold: int8 only, with a bias to take beta, and [inDim] values each. */
export function checkFold(backend: string, precision: Precision, inDim: number, bias: Float32Array | null, fold: LinearFold | undefined): void {
  if (fold === undefined) return;
  if (precision !== 'int8') throw new RangeError(`${backend} backend: a LayerNorm fold is for int8 Linears, and this backend is ${precision}`);
  if (bias === null) throw new RangeError(`${backend} backend: a LayerNorm fold needs the Linear's bias, to take beta`);
  if (fold.gamma.length !== inDim || fold.beta.length !== inDim) {
    throw new RangeError(`${backend} backend: a LayerNorm fold of ${fold.gamma.length} and ${fold.beta.length} values for a Linear of ${inDim} inputs`);
  }
}

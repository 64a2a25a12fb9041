// Migrating each block's LayerNorm affine into the Linear that reads it, for int8 inference.
//
// Trained ViTs have a few LayerNorm channels whose gamma (and beta) are tens of times the rest, so
// the LayerNorm output that feeds qkv and fc1 has outlier channels; per-token activation
// quantization spends its whole range on them and rounds every other channel to a few levels.
// The affine part of a LayerNorm is a per-channel scale and shift, which a Linear absorbs exactly:
//   W (gamma * xhat + beta) + b  =  (W diag(gamma)) xhat + (b + W beta)
// so with gamma' = 1, beta' = 0, W' = W diag(gamma) and b' = b + W beta the block computes the same
// function, and the LayerNorm output xhat (zero mean, unit variance per token) has no outlier
// channels left to quantize; the large gamma moves into W's columns, where per-output-channel
// weight quantization only sees it as part of each row's range. Data-free: weights only.
//
// Mathematically the same function, but not bit-identical in float32 (different rounding), which
// is why the loader applies it for int8 only. Left alone:
// - norm1 of a model without a qkv bias: beta would need a bias the checkpoint does not have;
// - the final norm: its output is the model's `features` (timm's pre-logits), which must stay.

import type { VitConfig } from './config.js';
import type { TensorSource } from './weights.js';

/** Which LayerNorm feeds which Linear in block i, when the Linear has a bias to take beta. */
export function foldedNorms(config: VitConfig): { norm: string; linear: string }[] {
  const pairs: { norm: string; linear: string }[] = [];
  for (let i = 0; i < config.depth; i++) {
    if (config.qkvBias) pairs.push({ norm: `blocks.${i}.norm1`, linear: `blocks.${i}.attn.qkv` });
    pairs.push({ norm: `blocks.${i}.norm2`, linear: `blocks.${i}.mlp.fc1` });
  }
  return pairs;
}

/**
 * The same tensors as `source`, with every LayerNorm in foldedNorms(config) folded into its Linear:
 * the norm's weight reads as ones and its bias as zeros, the Linear's weight as W diag(gamma) and its
 * bias as b + W beta (summed in float64 from b, in column order, rounded once).
 * The loader reads a Linear's bias just before its weight (vit/weights.ts), and the bias needs the
 * unscaled W: so the bias's read reads W once, into a buffer reused from Linear to Linear, and in
 * one pass over it sums the bias and scales W; the weight's read that follows copies the buffer.
 * (A weight read on its own, or twice, is read and scaled again: same numbers, only slower.)
 */
export function foldLayerNorms(config: VitConfig, source: TensorSource): TensorSource {
  const D = config.embedDim;
  const byNorm = new Map<string, string>();
  const byLinear = new Map<string, string>();
  for (const { norm, linear } of foldedNorms(config)) {
    byNorm.set(norm, linear);
    byLinear.set(linear, norm);
  }
  const read = (name: string, length: number) => {
    const out = new Float32Array(length);
    source.readInto(name, out);
    return out;
  };
  let buffer = new Float32Array(0);
  /** The module whose scaled weight `buffer` holds, for its weight's read. */
  let scaledFor: string | undefined;
  /** Read `module`'s weight into the buffer and fold gamma into it; with `bias`, beta into that. */
  const foldInto = (module: string, norm: string, rows: number, bias?: Float32Array): Float32Array => {
    if (buffer.length < rows * D) buffer = new Float32Array(rows * D);
    const w = buffer.subarray(0, rows * D);
    source.readInto(`${module}.weight`, w);
    fold(w, read(`${norm}.weight`, D), bias === undefined ? undefined : { bias, beta: read(`${norm}.bias`, D) });
    scaledFor = module;
    return w;
  };
  return {
    readInto(name: string, dest: Float32Array): void {
      const dot = name.lastIndexOf('.');
      const module = name.slice(0, dot);
      const kind = name.slice(dot + 1);
      if (byNorm.has(module)) {
        dest.fill(kind === 'weight' ? 1 : 0);
        return;
      }
      const norm = byLinear.get(module);
      if (norm === undefined) {
        source.readInto(name, dest);
        return;
      }
      if (kind === 'weight') {
        // dest is W [out][D]: W diag(gamma), as the bias's read left it (dest may be shared
        // WebAssembly memory, slower to work in element by element than the buffer).
        const rows = dest.length / D;
        const w = scaledFor === module ? buffer.subarray(0, dest.length) : foldInto(module, norm, rows);
        scaledFor = undefined;
        dest.set(w);
        return;
      }
      // dest is b [out]: b + W beta, with the unscaled W.
      source.readInto(name, dest);
      foldInto(module, norm, dest.length, dest);
    },
  };
}

/**
 * In one pass over w [rows][D]: each bias[r] += sum_c w[r][c] beta[c] (in float64 from bias[r],
 * in column order, rounded once) with w as read, and w[r][c] *= gamma[c] (float32).
 */
function fold(w: Float32Array, gamma: Float32Array, shift?: { bias: Float32Array; beta: Float32Array }): void {
  const D = gamma.length;
  if (shift === undefined) {
    for (let row = 0; row < w.length; row += D) {
      for (let c = 0; c < D; c++) w[row + c] *= gamma[c];
    }
    return;
  }
  const { bias, beta } = shift;
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

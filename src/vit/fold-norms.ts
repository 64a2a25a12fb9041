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

import { foldLinear } from '../backend/fold-linear.js';
import type { VitConfig } from './config.js';
import { readTensor, type TensorSource } from './tensor-source.js';

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
 * the norm's weight reads as ones and its bias as zeros, the Linear's weight and bias as
 * backend/fold-linear.ts's foldLinear makes them (W diag(gamma); b + W beta). A load does not go
 * through this: it asks the backend to fold as it packs (weights.ts, PlaceOptions.foldNorms), on
 * the kernel threads for the wasm backend. This is the fold as tensors, which tests hold the
 * backends' packs to, and which runs a folded model in float32 (the fold keeps the function).
 */
export function foldLayerNorms(config: VitConfig, source: TensorSource): TensorSource {
  const D = config.embedDim;
  const byNorm = new Map<string, string>();
  const byLinear = new Map<string, string>();
  for (const { norm, linear } of foldedNorms(config)) {
    byNorm.set(norm, linear);
    byLinear.set(linear, norm);
  }
  const read = (name: string, length: number) => readTensor(source, name, length);
  /** The Linear's weight [rows][D] and bias [rows], folded. */
  const folded = (module: string, norm: string, rows: number) => {
    const w = read(`${module}.weight`, rows * D);
    const bias = read(`${module}.bias`, rows);
    foldLinear(w, bias, { gamma: read(`${norm}.weight`, D), beta: read(`${norm}.bias`, D) });
    return { w, bias };
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
      const { w, bias } = folded(module, norm, kind === 'weight' ? dest.length / D : dest.length);
      dest.set(kind === 'weight' ? w : bias);
    },
  };
}

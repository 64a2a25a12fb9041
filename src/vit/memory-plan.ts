// How many bytes the arena needs: every parameter (in the backend's layout), every activation
// buffer for `maxBatch` images, and the backend's scratch, each rounded up to the arena's
// alignment. Computed before anything is allocated, so the arena is allocated exactly once.

import { arenaBytesFor } from '../backend/arena.js';
import type { Backend } from '../backend/types.js';
import { tokensOf, type VitConfig } from './config.js';
import { numel, vitParameters, type LinearParameter } from './parameters.js';

export interface ActivationSizes {
  patches: number; // [B][numPatches][C*P*P]
  x: number; // [B][T][D] the residual stream
  xNorm: number; // [B][T][D]
  qkv: number; // [B][T][3D]
  attnOut: number; // [B][T][D]
  hidden: number; // [B][T][H]
  attnScratch: number;
  cls: number; // [B][D]
  features: number; // [B][D]
  logits: number; // [B][classes]
}

export function activationSizes(config: VitConfig, backend: Backend, maxBatch: number): ActivationSizes {
  const T = tokensOf(config);
  const D = config.embedDim;
  const rows = maxBatch * T;
  const patchVector = config.inChans * config.patchSize ** 2;
  return {
    patches: maxBatch * (T - 1) * patchVector,
    x: rows * D,
    xNorm: rows * D,
    qkv: rows * 3 * D,
    attnOut: rows * D,
    hidden: rows * config.mlpHiddenDim,
    attnScratch: backend.attentionScratchFloats(maxBatch, T, config.numHeads),
    cls: maxBatch * D,
    features: maxBatch * D,
    logits: maxBatch * config.numClasses,
  };
}

/** The model's Linear layers and plain parameter vectors, from the parameter table. */
function parameterSizes(config: VitConfig): { linears: LinearParameter[]; vectorFloats: number[] } {
  const params = vitParameters(config);
  return {
    linears: params.filter((p): p is LinearParameter => p.kind === 'linear'),
    vectorFloats: params.flatMap((p) => (p.kind === 'vector' ? [numel(p.shape)] : [])),
  };
}

export function arenaBytes(config: VitConfig, backend: Backend, maxBatch: number): number {
  const { linears, vectorFloats } = parameterSizes(config);
  let bytes = 0;
  for (const l of linears) bytes += arenaBytesFor(backend.linearFloats(l.outDim, l.inDim));
  for (const floats of vectorFloats) bytes += arenaBytesFor(floats);
  for (const floats of Object.values(activationSizes(config, backend, maxBatch))) bytes += arenaBytesFor(floats);
  const largest = linears.reduce((m, l) => (l.outDim * l.inDim > m.outDim * m.inDim ? l : m));
  bytes += arenaBytesFor(backend.scratchFloats(largest.outDim, largest.inDim));
  return bytes;
}

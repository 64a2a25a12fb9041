// How many bytes the arena needs: every parameter (in the backend's layout), every activation
// buffer for `maxBatch` images, and the backend's scratch, each rounded up to the arena's
// alignment. Computed before anything is allocated, so the arena is allocated exactly once.

import { arenaBytesFor } from '../backend/arena.js';
import type { Backend } from '../backend/types.js';
import { tokensOf, type VitConfig } from './config.js';

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

/** The Linear layers of the model as [outDim, inDim], one entry per layer. */
export function linearShapes(config: VitConfig): [number, number][] {
  const { embedDim: D, mlpHiddenDim: H } = config;
  const shapes: [number, number][] = [[D, config.inChans * config.patchSize ** 2]];
  for (let i = 0; i < config.depth; i++) shapes.push([3 * D, D], [D, D], [H, D], [D, H]);
  shapes.push([config.numClasses, D]);
  return shapes;
}

/** Plain parameter vectors (not Linear weights): cls token, position embedding, LayerNorms. */
function vectorParamFloats(config: VitConfig): number[] {
  const D = config.embedDim;
  const sizes = [D, tokensOf(config) * D];
  for (let i = 0; i < 4 * config.depth + 2; i++) sizes.push(D); // norm1/norm2 weight+bias per block, final norm
  return sizes;
}

export function arenaBytes(config: VitConfig, backend: Backend, maxBatch: number): number {
  let bytes = 0;
  for (const [outDim, inDim] of linearShapes(config)) bytes += arenaBytesFor(backend.linearFloats(outDim, inDim));
  for (const floats of vectorParamFloats(config)) bytes += arenaBytesFor(floats);
  for (const floats of Object.values(activationSizes(config, backend, maxBatch))) bytes += arenaBytesFor(floats);
  const largest = linearShapes(config).reduce((m, [o, i]) => (o * i > m[0] * m[1] ? [o, i] : m));
  bytes += arenaBytesFor(backend.scratchFloats(largest[0], largest[1]));
  return bytes;
}

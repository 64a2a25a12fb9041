// Reading a ViT's weights into the arena, driven by the parameter table: each vector straight into
// its arena slice, each Linear handed to the backend to place (and pack) as it prefers. Where the
// numbers come from is the caller's business: anything that can fill a Float32Array by timm name.
// Placing (taking room) and filling are two steps, so that a model's weight bytes can also be
// restored whole from an earlier load (see PackedWeights in model.ts).

import type { Arena, Backend, LinearWeights } from '../backend/types.js';
import type { VitConfig } from './config.js';
import { foldedNorms } from './fold-norms.js';
import { numel, vitParameters } from './parameters.js';
import { readTensor, type TensorSource } from './tensor-source.js';

/** The weights of one encoder block, as the forward pass reads them. */
export interface BlockWeights {
  norm1Weight: Float32Array; // [D]
  norm1Bias: Float32Array; // [D]
  qkv: LinearWeights; // [3D][D] (+ [3D] bias when qkvBias)
  proj: LinearWeights; // [D][D] + [D]
  norm2Weight: Float32Array; // [D]
  norm2Bias: Float32Array; // [D]
  fc1: LinearWeights; // [H][D] + [H]
  fc2: LinearWeights; // [D][H] + [D]
}

/** Every weight of the model, as the forward pass reads them. */
export interface VitWeights {
  patchEmbed: LinearWeights; // conv [D][C][P][P] seen as a Linear [D][C*P*P] + [D]
  clsToken: Float32Array; // [D]
  posEmbed: Float32Array; // [T][D], row 0 for the class token
  blocks: BlockWeights[];
  normWeight: Float32Array; // [D]
  normBias: Float32Array; // [D]
  head?: LinearWeights; // [classes][D] + [classes]; none without a classifier head (numClasses 0)
}

export type { TensorSource } from './tensor-source.js';

export function readVitWeights(config: VitConfig, source: TensorSource, backend: Backend, arena: Arena, options: PlaceOptions = {}): VitWeights {
  const placed = placeVitWeights(config, backend, arena, options);
  placed.fill(source);
  return placed.weights;
}

/** Every weight given its room in the arena (nothing written yet), and how to fill them all from a source. */
export interface PlacedWeights {
  readonly weights: VitWeights;
  /** Read every tensor from `source` into its room (Linears packed by the backend), in the table's order. */
  fill(source: TensorSource): void;
}

export interface PlaceOptions {
  /**
   * Fold each block's LayerNorms into the Linear that reads them (fold-norms.ts; int8 backends
   * only): the backend folds as it packs, and the norms' weights are filled as ones, their biases
   * as zeros.
   */
  foldNorms?: boolean;
}

/** Place every weight in the arena, in the parameter table's order, without writing any. */
export function placeVitWeights(config: VitConfig, backend: Backend, arena: Arena, options: PlaceOptions = {}): PlacedWeights {
  const vectors = new Map<string, Float32Array>();
  const linears = new Map<string, LinearWeights>();
  const fills: Array<(source: TensorSource) => void> = [];
  const pairs = options.foldNorms === true ? foldedNorms(config) : [];
  const foldedNormOf = new Map(pairs.map(({ norm, linear }) => [linear, norm]));
  const identityNorms = new Set(pairs.map(({ norm }) => norm));
  for (const p of vitParameters(config)) {
    if (p.kind === 'vector') {
      const dest = arena.allocF32(numel(p.shape));
      vectors.set(p.name, dest);
      const module = p.name.slice(0, p.name.lastIndexOf('.'));
      if (identityNorms.has(module)) fills.push(() => dest.fill(p.name.endsWith('.weight') ? 1 : 0));
      else fills.push((source) => source.readInto(p.name, dest));
    } else {
      const placed = backend.placeLinear(arena, p.outDim, p.inDim, p.bias);
      linears.set(p.module, placed);
      fills.push((source) => {
        // Biases are small: read them into a temporary array and let the backend place them.
        const bias = p.bias ? readTensor(source, `${p.module}.bias`, p.outDim) : null;
        const norm = foldedNormOf.get(p.module);
        const fold = norm === undefined ? undefined : { gamma: readTensor(source, `${norm}.weight`, p.inDim), beta: readTensor(source, `${norm}.bias`, p.inDim) };
        backend.packLinear(placed, (dest) => source.readInto(`${p.module}.weight`, dest), bias, fold);
      });
    }
  }
  const vec = (name: string) => vectors.get(name)!;
  const lin = (name: string) => linears.get(name)!;
  const blocks: BlockWeights[] = [];
  for (let i = 0; i < config.depth; i++) {
    const b = `blocks.${i}`;
    blocks.push({
      norm1Weight: vec(`${b}.norm1.weight`),
      norm1Bias: vec(`${b}.norm1.bias`),
      qkv: lin(`${b}.attn.qkv`),
      proj: lin(`${b}.attn.proj`),
      norm2Weight: vec(`${b}.norm2.weight`),
      norm2Bias: vec(`${b}.norm2.bias`),
      fc1: lin(`${b}.mlp.fc1`),
      fc2: lin(`${b}.mlp.fc2`),
    });
  }
  const weights: VitWeights = {
    patchEmbed: lin('patch_embed.proj'),
    clsToken: vec('cls_token'),
    posEmbed: vec('pos_embed'),
    blocks,
    normWeight: vec('norm.weight'),
    normBias: vec('norm.bias'),
    head: linears.get('head'),
  };
  return {
    weights,
    fill: (source) => {
      for (const fill of fills) fill(source);
      backend.finishPacking();
    },
  };
}

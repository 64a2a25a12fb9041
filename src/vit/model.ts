// timm's VisionTransformer forward pass (Dosovitskiy et al., "An Image is Worth 16x16 Words"),
// read top to bottom like the paper:
//   patch embed -> prepend class token -> add position embedding -> `depth` pre-norm blocks
//   (x + attn(norm1(x)); x + mlp(norm2(x))) -> final norm -> head on the class token.
// Dropout and drop-path are identity at inference. Only the class token reaches the head, so the
// last block computes queries for the class token alone, attends from it alone and runs proj and
// the MLP on its row: the same numbers as the full block for that row (every op but attention is
// row-independent, and attention's rows are independent queries), ~7% less work.
// All math happens in the backend's ops; this file only decides which op runs on which buffer.
// Every buffer is a view into one arena.
// An explanation (attention rollout) asks forward() for each block's attention probabilities:
// the attention op then also writes them into a buffer allocated on the first such call; without
// the option no op is asked for them and nothing is allocated.

import type { Backend, ColumnRange, LinearWeights } from '../backend/types.js';
import { headDimOf, tokensOf, validateConfig, type VitConfig } from './config.js';
import { activationSizes, arenaBytes, type ActivationSizes } from './memory-plan.js';
import { placeVitWeights, type BlockWeights, type PlaceOptions, type TensorSource, type VitWeights } from './weights.js';

export type Activations = { [K in keyof ActivationSizes]: Float32Array };

export interface ForwardResult {
  /** [batch][numClasses] (empty without a classifier head) */
  logits: Float32Array;
  /** [batch][embedDim]: the class token after the final norm (timm's pre-logits). */
  features: Float32Array;
}

/** One block's attention probabilities, as the forward pass computed them (ForwardOptions.attention). */
export interface BlockAttention {
  /** The block, from 0 (timm's blocks.{layer}). */
  layer: number;
  /** Index in the forward call's batch of the first image here (larger batches run in chunks). */
  firstImage: number;
  images: number;
  heads: number;
  /** Query rows per image and head: every token, but only the class token (1) in the last block. */
  queries: number;
  tokens: number;
  /** [images][heads][queries][tokens]: valid during the call only (the next block reuses it). */
  probs: Float32Array;
}

export interface ForwardOptions {
  /**
   * Told each block's attention probabilities, in block order. Costs a buffer of
   * maxBatch * heads * tokens^2 floats (allocated once, on the first call that asks) and copies.
   */
  attention?: (block: BlockAttention) => void;
}

/** Where a chunk's blocks put their attention probabilities, and who is told about them. */
interface AttentionRecording {
  probs: Float32Array;
  report(layer: number, queries: number): void;
}

/**
 * A model's weight bytes kept from an earlier load (app/weight-cache.ts keeps them in a file): they
 * fill the weight region whole, or decline (then the weights are read from the tensor source).
 */
export interface PackedWeights {
  /**
   * Write the weight region's bytes (`region.byteLength` of them) through `fill` (the backend's
   * fillBytes on the region: it hands out chunks to fill in order) and say whether they are good
   * (complete and checked); on false the model zeroes the region and reads the source instead.
   */
  readInto(region: Uint8Array, fill: (read: (chunk: Uint8Array) => void) => void): boolean;
}

export class VitModel {
  /** The attention probabilities buffer of ForwardOptions.attention, made when first asked for. */
  private probs: Float32Array | undefined;

  constructor(
    readonly config: VitConfig,
    readonly backend: Backend,
    private readonly weights: VitWeights,
    private readonly act: Activations,
    /** Images per forward call that the activations were sized for; larger batches run in chunks. */
    readonly maxBatch: number,
    /**
     * The arena bytes the weights occupy (packed as the backend packs them), first in the arena:
     * what an identical load on the same backend writes, byte for byte.
     */
    readonly weightBytes: Uint8Array = new Uint8Array(0),
    /** Whether the weights came from `packed` rather than from the tensor source. */
    readonly restored = false,
  ) {}

  /**
   * Plan the memory, allocate the backend's arena once, and read every weight from `source` into
   * it (or take them whole from `packed`, when given and good): a model ready to run `maxBatch`
   * images per forward chunk.
   */
  static create(config: VitConfig, backend: Backend, source: TensorSource, maxBatch = 1, packed?: PackedWeights, place: PlaceOptions = {}): VitModel {
    validateConfig(config, 'the model');
    const arena = backend.createArena(arenaBytes(config, backend, maxBatch));
    const placed = placeVitWeights(config, backend, arena, place);
    const weightBytes = new Uint8Array(arena.buffer, arena.byteOffset, arena.usedBytes);
    const restored = packed?.readInto(weightBytes, (read) => backend.fillBytes(weightBytes, read)) === true;
    if (!restored) {
      // A declined restore may have written part of the region: start again from fresh memory's zeros.
      if (packed !== undefined) weightBytes.fill(0);
      placed.fill(source);
    }
    const sizes = activationSizes(config, backend, maxBatch);
    const act = Object.fromEntries(Object.entries(sizes).map(([key, floats]) => [key, arena.allocF32(floats)])) as Activations;
    return new VitModel(config, backend, placed.weights, act, maxBatch, weightBytes, restored);
  }

  /** Logits and features for `batch` images laid out [batch][C][H][W]. */
  forward(input: Float32Array, batch: number, options: ForwardOptions = {}): ForwardResult {
    const { inChans: C, imgSize: S, numClasses, embedDim: D } = this.config;
    const imageFloats = C * S * S;
    if (!Number.isInteger(batch) || batch < 1 || input.length !== batch * imageFloats) {
      throw new RangeError(`forward: expected ${batch} image(s) of [${C}, ${S}, ${S}] (${batch * imageFloats} floats), received ${input.length} floats`);
    }
    const logits = new Float32Array(batch * numClasses);
    const features = new Float32Array(batch * D);
    for (let start = 0; start < batch; start += this.maxBatch) {
      const n = Math.min(this.maxBatch, batch - start);
      this.forwardChunk(input.subarray(start * imageFloats, (start + n) * imageFloats), n, this.recording(options, start, n));
      logits.set(this.act.logits.subarray(0, n * numClasses), start * numClasses);
      features.set(this.act.features.subarray(0, n * D), start * D);
    }
    return { logits, features };
  }

  private forwardChunk(input: Float32Array, batch: number, recording?: AttentionRecording): void {
    const T = tokensOf(this.config);
    const blocks = this.weights.blocks;
    this.embed(input, batch);
    for (let i = 0; i < blocks.length - 1; i++) {
      this.block(blocks[i], batch, recording?.probs);
      recording?.report(i, T);
    }
    const cls = this.classTokens(batch, T);
    if (blocks.length > 0) {
      this.lastBlock(blocks[blocks.length - 1], batch, cls, recording?.probs);
      recording?.report(blocks.length - 1, 1);
    }
    this.head(batch, cls);
  }

  /** The buffer and the callback for ForwardOptions.attention, if it is given. */
  private recording(options: ForwardOptions, firstImage: number, images: number): AttentionRecording | undefined {
    const sink = options.attention;
    if (sink === undefined) return undefined;
    const { numHeads: heads } = this.config;
    const tokens = tokensOf(this.config);
    if (this.probs === undefined) {
      const floats = this.maxBatch * heads * tokens * tokens;
      this.probs = this.backend.createArena(floats * 4 + 64).allocF32(floats);
    }
    const buffer = this.probs;
    return {
      probs: buffer,
      report: (layer, queries) => sink({ layer, firstImage, images, heads, queries, tokens, probs: buffer.subarray(0, images * heads * queries * tokens) }),
    };
  }

  /** x[b] = [cls + pos[0]; patches(b) . W_patch + bias + pos[1:]] */
  private embed(input: Float32Array, batch: number): void {
    const { backend, weights, act } = this;
    const { embedDim: D, inChans: C, imgSize: S, patchSize: P } = this.config;
    const T = tokensOf(this.config);
    const numPatches = T - 1;
    const patchFloats = C * P * P;
    extractPatches(act.patches, input, batch, C, S, P);
    const posPatches = weights.posEmbed.subarray(D, T * D);
    for (let b = 0; b < batch; b++) {
      const tokens = act.x.subarray(b * T * D, (b + 1) * T * D);
      const patches = act.patches.subarray(b * numPatches * patchFloats, (b + 1) * numPatches * patchFloats);
      backend.linear(tokens.subarray(D), patches, weights.patchEmbed, numPatches, { residual: posPatches });
      for (let i = 0; i < D; i++) tokens[i] = weights.clsToken[i] + weights.posEmbed[i];
    }
  }

  /** Pre-norm transformer block: x = x + proj(attn(norm1(x))); x = x + fc2(gelu(fc1(norm2(x)))). */
  private block(w: BlockWeights, batch: number, probs?: Float32Array): void {
    const { backend, act } = this;
    const T = tokensOf(this.config);
    const rows = batch * T;
    this.normAndQkv(w, rows);
    backend.attention(act.attnOut, act.qkv, batch, T, this.config.numHeads, headDimOf(this.config), act.attnScratch, T, probs);
    backend.linear(act.x, act.attnOut, w.proj, rows, { residual: act.x });
    this.mlp(w, act.x, rows);
  }

  /**
   * The last block for the class tokens only: every token is still normed and projected to keys
   * and values, but only the class token gets a query and attends, and proj and the MLP run on
   * its row. `cls` [batch][D] holds the class tokens of x on entry and the block's output for them
   * on exit.
   */
  private lastBlock(w: BlockWeights, batch: number, cls: Float32Array, probs?: Float32Array): void {
    const { backend, act } = this;
    const T = tokensOf(this.config);
    const D = this.config.embedDim;
    // qkv's columns are [q | k | v]: k and v for every token, then q for each class token.
    this.normAndQkv(w, batch * T, { start: D, end: 3 * D });
    for (let b = 0; b < batch; b++) {
      const row = b * T;
      backend.linear(act.qkv.subarray(row * 3 * D), act.xNorm.subarray(row * D), w.qkv, 1, undefined, { start: 0, end: D });
    }
    const attnOut = act.attnOut.subarray(0, cls.length);
    backend.attention(attnOut, act.qkv, batch, T, this.config.numHeads, headDimOf(this.config), act.attnScratch, 1, probs);
    backend.linear(cls, attnOut, w.proj, batch, { residual: cls });
    this.mlp(w, cls, batch);
  }

  /** qkv = norm1(x) . W_qkv for every token (only the given columns of qkv, if any). */
  private normAndQkv(w: BlockWeights, rows: number, columns?: ColumnRange): void {
    const { backend, act } = this;
    const { embedDim: D, layerNormEps: eps } = this.config;
    backend.layerNorm(act.xNorm, act.x, w.norm1Weight, w.norm1Bias, rows, D, eps);
    backend.linear(act.qkv, act.xNorm, w.qkv, rows, undefined, columns);
  }

  /** x = x + fc2(gelu(fc1(norm2(x)))) on the first `rows` rows of `x` (in place). */
  private mlp(w: BlockWeights, x: Float32Array, rows: number): void {
    const { backend, act } = this;
    const { embedDim: D, layerNormEps: eps } = this.config;
    const xNorm = act.xNorm.subarray(0, rows * D);
    backend.layerNorm(xNorm, x, w.norm2Weight, w.norm2Bias, rows, D, eps);
    backend.linear(act.hidden, xNorm, w.fc1, rows, { gelu: true });
    backend.linear(x, act.hidden, w.fc2, rows, { residual: x });
  }

  /** The class token of each image, copied out of the residual stream into act.cls [batch][D]. */
  private classTokens(batch: number, T: number): Float32Array {
    const { act } = this;
    const D = this.config.embedDim;
    for (let b = 0; b < batch; b++) act.cls.set(act.x.subarray(b * T * D, b * T * D + D), b * D);
    return act.cls.subarray(0, batch * D);
  }

  /** features = norm(cls); logits = head(features). */
  private head(batch: number, cls: Float32Array): void {
    const { backend, weights, act } = this;
    const D = this.config.embedDim;
    backend.layerNorm(act.features, cls, weights.normWeight, weights.normBias, batch, D, this.config.layerNormEps);
    if (weights.head !== undefined) backend.linear(act.logits, act.features, weights.head, batch);
  }
}

/**
 * Unfold images [B][C][S][S] into patch vectors [B][numPatches][C*P*P], patches in row-major
 * grid order and each vector in (channel, row, column) order: the layout in which the
 * patch-embedding conv (kernel = stride = P) is exactly a Linear on flattened patches.
 */
export function extractPatches(out: Float32Array, input: Float32Array, batch: number, C: number, S: number, P: number): void {
  const grid = S / P;
  let o = 0;
  for (let b = 0; b < batch; b++) {
    for (let py = 0; py < grid; py++) {
      for (let px = 0; px < grid; px++) {
        for (let c = 0; c < C; c++) {
          for (let ky = 0; ky < P; ky++) {
            const row = ((b * C + c) * S + py * P + ky) * S + px * P;
            for (let kx = 0; kx < P; kx++) out[o++] = input[row + kx];
          }
        }
      }
    }
  }
}

// Attention rollout (Abnar & Zuidema 2020, "Quantifying Attention Flow in Transformers") and raw
// class-token attention, from the probabilities the forward pass records (VitModel.forward's
// `attention` option). Pure: no I/O.
//
// Each block l mixes tokens by its head-averaged attention A_l and keeps the residual stream, so
// its token-to-token flow is taken as R_l = 0.5 A_l + 0.5 I with rows renormalized to sum 1. The
// rollout over blocks 1..L is R_L ... R_1, and what reaches the classifier is its class-token row:
//   e_cls^T R_L R_{L-1} ... R_1 = ((r_L R_{L-1}) R_{L-2}) ... R_1,   r_L = R_L's class-token row,
// computed in that order: the last block needs only its class-token row (all the model computes
// there) and each step is a vector times a matrix, L T^2 rather than L T^3 multiply-adds.

import type { BlockAttention } from '../../vit/model.js';

/** What to explain: the rollout over every block, or one block's raw class-token attention. */
export type ExplainTarget =
  | { kind: 'rollout' }
  /** Block `layer` (from 0, timm's blocks.{layer}); one head (from 0), or the mean of all heads when absent. */
  | { kind: 'attention'; layer: number; head?: number };

/**
 * R = 0.5 A + 0.5 I on the first `rows` rows of a [rows][tokens] attention (A averaged over
 * heads, rows indexed from token 0), each row renormalized to sum 1. In place.
 */
export function addResidual(a: Float64Array, rows: number, tokens: number): Float64Array {
  for (let i = 0; i < rows; i++) {
    const row = a.subarray(i * tokens, (i + 1) * tokens);
    let sum = 0;
    for (let j = 0; j < tokens; j++) {
      row[j] = 0.5 * row[j] + (i === j ? 0.5 : 0);
      sum += row[j];
    }
    for (let j = 0; j < tokens; j++) row[j] /= sum;
  }
  return a;
}

/**
 * One image's [rows][tokens] attention from a block's probabilities: head `head`, or the mean over
 * heads when it is undefined (in double precision).
 */
export function imageAttention(block: BlockAttention, image: number, head?: number): Float64Array {
  const { heads, queries, tokens, probs } = block;
  const plane = queries * tokens;
  const out = new Float64Array(plane);
  const first = head ?? 0;
  const last = head ?? heads - 1;
  for (let h = first; h <= last; h++) {
    const base = (image * heads + h) * plane;
    for (let k = 0; k < plane; k++) out[k] += probs[base + k];
  }
  const count = last - first + 1;
  if (count > 1) for (let k = 0; k < plane; k++) out[k] /= count;
  return out;
}

/** v R for a [tokens] vector and a [tokens][tokens] matrix. */
function vectorTimesMatrix(v: Float64Array, r: Float64Array, tokens: number): Float64Array {
  const out = new Float64Array(tokens);
  for (let i = 0; i < tokens; i++) {
    const vi = v[i];
    if (vi === 0) continue;
    const row = i * tokens;
    for (let j = 0; j < tokens; j++) out[j] += vi * r[row + j];
  }
  return out;
}

/**
 * The class-token row of R_L ... R_1, given R_1 ... R_{L-1} as [tokens][tokens] matrices and R_L's
 * class-token row (the residual already added to all of them, see addResidual).
 */
export function rolloutClassRow(blocks: readonly Float64Array[], lastClassRow: Float64Array, tokens: number): Float64Array {
  let v = lastClassRow;
  for (let l = blocks.length - 1; l >= 0; l--) v = vectorTimesMatrix(v, blocks[l], tokens);
  return v;
}

/**
 * Gathers what `target` needs from one image's blocks as the forward pass reports them (only
 * that: a block's [T][T] matrix is kept for the rollout alone), then gives the class-token row
 * over the patch tokens (the class token's own entry dropped): the grid, row-major.
 */
export class ClassAttention {
  private readonly blocks: Float64Array[] = [];
  private lastRow: Float64Array | undefined;
  private row: Float64Array | undefined;

  constructor(
    readonly target: ExplainTarget,
    /** Index of the image in the forward call's batch. */
    readonly image = 0,
  ) {}

  /** The sink for ForwardOptions.attention. */
  readonly record = (block: BlockAttention): void => {
    const image = this.image - block.firstImage;
    if (image < 0 || image >= block.images) return;
    const { target } = this;
    if (target.kind === 'attention') {
      // Row 0 of the block's attention is the class token's, in every block.
      if (block.layer === target.layer) this.row = imageAttention(block, image, target.head).slice(0, block.tokens);
      return;
    }
    const a = addResidual(imageAttention(block, image), block.queries, block.tokens);
    if (block.queries === block.tokens) this.blocks.push(a);
    else this.lastRow = a.subarray(0, block.tokens); // the last block: the class token's row only
  };

  /** The class token's attention to each patch token, [tokens - 1]. */
  patchRow(): Float64Array {
    const row = this.target.kind === 'rollout' ? this.rollout() : this.row;
    if (row === undefined) throw new Error(`explain: block ${(this.target as { layer: number }).layer} reported no attention`);
    return row.subarray(1);
  }

  private rollout(): Float64Array | undefined {
    if (this.lastRow === undefined) return undefined;
    return rolloutClassRow(this.blocks, this.lastRow, this.lastRow.length);
  }
}

// The reference backend: the plain TypeScript kernels on an ArrayBuffer arena. Always available,
// slow, and the oracle that faster backends are tested against (`--backend ref`).

import { BumpArena } from '../arena.js';
import { checkProbs, checkQueries, resolveColumns } from '../op-args.js';
import type { Arena, Backend, ColumnRange, LinearEpilogue, LinearWeights } from '../types.js';
import { attentionForward, layerNormForward, linearForward } from './kernels.js';

interface ReferenceLinear extends LinearWeights {
  readonly weight: Float32Array; // [outDim][inDim]
  readonly bias: Float32Array | null; // [outDim]
}

export class ReferenceBackend implements Backend {
  readonly name = 'ref';
  /** One Float32Array: V8's largest typed array (2^32 elements on 64-bit Node). */
  readonly maxArenaBytes = 2 ** 32 * 4;

  createArena(bytes: number): Arena {
    return new BumpArena(new ArrayBuffer(bytes));
  }

  linearFloats(outDim: number, inDim: number): number {
    return outDim * inDim + outDim;
  }

  scratchFloats(): number {
    return 0;
  }

  prepareLinear(
    arena: Arena,
    outDim: number,
    inDim: number,
    fill: (dest: Float32Array) => void,
    bias: Float32Array | null,
  ): LinearWeights {
    const w = this.placeLinear(arena, outDim, inDim, bias !== null);
    this.packLinear(w, fill, bias);
    return w;
  }

  placeLinear(arena: Arena, outDim: number, inDim: number, hasBias: boolean): LinearWeights {
    // One allocation, as linearFloats promised the memory plan: weight then bias.
    const block = arena.allocF32(this.linearFloats(outDim, inDim));
    const prepared: ReferenceLinear = {
      outDim,
      inDim,
      weight: block.subarray(0, outDim * inDim),
      bias: hasBias ? block.subarray(outDim * inDim) : null,
    };
    return prepared;
  }

  packLinear(w: LinearWeights, fill: (dest: Float32Array) => void, bias: Float32Array | null): void {
    const { weight, bias: ownBias } = w as ReferenceLinear;
    if ((bias === null) !== (ownBias === null)) throw new Error('reference backend: packLinear: bias given for a Linear placed without one, or the reverse');
    fill(weight);
    if (bias !== null) ownBias?.set(bias);
  }

  linear(
    out: Float32Array,
    x: Float32Array,
    w: LinearWeights,
    rows: number,
    epilogue?: LinearEpilogue,
    columns?: ColumnRange,
  ): void {
    const { weight, bias, outDim, inDim } = w as ReferenceLinear;
    const { start, end } = resolveColumns(this.name, columns, outDim);
    linearForward(out, x, weight, bias, rows, outDim, inDim, epilogue?.gelu === true, epilogue?.residual ?? null, start, end);
  }

  layerNorm(
    out: Float32Array,
    x: Float32Array,
    gamma: Float32Array,
    beta: Float32Array,
    rows: number,
    dim: number,
    eps: number,
  ): void {
    layerNormForward(out, x, gamma, beta, rows, dim, eps);
  }

  attentionScratchFloats(_batch: number, tokens: number): number {
    return tokens;
  }

  attention(
    out: Float32Array,
    qkv: Float32Array,
    batch: number,
    tokens: number,
    heads: number,
    headDim: number,
    scratch: Float32Array,
    queries = tokens,
    probs?: Float32Array,
  ): void {
    checkQueries(this.name, queries, tokens);
    checkProbs(this.name, probs, batch * heads * queries * tokens);
    attentionForward(out, qkv, batch, tokens, heads, headDim, scratch, queries, probs ?? null);
  }

  dispose(): void {}
}

// The reference backend: the plain TypeScript kernels on an ArrayBuffer arena. Always available,
// slow, and the oracle that faster backends are tested against (`--backend ref`).

import { BumpArena } from '../arena.js';
import { checkFold, foldLinear, type LinearFold } from '../fold-linear.js';
import { resolveInt8Attention, type Int8AttentionMode, type Precision } from '../names.js';
import { checkProbs, checkQueries, resolveColumns } from '../op-args.js';
import { INT8_MAX_IN_DIM, quantizeWeights, type QuantizedWeights } from '../quantize.js';
import type { Arena, Backend, ColumnRange, LinearEpilogue, LinearWeights } from '../types.js';
import { countNonFinite } from '../../util/non-finite.js';
import { attentionForward, attentionInt8Forward, Int8AttentionScratch, layerNormForward, linearForward, linearInt8Forward } from './kernels.js';

interface ReferenceLinear extends LinearWeights {
  readonly weight: Float32Array; // [outDim][inDim]
  readonly bias: Float32Array | null; // [outDim]
}

interface ReferenceInt8Linear extends LinearWeights {
  readonly quantized: QuantizedWeights;
  readonly bias: Float32Array | null; // [outDim]
}

/** Bytes per chunk of fillBytes. */
const FILL_CHUNK_BYTES = 4 * 2 ** 20;

export class ReferenceBackend implements Backend {
  readonly name = 'ref';
  /** One Float32Array: V8's largest typed array (2^32 elements on 64-bit Node). */
  readonly maxArenaBytes = 2 ** 32 * 4;
  /** One quantized row of x (int8 linear), grown to the largest inDim seen. */
  private qRow = new Uint8Array(0);
  /** int8 attention's buffers, grown to the largest tokens and headDim seen. */
  private attentionScratch = new Int8AttentionScratch(0, 0);
  /** Which attention matmuls run in int8 (src/backend/quantize-attention.ts). */
  readonly int8Attention: Int8AttentionMode;

  constructor(
    readonly precision: Precision = 'fp32',
    int8Attention?: Int8AttentionMode,
  ) {
    this.int8Attention = resolveInt8Attention(precision, int8Attention);
  }

  createArena(bytes: number): Arena {
    return new BumpArena(new ArrayBuffer(bytes));
  }

  linearFloats(outDim: number, inDim: number): number {
    // int8: the weight's bytes, then scale, row sum and bias per output channel.
    if (this.precision === 'int8') return Math.ceil((outDim * inDim) / 4) + 3 * outDim;
    return outDim * inDim + outDim;
  }

  scratchFloats(): number {
    return 0;
  }

  placeLinear(arena: Arena, outDim: number, inDim: number, hasBias: boolean): LinearWeights {
    if (this.precision === 'int8') return this.placeInt8Linear(arena, outDim, inDim, hasBias);
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

  packLinear(w: LinearWeights, fill: (dest: Float32Array) => void, bias: Float32Array | null, fold?: LinearFold): void {
    const { bias: ownBias } = w as ReferenceLinear | ReferenceInt8Linear;
    if ((bias === null) !== (ownBias === null)) throw new Error('reference backend: packLinear: bias given for a Linear placed without one, or the reverse');
    checkFold(this.name, this.precision, w.inDim, bias, fold);
    if ('quantized' in w) {
      // Quantize the weight once (src/backend/quantize.ts): the float32 copy is staged outside the arena and dropped.
      const staged = new Float32Array(w.outDim * w.inDim);
      fill(staged);
      if (fold !== undefined && bias !== null) {
        bias = Float32Array.from(bias); // the caller's stays as given
        foldLinear(staged, bias, fold);
      }
      quantizeWeights(staged, w.outDim, w.inDim, (w as ReferenceInt8Linear).quantized);
    } else {
      fill((w as ReferenceLinear).weight);
    }
    if (bias !== null) ownBias?.set(bias);
  }

  finishPacking(): void {
    // packLinear writes everything before it returns.
  }

  countNonFinite(values: Float32Array): number {
    return countNonFinite(values);
  }

  fillBytes(region: Uint8Array, read: (chunk: Uint8Array) => void): void {
    // No threads to copy on: the chunks are the region itself.
    for (let done = 0; done < region.byteLength; done += FILL_CHUNK_BYTES) read(region.subarray(done, Math.min(region.byteLength, done + FILL_CHUNK_BYTES)));
  }

  linear(
    out: Float32Array,
    x: Float32Array,
    w: LinearWeights,
    rows: number,
    epilogue?: LinearEpilogue,
    columns?: ColumnRange,
  ): void {
    const { start, end } = resolveColumns(this.name, columns, w.outDim);
    if ('quantized' in w) {
      const { quantized, bias, outDim, inDim } = w as ReferenceInt8Linear;
      if (this.qRow.length < inDim) this.qRow = new Uint8Array(inDim);
      linearInt8Forward(out, x, quantized, bias, rows, outDim, inDim, this.qRow, epilogue?.gelu === true, epilogue?.residual ?? null, start, end);
      return;
    }
    const { weight, bias, outDim, inDim } = w as ReferenceLinear;
    linearForward(out, x, weight, bias, rows, outDim, inDim, epilogue?.gelu === true, epilogue?.residual ?? null, start, end);
  }

  /** An int8 Linear's room: the weight's bytes, then scale, row sum and bias per output channel (filled by packLinear). */
  private placeInt8Linear(arena: Arena, outDim: number, inDim: number, hasBias: boolean): LinearWeights {
    if (inDim > INT8_MAX_IN_DIM) throw new RangeError(`ref backend: an int8 linear takes at most ${INT8_MAX_IN_DIM} inputs, received ${inDim}`);
    const block = arena.allocF32(this.linearFloats(outDim, inDim));
    const qFloats = Math.ceil((outDim * inDim) / 4);
    const quantized: QuantizedWeights = {
      q: new Int8Array(block.buffer, block.byteOffset, outDim * inDim),
      scale: block.subarray(qFloats, qFloats + outDim),
      rowSum: new Int32Array(block.buffer, block.byteOffset + (qFloats + outDim) * 4, outDim),
    };
    const prepared: ReferenceInt8Linear = { outDim, inDim, quantized, bias: hasBias ? block.subarray(qFloats + 2 * outDim, qFloats + 3 * outDim) : null };
    return prepared;
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
    if (this.int8Attention !== 'off') {
      let work = this.attentionScratch;
      if (work.tokens < tokens || work.headDim < headDim) work = this.attentionScratch = new Int8AttentionScratch(Math.max(tokens, work.tokens), Math.max(headDim, work.headDim));
      attentionInt8Forward(out, qkv, { batch, tokens, heads, headDim, queries }, this.int8Attention, work, probs ?? null);
      return;
    }
    attentionForward(out, qkv, batch, tokens, heads, headDim, scratch, queries, probs ?? null);
  }

  dispose(): void {}
}

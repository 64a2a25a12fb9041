// The reference kernels: plain loops that read like the math, accumulating in double precision.
// They are the specification and the test oracle for every faster backend; keep them simple.

import { gelu } from '../../math/erf.js';
import type { Int8AttentionMode } from '../names.js';
import { expF32InPlace, softmaxRowF32, type ExpInPlace } from '../quantize-attention.js';
import { dequantize, quantizeRow, quantizeWeights, type QuantizedWeights } from '../quantize.js';

/**
 * out[r][o] = residual[r][o] + act(bias[o] + sum_i x[r][i] * w[o][i]), act = GELU or identity,
 * for the output columns colStart <= o < colEnd (all by default; out keeps its [rows][outDim] layout)
 * x: [rows][inDim], w: [outDim][inDim] (PyTorch Linear layout), bias: [outDim] or null,
 * residual: [rows][outDim] or null, and it may be `out` itself (each element reads only its own).
 */
export function linearForward(
  out: Float32Array,
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | null,
  rows: number,
  outDim: number,
  inDim: number,
  applyGelu = false,
  residual: Float32Array | null = null,
  colStart = 0,
  colEnd = outDim,
): void {
  for (let r = 0; r < rows; r++) {
    const xRow = r * inDim;
    for (let o = colStart; o < colEnd; o++) {
      const wRow = o * inDim;
      let sum = bias === null ? 0 : bias[o];
      for (let i = 0; i < inDim; i++) sum += x[xRow + i] * w[wRow + i];
      if (applyGelu) sum = gelu(sum);
      const at = r * outDim + o;
      out[at] = residual === null ? sum : residual[at] + sum;
    }
  }
}

/** Row-wise LayerNorm with biased variance, as torch.nn.LayerNorm. `out` may be `x`. */
export function layerNormForward(
  out: Float32Array,
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  rows: number,
  dim: number,
  eps: number,
): void {
  for (let r = 0; r < rows; r++) {
    const base = r * dim;
    let mean = 0;
    for (let i = 0; i < dim; i++) mean += x[base + i];
    mean /= dim;
    let variance = 0;
    for (let i = 0; i < dim; i++) variance += (x[base + i] - mean) ** 2;
    variance /= dim;
    const invStd = 1 / Math.sqrt(variance + eps);
    for (let i = 0; i < dim; i++) out[base + i] = (x[base + i] - mean) * invStd * gamma[i] + beta[i];
  }
}

/** In-place softmax over `n` values starting at `offset`, max-subtracted so large scores cannot overflow exp. */
export function softmaxInPlace(values: Float32Array, offset: number, n: number): void {
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, values[offset + i]);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const e = Math.exp(values[offset + i] - max);
    values[offset + i] = e;
    sum += e;
  }
  for (let i = 0; i < n; i++) values[offset + i] /= sum;
}

/**
 * Multi-head self-attention on fused qkv, one query row at a time:
 *   scores[j] = (q_i . k_j) * headDim^-0.5; p = softmax(scores); out_i = sum_j p[j] v_j
 * qkv: [batch][tokens][3][heads][headDim]; out: [batch][queries][heads*headDim] for the first
 * `queries` tokens of each image; scores: >= tokens floats; probs, when not null:
 * [batch][heads][queries][tokens], receives each p.
 */
export function attentionForward(
  out: Float32Array,
  qkv: Float32Array,
  batch: number,
  tokens: number,
  heads: number,
  headDim: number,
  scores: Float32Array,
  queries = tokens,
  probs: Float32Array | null = null,
): void {
  const dim = heads * headDim;
  const tokenStride = 3 * dim;
  const scale = headDim ** -0.5;
  for (let b = 0; b < batch; b++) {
    const qkvBase = b * tokens * tokenStride;
    for (let h = 0; h < heads; h++) {
      const qOffset = h * headDim;
      const kOffset = dim + h * headDim;
      const vOffset = 2 * dim + h * headDim;
      for (let i = 0; i < queries; i++) {
        const q = qkvBase + i * tokenStride + qOffset;
        for (let j = 0; j < tokens; j++) {
          const k = qkvBase + j * tokenStride + kOffset;
          let dot = 0;
          for (let d = 0; d < headDim; d++) dot += qkv[q + d] * qkv[k + d];
          scores[j] = dot * scale;
        }
        softmaxInPlace(scores, 0, tokens);
        if (probs !== null) probs.set(scores.subarray(0, tokens), ((b * heads + h) * queries + i) * tokens);
        const o = (b * queries + i) * dim + h * headDim;
        for (let d = 0; d < headDim; d++) {
          let sum = 0;
          for (let j = 0; j < tokens; j++) sum += scores[j] * qkv[qkvBase + j * tokenStride + vOffset + d];
          out[o + d] = sum;
        }
      }
    }
  }
}

/**
 * The int8 Linear (src/backend/quantize.ts gives the scheme): each row of x quantized to 7 bits,
 * an exact integer dot product with the int8 weight rows, the float32 dequantization, then GELU
 * and the residual as linearForward. `qRow` is scratch of at least inDim values.
 */
export function linearInt8Forward(
  out: Float32Array,
  x: Float32Array,
  w: QuantizedWeights,
  bias: Float32Array | null,
  rows: number,
  outDim: number,
  inDim: number,
  qRow: Uint8Array,
  applyGelu = false,
  residual: Float32Array | null = null,
  colStart = 0,
  colEnd = outDim,
): void {
  for (let r = 0; r < rows; r++) {
    const { scale, zeroPoint } = quantizeRow(x, r * inDim, inDim, qRow, 0);
    for (let o = colStart; o < colEnd; o++) {
      const wRow = o * inDim;
      let acc = 0;
      for (let i = 0; i < inDim; i++) acc += qRow[i] * w.q[wRow + i];
      acc -= zeroPoint * w.rowSum[o];
      let y = dequantize(acc, scale, w.scale[o], bias === null ? 0 : bias[o]);
      if (applyGelu) y = Math.fround(gelu(y));
      const at = r * outDim + o;
      out[at] = residual === null ? y : Math.fround(residual[at] + y);
    }
  }
}

/** The buffers attentionInt8Forward works in, for up to `tokens` tokens and `headDim` channels. */
export class Int8AttentionScratch {
  readonly keys: Float32Array; // [tokens][headDim]
  readonly valuesT: Float32Array; // [headDim][tokens]
  readonly keysQ: QuantizedWeights;
  readonly valuesQ: QuantizedWeights;
  readonly queryRow: Uint8Array; // [headDim]
  readonly probRow: Uint8Array; // [tokens]
  readonly scores: Float32Array; // [tokens]

  constructor(
    readonly tokens: number,
    readonly headDim: number,
  ) {
    const quantized = (rows: number, cols: number): QuantizedWeights => ({ q: new Int8Array(rows * cols), scale: new Float32Array(rows), rowSum: new Int32Array(rows) });
    this.keys = new Float32Array(tokens * headDim);
    this.valuesT = new Float32Array(headDim * tokens);
    this.keysQ = quantized(tokens, headDim);
    this.valuesQ = quantized(headDim, tokens);
    this.queryRow = new Uint8Array(headDim);
    this.probRow = new Uint8Array(tokens);
    this.scores = new Float32Array(tokens);
  }
}

/**
 * Attention with int8 matmuls (src/backend/quantize-attention.ts gives the scheme), in the
 * layout of attentionForward: 'qk' quantizes Q K^T only, 'qk+pv' P V as well. `exp` is the
 * softmax's exp (a test passes the WASM kernel's own, to compare bit for bit).
 */
export function attentionInt8Forward(
  out: Float32Array,
  qkv: Float32Array,
  shape: { batch: number; tokens: number; heads: number; headDim: number; queries: number },
  mode: Exclude<Int8AttentionMode, 'off'>,
  scratch: Int8AttentionScratch,
  probs: Float32Array | null = null,
  exp: ExpInPlace = expF32InPlace,
): void {
  const { batch, tokens, heads, headDim, queries } = shape;
  const dim = heads * headDim;
  const tokenStride = 3 * dim;
  const scale = Math.fround(headDim ** -0.5);
  const { keys, valuesT, keysQ, valuesQ, queryRow, probRow } = scratch;
  const s = scratch.scores.subarray(0, tokens);
  for (let b = 0; b < batch; b++) {
    const qkvBase = b * tokens * tokenStride;
    for (let h = 0; h < heads; h++) {
      for (let j = 0; j < tokens; j++) {
        const at = qkvBase + j * tokenStride + h * headDim;
        keys.set(qkv.subarray(at + dim, at + dim + headDim), j * headDim);
        for (let d = 0; d < headDim; d++) valuesT[d * tokens + j] = qkv[at + 2 * dim + d];
      }
      quantizeWeights(keys, tokens, headDim, keysQ);
      if (mode === 'qk+pv') quantizeWeights(valuesT, headDim, tokens, valuesQ);
      for (let i = 0; i < queries; i++) {
        const q = quantizeRow(qkv, qkvBase + i * tokenStride + h * headDim, headDim, queryRow, 0);
        for (let j = 0; j < tokens; j++) {
          let acc = 0;
          for (let d = 0; d < headDim; d++) acc += queryRow[d] * keysQ.q[j * headDim + d];
          s[j] = dequantize(acc - q.zeroPoint * keysQ.rowSum[j], q.scale, keysQ.scale[j], 0);
        }
        const inv = softmaxRowF32(s, tokens, scale, exp);
        if (probs !== null) {
          const row = ((b * heads + h) * queries + i) * tokens;
          for (let j = 0; j < tokens; j++) probs[row + j] = s[j] * inv;
        }
        const o = (b * queries + i) * dim + h * headDim;
        if (mode === 'qk+pv') {
          const p = quantizeRow(s, 0, tokens, probRow, 0);
          for (let d = 0; d < headDim; d++) {
            let acc = 0;
            for (let j = 0; j < tokens; j++) acc += probRow[j] * valuesQ.q[d * tokens + j];
            out[o + d] = dequantize(acc - p.zeroPoint * valuesQ.rowSum[d], p.scale, valuesQ.scale[d], 0) * inv;
          }
        } else {
          for (let d = 0; d < headDim; d++) {
            let sum = 0;
            for (let j = 0; j < tokens; j++) sum += s[j] * valuesT[d * tokens + j];
            out[o + d] = sum * inv;
          }
        }
      }
    }
  }
}

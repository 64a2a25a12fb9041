// The wasm backend's int8 attention (assembly/attention_i8.ts, OP_ATTENTION_I8) against the
// reference (src/backend/reference/kernels.ts attentionInt8Forward, the scheme of
// src/backend/quantize-attention.ts), given the kernel's own exp (the test build's exp_n hook):
// the softmax probabilities bit for bit in both modes, the output bit for bit with 'qk+pv' (every
// step is an exact integer sum or a defined float32 step) and within a float32 summation bound
// with 'qk' (P V is the float kernel's, which the reference sums in double). Both builds (the
// relaxed one with each of its int8 dot sequences), 1 and 2 threads; tokens not a multiple of 4
// or of the tile, head dims not a multiple of 4 or 16, batch > 1, query subsets (the last
// block's class token alone), and the probabilities output.
// The reference's own scheme is held close to float32 attention, so it is not an accurate
// description of a wrong thing.

import { describe, expect, it } from 'vitest';
import { createBackend } from '../../src/backend/index.js';
import type { Int8AttentionMode } from '../../src/backend/names.js';
import { ReferenceBackend } from '../../src/backend/reference/backend.js';
import { attentionForward, attentionInt8Forward, Int8AttentionScratch } from '../../src/backend/reference/kernels.js';
import type { WasmBackend } from '../../src/backend/wasm/index.js';
import { INT8_KERNEL_CONFIGS, kernelRoutine, rng, U, useWasmBackend } from './wasm-helpers.js';

type Int8Mode = Exclude<Int8AttentionMode, 'off'>;
const MODES: Int8Mode[] = ['qk', 'qk+pv'];

// [batch, tokens, heads, headDim, queries]
const SHAPES: [number, number, number, number, number][] = [
  [1, 1, 1, 1, 1],
  [1, 2, 1, 3, 2],
  [1, 5, 2, 4, 5],
  [2, 7, 3, 5, 7],
  [1, 13, 2, 16, 13],
  [1, 25, 1, 17, 25],
  [2, 37, 2, 20, 1],
  [1, 50, 3, 33, 23],
  [3, 26, 2, 12, 26],
  [1, 97, 4, 64, 97],
  [2, 197, 2, 64, 1],
];

function randomQkv(batch: number, tokens: number, heads: number, headDim: number, seed: number): Float32Array {
  const random = rng(seed);
  // Keys and queries large enough that the softmax is not flat; a few outliers per row.
  return Float32Array.from({ length: batch * tokens * 3 * heads * headDim }, (_, i) => (random() * 2 - 1) * (i % 29 === 0 ? 6 : 2));
}

function runCase(backend: WasmBackend, mode: Int8Mode, shape: [number, number, number, number, number], seed: number): void {
  const [batch, tokens, heads, headDim, queries] = shape;
  const dim = heads * headDim;
  const qkvData = randomQkv(batch, tokens, heads, headDim, seed);
  const arena = backend.createArena((qkvData.length + 2 * batch * queries * dim + batch * heads * queries * tokens) * 4 + 4096);
  const qkv = arena.allocF32(qkvData.length);
  qkv.set(qkvData);
  const out = arena.allocF32(batch * queries * dim);
  const plain = arena.allocF32(batch * queries * dim);
  const probs = arena.allocF32(batch * heads * queries * tokens);
  const scratch = arena.allocF32(0);
  backend.attention(out, qkv, batch, tokens, heads, headDim, scratch, queries, probs);
  backend.attention(plain, qkv, batch, tokens, heads, headDim, scratch, queries);

  const build = backend.relaxedSimd ? 'relaxed' : 'simd';
  const expected = new Float32Array(out.length);
  const expectedProbs = new Float32Array(probs.length);
  const exp = (values: Float32Array) => values.set(kernelRoutine(build, 'exp_n', values));
  attentionInt8Forward(expected, qkvData, { batch, tokens, heads, headDim, queries }, mode, new Int8AttentionScratch(tokens, headDim), expectedProbs, exp);

  const where = `b${batch} t${tokens} h${heads}x${headDim} q${queries}, ${mode}, ${backend.name} ${backend.tile.rows}x${backend.tile.cols}, ${backend.threads} thread(s)`;
  for (let i = 0; i < probs.length; i++) {
    if (!Object.is(probs[i], expectedProbs[i])) expect.fail(`probs[${i}] = ${probs[i]}, expected ${expectedProbs[i]} (${where})`);
  }
  for (let i = 0; i < out.length; i++) {
    if (!Object.is(plain[i], out[i])) expect.fail(`out[${i}] without probs = ${plain[i]}, with probs ${out[i]} (${where})`);
  }
  for (let i = 0; i < out.length; i++) {
    if (mode === 'qk+pv') {
      if (!Object.is(out[i], expected[i])) expect.fail(`out[${i}] = ${out[i]}, expected ${expected[i]} (${where})`);
      continue;
    }
    // Float32 P V: |error| <= (tokens + 2) u sum_j p_j |v_j| (the sum's rounding, then the scaling).
    const b = Math.floor(i / (queries * dim));
    const q = Math.floor(i / dim) % queries;
    const h = Math.floor((i % dim) / headDim);
    const d = i % headDim;
    let bound = 0;
    for (let j = 0; j < tokens; j++) {
      const p = expectedProbs[((b * heads + h) * queries + q) * tokens + j];
      bound += p * Math.abs(qkvData[(b * tokens + j) * 3 * dim + 2 * dim + h * headDim + d]);
    }
    bound = 2 * (tokens + 2) * U * bound + 1e-30;
    if (!(Math.abs(out[i] - expected[i]) <= bound)) expect.fail(`out[${i}] = ${out[i]}, expected ${expected[i]}, |error| ${Math.abs(out[i] - expected[i])} > ${bound} (${where})`);
  }
}

for (const mode of MODES) {
  describe.each(INT8_KERNEL_CONFIGS)(`wasm int8 attention ${mode} (relaxedSimd $relaxedSimd, int8 dot $int8Dot, $threads thread(s))`, ({ relaxedSimd, threads, int8Dot }) => {
    let backend: WasmBackend;
    useWasmBackend({ relaxedSimd, threads, precision: 'int8', int8Attention: mode, int8Dot }, (created) => (backend = created));

    it('is the backend asked for', () => {
      expect(backend.int8Attention).toBe(mode);
      expect(backend.relaxedSimd).toBe(relaxedSimd);
      expect(backend.int8Dot).toBe(relaxedSimd ? int8Dot : undefined);
    });

    it.each(SHAPES)('batch %i, %i tokens, %i heads x %i, %i queries: the reference', (...shape) => {
      runCase(backend, mode, shape, shape.reduce((a, n) => a * 31 + n, 7));
    });

    it('constant, zero and huge rows', () => {
      const [batch, tokens, heads, headDim] = [1, 11, 2, 6];
      const shape: [number, number, number, number, number] = [batch, tokens, heads, headDim, tokens];
      const arena = backend.createArena(1 << 16);
      const qkv = arena.allocF32(batch * tokens * 3 * heads * headDim);
      qkv.forEach((_, i) => (qkv[i] = i % 5 === 0 ? 0 : i % 7 === 0 ? 3e4 : -1.5));
      const out = arena.allocF32(batch * tokens * heads * headDim);
      backend.attention(out, qkv, batch, tokens, heads, headDim, arena.allocF32(0));
      expect(out.every(Number.isFinite)).toBe(true);
      runCase(backend, mode, shape, 3);
    });
  });
}

describe('int8 attention, the scheme (reference)', () => {
  it.each(MODES)('%s stays close to float32 attention', (mode) => {
    const [batch, tokens, heads, headDim] = [2, 50, 3, 64];
    const qkv = randomQkv(batch, tokens, heads, headDim, 11);
    const want = new Float32Array(batch * tokens * heads * headDim);
    attentionForward(want, qkv, batch, tokens, heads, headDim, new Float32Array(tokens));
    const got = new Float32Array(want.length);
    attentionInt8Forward(got, qkv, { batch, tokens, heads, headDim, queries: tokens }, mode, new Int8AttentionScratch(tokens, headDim));
    let dot = 0, nw = 0, ng = 0, maxErr = 0;
    want.forEach((w, i) => {
      dot += w * got[i];
      nw += w * w;
      ng += got[i] * got[i];
      maxErr = Math.max(maxErr, Math.abs(w - got[i]));
    });
    expect(dot / Math.sqrt(nw * ng)).toBeGreaterThan(0.999);
    expect(maxErr).toBeLessThan(0.2);
  });

  it('the reference backend runs it when asked, float32 attention otherwise', async () => {
    const [batch, tokens, heads, headDim] = [1, 9, 2, 8];
    const qkv = randomQkv(batch, tokens, heads, headDim, 5);
    const outputs = new Map<Int8AttentionMode, Float32Array>();
    for (const mode of ['off', 'qk', 'qk+pv'] as const) {
      const backend = await createBackend('ref', { precision: 'int8', int8Attention: mode });
      expect(backend.int8Attention).toBe(mode);
      const out = new Float32Array(tokens * heads * headDim);
      backend.attention(out, qkv, batch, tokens, heads, headDim, new Float32Array(backend.attentionScratchFloats(batch, tokens, heads)));
      outputs.set(mode, out);
    }
    const float = new Float32Array(tokens * heads * headDim);
    attentionForward(float, qkv, batch, tokens, heads, headDim, new Float32Array(tokens));
    expect(outputs.get('off')).toEqual(float);
    expect(outputs.get('qk')).not.toEqual(float);
    expect(outputs.get('qk+pv')).not.toEqual(outputs.get('qk'));
  });

  it('int8 attention needs precision int8, and a known mode', async () => {
    expect(() => new ReferenceBackend('fp32', 'qk')).toThrow(/int8 attention 'qk' needs precision int8, received precision fp32/);
    await expect(createBackend('wasm', { int8Attention: 'qk+pv' })).rejects.toThrow(/needs precision int8/);
    expect(() => new ReferenceBackend('int8', 'kv' as Int8AttentionMode)).toThrow(/expected one of off, qk, qk\+pv, received kv/);
    expect(new ReferenceBackend('fp32').int8Attention).toBe('off');
  });
});

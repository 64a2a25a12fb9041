// The wasm backend's LayerNorm and attention against the reference kernels, for both kernel
// builds on 1 and 2 threads. Bounds are first-order float32 error bounds (u = 2^-24), derived
// next to each test from the order in which the kernel computes.

import { describe, expect, it } from 'vitest';
import { attentionForward, layerNormForward } from '../../src/backend/reference/kernels.js';
import type { WasmBackend } from '../../src/backend/wasm/index.js';
import { KERNEL_CONFIGS, rng, U, useWasmBackend } from './wasm-helpers.js';


function uniform(n: number, random: () => number, scale = 1, offset = 0): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = offset + scale * (random() * 2 - 1);
  return out;
}

describe.each(KERNEL_CONFIGS)('wasm ops (relaxedSimd $relaxedSimd, $threads thread(s))', ({ relaxedSimd, threads }) => {
  let backend: WasmBackend;
  useWasmBackend({ relaxedSimd, threads }, (created) => (backend = created));
  const label = () => `${backend.name}, ${backend.threads} thread(s)`;

  // LayerNorm: mean and variance are accumulated in double (as in the reference), then
  //   out = fl(fl(fl(x - fl(mean)) * fl(invStd)) * gamma) + beta   in float32.
  // Four roundings of the normalized value n*gamma, the rounding of mean (u|mean| * invStd *
  // |gamma| after scaling), and the rounding of the sum with beta and of the reference:
  //   |out - ref| <= 5u |n gamma| + 2u |mean| invStd |gamma| + 2u (|ref| + |beta|).
  // Rows with a large common offset check that the variance is not computed as E[x^2] - E[x]^2.
  describe('layerNorm', () => {
    const SHAPES: [number, number, number][] = [
      // rows, dim, offset of the values
      [1, 1, 0],
      [1, 3, 0],
      [3, 7, 0],
      [5, 768, 0],
      [37, 13, 100],
      [577, 768, 0],
      [8, 1030, 1000],
    ];
    it.each(SHAPES)('%i rows x %i (offset %i), out-of-place and in place', (rows, dim, offset) => {
      const random = rng(rows * 7919 + dim);
      const x0 = uniform(rows * dim, random, 3, offset);
      const g0 = uniform(dim, random, 2);
      const b0 = uniform(dim, random);
      const eps = 1e-6;
      const ref = new Float32Array(rows * dim);
      layerNormForward(ref, x0, g0, b0, rows, dim, eps);

      let compared = 0;
      for (const inPlace of [false, true]) {
        const arena = backend.createArena((3 * rows * dim + 2 * dim) * 4 + 1024);
        const x = arena.allocF32(rows * dim);
        x.set(x0);
        const gamma = arena.allocF32(dim);
        gamma.set(g0);
        const beta = arena.allocF32(dim);
        beta.set(b0);
        const out = inPlace ? x : arena.allocF32(rows * dim);
        backend.layerNorm(out, x, gamma, beta, rows, dim, eps);
        for (let r = 0; r < rows; r++) {
          let mean = 0;
          for (let i = 0; i < dim; i++) mean += x0[r * dim + i];
          mean /= dim;
          let variance = 0;
          for (let i = 0; i < dim; i++) variance += (x0[r * dim + i] - mean) ** 2;
          const invStd = 1 / Math.sqrt(variance / dim + eps);
          for (let i = 0; i < dim; i++) {
            const at = r * dim + i;
            const ng = Math.abs((x0[at] - mean) * invStd * g0[i]);
            const bound = 5 * U * ng + 2 * U * Math.abs(mean) * invStd * Math.abs(g0[i]) + 2 * U * (Math.abs(ref[at]) + Math.abs(b0[i]));
            const err = Math.abs(out[at] - ref[at]);
            if (!(err <= bound)) {
              expect.fail(`layerNorm ${rows}x${dim}${inPlace ? ' in place' : ''}: out[${r}][${i}] = ${out[at]}, reference ${ref[at]}, |error| ${err} > ${bound} (${label()})`);
            }
            compared++;
          }
        }
      }
      expect(compared).toBe(2 * rows * dim);
    });
  });

  // Attention, per query row i of one (batch, head), the kernel computes s_j = fl(q_i . k_j) (a
  // float32 dot product of headDim terms) times scale, p = softmax(s) with float32 exp (<= 2 ulp)
  // and a float32 sum, then out = sum_j p_j v_j in float32 over `tokens` terms. An absolute error
  // e_s in the scores changes p_j by a relative 2 e_s at most, so with
  //   e_s = (headDim + 2) u scale max_j sum_d |q_d k_jd| + 2u max_j |s_j|   (dot product, roundings)
  //   |out - ref| <= (2 e_s + (1.25 tokens + 16) u) * sum_j p_j |v_jd|      (+ 2^-126)
  // where 1.25 tokens covers the P.V accumulation (tokens terms) and the sum of p in four lanes.
  // Scores of hundreds make e_s, and so the bound, larger: that is float32's own sensitivity.
  describe('attention', () => {
    const SHAPES: [number, number, number, number, number][] = [
      // batch, tokens, heads, headDim, scale of q and k
      [1, 1, 1, 1, 1],
      [1, 2, 1, 4, 1],
      [1, 5, 2, 3, 1],
      [2, 13, 3, 16, 1],
      [2, 31, 4, 12, 1],
      [1, 50, 2, 64, 1],
      [2, 13, 3, 16, 20],
      [1, 50, 2, 64, 16],
      [1, 197, 12, 64, 1],
      [1, 577, 2, 64, 1],
    ];
    it.each(SHAPES)('batch %i, %i tokens, %i heads of %i (q, k scaled by %i)', (batch, tokens, heads, headDim, qkScale) => {
      const dim = heads * headDim;
      const random = rng(batch * 1000 + tokens * 10 + heads + headDim);
      const qkv0 = new Float32Array(batch * tokens * 3 * dim);
      for (let i = 0; i < qkv0.length; i++) {
        const part = Math.floor((i % (3 * dim)) / dim); // 0 q, 1 k, 2 v
        qkv0[i] = (random() * 2 - 1) * (part < 2 ? qkScale : 1);
      }
      const ref = new Float32Array(batch * tokens * dim);
      attentionForward(ref, qkv0, batch, tokens, heads, headDim, new Float32Array(tokens));

      const arena = backend.createArena((qkv0.length + ref.length) * 4 + 1024);
      const qkv = arena.allocF32(qkv0.length);
      qkv.set(qkv0);
      const out = arena.allocF32(ref.length);
      backend.attention(out, qkv, batch, tokens, heads, headDim, arena.allocF32(backend.attentionScratchFloats(batch, tokens, heads)));

      const scale = headDim ** -0.5;
      const ts = 3 * dim;
      let maxScore = 0;
      let compared = 0;
      const s = new Float64Array(tokens);
      for (let b = 0; b < batch; b++) {
        for (let h = 0; h < heads; h++) {
          for (let i = 0; i < tokens; i++) {
            const q = (b * tokens + i) * ts + h * headDim;
            let eDot = 0;
            let sMax = -Infinity;
            let sAbsMax = 0;
            for (let j = 0; j < tokens; j++) {
              const k = (b * tokens + j) * ts + dim + h * headDim;
              let dot = 0;
              let dotAbs = 0;
              for (let d = 0; d < headDim; d++) {
                dot += qkv0[q + d] * qkv0[k + d];
                dotAbs += Math.abs(qkv0[q + d] * qkv0[k + d]);
              }
              s[j] = dot * scale;
              eDot = Math.max(eDot, (headDim + 2) * U * scale * dotAbs);
              sMax = Math.max(sMax, s[j]);
              sAbsMax = Math.max(sAbsMax, Math.abs(s[j]));
            }
            maxScore = Math.max(maxScore, sAbsMax);
            let z = 0;
            for (let j = 0; j < tokens; j++) z += Math.exp(s[j] - sMax);
            const eScores = eDot + 2 * U * sAbsMax;
            const factor = 2 * eScores + (1.25 * tokens + 16) * U;
            for (let d = 0; d < headDim; d++) {
              let weighted = 0;
              for (let j = 0; j < tokens; j++) {
                weighted += (Math.exp(s[j] - sMax) / z) * Math.abs(qkv0[(b * tokens + j) * ts + 2 * dim + h * headDim + d]);
              }
              const at = (b * tokens + i) * dim + h * headDim + d;
              const bound = factor * weighted + 2 ** -126;
              const err = Math.abs(out[at] - ref[at]);
              if (!(err <= bound)) {
                expect.fail(`attention b${batch} t${tokens} h${heads}x${headDim}: out[${b}][${i}][head ${h}][${d}] = ${out[at]}, reference ${ref[at]}, |error| ${err} > ${bound} (${label()})`);
              }
              compared++;
            }
          }
        }
      }
      expect(compared).toBe(batch * tokens * heads * headDim);
      if (qkScale >= 16) expect(maxScore).toBeGreaterThan(100);
    });

    // The model's last block asks for the class token alone (queries = 1). Query columns are
    // independent in the kernel, so the leading rows must be exactly those of the full output.
    const QUERY_SHAPES: [number, number, number, number, number][] = [
      // batch, tokens, heads, headDim, queries
      [1, 1, 1, 4, 1],
      [2, 13, 3, 16, 1],
      [2, 31, 4, 12, 5],
      [1, 50, 2, 64, 13],
      [2, 197, 12, 64, 1],
    ];
    it.each(QUERY_SHAPES)('batch %i, %i tokens, %i heads of %i: the first %i queries equal the full output', (batch, tokens, heads, headDim, queries) => {
      const dim = heads * headDim;
      const arena = backend.createArena(batch * tokens * 5 * dim * 4 + 1024);
      const qkv = arena.allocF32(batch * tokens * 3 * dim);
      qkv.set(uniform(qkv.length, rng(tokens * 7 + queries)));
      const full = arena.allocF32(batch * tokens * dim);
      const some = arena.allocF32(batch * queries * dim);
      const scratch = arena.allocF32(backend.attentionScratchFloats(batch, tokens, heads));
      backend.attention(full, qkv, batch, tokens, heads, headDim, scratch);
      backend.attention(some, qkv, batch, tokens, heads, headDim, scratch, queries);
      const expected = new Float32Array(some.length);
      for (let b = 0; b < batch; b++) {
        expected.set(full.subarray(b * tokens * dim, (b * tokens + queries) * dim), b * queries * dim);
      }
      expect(some).toEqual(expected);

      const ref = new Float32Array(some.length);
      attentionForward(ref, qkv, batch, tokens, heads, headDim, new Float32Array(tokens), queries);
      const refFull = new Float32Array(full.length);
      attentionForward(refFull, qkv, batch, tokens, heads, headDim, new Float32Array(tokens));
      for (let b = 0; b < batch; b++) {
        expect(ref.subarray(b * queries * dim, (b + 1) * queries * dim)).toEqual(refFull.subarray(b * tokens * dim, (b * tokens + queries) * dim));
      }
    });

    // The probabilities an explanation records: asking for them changes no output bit, and each
    // is the float64 softmax within the bound above for the scores and the exp's sum, relative to
    // p itself: |p - p64| <= (2 e_s + (1.25 tokens + 16) u) p64 + 2^-126. Both backends agree.
    const PROBS_SHAPES: [number, number, number, number, number][] = [
      // batch, tokens, heads, headDim, queries
      [1, 1, 1, 4, 1],
      [2, 13, 3, 16, 13],
      [2, 31, 4, 12, 5],
      [1, 50, 2, 64, 1],
      [1, 197, 3, 64, 197],
    ];
    it.each(PROBS_SHAPES)('batch %i, %i tokens, %i heads of %i, %i queries: probs recorded, output unchanged', (batch, tokens, heads, headDim, queries) => {
      const dim = heads * headDim;
      const arena = backend.createArena((batch * tokens * 3 * dim + 2 * batch * queries * dim + batch * heads * queries * tokens) * 4 + 4096);
      const qkv = arena.allocF32(batch * tokens * 3 * dim);
      qkv.set(uniform(qkv.length, rng(tokens * 13 + queries + heads), 2));
      const plain = arena.allocF32(batch * queries * dim);
      const withProbs = arena.allocF32(batch * queries * dim);
      const probs = arena.allocF32(batch * heads * queries * tokens);
      const scratch = arena.allocF32(backend.attentionScratchFloats(batch, tokens, heads));
      backend.attention(plain, qkv, batch, tokens, heads, headDim, scratch, queries);
      backend.attention(withProbs, qkv, batch, tokens, heads, headDim, scratch, queries, probs);
      expect(withProbs).toEqual(plain);

      const refProbs = new Float32Array(probs.length);
      attentionForward(new Float32Array(plain.length), qkv, batch, tokens, heads, headDim, new Float32Array(tokens), queries, refProbs);
      const scale = headDim ** -0.5;
      const ts = 3 * dim;
      const s = new Float64Array(tokens);
      for (let b = 0; b < batch; b++) {
        for (let h = 0; h < heads; h++) {
          for (let i = 0; i < queries; i++) {
            let eDot = 0;
            let sMax = -Infinity;
            let sAbsMax = 0;
            for (let j = 0; j < tokens; j++) {
              let dot = 0;
              let dotAbs = 0;
              for (let d = 0; d < headDim; d++) {
                const x = qkv[(b * tokens + i) * ts + h * headDim + d] * qkv[(b * tokens + j) * ts + dim + h * headDim + d];
                dot += x;
                dotAbs += Math.abs(x);
              }
              s[j] = dot * scale;
              eDot = Math.max(eDot, (headDim + 2) * U * scale * dotAbs);
              sMax = Math.max(sMax, s[j]);
              sAbsMax = Math.max(sAbsMax, Math.abs(s[j]));
            }
            let z = 0;
            for (let j = 0; j < tokens; j++) z += Math.exp(s[j] - sMax);
            const factor = 2 * (eDot + 2 * U * sAbsMax) + (1.25 * tokens + 16) * U;
            for (let j = 0; j < tokens; j++) {
              const exact = Math.exp(s[j] - sMax) / z;
              const at = ((b * heads + h) * queries + i) * tokens + j;
              const bound = factor * exact + 2 ** -126;
              for (const [name, got] of [['wasm', probs[at]], ['ref', refProbs[at]]] as const) {
                if (!(Math.abs(got - exact) <= bound)) {
                  expect.fail(`${name} probs[${b}][${h}][${i}][${j}] = ${got}, float64 ${exact}, |error| ${Math.abs(got - exact)} > ${bound} (${label()})`);
                }
              }
            }
          }
        }
      }
    });

    it('rejects a probs buffer too small for [batch][heads][queries][tokens]', () => {
      const arena = backend.createArena(4096);
      const qkv = arena.allocF32(2 * 3 * 3 * 4);
      const out = arena.allocF32(2 * 3 * 4);
      expect(() => backend.attention(out, qkv, 2, 3, 1, 4, arena.allocF32(0), 3, arena.allocF32(17))).toThrow(/probs has 17 floats, needs 18/);
    });

    it.each([0, 4, 1.5])('rejects %s queries of 3 tokens', (queries) => {
      const arena = backend.createArena(4096);
      const qkv = arena.allocF32(3 * 3 * 4);
      const out = arena.allocF32(3 * 4);
      expect(() => backend.attention(out, qkv, 1, 3, 1, 4, arena.allocF32(0), queries)).toThrow(/bad query count/);
    });
  });
});

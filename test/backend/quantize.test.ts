// The int8 scheme (src/backend/quantize.ts) on inputs whose quantization can be worked out by
// hand: powers of two and multiples of 127 keep every division exact, so each expected value
// below is derived in the comment beside it, not produced by the code under test. Then the
// reference int8 Linear: one hand-computed output, and on random data within the error bound of
// the scheme against the float32 Linear.

import { describe, expect, it } from 'vitest';
import { quantizeRow, quantizeWeights, rint, type QuantizedWeights } from '../../src/backend/quantize.js';
import { ReferenceBackend } from '../../src/backend/reference/backend.js';
import { linearForward, linearInt8Forward } from '../../src/backend/reference/kernels.js';
import { prepareLinear } from '../../src/backend/prepare-linear.js';
import { rng } from './wasm-helpers.js';

function quantizeOneRow(values: number[]): { q: number[]; scale: number; zeroPoint: number } {
  const q = new Uint8Array(values.length);
  const { scale, zeroPoint } = quantizeRow(Float32Array.from(values), 0, values.length, q, 0);
  return { q: [...q], scale, zeroPoint };
}

function quantizeOneWeightRow(values: number[]): { q: number[]; scale: number; rowSum: number } {
  const n = values.length;
  const into: QuantizedWeights = { q: new Int8Array(n), scale: new Float32Array(1), rowSum: new Int32Array(1) };
  quantizeWeights(Float32Array.from(values), 1, n, into);
  return { q: [...into.q], scale: into.scale[0], rowSum: into.rowSum[0] };
}

describe('rint', () => {
  it('rounds half to even, as WebAssembly nearest', () => {
    // (+ 0: the sign of a zero does not matter here)
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -63.5, 63.5, 0.49, 1.51, -2.6].map((v) => rint(v) + 0)).toEqual([0, 2, 2, 0, -2, -64, 64, 0, 2, -3]);
  });
});

describe('activation quantization (per row, 7-bit unsigned with a zero point)', () => {
  it('an all-zero row: scale 1, zero point 0, every value 0', () => {
    expect(quantizeOneRow([0, 0, 0, 0])).toEqual({ q: [0, 0, 0, 0], scale: 1, zeroPoint: 0 });
  });

  it('a constant positive row: the range is [0, c], so every value is 127', () => {
    // c = 127 * 2^-3: scale = c/127 = 2^-3, zero point 0, c/scale = 127.
    expect(quantizeOneRow([15.875, 15.875, 15.875])).toEqual({ q: [127, 127, 127], scale: 0.125, zeroPoint: 0 });
  });

  it('a negative-only row: the range is [lo, 0] and the zero point 127', () => {
    // lo = -127 * 2^-4: scale = 2^-4; -lo/scale = 127; x/scale = -127, -63.5 (-> -64, half to even), -31.75 (-> -32), 0.
    const x = [-127 / 16, -63.5 / 16, -31.75 / 16, 0];
    expect(quantizeOneRow(x)).toEqual({ q: [0, 63, 95, 127], scale: 1 / 16, zeroPoint: 127 });
  });

  it('huge values whose range (hi - lo) overflows float32 still get a finite scale', () => {
    // hi = -lo = 127 * 2^121 (about 3.4e38; hi - lo is not a float32): scale = 2^121 + 2^121 = 2^122;
    // zero point rint(63.5) = 64; hi -> rint(63.5) + 64 = 128, clamped to 127; lo -> -64 + 64 = 0; 0 -> 64.
    const big = 127 * 2 ** 121;
    expect(Math.fround(big)).toBe(big);
    expect(quantizeOneRow([big, -big, 0])).toEqual({ q: [127, 0, 64], scale: 2 ** 122, zeroPoint: 64 });
  });
});

describe('weight quantization (per output channel, symmetric int8)', () => {
  it('an all-zero row: scale 1, values 0, row sum 0', () => {
    expect(quantizeOneWeightRow([0, 0, 0])).toEqual({ q: [0, 0, 0], scale: 1, rowSum: 0 });
  });

  it('scale = max|w| / 127, values rounded half to even, row sum of the integers', () => {
    // max|w| = 127 * 2^-10: scale 2^-10; w/scale = 127, -63.5 (-> -64), 0.5 (-> 0), -127.
    const x = [127, -63.5, 0.5, -127].map((v) => v / 1024);
    expect(quantizeOneWeightRow(x)).toEqual({ q: [127, -64, 0, -127], scale: 1 / 1024, rowSum: -64 });
  });

  it('a negative-only row and huge values', () => {
    // max|w| = 127 * 2^120: scale 2^120; w/scale = -127, -1.5 (-> -2).
    expect(quantizeOneWeightRow([-127 * 2 ** 120, -1.5 * 2 ** 120])).toEqual({ q: [-127, -2], scale: 2 ** 120, rowSum: -129 });
  });
});

describe('reference int8 linear', () => {
  it('one output worked by hand', () => {
    // x = [127, -127, 0] * 2^-7: scale 2^-6, zero point 64, q = [128 -> 127, 0, 64].
    // W = [127, -127, 64] * 2^-5: scale 2^-5, q = [127, -127, 64], row sum 64.
    // acc = 127*127 + 0 + 64*64 - 64*64 = 16129;  y = 16129 * 2^-11 + bias 0.5.
    const backend = new ReferenceBackend('int8');
    const arena = backend.createArena(4096);
    const w = prepareLinear(backend, arena, 1, 3, (d) => d.set([127 / 32, -127 / 32, 2]), Float32Array.of(0.5));
    const x = arena.allocF32(3);
    x.set([127 / 128, -127 / 128, 0]);
    const out = arena.allocF32(1);
    backend.linear(out, x, w, 1);
    expect(out[0]).toBe(16129 / 2048 + 0.5);
    // The residual is added after the dequantization: 1 + y.
    const res = arena.allocF32(1);
    res[0] = 1;
    backend.linear(out, x, w, 1, { residual: res });
    expect(out[0]).toBe(16129 / 2048 + 1.5);
  });

  it.each([
    [3, 7, 5],
    [5, 33, 64],
    [17, 12, 768],
  ])('within the scheme’s error bound of the float32 linear: %i x %i x %i', (M, N, K) => {
    // x_i = sx (qx_i - zp) + ex_i with |ex_i| <= sx (half a step, or one step where 128 clamps to 127);
    // w_i = sw qw_i + ew_i with |ew_i| <= sw / 2. So |x.w - sx sw sum (qx - zp) qw| <=
    // sum_i sx |w_i| + (|x_i| + sx) sw / 2, plus float32 rounding (1e-5 relative).
    const random = rng(M * 1000 + N);
    const x = Float32Array.from({ length: M * K }, () => random() * 4 - 1.5);
    const weight = Float32Array.from({ length: N * K }, () => random() * 0.2 - 0.1);
    const bias = Float32Array.from({ length: N }, () => random() - 0.5);
    const quantized: QuantizedWeights = { q: new Int8Array(N * K), scale: new Float32Array(N), rowSum: new Int32Array(N) };
    quantizeWeights(weight, N, K, quantized);
    const ours = new Float32Array(M * N);
    linearInt8Forward(ours, x, quantized, bias, M, N, K, new Uint8Array(K));
    const exact = new Float32Array(M * N);
    linearForward(exact, x, weight, bias, M, N, K);
    for (let r = 0; r < M; r++) {
      const { scale: sx } = quantizeRow(x, r * K, K, new Uint8Array(K), 0);
      for (let o = 0; o < N; o++) {
        let bound = 0;
        for (let i = 0; i < K; i++) bound += sx * Math.abs(weight[o * K + i]) + ((Math.abs(x[r * K + i]) + sx) * quantized.scale[o]) / 2;
        const at = r * N + o;
        expect(Math.abs(ours[at] - exact[at]), `row ${r} column ${o}`).toBeLessThanOrEqual(bound + 1e-5 * Math.abs(exact[at]));
        expect(ours[at]).not.toBe(exact[at]);
      }
    }
  });

  it('takes less arena than float32 (int8 weights plus three floats per output channel)', () => {
    expect(new ReferenceBackend('int8').linearFloats(768, 3072)).toBe(768 * 768 + 3 * 768);
    expect(new ReferenceBackend('fp32').linearFloats(768, 3072)).toBe(768 * 3072 + 768);
  });
});

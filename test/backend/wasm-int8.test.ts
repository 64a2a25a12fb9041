// The wasm backend's int8 Linear (assembly/quantize.ts + gemm_i8.ts) against the reference int8
// Linear (src/backend/reference/kernels.ts linearInt8Forward), bit for bit: the integer sums are
// exact and both sides take the same float32 steps (src/backend/quantize.ts). Both builds
// (relaxed dot on int8, each of its two dot sequences; plain dot on int16), 1 and 2 threads, shapes that reach every tail (rows
// below the tile height, outDim not a multiple of 8 or 12, inDim not a multiple of 4, several
// row blocks), every epilogue, column ranges, and rows that are all zero, constant, negative only
// or huge. GELU: the kernel's GELU is its vector approximation (assembly/gelu.ts, tested on its
// own in wasm-kernels.test.ts), so the expected value applies that same routine, run through the
// test build's gelu_n hook, to the reference's pre-activation output.

import { describe, expect, it } from 'vitest';
import { quantizeWeights, type QuantizedWeights } from '../../src/backend/quantize.js';
import { linearInt8Forward } from '../../src/backend/reference/kernels.js';
import type { ColumnRange, LinearEpilogue } from '../../src/backend/types.js';
import { MC_MAX } from '../../src/backend/wasm/backend.js';
import type { WasmBackend } from '../../src/backend/wasm/index.js';
import { prepareLinear } from '../../src/backend/prepare-linear.js';
import { epilogueFlags, EPILOGUES, INT8_KERNEL_CONFIGS, kernelRoutine, rng, useWasmBackend, type EpilogueKind } from './wasm-helpers.js';

// [rows, outDim, inDim]
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [1, 5, 3],
  [2, 13, 7],
  [3, 12, 16],
  [4, 8, 33],
  [5, 29, 64],
  [7, 24, 2],
  [13, 37, 511],
  [31, 100, 513],
  [10, 1000, 768],
  [50, 30, 3072],
  [MC_MAX + 1, 30, 40],
];

interface Case {
  M: number;
  N: number;
  K: number;
  epilogue: EpilogueKind;
  columns?: ColumnRange;
  /** x's rows; random when absent */
  x?: Float32Array;
}

function runCase(backend: WasmBackend, c: Case, seed: number): void {
  const { M, N, K, epilogue } = c;
  const random = rng(seed);
  const uniform = (n: number, lo: number, hi: number) => Float32Array.from({ length: n }, () => lo + random() * (hi - lo));
  const weight = uniform(N * K, -0.2, 0.2);
  const bias = uniform(N, -1, 1);
  const xData = c.x ?? uniform(M * K, -3, 5);
  const before = uniform(M * N, -2, 2); // out before the call, and the residual
  const { gelu, hasResidual, inPlace } = epilogueFlags(epilogue);

  const arena = backend.createArena(backend.linearFloats(N, K) * 4 + (M * K + 2 * M * N) * 4 + 4096);
  const w = prepareLinear(backend, arena, N, K, (dest) => dest.set(weight), bias);
  const x = arena.allocF32(M * K);
  x.set(xData);
  const out = arena.allocF32(M * N);
  out.set(before);
  const residual = inPlace ? out : arena.allocF32(M * N);
  residual.set(before);
  const ep: LinearEpilogue = { gelu, residual: hasResidual ? residual : undefined };
  backend.linear(out, x, w, M, ep, c.columns);

  const quantized: QuantizedWeights = { q: new Int8Array(N * K), scale: new Float32Array(N), rowSum: new Int32Array(N) };
  quantizeWeights(weight, N, K, quantized);
  let expected: Float32Array = new Float32Array(M * N);
  linearInt8Forward(expected, xData, quantized, bias, M, N, K, new Uint8Array(K));
  if (gelu) expected = kernelRoutine(backend.relaxedSimd ? 'relaxed' : 'simd', 'gelu_n', expected);
  if (hasResidual) expected = expected.map((v, i) => before[i] + v);
  const { start, end } = c.columns ?? { start: 0, end: N };

  const where = `${M}x${N}x${K}, ${backend.name} ${backend.tile.rows}x${backend.tile.cols}, ${backend.threads} thread(s), epilogue ${epilogue}, columns [${start}, ${end})`;
  let compared = 0;
  for (let i = 0; i < M * N; i++) {
    const col = i % N;
    const want = col >= start && col < end ? expected[i] : before[i];
    if (!Object.is(out[i], want)) expect.fail(`out[${Math.floor(i / N)}][${col}] = ${out[i]}, expected ${want} (${where})`);
    compared++;
  }
  expect(compared, where).toBe(M * N);
}

describe.each(INT8_KERNEL_CONFIGS)('wasm int8 linear (relaxedSimd $relaxedSimd, int8 dot $int8Dot, $threads thread(s))', ({ relaxedSimd, threads, int8Dot }) => {
  let backend: WasmBackend;
  useWasmBackend({ relaxedSimd, threads, precision: 'int8', int8Dot }, (created) => (backend = created));

  it('is the int8 backend of the requested build', () => {
    expect(backend.precision).toBe('int8');
    expect(backend.relaxedSimd).toBe(relaxedSimd);
    expect(backend.int8Dot).toBe(relaxedSimd ? int8Dot : undefined);
  });

  it.each(SHAPES)('%i x %i x %i, every epilogue: the reference int8 linear, bit for bit', (M, N, K) => {
    EPILOGUES.forEach((epilogue, e) => runCase(backend, { M, N, K, epilogue }, 1000 * M + 10 * N + K + e));
  });

  it.each([
    [7, 37, 65],
    [4, 30, 768],
  ])('%i x %i x %i, column ranges cutting panels at either end', (M, N, K) => {
    const ranges: ColumnRange[] = [{ start: 1, end: N }, { start: 0, end: N - 1 }, { start: 5, end: N - 7 }, { start: 13, end: 14 }, { start: 24, end: N }];
    for (const columns of ranges) runCase(backend, { M, N, K, epilogue: 'gelu + residual in place', columns }, 77 + columns.start);
  });

  it('rows that are all zero, constant, negative only, huge, or mixed', () => {
    const K = 37;
    const row = (f: (i: number) => number) => Array.from({ length: K }, (_, i) => f(i));
    const rows = [
      row(() => 0),
      row(() => 2.5),
      row(() => -1.25),
      row((i) => -0.5 - i / 8),
      row((i) => (i % 2 === 0 ? 3e37 : -1e38)),
      row((i) => (i % 3) * 1e-30),
      row((i) => Math.sin(i) * 4),
    ];
    const x = Float32Array.from(rows.flat());
    for (const epilogue of ['none', 'residual in place'] as const) runCase(backend, { M: rows.length, N: 29, K, epilogue, x }, 5);
  });
});

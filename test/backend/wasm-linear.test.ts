// The wasm backend's Linear (blocked GEMM + fused epilogue) against the reference kernel, for both
// micro-kernels (gemm_3x12_fma with relaxed SIMD, gemm_4x8 without) on 1 and 2 threads, over
// shapes that reach every tail: rows below the tile height and rows = 1, outDim not a multiple of
// the tile width, inDim = 1 and inDim not a multiple of the K block (KC_MAX), several K blocks,
// several row blocks (MC_MAX) and column units, and ViT-B's largest K.
//
// Tolerance (random floats): the reference accumulates in double, the kernel in float32 in its own
// order (bias first, K blocks of up to KC_MAX, FMA or not). Float32 summation of n terms t_i with
// products rounded is within (n + 1) * u * sum|t_i| of the exact sum (u = 2^-24, first order),
// here n = K + 2 terms (bias, residual, K products), plus the rounding of the reference itself:
//   |out - ref| <= (K + 3) * u * S + 2u * |ref|,  S = |bias| + sum_i |x_i w_i| + |residual|.
// S is the reference kernel applied to absolute values. GELU is 1.13-Lipschitz and adds its own
// error (<= 6 ulp of its value, test/backend/wasm-kernels.test.ts). With small integer inputs
// (-23..23) every partial sum is an integer below 2^24, exact in any order: equality is asserted.
// A column range must give, bit for bit, the same numbers as the full Linear in those columns and
// leave every other column of `out` as it was.

import { describe, expect, it } from 'vitest';
import { linearForward } from '../../src/backend/reference/kernels.js';
import type { ColumnRange, LinearEpilogue } from '../../src/backend/types.js';
import { KC_MAX, MC_MAX } from '../../src/backend/wasm/backend.js';
import { createWasmBackend, type WasmBackend } from '../../src/backend/wasm/index.js';
import { prepareLinear } from '../../src/backend/prepare-linear.js';
import { epilogueFlags, EPILOGUES, KERNEL_CONFIGS, rng, U, useWasmBackend, type EpilogueKind } from './wasm-helpers.js';

const GELU_LIPSCHITZ = 1.13;

function ulp32(v: number): number {
  const a = Math.abs(v);
  return a < 2 ** -126 ? 2 ** -149 : 2 ** (Math.floor(Math.log2(a)) - 23);
}

type Fill = 'float' | 'int';

function values(n: number, random: () => number, fill: Fill): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = fill === 'int' ? Math.floor(random() * 47) - 23 : random() * 2 - 1;
  return out;
}

const abs = (a: Float32Array) => a.map(Math.abs);

// [rows, outDim, inDim]
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [1, 5, 3],
  [2, 13, 7],
  [3, 12, 16],
  [4, 8, 33],
  [5, 29, 64],
  [7, 24, 1],
  [13, 37, 511],
  [31, 100, 513],
  [97, 50, 1025],
  [200, 400, 129],
  [10, 1000, 768],
  [577, 20, 3072],
  // The blocking's edges: K just past KC_MAX (two K blocks) and past twice it (three), and one
  // row past MC_MAX (two row blocks).
  [5, 29, KC_MAX + 1],
  [4, 13, 2 * KC_MAX + 3],
  [MC_MAX + 1, 30, 40],
];

interface Case {
  rows: number;
  outDim: number;
  inDim: number;
  epilogue: EpilogueKind;
  fill: Fill;
  withBias: boolean;
}

function runCase(backend: WasmBackend, c: Case, seed: number): void {
  const { rows: M, outDim: N, inDim: K, epilogue, fill } = c;
  const random = rng(seed);
  const weight = values(N * K, random, fill);
  const bias = c.withBias ? values(N, random, fill) : null;
  const xData = values(M * K, random, fill);
  const resData = values(M * N, random, fill);
  const { gelu, hasResidual, inPlace } = epilogueFlags(epilogue);

  const arena = backend.createArena(backend.linearFloats(N, K) * 4 + (M * K + 2 * M * N) * 4 + 4096);
  const w = prepareLinear(backend, arena, N, K, (dest) => dest.set(weight), bias);
  const x = arena.allocF32(M * K);
  x.set(xData);
  const out = arena.allocF32(M * N);
  const residual = inPlace ? out : arena.allocF32(M * N);
  if (hasResidual) residual.set(resData);
  const ep: LinearEpilogue = { gelu, residual: hasResidual ? residual : undefined };
  backend.linear(out, x, w, M, ep);

  const ref = new Float32Array(M * N);
  linearForward(ref, xData, weight, bias, M, N, K, gelu, hasResidual ? resData : null);
  const sumAbs = new Float32Array(M * N);
  linearForward(sumAbs, abs(xData), abs(weight), bias && abs(bias), M, N, K, false, hasResidual ? abs(resData) : null);
  let geluPart: Float32Array | null = null;
  if (gelu) {
    geluPart = new Float32Array(M * N);
    linearForward(geluPart, xData, weight, bias, M, N, K, true, null);
  }

  const where = `${M}x${N}x${K}, ${backend.kernel} ${backend.tile.rows}x${backend.tile.cols}, ${backend.threads} thread(s), epilogue ${epilogue}, ${fill}${c.withBias ? '' : ', no bias'}`;
  let compared = 0;
  for (let i = 0; i < M * N; i++) {
    const r = Math.floor(i / N);
    const col = i % N;
    compared++;
    if (fill === 'int') {
      if (out[i] !== ref[i]) expect.fail(`out[${r}][${col}] = ${out[i]}, reference ${ref[i]} (exact expected; ${where})`);
      continue;
    }
    const accumulation = (K + 3) * U * sumAbs[i] * (gelu ? GELU_LIPSCHITZ : 1);
    const bound = accumulation + 2 * U * Math.abs(ref[i]) + (geluPart === null ? 0 : 6 * ulp32(geluPart[i]) + 2 ** -126);
    const err = Math.abs(out[i] - ref[i]);
    if (!(err <= bound)) {
      expect.fail(`out[${r}][${col}] = ${out[i]}, reference ${ref[i]}: |error| ${err} > bound ${bound} (${where})`);
    }
  }
  expect(compared, where).toBe(M * N);
}

describe.each(KERNEL_CONFIGS)('wasm linear (relaxedSimd $relaxedSimd, $threads thread(s))', ({ relaxedSimd, threads }) => {
  let backend: WasmBackend;
  useWasmBackend({ relaxedSimd, threads }, (created) => (backend = created));

  it('uses the requested kernel and threads', () => {
    expect(backend.kernel).toBe(relaxedSimd ? 'gemm_3x12_fma' : 'gemm_4x8');
    expect(backend.threads).toBe(threads);
  });

  it.each(SHAPES)('random floats, %i x %i x %i, every epilogue, within the float32 accumulation bound', (M, N, K) => {
    EPILOGUES.forEach((epilogue, e) => runCase(backend, { rows: M, outDim: N, inDim: K, epilogue, fill: 'float', withBias: true }, 1000 * M + 10 * N + K + e));
  });

  it.each(SHAPES)('small integers, %i x %i x %i: exact, with and without bias and residual', (M, N, K) => {
    const variants = [['none', true], ['residual in place', true], ['residual', false]] as const;
    for (const [epilogue, withBias] of variants) {
      runCase(backend, { rows: M, outDim: N, inDim: K, epilogue, fill: 'int', withBias }, 7 * M + 3 * N + K);
    }
  });
});

/** Ranges of output columns that cut panels of both tile widths (8 and 12) at either end, or not. */
function columnRanges(N: number): ColumnRange[] {
  const ranges: ColumnRange[] = [{ start: 0, end: N }];
  if (N >= 2) ranges.push({ start: 1, end: N }, { start: 0, end: N - 1 }, { start: Math.floor(N / 3), end: Math.floor(N / 3) + 1 });
  if (N > 24) ranges.push({ start: 24, end: N }, { start: 0, end: 24 }, { start: 5, end: N - 7 });
  return ranges;
}

function runColumnRange(backend: WasmBackend, M: number, N: number, K: number, epilogue: EpilogueKind, columns: ColumnRange): void {
  const random = rng(31 * M + 7 * N + K + columns.start);
  const weight = values(N * K, random, 'float');
  const bias = values(N, random, 'float');
  const xData = values(M * K, random, 'float');
  const before = values(M * N, random, 'float'); // out's contents before the call (and the residual)
  const { gelu, hasResidual, inPlace } = epilogueFlags(epilogue);

  const arena = backend.createArena(backend.linearFloats(N, K) * 4 + (M * K + 3 * M * N) * 4 + 4096);
  const w = prepareLinear(backend, arena, N, K, (dest) => dest.set(weight), bias);
  const x = arena.allocF32(M * K);
  x.set(xData);
  const full = arena.allocF32(M * N);
  const out = arena.allocF32(M * N);
  const residual = arena.allocF32(M * N);
  full.set(before);
  out.set(before);
  residual.set(before);
  const epilogueFor = (target: Float32Array): LinearEpilogue => ({
    gelu,
    residual: hasResidual ? (inPlace ? target : residual) : undefined,
  });
  backend.linear(full, x, w, M, epilogueFor(full));
  backend.linear(out, x, w, M, epilogueFor(out), columns);

  const where = `${M}x${N}x${K}, columns [${columns.start}, ${columns.end}), ${backend.kernel}, ${backend.threads} thread(s), epilogue ${epilogue}`;
  let compared = 0;
  for (let i = 0; i < M * N; i++) {
    const col = i % N;
    const expected = col >= columns.start && col < columns.end ? full[i] : before[i];
    if (!Object.is(out[i], expected)) expect.fail(`out[${Math.floor(i / N)}][${col}] = ${out[i]}, expected ${expected} (${where})`);
    compared++;
  }
  expect(compared, where).toBe(M * N);
}

describe.each(KERNEL_CONFIGS)('wasm linear, a range of output columns (relaxedSimd $relaxedSimd, $threads thread(s))', ({ relaxedSimd, threads }) => {
  let backend: WasmBackend;
  useWasmBackend({ relaxedSimd, threads }, (created) => (backend = created));

  it.each(SHAPES)('%i x %i x %i: the full output in those columns, bit for bit, and the rest untouched', (M, N, K) => {
    for (const epilogue of EPILOGUES) {
      for (const columns of columnRanges(N)) runColumnRange(backend, M, N, K, epilogue, columns);
    }
  });

  it.each([
    [0, 0],
    [3, 3],
    [-1, 4],
    [2, 9],
    [0.5, 4],
  ])('rejects columns [%s, %s) of 8 outputs', (start, end) => {
    const arena = backend.createArena(backend.linearFloats(8, 4) * 4 + 4096);
    const w = prepareLinear(backend, arena, 8, 4, (dest) => dest.fill(1), null);
    const x = arena.allocF32(4);
    const out = arena.allocF32(8);
    expect(() => backend.linear(out, x, w, 1, undefined, { start, end })).toThrow(/columns .* not a non-empty range of outDim 8/);
  });
});

describe('wasm linear: thread count does not change a single bit', () => {
  it.each([true, false])('relaxedSimd %s', async (relaxedSimd) => {
    const outputs: Float32Array[] = [];
    for (const threads of [1, 2]) {
      const backend = await createWasmBackend({ relaxedSimd, threads });
      const [M, N, K] = [211, 300, 700];
      const random = rng(99);
      const weight = values(N * K, random, 'float');
      const arena = backend.createArena(backend.linearFloats(N, K) * 4 + (M * K + M * N) * 4 + 4096);
      const w = prepareLinear(backend, arena, N, K, (dest) => dest.set(weight), values(N, random, 'float'));
      const x = arena.allocF32(M * K);
      x.set(values(M * K, random, 'float'));
      const out = arena.allocF32(M * N);
      backend.linear(out, x, w, M, { gelu: true });
      outputs.push(Float32Array.from(out));
      backend.dispose();
    }
    expect(Buffer.from(outputs[0].buffer).equals(Buffer.from(outputs[1].buffer))).toBe(true);
  });
});

// packLinear returns while the kernel threads may still be packing (the next weight is read
// meanwhile, into the other half of the staging scratch): Linears packed back to back, with the
// staging growing (larger weights later) and shrinking, small ones packed on the calling thread
// between large ones, must each compute exactly what the reference does with the same weights.
describe.each(KERNEL_CONFIGS)('wasm linear: weights packed back to back (relaxedSimd $relaxedSimd, $threads thread(s))', ({ relaxedSimd, threads }) => {
  let backend: WasmBackend;
  useWasmBackend({ relaxedSimd, threads }, (created) => (backend = created));

  // [outDim, inDim]: over PARALLEL_MIN_MACS (2^18) floats for the pool, under it for the calling thread.
  const LINEARS: [number, number][] = [
    [300, 1000],
    [700, 900],
    [5, 7],
    [1000, 1100],
    [200, 1500],
    [13, 11],
    [640, 640],
  ];

  it('every Linear is complete, whatever was still packing when the next was read', () => {
    const random = rng(77);
    const rows = 3;
    const floats = LINEARS.reduce((n, [N, K]) => n + backend.linearFloats(N, K) + rows * (N + K), 0);
    const arena = backend.createArena(floats * 4 + 64 * 4 * LINEARS.length * 3);
    const weights = LINEARS.map(([N, K]) => ({ N, K, weight: values(N * K, random, 'int'), bias: values(N, random, 'int') }));
    const placed = weights.map(({ N, K }) => backend.placeLinear(arena, N, K, true));
    const filled: number[] = [];
    weights.forEach(({ weight, bias }, i) => backend.packLinear(placed[i], (dest) => (dest.set(weight), filled.push(i)), bias));
    backend.finishPacking();
    expect(filled).toEqual(LINEARS.map((_, i) => i));
    weights.forEach(({ N, K, weight, bias }, i) => {
      const x = arena.allocF32(rows * K);
      x.set(values(rows * K, random, 'int'));
      const out = arena.allocF32(rows * N);
      backend.linear(out, x, placed[i], rows);
      const ref = new Float32Array(rows * N);
      linearForward(ref, x, weight, bias, rows, N, K, false, null);
      expect(Array.from(out), `Linear ${i} (${N} x ${K})`).toEqual(Array.from(ref));
    });
  });

  it('a fill that throws while the previous Linear is packing leaves that one whole and the backend usable', () => {
    const random = rng(78);
    const [N, K] = [600, 900];
    const arena = backend.createArena((2 * backend.linearFloats(N, K) + 2 * (N + K)) * 4 + 4096);
    const weight = values(N * K, random, 'int');
    const bias = values(N, random, 'int');
    const first = backend.placeLinear(arena, N, K, true);
    const second = backend.placeLinear(arena, N, K, true);
    backend.packLinear(first, (dest) => dest.set(weight), bias);
    expect(() => backend.packLinear(second, () => {
      throw new Error('damaged weight');
    }, bias)).toThrow('damaged weight');
    const x = arena.allocF32(K);
    x.set(values(K, random, 'int'));
    const out = arena.allocF32(N);
    backend.linear(out, x, first, 1);
    const ref = new Float32Array(N);
    linearForward(ref, x, weight, bias, 1, N, K, false, null);
    expect(Array.from(out)).toEqual(Array.from(ref));
  });
});

// The reference backend's optional op arguments: Linear over a range of output columns (the
// numbers of the full Linear in those columns, every other column of `out` as it was, bad ranges
// refused) and attention's query count (bad counts refused, as the wasm backend does).

import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../../src/backend/reference/backend.js';
import { prepareLinear } from '../../src/backend/prepare-linear.js';
import { rng } from './wasm-helpers.js';

describe('reference linear, a range of output columns', () => {
  const backend = new ReferenceBackend();
  const [M, N, K] = [3, 10, 7];
  const random = rng(5);
  const fill = (a: Float32Array) => a.forEach((_, i) => (a[i] = random() * 2 - 1));
  const arena = backend.createArena(backend.linearFloats(N, K) * 4 + (M * K + 3 * M * N) * 4 + 1024);
  const bias = new Float32Array(N);
  fill(bias);
  const w = prepareLinear(backend, arena, N, K, fill, bias);
  const x = arena.allocF32(M * K);
  fill(x);
  const before = arena.allocF32(M * N);
  fill(before);

  it.each([
    [0, 10],
    [3, 4],
    [2, 10],
  ])('columns [%i, %i), with GELU and the residual in place', (start, end) => {
    const full = Float32Array.from(before);
    const out = Float32Array.from(before);
    backend.linear(full, x, w, M, { gelu: true, residual: full });
    backend.linear(out, x, w, M, { gelu: true, residual: out }, { start, end });
    for (let i = 0; i < M * N; i++) {
      const col = i % N;
      expect(out[i], `column ${col}`).toBe(col >= start && col < end ? full[i] : before[i]);
    }
  });

  it.each([
    [0, 0],
    [4, 2],
    [-1, 3],
    [0, 11],
    [1.5, 3],
  ])('rejects columns [%s, %s)', (start, end) => {
    const out = new Float32Array(M * N);
    expect(() => backend.linear(out, x, w, M, undefined, { start, end })).toThrow(/ref backend: linear columns .* not a non-empty range of outDim 10/);
  });
});

describe('reference attention, the query count', () => {
  it.each([0, 4, 1.5])('rejects %s queries of 3 tokens', (queries) => {
    const backend = new ReferenceBackend();
    const out = new Float32Array(3 * 4);
    const qkv = new Float32Array(3 * 3 * 4);
    expect(() => backend.attention(out, qkv, 1, 3, 1, 4, new Float32Array(3), queries)).toThrow(/ref backend: attention: bad query count/);
  });
});

// The int8 weight packer on the kernel threads (assembly/pack_i8.ts) against its TypeScript
// definition, byte for byte: quantizeWeights (src/backend/quantize.ts) then packInt8Panels
// (src/backend/wasm/pack-int8.ts) into a fresh buffer. Both builds (int8 lanes of 4 with NR 12,
// int16 lanes of 2 with NR 8), 1 and 2 threads, shapes with a partial last panel, inDim not a
// multiple of 4, rows of zeros, with and without bias, Linears packed back to back.

import { describe, expect, it } from 'vitest';
import { quantizeWeights, type QuantizedWeights } from '../../src/backend/quantize.js';
import type { WasmBackend } from '../../src/backend/wasm/index.js';
import { int8PanelBytes, packInt8Panels } from '../../src/backend/wasm/pack-int8.js';
import { KERNEL_CONFIGS, rng, useWasmBackend } from './wasm-helpers.js';

// [outDim, inDim]
const SHAPES: [number, number][] = [
  [1, 1],
  [5, 3],
  [13, 7],
  [12, 16],
  [29, 513],
  [100, 768],
  [1000, 1100],
  [37, 3072],
];

function expectedPanels(weight: Float32Array, bias: Float32Array | null, N: number, K: number, nr: number, qk: number): Uint8Array {
  const quantized: QuantizedWeights = { q: new Int8Array(N * K), scale: new Float32Array(N), rowSum: new Int32Array(N) };
  quantizeWeights(weight, N, K, quantized);
  const bytes = Math.ceil(N / nr) * int8PanelBytes(nr, qk, K);
  const buffer = new ArrayBuffer(bytes);
  packInt8Panels(buffer, 0, quantized, bias, N, K, nr, qk);
  return new Uint8Array(buffer);
}

describe.each(KERNEL_CONFIGS)('wasm int8 packing (relaxedSimd $relaxedSimd, $threads thread(s))', ({ relaxedSimd, threads }) => {
  let backend: WasmBackend;
  useWasmBackend({ relaxedSimd, threads, precision: 'int8' }, (created) => (backend = created));
  const qk = relaxedSimd ? 4 : 2;

  it('Linears of every shape, packed back to back, are the bytes of quantizeWeights + packInt8Panels', () => {
    const random = rng(11);
    const bytes = SHAPES.reduce((n, [N, K]) => n + backend.linearFloats(N, K) * 4 + 64, 0);
    const arena = backend.createArena(bytes);
    const cases = SHAPES.map(([N, K], i) => {
      const weight = Float32Array.from({ length: N * K }, () => (random() - 0.5) * 0.4);
      // A row of zeros (scale 1) and a row with one huge value (all others round to 0).
      weight.fill(0, 0, K);
      if (N > 2) weight[2 * K] = 1e6;
      const bias = i % 2 === 0 ? Float32Array.from({ length: N }, () => random() - 0.5) : null;
      const start = arena.usedBytes;
      const w = backend.placeLinear(arena, N, K, bias !== null);
      return { N, K, weight, bias, w, start, end: arena.usedBytes };
    });
    for (const c of cases) backend.packLinear(c.w, (dest) => dest.set(c.weight), c.bias);
    backend.finishPacking();
    for (const { N, K, weight, bias, start } of cases) {
      const want = expectedPanels(weight, bias, N, K, backend.tile.cols, qk);
      const got = new Uint8Array(arena.buffer, arena.byteOffset + start, want.byteLength);
      const at = got.findIndex((b, i) => b !== want[i]);
      expect(at, `${N} x ${K}: first differing byte`).toBe(-1);
    }
  });
});

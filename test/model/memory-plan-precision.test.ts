// The memory plan sizes Linear layers by the backend's precision: int8 weights take about a
// quarter of the float32 arena's weight bytes (a half on the plain-SIMD build, which stores them
// as int16 for its dot product), activations are the same.

import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../../src/backend/reference/backend.js';
import { createWasmBackend } from '../../src/backend/wasm/index.js';
import { arenaBytes } from '../../src/vit/memory-plan.js';
import { NAMED_MODELS } from '../../src/vit/named-models.js';

const VIT_B = NAMED_MODELS.get('vit_base_patch16_384')!.config;
/** ViT-B/16-384's Linear weights: 12 blocks of qkv, proj, fc1, fc2, the patch embedding and the head. */
const LINEAR_WEIGHTS = 12 * (768 * 2304 + 768 * 768 + 2 * 768 * 3072) + 768 * 768 + 768 * 1000;
/** Their output channels, and how many Linear layers there are. */
const LINEAR_OUTPUTS = 12 * (2304 + 768 + 3072 + 768) + 768 + 1000;
const LINEARS = 12 * 4 + 2;

describe('arenaBytes by precision (ViT-B/16-384, batch 1)', () => {
  it('reference backend: int8 saves three bytes of each Linear weight', () => {
    const saved = arenaBytes(VIT_B, new ReferenceBackend('fp32'), 1) - arenaBytes(VIT_B, new ReferenceBackend('int8'), 1);
    // 3 bytes per weight, less 2 floats per output channel (scale and row sum) and 64-byte alignment.
    expect(saved).toBeGreaterThanOrEqual(3 * LINEAR_WEIGHTS - 8 * LINEAR_OUTPUTS - 64 * LINEARS);
    expect(saved).toBeLessThan(3 * LINEAR_WEIGHTS);
  });

  it.each([true, false])('wasm backend (relaxedSimd %s): int8 weights are 1 byte each (2 on plain SIMD)', async (relaxedSimd) => {
    const fp32 = await createWasmBackend({ relaxedSimd, threads: 1 });
    const int8 = await createWasmBackend({ relaxedSimd, threads: 1, precision: 'int8' });
    try {
      const bytesPerWeight = relaxedSimd ? 1 : 2;
      const saved = arenaBytes(VIT_B, fp32, 1) - arenaBytes(VIT_B, int8, 1);
      expect(saved).toBeGreaterThan((4 - bytesPerWeight) * LINEAR_WEIGHTS - 1_000_000);
      expect(saved).toBeLessThan((4 - bytesPerWeight) * LINEAR_WEIGHTS);
    } finally {
      fp32.dispose();
      int8.dispose();
    }
  });
});

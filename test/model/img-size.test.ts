// --img-size end to end: a fixture model run at another input size against torchvision's
// VisionTransformer built for that size with the position embedding timm would resample
// (scripts/make_img_size_fixtures.py), then the resolver's rules (multiple of the patch size,
// bounds, provenance) and the memory plan following the new token count.
//
// Tolerance: PARITY_TOLERANCE (fixtures.ts, 1e-4 on logits and features, same top-5), the one every
// parity test uses: the resampled position embedding is PyTorch's bit for bit (pos-embed.test.ts),
// so what is left is the float32 forward pass against the float64 reference.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadVitModel } from '../../src/app/load-model.js';
import { PreprocessOverrideError, resolveModel } from '../../src/app/resolve-model.js';
import { createBackend } from '../../src/backend/index.js';
import { ReferenceBackend } from '../../src/backend/reference/backend.js';
import { arenaBytes } from '../../src/vit/memory-plan.js';
import { expectParity, FIXTURES, loadParityFixture, MODEL_FIXTURES, type ParityFixture } from './fixtures.js';

/** A fixture model and its reference at another size: torchvision's outputs for `input` at `size` px. */
function resizedFixture(model: string, size: number): ParityFixture {
  const fx = loadParityFixture(join(MODEL_FIXTURES, model), join(FIXTURES, 'img-size', `${model}_${size}px.safetensors`));
  expect(fx.input).toHaveLength(fx.batch * 3 * size * size);
  return { ...fx, name: `${model} at ${size} px` };
}

describe('a model at another --img-size equals torchvision built for that size', () => {
  for (const [model, size, native] of [
    ['tiny', 56, 32], // up: grid 4 -> 7
    ['narrow384', 160, 384], // down: grid 24 -> 10
  ] as const) {
    it(`${model}: ${native} -> ${size} px, reference backend`, async () => {
      const fx = resizedFixture(model, size);
      const loaded = await loadVitModel(fx.weights, { imgSize: size, backend: new ReferenceBackend(), maxBatch: fx.batch });
      expect(loaded.config.imgSize).toBe(size);
      expect(loaded.preprocess.inputSize).toEqual([3, size, size]);
      expect(loaded.resolved.checkpointImgSize).toBe(native);
      expectParity(loaded.forward(fx.input, fx.batch), fx);
    });

    it(`${model}: ${native} -> ${size} px, WebAssembly backend (its memory plan sized for the new token count)`, async () => {
      const fx = resizedFixture(model, size);
      const backend = await createBackend('wasm', { threads: 1 });
      try {
        const loaded = await loadVitModel(fx.weights, { imgSize: size, backend, maxBatch: fx.batch });
        expectParity(loaded.forward(fx.input, fx.batch), fx);
      } finally {
        backend.dispose();
      }
    });
  }

  it('the memory plan follows the token count', async () => {
    const small = await resolveModel({ weights: join(MODEL_FIXTURES, 'narrow384', 'model.safetensors'), imgSize: 160 });
    const native = await resolveModel({ weights: join(MODEL_FIXTURES, 'narrow384', 'model.safetensors') });
    const backend = new ReferenceBackend();
    expect(arenaBytes(small.config, backend, 1)).toBeLessThan(arenaBytes(native.config, backend, 1));
  });

  it('the native size changes no number (the same logits, bit for bit)', async () => {
    const fx = loadParityFixture(join(MODEL_FIXTURES, 'tiny'));
    const plain = await loadVitModel(fx.weights, { maxBatch: fx.batch });
    const same = await loadVitModel(fx.weights, { imgSize: 32, maxBatch: fx.batch });
    expect(same.resolved.checkpointImgSize).toBeUndefined();
    expect(same.forward(fx.input, fx.batch).logits).toEqual(plain.forward(fx.input, fx.batch).logits);
  });
});

describe('the resolver: --img-size rules and provenance', () => {
  const weights = join(MODEL_FIXTURES, 'narrow384', 'model.safetensors');

  it('says where the size came from and what was resampled', async () => {
    const model = await resolveModel({ weights, imgSize: 160 });
    expect(model.provenance.architecture).toMatch(/; img_size 160 from --img-size \(position embedding resampled from 24 x 24 to 10 x 10 patches, as timm does\)$/);
    expect(model.provenance.preprocessing).toMatch(/; input_size from --img-size$/);
    expect(model.preprocess.cropPct).toBe(1); // the other fields stay the model's
  });

  it('refuses a size that is not a multiple of the patch size, naming the flag and the sizes that are', async () => {
    await expect(resolveModel({ weights, imgSize: 100 })).rejects.toThrow(PreprocessOverrideError);
    await expect(resolveModel({ weights, imgSize: 100 })).rejects.toThrow(/^--img-size \(img_size\) 100 is not a multiple of vit_narrow384_fixture's patch size 16 \(96 or 112 is\)$/);
    await expect(resolveModel({ weights, imgSize: 8 })).rejects.toThrow(/\(16 is\)$/);
  });

  it('refuses sizes out of bounds, and too many tokens', async () => {
    for (const bad of [0, -16, 1.5, Number.NaN, 4112]) {
      await expect(resolveModel({ weights, imgSize: bad })).rejects.toThrow(/^--img-size \(img_size\) .* must be a whole number of pixels from 1 to 4096$/);
    }
    // 4096 / 16 = 256 patches a side: 65,537 tokens, more than 128 x 128 + 1
    await expect(resolveModel({ weights, imgSize: 4096 })).rejects.toThrow(/^--img-size \(img_size\) 4096 makes 65537 tokens per image, more than 16385$/);
  });

  it('applies to a model from the table too (no weights: the default model at 224 px)', async () => {
    const model = await resolveModel({ imgSize: 224, fetch: 'cache', hub: { offline: true, cacheDir: '/nonexistent-vit-cache' } });
    expect(model.config.imgSize).toBe(224);
    expect(model.preprocess.inputSize).toEqual([3, 224, 224]);
  });
});

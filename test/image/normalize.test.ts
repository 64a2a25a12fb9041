// preprocess() end to end against torchvision's ToTensor + Normalize output (float32 tensors
// written by scripts/make_image_fixtures.py), and the in-place output buffer.

import { describe, expect, it } from 'vitest';

import { decodeImage } from '../../src/image/decode.js';
import { loadImageTensor } from '../../src/image/load.js';
import { preprocess, toNormalizedTensor, VIT_BASE_PATCH16_384_PREPROCESS } from '../../src/image/preprocess.js';
import { imagePath, loadManifest, readFloat32 } from './fixtures.js';

const manifest = loadManifest();

describe('preprocess vs torchvision ToTensor + Normalize', () => {
  for (const t of manifest.tensors) {
    it(`${t.image} / ${t.config} ${t.shape.join('x')}`, async () => {
      const cfg = manifest.configs[t.config];
      const expected = readFloat32(t.path);
      const { tensor } = preprocess(await decodeImage(imagePath(t.image)), cfg);
      expect(tensor.length).toBe(expected.length);
      let maxAbs = 0;
      let exact = 0;
      for (let i = 0; i < tensor.length; i++) {
        const d = Math.abs(tensor[i] - expected[i]);
        if (d > maxAbs) maxAbs = d;
        if (d === 0) exact++;
      }
      if (process.env.VIT_IMAGE_REPORT) console.log(`${t.image} ${t.config}: max |diff| ${maxAbs}, ${exact}/${tensor.length} bit-identical`);
      expect(maxAbs).toBeLessThanOrEqual(1e-6);
    });
  }
});

describe('preprocess output buffer', () => {
  const img = { width: 2, height: 1, data: new Uint8Array([0, 128, 255, 255, 0, 51]) };

  it('writes into the given Float32Array and returns it', async () => {
    const cfg = VIT_BASE_PATCH16_384_PREPROCESS;
    const out = new Float32Array(3 * 384 * 384).fill(NaN);
    const { tensor, geometry } = preprocess(img, cfg, out);
    expect(tensor).toBe(out);
    expect(tensor.some(Number.isNaN)).toBe(false);
    expect(geometry.resizeSize).toEqual([768, 384]);
    expect(() => preprocess(img, cfg, new Float32Array(10))).toThrow(/3x384x384/);
  });

  it('normalises channel-major: ((v / 255) - mean) / std in float32', () => {
    const t = toNormalizedTensor(img, [0.5, 0.5, 0.5], [0.5, 0.5, 0.5]);
    // layout [C, H, W]: R of both pixels, then G, then B; each op rounded to float32 (torch's
    // float32 tensors), which differs from the double formula in the last bits
    const f = Math.fround;
    const norm = (v: number) => f(f(f(v / 255) - 0.5) / 0.5);
    expect(Array.from(t)).toEqual([-1, 1, norm(128), -1, 1, norm(51)]);
    expect(norm(128)).not.toBe(f((128 / 255 - 0.5) / 0.5));
  });
});

describe('loadImageTensor (decode + preprocess in one call)', () => {
  it('equals decodeImage + preprocess for the exact backend, and runs the sharp one', async () => {
    const cfg = manifest.configs.tensor32;
    const t = manifest.tensors.find((x) => x.config === 'tensor32')!;
    const loaded = await loadImageTensor(imagePath(t.image), cfg);
    expect(loaded.format).toBe('png');
    expect(Array.from(loaded.tensor)).toEqual(Array.from(readFloat32(t.path)));
    const fast = await loadImageTensor(imagePath(t.image), cfg, { resize: 'sharp' });
    expect(fast.geometry).toEqual(loaded.geometry);
    expect(fast.tensor.length).toBe(loaded.tensor.length);
  });
});

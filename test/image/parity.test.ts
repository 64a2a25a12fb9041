// decodeImage + resizeAndCrop against Pillow 9.4 + torchvision 0.14's eval transform, for every
// (image, config) case of test/fixtures/preprocess/manifest.json: geometry, and the uint8
// image handed to ToTensor (max abs diff against the Pillow PNG, or SHA-256 equality where
// only a hash is kept).

import { afterAll, describe, expect, it } from 'vitest';

import { decodeImage } from '../../src/image/decode.js';
import { resizeAndCrop } from '../../src/image/preprocess.js';
import type { RgbImage } from '../../src/image/types.js';
import { diffStats, imagePath, loadManifest, readRgbPng, sha256 } from './fixtures.js';

const manifest = loadManifest();
const report: string[] = [];
const decodedCache = new Map<string, Promise<RgbImage>>();

function decoded(name: string): Promise<RgbImage> {
  let p = decodedCache.get(name);
  if (!p) {
    p = decodeImage(imagePath(name));
    decodedCache.set(name, p);
  }
  return p;
}

describe('eval transform parity with Pillow + torchvision', () => {
  for (const c of manifest.cases) {
    it(`${c.image} / ${c.config}`, async () => {
      const cfg = manifest.configs[c.config];
      const { image, geometry } = resizeAndCrop(await decoded(c.image), cfg);
      expect(geometry.resizeSize).toEqual(c.resizeSize);
      expect(geometry.cropBox).toEqual(c.cropBox);
      expect([image.width, image.height]).toEqual([cfg.inputSize[2], cfg.inputSize[1]]);
      const exact = sha256(image.data) === c.rgbSha256;
      if (c.expected) {
        const expected = await readRgbPng(c.expected);
        const stats = diffStats(image.data, expected.data);
        report.push(`${c.image.padEnd(18)} ${c.config.padEnd(12)} max ${stats.max} mean ${stats.mean.toFixed(5)} differing ${stats.differing}`);
        expect(stats.max).toBeLessThanOrEqual(1);
      } else {
        report.push(`${c.image.padEnd(18)} ${c.config.padEnd(12)} ${exact ? 'identical (sha256)' : 'DIFFERENT (sha256)'}`);
        expect(exact).toBe(true);
      }
    });
  }

  afterAll(() => {
    if (process.env.VIT_IMAGE_REPORT) console.log(['parity (uint8, before ToTensor):', ...report].join('\n'));
  });
});

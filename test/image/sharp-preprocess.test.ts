// The `--resize sharp` fast path: same geometry and tensor layout as the exact path, pixels
// within a bounded distance of Pillow's. With VIT_IMAGE_REPORT=1 it also prints the measured
// divergence and the speed of both paths (the figures quoted in the README).

import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';

import { decodeImage } from '../../src/image/decode.js';
import { preprocess, resizeAndCrop } from '../../src/image/preprocess.js';
import { preprocessWithSharp, resizeAndCropWithSharp } from '../../src/image/sharp-preprocess.js';
import { diffStats, imagePath, loadManifest } from './fixtures.js';

const manifest = loadManifest();
const REPORT = Boolean(process.env.VIT_IMAGE_REPORT);
const lines: string[] = [];
afterAll(() => {
  if (REPORT) console.log(['sharp fast path vs exact (Pillow) path:', ...lines].join('\n'));
});

const PHOTOS = ['cat.jpg', 'cat.png', 'coffee.jpg', 'coffee.png'];
const CONFIGS = ['vit384', 'bilinear224', 'bicubic224', 'squash384', 'nearest224'];

describe('sharp resize divergence from Pillow', () => {
  for (const name of PHOTOS) {
    for (const config of CONFIGS) {
      it(`${name} / ${config}`, async () => {
        const cfg = manifest.configs[config];
        const img = await decodeImage(imagePath(name));
        const exact = resizeAndCrop(img, cfg);
        const fast = await resizeAndCropWithSharp(img, cfg);
        expect(fast.geometry).toEqual(exact.geometry);
        expect([fast.image.width, fast.image.height]).toEqual([exact.image.width, exact.image.height]);
        const d = diffStats(fast.image.data, exact.image.data);
        lines.push(`${name.padEnd(11)} ${config.padEnd(12)} max ${String(d.max).padStart(3)}  mean ${d.mean.toFixed(3)}  differing ${(100 * d.differing / fast.image.data.length).toFixed(1)}%`);
        // Close, not equal: a bound that catches a wrong kernel, offset or channel order.
        expect(d.mean).toBeLessThan(0.5);
        expect(d.max).toBeLessThan(16);
      });
    }
  }

  for (const name of ['tiny_1x1.png', 'strip_5x300.png', 'wide_1000x20.png']) {
    for (const config of ['vit384', 'border224', 'squash384', 'rect256x320']) {
      it(`${name} / ${config} (extreme sizes)`, async () => {
        const img = await decodeImage(imagePath(name));
        const exact = resizeAndCrop(img, manifest.configs[config]);
        const fast = await resizeAndCropWithSharp(img, manifest.configs[config]);
        expect(fast.geometry).toEqual(exact.geometry);
        const d = diffStats(fast.image.data, exact.image.data);
        lines.push(`${name.padEnd(16)} ${config.padEnd(12)} max ${String(d.max).padStart(3)}  mean ${d.mean.toFixed(3)}`);
        expect(d.mean).toBeLessThan(1);
      });
    }
  }

  it('preprocessWithSharp gives the exact path’s tensor shape, in place when asked', async () => {
    const cfg = manifest.configs.vit384;
    const out = new Float32Array(3 * 384 * 384);
    const { tensor, geometry } = await preprocessWithSharp(imagePath('cat.jpg'), cfg, {}, out);
    expect(tensor).toBe(out);
    expect(geometry.resizeSize).toEqual([577, 384]);
    const exact = preprocess(await decodeImage(imagePath('cat.jpg')), cfg).tensor;
    let maxAbs = 0;
    for (let i = 0; i < exact.length; i++) maxAbs = Math.max(maxAbs, Math.abs(exact[i] - tensor[i]));
    expect(maxAbs).toBeGreaterThan(0); // it is a different resampler...
    expect(maxAbs).toBeLessThan(0.1); // ...but not a different image (0.1 = 6.4 uint8 steps at std 0.5)
  });
});

describe.runIf(REPORT)('speed (decode + preprocess), measured only with VIT_IMAGE_REPORT=1', () => {
  async function timeIt(run: () => Promise<unknown>, iterations: number): Promise<number> {
    await run(); // warm-up
    const start = performance.now();
    for (let i = 0; i < iterations; i++) await run();
    return (performance.now() - start) / iterations;
  }

  async function compare(label: string, input: Uint8Array, iterations: number): Promise<void> {
    const cfg = manifest.configs.vit384;
    const exactMs = await timeIt(async () => preprocess(await decodeImage(input), cfg), iterations);
    const fastMs = await timeIt(() => preprocessWithSharp(input, cfg), iterations);
    const decodeMs = await timeIt(() => decodeImage(input), iterations);
    lines.push(`${label.padEnd(26)} vit384: exact ${exactMs.toFixed(1)} ms, sharp ${fastMs.toFixed(1)} ms (decode alone ${decodeMs.toFixed(1)} ms)`);
  }

  it('sample photos', async () => {
    for (const name of PHOTOS) {
      await compare(name, new Uint8Array(readFileSync(imagePath(name))), 20);
    }
  });

  it('a 4000x3000 JPEG made in memory', async () => {
    const big = await sharp(imagePath('coffee.png')).resize(4000, 3000, { kernel: 'cubic' }).jpeg({ quality: 90 }).toBuffer();
    await compare('coffee 4000x3000 jpeg', new Uint8Array(big), 5);
  });
});

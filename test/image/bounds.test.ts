// Hostile images stay bounded: each case here once took gigabytes or minutes. The images are
// made in memory with sharp (tiny files: a thin strip of one colour compresses to almost
// nothing); time and peak memory are measured in this test file's own process, where nothing
// else runs. Peak memory is the growth of the process's maximum RSS, which can only
// under-report (an earlier peak hides a smaller one), never over-report.

import sharp from 'sharp';
import { describe, expect, it } from 'vitest';

import { decodeImage, MAX_IMAGE_SIDE } from '../../src/image/decode.js';
import { ImageDecodeError } from '../../src/image/errors.js';
import { loadImageTensor, RESIZE_ENGINES } from '../../src/image/load.js';
import { MIN_CROP_PCT } from '../../src/image/geometry.js';
import { VIT_BASE_PATCH16_384_PREPROCESS } from '../../src/image/preprocess.js';
import type { PreprocessConfig } from '../../src/image/types.js';

const MB = 1024 * 1024;
const COLOUR = [200, 30, 90] as const;

const pngs = new Map<string, Promise<Uint8Array>>();

/** A width x height PNG of one colour (made once per size). */
function solidPng(width: number, height: number): Promise<Uint8Array> {
  const key = `${width}x${height}`;
  let png = pngs.get(key);
  if (!png) {
    const raw = Buffer.alloc(width * height * 3);
    for (let i = 0; i < raw.length; i += 3) raw.set(COLOUR, i);
    png = sharp(raw, { raw: { width, height, channels: 3 }, limitInputPixels: false })
      .png()
      .toBuffer()
      .then((b) => new Uint8Array(b));
    pngs.set(key, png);
  }
  return png;
}

/** Runs `work`, returning its result, the seconds it took and the growth of peak RSS in bytes. */
async function measured<T>(work: () => Promise<T>): Promise<{ result: T; seconds: number; peakGrowth: number }> {
  const peakBefore = process.resourceUsage().maxRSS * 1024;
  const started = performance.now();
  const result = await work();
  const seconds = (performance.now() - started) / 1000;
  return { result, seconds, peakGrowth: process.resourceUsage().maxRSS * 1024 - peakBefore };
}

/** The normalised value of each colour channel under mean = std = 0.5. */
const EXPECTED = COLOUR.map((v) => Math.fround(Math.fround(Math.fround(v / 255) - 0.5) / 0.5));

function expectSolid(tensor: Float32Array, plane: number): void {
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < plane; i++) {
      if (tensor[c * plane + i] !== EXPECTED[c]) throw new Error(`channel ${c} index ${i}: ${tensor[c * plane + i]}, expected ${EXPECTED[c]}`);
    }
  }
}

describe('decoding holds about one RGB copy of the image', () => {
  // An RGBA image was decoded to 4 channels, then copied to 3 in JS: two copies at once.
  it('a 6000 x 6000 RGBA PNG: peak growth under 1.5 x its RGB size', async () => {
    const side = 6000;
    const png = new Uint8Array(
      await sharp({ create: { width: side, height: side, channels: 4, background: { r: 120, g: 60, b: 200, alpha: 0.5 } } })
        .png({ compressionLevel: 1 })
        .toBuffer(),
    );
    const { result, peakGrowth } = await measured(() => decodeImage(png));
    expect(result.data.length).toBe(side * side * 3);
    expect([...result.data.subarray(0, 3)]).toEqual([120, 60, 200]); // the colour under alpha, not composited
    expect(peakGrowth).toBeLessThan(1.5 * side * side * 3);
  });
});

describe('thin strips resize in the memory and time of the crop', () => {
  const vit = VIT_BASE_PATCH16_384_PREPROCESS;
  const configs: [string, PreprocessConfig][] = [
    ['bicubic center', vit],
    ['bilinear non-square center', { ...vit, inputSize: [3, 320, 384], cropPct: 0.9 }],
    ['nearest center', { ...vit, interpolation: 'nearest' }],
  ];
  const strips: [string, number, number][] = [
    ['1 x 3,000', 1, 3_000], // resized to 384 x 1,152,000: --resize sharp ran for minutes
    ['1 x 1,000,000', 1, 1_000_000], // resized to 384 x 384,000,000
    ['1,000,000 x 1', 1_000_000, 1], // resized to 384,000,000 x 384
  ];
  for (const [label, width, height] of strips) {
    it(`${label} PNG: decoded, then resized and cropped by each config and engine, each under 300 MB and 10 s`, async () => {
      const png = await solidPng(width, height);
      const decoded = await measured(() => decodeImage(png));
      expect(decoded.peakGrowth).toBeLessThan(300 * MB);
      expect(decoded.seconds).toBeLessThan(10);
      for (const [name, cfg, resize] of configs.flatMap(([n, c]) => RESIZE_ENGINES.map((e) => [`${n}, --resize ${e}`, c, e] as const))) {
        const { result, seconds, peakGrowth } = await measured(() => loadImageTensor(decoded.result, cfg, { resize }));
        expect([name, result.width, result.height]).toEqual([name, width, height]);
        expect(peakGrowth, name).toBeLessThan(300 * MB);
        expect(seconds, name).toBeLessThan(10);
        expectSolid(result.tensor, cfg.inputSize[1] * cfg.inputSize[2]);
      }
    });
  }
});

describe('the smallest crop_pct (a resize to 16 times the crop side) stays bounded', () => {
  // A crop_pct of 1e-6 once took 27 s and 2.2 GB, and crashed libvips with --resize sharp; it
  // is now refused (geometry.test.ts), and the smallest accepted value is cheap.
  for (const [width, height] of [
    [1, 1],
    [3, 2],
    [451, 300],
  ]) {
    it(`${width} x ${height}: every crop mode and engine under 300 MB and 10 s`, async () => {
      const png = await solidPng(width, height);
      for (const cropMode of ['center', 'squash', 'border'] as const) {
        for (const resize of RESIZE_ENGINES) {
          const cfg: PreprocessConfig = { ...VIT_BASE_PATCH16_384_PREPROCESS, cropPct: MIN_CROP_PCT, cropMode };
          const { result, seconds, peakGrowth } = await measured(() => loadImageTensor(png, cfg, { resize }));
          expect(peakGrowth, `${cropMode} ${resize}`).toBeLessThan(300 * MB);
          expect(seconds, `${cropMode} ${resize}`).toBeLessThan(10);
          expectSolid(result.tensor, 384 * 384);
        }
      }
    });
  }
});

describe('images too thin to decode in bounded time are refused, from their header', () => {
  // Decoding a 1 x 80,000,000 PNG (within the pixel limit) took 115 s, an 80,000,000 x 1 one
  // 18 s and 2 GB: a side over MAX_IMAGE_SIDE is refused before any pixel is decoded.
  for (const [width, height] of [
    [1, MAX_IMAGE_SIDE + 1],
    [MAX_IMAGE_SIDE + 1, 1],
  ]) {
    it(`${width} x ${height}: TOO_LARGE within a second`, async () => {
      const png = await solidPng(width, height);
      const { result, seconds } = await measured(() => decodeImage(png).then(() => null, (e: unknown) => e));
      expect(result).toBeInstanceOf(ImageDecodeError);
      expect(result).toMatchObject({
        code: 'TOO_LARGE',
        message: `<buffer>: image is ${width}x${height}, a side over the limit of 1048576 pixels (too thin to decode in bounded time and memory)`,
      });
      expect(seconds).toBeLessThan(1);
    });
  }
});

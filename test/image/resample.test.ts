// resizeRgb on its own: a full resize against Pillow's (squash configs crop nothing, so their
// fixtures are plain img.resize results), regions equal to slices of the full resize, and the
// fixed-point coefficients' invariants.

import { describe, expect, it } from 'vitest';

import { decodeImage } from '../../src/image/decode.js';
import { accumulate, computeCoefficients, resizeRgb } from '../../src/image/resample.js';
import type { Interpolation, RgbImage } from '../../src/image/types.js';
import { imagePath, loadManifest, sha256 } from './fixtures.js';

const manifest = loadManifest();

function expectedHash(image: string, config: string): string {
  const c = manifest.cases.find((x) => x.image === image && x.config === config);
  if (!c) throw new Error(`no fixture case ${image} / ${config}`);
  return c.rgbSha256;
}

/** A deterministic pseudo-random image with full-range values (exercises clipping). */
function noiseImage(width: number, height: number, seed: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  let s = seed >>> 0;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s >>> 24;
  }
  return { width, height, data };
}

function slice(img: RgbImage, left: number, top: number, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const from = ((top + y) * img.width + left) * 3;
    out.set(img.data.subarray(from, from + width * 3), y * width * 3);
  }
  return out;
}

describe('resizeRgb equals Pillow img.resize', () => {
  const full: [string, string, number, number, Interpolation][] = [
    ['cat.png', 'squash384', 384, 384, 'bicubic'], // up 300 -> 384, down 451 -> 384
    ['coffee.png', 'squash384', 384, 384, 'bicubic'], // down both ways
    ['tiny_1x1.png', 'squash384', 384, 384, 'bicubic'],
    ['rgba.png', 'squashKeepH', 64, 90, 'bicubic'], // horizontal pass only
    ['rgba.png', 'squashKeepW', 120, 150, 'bilinear'], // vertical pass only
  ];
  for (const [image, config, w, h, interpolation] of full) {
    it(`${image} -> ${w}x${h} ${interpolation}`, async () => {
      const resized = resizeRgb(await decodeImage(imagePath(image)), w, h, interpolation);
      expect(sha256(resized.data)).toBe(expectedHash(image, config));
    });
  }
});

describe('resizeRgb regions', () => {
  const src = noiseImage(37, 23, 7);
  const targets: [number, number][] = [
    [91, 50], // up both
    [12, 9], // down both (wide support)
    [37, 61], // vertical only
    [5, 23], // horizontal only
    [37, 23], // same size: a copy
  ];
  for (const interpolation of ['bicubic', 'bilinear', 'nearest'] as const) {
    for (const [w, h] of targets) {
      it(`${interpolation} 37x23 -> ${w}x${h}: any region equals the same pixels of the full resize`, () => {
        const whole = resizeRgb(src, w, h, interpolation);
        expect([whole.width, whole.height]).toEqual([w, h]);
        const regions = [
          [0, 0, w, h],
          [0, 0, 1, 1],
          [w - 1, h - 1, 1, 1],
          [Math.floor(w / 3), Math.floor(h / 4), Math.ceil(w / 2), Math.ceil(h / 2)],
        ];
        for (const [left, top, rw, rh] of regions) {
          const part = resizeRgb(src, w, h, interpolation, { left, top, width: rw, height: rh });
          expect([part.width, part.height]).toEqual([rw, rh]);
          expect(sha256(part.data)).toBe(sha256(slice(whole, left, top, rw, rh)));
        }
      });
    }
  }

  it('does not modify its input and copies on a same-size resize', () => {
    const before = sha256(src.data);
    const same = resizeRgb(src, 37, 23, 'bicubic');
    expect(same.data).not.toBe(src.data);
    expect(sha256(same.data)).toBe(before);
    resizeRgb(src, 80, 11, 'bicubic');
    expect(sha256(src.data)).toBe(before);
  });

  it('rejects bad sizes, data and regions', () => {
    expect(() => resizeRgb(src, 0, 5, 'bicubic')).toThrow(RangeError);
    expect(() => resizeRgb({ width: 2, height: 2, data: new Uint8Array(5) }, 4, 4, 'bicubic')).toThrow(/12 bytes/);
    expect(() => resizeRgb(src, 10, 10, 'bicubic', { left: 5, top: 0, width: 6, height: 1 })).toThrow(/region/);
  });
});

describe('computeCoefficients', () => {
  const cases: [number, number, 'bicubic' | 'bilinear'][] = [
    [300, 384, 'bicubic'],
    [451, 384, 'bicubic'],
    [4000, 224, 'bicubic'],
    [600, 256, 'bilinear'],
    [1, 384, 'bicubic'],
  ];
  for (const [inSize, outSize, interpolation] of cases) {
    it(`${interpolation} ${inSize} -> ${outSize}: windows inside the input, weights sum to ~2^22`, () => {
      const { ksize, start, count, weights } = computeCoefficients(inSize, outSize, interpolation);
      for (let i = 0; i < outSize; i++) {
        expect(start[i]).toBeGreaterThanOrEqual(0);
        expect(count[i]).toBeGreaterThanOrEqual(1);
        expect(count[i]).toBeLessThanOrEqual(ksize);
        expect(start[i] + count[i]).toBeLessThanOrEqual(inSize);
        let sum = 0;
        for (let k = 0; k < count[i]; k++) sum += weights[i * ksize + k];
        // each weight is rounded to the nearest 2^-22 on its own
        expect(Math.abs(sum - 2 ** 22)).toBeLessThanOrEqual(count[i]);
      }
    });
  }
});

describe('computeCoefficients for a range of outputs', () => {
  const cases: [number, number, 'bicubic' | 'bilinear', number, number][] = [
    [300, 384, 'bicubic', 0, 384],
    [300, 384, 'bicubic', 100, 101],
    [1000, 384_000, 'bicubic', 191_808, 192_192], // a tall strip's center crop
    [4000, 224, 'bilinear', 7, 200],
    [1, 384, 'bicubic', 383, 384],
  ];
  for (const [inSize, outSize, interpolation, first, end] of cases) {
    it(`${interpolation} ${inSize} -> ${outSize}, outputs [${first}, ${end}): the same entries as the full table, sized to the range`, () => {
      const full = computeCoefficients(inSize, outSize, interpolation);
      const part = computeCoefficients(inSize, outSize, interpolation, first, end);
      expect(part.first).toBe(first);
      expect(part.ksize).toBe(full.ksize);
      expect(part.start.length).toBe(end - first);
      expect(part.weights.length).toBe((end - first) * full.ksize);
      expect([...part.start]).toEqual([...full.start.subarray(first, end)]);
      expect([...part.count]).toEqual([...full.count.subarray(first, end)]);
      expect([...part.weights]).toEqual([...full.weights.subarray(first * full.ksize, end * full.ksize)]);
    });
  }

  it('rejects an empty or out-of-bounds range', () => {
    expect(() => computeCoefficients(10, 20, 'bicubic', 5, 5)).toThrow(/range/);
    expect(() => computeCoefficients(10, 20, 'bicubic', 0, 21)).toThrow(/range/);
    expect(() => computeCoefficients(10, 20, 'bicubic', -1, 3)).toThrow(/range/);
  });
});

describe('accumulate (nearest-neighbour coordinates of a region)', () => {
  function naive(start: number, step: number, n: number): number {
    let v = start;
    for (let i = 0; i < n; i++) v += step;
    return v;
  }

  it('equals n sequential double additions, bit for bit', () => {
    // Steps of real resizes (in / out), steps exactly halfway between multiples of an ulp
    // (ties to even: 0.75, 3 * 2^-20, ...), and seeded random ones.
    const steps = [1 / 384, 451 / 577, 300 / 384, 1e6 / 384e6, 0.75, 1.5, 2.5, 3 * 2 ** -20, 5 * 2 ** -30, 1 / 3, 7, 1000 / 3];
    let seed = 12345;
    for (let i = 0; i < 20; i++) {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      steps.push((seed / 2 ** 32) * 10 ** ((i % 7) - 3));
    }
    for (const step of steps) {
      for (const n of [0, 1, 2, 3, 17, 1000, 123_457, 2_000_003]) {
        const start = step * 0.5;
        const expected = naive(start, step, n);
        const got = accumulate(start, step, n);
        if (!Object.is(got, expected)) throw new Error(`accumulate(${start}, ${step}, ${n}) = ${got}, sequential sum ${expected}`);
      }
    }
  });

  it('is exact over a long sum too, where the drift is whole pixels, in a few operations', () => {
    const n = 200_000_000;
    const expected = naive(0.5 / 384, 1 / 384, n);
    const started = performance.now();
    const got = accumulate(0.5 / 384, 1 / 384, n);
    expect(performance.now() - started).toBeLessThan(20);
    expect(got).toBe(expected);
    expect(Math.abs(expected - (n + 0.5) / 384)).toBeGreaterThan(1e-3); // the sum is not the product
  });
});

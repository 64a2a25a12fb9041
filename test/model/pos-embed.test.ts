// The position-embedding resampling of --img-size against PyTorch's own F.interpolate(mode='bicubic',
// antialias=True), as timm's resample_abs_pos_embed calls it (scripts/make_img_size_fixtures.py,
// torch 1.13.1 on x86-64 with AVX2).
//
// Tolerance: none. resamplePosEmbed redoes every float32 rounding of that PyTorch code, fused
// multiply-adds included (pos-embed.ts says where each comes from), so the committed fixtures are
// matched bit for bit. (Another PyTorch build, one without AVX2 say, rounds differently by an ulp
// or two: fixtures regenerated there would need a tolerance of a few float32 ulps.) The mistakes
// this guards against are far larger: plain bicubic (a = -0.75, no antialias) differs by 0.13 to
// 1.3 on these cases (the script prints it).

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SafetensorsBuffer } from '../../src/safetensors/index.js';
import { bicubicAntialiasWeights, fmaf, resamplePosEmbed, resampledSource } from '../../src/vit/pos-embed.js';
import type { VitConfig } from '../../src/vit/config.js';
import { FIXTURES, MODEL_FIXTURES } from './fixtures.js';

const expected = SafetensorsBuffer.read(join(FIXTURES, 'img-size', 'pos_embed.safetensors'));

function posEmbedOf(model: string): { values: Float32Array; dim: number; grid: number } {
  const checkpoint = SafetensorsBuffer.read(join(MODEL_FIXTURES, model, 'model.safetensors'));
  const [, tokens, dim] = checkpoint.info('pos_embed').shape;
  return { values: checkpoint.float32('pos_embed'), dim, grid: Math.round(Math.sqrt(tokens - 1)) };
}

/** The first index where two arrays differ (-1: none). */
function firstDifference(a: Float32Array, b: Float32Array): number {
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

describe('resamplePosEmbed equals timm resample_abs_pos_embed (PyTorch bicubic, antialias)', () => {
  for (const name of expected.names) {
    const [model, sizes] = name.split('.');
    const [from, to] = sizes.split('to').map(Number);
    it(`${model}: grid ${from} -> ${to}, bit for bit`, () => {
      const { values, dim, grid } = posEmbedOf(model);
      expect(grid).toBe(from);
      const out = resamplePosEmbed(values, dim, from, to);
      const want = expected.float32(name);
      expect(out.length).toBe(want.length);
      expect(out.subarray(0, dim)).toEqual(values.subarray(0, dim)); // the class token's row, kept
      const at = firstDifference(out, want);
      expect(at, `index ${at}: ${out[at]} vs PyTorch ${want[at]}`).toBe(-1);
    });
  }

  it('covers up- and down-sizes, fractional ratios, a 1 x 1 grid and 25-tap sums', () => {
    expect(expected.names).toEqual(expect.arrayContaining(['tiny.4to7', 'tiny.4to3', 'tiny.4to1', 'narrow384.24to10', 'narrow384.24to31', 'narrow384.24to2']));
  });

  it('keeps the embedding as it is at the same grid', () => {
    const { values, dim, grid } = posEmbedOf('tiny');
    expect(resamplePosEmbed(values, dim, grid, grid)).toEqual(values);
  });

  it('refuses an embedding of another length', () => {
    expect(() => resamplePosEmbed(new Float32Array(10), 3, 2, 4)).toThrow(/expected \[1 \+ 2\*2\]\[3\] = 15 floats, received 10/);
  });
});

describe('bicubicAntialiasWeights', () => {
  it('has weights that sum to 1 and taps inside the input, up and down', () => {
    for (const [inSize, outSize] of [
      [4, 7],
      [24, 10],
      [24, 31],
      [7, 2],
      [3, 1],
      [1, 5],
    ]) {
      const w = bicubicAntialiasWeights(inSize, outSize);
      for (let i = 0; i < outSize; i++) {
        expect(w.start[i]).toBeGreaterThanOrEqual(0);
        expect(w.start[i] + w.count[i]).toBeLessThanOrEqual(inSize);
        let sum = 0;
        for (let j = 0; j < w.count[i]; j++) sum += w.weights[i * w.taps + j];
        expect(sum).toBeCloseTo(1, 5);
      }
    }
  });

  it('uses Keys a = -0.5 (not -0.75) when up-sizing, taps clipped at the edge and renormalized', () => {
    // center = 0.75 in input pixels; taps at 0..2 (clipped at the left edge), distances from
    // pixel centres 0.5, 1.5, 2.5: 0.25, 0.75, 1.75 -> Keys(-0.5) = 0.8671875, 0.2265625, -0.0234375
    // and the tap at -1 (distance 1.25, weight -0.0703125) falls outside: renormalized over 3 taps.
    const w = bicubicAntialiasWeights(4, 8);
    expect(w.start[1]).toBe(0);
    expect(w.count[1]).toBe(3);
    const raw = [0.8671875, 0.2265625, -0.0234375];
    const total = raw.reduce((a, b) => a + b);
    for (let j = 0; j < 3; j++) expect(w.weights[w.taps + j]).toBeCloseTo(raw[j] / total, 7);
  });
});

describe('fmaf', () => {
  it('rounds a * b + c once: 2^30 + 192 - 2^-40 is below the midpoint, so 2^30 + 128 (a double sum rounds it twice, to 2^30 + 256)', () => {
    const [a, b, c] = [8 + 2 ** -20, 8 - 2 ** -20, 2 ** 30 + 128]; // a * b = 64 - 2^-40
    expect(Math.fround(a * b + c)).toBe(2 ** 30 + 256);
    expect(fmaf(a, b, c)).toBe(2 ** 30 + 128);
    expect(fmaf(-a, b, -c)).toBe(-(2 ** 30 + 128));
    expect(fmaf(1.5, 2, 0.25)).toBe(3.25);
  });
});

describe('resampledSource', () => {
  const config: VitConfig = { imgSize: 32, patchSize: 8, inChans: 3, numClasses: 2, embedDim: 2, depth: 1, numHeads: 1, mlpHiddenDim: 4, qkvBias: true, layerNormEps: 1e-6 };
  const stored = new Float32Array(17 * 2).map((_, i) => i / 7);
  const source = {
    readInto(name: string, dest: Float32Array) {
      dest.set(name === 'pos_embed' ? stored : new Float32Array(dest.length).fill(3));
    },
  };

  it('resamples pos_embed only, and is the source itself at the same size', () => {
    expect(resampledSource(source, config, config)).toBe(source);
    const resampled = resampledSource(source, config, { ...config, imgSize: 48 });
    const pos = new Float32Array(37 * 2);
    resampled.readInto('pos_embed', pos);
    expect(pos).toEqual(resamplePosEmbed(stored, 2, 4, 6));
    const other = new Float32Array(5);
    resampled.readInto('norm.weight', other);
    expect([...other]).toEqual([3, 3, 3, 3, 3]);
  });
});

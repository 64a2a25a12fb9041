// planGeometry against the table test/fixtures/preprocess/geometry.json, which
// scripts/make_image_fixtures.py computed with torchvision's own _compute_resized_output_size
// and center_crop (timm's ResizeKeepRatio re-stated there), plus edge cases worked by hand.

import { describe, expect, it } from 'vitest';

import { PreprocessConfigError } from '../../src/image/errors.js';
import { MIN_CROP_PCT, planGeometry, roundHalfEven } from '../../src/image/geometry.js';
import { VIT_BASE_PATCH16_384_PREPROCESS } from '../../src/image/preprocess.js';
import type { PreprocessConfig } from '../../src/image/types.js';
import { loadGeometryTable } from './fixtures.js';

const table = loadGeometryTable();

describe('planGeometry vs torchvision (geometry.json)', () => {
  it('has a meaningful table', () => {
    expect(table.rows.length).toBeGreaterThan(100);
  });
  for (const row of table.rows) {
    const [w, h] = row.sourceSize;
    it(`${w}x${h} ${row.config}`, () => {
      const g = planGeometry(w, h, table.configs[row.config]);
      expect(g.sourceSize).toEqual([w, h]);
      expect(g.resizeSize).toEqual(row.resizeSize);
      expect(g.resizeInterpolation).toBe(row.resizeInterpolation);
      expect(g.cropBox).toEqual(row.cropBox);
    });
  }
});

describe('planGeometry by hand', () => {
  const vit = VIT_BASE_PATCH16_384_PREPROCESS;

  it('rounds crop offsets half to even, like Python round()', () => {
    // 451x300 -> 577x384: (577 - 384) / 2 = 96.5 -> 96 (Math.round would say 97)
    expect(planGeometry(451, 300, vit).cropBox).toEqual({ left: 96, top: 0, width: 384, height: 384 });
    expect([0.5, 1.5, 2.5, 3.5, -0.5, -1.5, 96.5, 2.4999, 2.5001].map(roundHalfEven)).toEqual([0, 2, 2, 4, 0, -2, 96, 2, 3]);
  });

  it('truncates the long side: int(384 * 451 / 300) = 577', () => {
    expect(planGeometry(451, 300, vit).resizeSize).toEqual([577, 384]);
    expect(planGeometry(300, 451, vit).resizeSize).toEqual([384, 577]);
  });

  it('scales a 1x1 image up to the short side and crops it whole', () => {
    expect(planGeometry(1, 1, vit)).toMatchObject({ resizeSize: [384, 384], cropBox: { left: 0, top: 0 } });
  });

  it('handles a 5x300 strip: 384 x int(384 * 300 / 5)', () => {
    const g = planGeometry(5, 300, vit);
    expect(g.resizeSize).toEqual([384, 23040]);
    expect(g.cropBox).toEqual({ left: 0, top: (23040 - 384) / 2, width: 384, height: 384 });
  });

  it('pads (negative offsets) when the crop is larger than the resized image', () => {
    const border: PreprocessConfig = { ...vit, inputSize: [3, 224, 224], cropPct: 0.875, cropMode: 'border', mean: [0.485, 0.456, 0.406] };
    const g = planGeometry(1000, 20, border);
    // longest side -> 256: 256 x round(20 / (1000 / 256)) = 256 x 5; pad (224 - 5) // 2 = 109 above
    expect(g.resizeSize).toEqual([256, 5]);
    expect(g.cropBox).toEqual({ left: 16, top: -109, width: 224, height: 224 });
    expect(g.padColour).toEqual([124, 116, 104]); // round(255 * mean)
    expect(planGeometry(1000, 20, { ...border, mean: [0.5, 0.5, 0.5] }).padColour).toEqual([128, 128, 128]);
  });

  it('pads with black in center and squash modes', () => {
    const squash: PreprocessConfig = { ...vit, cropMode: 'squash', cropPct: 1.25 };
    const g = planGeometry(640, 480, squash);
    expect(g.resizeSize).toEqual([307, 307]); // floor(384 / 1.25)
    expect(g.cropBox).toEqual({ left: -38, top: -38, width: 384, height: 384 }); // (384 - 307) // 2
    expect(g.padColour).toEqual([0, 0, 0]);
  });

  it('uses bilinear for a non-square center resize, as timm builds it', () => {
    const rect: PreprocessConfig = { ...vit, inputSize: [3, 256, 320], cropPct: 0.95 };
    expect(planGeometry(451, 300, rect).resizeInterpolation).toBe('bilinear');
    expect(planGeometry(451, 300, vit).resizeInterpolation).toBe('bicubic');
  });

  it('never plans a 0-pixel side (where timm itself would fail)', () => {
    const border: PreprocessConfig = { ...vit, cropMode: 'border' };
    expect(planGeometry(100000, 3, border).resizeSize).toEqual([384, 1]);
  });

  it('rejects bad configs and sizes', () => {
    expect(() => planGeometry(0, 10, vit)).toThrow(RangeError);
    expect(() => planGeometry(10.5, 10, vit)).toThrow(RangeError);
    expect(() => planGeometry(10, 10, { ...vit, cropPct: 0 })).toThrow(/cropPct/);
    expect(() => planGeometry(10, 10, { ...vit, inputSize: [1, 384, 384] })).toThrow(/channels/);
    expect(() => planGeometry(10, 10, { ...vit, std: [0.5, 0, 0.5] })).toThrow(/std/);
    expect(() => planGeometry(10, 10, { ...vit, cropMode: 'fit' as never })).toThrow(/cropMode/);
  });

  it('refuses a crop_pct below 1/16 with a PreprocessConfigError, whatever the mode; timm values pass', () => {
    for (const cropMode of ['center', 'squash', 'border'] as const) {
      for (const cropPct of [1e-6, 0.05, 1 / 16 - 1e-9]) {
        const plan = () => planGeometry(640, 480, { ...vit, cropMode, cropPct });
        expect(plan).toThrow(PreprocessConfigError);
        expect(plan).toThrow(RangeError);
        expect(plan).toThrow(`cropPct must be a number >= 1/16 (a resize to at most 16 times the crop side), got ${cropPct}`);
      }
      for (const cropPct of [MIN_CROP_PCT, 0.875, 0.9, 0.95, 0.96, 1, 1.25]) {
        expect(() => planGeometry(640, 480, { ...vit, cropMode, cropPct })).not.toThrow();
      }
    }
    // at the bound the resized short side is 16 crop sides
    expect(planGeometry(640, 480, { ...vit, cropPct: MIN_CROP_PCT }).resizeSize).toEqual([8192, 6144]);
    expect(() => planGeometry(10, 10, { ...vit, cropPct: Number.NaN })).toThrow(PreprocessConfigError);
    expect(() => planGeometry(10, 10, { ...vit, cropPct: Infinity })).toThrow(PreprocessConfigError);
  });
});

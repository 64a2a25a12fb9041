// The patch grid mapped back onto the original image (app/explain/geometry.ts) and the overlay
// (colormap.ts), on portrait and landscape images in every crop mode. Expected rectangles are
// worked out by hand in the comments from timm's eval transform (image/geometry.ts's header):
// a 384 px input with 16 px patches (a 24 x 24 grid), as ViT-B/16-384.

import { describe, expect, it } from 'vitest';
import { cropInSource, heatOnSource } from '../../src/app/explain/geometry.js';
import { overlayHeat, viridis } from '../../src/app/explain/colormap.js';
import { planGeometry } from '../../src/image/geometry.js';
import type { CropMode, PreprocessConfig, RgbImage } from '../../src/image/types.js';

const GRID = 24;

function config(cropMode: CropMode, cropPct = 1): PreprocessConfig {
  return { inputSize: [3, 384, 384], interpolation: 'bicubic', mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], cropPct, cropMode };
}

/** A grid of `value` everywhere, or 1 at (row, col) and 0 elsewhere. */
function grid(hot?: [number, number], value = 1): Float64Array {
  const g = new Float64Array(GRID * GRID).fill(hot === undefined ? value : 0);
  if (hot !== undefined) g[hot[0] * GRID + hot[1]] = 1;
  return g;
}

/** The bounding box [x0, x1] x [y0, y1] (inclusive) of the pixels where `keep` holds, or null. */
function boundingBox(heat: Float32Array, width: number, keep: (v: number) => boolean): [number, number, number, number] | null {
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let i = 0; i < heat.length; i++) {
    if (!keep(heat[i])) continue;
    const x = i % width;
    const y = Math.floor(i / width);
    [x0, x1, y0, y1] = [Math.min(x0, x), Math.max(x1, x), Math.min(y0, y), Math.max(y1, y)];
  }
  return x0 === Infinity ? null : [x0, x1, y0, y1];
}

const count = (heat: Float32Array, keep: (v: number) => boolean) => heat.reduce((n, v) => n + (keep(v) ? 1 : 0), 0);
const inside = (v: number) => !Number.isNaN(v);

describe('cropInSource: the crop box in original-image coordinates', () => {
  it.each([
    // center, crop_pct 1: the shorter side is resized to 384, scale 300/384 = 400/512 = 0.78125.
    // Portrait 300x400 -> 384x512, crop top round(128 / 2) = 64 -> source 64 * 0.78125 = 50.
    ['portrait', 'center', 300, 400, { left: 0, top: 50, width: 300, height: 300 }],
    // Landscape 400x300 -> 512x384, crop left 64 -> 50.
    ['landscape', 'center', 400, 300, { left: 50, top: 0, width: 300, height: 300 }],
    // squash: both sides to 384, the crop is the whole resized image, so the whole source.
    ['portrait', 'squash', 300, 400, { left: 0, top: 0, width: 300, height: 400 }],
    ['landscape', 'squash', 400, 300, { left: 0, top: 0, width: 400, height: 300 }],
    // border: the longer side to 384 (scale 400/384), landscape 400x300 -> 384x288, padded by
    // floor(96 / 2) = 48 above: top -48 * 300/288 = -50, height 384 * 300/288 = 400.
    ['landscape', 'border', 400, 300, { left: 0, top: -50, width: 400, height: 400 }],
    ['portrait', 'border', 300, 400, { left: -50, top: 0, width: 400, height: 400 }],
  ] as const)('%s %s (%i x %i)', (_shape, mode, width, height, expected) => {
    const crop = cropInSource(planGeometry(width, height, config(mode)));
    for (const key of ['left', 'top', 'width', 'height'] as const) expect(crop[key]).toBeCloseTo(expected[key], 9);
  });

  it('center with crop_pct 0.875: the shorter side to floor(384 / 0.875) = 438, then the 384 crop', () => {
    // Landscape 400x300 -> 584x438 (trunc(438 * 400 / 300)), crop left round(200 / 2) = 100, top
    // round(54 / 2) = 27; scale 400/584 = 300/438.
    const crop = cropInSource(planGeometry(400, 300, config('center', 0.875)));
    expect(crop.left).toBeCloseTo((100 * 400) / 584, 9);
    expect(crop.top).toBeCloseTo((27 * 300) / 438, 9);
    expect(crop.width).toBeCloseTo((384 * 400) / 584, 9);
    expect(crop.height).toBeCloseTo((384 * 300) / 438, 9);
  });
});

describe('heatOnSource: the grid upsampled over the crop, nothing outside it', () => {
  it.each([
    // Pixel centres y + 0.5 in [50, 350): rows 50..349 (portrait); columns 50..349 (landscape).
    ['portrait', 300, 400, [0, 299, 50, 349]],
    ['landscape', 400, 300, [50, 349, 0, 299]],
  ] as const)('center, %s: a uniform grid covers exactly the crop band', (_shape, width, height, box) => {
    const heat = heatOnSource(grid(undefined, 0.25), GRID, GRID, planGeometry(width, height, config('center')));
    expect(heat.length).toBe(width * height);
    expect(boundingBox(heat, width, inside)).toEqual(box);
    expect(count(heat, inside)).toBe(300 * 300);
    expect(count(heat, (v) => v === 0.25)).toBe(300 * 300);
  });

  it.each([
    ['portrait', 300, 400],
    ['landscape', 400, 300],
  ] as const)('squash and border, %s: every pixel is inside the crop', (_shape, width, height) => {
    for (const mode of ['squash', 'border'] as const) {
      const heat = heatOnSource(grid(undefined, 1), GRID, GRID, planGeometry(width, height, config(mode)));
      expect(count(heat, (v) => v === 1)).toBe(width * height);
    }
  });

  it('center with crop_pct 0.875, landscape: only the centre box, on both axes', () => {
    // Crop in source: x [68.49, 331.51), y [18.49, 281.51) (see cropInSource above): pixel centres
    // x + 0.5 >= 68.49 from x = 68, < 331.51 up to x = 331; y from 18 to 281.
    const heat = heatOnSource(grid(undefined, 1), GRID, GRID, planGeometry(400, 300, config('center', 0.875)));
    expect(boundingBox(heat, 400, inside)).toEqual([68, 331, 18, 281]);
    expect(count(heat, inside)).toBe(264 * 264);
  });

  it.each([
    // A cell is 16 crop px = 12.5 source px. Cell (row 5, col 3) has its centre at crop (56, 88);
    // bilinear weights are non-zero within one cell of it: crop x in (40, 72), y in (72, 104).
    // Portrait: x -> (31.25, 56.25), y -> ((72 + 64) * 0.78125, (104 + 64) * 0.78125) = (106.25, 131.25):
    // pixel centres inside: x 31..55, y 106..130; the centre (43.75, 118.75).
    ['portrait', 300, 400, [31, 55, 106, 130], [43.75, 118.75]],
    // Landscape: x -> ((40 + 64) * 0.78125, (72 + 64) * 0.78125) = (81.25, 106.25), y -> (56.25, 81.25).
    ['landscape', 400, 300, [81, 105, 56, 80], [93.75, 68.75]],
  ] as const)('center, %s: one hot cell lights the expected rectangle of the original', (_shape, width, height, box, centre) => {
    const heat = heatOnSource(grid([5, 3]), GRID, GRID, planGeometry(width, height, config('center')));
    expect(boundingBox(heat, width, (v) => v > 0)).toEqual(box);
    // The peak sits at the cell's centre: the four pixels around (43.75, 118.75) are the largest.
    let best = 0;
    let at = -1;
    heat.forEach((v, i) => {
      if (v > best) [best, at] = [v, i];
    });
    expect(Math.abs((at % width) + 0.5 - centre[0])).toBeLessThanOrEqual(0.5);
    expect(Math.abs(Math.floor(at / width) + 0.5 - centre[1])).toBeLessThanOrEqual(0.5);
    expect(best).toBeGreaterThan(0.9);
  });

  it('a corner cell is held flat out to the crop edge (clamped), portrait center', () => {
    // Cell (0, 0): centre at crop (8, 8) = source (6.25, 50 + 6.25); the value is 1 from the crop's
    // edge to the centre on both axes: x + 0.5 <= 6.25 (x 0..5), y + 0.5 in [50, 56.25] (y 50..55);
    // it reaches zero one cell further: crop 24 -> x + 0.5 < 18.75 (x <= 18), y + 0.5 < 68.75 (y <= 68).
    const heat = heatOnSource(grid([0, 0]), GRID, GRID, planGeometry(300, 400, config('center')));
    expect(boundingBox(heat, 300, (v) => v === 1)).toEqual([0, 5, 50, 55]);
    expect(boundingBox(heat, 300, (v) => v > 0)).toEqual([0, 18, 50, 68]);
  });
});

describe('overlayHeat', () => {
  const image: RgbImage = { width: 3, height: 1, data: new Uint8Array([10, 20, 30, 40, 50, 60, 70, 80, 90]) };

  it('leaves pixels outside the crop (NaN) unchanged and colours the others by viridis, min to max', () => {
    const heat = new Float32Array([Number.NaN, 2, 4]);
    const out = overlayHeat(image, heat, [2, 4], 1);
    expect([...out.data.subarray(0, 3)]).toEqual([10, 20, 30]);
    expect([...out.data.subarray(3, 6)]).toEqual([0x44, 0x01, 0x54]); // viridis(0)
    expect([...out.data.subarray(6, 9)]).toEqual([0xfd, 0xe7, 0x25]); // viridis(1)
    expect([...image.data]).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90]); // the input is not written to
  });

  it('blends by alpha: 0 leaves the image, 0.5 is the mean', () => {
    const heat = new Float32Array([0, 1, 1]);
    expect([...overlayHeat(image, heat, [0, 1], 0).data]).toEqual([...image.data]);
    const half = overlayHeat(image, heat, [0, 1], 0.5).data;
    expect([...half.subarray(6, 9)]).toEqual([Math.round((70 + 0xfd) / 2), Math.round((80 + 0xe7) / 2), Math.round((90 + 0x25) / 2)]);
  });

  it('viridis runs from dark violet through teal to yellow', () => {
    expect(viridis(-1)).toEqual([0x44, 0x01, 0x54]);
    expect(viridis(2)).toEqual([0xfd, 0xe7, 0x25]);
    const mid = viridis(0.5); // between 0x26828e and 0x1f9e89
    expect(mid[1]).toBeGreaterThan(mid[0]);
    expect(mid[2]).toBeGreaterThan(mid[0]);
  });
});

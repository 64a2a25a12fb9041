// From the model's patch grid back to the original image: the inverse of the eval transform's
// resize and crop (image/geometry.ts planGeometry). Pure: no I/O.
//
// The resize maps pixel edges linearly (Pillow samples output pixel x at source (x + 0.5) * s - 0.5,
// s = source / resized, per axis), so the crop box [left, left + width) of the resized image is
// [left * s, (left + width) * s) of the source, on each axis: in 'center' mode a band across the
// shorter side's full length, in 'squash' mode the whole image, in 'border' mode a box larger than
// the image (the padding lies outside it). Grid cell (row, col) covers crop pixels
// [col * P, (col + 1) * P) x [row * P, (row + 1) * P), P = crop side / grid side.

import type { PreprocessGeometry } from '../../image/types.js';

/** A rectangle in continuous pixel coordinates of the original image (edges, not centres). */
export interface SourceRect {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** The crop box in the original image's coordinates; it reaches past the image where the crop padded it. */
export function cropInSource(geometry: PreprocessGeometry): SourceRect {
  const [sourceW, sourceH] = geometry.sourceSize;
  const [resizedW, resizedH] = geometry.resizeSize;
  const sx = sourceW / resizedW;
  const sy = sourceH / resizedH;
  const box = geometry.cropBox;
  return { left: box.left * sx, top: box.top * sy, width: box.width * sx, height: box.height * sy };
}

/** Per pixel along one axis of the source: the two grid cells it reads, the weight of the second, or -1 outside the crop. */
interface AxisSamples {
  first: Int32Array;
  weight: Float64Array;
}

/**
 * Source pixels 0..n-1 along one axis: pixel centre c + 0.5 lies in the crop at
 * (c + 0.5) * resized / source - cropStart crop pixels; inside [0, cropLength) it samples the grid
 * at that / cell - 0.5 cells (cell centres at k + 0.5), clamped to the first and last cells.
 */
function axisSamples(n: number, source: number, resized: number, cropStart: number, cropLength: number, cells: number): AxisSamples {
  const first = new Int32Array(n);
  const weight = new Float64Array(n);
  const cell = cropLength / cells;
  for (let c = 0; c < n; c++) {
    const inCrop = ((c + 0.5) * resized) / source - cropStart;
    if (!(inCrop >= 0 && inCrop < cropLength)) {
      first[c] = -1;
      continue;
    }
    const g = Math.min(cells - 1, Math.max(0, inCrop / cell - 0.5));
    const k = Math.min(cells - 2, Math.floor(g));
    first[c] = Math.max(0, k);
    weight[c] = cells === 1 ? 0 : g - first[c];
  }
  return { first, weight };
}

/**
 * The grid [rows][cols] (row-major) upsampled bilinearly over the crop, on every pixel of the
 * original image: [height][width] values, NaN for the pixels whose centre lies outside the crop.
 */
export function heatOnSource(grid: ArrayLike<number>, rows: number, cols: number, geometry: PreprocessGeometry): Float32Array {
  if (grid.length !== rows * cols) throw new RangeError(`heatOnSource: a ${rows}x${cols} grid needs ${rows * cols} values, received ${grid.length}`);
  const [width, height] = geometry.sourceSize;
  const [resizedW, resizedH] = geometry.resizeSize;
  const box = geometry.cropBox;
  const xs = axisSamples(width, width, resizedW, box.left, box.width, cols);
  const ys = axisSamples(height, height, resizedH, box.top, box.height, rows);
  const out = new Float32Array(width * height).fill(Number.NaN);
  for (let y = 0; y < height; y++) {
    const r0 = ys.first[y];
    if (r0 < 0) continue;
    const r1 = Math.min(rows - 1, r0 + 1);
    const wy = ys.weight[y];
    for (let x = 0; x < width; x++) {
      const c0 = xs.first[x];
      if (c0 < 0) continue;
      const c1 = Math.min(cols - 1, c0 + 1);
      const wx = xs.weight[x];
      const top = grid[r0 * cols + c0] * (1 - wx) + grid[r0 * cols + c1] * wx;
      const bottom = grid[r1 * cols + c0] * (1 - wx) + grid[r1 * cols + c1] * wx;
      out[y * width + x] = top * (1 - wy) + bottom * wy;
    }
  }
  return out;
}

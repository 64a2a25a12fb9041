// The heat map's colours: viridis (matplotlib's default map: perceptually uniform, readable in
// grey and by colour-blind viewers), dark violet for the least attention, yellow for the most,
// blended over the original pixels. Pure: no I/O.

import type { RgbImage } from '../../image/types.js';

/**
 * viridis sampled at 0, 1/9, ..., 1 (matplotlib's table at those points, as R's viridis(10) lists
 * them) and interpolated linearly between: within a few 8-bit steps of the full 256-entry table.
 */
const VIRIDIS: readonly (readonly [number, number, number])[] = [
  [0x44, 0x01, 0x54],
  [0x48, 0x28, 0x78],
  [0x3e, 0x4a, 0x89],
  [0x31, 0x68, 0x8e],
  [0x26, 0x82, 0x8e],
  [0x1f, 0x9e, 0x89],
  [0x35, 0xb7, 0x79],
  [0x6d, 0xcd, 0x59],
  [0xb4, 0xde, 0x2c],
  [0xfd, 0xe7, 0x25],
];

/** The colour of t in [0, 1] (clamped) on viridis, as 0..255 floats. */
export function viridis(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const [a, b] = [VIRIDIS[i], VIRIDIS[i + 1]];
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}

/** The smallest and largest of `values` (which must be finite). */
export function valueRange(values: ArrayLike<number>): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    min = Math.min(min, values[i]);
    max = Math.max(max, values[i]);
  }
  return [min, max];
}

/**
 * `image` with `heat` (one value per pixel, NaN = leave the pixel alone) drawn over it: the value
 * scaled from [min, max] to [0, 1] (all 0 when min = max), coloured by viridis and blended as
 * (1 - alpha) * pixel + alpha * colour.
 */
export function overlayHeat(image: RgbImage, heat: Float32Array, range: readonly [number, number], alpha: number): RgbImage {
  const { width, height } = image;
  if (heat.length !== width * height) throw new RangeError(`overlayHeat: ${heat.length} values for a ${width}x${height} image`);
  const [min, max] = range;
  const span = max - min;
  const data = new Uint8Array(image.data);
  for (let p = 0; p < heat.length; p++) {
    const v = heat[p];
    if (Number.isNaN(v)) continue;
    const colour = viridis(span > 0 ? (v - min) / span : 0);
    for (let c = 0; c < 3; c++) data[p * 3 + c] = Math.round((1 - alpha) * image.data[p * 3 + c] + alpha * colour[c]);
  }
  return { width, height, data };
}

// Pillow 9.4's Image.resize for 8-bit RGB images (no box, no reducing_gap), bit-exact.
//
// Bicubic and bilinear follow libImaging/Resample.c: per output pixel, filter weights over the
// input window (the filter support widened by the downscale factor, so downscaling averages),
// computed in double, normalised to sum 1, then turned into 22-bit fixed point; a horizontal
// pass over only the rows the vertical pass will read, clipped to uint8, then a vertical pass
// (each skipped when its axis keeps its size). Nearest follows libImaging/Geometry.c
// (ImagingScaleAffine), which Pillow uses instead. A caller may ask for a region of the
// output only (the part a crop keeps); its pixels are the same as in the full result, and the
// work and memory are those of the region, whatever the size of the full result (a 1 x 1,000,000
// strip resized to 384 x 384,000,000 for a 384 crop costs a 384 x 384 resize).
// The two passes run as WebAssembly SIMD where the runtime has it (resample-wasm.ts, the same
// integer arithmetic, so the same bytes); the JavaScript passes here are the reference the tests
// hold it to, and the fallback.
// Pure computation: no I/O.

import { PRECISION_BITS, type ResampleCoefficients, type ResampleJob, type ResamplePasses } from './resample-job.js';
import { wasmPasses } from './resample-wasm.js';
import type { Interpolation, RgbImage } from './types.js';

export type { ResampleCoefficients, ResampleJob, ResamplePasses } from './resample-job.js';

/** Added before the shift so the truncating shift rounds to nearest. */
const HALF = 1 << (PRECISION_BITS - 1);

interface Filter {
  support: number;
  weight(x: number): number;
}

const BICUBIC: Filter = {
  support: 2,
  weight(x: number): number {
    // Keys' cubic convolution with a = -0.5, written in Pillow's operation order.
    const a = -0.5;
    if (x < 0) x = -x;
    if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
    if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
    return 0;
  },
};

const BILINEAR: Filter = {
  support: 1,
  weight(x: number): number {
    if (x < 0) x = -x;
    return x < 1 ? 1 - x : 0;
  },
};

/**
 * Pillow's precompute_coeffs + normalize_coeffs_8bpc for the box (0, inSize), for output
 * samples [first, end) only (default: all). Each sample's taps depend on its own index alone,
 * so a range equals the same entries of the full table.
 */
export function computeCoefficients(
  inSize: number,
  outSize: number,
  interpolation: 'bicubic' | 'bilinear',
  first = 0,
  end = outSize,
): ResampleCoefficients {
  if (!Number.isInteger(first) || !Number.isInteger(end) || first < 0 || end > outSize || end <= first) {
    throw new RangeError(`output range [${first}, ${end}) is not a non-empty part of [0, ${outSize})`);
  }
  const filter = interpolation === 'bicubic' ? BICUBIC : BILINEAR;
  const scale = inSize / outSize;
  // Downscaling stretches the filter so every input sample contributes (antialiasing).
  const filterScale = scale < 1 ? 1 : scale;
  const support = filter.support * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const inverseFilterScale = 1 / filterScale;

  const start = new Int32Array(end - first);
  const count = new Int32Array(end - first);
  const weights = new Int32Array((end - first) * ksize);
  const taps = new Float64Array(ksize);

  for (let xx = first; xx < end; xx++) {
    const center = (xx + 0.5) * scale;
    // (int) casts in C truncate toward zero: Math.trunc, not Math.floor.
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;

    let sum = 0;
    for (let x = 0; x < xmax; x++) {
      const w = filter.weight((x + xmin - center + 0.5) * inverseFilterScale);
      taps[x] = w;
      sum += w;
    }
    const base = (xx - first) * ksize;
    for (let x = 0; x < xmax; x++) {
      const w = sum !== 0 ? taps[x] / sum : taps[x];
      // Round half away from zero, as (int)(w * 2^22 +- 0.5) does.
      weights[base + x] = w < 0 ? Math.trunc(-0.5 + w * (1 << PRECISION_BITS)) : Math.trunc(0.5 + w * (1 << PRECISION_BITS));
    }
    start[xx - first] = xmin;
    count[xx - first] = xmax;
  }
  return { first, ksize, start, count, weights };
}

/** Fixed-point accumulator to uint8: Pillow's clip8 (arithmetic shift, then clamp). */
function clip8(accumulator: number): number {
  const v = accumulator >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** The passes in JavaScript: the reference, and the fallback where WebAssembly has no SIMD. */
export const JS_PASSES = {
  name: 'javascript',
  run({ img, firstRow, lastRow, colStart, colEnd, horizontal, vertical }: ResampleJob): Uint8Array {
    const mid =
      horizontal !== null
        ? resampleHorizontal(img, firstRow, lastRow, horizontal)
        : copyRegion(img, { left: colStart, top: firstRow, width: colEnd - colStart, height: lastRow - firstRow });
    return vertical !== null ? resampleVertical(mid, firstRow, vertical).data : mid.data;
  },
} as const satisfies ResamplePasses;

/** The passes resizeRgb uses unless told: WebAssembly SIMD where the runtime has it. */
export function defaultPasses(): ResamplePasses {
  return wasmPasses() ?? JS_PASSES;
}

/**
 * Horizontal pass: source rows [rowStart, rowEnd), for the output columns `coeffs` holds (of a
 * resize to the width it was computed for).
 */
function resampleHorizontal(src: RgbImage, rowStart: number, rowEnd: number, coeffs: ResampleCoefficients): RgbImage {
  const { ksize, start, count, weights } = coeffs;
  const width = start.length;
  const height = rowEnd - rowStart;
  const out = new Uint8Array(width * height * 3);
  const inData = src.data;
  const inStride = src.width * 3;
  let o = 0;
  for (let y = rowStart; y < rowEnd; y++) {
    const rowBase = y * inStride;
    for (let xx = 0; xx < width; xx++) {
      const k = xx * ksize;
      const n = count[xx];
      let p = rowBase + start[xx] * 3;
      let r = HALF;
      let g = HALF;
      let b = HALF;
      for (let x = 0; x < n; x++, p += 3) {
        const w = weights[k + x];
        r += inData[p] * w;
        g += inData[p + 1] * w;
        b += inData[p + 2] * w;
      }
      out[o++] = clip8(r);
      out[o++] = clip8(g);
      out[o++] = clip8(b);
    }
  }
  return { width, height, data: out };
}

/**
 * Vertical pass: the output rows `coeffs` holds (of a resize to the height it was computed
 * for); `src` row 0 is source row `srcRowOffset`.
 */
function resampleVertical(src: RgbImage, srcRowOffset: number, coeffs: ResampleCoefficients): RgbImage {
  const { ksize, start, count, weights } = coeffs;
  const width = src.width;
  const height = start.length;
  const stride = width * 3;
  const out = new Uint8Array(stride * height);
  const inData = src.data;
  let o = 0;
  for (let yy = 0; yy < height; yy++) {
    const k = yy * ksize;
    const n = count[yy];
    const firstRow = (start[yy] - srcRowOffset) * stride;
    for (let i = 0; i < stride; i++) {
      let acc = HALF;
      let p = firstRow + i;
      for (let y = 0; y < n; y++, p += stride) acc += inData[p] * weights[k + y];
      out[o++] = clip8(acc);
    }
  }
  return { width, height, data: out };
}

/** The pixels of `region` of `img`, copied. */
function copyRegion(img: RgbImage, region: OutputRegion): RgbImage {
  const { left, top, width, height } = region;
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const from = ((top + y) * img.width + left) * 3;
    out.set(img.data.subarray(from, from + width * 3), y * width * 3);
  }
  return { width, height, data: out };
}

/** The smallest power of two above v (v > 0). */
function powerOfTwoAbove(v: number): number {
  let p = 2 ** Math.floor(Math.log2(v));
  while (p > v) p /= 2;
  while (p <= v) p *= 2;
  return p;
}

/**
 * The value of `let v = start; for (n times) v += step;` in double arithmetic, bit for bit, in
 * time proportional to the binades crossed rather than to n. Why it is exact: inside a binade
 * [2^e, 2^(e+1)) every double is a multiple of one ulp u, so v + step rounds to v plus step
 * rounded to a multiple of u, a constant; only when step lies exactly halfway between two
 * multiples does the increment depend on v (ties to even), and after one addition inside the
 * binade v / u is even, so it is constant from then on. Two real additions measure it, then the
 * remaining ones in the binade are taken as one multiplication (exact: the result is a
 * multiple of u below 2^(e+1)). For start >= 0, step > 0.
 */
export function accumulate(start: number, step: number, n: number): number {
  let v = start;
  let left = n;
  while (left > 0) {
    if (!(v > 0)) {
      v += step;
      left--;
      continue;
    }
    const top = powerOfTwoAbove(v);
    v += step; // settles the parity (see above)
    left--;
    if (left === 0 || v >= top) continue;
    const before = v;
    v += step;
    left--;
    if (v >= top) continue;
    const increment = v - before; // exact: both are multiples of u in one binade
    const jumps = Math.min(left, Math.max(0, Math.floor((top - v) / increment) - 1));
    v += jumps * increment;
    left -= jumps;
  }
  return v;
}

/**
 * Pillow's nearest-neighbour resize (ImagingScaleAffine), `region` of it only. Pillow steps
 * its source coordinate by adding the scale once per pixel (xo += scale) rather than computing
 * (x + 0.5) * scale; the rounding of that long sum decides some pixels, so the region's first
 * coordinate is that same sum (see accumulate), not a product.
 */
function resizeNearest(img: RgbImage, width: number, height: number, region: OutputRegion): RgbImage {
  const scaleX = img.width / width;
  const scaleY = img.height / height;
  const out = new Uint8Array(region.width * region.height * 3); // zero where no source pixel maps (Pillow's fill)
  const sourceX = new Int32Array(region.width).fill(-1);
  let xo = accumulate(scaleX * 0.5, scaleX, region.left);
  for (let x = 0; x < region.width; x++, xo += scaleX) {
    const xin = xo < 0 ? -1 : Math.trunc(xo);
    if (xin >= 0 && xin < img.width) sourceX[x] = xin;
  }
  let yo = accumulate(scaleY * 0.5, scaleY, region.top);
  for (let y = 0; y < region.height; y++, yo += scaleY) {
    const yin = yo < 0 ? -1 : Math.trunc(yo);
    if (yin < 0 || yin >= img.height) continue;
    const rowIn = yin * img.width * 3;
    let o = y * region.width * 3;
    for (let x = 0; x < region.width; x++, o += 3) {
      const xin = sourceX[x];
      if (xin < 0) continue;
      const p = rowIn + xin * 3;
      out[o] = img.data[p];
      out[o + 1] = img.data[p + 1];
      out[o + 2] = img.data[p + 2];
    }
  }
  return { width: region.width, height: region.height, data: out };
}

function assertImage(img: RgbImage): void {
  if (!Number.isInteger(img.width) || !Number.isInteger(img.height) || img.width < 1 || img.height < 1) {
    throw new RangeError(`image size must be positive integers, got ${img.width}x${img.height}`);
  }
  if (img.data.length !== img.width * img.height * 3) {
    throw new RangeError(`RGB data of a ${img.width}x${img.height} image must be ${img.width * img.height * 3} bytes, got ${img.data.length}`);
  }
}

/** A rectangle of the resized image. */
export interface OutputRegion {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * Resize like Pillow 9.4's `img.resize((width, height), filter)` on an RGB image, returning
 * only `region` of the result (default: all of it). Every output pixel depends only on its own
 * taps, so a region is bit-identical to the same pixels of the full resize, and computing just
 * the part a crop keeps saves work (a 5x300 strip resized to 384x23040 for a 384 crop).
 * Returns a new image; the input is not modified. `passes` runs the two passes (by default the
 * WebAssembly SIMD ones where the runtime has them): the same bytes whichever runs them.
 */
export function resizeRgb(
  img: RgbImage,
  width: number,
  height: number,
  interpolation: Interpolation,
  region: OutputRegion = { left: 0, top: 0, width, height },
  passes: ResamplePasses = defaultPasses(),
): RgbImage {
  assertImage(img);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`resize target must be positive integers, got ${width}x${height}`);
  }
  assertRegion(region, width, height);
  if (width === img.width && height === img.height) return copyRegion(img, region); // Pillow copies
  if (interpolation === 'nearest') return resizeNearest(img, width, height, region);

  const rowStart = region.top;
  const rowEnd = region.top + region.height;
  const colStart = region.left;
  const colEnd = region.left + region.width;
  // ImagingResampleInner: a pass runs only for an axis whose size changes.
  const needHorizontal = width !== img.width;
  const needVertical = height !== img.height;

  // Source rows the vertical pass will read (all of them map 1:1 when it does not run).
  let vertical: ResampleCoefficients | null = null;
  let firstRow = rowStart;
  let lastRow = rowEnd;
  if (needVertical) {
    vertical = computeCoefficients(img.height, height, interpolation, rowStart, rowEnd);
    firstRow = img.height;
    lastRow = 0;
    for (let i = 0; i < vertical.start.length; i++) {
      firstRow = Math.min(firstRow, vertical.start[i]);
      lastRow = Math.max(lastRow, vertical.start[i] + vertical.count[i]);
    }
  }

  const horizontal = needHorizontal ? computeCoefficients(img.width, width, interpolation, colStart, colEnd) : null;
  const job = { img, firstRow, lastRow, colStart, colEnd, horizontal, vertical };
  const data = passes.run(job) ?? JS_PASSES.run(job);
  return { width: region.width, height: region.height, data };
}

function assertRegion(region: OutputRegion, width: number, height: number): void {
  const { left, top, width: w, height: h } = region;
  if (![left, top, w, h].every(Number.isInteger) || left < 0 || top < 0 || w < 1 || h < 1 || left + w > width || top + h > height) {
    throw new RangeError(`region ${w}x${h}+${left}+${top} is not inside the ${width}x${height} output`);
  }
}

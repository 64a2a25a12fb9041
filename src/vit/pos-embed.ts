// Running a ViT at another input size: its position embedding resampled to the new patch grid,
// as timm's resample_abs_pos_embed does when a model is created with another img_size
// (timm/layers/pos_embed.py):
//   the class token's row kept (num_prefix_tokens = 1); the grid rows [g*g][D] viewed as an image
//   [1, D, g, g]; F.interpolate(size=(g', g'), mode='bicubic', antialias=True) (align_corners
//   False); back to [g'*g'][D].
// With antialias=True PyTorch takes its separable anti-aliased kernel (_upsample_bicubic2d_aa,
// aten/src/ATen/native/cpu/UpSampleKernel.cpp) for up- and down-sizing alike: Keys' cubic with
// a = -0.5 (Pillow's, not the a = -0.75 of plain bicubic), its support widened by the scale when
// down-sizing, weights normalized to sum 1; the width pass first, then the height pass, each in
// float32. Every rounding of that code as PyTorch 1.13's x86-64 AVX2 build runs it is reproduced
// here, its compiler's fused multiply-adds included, so the result is that PyTorch's bit for bit
// (another build may differ by an ulp or two).
// Pure: numbers in, numbers out.

import { tokensOf, type VitConfig } from './config.js';
import { readTensor, type TensorSource } from './tensor-source.js';

const f32 = Math.fround;

/**
 * fmaf(a, b, c) of float32 numbers: a * b + c rounded once to float32, as the fused multiply-add
 * that GCC emits for `a * b + c` in PyTorch's AVX2 build. a * b is exact in a double; the sum is
 * rounded to odd (its last bit set when inexact), which makes the rounding to float32 exact too.
 */
export function fmaf(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const v = s - p;
  const err = p - (s - v) + (c - v); // s + err == p + c exactly (Knuth's TwoSum)
  if (err === 0 || !Number.isFinite(s)) return f32(s);
  BITS[0] = s;
  if ((WORDS[0] & 1) === 0) {
    // Move s one double ulp toward the exact sum: its last bit becomes 1.
    const away = s > 0 === err > 0;
    const lo = WORDS[0] + (away ? 1 : -1);
    WORDS[1] += lo < 0 ? -1 : lo > 0xffffffff ? 1 : 0;
    WORDS[0] = lo >>> 0;
  }
  return f32(BITS[0]);
}
const BITS = new Float64Array(1);
const WORDS = new Uint32Array(BITS.buffer); // little-endian: [low word, high word]

/**
 * PyTorch 1.13's aa_filter for bicubic, taken from Pillow (a = -0.5, a double constant): on
 * [0, 1) the polynomial is evaluated in double, on [1, 2) in float32 with fused multiply-adds
 * (((x - 5) * x + 8) * x - 4, times a). Matched bit for bit against 145,372 weights PyTorch
 * computed (every resize between 1 and 40 pixels).
 */
function cubic(x: number): number {
  x = Math.abs(x);
  if (x < 1) return f32((1.5 * x - 2.5) * x * x + 1);
  if (x < 2) return f32(fmaf(fmaf(f32(x - 5), x, 8), x, -4) * -0.5);
  return 0;
}

/** For each output position along one axis: the first input index, the number of taps, and the taps' weights. */
export interface AxisWeights {
  readonly start: Int32Array;
  readonly count: Int32Array;
  /** [outSize][taps], zero past count. */
  readonly weights: Float32Array;
  readonly taps: number;
}

/** PyTorch's _compute_indices_weights_aa for the bicubic filter, align_corners false, no scale factor given. */
export function bicubicAntialiasWeights(inSize: number, outSize: number): AxisWeights {
  const scale = f32(inSize / outSize); // area_pixel_compute_scale: float(input_size) / output_size
  const support = scale >= 1 ? f32(2 * scale) : 2; // (interp_size * 0.5) * scale, interp_size 4
  const invscale = scale >= 1 ? f32(1 / scale) : 1;
  const taps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float32Array(outSize * taps);
  for (let i = 0; i < outSize; i++) {
    const center = f32(scale * (i + 0.5));
    // static_cast<int64_t> truncates toward zero; (float - float) + 0.5 is computed in double.
    const xmin = Math.max(Math.trunc(f32(center - support) + 0.5), 0);
    const xsize = Math.min(Math.trunc(f32(center + support) + 0.5), inSize) - xmin;
    const row = weights.subarray(i * taps, (i + 1) * taps);
    let total = 0;
    for (let j = 0; j < xsize; j++) {
      const w = cubic(f32((f32(f32(j + xmin) - center) + 0.5) * invscale));
      row[j] = w;
      total = f32(total + w);
    }
    if (total !== 0) for (let j = 0; j < xsize; j++) row[j] = f32(row[j] / total);
    start[i] = xmin;
    count[i] = xsize;
  }
  return { start, count, weights, taps };
}

/**
 * One separable pass over `input` laid out [outer][inSize][inner]: out[o][i][c] = sum_j
 * w[i][j] * in[o][start[i] + j][c], in float32 from the first tap, in tap order, as PyTorch's
 * basic loop does. Its AVX2 build (GCC, -mfma) vectorizes the taps after the first four at a time
 * (each product rounded, then added in order) and runs the remaining (count - 1) mod 4 taps
 * as fused multiply-adds: reproduced here, it matched all 5,664 sums of a sweep of up- and
 * down-sizes (1 to 13 taps) bit for bit.
 */
function resampleAxis(input: Float32Array, outer: number, inSize: number, inner: number, w: AxisWeights, outSize: number): Float32Array {
  const out = new Float32Array(outer * outSize * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < outSize; i++) {
      const n = w.count[i];
      const vectorized = Math.floor((n - 1) / 4) * 4; // taps 1..vectorized: rounded products
      const weights = w.weights.subarray(i * w.taps, i * w.taps + n);
      const base = (o * inSize + w.start[i]) * inner;
      const dest = (o * outSize + i) * inner;
      for (let c = 0; c < inner; c++) {
        let acc = f32(input[base + c] * weights[0]);
        let j = 1;
        for (; j <= vectorized; j++) acc = f32(acc + f32(input[base + j * inner + c] * weights[j]));
        for (; j < n; j++) acc = fmaf(input[base + j * inner + c], weights[j], acc);
        out[dest + c] = acc;
      }
    }
  }
  return out;
}

/**
 * timm's resample_abs_pos_embed for a square grid and one class token: `posEmbed` [1 + g*g][D]
 * with g = fromGrid becomes [1 + g'*g'][D] with g' = toGrid. The same grid returns a copy.
 */
export function resamplePosEmbed(posEmbed: Float32Array, embedDim: number, fromGrid: number, toGrid: number): Float32Array {
  const D = embedDim;
  if (posEmbed.length !== (1 + fromGrid * fromGrid) * D) {
    throw new RangeError(`resamplePosEmbed: expected [1 + ${fromGrid}*${fromGrid}][${D}] = ${(1 + fromGrid * fromGrid) * D} floats, received ${posEmbed.length}`);
  }
  const out = new Float32Array((1 + toGrid * toGrid) * D);
  out.set(posEmbed.subarray(0, D)); // the class token's position is not part of the grid
  if (toGrid === fromGrid) {
    out.set(posEmbed.subarray(D), D);
    return out;
  }
  const w = bicubicAntialiasWeights(fromGrid, toGrid);
  // The grid [g][g][D] is the [1, D, g, g] image with its channels last: the width pass runs along
  // the middle axis of each row, then the height pass along the rows.
  const wide = resampleAxis(posEmbed.subarray(D), fromGrid, fromGrid, D, w, toGrid); // [g][g'][D]
  out.set(resampleAxis(wide, 1, fromGrid, toGrid * D, w, toGrid), D); // [g'][g'][D]
  return out;
}

/**
 * `source` for a model of `config` built from a checkpoint stored for `stored` (the same
 * network at another image size): pos_embed is read at the stored size and resampled; every
 * other tensor passes through. The same size returns `source` itself.
 */
export function resampledSource(source: TensorSource, stored: VitConfig, config: VitConfig): TensorSource {
  if (stored.imgSize === config.imgSize) return source;
  const fromGrid = stored.imgSize / stored.patchSize;
  const toGrid = config.imgSize / config.patchSize;
  return {
    readInto(name: string, dest: Float32Array): void {
      if (name !== 'pos_embed') return source.readInto(name, dest);
      const original = readTensor(source, name, tokensOf(stored) * stored.embedDim);
      dest.set(resamplePosEmbed(original, config.embedDim, fromGrid, toGrid));
    },
  };
}

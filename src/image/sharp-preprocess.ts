// Opt-in fast path (`--resize sharp`): the same decode, geometry, crop and normalisation as
// preprocess(), but the resize is done by libvips (sharp's resize for downscaling, an affine
// transform per axis for upscaling) instead of the Pillow-exact resampler; nearest neighbour
// and extreme upscaling (over 32x) use the exact one. About 4-5x faster resampling on large
// photos, and *not* equal to timm's preprocessing: on the sample photos a mean of 0.05-0.24
// and a max of 12 uint8 steps from Pillow (measured in test/image/sharp-preprocess.test.ts).
// Like the exact path, it resamples only what the crop keeps. Decoding is decode.ts's, so I/O
// happens here too.

import type { KernelEnum, Sharp } from 'sharp';
import { loadSharp } from './sharp-lib.js';

import { decodeImage, type DecodeOptions } from './decode.js';
import { keptRegion, planGeometry } from './geometry.js';
import { cropOrPad, toNormalizedTensor } from './preprocess.js';
import { resizeRgb, type OutputRegion } from './resample.js';
import type { Interpolation, PreprocessConfig, PreprocessGeometry, RgbImage } from './types.js';

const REDUCE_KERNEL: Record<'bicubic' | 'bilinear', keyof KernelEnum> = {
  bicubic: 'cubic', // libvips' cubic is Catmull-Rom, i.e. Pillow's bicubic (a = -0.5)
  bilinear: 'linear',
};

const UPSAMPLE_INTERPOLATOR: Record<'bicubic' | 'bilinear', 'bicubic' | 'bilinear'> = {
  bicubic: 'bicubic',
  bilinear: 'bilinear',
};

/**
 * Runs one sharp step on raw RGB and returns raw RGB. No pixel limit: the pixels are already
 * decoded (within decodeImage's limits, or handed over by the caller), and sharp's default
 * limit would turn an image above 0x3FFF x 0x3FFF decoded with maxPixels 0 into a libvips error.
 */
async function sharpStep(img: RgbImage, step: (s: Sharp) => Sharp): Promise<RgbImage> {
  const raw = { width: img.width, height: img.height, channels: 3 as const };
  const sharp = await loadSharp();
  const { data, info } = await step(sharp(img.data, { raw, limitInputPixels: false }))
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/**
 * Pixels [left, left + width) x [top, top + height) of `img`, where coordinates outside it take
 * the nearest edge pixel (edge replication).
 */
function clampedWindow(img: RgbImage, left: number, top: number, width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(img.height - 1, Math.max(0, top + y));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(img.width - 1, Math.max(0, left + x));
      const from = (sy * img.width + sx) * 3;
      const to = (y * width + x) * 3;
      data[to] = img.data[from];
      data[to + 1] = img.data[from + 1];
      data[to + 2] = img.data[from + 2];
    }
  }
  return { width, height, data };
}

/** The top-left width x height pixels of `img`. */
function topLeft(img: RgbImage, width: number, height: number): RgbImage {
  if (img.width === width && img.height === height) return img;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) data.set(img.data.subarray(y * img.width * 3, (y * img.width + width) * 3), y * width * 3);
  return { width, height, data };
}

/**
 * Upscaling by more than this along an axis goes to the exact resampler instead: an affine
 * transform of a window produces the window's length times the scale, so the border it needs
 * costs 7 x scale samples per line (at 1,000,000x, from a 1e-6 crop_pct, libvips corrupted
 * its heap). Such scales only come from sources a few pixels wide, where the exact path is
 * as fast anyway.
 */
const MAX_AFFINE_SCALE = 32;

/** Source samples read around an upsampled window on each side (the cubic reaches 2 out). */
const UPSAMPLE_BORDER = 3;

/**
 * Source samples [start, end) an upsampling by `scale` reads for output samples [first, end):
 * output x samples source (x + 0.5) / scale - 0.5 (Pillow's centre convention).
 */
function upsampleWindow(first: number, count: number, scale: number): [number, number] {
  const from = Math.floor((first + 0.5) / scale - 0.5) - UPSAMPLE_BORDER;
  const to = Math.floor((first + count - 0.5) / scale - 0.5) + UPSAMPLE_BORDER + 1;
  return [from, to];
}

/**
 * Output samples [first, first + count) along one axis of an upsampling by `scale`, from
 * `window`, whose sample 0 on that axis is source sample `windowStart`: a libvips affine
 * transform along that axis alone, shifted so that output 0 is output sample `first`.
 */
async function upsampleAxis(
  window: RgbImage,
  axis: 'x' | 'y',
  scale: number,
  windowStart: number,
  first: number,
  count: number,
  interpolation: 'bicubic' | 'bilinear',
): Promise<RgbImage> {
  // libvips maps input to output as out = scale * (in + id) + od; with id = 0.5 - 0.5 / scale,
  // output o samples window (o - od) / scale - 0.5 + 0.5 / scale, which is source
  // (first + o + 0.5) / scale - 0.5 when od = windowStart * scale - first.
  const id = 0.5 - 0.5 / scale;
  const od = windowStart * scale - first;
  const upsampled = await sharpStep(window, (s) =>
    axis === 'x'
      ? s.affine([scale, 0, 0, 1], { interpolator: UPSAMPLE_INTERPOLATOR[interpolation], idx: id, odx: od })
      : s.affine([1, 0, 0, scale], { interpolator: UPSAMPLE_INTERPOLATOR[interpolation], idy: id, ody: od }),
  );
  const [width, height] = axis === 'x' ? [count, window.height] : [window.width, count];
  if (upsampled.width < width || upsampled.height < height) {
    throw new Error(`upsampling ${window.width}x${window.height} by ${scale} along ${axis} gave ${upsampled.width}x${upsampled.height}, less than ${width}x${height}`);
  }
  return topLeft(upsampled, width, height);
}

/**
 * `region` of `img` resized to exactly width x height with libvips, in memory and time of the
 * order of the region and the source, never of the whole resized image (which for a thin strip
 * is hundreds of millions of pixels). Downscaling axes go through sharp's resize (libvips
 * reduce, antialiased like Pillow) of the whole image, at most the source's size. Upscaling axes
 * go through an affine transform with Pillow's pixel-centre alignment, one axis at a time, of
 * only the source samples the region reads plus an edge-replicated border (Pillow clamps its
 * window at the borders, libvips would blend in black): libvips' own upsizing is offset from
 * Pillow's (mean error 4 uint8 steps on cat.jpg at 384, against 0.12 this way). Nearest
 * neighbour, and upscaling by more than MAX_AFFINE_SCALE, is Pillow's exact resampler.
 */
async function sharpResizeRegion(
  img: RgbImage,
  width: number,
  height: number,
  interpolation: Interpolation,
  region: OutputRegion,
): Promise<RgbImage> {
  if (interpolation === 'nearest' || width > MAX_AFFINE_SCALE * img.width || height > MAX_AFFINE_SCALE * img.height) {
    return resizeRgb(img, width, height, interpolation, region);
  }
  const midWidth = width < img.width ? width : img.width;
  const midHeight = height < img.height ? height : img.height;
  let current = img;
  if (midWidth !== img.width || midHeight !== img.height) {
    current = await sharpStep(current, (s) => s.resize(midWidth, midHeight, { fit: 'fill', kernel: REDUCE_KERNEL[interpolation] }));
  }
  const scaleX = width / current.width;
  const scaleY = height / current.height;
  const upX = scaleX > 1;
  const upY = scaleY > 1;
  const [x0, x1] = upX ? upsampleWindow(region.left, region.width, scaleX) : [region.left, region.left + region.width];
  const [y0, y1] = upY ? upsampleWindow(region.top, region.height, scaleY) : [region.top, region.top + region.height];
  let part = clampedWindow(current, x0, y0, x1 - x0, y1 - y0);
  if (upX) part = await upsampleAxis(part, 'x', scaleX, x0, region.left, region.width, interpolation);
  if (upY) part = await upsampleAxis(part, 'y', scaleY, y0, region.top, region.height, interpolation);
  return part;
}

/** Resize + crop of a decoded image with libvips; the crop box and padding are timm's. */
export async function resizeAndCropWithSharp(
  img: RgbImage,
  cfg: PreprocessConfig,
): Promise<{ image: RgbImage; geometry: PreprocessGeometry }> {
  const geometry = planGeometry(img.width, img.height, cfg);
  const [w, h] = geometry.resizeSize;
  const kept = keptRegion(geometry);
  const resizedPart = await sharpResizeRegion(img, w, h, geometry.resizeInterpolation, kept);
  const box = geometry.cropBox;
  const boxInPart = { ...box, left: box.left - kept.left, top: box.top - kept.top };
  return { image: cropOrPad(resizedPart, boxInPart, geometry.padColour), geometry };
}

/** decodeImage + resizeAndCropWithSharp + ToTensor/Normalize: the `--resize sharp` pipeline. */
export async function preprocessWithSharp(
  input: string | Uint8Array,
  cfg: PreprocessConfig,
  options: DecodeOptions = {},
  out?: Float32Array,
): Promise<{ tensor: Float32Array; geometry: PreprocessGeometry }> {
  const decoded = await decodeImage(input, options);
  const { image, geometry } = await resizeAndCropWithSharp(decoded, cfg);
  return { tensor: toNormalizedTensor(image, cfg.mean, cfg.std, out), geometry };
}

// Opt-in fast path (`--resize sharp`): the same decode, geometry, crop and normalisation as
// preprocess(), but the resize is done by libvips (sharp's resize with the cubic / linear /
// nearest kernel) instead of the Pillow-exact resampler. Faster on large images, and *not*
// equal to timm's preprocessing: a few uint8 steps of difference per pixel (figures measured
// in test/image/sharp-preprocess.test.ts). Decoding is decode.ts's, so I/O happens here too.

import sharp, { type KernelEnum } from 'sharp';

import { decodeImage, type DecodeOptions } from './decode.js';
import { planGeometry } from './geometry.js';
import { cropOrPad, toNormalizedTensor } from './preprocess.js';
import type { Interpolation, PreprocessConfig, PreprocessGeometry, RgbImage } from './types.js';

const SHARP_KERNEL: Record<Interpolation, keyof KernelEnum> = {
  bicubic: 'cubic', // libvips' cubic is Catmull-Rom, i.e. Pillow's bicubic (a = -0.5)
  bilinear: 'linear',
  nearest: 'nearest',
};

/** Resize + crop of a decoded image with libvips; the crop box and padding are timm's. */
export async function resizeAndCropWithSharp(
  img: RgbImage,
  cfg: PreprocessConfig,
): Promise<{ image: RgbImage; geometry: PreprocessGeometry }> {
  const geometry = planGeometry(img.width, img.height, cfg);
  const [w, h] = geometry.resizeSize;
  const box = geometry.cropBox;
  const left = Math.max(0, box.left);
  const top = Math.max(0, box.top);
  const kept = { left, top, width: Math.min(w, box.left + box.width) - left, height: Math.min(h, box.top + box.height) - top };
  const { data, info } = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize(w, h, { fit: 'fill', kernel: SHARP_KERNEL[geometry.resizeInterpolation] })
    .extract(kept)
    .raw()
    .toBuffer({ resolveWithObject: true });
  const part: RgbImage = { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  const image = cropOrPad(part, { ...box, left: box.left - left, top: box.top - top }, geometry.padColour);
  return { image, geometry };
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

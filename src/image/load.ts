// From an image (file, bytes or decoded pixels) to the model's input tensor, with the exact
// Pillow-equal resize (default) or the faster, approximate libvips one (`--resize sharp`).
// Does I/O through decode.ts.

import { decodeImage, type DecodeOptions } from './decode.js';
import { preprocess, toNormalizedTensor } from './preprocess.js';
import { resizeAndCropWithSharp } from './sharp-preprocess.js';
import type { ResizeEngine } from './resize-engines.js';
import type { PreprocessConfig, PreprocessGeometry, RgbImage } from './types.js';

export { RESIZE_ENGINES, type ResizeEngine } from './resize-engines.js';

export interface LoadImageOptions extends DecodeOptions {
  resize?: ResizeEngine;
}

export interface LoadedImage {
  /** [3, H, W] float32, normalised. */
  tensor: Float32Array;
  geometry: PreprocessGeometry;
  /** Container format of the source, as libvips names it ('jpeg', 'png', ...), or 'raw' for pixels. */
  format: string;
  /** The decoded image's size. */
  width: number;
  height: number;
}

/** Decode (unless given pixels) and preprocess; `out` receives the tensor when given. */
export async function loadImageTensor(
  input: string | Uint8Array | RgbImage,
  cfg: PreprocessConfig,
  options: LoadImageOptions = {},
  out?: Float32Array,
): Promise<LoadedImage> {
  const { resize = 'pillow', ...decodeOptions } = options;
  const decoded = isRgbImage(input) ? { ...input, format: 'raw' } : await decodeImage(input, decodeOptions);
  const { width, height, format } = decoded;
  if (resize === 'sharp') {
    const { image, geometry } = await resizeAndCropWithSharp(decoded, cfg);
    return { tensor: toNormalizedTensor(image, cfg.mean, cfg.std, out), geometry, format, width, height };
  }
  const { tensor, geometry } = preprocess(decoded, cfg, out);
  return { tensor, geometry, format, width, height };
}

function isRgbImage(value: unknown): value is RgbImage {
  return typeof value === 'object' && value !== null && !(value instanceof Uint8Array) && 'data' in value && 'width' in value;
}

// One call for the CLI: decode an image file (or bytes) and preprocess it for a model, with
// the exact Pillow-equal resize (default) or the faster, approximate libvips one
// (`--resize sharp`). Does I/O through decode.ts.

import { decodeImage, type DecodeOptions } from './decode.js';
import { preprocess, toNormalizedTensor } from './preprocess.js';
import { resizeAndCropWithSharp } from './sharp-preprocess.js';
import type { PreprocessConfig, PreprocessGeometry } from './types.js';

/** 'exact': Pillow 9.4's resampler, bit-equal to timm; 'sharp': libvips, faster, approximate. */
export type ResizeBackend = 'exact' | 'sharp';

export interface LoadImageOptions extends DecodeOptions {
  resize?: ResizeBackend;
}

export interface LoadedImage {
  /** [3, H, W] float32, normalised. */
  tensor: Float32Array;
  geometry: PreprocessGeometry;
  /** Container format of the source, as libvips names it ('jpeg', 'png', ...). */
  format: string;
}

/** decodeImage + preprocess (or its sharp variant); `out` receives the tensor when given. */
export async function loadImageTensor(
  input: string | Uint8Array,
  cfg: PreprocessConfig,
  options: LoadImageOptions = {},
  out?: Float32Array,
): Promise<LoadedImage> {
  const { resize = 'exact', ...decodeOptions } = options;
  const decoded = await decodeImage(input, decodeOptions);
  if (resize === 'sharp') {
    const { image, geometry } = await resizeAndCropWithSharp(decoded, cfg);
    return { tensor: toNormalizedTensor(image, cfg.mean, cfg.std, out), geometry, format: decoded.format };
  }
  const { tensor, geometry } = preprocess(decoded, cfg, out);
  return { tensor, geometry, format: decoded.format };
}

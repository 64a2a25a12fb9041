// From an image (a path, encoded bytes or decoded pixels) to the model's input tensor, exactly as
// the model's eval transform makes it: the first step of classify and embed alike.

import { loadImageTensor, type DecodeOptions, type PreprocessGeometry, type ResizeEngine, type RgbImage } from '../image/index.js';
import type { Classifier } from './load-model.js';

export interface PrepareOptions {
  decode?: DecodeOptions;
  /** 'pillow' (default): bit-exact with timm's Pillow resize. 'sharp': libvips' resize, faster on big images, not exact. */
  resize?: ResizeEngine;
}

export interface PreparedImage {
  /** [3][H][W], normalized. */
  tensor: Float32Array;
  geometry: PreprocessGeometry;
}

/** Decode (when needed) and preprocess an image exactly as the model's eval transform does. */
export async function prepareImage(classifier: Classifier, image: string | Uint8Array | RgbImage, options: PrepareOptions = {}): Promise<PreparedImage> {
  const { tensor, geometry } = await loadImageTensor(image, classifier.model.preprocess, { ...options.decode, resize: options.resize });
  return { tensor, geometry };
}

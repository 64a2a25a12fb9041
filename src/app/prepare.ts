// From an image (a path, encoded bytes or decoded pixels) to the model's input tensor, exactly as
// the model's eval transform makes it: the first step of classify and embed alike.

import { decodeImage, loadImageTensor, type DecodeOptions, type PreprocessGeometry, type ResizeEngine, type RgbImage } from '../image/index.js';
import type { Classifier } from './load-model.js';
import { timed, type TimingObserver } from './timing.js';

export interface PrepareOptions {
  decode?: DecodeOptions;
  /** 'pillow' (default): bit-exact with timm's Pillow resize. 'sharp': libvips' resize, faster on big images, not exact. */
  resize?: ResizeEngine;
  /** Told how long each image's decoding and preprocessing take (and, in a batch run, each forward pass). */
  onTiming?: TimingObserver;
}

export interface PreparedImage {
  /** [3][H][W], normalized. */
  tensor: Float32Array;
  geometry: PreprocessGeometry;
}

/**
 * Decode (when needed) and preprocess an image exactly as the model's eval transform does. `name`
 * names bytes in timings (a URL's, say).
 */
export async function prepareImage(
  classifier: Classifier,
  image: string | Uint8Array | RgbImage,
  options: PrepareOptions = {},
  name: string = typeof image === 'string' ? image : '<bytes>',
): Promise<PreparedImage> {
  const { onTiming } = options;
  if (onTiming === undefined || !(typeof image === 'string' || image instanceof Uint8Array)) {
    const { tensor, geometry } = await timed(
      onTiming,
      (ms) => ({ stage: 'preprocess', image: '<pixels>', ms }),
      () => loadImageTensor(image, classifier.model.preprocess, { ...options.decode, resize: options.resize }),
    );
    return { tensor, geometry };
  }
  // Observed: decoding, then preprocessing the decoded pixels, as two steps (the same pixels and
  // tensor as the one call above), so that each can be timed.
  const pixels = await timed(onTiming, (ms) => ({ stage: 'decode', image: name, ms }), () => decodeImage(image, options.decode));
  const { tensor, geometry } = await timed(
    onTiming,
    (ms) => ({ stage: 'preprocess', image: name, ms }),
    () => loadImageTensor(pixels, classifier.model.preprocess, { resize: options.resize }),
  );
  return { tensor, geometry };
}

// Classifying images with a loaded classifier: one image, several, or a stream of inputs whose
// next batch is decoded and preprocessed while the current one runs through the model, each
// result delivered as soon as its batch is done, in input order; a bad image becomes an error
// record and never stops the others.

import { ImageDecodeError, loadImageTensor, type DecodeOptions, type PreprocessGeometry, type ResizeEngine, type RgbImage } from '../image/index.js';
import { countNonFinite } from '../util/non-finite.js';
import type { InputItem, InputError } from './inputs.js';
import type { Classifier } from './load-model.js';
import { topPredictions, type Prediction } from './predictions.js';

export interface PrepareOptions {
  decode?: DecodeOptions;
  /** 'pillow' (default): bit-exact with timm's Pillow resize. 'sharp': libvips' resize, faster on big images, not exact. */
  resize?: ResizeEngine;
}

export interface ClassifyOptions extends PrepareOptions {
  /** How many classes to return; default 5. */
  topk?: number;
}

/** An image whose logits came out NaN or infinite (damaged weights, or an input that overflowed): no ranking is meaningful. */
export class NonFiniteOutputError extends Error {
  override name = 'NonFiniteOutputError';
  readonly code = 'NONFINITE';
  constructor(image: string, count: number, classes: number) {
    super(`${image}: the model's output holds ${count} non-finite value${count === 1 ? '' : 's'} (NaN or infinity) of ${classes}: no class can be ranked`);
  }
}

export interface Classification {
  predictions: Prediction[];
  /** How the image was resized and cropped. */
  geometry: PreprocessGeometry;
  /** [numClasses] */
  logits: Float32Array;
}

/** Classify one image: a file path, encoded bytes, or decoded RGB pixels. */
export async function classify(classifier: Classifier, image: string | Uint8Array | RgbImage, options: ClassifyOptions = {}): Promise<Classification> {
  const [result] = await classifyMany(classifier, [image], options);
  return result;
}

/** Classify several images, batched by the model's batch size; rejects on the first image that fails to decode. */
export async function classifyMany(
  classifier: Classifier,
  images: readonly (string | Uint8Array | RgbImage)[],
  options: ClassifyOptions = {},
): Promise<Classification[]> {
  const prepared = await Promise.all(images.map((img) => prepareImage(classifier, img, options)));
  const logits = runBatch(classifier, prepared.map((p) => p.tensor));
  logits.forEach((row, i) => {
    const bad = countNonFinite(row);
    if (bad > 0) throw new NonFiniteOutputError(typeof images[i] === 'string' ? images[i] : `image ${i}`, bad, row.length);
  });
  return prepared.map((p, i) => ({
    predictions: topPredictions(logits[i], classifier.labels, options.topk ?? 5),
    geometry: p.geometry,
    logits: logits[i],
  }));
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

/** Run the model on preprocessed images; returns one logits row per image. */
export function runBatch(classifier: Classifier, tensors: readonly Float32Array[]): Float32Array[] {
  if (tensors.length === 0) return [];
  const size = tensors[0].length;
  const input = new Float32Array(tensors.length * size);
  tensors.forEach((t, i) => input.set(t, i * size));
  const { logits } = classifier.model.forward(input, tensors.length);
  const classes = classifier.model.config.numClasses;
  return tensors.map((_, i) => logits.slice(i * classes, (i + 1) * classes));
}

/** One input's outcome in a stream: its predictions (and logits), or why it could not be classified. */
export type ClassifyRecord =
  | { file: string; predictions: Prediction[]; logits: Float32Array }
  | { file: string; error: InputError };

/** One image's record from its logits row: the top `topk` classes, or a NONFINITE error when the row holds NaN or infinity. */
export function recordOfLogits(file: string, row: Float32Array, labels: readonly string[], topk: number): ClassifyRecord {
  const bad = countNonFinite(row);
  if (bad > 0) {
    const { code, message } = new NonFiniteOutputError(file, bad, row.length);
    return { file, error: { code, message } };
  }
  return { file, predictions: topPredictions(row, labels, topk), logits: row };
}

/**
 * Classify a list of inputs in batches of the model's batch size, preparing batch i+1 while batch
 * i runs, and yield one record per input in input order as soon as its batch is done. Input
 * items that already carry an error (a missing file, an empty directory) are yielded as errors.
 */
export async function* classifyStream(classifier: Classifier, items: readonly InputItem[], options: ClassifyOptions = {}): AsyncGenerator<ClassifyRecord> {
  const size = classifier.model.maxBatch;
  const topk = options.topk ?? 5;
  const prepareOne = async (item: InputItem): Promise<PreparedImage | InputError> => {
    if ('error' in item) return item.error;
    try {
      return await prepareImage(classifier, item.path, options);
    } catch (e) {
      if (e instanceof ImageDecodeError) return { code: e.code, message: e.message };
      throw e;
    }
  };
  const prepareBatch = (start: number) => Promise.all(items.slice(start, start + size).map(prepareOne));

  let next = prepareBatch(0);
  for (let start = 0; start < items.length; start += size) {
    const prepared = await next;
    if (start + size < items.length) next = prepareBatch(start + size);
    const good = prepared.filter((p): p is PreparedImage => 'tensor' in p);
    const logits = runBatch(classifier, good.map((p) => p.tensor));
    let g = 0;
    for (const [i, p] of prepared.entries()) {
      const file = items[start + i].path;
      yield 'tensor' in p ? recordOfLogits(file, logits[g++], classifier.labels, topk) : { file, error: p };
    }
  }
}

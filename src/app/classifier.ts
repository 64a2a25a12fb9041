// Classifying images with a loaded classifier: one image, several, or a stream of inputs whose
// next batch is decoded and preprocessed while the current one runs through the model, each
// result delivered as soon as its batch is done, in input order; a bad image becomes an error
// record and never stops the others.

import type { PreprocessGeometry, RgbImage } from '../image/index.js';
import { countNonFinite } from '../util/non-finite.js';
import { forwardRows, runImages, streamBatches, type InputSource, type StreamOptions } from './batch-runner.js';
import type { InputError } from './inputs.js';
import type { Classifier } from './load-model.js';
import { topPredictions, type Prediction } from './predictions.js';
import type { PrepareOptions } from './prepare.js';

export { prepareImage, type PreparedImage, type PrepareOptions } from './prepare.js';

export interface ClassifyOptions extends PrepareOptions {
  /** How many classes to return; default 5. */
  topk?: number;
}

/**
 * An image whose output came out NaN or infinite (damaged weights, or an input that overflowed):
 * no ranking is meaningful, and such features are no embedding.
 */
export class NonFiniteOutputError extends Error {
  override name = 'NonFiniteOutputError';
  readonly code = 'NONFINITE';
  constructor(image: string, count: number, size: number, output: 'logits' | 'features' = 'logits') {
    const values = `${count} non-finite value${count === 1 ? '' : 's'} (NaN or infinity) of ${size}`;
    super(output === 'logits' ? `${image}: the model's output holds ${values}: no class can be ranked` : `${image}: the features hold ${values}`);
  }
}

/** The error for a row of the model's output that holds a NaN or an infinity, if it does. */
export function nonFiniteError(image: string, row: Float32Array, output: 'logits' | 'features'): NonFiniteOutputError | undefined {
  const bad = countNonFinite(row);
  return bad > 0 ? new NonFiniteOutputError(image, bad, row.length, output) : undefined;
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
  const results = await runImages(classifier, images, options);
  for (const { name, logits } of results) {
    const error = nonFiniteError(name, logits, 'logits');
    if (error !== undefined) throw error;
  }
  return results.map(({ geometry, logits }) => ({ predictions: topPredictions(logits, classifier.labels, options.topk ?? 5), geometry, logits }));
}

/** Run the model on preprocessed images; resolves to one logits row per image. */
export async function runBatch(classifier: Classifier, tensors: readonly Float32Array[]): Promise<Float32Array[]> {
  return (await forwardRows(classifier, tensors)).logits;
}

/** One input's outcome in a stream: its predictions (and logits), or why it could not be classified. */
export type ClassifyRecord =
  | { file: string; predictions: Prediction[]; logits: Float32Array }
  | { file: string; error: InputError };

/** One image's record from its logits row: the top `topk` classes, or a NONFINITE error when the row holds NaN or infinity. */
export function recordOfLogits(file: string, row: Float32Array, labels: readonly string[], topk: number): ClassifyRecord {
  const error = nonFiniteError(file, row, 'logits');
  if (error !== undefined) return { file, error: { code: error.code, message: error.message } };
  return { file, predictions: topPredictions(row, labels, topk), logits: row };
}

/**
 * Classify a list (or an async source) of inputs in pipelined batches of the model's batch size
 * (see batch-runner.ts) and yield one record per input in input order as soon as its batch is
 * done. Input items that already carry an error (a missing file, an empty directory) are yielded
 * as errors; URL items are fetched within `options.url`'s limits (app/fetch-input.ts).
 */
export async function* classifyStream(classifier: Classifier, items: InputSource, options: ClassifyOptions & StreamOptions = {}): AsyncGenerator<ClassifyRecord> {
  const topk = options.topk ?? 5;
  for await (const record of streamBatches(classifier, items, options)) {
    yield 'error' in record ? record : recordOfLogits(record.file, record.logits, classifier.labels, topk);
  }
}

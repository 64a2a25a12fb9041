// Embedding images: the model's pre-logits features, the class token after the final norm,
// exactly what the classifier head consumes (logits = features . head.weight^T + head.bias).
// The same preparation, batching and per-input errors as classifying (batch-runner.ts).

import type { PreprocessGeometry, RgbImage } from '../image/index.js';
import { runImages, streamBatches, type InputSource, type StreamOptions } from './batch-runner.js';
import { nonFiniteError } from './classifier.js';
import type { InputError } from './inputs.js';
import type { Classifier } from './load-model.js';
import type { PrepareOptions } from './prepare.js';

export interface Embedding {
  /** [embedDim] */
  features: Float32Array;
  /** How the image was resized and cropped. */
  geometry: PreprocessGeometry;
}

/** The features of one image: a file path, encoded bytes, or decoded RGB pixels. */
export async function embed(classifier: Classifier, image: string | Uint8Array | RgbImage, options: PrepareOptions = {}): Promise<Embedding> {
  const [result] = await embedMany(classifier, [image], options);
  return result;
}

/** The features of several images, batched by the model's batch size; rejects on the first image that fails. */
export async function embedMany(classifier: Classifier, images: readonly (string | Uint8Array | RgbImage)[], options: PrepareOptions = {}): Promise<Embedding[]> {
  const results = await runImages(classifier, images, options);
  for (const { name, features } of results) {
    const error = nonFiniteError(name, features, 'features');
    if (error !== undefined) throw error;
  }
  return results.map(({ features, geometry }) => ({ features, geometry }));
}

/** One input's outcome in a stream: its features, or why it has none. */
export type EmbedRecord = { file: string; features: Float32Array } | { file: string; error: InputError };

/**
 * The features of a list (or an async source) of inputs, in pipelined batches, one record per
 * input in input order as soon as its batch is done (as classifyStream).
 */
export async function* embedStream(classifier: Classifier, items: InputSource, options: StreamOptions = {}): AsyncGenerator<EmbedRecord> {
  for await (const record of streamBatches(classifier, items, options)) {
    if ('error' in record) {
      yield record;
      continue;
    }
    const { file, features } = record;
    const error = nonFiniteError(file, features, 'features');
    yield error !== undefined ? { file, error: { code: error.code, message: error.message } } : { file, features };
  }
}

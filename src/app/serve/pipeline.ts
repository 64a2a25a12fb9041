// Classifying the images of one request on a shared classifier: each image is decoded and
// preprocessed on its own (a few at a time: a decoded image can be large), then queued to the
// batcher, which runs it in one forward pass with images of other requests. The answer is one
// record per image, the same records classify writes; an image that cannot be decoded is an
// error record and never fails the others.

import { ImageDecodeError } from '../../image/index.js';
import { prepareImage, recordOfLogits, runBatch, type PrepareOptions } from '../classifier.js';
import type { InputError } from '../inputs.js';
import type { Classifier } from '../load-model.js';
import type { Prediction } from '../predictions.js';
import { Batcher, type Coming } from './batcher.js';
import { Limiter } from './capacity.js';

/** One image of a request: the name the client gave it (never a server path) and its bytes. */
export interface Upload {
  file: string;
  bytes: Uint8Array;
}

/** What the server answers for one image: classify's JSON record, without the logits. */
export type ImageRecord = { file: string; predictions: Prediction[] } | { file: string; error: InputError };

export interface PipelineOptions {
  prepare: PrepareOptions;
  /** Images decoded at once. */
  decodeConcurrency: number;
  batchWindowMs: number;
  onBatch?: (size: number, seconds: number) => void;
}

// decode.ts names in-memory input "<buffer>"; the client knows it by its own name.
const BUFFER_LABEL = /^<buffer>/;

export class ClassifyPipeline {
  readonly #classifier: Classifier;
  readonly #prepare: PrepareOptions;
  readonly #decodes: Limiter;
  readonly #batcher: Batcher;

  constructor(classifier: Classifier, options: PipelineOptions) {
    this.#classifier = classifier;
    this.#prepare = options.prepare;
    this.#decodes = new Limiter(options.decodeConcurrency);
    this.#batcher = new Batcher((tensors) => runBatch(classifier, tensors), {
      maxBatch: classifier.model.maxBatch,
      windowMs: options.batchWindowMs,
      onBatch: options.onBatch,
    });
  }

  /**
   * One record per upload, in order, once every image is done. When `signal` aborts, images not
   * yet decoded or still waiting for a forward pass are dropped and this rejects with its reason.
   */
  async classify(uploads: readonly Upload[], topk: number, signal?: AbortSignal): Promise<ImageRecord[]> {
    const outcomes = await Promise.allSettled(uploads.map(({ file, bytes }) => this.classifyImage(file, bytes, topk, signal)));
    const failed = outcomes.find((o) => o.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    return outcomes.map((o) => (o as PromiseFulfilledResult<ImageRecord>).value);
  }

  /**
   * One image's record: `image` is its bytes (named `file` in the record) or a path (the queue
   * worker's jobs). Rejects only when `signal` aborts, or on a bug.
   */
  async classifyImage(file: string, image: Uint8Array | string, topk: number, signal?: AbortSignal): Promise<ImageRecord> {
    let coming: Coming | undefined;
    let tensor: Float32Array;
    try {
      ({ tensor } = await this.#decodes.run(() => {
        signal?.throwIfAborted();
        coming = this.#batcher.announce();
        return prepareImage(this.#classifier, image, this.#prepare);
      }));
    } catch (error) {
      coming?.withdraw();
      if (error instanceof ImageDecodeError) return { file, error: { code: error.code, message: error.message.replace(BUFFER_LABEL, file) } };
      throw error;
    }
    const logits = await (coming as Coming).submit(tensor, signal);
    const record = recordOfLogits(file, logits, this.#classifier.labels, topk);
    return 'error' in record ? record : { file, predictions: record.predictions };
  }
}

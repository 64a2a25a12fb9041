// The pipelined batch loop that every streaming command shares (classify, embed). Inputs come from
// a list or from an async source (paths arriving on stdin); each input is decoded and
// preprocessed as soon as it is taken into a batch, batch i+1 is prepared while batch i runs
// through the model, and every input comes out exactly once, in input order, as soon as its batch
// is done: the model's rows for it, or why it has none. A bad image never stops the others.
//
// Batches hold `maxBatch` inputs (error items included, as they come). A batch is cut short only
// when the model would otherwise wait for an async source that has nothing more yet: results
// then come out while, say, `find` is still producing paths.

import { setImmediate as nextTurn } from 'node:timers/promises';
import { ImageDecodeError, type PreprocessGeometry, type RgbImage } from '../image/index.js';
import type { InputError, InputItem, InputSource } from './inputs.js';

export type { InputSource } from './inputs.js';
import { UrlFetcher, UrlInputError, type UrlFetchOptions } from './fetch-input.js';
import type { Classifier } from './load-model.js';
import { prepareImage, type PreparedImage, type PrepareOptions } from './prepare.js';
import { timed, type TimingObserver } from './timing.js';

/**
 * Where a stream's current batch is, for progress display: its images being decoded and
 * preprocessed (some may be done already), or running through the model.
 */
export type BatchStage = { stage: 'decode'; images: number } | { stage: 'forward'; images: number };

export interface StreamOptions extends PrepareOptions {
  /** Limits for the inputs that are http(s) URLs (app/fetch-input.ts). */
  url?: UrlFetchOptions;
  /** Told when each batch is taken (its images decoding) and when its forward pass starts. */
  onBatchStage?: (event: BatchStage) => void;
}

/** One input's outcome: its rows of the model's output, or why it has none. */
export type BatchRecord = { file: string; logits: Float32Array; features: Float32Array } | { file: string; error: InputError };

/**
 * Run the model over `source` in pipelined batches of the model's batch size and yield one record
 * per input, in input order, as soon as its batch is done. Items that already carry an error (a
 * missing file, an empty directory) and images that fail to decode are yielded as errors.
 */
export async function* streamBatches(classifier: Classifier, source: InputSource, options: StreamOptions = {}): AsyncGenerator<BatchRecord> {
  const urls = new UrlFetcher(options.url, options.onTiming);
  const prepareOne = async (item: InputItem): Promise<PreparedImage | InputError> => {
    if ('error' in item) return item.error;
    const { url } = item;
    try {
      if (url === undefined) return await prepareImage(classifier, item.path, options);
      return await urls.withBytes(url, (bytes) => prepareImage(classifier, bytes, options, item.path));
    } catch (e) {
      if (e instanceof ImageDecodeError || e instanceof UrlInputError) return { code: e.code, message: e.message };
      throw e;
    }
  };
  const queue = new BatchQueue(source, classifier.model.maxBatch, prepareOne);
  try {
    for (;;) {
      const batch = await queue.take();
      if (batch.length === 0) return;
      options.onBatchStage?.({ stage: 'decode', images: batch.length });
      const prepared = await Promise.all(batch.map((entry) => entry.prepared));
      const good = prepared.filter((p): p is PreparedImage => 'tensor' in p);
      if (good.length > 0) options.onBatchStage?.({ stage: 'forward', images: good.length });
      const rows = await forwardRows(classifier, good.map((p) => p.tensor), options.onTiming);
      let g = 0;
      for (const [i, p] of prepared.entries()) {
        const file = batch[i].item.path;
        if ('tensor' in p) {
          yield { file, logits: rows.logits[g], features: rows.features[g] };
          g++;
        } else {
          yield { file, error: p };
        }
      }
    }
  } finally {
    queue.stop();
    urls.close();
  }
}

/**
 * Prepare a few images and run them at once (the library's classifyMany and embedMany): the first
 * image that fails to decode rejects the whole call.
 */
export async function runImages(
  classifier: Classifier,
  images: readonly (string | Uint8Array | RgbImage)[],
  options: PrepareOptions = {},
): Promise<{ name: string; geometry: PreprocessGeometry; logits: Float32Array; features: Float32Array }[]> {
  const prepared = await Promise.all(images.map((image) => prepareImage(classifier, image, options)));
  const rows = await forwardRows(classifier, prepared.map((p) => p.tensor), options.onTiming);
  return prepared.map((p, i) => ({
    name: typeof images[i] === 'string' ? images[i] : `image ${i}`,
    geometry: p.geometry,
    logits: rows.logits[i],
    features: rows.features[i],
  }));
}

/** Run the model on preprocessed images (in the model's thread): one logits row and one features row per image. */
export async function forwardRows(classifier: Classifier, tensors: readonly Float32Array[], onTiming?: TimingObserver): Promise<{ logits: Float32Array[]; features: Float32Array[] }> {
  if (tensors.length === 0) return { logits: [], features: [] };
  const size = tensors[0].length;
  const input = new Float32Array(tensors.length * size);
  tensors.forEach((t, i) => input.set(t, i * size));
  const { logits, features } = await timed(onTiming, (ms) => ({ stage: 'forward', images: tensors.length, ms }), () => classifier.model.forward(input, tensors.length));
  const { numClasses: classes, embedDim: dim } = classifier.model.config;
  return {
    logits: tensors.map((_, i) => logits.slice(i * classes, (i + 1) * classes)),
    features: tensors.map((_, i) => features.slice(i * dim, (i + 1) * dim)),
  };
}

interface Entry<T> {
  item: InputItem;
  prepared: Promise<T>;
}

/**
 * Items from the source, each already being prepared, for one consumer taking a batch at a time.
 * At most one batch waits here beyond the one the consumer holds, so at most two batches of
 * images are in memory, whatever the length of the source.
 */
class BatchQueue<T> {
  private readonly buffer: Entry<T>[] = [];
  private ended = false;
  private failure: { error: unknown } | undefined;
  /** The producer is waiting for the source's next item (not for room in the buffer). */
  private awaitingSource = false;
  private stopped = false;
  private wakeConsumer: (() => void) | undefined;
  private wakeProducer: (() => void) | undefined;

  constructor(
    source: InputSource,
    private readonly size: number,
    private readonly prepare: (item: InputItem) => Promise<T>,
  ) {
    void this.pump(source);
  }

  /**
   * The next batch: `size` entries, or fewer at the end of the source, or fewer when the source is
   * waiting for more (rather than leave the model idle); none once everything was taken. An error
   * of the source is thrown after the items that came before it.
   */
  async take(): Promise<Entry<T>[]> {
    for (;;) {
      if (this.buffer.length >= this.size || (this.ended && this.buffer.length > 0)) return this.splice();
      if (this.ended) {
        if (this.failure !== undefined) throw this.failure.error;
        return [];
      }
      if (this.buffer.length > 0 && this.awaitingSource) {
        // One turn of the event loop lets a source that answers without I/O (an async generator over
        // a list) fill the batch; one that is still waiting after it is waiting for real input.
        await nextTurn();
        if (this.buffer.length >= this.size || this.ended || this.awaitingSource) return this.splice();
        continue;
      }
      await new Promise<void>((resolve) => (this.wakeConsumer = resolve));
    }
  }

  /** The consumer is gone: read no further. */
  stop(): void {
    this.stopped = true;
    this.signalProducer();
  }

  private splice(): Entry<T>[] {
    const batch = this.buffer.splice(0, this.size);
    this.signalProducer();
    return batch;
  }

  private async pump(source: InputSource): Promise<void> {
    try {
      if (Symbol.iterator in source) {
        for (const item of source) if (!(await this.push(item))) return;
        return;
      }
      const iterator = source[Symbol.asyncIterator]();
      for (;;) {
        this.awaitingSource = true;
        this.signalConsumer();
        const next = await iterator.next();
        this.awaitingSource = false;
        if (next.done === true) return;
        const group: readonly InputItem[] = isGroup(next.value) ? next.value : [next.value];
        for (const item of group) {
          if (!(await this.push(item))) {
            await iterator.return?.();
            return;
          }
        }
      }
    } catch (error) {
      this.failure = { error };
    } finally {
      this.awaitingSource = false;
      this.ended = true;
      this.signalConsumer();
    }
  }

  /** Wait for room, then start preparing `item`; false once the consumer has stopped. */
  private async push(item: InputItem): Promise<boolean> {
    while (this.buffer.length >= this.size && !this.stopped) await new Promise<void>((resolve) => (this.wakeProducer = resolve));
    if (this.stopped) return false;
    const prepared = this.prepare(item);
    // Awaited by the consumer; this only keeps a failure left behind by a stopped consumer from
    // being reported as unhandled.
    prepared.catch(() => undefined);
    this.buffer.push({ item, prepared });
    this.signalConsumer();
    return true;
  }

  private signalConsumer(): void {
    const wake = this.wakeConsumer;
    this.wakeConsumer = undefined;
    wake?.();
  }

  private signalProducer(): void {
    const wake = this.wakeProducer;
    this.wakeProducer = undefined;
    wake?.();
  }
}

function isGroup(value: InputItem | readonly InputItem[]): value is readonly InputItem[] {
  return Array.isArray(value);
}

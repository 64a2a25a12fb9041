// Dynamic batching: images submitted within a short window share one forward pass, up to the
// model's batch size, and each submitter gets its own logits row back. The window opens when an
// image arrives at an empty queue; a full batch runs at once. Images left over after a pass have
// already waited for it, so they run next without a new window.
//
// The forward pass is synchronous (it blocks the event loop while the worker threads compute),
// so nothing is submitted while one runs: what arrives meanwhile queues up behind it.

export interface BatcherOptions {
  /** Images per forward pass at most (the model's batch size). */
  maxBatch: number;
  /** How long the first image of a batch waits for others, in milliseconds. */
  windowMs: number;
  /** Told after each pass: how many images, and how long it took in seconds. */
  onBatch?: (size: number, seconds: number) => void;
}

interface Waiting {
  tensor: Float32Array;
  resolve: (logits: Float32Array) => void;
  reject: (reason: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

export class Batcher {
  readonly #run: (tensors: Float32Array[]) => Float32Array[];
  readonly #options: BatcherOptions;
  #queue: Waiting[] = [];
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;

  /** `run` takes preprocessed images and returns one logits row per image (app runBatch). */
  constructor(run: (tensors: Float32Array[]) => Float32Array[], options: BatcherOptions) {
    if (!(Number.isInteger(options.maxBatch) && options.maxBatch >= 1)) throw new RangeError(`maxBatch must be a positive integer, got ${options.maxBatch}`);
    if (!(options.windowMs >= 0)) throw new RangeError(`windowMs must be >= 0, got ${options.windowMs}`);
    this.#run = run;
    this.#options = options;
  }

  /** Images waiting for a forward pass. */
  get waiting(): number {
    return this.#queue.length;
  }

  /**
   * The logits of one image once its batch has run. If `signal` aborts while the image still
   * waits, it leaves the queue and the promise rejects with the signal's reason.
   */
  submit(tensor: Float32Array, signal?: AbortSignal): Promise<Float32Array> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const item: Waiting = { tensor, resolve, reject, signal };
      if (signal !== undefined) {
        item.onAbort = () => {
          const at = this.#queue.indexOf(item);
          if (at >= 0) this.#queue.splice(at, 1);
          reject(signal.reason);
        };
        signal.addEventListener('abort', item.onAbort, { once: true });
      }
      this.#queue.push(item);
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#immediate !== undefined) return;
    if (this.#queue.length >= this.#options.maxBatch) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#immediate = setImmediate(this.#flush);
    } else if (this.#timer === undefined) {
      this.#timer = setTimeout(this.#flush, this.#options.windowMs);
    }
  }

  readonly #flush = (): void => {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#immediate = undefined;
    const batch = this.#queue.splice(0, this.#options.maxBatch);
    for (const item of batch) if (item.onAbort !== undefined) item.signal?.removeEventListener('abort', item.onAbort);
    if (batch.length > 0) this.#runBatch(batch);
    if (this.#queue.length > 0) this.#immediate = setImmediate(this.#flush);
  };

  #runBatch(batch: Waiting[]): void {
    const started = performance.now();
    let rows: Float32Array[];
    try {
      rows = this.#run(batch.map((item) => item.tensor));
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    this.#options.onBatch?.(batch.length, (performance.now() - started) / 1000);
    batch.forEach((item, i) => item.resolve(rows[i]));
  }
}

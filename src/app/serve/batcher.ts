// Dynamic batching: images submitted within a short window share one forward pass, up to the
// model's batch size, and each submitter gets its own logits row back. The window opens when an
// image arrives at an empty queue; a full batch runs at once. A batch that is not full when its
// window closes still waits, a little (up to WAIT_WINDOWS windows), while images announced as on
// their way (being decoded) are still coming: under load they make the batch full.
//
// The forward pass runs in the model's own thread (app/model-host.ts), so the event loop stays
// free while it computes: requests keep arriving and /healthz keeps answering. One pass runs at a
// time; what arrives meanwhile queues up behind it and runs as soon as it is done, without a new
// window (it has waited long enough).

/** How many windows a batch that is not full may wait for images announced as coming. */
const WAIT_WINDOWS = 10;

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

/** An image announced before it is ready: submit it, or withdraw it if it will not come. */
export interface Coming {
  submit(tensor: Float32Array, signal?: AbortSignal): Promise<Float32Array>;
  withdraw(): void;
}

export class Batcher {
  readonly #run: (tensors: Float32Array[]) => Promise<Float32Array[]> | Float32Array[];
  readonly #options: BatcherOptions;
  #queue: Waiting[] = [];
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;
  /** Images announced and not yet submitted or withdrawn. */
  #coming = 0;
  /** When the batch at the head of the queue could first have run. */
  #readySince = 0;
  /** A forward pass is running. */
  #running = false;

  /** `run` takes preprocessed images and gives one logits row per image (app runBatch). */
  constructor(run: (tensors: Float32Array[]) => Promise<Float32Array[]> | Float32Array[], options: BatcherOptions) {
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

  /** Announce an image being prepared, so that a batch short of it may wait for it a little. */
  announce(): Coming {
    this.#coming++;
    let settled = false;
    const settle = () => {
      if (!settled) this.#coming--;
      settled = true;
    };
    return {
      submit: (tensor, signal) => {
        settle();
        return this.submit(tensor, signal);
      },
      // A batch that was waiting for it runs at its next look (a window at most).
      withdraw: settle,
    };
  }

  #schedule(): void {
    // A pass is running: the queue runs when it is done.
    if (this.#immediate !== undefined || this.#running) return;
    if (this.#queue.length >= this.#options.maxBatch) {
      this.#runSoon();
    } else if (this.#timer === undefined) {
      this.#timer = setTimeout(this.#windowClosed, this.#options.windowMs);
    }
  }

  #runSoon(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#readySince = performance.now();
    this.#immediate = setImmediate(this.#decide);
  }

  readonly #windowClosed = (): void => {
    this.#timer = undefined;
    this.#readySince = performance.now();
    this.#decide();
  };

  /** Run the next batch now, or wait a little longer for images on their way. */
  readonly #decide = (): void => {
    this.#immediate = undefined;
    this.#timer = undefined;
    if (this.#queue.length === 0 || this.#running) return;
    const waited = performance.now() - this.#readySince;
    if (this.#queue.length < this.#options.maxBatch && this.#coming > 0 && waited < WAIT_WINDOWS * this.#options.windowMs) {
      this.#timer = setTimeout(this.#decide, Math.max(1, this.#options.windowMs));
      return;
    }
    const batch = this.#queue.splice(0, this.#options.maxBatch);
    for (const item of batch) if (item.onAbort !== undefined) item.signal?.removeEventListener('abort', item.onAbort);
    void this.#runBatch(batch).finally(() => {
      this.#running = false;
      if (this.#queue.length > 0) this.#runSoon();
    });
  };

  async #runBatch(batch: Waiting[]): Promise<void> {
    this.#running = true;
    const started = performance.now();
    let rows: Float32Array[];
    try {
      rows = await this.#run(batch.map((item) => item.tensor));
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    this.#options.onBatch?.(batch.length, (performance.now() - started) / 1000);
    batch.forEach((item, i) => item.resolve(rows[i]));
  }
}

// The model host: one worker thread that owns the backend and the VitModel, so that the forward
// pass (and reading and packing the weights) never blocks the caller's event loop. A CLI spinner
// keeps turning and `vit serve` keeps answering /healthz while a batch runs.
//
// The host thread is the wasm thread pool's "main" thread: it computes and waits there with
// Atomics.wait, as the calling thread did before, so `threads` still counts the threads that
// compute (host + threads - 1 pool workers); the caller's thread computes nothing.
//
// The thread starts before the model is known (HostThread.start, with the kernel settings as
// workerData): its Node start, its kernel threads and its imports then overlap whatever the caller
// does meanwhile (the CLI imports the application layer and resolves the model). Messages: the
// caller posts one 'load' with the resolved checkpoint, then one 'forward' per batch (the input
// copied once and transferred); the host answers 'progress' while reading weights, 'loaded' or
// 'failed' once, then one 'result' or 'error' per forward, in order (it runs one at a time).
// Its logits and features come back transferred, not copied. Errors cross the thread boundary as
// name, message and code, and are rebuilt as the application's error classes (errorKind and the
// CLI's exit codes depend on them).
//
// The worker runs the compiled module (dist/app/model-host-worker.js): under vitest this file runs
// from src/ as TypeScript, which Node 20's workers cannot load, so the tests use the dist/ build
// (`npm test` builds first).

import { Worker } from 'node:worker_threads';
import type { BackendName, Int8AttentionMode, Precision } from '../backend/names.js';
import { BackendUnavailableError } from '../backend/wasm/kernels.js';
import { WeightsError } from '../checkpoint/tensor-check.js';
import type { PreprocessConfig } from '../image/types.js';
import { SafetensorsError } from '../safetensors/errors.js';
import { ConfigError, type VitConfig } from '../vit/config.js';
import type { ForwardResult } from '../vit/model.js';
import type { ExplainTarget } from './explain/rollout.js';
import type { ResolvedModel } from './resolve-model.js';
import type { WeightCacheSettings } from './weight-cache.js';

/** How a host thread starts its kernels: known from the options alone, before any model is resolved (structured-cloneable). */
export interface HostSettings {
  backend?: BackendName;
  threads?: number;
  /** Linear layers' precision (fp32 unless told). */
  precision?: Precision;
  /** Which attention matmuls run in int8 with precision int8 ('off' unless told). */
  int8Attention?: Int8AttentionMode;
}

/** The model a started host thread loads (structured-cloneable). */
export interface HostModelRequest {
  /** The checkpoint file (already resolved, downloaded and checked by the caller). */
  checkpoint: string;
  model: ResolvedModel;
  /** Images per forward pass wanted (cut to what fits the backend's memory, with a warning). */
  batchSize: number;
  /** The packed-weight cache's settings (weight-cache.ts), or off. */
  weightCache?: WeightCacheSettings | false;
}

/** Everything the host needs to load a checkpoint in its own thread. */
export type HostLoadRequest = HostSettings & HostModelRequest;

/**
 * When the host's loading steps ended, in seconds of process uptime (the caller's clock too: the
 * threads share the process), for --verbose: where a one-shot's time goes.
 */
export interface HostLoadSteps {
  /** The host thread runs its own code (Node's worker start and the first imports are behind it). */
  threadUp: number;
  /** The kernels are compiled and their threads started. */
  kernelsUp: number;
  /** Every weight is read, checked and packed (or restored from the cache). */
  weightsIn: number;
}

/** Weights read so far while loading: bytes of float32 weights, of `total`. */
export interface WeightsProgress {
  bytes: number;
  total: number;
}

export interface SerializedError {
  name: string;
  message: string;
  code?: string;
}

/** Messages from the host thread. */
export type HostMessage =
  | ({ type: 'progress' } & WeightsProgress)
  | { type: 'loaded'; maxBatch: number; warnings: string[]; backend: string; threads: number; precision: Precision; int8Dot?: string; weightCache: string; steps: HostLoadSteps }
  | { type: 'failed'; error: SerializedError }
  | { type: 'result'; id: number; logits: Float32Array; features: Float32Array; classAttention?: Float64Array }
  | { type: 'error'; id: number; error: SerializedError };

/** Messages to the host thread: one 'load', then forwards. */
export type CallerMessage =
  | { type: 'load'; request: HostModelRequest }
  | {
      type: 'forward';
      id: number;
      input: Float32Array;
      batch: number;
      /** Record the attention too (vit explain): the host reduces it to the class token's row over the patches for this target. */
      explain?: ExplainTarget;
    };

/** A forward pass that recorded its attention: the class token's row over the patch tokens, as explain wants it. */
export interface ExplainedForward extends ForwardResult {
  classAttention: Float64Array;
}

const HOST_URL = import.meta.url.endsWith('.ts')
  ? new URL('../../dist/app/model-host-worker.js', import.meta.url)
  : new URL('./model-host-worker.js', import.meta.url);

/** The error classes a load or a forward may throw on purpose, rebuilt by name on this side. */
const ERROR_CLASSES: Readonly<Record<string, (message: string) => Error>> = {
  WeightsError: (message) => new WeightsError(message),
  ConfigError: (message) => new ConfigError(message),
  BackendUnavailableError: (message) => new BackendUnavailableError(message),
  RangeError: (message) => new RangeError(message),
  TypeError: (message) => new TypeError(message),
};

export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const code = (error as { code?: unknown }).code;
  return { name: error.name, message: error.message, ...(typeof code === 'string' ? { code } : {}) };
}

function rebuildError({ name, message, code }: SerializedError): Error {
  // SafetensorsError builds its message from parts: keep the host's message as it was.
  const error = name === 'SafetensorsError' ? Object.assign(new SafetensorsError('', ''), { message }) : (ERROR_CLASSES[name]?.(message) ?? new Error(message));
  if (code !== undefined) Object.assign(error, { code });
  return error;
}

/**
 * The caller's Node options, less those a worker started from a file refuses: a program run as
 * `node --input-type=module -e '...'` would otherwise fail to start the host
 * (ERR_INPUT_TYPE_NOT_ALLOWED), since a worker inherits the process's execArgv. Undefined (inherit
 * them all) when there is nothing to remove.
 */
function hostExecArgv(): string[] | undefined {
  // Given explicitly, execArgv is checked and per-process V8 flags (--no-enable-sse4-1) refused;
  // inherited, they are not: so only a command line with --input-type is rewritten.
  if (!process.execArgv.some((arg) => arg.startsWith('--input-type'))) return undefined;
  const argv: string[] = [];
  for (let i = 0; i < process.execArgv.length; i++) {
    const arg = process.execArgv[i];
    if (arg === '--input-type') i++;
    else if (!arg.startsWith('--input-type=')) argv.push(arg);
  }
  return argv;
}

/**
 * A model host thread started before its model is known: its kernels start and its loader is
 * imported at once, and load() hands it the checkpoint (once). Until then it does not keep the
 * process alive; dispose() ends it whether or not it loaded.
 */
export class HostThread {
  readonly #worker: Worker;
  /** Why the thread is unusable before its load: it stopped, or it was disposed. */
  #gone: Error | undefined;
  #loading = false;

  private constructor(readonly settings: Readonly<HostSettings>) {
    this.#worker = new Worker(HOST_URL, { workerData: settings, execArgv: hostExecArgv() });
    const stopped = (error: Error) => {
      this.#gone ??= error;
    };
    this.#worker.on('error', stopped);
    this.#worker.on('exit', (code) => stopped(new Error(`the model host thread exited before it was asked to load (code ${code})`)));
    this.#worker.unref();
  }

  /** Start a host thread whose kernels follow `settings` (only its four fields are taken: any options object that has them will do). */
  static start(settings: HostSettings): HostThread {
    const { backend, threads, precision, int8Attention } = settings;
    return new HostThread({ backend, threads, precision, int8Attention });
  }

  /** Load `request.checkpoint` in the thread: the model, once loaded; `onProgress` hears the weights being read. */
  load(request: HostModelRequest, onProgress?: (progress: WeightsProgress) => void): Promise<HostedModel> {
    if (this.#gone !== undefined) return Promise.reject(this.#gone);
    if (this.#loading) return Promise.reject(new Error('this model host thread has already been asked to load a model'));
    this.#loading = true;
    const worker = this.#worker;
    worker.removeAllListeners('error');
    worker.removeAllListeners('exit');
    worker.ref();
    return new Promise<HostedModel>((resolve, reject) => {
      const fail = (error: unknown) => {
        cleanup();
        void worker.terminate();
        reject(error);
      };
      const onExit = (code: number) => fail(new Error(`the model host thread exited while loading (code ${code})`));
      const onMessage = (message: HostMessage) => {
        if (message.type === 'progress') onProgress?.({ bytes: message.bytes, total: message.total });
        else if (message.type === 'failed') fail(rebuildError(message.error));
        else if (message.type === 'loaded') {
          cleanup();
          resolve(new HostedModel(request.model, worker, message));
        }
      };
      const cleanup = () => {
        worker.off('message', onMessage);
        worker.off('error', fail);
        worker.off('exit', onExit);
      };
      worker.on('message', onMessage);
      worker.on('error', fail);
      worker.on('exit', onExit);
      const message: CallerMessage = { type: 'load', request };
      worker.postMessage(message);
    });
  }

  /** End the thread if it was never asked to load (after load(), the model it gives owns the thread: dispose that). Idempotent. */
  dispose(): void {
    if (this.#loading) return;
    this.#gone ??= new Error('the model host thread was disposed');
    void this.#worker.terminate();
  }
}

interface Pending {
  resolve: (result: ForwardResult & { classAttention?: Float64Array }) => void;
  reject: (error: unknown) => void;
}

/**
 * A model loaded in its own thread: the same numbers as an in-process VitModel (the same code
 * runs there), with forward() answering asynchronously. One forward runs at a time; more queue.
 */
export class HostedModel {
  /** Images per forward pass the host's activations were sized for; larger batches run in chunks. */
  readonly maxBatch: number;
  /** The backend's name ('wasm-relaxed', 'wasm-simd', 'reference'). */
  readonly backendName: string;
  /** Threads that compute each op (the host thread included; the caller's thread is not one). */
  readonly threads: number;
  /** The Linear layers' precision the backend runs. */
  readonly precision: Precision;
  /** With int8 on the relaxed-SIMD kernels, their dot sequence and why ("split (x64 without AVX-VNNI)"); else undefined. */
  readonly int8Dot: string | undefined;
  /** Told while loading: clamped thread count, a batch cut to fit. */
  readonly warnings: readonly string[];
  /** What the packed-weight cache did (weight-cache.ts): "off", "restored from ...", "written to ...". */
  readonly weightCache: string;
  /** When the loading steps in the host thread ended. */
  readonly loadSteps: HostLoadSteps;
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #gone: Error | undefined;

  /** @internal HostThread.load makes them. */
  constructor(
    readonly resolved: ResolvedModel,
    worker: Worker,
    loaded: Extract<HostMessage, { type: 'loaded' }>,
  ) {
    this.#worker = worker;
    this.maxBatch = loaded.maxBatch;
    this.backendName = loaded.backend;
    this.threads = loaded.threads;
    this.warnings = loaded.warnings;
    this.weightCache = loaded.weightCache;
    this.loadSteps = loaded.steps;
    this.precision = loaded.precision;
    this.int8Dot = loaded.int8Dot;
    worker.on('message', (message: HostMessage) => this.#answer(message));
    worker.on('error', (error) => this.#fail(error));
    worker.on('exit', (code) => this.#fail(new Error(`the model host thread exited (code ${code})`)));
    // Idle, the host must not keep the process alive; while a forward is pending it must.
    worker.unref();
  }

  get config(): VitConfig {
    return this.resolved.config;
  }

  get preprocess(): PreprocessConfig {
    return this.resolved.preprocess;
  }

  /** Logits and features for `batch` images laid out [batch][C][H][W] (`input` is copied, never detached). */
  forward(input: Float32Array, batch: number): Promise<ForwardResult> {
    return this.#send(input, batch);
  }

  /** One image's forward pass with its attention recorded, reduced in the host to what `target` asks for (see ClassAttention). */
  async forwardExplained(input: Float32Array, target: ExplainTarget): Promise<ExplainedForward> {
    const result = await this.#send(input, 1, target);
    if (result.classAttention === undefined) throw new Error('the model host returned no attention');
    return result as ExplainedForward;
  }

  #send(input: Float32Array, batch: number, explain?: ExplainTarget): Promise<ForwardResult & { classAttention?: Float64Array }> {
    if (this.#gone !== undefined) return Promise.reject(this.#gone);
    const id = this.#nextId++;
    const copy = input.slice();
    const message: CallerMessage = { type: 'forward', id, input: copy, batch, ...(explain ? { explain } : {}) };
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      if (this.#pending.size === 1) this.#worker.ref();
      this.#worker.postMessage(message, [copy.buffer]);
    });
  }

  /** Stop the host thread (and its pool); forwards still pending reject. Unusable afterwards. */
  dispose(): void {
    if (this.#gone !== undefined) return;
    this.#fail(new Error('the model was disposed'));
    void this.#worker.terminate();
  }

  #answer(message: HostMessage): void {
    if (message.type !== 'result' && message.type !== 'error') return;
    const pending = this.#pending.get(message.id);
    if (pending === undefined) return;
    this.#pending.delete(message.id);
    if (this.#pending.size === 0) this.#worker.unref();
    if (message.type === 'result') pending.resolve({ logits: message.logits, features: message.features, ...(message.classAttention ? { classAttention: message.classAttention } : {}) });
    else pending.reject(rebuildError(message.error));
  }

  #fail(error: Error): void {
    this.#gone ??= error;
    for (const pending of this.#pending.values()) pending.reject(this.#gone);
    this.#pending.clear();
    this.#worker.unref();
  }
}

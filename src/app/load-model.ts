// Loading a model: resolve the request (resolve-model.ts), check every tensor of the checkpoint
// against the architecture (all problems at once, before anything runs), then read the weights
// onto a backend (load-weights.ts). loadModel (the library's front door) does the reading, and
// every forward pass, in a model host thread (model-host.ts), so that the caller's event loop
// stays free; loadVitModel loads in-process.

import type { BackendName, Int8AttentionMode, Precision } from '../backend/index.js';
import type { Backend } from '../backend/types.js';
import type { CheckpointSource } from '../checkpoint/index.js';
import { ReferenceBackend } from '../backend/reference/backend.js';
import { batchThatFits, checkSource, loadFrom, type LoadedModel } from './load-weights.js';
import { HostThread, type HostedModel, type HostLoadSteps, type HostSettings, type WeightsProgress } from './model-host.js';
import { openModel, type ModelRequest, type ResolvedModel } from './resolve-model.js';
import { timed, type TimingObserver } from './timing.js';
import type { WeightCacheSettings } from './weight-cache.js';

export interface LoadOptions extends Omit<ModelRequest, 'weights'> {
  /** Kernels to run on (the caller disposes it); the reference backend by default. */
  backend?: Backend;
  /** Images per forward pass that activations are allocated for (default 1). */
  maxBatch?: number;
  /** Keep the packed weights in a cache file and restore them from it (weight-cache.ts); off by default. */
  weightCache?: WeightCacheSettings | false;
  /**
   * int8 backends only: fold each block's LayerNorm gamma/beta into the Linear that reads it
   * (vit/fold-norms.ts), so that quantized activations have no outlier channels; default true.
   * Never in fp32, where it would change float32 rounding: giving it for fp32 is an error.
   */
  foldNorms?: boolean;
}

/** Resolve, check and read a checkpoint (local, or from the hub cache/download) onto `backend`. */
export async function loadVitModel(weights: string | undefined, options: LoadOptions = {}): Promise<LoadedModel> {
  const { source, model } = await openModel({ ...options, weights, fetch: options.fetch ?? 'download' });
  try {
    const backend = options.backend ?? new ReferenceBackend();
    // The forward pass runs a larger batch in chunks of maxBatch: a smaller chunk changes no number.
    return loadFrom(requireSource(source, model), model, backend, batchThatFits(model, backend, options.maxBatch ?? 1).batch, options);
  } finally {
    source?.close();
  }
}

function requireSource(source: CheckpointSource | undefined, model: ResolvedModel): CheckpointSource {
  if (source === undefined) throw new Error(`no weights were resolved for ${model.name}`);
  return source;
}

export interface LoadModelOptions extends Omit<ModelRequest, 'fetch' | 'onDownload'> {
  /** Kernels: 'auto' (fastest available), 'wasm' (plain SIMD) or 'ref' (plain TypeScript reference). */
  backend?: BackendName;
  /** Threads that compute: the model's host thread and threads-1 pool workers (default and most: the cores). */
  threads?: number;
  /** Linear layers: 'fp32' (default) or 'int8' (weights int8 per output channel, activations 7-bit per token). */
  precision?: Precision;
  /** With precision 'int8': which attention matmuls run in int8, 'off' (default), 'qk' or 'qk+pv' (README "int8 attention"). */
  int8Attention?: Int8AttentionMode;
  /** Images per forward pass (memory grows with it); default 1. */
  batchSize?: number;
  /** Called when a download or load step starts, for progress display. */
  onStage?: (stage: 'download' | 'load', detail: string) => void;
  /** Told, every 100 ms or so while the weights are read, how many bytes (as float32) of how many are in. */
  onWeights?: (progress: WeightsProgress) => void;
  /** Told how long resolving the model (downloading it if needed) and loading its weights take. */
  onTiming?: TimingObserver;
  /** Keep the packed weights in a cache file and restore them from it (weight-cache.ts); off by default. */
  weightCache?: WeightCacheSettings | false;
  /**
   * A host thread started earlier (HostThread.start) with these options' backend, threads, precision
   * and int8Attention, so that its start overlapped the caller's own work; loadModel owns it from
   * here (it is disposed if the load fails). Without it, loadModel starts one.
   */
  host?: HostThread;
}

export interface Classifier {
  /** The model, loaded in its own thread: its forward() answers asynchronously. */
  readonly model: HostedModel;
  readonly labels: readonly string[];
  /** The checkpoint actually loaded. */
  readonly weightsPath: string;
  /** What the caller should be told: guessed settings, ignored fields, clamped options. */
  readonly warnings: readonly string[];
  /** Stop the model's threads; the classifier is unusable afterwards (pending forwards reject). */
  dispose(): void;
}

/**
 * The library's front door: a ready classifier (local weights, or the hub cache / a download),
 * its weights read and its forward passes run in a model host thread (model-host.ts).
 */
export async function loadModel(options: LoadModelOptions = {}): Promise<Classifier> {
  let host = options.host;
  try {
    if (host !== undefined) checkHostSettings(host.settings, options);
    const { source, model } = await timed(
      options.onTiming,
      (ms) => ({ stage: 'resolve', ms }),
      () => openModel({ ...options, task: options.task ?? 'classify', fetch: 'download', onDownload: (id) => options.onStage?.('download', id) }),
    );
    let checkpoint: string;
    try {
      const opened = requireSource(source, model);
      // Every problem of the checkpoint's names and shapes, before the thread loads anything.
      checkSource(opened, model);
      checkpoint = opened.path;
    } finally {
      source?.close();
    }
    const loading = host ?? HostThread.start(options);
    host = undefined; // load() owns the thread now
    return await loadInHost(loading, checkpoint, model, options);
  } finally {
    host?.dispose();
  }
}

/** A host thread started for other kernel settings cannot serve these: a caller's mistake, said with both sides. */
function checkHostSettings(started: HostSettings, wanted: HostSettings): void {
  const normal = (s: HostSettings) => ({ backend: s.backend ?? 'auto', threads: s.threads, precision: s.precision ?? 'fp32', int8Attention: s.int8Attention ?? 'off' });
  const a = normal(started);
  const b = normal(wanted);
  const differ = (Object.keys(a) as (keyof typeof a)[]).filter((key) => a[key] !== b[key]);
  if (differ.length > 0) {
    throw new RangeError(`loadModel: the host thread was started with ${differ.map((k) => `${k} ${a[k]}`).join(', ')}, but the options ask for ${differ.map((k) => `${k} ${b[k]}`).join(', ')}`);
  }
}

async function loadInHost(host: HostThread, checkpoint: string, model: ResolvedModel, options: LoadModelOptions): Promise<Classifier> {
  options.onStage?.('load', checkpoint);
  let weightCache: string | undefined;
  let steps: HostLoadSteps | undefined;
  let int8Dot: string | undefined;
  return await timed(
    options.onTiming,
    (ms) => ({ stage: 'load', ms, weightCache, steps, int8Dot }),
    async (): Promise<Classifier> => {
      const hosted = await host.load({ checkpoint, model, batchSize: options.batchSize ?? 1, weightCache: options.weightCache }, options.onWeights);
      weightCache = hosted.weightCache;
      steps = hosted.loadSteps;
      int8Dot = hosted.int8Dot;
      return {
        model: hosted,
        labels: model.labels,
        weightsPath: checkpoint,
        warnings: [...model.warnings, ...hosted.warnings],
        dispose: () => hosted.dispose(),
      };
    },
  );
}

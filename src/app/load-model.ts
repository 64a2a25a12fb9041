// Loading a model: resolve the request (resolve-model.ts), check every tensor of the checkpoint
// against the architecture (all problems at once, before anything runs), then read the weights
// from disk straight into the backend's arena (vit/weights.ts, driven by the parameter table).

import { createBackend, defaultThreads, type BackendName } from '../backend/index.js';
import type { Backend } from '../backend/types.js';
import type { CheckpointSource } from '../checkpoint/index.js';
import { ReferenceBackend } from '../backend/reference/backend.js';
import type { PreprocessConfig } from '../image/types.js';
import { arenaBytes } from '../vit/memory-plan.js';
import { VitModel, type ForwardResult } from '../vit/model.js';
import { resampledSource } from '../vit/pos-embed.js';
import { WeightsError } from '../checkpoint/index.js';
import { checkpointConfigOf, openModel, type ModelRequest, type ResolvedModel } from './resolve-model.js';
import { timed, type TimingObserver } from './timing.js';

/** A VitModel with the resolution that produced it (architecture, preprocessing, labels, provenance). */
export class LoadedModel {
  constructor(
    readonly vit: VitModel,
    readonly resolved: ResolvedModel,
  ) {}

  get config() {
    return this.vit.config;
  }

  get preprocess(): PreprocessConfig {
    return this.resolved.preprocess;
  }

  /** Images per forward chunk the activations were sized for. */
  get maxBatch(): number {
    return this.vit.maxBatch;
  }

  get backend(): Backend {
    return this.vit.backend;
  }

  /** Logits and features for `batch` images laid out [batch][C][H][W]. */
  forward(input: Float32Array, batch: number): ForwardResult {
    return this.vit.forward(input, batch);
  }
}

export interface LoadOptions extends Omit<ModelRequest, 'weights'> {
  /** Kernels to run on (the caller disposes it); the reference backend by default. */
  backend?: Backend;
  /** Images per forward pass that activations are allocated for (default 1). */
  maxBatch?: number;
}

/** Resolve, check and read a checkpoint (local, or from the hub cache/download) onto `backend`. */
export async function loadVitModel(weights: string | undefined, options: LoadOptions = {}): Promise<LoadedModel> {
  const { source, model } = await openModel({ ...options, weights, fetch: options.fetch ?? 'download' });
  try {
    const backend = options.backend ?? new ReferenceBackend();
    // The forward pass runs a larger batch in chunks of maxBatch: a smaller chunk changes no number.
    return loadFrom(requireSource(source, model), model, backend, batchThatFits(model, backend, options.maxBatch ?? 1).batch);
  } finally {
    source?.close();
  }
}

function requireSource(source: CheckpointSource | undefined, model: ResolvedModel): CheckpointSource {
  if (source === undefined) throw new Error(`no weights were resolved for ${model.name}`);
  return source;
}

function loadFrom(source: CheckpointSource, model: ResolvedModel, backend: Backend, maxBatch: number): LoadedModel {
  // The tensors are checked as stored; at another --img-size the position embedding is resampled as it is read.
  const stored = checkpointConfigOf(model);
  source.check(stored, `${model.name} (${model.provenance.architecture})`);
  return new LoadedModel(VitModel.create(model.config, backend, resampledSource(source, stored, model.config), maxBatch), model);
}

/**
 * The largest batch up to `wanted` whose memory plan fits the backend (WebAssembly's memory ends at
 * 4 GiB), and a warning when that is fewer than asked for. A model that does not fit even one
 * image at a time is a WeightsError.
 */
export function batchThatFits(model: ResolvedModel, backend: Backend, wanted: number): { batch: number; warnings: string[] } {
  const fits = (batch: number) => arenaBytes(model.config, backend, batch) <= backend.maxArenaBytes;
  if (!fits(1)) {
    const mib = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MiB`;
    throw new WeightsError(`${model.name}: needs ${mib(arenaBytes(model.config, backend, 1))} for one image, more than the ${backend.name} backend can hold (${mib(backend.maxArenaBytes)})`);
  }
  if (fits(wanted)) return { batch: wanted, warnings: [] };
  let low = 1; // fits
  let high = wanted; // does not fit
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (fits(mid)) low = mid;
    else high = mid;
  }
  return { batch: low, warnings: [`a batch of ${wanted} images does not fit in the ${backend.name} backend's memory with ${model.name}: using ${low}`] };
}

export interface LoadModelOptions extends Omit<ModelRequest, 'fetch' | 'onDownload'> {
  /** Kernels: 'auto' (fastest available), 'wasm' (plain SIMD) or 'ref' (plain TypeScript reference). */
  backend?: BackendName;
  threads?: number;
  /** Images per forward pass (memory grows with it); default 1. */
  batchSize?: number;
  /** Called when a download or load step starts, for progress display. */
  onStage?: (stage: 'download' | 'load', detail: string) => void;
  /** Told how long resolving the model (downloading it if needed) and loading its weights take. */
  onTiming?: TimingObserver;
}

export interface Classifier {
  readonly model: LoadedModel;
  readonly labels: readonly string[];
  /** The checkpoint actually loaded. */
  readonly weightsPath: string;
  /** What the caller should be told: guessed settings, ignored fields, clamped options. */
  readonly warnings: readonly string[];
  /** Release worker threads; the classifier is unusable afterwards. */
  dispose(): void;
}

/**
 * Start the kernels with at most one thread per core: more only contend for the same cores (and
 * each costs a worker and its memory). Asking for more is said in the warnings, never silently cut.
 */
export async function startBackend(name: BackendName = 'auto', threads?: number): Promise<{ backend: Backend; warnings: string[] }> {
  const cores = defaultThreads();
  const warnings = threads !== undefined && threads > cores ? [`--threads ${threads} is more than the ${cores} cores: using ${cores}`] : [];
  const backend = await createBackend(name, { threads: threads === undefined ? undefined : Math.min(threads, cores) });
  return { backend, warnings };
}

/** The library's front door: a ready classifier (local weights, or the hub cache / a download). */
export async function loadModel(options: LoadModelOptions = {}): Promise<Classifier> {
  const { source, model } = await timed(
    options.onTiming,
    (ms) => ({ stage: 'resolve', ms }),
    () => openModel({ ...options, task: options.task ?? 'classify', fetch: 'download', onDownload: (id) => options.onStage?.('download', id) }),
  );
  try {
    const checkpoint = requireSource(source, model);
    options.onStage?.('load', checkpoint.path);
    return await timed(
      options.onTiming,
      (ms) => ({ stage: 'load', ms }),
      async (): Promise<Classifier> => {
        const { backend, warnings } = await startBackend(options.backend, options.threads);
        try {
          const { batch, warnings: batchWarnings } = batchThatFits(model, backend, options.batchSize ?? 1);
          const loaded = loadFrom(checkpoint, model, backend, batch);
          return {
            model: loaded,
            labels: model.labels,
            weightsPath: checkpoint.path,
            warnings: [...model.warnings, ...warnings, ...batchWarnings],
            dispose: () => backend.dispose(),
          };
        } catch (e) {
          backend.dispose();
          throw e;
        }
      },
    );
  } finally {
    source?.close();
  }
}

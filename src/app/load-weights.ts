// Reading a resolved model's checkpoint onto a backend: the part of loading that runs where the
// weights go (the model host thread, model-host-worker.ts; or the caller's thread, loadVitModel).
// It checks every tensor against the architecture, then reads the weights straight into the
// backend's arena (vit/weights.ts), through the packed-weight cache when asked. Resolving the
// model (resolve-model.ts, with the hub client) happens before, in the caller: this module does
// not import it, so the host thread does not load the resolver and the hub client's modules.

import type { Backend } from '../backend/types.js';
import { CheckpointSource } from '../checkpoint/source.js';
import { WeightsError } from '../checkpoint/tensor-check.js';
import type { PreprocessConfig } from '../image/types.js';
import type { VitConfig } from '../vit/config.js';
import { arenaBytes } from '../vit/memory-plan.js';
import type { ForwardOptions, ForwardResult, VitModel } from '../vit/model.js';
import { resampledSource } from '../vit/pos-embed.js';
import type { TensorSource } from '../vit/weights.js';
import type { HostLoadRequest } from './model-host.js';
import type { ResolvedModel } from './resolve-model.js';
import { startBackend, type StartedBackend } from './start-backend.js';
import { createThroughCache, type WeightCacheSettings } from './weight-cache.js';

/** A VitModel with the resolution that produced it (architecture, preprocessing, labels, provenance). */
export class LoadedModel {
  constructor(
    readonly vit: VitModel,
    readonly resolved: ResolvedModel,
    /** What the packed-weight cache did (weight-cache.ts): "off", "restored from ...", "written to ...". */
    readonly weightCache = 'off',
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
  forward(input: Float32Array, batch: number, options?: ForwardOptions): ForwardResult {
    return this.vit.forward(input, batch, options);
  }
}

/**
 * Read the checkpoint onto the backend: for int8, with the LayerNorms folded into the next Linear
 * unless told not to (vit/fold-norms.ts); through the packed-weight cache when asked
 * (weight-cache.ts). `onRead` is told the bytes of float32 weights each tensor read adds (for progress).
 */
export function loadFrom(
  source: CheckpointSource,
  model: ResolvedModel,
  backend: Backend,
  maxBatch: number,
  options: { weightCache?: WeightCacheSettings | false; foldNorms?: boolean },
  onRead?: (bytes: number) => void,
): LoadedModel {
  checkSource(source, model);
  const { foldNorms } = options;
  const int8 = backend.precision === 'int8';
  if (!int8 && foldNorms !== undefined) throw new RangeError(`foldNorms applies to int8 backends only (this one is ${backend.precision})`);
  // At another --img-size the position embedding is resampled as it is read.
  const resized = resampledSource(source, checkpointConfigOf(model), model.config);
  const tensors: TensorSource =
    onRead === undefined
      ? resized
      : {
          readInto(name, dest) {
            resized.readInto(name, dest);
            onRead(dest.length * 4);
          },
        };
  // int8 folds each LayerNorm into the next Linear as the backend packs it (vit/fold-norms.ts). The
  // cache's key names the packed format (precision included) and the fold: each has its own file.
  const { vit, note } = createThroughCache(model.config, backend, source, maxBatch, options.weightCache, tensors, { foldNorms: int8 && foldNorms !== false });
  return new LoadedModel(vit, model, note);
}

/** The tensors are checked as stored (at another --img-size the position embedding is resampled later, as it is read). */
export function checkSource(source: CheckpointSource, model: ResolvedModel): void {
  source.check(checkpointConfigOf(model), `${model.name} (${model.provenance.architecture})`);
}

/**
 * In the model host's thread (model-host-worker.ts): start the kernels (unless the host already
 * has: `started`), fit the batch to their memory, and read the checkpoint onto them.
 */
export async function loadOnBackend(
  request: HostLoadRequest,
  onRead?: (bytes: number) => void,
  started: Promise<StartedBackend> = startBackend(request.backend, request.threads, request.precision, request.int8Attention),
): Promise<{ loaded: LoadedModel; warnings: string[] }> {
  const { backend, warnings } = await started;
  try {
    const { batch, warnings: batchWarnings } = batchThatFits(request.model, backend, request.batchSize);
    const source = CheckpointSource.open(request.checkpoint, { countNonFinite: (values) => backend.countNonFinite(values) });
    try {
      return { loaded: loadFrom(source, request.model, backend, batch, request, onRead), warnings: [...warnings, ...batchWarnings] };
    } finally {
      source.close();
    }
  } catch (e) {
    backend.dispose();
    throw e;
  }
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

/** The config the checkpoint's tensors have (its own image size, when imgSize resamples it). */
export function checkpointConfigOf(model: Pick<ResolvedModel, 'config' | 'checkpointImgSize'>): VitConfig {
  return model.checkpointImgSize === undefined ? model.config : { ...model.config, imgSize: model.checkpointImgSize };
}

// Pieces several commands share: the lazily loaded application layer, hub settings from the
// command line, the text that describes a preprocessing config, and the signal that stops a
// long-running command (serve, worker).

import type { BackendName, Int8AttentionMode, Precision, ResizeEngine } from '../../app/constants.js';
import type { HostThread, HubOptions, LoadModelOptions, PrepareOptions, PreprocessConfig, PreprocessOverrides } from '../../app/index.js';
import { UsageError } from '../errors.js';
import { settingOf } from '../option-sources.js';
import type { CliIO } from '../io.js';
import type { Progress } from '../progress.js';

export type App = typeof import('../../app/index.js');

/** The application layer, loaded on first use (not at start-up: it brings sharp and WebAssembly). */
export function loadApp(): Promise<App> {
  return import('../../app/index.js');
}

/**
 * Run `work` with a model host thread for these flags' kernels started first, before the rest of
 * the application layer is imported (model-host's module is small): the thread's Node start,
 * kernel threads and imports overlap this thread's imports and the model's resolution, which is
 * most of a one-shot's start-up. `take` hands the thread to loadModel (its `host` option); one
 * that was never taken is disposed when `work` ends.
 */
export async function withHostThread<T>(opts: Pick<ModelFlags, 'backend' | 'threads' | 'precision' | 'int8Attention'>, work: (take: () => HostThread) => Promise<T>): Promise<T> {
  const { HostThread } = await import('../../app/model-host.js');
  const host = HostThread.start(opts);
  let taken = false;
  try {
    return await work(() => {
      taken = true;
      return host;
    });
  } finally {
    if (!taken) host.dispose();
  }
}

/** Hub settings from the command line: offline flag, progress on the spinner line. */
export function hubOptionsFor(app: App, opts: { offline?: boolean }, io: CliIO, progress: Progress): HubOptions {
  return {
    offline: opts.offline === true ? true : undefined,
    onProgress: (event) => progress.update(app.formatProgress(event, { width: io.stderr.columns })),
  };
}

/** The preprocessing override flags (options.ts addPreprocessOptions), as commander parses them. */
export type PreprocessFlags = PreprocessOverrides & { imgSize?: number; inputSize?: number };

/** --img-size, or --input-size's side: the two spellings must agree when both are given. */
export function imgSizeOf(opts: PreprocessFlags): number | undefined {
  const { imgSize, inputSize } = opts;
  if (imgSize !== undefined && inputSize !== undefined && imgSize !== inputSize) {
    throw new UsageError(`--img-size ${imgSize} and --input-size 3,${inputSize},${inputSize} disagree: give one of them`);
  }
  return imgSize ?? inputSize;
}

/** --crop-pct, --crop-mode, --interpolation, --mean and --std as the request's overrides. */
export function preprocessOverridesOf(opts: PreprocessFlags): PreprocessOverrides {
  const { cropPct, cropMode, interpolation, mean, std } = opts;
  return { cropPct, cropMode, interpolation, mean, std };
}

/** The model flags of a command that loads one (classify, serve), as loadModel takes them. */
export interface ModelFlags extends PreprocessFlags {
  weights?: string;
  model?: string;
  config?: string;
  heads?: number;
  labels?: string;
  threads?: number;
  backend: BackendName;
  /** true with --weight-cache, false with --no-weight-cache, else undefined (VIT_WEIGHT_CACHE decides). */
  weightCache?: boolean;
  precision: Precision;
  /** Absent on commands without --int8-attention. */
  int8Attention?: Int8AttentionMode;
}

/** --int8-attention applies to --precision int8 only: asking for it with fp32 is an error, never ignored. */
export function checkInt8Attention(opts: { precision: Precision; int8Attention?: Int8AttentionMode }): void {
  if (opts.int8Attention !== undefined && opts.int8Attention !== 'off' && opts.precision !== 'int8') {
    throw new UsageError(`${settingOf(opts, 'int8Attention', '--int8-attention')} needs --precision int8; this run has ${settingOf(opts, 'precision', '--precision')}`);
  }
}

/** What the flags ask loadModel for, with download and loading progress on the spinner line. */
export function loadOptionsOf(app: App, opts: ModelFlags & { offline?: boolean }, io: CliIO, progress: Progress): LoadModelOptions {
  const { weights, model, config, heads, labels, backend, threads, precision, int8Attention } = opts;
  checkInt8Attention(opts);
  return {
    weights,
    model,
    config,
    heads,
    labels,
    preprocess: preprocessOverridesOf(opts),
    imgSize: imgSizeOf(opts),
    backend,
    threads,
    precision,
    int8Attention,
    hub: hubOptionsFor(app, opts, io, progress),
    ...loadProgressOf(app, progress),
    weightCache: app.weightCacheSettings(opts.weightCache),
  };
}

/** Milliseconds of loading after which the spinner shows the bytes of weights read (a fast load shows only the file). */
export const WEIGHT_BYTES_AFTER_MS = 1000;

/**
 * The spinner line while a model is fetched and loaded: the file, then, once loading has taken
 * more than WEIGHT_BYTES_AFTER_MS, how much of the weights is read. `now` is the clock (a test's own).
 */
export function loadProgressOf(app: App, progress: Progress, now: () => number = () => performance.now()): Pick<LoadModelOptions, 'onStage' | 'onWeights'> {
  let loading: { file: string; since: number } | undefined;
  return {
    onStage: (stage, detail) => {
      if (stage === 'load') loading = { file: detail, since: now() };
      progress.update(stage === 'download' ? `fetching ${detail}` : `loading ${detail}`);
    },
    onWeights: ({ bytes, total }) => {
      if (loading === undefined || now() - loading.since <= WEIGHT_BYTES_AFTER_MS) return;
      progress.update(`loading ${loading.file}: ${app.formatBytes(bytes)} of ${app.formatBytes(total)} of weights`);
    },
  };
}

/** The image flags of a command that classifies (options.ts declares them). */
export interface ImageFlags {
  resize: ResizeEngine;
  autoOrient?: boolean;
  colourManage?: boolean;
  maxPixels?: number;
}

/** --auto-orient, --colour-manage and --max-pixels as decode options. */
export function decodeOptionsOf(opts: ImageFlags): NonNullable<PrepareOptions['decode']> {
  return { autoOrient: opts.autoOrient === true, colourManage: opts.colourManage === true, maxPixels: opts.maxPixels };
}

/** Human-readable lines describing a preprocessing config, as timm's eval transform applies it. */
export function describePreprocessing(cfg: PreprocessConfig, model: string): string[] {
  const [, h, w] = cfg.inputSize;
  const scale = `floor(${h} / ${cfg.cropPct}) = ${Math.floor(h / cfg.cropPct)}`;
  const resize =
    cfg.cropMode === 'squash'
      ? `both sides to ${scale} (squash)`
      : cfg.cropMode === 'border'
        ? `longer side to ${scale}, then pad`
        : `shorter side to ${scale}`;
  return [
    `model       ${model}`,
    `resize      ${resize}, ${cfg.interpolation}`,
    `crop        center ${w} x ${h} (crop_pct ${cfg.cropPct})`,
    `normalize   (x / 255 - mean) / std, mean [${cfg.mean.join(', ')}], std [${cfg.std.join(', ')}]`,
  ];
}

/** The first SIGTERM or SIGINT; after it the handlers are gone, so a second one stops the process at once. */
export function stopSignal(): { signal: Promise<NodeJS.Signals>; dispose(): void } {
  let handler: (signal: NodeJS.Signals) => void = () => {};
  const dispose = () => {
    process.off('SIGTERM', handler);
    process.off('SIGINT', handler);
  };
  const signal = new Promise<NodeJS.Signals>((resolve) => {
    handler = (name) => {
      dispose();
      resolve(name);
    };
    process.on('SIGTERM', handler);
    process.on('SIGINT', handler);
  });
  return { signal, dispose };
}

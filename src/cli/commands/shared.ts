// Pieces several commands share.

import type { HubOptions } from '../../hub/index.js';
import { formatProgress } from '../../hub/index.js';
import type { PreprocessConfig } from '../../image/index.js';
import { resolveArchitecture } from '../../model/load.js';
import { architectureOf, lookupNamedModel } from '../../model/resolve-config.js';
import { SafetensorsFileReader } from '../../safetensors/index.js';
import type { CliIO } from '../io.js';
import type { Progress } from '../progress.js';

/** Hub settings from the command line: offline flag, progress on the spinner line. */
export function hubOptionsFor(opts: { offline?: boolean }, io: CliIO, progress: Progress): HubOptions {
  return {
    offline: opts.offline === true ? true : undefined,
    onProgress: (event) => progress.update(formatProgress(event, { width: io.stderr.columns })),
  };
}

/** The preprocessing a command should use: the weights' own config, else the named model's. */
export function resolvePreprocessing(opts: { weights?: string; model: string; config?: string }): { name: string; preprocess: PreprocessConfig } {
  if (opts.weights !== undefined) {
    const reader = SafetensorsFileReader.open(opts.weights);
    try {
      const shapes = new Map([...reader.header.tensors].map(([name, t]) => [name, t.shape]));
      const resolved = resolveArchitecture(opts.weights, shapes, { configPath: opts.config, model: architectureOf(opts.model) });
      return { name: resolved.name, preprocess: resolved.preprocess };
    } finally {
      reader.close();
    }
  }
  const spec = lookupNamedModel(architectureOf(opts.model));
  return { name: spec.name, preprocess: spec.preprocess };
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

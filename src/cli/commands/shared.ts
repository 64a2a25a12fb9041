// Pieces several commands share: the lazily loaded application layer, hub settings from the
// command line, and the text that describes a preprocessing config.

import type { HubOptions, PreprocessConfig } from '../../app/index.js';
import type { CliIO } from '../io.js';
import type { Progress } from '../progress.js';

export type App = typeof import('../../app/index.js');

/** The application layer, loaded on first use (not at start-up: it brings sharp and WebAssembly). */
export function loadApp(): Promise<App> {
  return import('../../app/index.js');
}

/** Hub settings from the command line: offline flag, progress on the spinner line. */
export function hubOptionsFor(app: App, opts: { offline?: boolean }, io: CliIO, progress: Progress): HubOptions {
  return {
    offline: opts.offline === true ? true : undefined,
    onProgress: (event) => progress.update(app.formatProgress(event, { width: io.stderr.columns })),
  };
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

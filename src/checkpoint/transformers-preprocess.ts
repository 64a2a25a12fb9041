// Preprocessing of a transformers ViT, from its preprocessor_config.json (ViTImageProcessor:
// resize both sides to size, rescale by 1/255, normalize) or that processor's defaults. In the
// pipeline's terms: cropMode 'squash' with cropPct 1 (resize to the input size, no crop).
// Options it cannot reproduce (center crops, other rescale factors, other filters) are refused.

import { stdProblem } from '../image/preprocess-fields.js';
import type { Interpolation, PreprocessConfig } from '../image/types.js';
import { ConfigError, INCEPTION_MEAN, INCEPTION_STD } from '../vit/config.js';
import { boolField, jsonObject } from './json-file.js';

export const PREPROCESSOR_CONFIG = 'preprocessor_config.json';

// PIL.Image.Resampling values as transformers stores `resample`.
const PIL_FILTERS: Readonly<Record<number, Interpolation>> = { 0: 'nearest', 2: 'bilinear', 3: 'bicubic' };
const PIL_FILTER_NAMES: Readonly<Record<number, string>> = { 1: 'Lanczos', 4: 'box', 5: 'Hamming' };
/** transformers' ViTImageProcessor defaults: resample BILINEAR, IMAGENET_STANDARD_MEAN/STD (0.5). */
const DEFAULT_RESAMPLE = 2;
// Processors that do exactly ViTImageProcessor's resize / rescale / normalize.
const VIT_PROCESSORS = new Set(['ViTImageProcessor', 'ViTImageProcessorFast', 'ViTFeatureExtractor']);

export interface TransformersPreprocess {
  readonly preprocess: PreprocessConfig;
  readonly notes: readonly string[];
}

/** ViTImageProcessor's defaults at the model's input size. */
export function defaultTransformersPreprocess(imgSize: number): TransformersPreprocess {
  return {
    preprocess: squash(imgSize, PIL_FILTERS[DEFAULT_RESAMPLE], INCEPTION_MEAN, INCEPTION_STD),
    notes: [`preprocessing: ViTImageProcessor defaults (no ${PREPROCESSOR_CONFIG}): resize to ${imgSize} x ${imgSize}, bilinear, mean and std 0.5`],
  };
}

/** From a parsed preprocessor_config.json, for a model whose input side is `imgSize`. */
export function preprocessFromProcessorConfig(json: unknown, source: string, imgSize: number): TransformersPreprocess {
  const cfg = jsonObject(json, source);
  const notes = [`preprocessing from ${PREPROCESSOR_CONFIG}`];
  const type = cfg.image_processor_type ?? cfg.feature_extractor_type;
  if (type !== undefined && !VIT_PROCESSORS.has(type as string)) {
    throw new ConfigError(`${source}: image processor ${JSON.stringify(type)} is not supported (only ${[...VIT_PROCESSORS].join(', ')})`);
  }
  if (boolField(cfg, 'do_center_crop', false, source)) throw new ConfigError(`${source}: do_center_crop is not supported (ViTImageProcessor resizes to the input size, no crop)`);

  const size = sizeOf(cfg.size, source) ?? imgSize;
  if (size !== imgSize) throw new ConfigError(`${source}: size ${size} differs from the model's image_size ${imgSize}`);
  if (!boolField(cfg, 'do_resize', true, source)) {
    notes.push(`do_resize is false: images are resized to ${imgSize} x ${imgSize} anyway, the only size the model takes`);
  }
  if (!boolField(cfg, 'do_rescale', true, source)) throw new ConfigError(`${source}: do_rescale false is not supported (pixels are always scaled by 1/255)`);
  const factor = cfg.rescale_factor ?? 1 / 255;
  if (typeof factor !== 'number' || Math.abs(factor * 255 - 1) > 1e-9) {
    throw new ConfigError(`${source}: rescale_factor ${JSON.stringify(factor)} is not supported (only 1/255)`);
  }
  const normalize = boolField(cfg, 'do_normalize', true, source);
  const mean = normalize ? (triple(cfg.image_mean, 'image_mean', source) ?? INCEPTION_MEAN) : ([0, 0, 0] as const);
  const std = normalize ? (triple(cfg.image_std, 'image_std', source) ?? INCEPTION_STD) : ([1, 1, 1] as const);
  const stdIssue = stdProblem(std);
  if (stdIssue !== undefined) throw new ConfigError(`${source}: image_std ${stdIssue}`);
  return { preprocess: squash(imgSize, interpolationOf(cfg.resample, source), mean, std), notes };
}

function squash(side: number, interpolation: Interpolation, mean: PreprocessConfig['mean'], std: PreprocessConfig['std']): PreprocessConfig {
  return { inputSize: [3, side, side], interpolation, mean, std, cropPct: 1, cropMode: 'squash' };
}

/** `size`: an int, {height, width} or [height, width] (transformers' get_size_dict); undefined when absent. */
function sizeOf(size: unknown, source: string): number | undefined {
  if (size === undefined || size === null) return undefined;
  let height: unknown = size;
  let width: unknown = size;
  if (Array.isArray(size) && size.length === 2) [height, width] = size;
  else if (typeof size === 'object') {
    const dict = size as Record<string, unknown>;
    if (!('height' in dict && 'width' in dict)) {
      throw new ConfigError(`${source}: size ${JSON.stringify(size)} is not supported (ViTImageProcessor needs height and width)`);
    }
    ({ height, width } = dict);
  }
  if (typeof height !== 'number' || !Number.isInteger(height) || height <= 0 || height !== width) {
    throw new ConfigError(`${source}: size ${JSON.stringify(size)} is not a square size in pixels`);
  }
  return height;
}

function interpolationOf(resample: unknown, source: string): Interpolation {
  const value = resample ?? DEFAULT_RESAMPLE;
  if (typeof value === 'number' && value in PIL_FILTERS) return PIL_FILTERS[value];
  const name = typeof value === 'number' && value in PIL_FILTER_NAMES ? ` (${PIL_FILTER_NAMES[value]})` : '';
  throw new ConfigError(`${source}: resample ${JSON.stringify(value)}${name} is not supported (0 nearest, 2 bilinear, 3 bicubic)`);
}

/** image_mean / image_std: three numbers, or one for every channel. */
function triple(value: unknown, key: string, source: string): readonly [number, number, number] | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return [value, value, value];
  if (Array.isArray(value) && value.length === 3 && value.every((x) => typeof x === 'number' && Number.isFinite(x))) return value as [number, number, number];
  throw new ConfigError(`${source}: ${key} must be three numbers, found ${JSON.stringify(value)}`);
}

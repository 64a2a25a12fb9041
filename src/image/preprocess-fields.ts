// The rules a preprocessing field must follow, one set for every source of it: a config.json's
// pretrained_cfg, a transformers preprocessor config, and the --crop-pct, --crop-mode,
// --interpolation, --mean and --std flags. Each check returns why a value is unusable (to be
// prefixed with the field's name by the caller), or undefined. Light: the CLI imports it at
// start-up through app/constants.

import { MAX_CROP_PCT, MIN_CROP_PCT } from './geometry.js';
import type { CropMode, Interpolation } from './types.js';

export { MAX_CROP_PCT, MIN_CROP_PCT };

/** The smallest std accepted (timm's are 0.2 to 0.5): a tiny one turns pixels into infinities. */
export const MIN_STD = 1e-3;

export const INTERPOLATIONS: readonly Interpolation[] = ['bicubic', 'bilinear', 'nearest'];
export const CROP_MODES: readonly CropMode[] = ['center', 'squash', 'border'];

export function interpolationProblem(value: unknown): string | undefined {
  return INTERPOLATIONS.includes(value as Interpolation) ? undefined : `'${String(value)}' is not supported (${INTERPOLATIONS.join(', ')})`;
}

export function cropModeProblem(value: unknown): string | undefined {
  return CROP_MODES.includes(value as CropMode) ? undefined : `'${String(value)}' is not supported (${CROP_MODES.join(', ')})`;
}

/**
 * timm's crop_pct values are 0.75 to 1, and timm takes any: below MIN_CROP_PCT the resize target
 * (size / crop_pct) explodes; above 1 the image is resized smaller than the crop, which pads it,
 * and beyond MAX_CROP_PCT the image would be a speck in the padding.
 */
export function cropPctProblem(value: number): string | undefined {
  return value >= MIN_CROP_PCT && value <= MAX_CROP_PCT ? undefined : `must be in [1/${1 / MIN_CROP_PCT}, ${MAX_CROP_PCT}], found ${value}`;
}

/** Three finite numbers (the caller has checked that there are three). */
export function meanProblem(mean: readonly number[]): string | undefined {
  return mean.every((m) => Number.isFinite(m)) ? undefined : `must be finite numbers, found ${JSON.stringify(mean)}`;
}

export function stdProblem(std: readonly number[]): string | undefined {
  return std.every((s) => Number.isFinite(s) && s >= MIN_STD) ? undefined : `must be at least ${MIN_STD}, found ${JSON.stringify(std)}`;
}

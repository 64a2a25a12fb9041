// The size arithmetic of timm's eval transform (transforms_imagenet_eval) for one source size:
// which size the image is resized to, with which filter, and which box is cropped from it.
// Pure; integer results reproduce Python's int() truncation and round() half-to-even exactly.
//
//   scale = floor(size / crop_pct) per side
//   'center', square scale:  torchvision Resize(scale): shorter side -> scale,
//                            longer side -> int(scale * long / short)
//   'center', other scale:   timm ResizeKeepRatio(scale) (which timm builds *without* the
//                            configured interpolation, so bilinear), shorter side fitted
//   'squash':                Resize((scale_h, scale_w)), aspect ratio ignored
//   'border':                ResizeKeepRatio(scale, longest=1): longer side fitted
//   then CenterCrop(size):   offset int(round((resized - crop) / 2)); when the crop is larger
//                            than the image it is padded first, (crop - resized) // 2 before,
//                            with 0 (torchvision) or round(255 * mean) ('border', timm).

import { PreprocessConfigError } from './errors.js';
import type { OutputRegion } from './resample.js';
import type { CropBox, Interpolation, PreprocessConfig, PreprocessGeometry } from './types.js';

/** Python 3's round(): nearest integer, ties to even. */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const fraction = x - floor; // exact for doubles of this size
  if (fraction < 0.5) return floor;
  if (fraction > 0.5) return floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * The smallest crop_pct accepted: the image is resized to floor(size / crop_pct) before the
 * crop, so this keeps that side within 16 times the crop side (timm's models use 0.875 to 1;
 * a crop_pct of 1e-6 asked for a 384,000,000-pixel side and took 27 s and 2.2 GB before the
 * resamplers learned to compute only the crop, and crashed libvips after). Below 1/16 the crop
 * would show less than a 16th of the image's side: a broken config, not a choice.
 */
export const MIN_CROP_PCT = 1 / 16;
/**
 * The largest crop_pct accepted. Above 1 (timm allows it) the image is resized to
 * floor(size / crop_pct), smaller than the crop, and the crop pads it: 0 (torchvision's CenterCrop)
 * or the mean colour ('border'). At 16 the image fills a 16th of the crop's side.
 */
export const MAX_CROP_PCT = 16;

/** Throws PreprocessConfigError, naming the field, expected and received, for an unusable config. */
export function assertValidConfig(cfg: PreprocessConfig): void {
  const [channels, height, width] = cfg.inputSize;
  if (channels !== 3) throw new PreprocessConfigError(`inputSize must have 3 channels, got ${channels}`);
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 1 || width < 1) {
    throw new PreprocessConfigError(`inputSize height and width must be positive integers, got ${height}x${width}`);
  }
  if (!(cfg.cropPct >= MIN_CROP_PCT) || !Number.isFinite(cfg.cropPct)) {
    throw new PreprocessConfigError(
      `cropPct must be a number >= 1/16 (a resize to at most 16 times the crop side), got ${cfg.cropPct}`,
    );
  }
  if (!['bicubic', 'bilinear', 'nearest'].includes(cfg.interpolation)) {
    throw new PreprocessConfigError(`unknown interpolation '${cfg.interpolation}'`);
  }
  if (!['center', 'squash', 'border'].includes(cfg.cropMode)) {
    throw new PreprocessConfigError(`unknown cropMode '${cfg.cropMode}'`);
  }
  for (const s of cfg.std) {
    if (!(s !== 0 && Number.isFinite(s))) throw new PreprocessConfigError(`std must be finite and non-zero, got ${cfg.std.join(', ')}`);
  }
}

/** timm ResizeKeepRatio.get_params (no randomness): [width, height]. */
function keepRatioSize(width: number, height: number, targetH: number, targetW: number, longest: 0 | 1): [number, number] {
  const ratioH = height / targetH;
  const ratioW = width / targetW;
  const ratio = longest === 1 ? Math.max(ratioH, ratioW) : Math.min(ratioH, ratioW);
  return [roundHalfEven(width / ratio), roundHalfEven(height / ratio)];
}

/** torchvision _compute_resized_output_size for an int size: [width, height]. */
function shorterSideSize(width: number, height: number, size: number): [number, number] {
  const [short, long] = width <= height ? [width, height] : [height, width];
  const newLong = Math.trunc((size * long) / short);
  return width <= height ? [size, newLong] : [newLong, size];
}

/** torchvision center_crop offset along one axis, padding included (negative = padded). */
function cropOffset(resized: number, crop: number): number {
  if (crop > resized) return -Math.floor((crop - resized) / 2);
  return roundHalfEven((resized - crop) / 2);
}

/**
 * Resize size, filter and crop box of timm's eval transform for a width x height source.
 *
 * One deliberate difference: where timm would ask Pillow for a 0-pixel side (a border-mode
 * resize of an image thousands of times wider than tall) and fail, the side is clamped to 1.
 */
export function planGeometry(width: number, height: number, cfg: PreprocessConfig): PreprocessGeometry {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`source size must be positive integers, got ${width}x${height}`);
  }
  assertValidConfig(cfg);
  const [, cropH, cropW] = cfg.inputSize;
  const scaleH = Math.floor(cropH / cfg.cropPct);
  const scaleW = Math.floor(cropW / cfg.cropPct);

  let resizeSize: [number, number];
  let resizeInterpolation: Interpolation = cfg.interpolation;
  if (cfg.cropMode === 'squash') {
    resizeSize = [scaleW, scaleH];
  } else if (cfg.cropMode === 'border') {
    resizeSize = keepRatioSize(width, height, scaleH, scaleW, 1);
  } else if (scaleH === scaleW) {
    resizeSize = shorterSideSize(width, height, scaleH);
  } else {
    resizeSize = keepRatioSize(width, height, scaleH, scaleW, 0);
    resizeInterpolation = 'bilinear'; // timm's ResizeKeepRatio default: timm passes no filter here
  }
  resizeSize = [Math.max(1, resizeSize[0]), Math.max(1, resizeSize[1])];

  const cropBox: CropBox = {
    left: cropOffset(resizeSize[0], cropW),
    top: cropOffset(resizeSize[1], cropH),
    width: cropW,
    height: cropH,
  };
  const padColour: [number, number, number] =
    cfg.cropMode === 'border'
      ? [roundHalfEven(255 * cfg.mean[0]), roundHalfEven(255 * cfg.mean[1]), roundHalfEven(255 * cfg.mean[2])]
      : [0, 0, 0];
  return { sourceSize: [width, height], resizeSize, resizeInterpolation, cropBox, padColour };
}

/**
 * The part of the resized image the crop box keeps (never empty: a crop larger than the image
 * is centred over it). Only these pixels need resampling, however large the resized image is.
 */
export function keptRegion(geometry: PreprocessGeometry): OutputRegion {
  const [w, h] = geometry.resizeSize;
  const box = geometry.cropBox;
  const left = Math.max(0, box.left);
  const top = Math.max(0, box.top);
  return { left, top, width: Math.min(w, box.left + box.width) - left, height: Math.min(h, box.top + box.height) - top };
}

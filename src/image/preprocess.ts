// timm's eval transform on a decoded RGB image, equal to Pillow 9.4 + torchvision 0.14:
// resize (Pillow's resampler), center crop with padding (torchvision CenterCrop / timm
// CenterCropOrPad), ToTensor (/255) and Normalize, all in float32 like torch.
// Pure computation: decoding (and all I/O) is in decode.ts.

import { assertValidConfig, keptRegion, planGeometry } from './geometry.js';
import { resizeRgb } from './resample.js';
import type { CropBox, PreprocessConfig, PreprocessGeometry, RgbImage } from './types.js';

export { planGeometry, roundHalfEven } from './geometry.js';

/** vit_base_patch16_384's pretrained config in timm (augreg_in21k_ft_in1k and orig_in21k_ft_in1k). */
export const VIT_BASE_PATCH16_384_PREPROCESS: PreprocessConfig = Object.freeze({
  inputSize: [3, 384, 384] as const,
  interpolation: 'bicubic' as const,
  mean: [0.5, 0.5, 0.5] as const,
  std: [0.5, 0.5, 0.5] as const,
  cropPct: 1.0,
  cropMode: 'center' as const,
});

/** Copy `box` out of `img`; pixels of the box outside the image get `padColour`. */
export function cropOrPad(img: RgbImage, box: CropBox, padColour: readonly [number, number, number]): RgbImage {
  const { left, top, width, height } = box;
  const out = new Uint8Array(width * height * 3);
  for (let i = 0; i < out.length; i += 3) {
    out[i] = padColour[0];
    out[i + 1] = padColour[1];
    out[i + 2] = padColour[2];
  }
  // The part of the box that lies inside the image.
  const x0 = Math.max(0, left);
  const x1 = Math.min(img.width, left + width);
  const y0 = Math.max(0, top);
  const y1 = Math.min(img.height, top + height);
  if (x1 > x0) {
    for (let y = y0; y < y1; y++) {
      const from = (y * img.width + x0) * 3;
      out.set(img.data.subarray(from, from + (x1 - x0) * 3), ((y - top) * width + (x0 - left)) * 3);
    }
  }
  return { width, height, data: out };
}

/**
 * ToTensor + Normalize: uint8 HWC -> float32 CHW, ((v / 255) - mean) / std with each step
 * rounded to float32 as torch does (so results are bit-identical, not merely close).
 */
export function toNormalizedTensor(
  img: RgbImage,
  mean: readonly [number, number, number],
  std: readonly [number, number, number],
  out?: Float32Array,
): Float32Array {
  const plane = img.width * img.height;
  const tensor = out ?? new Float32Array(3 * plane);
  if (tensor.length !== 3 * plane) {
    throw new RangeError(`output tensor must hold 3x${img.height}x${img.width} = ${3 * plane} floats, got ${tensor.length}`);
  }
  const f32 = Math.fround;
  for (let c = 0; c < 3; c++) {
    // 256-entry table per channel: exact and much cheaper than per-pixel float emulation.
    const m = f32(mean[c]);
    const s = f32(std[c]);
    const table = new Float32Array(256);
    for (let v = 0; v < 256; v++) table[v] = f32(f32(f32(v / 255) - m) / s);
    const base = c * plane;
    for (let i = 0; i < plane; i++) tensor[base + i] = table[img.data[i * 3 + c]];
  }
  return tensor;
}

/** The resized and cropped uint8 image (what timm hands to ToTensor), with its geometry. */
export function resizeAndCrop(img: RgbImage, cfg: PreprocessConfig): { image: RgbImage; geometry: PreprocessGeometry } {
  const geometry = planGeometry(img.width, img.height, cfg);
  const [w, h] = geometry.resizeSize;
  const box = geometry.cropBox;
  // Resample only the part of the resized image the crop keeps, then pad around it where the crop
  // reaches past it.
  const kept = keptRegion(geometry);
  const resizedPart = resizeRgb(img, w, h, geometry.resizeInterpolation, kept);
  const boxInPart = { ...box, left: box.left - kept.left, top: box.top - kept.top };
  return { image: cropOrPad(resizedPart, boxInPart, geometry.padColour), geometry };
}

/**
 * timm's eval transform: returns the [3, H, W] float32 tensor (written into `out` when given)
 * and the geometry used.
 */
export function preprocess(
  img: RgbImage,
  cfg: PreprocessConfig,
  out?: Float32Array,
): { tensor: Float32Array; geometry: PreprocessGeometry } {
  assertValidConfig(cfg);
  const [, h, w] = cfg.inputSize;
  if (out && out.length !== 3 * h * w) {
    throw new RangeError(`output tensor must hold 3x${h}x${w} = ${3 * h * w} floats, got ${out.length}`);
  }
  const { image, geometry } = resizeAndCrop(img, cfg);
  return { tensor: toNormalizedTensor(image, cfg.mean, cfg.std, out), geometry };
}

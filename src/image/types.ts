// Shared types of the image pipeline: decoded pixels, the preprocessing config (timm's
// pretrained-cfg fields in camelCase) and the geometry a config implies for one image.

/** 8-bit RGB pixels, interleaved (R, G, B), row-major, no padding between rows. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

export type Interpolation = 'bicubic' | 'bilinear' | 'nearest';

/**
 * timm's crop_mode:
 * - 'center': resize the shorter side to floor(size / cropPct), then center-crop (default);
 * - 'squash': resize both sides to floor(size / cropPct), ignoring the aspect ratio, then
 *   center-crop; with cropPct 1 this is the HF-transformers style "resize to the input size";
 * - 'border': resize the longer side to floor(size / cropPct), then pad to the input size with
 *   the mean colour (round(255 * mean)) and center-crop.
 */
export type CropMode = 'center' | 'squash' | 'border';

export interface PreprocessConfig {
  /** [C, H, W]; C must be 3. */
  inputSize: readonly [number, number, number];
  interpolation: Interpolation;
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
  /** Fraction of the resized image kept by the crop (timm's crop_pct), > 0. */
  cropPct: number;
  cropMode: CropMode;
}

export interface CropBox {
  /** Offsets in the resized image; negative when the crop reaches past its edges (padding). */
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface PreprocessGeometry {
  sourceSize: [number, number];
  /** [width, height] the source is resampled to. */
  resizeSize: [number, number];
  /** Filter of the resize; can differ from the config's (see planGeometry). */
  resizeInterpolation: Interpolation;
  cropBox: CropBox;
  /** uint8 colour of crop pixels outside the resized image. */
  padColour: [number, number, number];
}

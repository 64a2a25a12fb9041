// Public surface of the image pipeline: decode a file to RGB the way Pillow does, then apply
// timm's eval transform exactly (preprocess) or approximately and faster (preprocessWithSharp).

export { encodePng } from './encode.js';
export { decodeImage, DEFAULT_MAX_PIXELS, MAX_IMAGE_SIDE, type DecodeOptions, type DecodedImage } from './decode.js';
export { ImageDecodeError, PreprocessConfigError, type ImageDecodeErrorCode } from './errors.js';
export { MIN_CROP_PCT, planGeometry, roundHalfEven } from './geometry.js';
export { loadImageTensor, RESIZE_ENGINES, type LoadedImage, type LoadImageOptions, type ResizeEngine } from './load.js';
export {
  cropOrPad,
  preprocess,
  resizeAndCrop,
  toNormalizedTensor,
  VIT_BASE_PATCH16_384_PREPROCESS,
} from './preprocess.js';
export { computeCoefficients, resizeRgb, type OutputRegion, type ResampleCoefficients } from './resample.js';
export { preprocessWithSharp, resizeAndCropWithSharp } from './sharp-preprocess.js';
export type {
  CropBox,
  CropMode,
  Interpolation,
  PreprocessConfig,
  PreprocessGeometry,
  RgbImage,
} from './types.js';

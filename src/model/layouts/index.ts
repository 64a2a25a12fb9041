// Checkpoint layouts (timm, Hugging Face transformers, torchvision): detection, the timm-named
// view the loader reads through, and layout-specific architecture resolution.

export { CheckpointSource } from './checkpoint-source.js';
export { CheckpointLayoutError, detectLayout } from './detect.js';
export { resolveOtherLayout } from './resolve.js';
export type { LayoutResolveOptions } from './resolve-options.js';
export { expectedStoredTensors } from './stored-check.js';
export { TRANSFORMERS_LAYER_NORM_EPS } from './transformers-config.js';
export { PREPROCESSOR_CONFIG } from './transformers-preprocess.js';
export { LAYOUT_TITLES, type CheckpointLayout, type LayoutNaming } from './types.js';

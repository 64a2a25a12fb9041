// Checkpoints on disk: a safetensors file in any supported layout (timm, Hugging Face
// transformers, torchvision), seen under timm's names, checked against a config, and resolved to
// an architecture and preprocessing by its layout's rules. Knows files, never the hub.

export { CheckpointSource, type SourceOptions } from './source.js';
export { CheckpointLayoutError, detectLayout, LAYOUTS } from './registry.js';
export { resolveCheckpoint, resolveConfigFile, resolveStoredShapes, readConfigFile, CONFIG_JSON, PREPROCESSOR_CONFIG_JSON, type CheckpointRequest } from './resolve.js';
export { expectedStoredTensors } from './stored-check.js';
export { WeightsError } from './tensor-check.js';
export { TRANSFORMERS_LAYER_NORM_EPS } from './transformers-config.js';
export { LAYOUT_TITLES } from './types.js';
export type { CheckpointLayout, CheckpointModel, ConfigFile, LayoutDefinition, Provenance, ResolveContext, TensorSummary } from './types.js';

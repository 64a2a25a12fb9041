// Public API of the package: the application layer (as the CLI uses it) and the lower-level
// pieces a service may want. Everything not exported here is internal.

export * from './app/index.js';
export { createBackend, BACKEND_NAMES, INT8_ATTENTION_MODES, PRECISIONS, type BackendName, type BackendOptions, type Int8AttentionMode, type Int8Dot, type Precision } from './backend/index.js';
export { int8DotForThisMachine } from './app/start-backend.js';
export type { Backend, Arena, ColumnRange, LinearWeights, LinearEpilogue } from './backend/types.js';
export { prepareLinear } from './backend/prepare-linear.js';
export { VitModel, type BlockAttention, type ForwardOptions, type ForwardResult } from './vit/model.js';
export { DEFAULT_MODEL, NAMED_MODELS, type ModelSpec, type NamedModel } from './vit/named-models.js';
export { ConfigError, ConflictError } from './vit/config.js';
export { countParameters, expectedTensors } from './vit/parameters.js';
export { WeightsError, CheckpointSource, type CheckpointModel } from './checkpoint/index.js';
export { decodeImage, preprocess, planGeometry, loadImageTensor, ImageDecodeError, RESIZE_ENGINES, type DecodeOptions, type ResizeEngine } from './image/index.js';
export type { PreprocessGeometry, RgbImage, Interpolation, CropMode } from './image/index.js';
export { SafetensorsBuffer, SafetensorsFileReader, SafetensorsError, encodeSafetensors } from './safetensors/index.js';
export { IMAGENET_LABELS_PATH } from './paths.js';
export { ensureModelFiles, HubError } from './hub/index.js';

// Public API of the package. Everything not exported here is internal.

export { classify, classifyMany, loadModel, prepareImage, runBatch } from './classifier.js';
export type { Classification, ClassifyOptions, Classifier, LoadModelOptions, PreparedImage, PrepareOptions } from './classifier.js';
export { topPredictions, type Prediction } from './predictions.js';
export { createBackend, BACKEND_NAMES, type BackendName, type BackendOptions } from './backend/index.js';
export type { Backend, Arena, ColumnRange, LinearWeights, LinearEpilogue } from './backend/types.js';
export { loadVitModel, type LoadOptions } from './model/load.js';
export { VitModel, type ForwardResult } from './model/vit.js';
export { DEFAULT_MODEL, NAMED_MODELS, ConfigError, type VitConfig, type ModelSpec } from './model/config.js';
export { lookupNamedModel, type ResolvedModel } from './model/resolve-config.js';
export { countParameters, expectedTensors, WeightsError } from './model/weights.js';
export { decodeImage, preprocess, planGeometry, loadImageTensor, ImageDecodeError, RESIZE_ENGINES, type DecodeOptions, type ResizeEngine } from './image/index.js';
export type { PreprocessConfig, PreprocessGeometry, RgbImage, Interpolation, CropMode } from './image/index.js';
export { SafetensorsBuffer, SafetensorsFileReader, SafetensorsError, encodeSafetensors } from './safetensors/index.js';
export { IMAGENET_LABELS_PATH, LabelsError, readLabelsFile } from './labels.js';
export { ensureModelFiles, HubError, resolveModelId, type HubOptions } from './hub/index.js';

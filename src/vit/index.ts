// The numeric core: the architecture, its parameter table and memory plan, and the forward pass.
// No I/O here: weights arrive through a TensorSource, images as normalized Float32Arrays.

export { ConfigError, headDimOf, tokensOf, validateConfig, IMAGENET_MEAN, IMAGENET_STD, INCEPTION_MEAN, INCEPTION_STD, TIMM_VIT_LAYER_NORM_EPS } from './config.js';
export type { VitConfig } from './config.js';
export { DEFAULT_MODEL, NAMED_MODELS, HEADLESS, IN1K, IN21K } from './named-models.js';
export type { ModelSpec, NamedModel, PretrainedTag } from './named-models.js';
export { countParameters, expectedTensors, numel, vitParameters } from './parameters.js';
export type { LinearParameter, Parameter, Shape, VectorParameter } from './parameters.js';
export { VitModel } from './model.js';
export type { BlockAttention, ForwardOptions, ForwardResult } from './model.js';
export type { BlockWeights, TensorSource, VitWeights } from './weights.js';

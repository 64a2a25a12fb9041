// The application layer: everything the command line (and a Node service) does, as functions.
// src/cli parses arguments and formats output over this; src/index.ts exports it as the library.

export { streamBatches, type BatchRecord, type BatchStage, type InputSource, type StreamOptions } from './batch-runner.js';
export { isUrlInput, MAX_URL_REDIRECTS, URL_CONCURRENCY, UrlInputError, type UrlFetchOptions } from './fetch-input.js';
export { classify, classifyMany, classifyStream, NonFiniteOutputError, prepareImage, recordOfLogits, runBatch } from './classifier.js';
export type { Classification, ClassifyOptions, ClassifyRecord, PreparedImage, PrepareOptions } from './classifier.js';
export { compareOutputs, DEFAULT_TOLERANCE } from './compare-outputs.js';
export { FEATURES_FILE_FORMATS, QUEUE_DEFAULTS, SERVE_DEFAULTS, VERSION, type FeaturesFileFormat } from './constants.js';
export type { OutputComparison, SampleComparison, Tolerance } from './compare-outputs.js';
export { DEFAULT_AGREEMENT_RULE, measureAgreement } from './agreement.js';
export type { Agreement, AgreementRule, SampleAgreement } from './agreement.js';
export { downloadModel } from './download.js';
export { embed, embedMany, embedStream, type EmbedRecord, type Embedding } from './embed.js';
export {
  checkAlpha,
  checkTarget,
  cropInSource,
  DEFAULT_ALPHA,
  explain,
  ExplainOptionError,
  heatOnSource,
  NonFiniteAttentionError,
  renderExplanation,
  writeExplanationPng,
  type Explanation,
  type ExplainOptions,
  type ExplainTarget,
  type SourceRect,
} from './explain/index.js';
export { errorKind, OutputError, outputError, type ErrorKind } from './errors.js';
export { checkOutputPath, encodeNpy, FeatureRows } from './features-file.js';
export { checkPath, expandInputs, IMAGE_EXTENSIONS, InputListError, openInputs, streamInputs, type ExpandOptions, type InputError, type InputItem } from './inputs.js';
export { describeModel, type CheckpointDescription, type ModelDescription } from './inspect.js';
export { LabelsError, readLabelsFile, resolveLabels } from './labels.js';
export { loadModel, loadVitModel, type Classifier, type LoadModelOptions, type LoadOptions } from './load-model.js';
export { LoadedModel } from './load-weights.js';
export { HostedModel, HostThread, type HostLoadSteps, type HostSettings, type WeightsProgress } from './model-host.js';
export { listKnownModelIds, resolveModelId, type ResolvedModelId } from './model-ids.js';
export { listModels, type ModelListing } from './models.js';
export { topIndices, topPredictions, type Prediction } from './predictions.js';
export type { TimingEvent, TimingObserver } from './timing.js';
export { preprocessToFile, type PreprocessRequest, type PreprocessResult } from './preprocess.js';
export { openModel, PreprocessOverrideError, resolveModel, type ModelRequest, type PreprocessOverrides, type Provenance, type ResolvedModel } from './resolve-model.js';
export {
  IMAGE_ERROR_STATUS,
  ListenError,
  REQUEST_ERROR_STATUS,
  startServer,
  statusOfCode,
  type ImageRecord,
  type RequestErrorCode,
  type RunningServer,
  type ServeOptions,
} from './serve/index.js';
export {
  checkQueueName,
  errorOfFailure,
  jobIdOf,
  openQueue,
  parseRedisUrl,
  QueueSettingError,
  QueueUnavailableError,
  startWorker,
  type EnqueueResult,
  type ImageJobData,
  type ImageJobRecord,
  type QueueClient,
  type QueuedImage,
  type RunningWorker,
  type WorkerOptions,
} from './queue/index.js';
export { MAX_RESUME_BYTES, MAX_RESUME_LINE_BYTES, openResumeLog, ResumeFileError, type ResumeLog } from './resume.js';
export { inShard, shardOf, type Shard } from './shard.js';
export { MAX_FILES as WEIGHT_CACHE_MAX_FILES, MIN_BYTES as WEIGHT_CACHE_MIN_BYTES, weightCacheDir, weightCacheSettings, WeightCacheSettingError, type WeightCacheSettings } from './weight-cache.js';
export { bundledFixtures, referencePair, ReferenceError, verifyPair, type VerifyOptions, type VerifyPair, type VerifyRun } from './verify.js';
export { formatBytes, formatProgress, type HubOptions } from '../hub/index.js';
export { LAYOUT_TITLES } from '../checkpoint/index.js';
export { headDimOf, tokensOf, type VitConfig } from '../vit/config.js';
export type { PreprocessConfig } from '../image/types.js';

// The library's front door: load a classifier (local weights, or the hub cache / a download),
// then classify images. The CLI is one user of this module; a Node service can be another.

import { createBackend, type BackendName } from './backend/index.js';
import { ensureModelFiles, type HubOptions } from './hub/index.js';
import { loadImageTensor, type DecodeOptions, type PreprocessGeometry, type ResizeEngine, type RgbImage } from './image/index.js';
import { resolveLabels } from './labels.js';
import { DEFAULT_MODEL } from './model/config.js';
import { loadVitModel } from './model/load.js';
import { architectureOf, lookupNamedModel } from './model/resolve-config.js';
import type { VitModel } from './model/vit.js';
import { topPredictions, type Prediction } from './predictions.js';

export interface LoadModelOptions {
  /** A local safetensors checkpoint. Without it the model is taken from the Hugging Face hub cache, downloading it if needed. */
  weights?: string;
  /** A timm model name (`vit_base_patch16_384`), `name.tag`, or `hf-hub:ORG/NAME[@REV]`; default vit_base_patch16_384. With `weights`, it names the architecture (`auto` infers it). */
  model?: string;
  /** A timm config.json; by default the one beside the weights, if any. */
  config?: string;
  /** Attention heads, when the architecture is inferred from shapes. */
  heads?: number;
  /** A labels file (one class per line); default: the config's label_names, else the bundled ImageNet-1k names. */
  labels?: string;
  /** Kernels: 'auto' (fastest available) or 'ref' (plain TypeScript reference). */
  backend?: BackendName;
  threads?: number;
  /** Images per forward pass (memory grows with it); default 1. */
  batchSize?: number;
  /** Hub settings for the download (cache dir, offline, progress, ...). */
  hub?: HubOptions;
  /** Called when a download or load step starts, for progress display. */
  onStage?: (stage: 'download' | 'load', detail: string) => void;
}

export interface Classifier {
  readonly model: VitModel;
  readonly labels: readonly string[];
  /** The checkpoint actually loaded. */
  readonly weightsPath: string;
  /** Release worker threads; the classifier is unusable afterwards. */
  dispose(): void;
}

export async function loadModel(options: LoadModelOptions = {}): Promise<Classifier> {
  let weightsPath = options.weights;
  let configPath = options.config;
  let model = options.model ?? DEFAULT_MODEL;
  if (weightsPath === undefined) {
    options.onStage?.('download', model);
    const files = await ensureModelFiles(model, options.hub);
    weightsPath = files.weightsPath;
    configPath ??= files.configPath;
    model = files.model.architecture ?? model;
  } else if (options.model !== undefined && options.model !== 'auto') {
    // With local weights the name only picks the architecture: check it even when a
    // config.json will override it, so a typo never passes silently.
    lookupNamedModel(architectureOf(options.model));
  }
  options.onStage?.('load', weightsPath);
  const backend = await createBackend(options.backend ?? 'auto', { threads: options.threads });
  try {
    const vit = await loadVitModel(weightsPath, {
      backend,
      configPath,
      model: architectureOf(model),
      numHeads: options.heads,
      maxBatch: options.batchSize ?? 1,
    });
    const labels = resolveLabels(vit.config.numClasses, { labelsPath: options.labels, configLabels: vit.resolved.labelNames });
    return { model: vit, labels, weightsPath, dispose: () => backend.dispose() };
  } catch (e) {
    backend.dispose();
    throw e;
  }
}

export interface PrepareOptions {
  decode?: DecodeOptions;
  /** 'pillow' (default): bit-exact with timm's Pillow resize. 'sharp': libvips' resize, faster on big images, not exact. */
  resize?: ResizeEngine;
}

export interface ClassifyOptions extends PrepareOptions {
  /** How many classes to return; default 5. */
  topk?: number;
}

export interface Classification {
  predictions: Prediction[];
  /** How the image was resized and cropped. */
  geometry: PreprocessGeometry;
  /** [numClasses] */
  logits: Float32Array;
}

/** Classify one image: a file path, encoded bytes, or decoded RGB pixels. */
export async function classify(classifier: Classifier, image: string | Uint8Array | RgbImage, options: ClassifyOptions = {}): Promise<Classification> {
  const [result] = await classifyMany(classifier, [image], options);
  return result;
}

/** Classify several images, batched by the model's batch size; rejects on the first image that fails to decode. */
export async function classifyMany(
  classifier: Classifier,
  images: readonly (string | Uint8Array | RgbImage)[],
  options: ClassifyOptions = {},
): Promise<Classification[]> {
  const prepared = await Promise.all(images.map((img) => prepareImage(classifier, img, options)));
  const logits = runBatch(classifier, prepared.map((p) => p.tensor));
  return prepared.map((p, i) => ({
    predictions: topPredictions(logits[i], classifier.labels, options.topk ?? 5),
    geometry: p.geometry,
    logits: logits[i],
  }));
}

export interface PreparedImage {
  /** [3][H][W], normalized. */
  tensor: Float32Array;
  geometry: PreprocessGeometry;
}

/** Decode (when needed) and preprocess an image exactly as the model's eval transform does. */
export async function prepareImage(classifier: Classifier, image: string | Uint8Array | RgbImage, options: PrepareOptions = {}): Promise<PreparedImage> {
  const { tensor, geometry } = await loadImageTensor(image, classifier.model.preprocess, { ...options.decode, resize: options.resize });
  return { tensor, geometry };
}

/** Run the model on preprocessed images; returns one logits row per image. */
export function runBatch(classifier: Classifier, tensors: readonly Float32Array[]): Float32Array[] {
  if (tensors.length === 0) return [];
  const size = tensors[0].length;
  const input = new Float32Array(tensors.length * size);
  tensors.forEach((t, i) => input.set(t, i * size));
  const { logits } = classifier.model.forward(input, tensors.length);
  const classes = classifier.model.config.numClasses;
  return tensors.map((_, i) => logits.slice(i * classes, (i + 1) * classes));
}

// The architecture of a Hugging Face transformers ViT checkpoint, from its config.json
// (a ViTConfig: hidden_size, num_hidden_layers, ... with transformers' defaults when a key is
// absent), or from the tensor shapes when there is none. Refuses what the forward pass would
// compute differently: another model_type, an activation other than exact GELU.

import { ConfigError, ConflictError, validateConfig, type VitConfig } from '../vit/config.js';
import type { Shape } from '../vit/parameters.js';
import { boolField, intField, jsonObject, sideField } from './json-file.js';
import { inferFromShapes } from './timm-config.js';

/** transformers' ViTConfig default (google/vit-* say the same); timm's ViTs use 1e-6. */
export const TRANSFORMERS_LAYER_NORM_EPS = 1e-12;

export interface TransformersArchitecture {
  readonly name: string;
  readonly config: VitConfig;
  readonly labelNames?: readonly string[];
  readonly notes: readonly string[];
}

/** From a parsed transformers config.json; `timmShapes` only for a class count the file does not give. */
export function architectureFromTransformersConfig(
  json: unknown,
  source: string,
  timmShapes: ReadonlyMap<string, Shape>,
  numHeadsOverride?: number,
): TransformersArchitecture {
  const cfg = jsonObject(json, source);
  refuseOtherModels(cfg, source);
  const notes: string[] = [];

  const eps = cfg.layer_norm_eps ?? TRANSFORMERS_LAYER_NORM_EPS;
  if (typeof eps !== 'number' || !(eps >= 0)) throw new ConfigError(`${source}: layer_norm_eps must be a non-negative number, found ${JSON.stringify(eps)}`);
  notes.push(cfg.layer_norm_eps === undefined ? `LayerNorm eps ${eps}: transformers' default (no layer_norm_eps in the config)` : `LayerNorm eps ${eps} from layer_norm_eps`);

  const labels = labelsFromId2Label(cfg.id2label, source);
  const declaredClasses = labels !== undefined ? labels.length : cfg.num_labels !== undefined ? intField(cfg, 'num_labels', 1, source) : undefined;
  const numClasses = declaredClasses ?? timmShapes.get('head.weight')?.[0];
  if (numClasses === undefined) throw new ConfigError(`${source}: no id2label or num_labels, and no classifier.weight to count the classes`);
  if (declaredClasses === undefined) notes.push(`${numClasses} classes, from classifier.weight (the config has no id2label or num_labels)`);

  const numHeads = intField(cfg, 'num_attention_heads', 12, source);
  if (numHeadsOverride !== undefined && numHeadsOverride !== numHeads) {
    throw new ConflictError(`--heads ${numHeadsOverride} contradicts ${source}, which says ${numHeads} attention heads (num_attention_heads); drop --heads or give another --config`);
  }
  const config: VitConfig = {
    imgSize: sideField(cfg, 'image_size', 224, source),
    patchSize: sideField(cfg, 'patch_size', 16, source),
    inChans: intField(cfg, 'num_channels', 3, source),
    numClasses,
    embedDim: intField(cfg, 'hidden_size', 768, source),
    depth: intField(cfg, 'num_hidden_layers', 12, source),
    numHeads,
    mlpHiddenDim: intField(cfg, 'intermediate_size', 3072, source),
    qkvBias: boolField(cfg, 'qkv_bias', true, source),
    layerNormEps: eps,
  };
  validateConfig(config, source);

  if (labels !== undefined && labels.every((label, i) => label === `LABEL_${i}`)) {
    notes.push("id2label holds only transformers' placeholder names (LABEL_0, ...): not used as class names");
  }
  const usefulLabels = labels?.some((label, i) => label !== `LABEL_${i}`) ? labels : undefined;
  return { name: modelName(cfg), config, labelNames: usefulLabels, notes };
}

/** Without a config.json: the shapes say everything but the heads (timm's convention) and eps (transformers' default). */
export function architectureFromShapes(timmShapes: ReadonlyMap<string, Shape>, source: string, numHeads?: number): TransformersArchitecture {
  const inferred = inferFromShapes(timmShapes, source, numHeads, false);
  return {
    name: 'vit (transformers, inferred)',
    config: { ...inferred.config, layerNormEps: TRANSFORMERS_LAYER_NORM_EPS },
    notes: [
      ...inferred.notes.filter((note) => !note.startsWith('preprocessing:')),
      `no config.json beside the weights: LayerNorm eps ${TRANSFORMERS_LAYER_NORM_EPS} (transformers' default) and exact GELU assumed`,
    ],
  };
}

function refuseOtherModels(cfg: Record<string, unknown>, source: string): void {
  if (cfg.model_type === undefined && cfg.hidden_size === undefined && ('architecture' in cfg || 'model_args' in cfg || 'pretrained_cfg' in cfg)) {
    throw new ConfigError(`${source}: this is a timm config.json, but the weights use Hugging Face transformers names: give the checkpoint's own (transformers) config.json`);
  }
  if (cfg.model_type !== undefined && cfg.model_type !== 'vit') {
    throw new ConfigError(`${source}: model_type ${JSON.stringify(cfg.model_type)} is not supported (only transformers' plain ViT, model_type "vit")`);
  }
  // transformers maps "gelu" to exact erf GELU; every other name ("gelu_new", "gelu_pytorch_tanh",
  // "quick_gelu", "relu", ...) is a different function, and the outputs would silently differ.
  const act = cfg.hidden_act ?? 'gelu';
  if (act !== 'gelu') {
    throw new ConfigError(`${source}: hidden_act ${JSON.stringify(act)} is not supported: the model computes exact (erf) GELU, which is transformers' "gelu"`);
  }
}

/** id2label {"0": "tench", ...} as a list; undefined when absent. */
function labelsFromId2Label(id2label: unknown, source: string): string[] | undefined {
  if (id2label === undefined || id2label === null) return undefined;
  const entries = Object.entries(jsonObject(id2label, `${source}: id2label`));
  const labels = entries.map((_, i) => (id2label as Record<string, unknown>)[String(i)]);
  const bad = labels.findIndex((label) => typeof label !== 'string');
  if (bad >= 0) throw new ConfigError(`${source}: id2label must map "0" .. "${entries.length - 1}" to names; "${bad}" is ${JSON.stringify(labels[bad])}`);
  return labels as string[];
}

function modelName(cfg: Record<string, unknown>): string {
  if (typeof cfg._name_or_path === 'string' && cfg._name_or_path !== '') return cfg._name_or_path;
  if (Array.isArray(cfg.architectures) && typeof cfg.architectures[0] === 'string') return cfg.architectures[0];
  return 'ViTForImageClassification';
}

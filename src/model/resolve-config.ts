// Deciding which architecture and preprocessing a checkpoint needs, in order of authority:
//   1. a timm hub config.json (beside the weights, or named explicitly): `architecture`,
//      `num_classes`, `model_args` overriding the named architecture, `pretrained_cfg`;
//   2. a named timm model (`--model`);
//   3. inference from the tensor shapes, with the head count (which shapes do not reveal)
//      from an explicit option or timm's head_dim = 64 convention, reported as inferred.

import type { CropMode, Interpolation, PreprocessConfig } from '../image/types.js';
import { closestNames } from '../util/closest.js';
import {
  ConfigError,
  DEFAULT_MODEL,
  INCEPTION_MEAN,
  INCEPTION_STD,
  NAMED_MODELS,
  TIMM_VIT_LAYER_NORM_EPS,
  validateConfig,
  type ModelSpec,
  type VitConfig,
} from './config.js';
import type { CheckpointLayout } from './layouts/types.js';
import type { Shape } from './weights.js';

export interface ResolvedModel extends ModelSpec {
  /** Where the architecture came from, for `vit info` and messages. */
  readonly origin: 'config.json' | 'named model' | 'inferred from weights';
  /** Human-readable notes on anything that was guessed. */
  readonly notes: readonly string[];
  /** Class names carried by the config (timm's optional `label_names`). */
  readonly labelNames?: readonly string[];
  /** The naming the weights are stored under; set whenever resolved from a checkpoint. */
  readonly layout?: CheckpointLayout;
}

/**
 * The timm architecture a model id names: `vit_base_patch16_384.augreg_in21k_ft_in1k` ->
 * `vit_base_patch16_384` (a tag names weights, not an architecture). `hf-hub:` ids name no
 * architecture: their config.json must say it, so the default stands in.
 */
export function architectureOf(modelId: string): string {
  return /^hf[-_]hub:/.test(modelId) ? DEFAULT_MODEL : modelId.split('.')[0];
}

export function lookupNamedModel(name: string): ModelSpec {
  const spec = NAMED_MODELS.get(name);
  if (spec !== undefined) return spec;
  const suggestions = closestNames(name, NAMED_MODELS.keys());
  const hint = suggestions.length > 0 ? `did you mean ${suggestions.join(' or ')}?` : `known: ${[...NAMED_MODELS.keys()].join(', ')}`;
  throw new ConfigError(`unknown model '${name}'; ${hint}`);
}

// timm VisionTransformer arguments that change the math in ways this implementation does not
// support, with the value that keeps timm's plain ViT.
const PLAIN_VIT_ARGS: Readonly<Record<string, unknown>> = {
  global_pool: 'token',
  class_token: true,
  no_embed_class: false,
  reg_tokens: 0,
  pre_norm: false,
  fc_norm: null,
  init_values: null,
  qk_norm: false,
  proj_bias: true,
  dynamic_img_size: false,
  weight_init: undefined,
};
// Arguments that only matter for training (dropout, drop path) and are identity at inference.
const TRAINING_ONLY_ARGS = new Set(['drop_rate', 'pos_drop_rate', 'patch_drop_rate', 'proj_drop_rate', 'attn_drop_rate', 'drop_path_rate', 'weight_init']);

interface TimmConfigJson {
  architecture?: unknown;
  num_classes?: unknown;
  global_pool?: unknown;
  model_args?: Record<string, unknown>;
  pretrained_cfg?: Record<string, unknown>;
  label_names?: unknown;
}

/** Resolve from a parsed timm config.json; `shapes` fill in what neither the file nor the named model says. */
export function resolveFromTimmConfig(
  json: unknown,
  source: string,
  shapes: ReadonlyMap<string, Shape>,
  numHeadsOverride?: number,
): ResolvedModel {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ConfigError(`${source}: expected a JSON object`);
  const cfg = json as TimmConfigJson;
  const architecture = typeof cfg.architecture === 'string' ? cfg.architecture : undefined;
  const named = architecture !== undefined ? NAMED_MODELS.get(architecture) : undefined;
  const args = cfg.model_args ?? {};
  const notes: string[] = [];

  checkPlainVit({ ...args, ...(cfg.global_pool !== undefined ? { global_pool: cfg.global_pool } : {}) }, source);
  const inferred = named === undefined ? inferFromShapes(shapes, source, numHeadsOverride ?? numberArg(args, 'num_heads', source)) : undefined;
  const base: VitConfig = named?.config ?? inferred!.config;
  if (named === undefined) {
    notes.push(`architecture '${architecture ?? '(none)'}' is not a named timm ViT here: widths taken from model_args and the weights`);
  }
  const mlpRatio = numberArg(args, 'mlp_ratio', source);
  const embedDim = numberArg(args, 'embed_dim', source) ?? base.embedDim;
  const config: VitConfig = {
    imgSize: sideArg(args, 'img_size', source) ?? base.imgSize,
    patchSize: sideArg(args, 'patch_size', source) ?? base.patchSize,
    inChans: numberArg(args, 'in_chans', source) ?? base.inChans,
    numClasses: numberArg(cfg as Record<string, unknown>, 'num_classes', source) ?? numberArg(args, 'num_classes', source) ?? base.numClasses,
    embedDim,
    depth: numberArg(args, 'depth', source) ?? base.depth,
    numHeads: numHeadsOverride ?? numberArg(args, 'num_heads', source) ?? base.numHeads,
    // timm: mlp_hidden_dim = int(embed_dim * mlp_ratio)
    mlpHiddenDim: Math.trunc(embedDim * (mlpRatio ?? base.mlpHiddenDim / base.embedDim)),
    qkvBias: typeof args.qkv_bias === 'boolean' ? args.qkv_bias : base.qkvBias,
    layerNormEps: TIMM_VIT_LAYER_NORM_EPS,
  };
  validateConfig(config, source);
  const preprocess = preprocessFromPretrainedCfg(cfg.pretrained_cfg, named?.preprocess ?? defaultPreprocess(config.imgSize), source);
  const labelNames = Array.isArray(cfg.label_names) && cfg.label_names.every((l) => typeof l === 'string') ? (cfg.label_names as string[]) : undefined;
  return { name: architecture ?? 'vit', config, preprocess, origin: 'config.json', notes, labelNames };
}

function checkPlainVit(args: Record<string, unknown>, source: string): void {
  for (const [key, value] of Object.entries(args)) {
    if (!(key in PLAIN_VIT_ARGS) || TRAINING_ONLY_ARGS.has(key)) continue;
    const plain = PLAIN_VIT_ARGS[key];
    const isPlain = value === plain || (plain === null && (value === null || value === false)) || (key === 'global_pool' && value === 'token');
    if (!isPlain) {
      throw new ConfigError(`${source}: model_args.${key} = ${JSON.stringify(value)} is not supported (only timm's plain class-token ViT is: ${key} = ${JSON.stringify(plain)})`);
    }
  }
}

function numberArg(obj: Record<string, unknown>, key: string, source: string): number | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ConfigError(`${source}: ${key} must be a number, found ${JSON.stringify(v)}`);
  return v;
}

/** img_size / patch_size may be an int or a square [h, w] pair. */
function sideArg(obj: Record<string, unknown>, key: string, source: string): number | undefined {
  const v = obj[key];
  if (Array.isArray(v)) {
    if (v.length !== 2 || v[0] !== v[1]) throw new ConfigError(`${source}: ${key} ${JSON.stringify(v)} is not square; only square ViTs are supported`);
    return numberArg({ [key]: v[0] }, key, source);
  }
  return numberArg(obj, key, source);
}

const INTERPOLATIONS: readonly Interpolation[] = ['bicubic', 'bilinear', 'nearest'];
const CROP_MODES: readonly CropMode[] = ['center', 'squash', 'border'];

function defaultPreprocess(imgSize: number): PreprocessConfig {
  return { inputSize: [3, imgSize, imgSize], interpolation: 'bicubic', mean: INCEPTION_MEAN, std: INCEPTION_STD, cropPct: 0.9, cropMode: 'center' };
}

/** timm's pretrained_cfg (input_size, interpolation, mean, std, crop_pct, crop_mode) over `fallback`. */
export function preprocessFromPretrainedCfg(cfg: Record<string, unknown> | undefined, fallback: PreprocessConfig, source: string): PreprocessConfig {
  if (cfg === undefined) return fallback;
  const triple = (key: string, value: unknown): readonly [number, number, number] | undefined => {
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || value.length !== 3 || !value.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw new ConfigError(`${source}: pretrained_cfg.${key} must be three numbers, found ${JSON.stringify(value)}`);
    }
    return value as [number, number, number];
  };
  const interpolation = cfg.interpolation ?? fallback.interpolation;
  if (!INTERPOLATIONS.includes(interpolation as Interpolation)) {
    throw new ConfigError(`${source}: pretrained_cfg.interpolation '${String(interpolation)}' is not supported (${INTERPOLATIONS.join(', ')})`);
  }
  const cropMode = cfg.crop_mode ?? fallback.cropMode;
  if (!CROP_MODES.includes(cropMode as CropMode)) {
    throw new ConfigError(`${source}: pretrained_cfg.crop_mode '${String(cropMode)}' is not supported (${CROP_MODES.join(', ')})`);
  }
  const cropPct = numberArg(cfg, 'crop_pct', source) ?? fallback.cropPct;
  if (!(cropPct > 0 && cropPct <= 1)) throw new ConfigError(`${source}: pretrained_cfg.crop_pct must be in (0, 1], found ${cropPct}`);
  const std = triple('std', cfg.std) ?? fallback.std;
  if (std.some((s) => s <= 0)) throw new ConfigError(`${source}: pretrained_cfg.std must be positive, found ${JSON.stringify(std)}`);
  return {
    inputSize: triple('input_size', cfg.input_size) ?? fallback.inputSize,
    interpolation: interpolation as Interpolation,
    mean: triple('mean', cfg.mean) ?? fallback.mean,
    std,
    cropPct,
    cropMode: cropMode as CropMode,
  };
}

/** timm's convention: every ViT size uses 64-wide attention heads. */
const CONVENTIONAL_HEAD_DIM = 64;

/** Read the architecture off timm-layout tensor shapes. */
export function inferFromShapes(shapes: ReadonlyMap<string, Shape>, source: string, numHeads?: number): ResolvedModel {
  const need = (name: string, rank: number): Shape => {
    const s = shapes.get(name);
    if (s === undefined || s.length !== rank) {
      throw new ConfigError(`${source}: cannot infer the architecture: '${name}' is ${s === undefined ? 'missing' : `[${s.join(', ')}], expected rank ${rank}`}`);
    }
    return s;
  };
  const [embedDim, inChans, patchSize] = need('patch_embed.proj.weight', 4);
  const [, tokens] = need('pos_embed', 3);
  const side = Math.round(Math.sqrt(tokens - 1));
  if (side * side !== tokens - 1) throw new ConfigError(`${source}: pos_embed has ${tokens} tokens, not 1 + a square grid`);
  let depth = 0;
  while (shapes.has(`blocks.${depth}.attn.qkv.weight`)) depth++;
  const [mlpHiddenDim] = need('blocks.0.mlp.fc1.weight', 2);
  const [numClasses] = need('head.weight', 2);
  const notes = [
    `architecture inferred from the tensor shapes (depth ${depth}, width ${embedDim}, MLP ${mlpHiddenDim}, ${numClasses} classes)`,
    "preprocessing: timm's ViT defaults (bicubic, crop_pct 0.9, mean and std 0.5); a config.json beside the weights would say otherwise",
  ];
  let heads = numHeads;
  if (heads === undefined) {
    heads = Math.max(1, Math.round(embedDim / CONVENTIONAL_HEAD_DIM));
    notes.push(`${heads} attention heads assumed (timm's head width ${CONVENTIONAL_HEAD_DIM}; shapes cannot tell: set it with --heads or a config.json)`);
  }
  const config: VitConfig = {
    imgSize: side * patchSize,
    patchSize,
    inChans,
    numClasses,
    embedDim,
    depth,
    numHeads: heads,
    mlpHiddenDim,
    qkvBias: shapes.has('blocks.0.attn.qkv.bias'),
    layerNormEps: TIMM_VIT_LAYER_NORM_EPS,
  };
  validateConfig(config, source);
  return { name: 'vit (inferred)', config, preprocess: defaultPreprocess(config.imgSize), origin: 'inferred from weights', notes };
}

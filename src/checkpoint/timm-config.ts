// Reading timm's config.json (`architecture`, `num_classes`, `model_args` overriding the named
// architecture, `pretrained_cfg` for the preprocessing, `label_names`), and inferring an
// architecture from timm-named tensor shapes, with the head count (which shapes do not reveal)
// from an explicit option, else timm's head_dim = 64 convention, reported as inferred. A shape
// set that is exactly one named model's takes that model's preprocessing.

import { cropModeProblem, cropPctProblem, interpolationProblem, stdProblem } from '../image/preprocess-fields.js';
import type { CropMode, Interpolation, PreprocessConfig } from '../image/types.js';
import { ConfigError, configDifferences, ConflictError, INCEPTION_MEAN, INCEPTION_STD, TIMM_VIT_LAYER_NORM_EPS, validateConfig, type VitConfig } from '../vit/config.js';
import { NAMED_MODELS, type ModelSpec } from '../vit/named-models.js';
import type { Shape } from '../vit/parameters.js';

/** What a timm config.json or the shapes settle (the layout file adds layout and provenance). */
export interface TimmResolution extends ModelSpec {
  readonly notes: readonly string[];
  /** Problems that do not stop the model (a malformed optional field, ignored and named). */
  readonly warnings?: readonly string[];
  /** Class names carried by the config (timm's optional `label_names`). */
  readonly labelNames?: readonly string[];
  /** Where the head count came from. */
  readonly headsFrom: string;
  /** Whether the preprocessing came from the config's pretrained_cfg (else the named model's or timm's defaults). */
  readonly preprocessFrom: string;
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
  model_args?: unknown;
  pretrained_cfg?: unknown;
  label_names?: unknown;
}

/**
 * Resolve from a parsed timm config.json; `shapes` fill in what neither the file nor the named
 * model says. An explicit `numHeads` that the config (or its named architecture) contradicts is a
 * ConflictError: the flag is never silently dropped, nor silently preferred.
 */
export function resolveFromTimmConfig(json: unknown, source: string, shapes: ReadonlyMap<string, Shape>, numHeads?: number): TimmResolution {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ConfigError(`${source}: expected a JSON object`);
  const cfg = json as TimmConfigJson;
  const architecture = typeof cfg.architecture === 'string' ? cfg.architecture : undefined;
  const named = architecture !== undefined ? NAMED_MODELS.get(architecture) : undefined;
  const args = objectField(cfg, 'model_args', source) ?? {};
  const pretrainedCfg = objectField(cfg, 'pretrained_cfg', source);
  const notes: string[] = [];

  checkPlainVit({ ...args, ...(cfg.global_pool !== undefined ? { global_pool: cfg.global_pool } : {}) }, source);
  const statedHeads = numberArg(args, 'num_heads', source) ?? named?.config.numHeads;
  if (numHeads !== undefined && statedHeads !== undefined && numHeads !== statedHeads) {
    throw new ConflictError(`--heads ${numHeads} contradicts ${source}, which says ${statedHeads} attention heads; drop --heads or give another --config`);
  }
  const inferred = named === undefined ? inferFromShapes(shapes, source, numHeads ?? statedHeads) : undefined;
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
    numHeads: numHeads ?? statedHeads ?? base.numHeads,
    // timm: mlp_hidden_dim = int(embed_dim * mlp_ratio)
    mlpHiddenDim: Math.trunc(embedDim * (mlpRatio ?? base.mlpHiddenDim / base.embedDim)),
    qkvBias: boolArg(args, 'qkv_bias', source) ?? base.qkvBias,
    layerNormEps: TIMM_VIT_LAYER_NORM_EPS,
  };
  validateConfig(config, source);
  const preprocess = preprocessFromPretrainedCfg(pretrainedCfg, named?.preprocess ?? defaultPreprocess(config.imgSize), source);
  const labelsOk = cfg.label_names === undefined || (Array.isArray(cfg.label_names) && cfg.label_names.every((l) => typeof l === 'string'));
  const labelNames = labelsOk ? (cfg.label_names as string[] | undefined) : undefined;
  const warnings = labelsOk ? [] : [`${source}: label_names is not a list of strings: not used as class names`];
  const headsFrom = numHeads !== undefined ? '--heads' : statedHeads !== undefined ? source : (inferred?.headsFrom ?? source);
  const preprocessFrom = pretrainedCfg !== undefined ? `${source} (pretrained_cfg)` : named !== undefined ? `named model ${named.name}` : "timm's ViT defaults";
  return { name: architecture ?? 'vit', config, preprocess, notes, warnings, labelNames, headsFrom, preprocessFrom };
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

/** An optional object field: absent is undefined; null, an array or a scalar is an error. */
function objectField(obj: object, key: string, source: string): Record<string, unknown> | undefined {
  const v = (obj as Record<string, unknown>)[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ConfigError(`${source}: ${key} must be an object, found ${JSON.stringify(v)}`);
  return v as Record<string, unknown>;
}

function boolArg(obj: Record<string, unknown>, key: string, source: string): boolean | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw new ConfigError(`${source}: model_args.${key} must be a boolean (true or false), found ${JSON.stringify(v)}`);
  return v;
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


function defaultPreprocess(imgSize: number): PreprocessConfig {
  return { inputSize: [3, imgSize, imgSize], interpolation: 'bicubic', mean: INCEPTION_MEAN, std: INCEPTION_STD, cropPct: 0.9, cropMode: 'center' };
}

/** timm's pretrained_cfg (input_size, interpolation, mean, std, crop_pct, crop_mode) over `fallback`. */
export function preprocessFromPretrainedCfg(cfg: Record<string, unknown> | undefined, fallback: PreprocessConfig, source: string): PreprocessConfig {
  if (cfg === undefined) return fallback;
  const triple = (key: string, value: unknown, integers = false): readonly [number, number, number] | undefined => {
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || value.length !== 3 || !value.every((x) => typeof x === 'number' && Number.isFinite(x) && (!integers || (Number.isInteger(x) && x > 0)))) {
      throw new ConfigError(`${source}: pretrained_cfg.${key} must be three ${integers ? 'positive integers' : 'numbers'}, found ${JSON.stringify(value)}`);
    }
    return value as [number, number, number];
  };
  const check = (key: string, problem: string | undefined): void => {
    if (problem !== undefined) throw new ConfigError(`${source}: pretrained_cfg.${key} ${problem}`);
  };
  const interpolation = cfg.interpolation ?? fallback.interpolation;
  check('interpolation', interpolationProblem(interpolation));
  const cropMode = cfg.crop_mode ?? fallback.cropMode;
  check('crop_mode', cropModeProblem(cropMode));
  const cropPct = numberArg(cfg, 'crop_pct', source) ?? fallback.cropPct;
  check('crop_pct', cropPctProblem(cropPct));
  const std = triple('std', cfg.std) ?? fallback.std;
  check('std', stdProblem(std));
  return {
    inputSize: triple('input_size', cfg.input_size, true) ?? fallback.inputSize,
    interpolation: interpolation as Interpolation,
    mean: triple('mean', cfg.mean) ?? fallback.mean,
    std,
    cropPct,
    cropMode: cropMode as CropMode,
  };
}

/** timm's convention: every ViT size uses 64-wide attention heads. */
const CONVENTIONAL_HEAD_DIM = 64;

/**
 * Read the architecture off timm-layout tensor shapes. `matchNamed`: when the shapes are exactly
 * one named timm model's, take its heads and preprocessing (for timm checkpoints; other layouts
 * have their own conventions).
 */
export function inferFromShapes(shapes: ReadonlyMap<string, Shape>, source: string, numHeads?: number, matchNamed = true): TimmResolution {
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
  // No head tensors: timm's num_classes=0 (a feature extractor).
  const numClasses = shapes.has('head.weight') ? need('head.weight', 2)[0] : 0;
  const notes = [`architecture inferred from the tensor shapes (depth ${depth}, width ${embedDim}, MLP ${mlpHiddenDim}, ${numClasses} classes)`];
  const heads = numHeads ?? Math.max(1, Math.round(embedDim / CONVENTIONAL_HEAD_DIM));
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
  // Shapes that are exactly one named model's (heads aside, which shapes cannot tell) are that model.
  const matches = !matchNamed ? [] : [...NAMED_MODELS.values()].filter((m) => sameShapes(m.config, config) && (numHeads === undefined || m.config.numHeads === numHeads));
  if (matches.length === 1) {
    const [match] = matches;
    notes.push(`the shapes are exactly ${match.name}'s: its ${match.config.numHeads} heads and preprocessing are used`);
    return {
      name: `${match.name} (inferred)`,
      config: { ...config, numHeads: match.config.numHeads },
      preprocess: match.preprocess,
      notes,
      headsFrom: numHeads !== undefined ? '--heads' : `named model ${match.name} (its shapes match)`,
      preprocessFrom: `named model ${match.name} (its shapes match)`,
    };
  }
  notes.push("preprocessing: timm's ViT defaults (bicubic, crop_pct 0.9, mean and std 0.5); a config.json beside the weights would say otherwise");
  if (numHeads === undefined) {
    notes.push(`${heads} attention heads assumed (timm's head width ${CONVENTIONAL_HEAD_DIM}; shapes cannot tell: set it with --heads or a config.json)`);
  }
  return {
    name: 'vit (inferred)',
    config,
    preprocess: defaultPreprocess(config.imgSize),
    notes,
    headsFrom: numHeads !== undefined ? '--heads' : `assumed: timm's ${CONVENTIONAL_HEAD_DIM}-wide heads`,
    preprocessFrom: "timm's ViT defaults",
  };
}

/** Everything but the head count, which tensor shapes cannot reveal (and LayerNorm eps, which they do not hold). */
function sameShapes(a: VitConfig, b: VitConfig): boolean {
  return configDifferences(a, b).every((key) => key === 'numHeads' || key === 'layerNormEps');
}

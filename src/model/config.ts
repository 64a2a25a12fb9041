// The ViT architecture and its eval preprocessing, and timm's named models.
// Numbers come from timm's models/vision_transformer.py (model defs and default_cfgs of each
// model's default pretrained tag); LayerNorm eps is 1e-6 for every timm ViT
// (norm_layer = partial(nn.LayerNorm, eps=1e-6)).

import type { PreprocessConfig } from '../image/types.js';

export interface VitConfig {
  imgSize: number; // input side in pixels; timm ViTs are square
  patchSize: number; // patch side; the patch-embedding conv has kernel = stride = patchSize
  inChans: number; // image channels (3)
  numClasses: number; // classifier outputs
  embedDim: number; // token width D
  depth: number; // number of transformer blocks
  numHeads: number; // attention heads; head_dim = embedDim / numHeads
  mlpHiddenDim: number; // MLP width, int(embedDim * mlp_ratio) in timm
  qkvBias: boolean; // whether attn.qkv has a bias
  layerNormEps: number; // every LayerNorm's eps
}

/** timm's LayerNorm eps for ViTs. */
export const TIMM_VIT_LAYER_NORM_EPS = 1e-6;
/** timm's IMAGENET_INCEPTION_MEAN/STD, the ViT default ("0.5 everywhere"). */
export const INCEPTION_MEAN = [0.5, 0.5, 0.5] as const;
export const INCEPTION_STD = [0.5, 0.5, 0.5] as const;
/** timm's IMAGENET_DEFAULT_MEAN/STD. */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

export interface ModelSpec {
  readonly name: string;
  readonly config: VitConfig;
  readonly preprocess: PreprocessConfig;
}

export const DEFAULT_MODEL = 'vit_base_patch16_384';

/** Widths of timm's ViT sizes: [embedDim, depth, numHeads]; mlp_ratio is 4 for all. */
const SIZES = {
  tiny: [192, 12, 3],
  small: [384, 12, 6],
  base: [768, 12, 12],
  large: [1024, 24, 16],
} as const;

/**
 * timm's ViT models with an ImageNet-1k classifier in their default pretrained tag.
 * (vit_large_patch32_224 exists in timm but its only weights, orig_in21k, have no classifier.)
 */
const NAMED: readonly (readonly [keyof typeof SIZES, number, number])[] = [
  ['tiny', 16, 224],
  ['tiny', 16, 384],
  ['small', 16, 224],
  ['small', 16, 384],
  ['small', 32, 224],
  ['small', 32, 384],
  ['base', 16, 224],
  ['base', 16, 384],
  ['base', 32, 224],
  ['base', 32, 384],
  ['large', 16, 224],
  ['large', 16, 384],
  ['large', 32, 384],
];

function namedSpec(size: keyof typeof SIZES, patch: number, img: number): ModelSpec {
  const [embedDim, depth, numHeads] = SIZES[size];
  return {
    name: `vit_${size}_patch${patch}_${img}`,
    config: {
      imgSize: img,
      patchSize: patch,
      inChans: 3,
      numClasses: 1000,
      embedDim,
      depth,
      numHeads,
      mlpHiddenDim: embedDim * 4,
      qkvBias: true,
      layerNormEps: TIMM_VIT_LAYER_NORM_EPS,
    },
    // timm's _cfg defaults (crop_pct 0.9, bicubic, inception mean/std); the 384 px
    // fine-tunes override crop_pct to 1.0.
    preprocess: {
      inputSize: [3, img, img],
      interpolation: 'bicubic',
      mean: INCEPTION_MEAN,
      std: INCEPTION_STD,
      cropPct: img === 384 ? 1.0 : 0.9,
      cropMode: 'center',
    },
  };
}

export const NAMED_MODELS: ReadonlyMap<string, ModelSpec> = new Map(
  NAMED.map(([size, patch, img]) => {
    const spec = namedSpec(size, patch, img);
    return [spec.name, spec];
  }),
);

/** Derived sizes used throughout the model. */
export function tokensOf(config: VitConfig): number {
  return (config.imgSize / config.patchSize) ** 2 + 1;
}

export function headDimOf(config: VitConfig): number {
  return config.embedDim / config.numHeads;
}

/** Structural checks that the forward pass relies on. Throws with every problem listed. */
export function validateConfig(config: VitConfig, source: string): void {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(config)) {
    if (key === 'qkvBias') continue;
    if (key === 'layerNormEps') {
      if (!(typeof value === 'number' && value >= 0 && Number.isFinite(value))) problems.push(`layerNormEps must be a non-negative number, got ${value}`);
    } else if (!(Number.isInteger(value) && (value as number) > 0)) {
      problems.push(`${key} must be a positive integer, got ${value}`);
    }
  }
  if (config.imgSize % config.patchSize !== 0) problems.push(`imgSize ${config.imgSize} is not a multiple of patchSize ${config.patchSize}`);
  if (config.embedDim % config.numHeads !== 0) problems.push(`embedDim ${config.embedDim} is not divisible by numHeads ${config.numHeads}`);
  if (problems.length > 0) throw new ConfigError(`${source}: invalid model configuration: ${problems.join('; ')}`);
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

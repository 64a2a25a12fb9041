// The ViT architecture: its hyperparameters, the sizes derived from them, and the checks the
// forward pass relies on. LayerNorm eps is 1e-6 for every timm ViT
// (norm_layer = partial(nn.LayerNorm, eps=1e-6)); the named models are in named-models.ts.

export interface VitConfig {
  imgSize: number; // input side in pixels; timm ViTs are square
  patchSize: number; // patch side; the patch-embedding conv has kernel = stride = patchSize
  inChans: number; // image channels (3)
  numClasses: number; // classifier outputs; 0: no head (a feature extractor, timm's num_classes=0)
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

/** Derived sizes used throughout the model. */
export function tokensOf(config: VitConfig): number {
  return (config.imgSize / config.patchSize) ** 2 + 1;
}

export function headDimOf(config: VitConfig): number {
  return config.embedDim / config.numHeads;
}

/** The fields in which two architectures differ (empty when they are the same network). */
export function configDifferences(a: VitConfig, b: VitConfig): (keyof VitConfig)[] {
  return (Object.keys(a) as (keyof VitConfig)[]).filter((key) => a[key] !== b[key]);
}

// Upper bounds on every architecture number, checked before anything is built from them (a
// config from the hub could say depth 10^9). Each is far above any ViT in timm (ViT-g/14: width
// 1664, depth 48, MLP 8192; 21,843 classes in ImageNet-21k) and keeps the parameter table small.
export const CONFIG_LIMITS: Readonly<Record<Exclude<keyof VitConfig, 'qkvBias' | 'layerNormEps'>, number>> = {
  imgSize: 4096,
  patchSize: 1024,
  inChans: 3,
  numClasses: 1_000_000,
  embedDim: 16384,
  depth: 256,
  numHeads: 1024,
  mlpHiddenDim: 65536,
};
/** Tokens per image (a 128 x 128 patch grid and the class token). */
export const MAX_TOKENS = 128 * 128 + 1;

/** Structural checks that the forward pass relies on, and the bounds above. Throws with every problem listed. */
export function validateConfig(config: VitConfig, source: string): void {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(config)) {
    if (key === 'qkvBias') {
      if (typeof value !== 'boolean') problems.push(`qkvBias must be true or false, got ${JSON.stringify(value)}`);
    } else if (key === 'layerNormEps') {
      if (!(typeof value === 'number' && value >= 0 && value < 1)) problems.push(`layerNormEps must be a number in [0, 1), got ${value}`);
    } else if (key === 'numClasses' && value === 0) {
      // no classifier head: features only
    } else if (!(Number.isInteger(value) && (value as number) > 0)) {
      problems.push(`${key} must be a ${key === 'numClasses' ? 'non-negative' : 'positive'} integer, got ${value}`);
    } else if ((value as number) > CONFIG_LIMITS[key as keyof typeof CONFIG_LIMITS]) {
      problems.push(`${key} ${value} is more than ${CONFIG_LIMITS[key as keyof typeof CONFIG_LIMITS]}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(`${source}: invalid model configuration: ${problems.join('; ')}`);
  if (config.inChans !== 3) problems.push(`inChans must be 3 (RGB images), got ${config.inChans}`);
  if (config.imgSize % config.patchSize !== 0) problems.push(`imgSize ${config.imgSize} is not a multiple of patchSize ${config.patchSize}`);
  else if (tokensOf(config) > MAX_TOKENS) problems.push(`${tokensOf(config)} tokens per image is more than ${MAX_TOKENS}`);
  if (config.embedDim % config.numHeads !== 0) problems.push(`embedDim ${config.embedDim} is not divisible by numHeads ${config.numHeads}`);
  if (problems.length > 0) throw new ConfigError(`${source}: invalid model configuration: ${problems.join('; ')}`);
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** An explicit choice (a flag) contradicts what the checkpoint or its config says: both sides are named. */
export class ConflictError extends ConfigError {
  override name = 'ConflictError';
}

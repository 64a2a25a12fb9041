// The one table of timm's named ViT models: for each name its architecture, its default eval
// preprocessing and its pretrained tags on the Hugging Face hub. Everything that accepts a model
// name (classify, preprocess, info, verify, download, the library) reads this table through
// app/model-ids.ts; nothing else lists models.
//
// Sources: timm's models/vision_transformer.py (huggingface/pytorch-image-models, read at commit
// 0041cb7b): the model defs give the widths, `default_cfgs` the tags and their preprocessing.
// timm's `generate_default_cfgs` makes the first listed tag that has weights the default, so
// `tags[0]` is the default and the order follows that file. Combinations absent from timm
// (vit_tiny_patch32_*) or without hub weights are deliberately not listed.

import type { PreprocessConfig } from '../image/types.js';
import { INCEPTION_MEAN, INCEPTION_STD, TIMM_VIT_LAYER_NORM_EPS, type VitConfig } from './config.js';

export interface PretrainedTag {
  readonly tag: string;
  /** Classifier outputs of that checkpoint: 1000 ImageNet-1k, 21843 ImageNet-21k, 0 no head (a feature extractor). */
  readonly numClasses: number;
}

export interface ModelSpec {
  readonly name: string;
  readonly config: VitConfig;
  readonly preprocess: PreprocessConfig;
}

export interface NamedModel extends ModelSpec {
  /** Pretrained tags on the hub under timm/<name>.<tag>; the first is timm's default. */
  readonly tags: readonly PretrainedTag[];
}

export const DEFAULT_MODEL = 'vit_base_patch16_384';

export const IN1K = 1000;
export const IN21K = 21843;
export const HEADLESS = 0;

/** Widths of timm's ViT sizes: [embedDim, depth, numHeads]; mlp_ratio is 4 for all. */
const SIZES = {
  tiny: [192, 12, 3],
  small: [384, 12, 6],
  base: [768, 12, 12],
  large: [1024, 24, 16],
} as const;

const t = (tag: string, numClasses: number): PretrainedTag => ({ tag, numClasses });

const TABLE: readonly [keyof typeof SIZES, number, number, readonly PretrainedTag[]][] = [
  ['tiny', 16, 224, [t('augreg_in21k_ft_in1k', IN1K), t('augreg_in21k', IN21K)]],
  ['tiny', 16, 384, [t('augreg_in21k_ft_in1k', IN1K)]],
  ['small', 32, 224, [t('augreg_in21k_ft_in1k', IN1K), t('augreg_in21k', IN21K)]],
  ['small', 32, 384, [t('augreg_in21k_ft_in1k', IN1K)]],
  ['small', 16, 224, [t('augreg_in21k_ft_in1k', IN1K), t('augreg_in1k', IN1K), t('augreg_in21k', IN21K), t('dino', HEADLESS)]],
  ['small', 16, 384, [t('augreg_in21k_ft_in1k', IN1K), t('augreg_in1k', IN1K)]],
  [
    'base',
    32,
    224,
    [t('augreg_in21k_ft_in1k', IN1K), t('augreg_in1k', IN1K), t('orig_in21k', HEADLESS), t('augreg_in21k', IN21K), t('sam_in1k', IN1K)],
  ],
  ['base', 32, 384, [t('augreg_in21k_ft_in1k', IN1K), t('augreg_in1k', IN1K)]],
  // augreg2 (re-finetuned) is listed first in default_cfgs, so it, not augreg, is timm's default here.
  [
    'base',
    16,
    224,
    [
      t('augreg2_in21k_ft_in1k', IN1K),
      t('augreg_in21k_ft_in1k', IN1K),
      t('orig_in21k_ft_in1k', IN1K),
      t('augreg_in1k', IN1K),
      t('orig_in21k', HEADLESS),
      t('augreg_in21k', IN21K),
      t('sam_in1k', IN1K),
      t('dino', HEADLESS),
      t('mae', HEADLESS),
    ],
  ],
  ['base', 16, 384, [t('augreg_in21k_ft_in1k', IN1K), t('orig_in21k_ft_in1k', IN1K), t('augreg_in1k', IN1K)]],
  // timm registers vit_large_patch32_224, but its only hub weights are the headless in21k pretrain.
  ['large', 32, 224, [t('orig_in21k', HEADLESS)]],
  ['large', 32, 384, [t('orig_in21k_ft_in1k', IN1K)]],
  ['large', 16, 224, [t('augreg_in21k_ft_in1k', IN1K), t('augreg_in21k', IN21K), t('mae', HEADLESS)]],
  ['large', 16, 384, [t('augreg_in21k_ft_in1k', IN1K)]],
];

function namedModel(size: keyof typeof SIZES, patch: number, img: number, tags: readonly PretrainedTag[]): NamedModel {
  const [embedDim, depth, numHeads] = SIZES[size];
  return {
    name: `vit_${size}_patch${patch}_${img}`,
    config: {
      imgSize: img,
      patchSize: patch,
      inChans: 3,
      // The default tag's classifier (0 for a model whose only weights are headless).
      numClasses: tags[0].numClasses,
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
    tags,
  };
}

export const NAMED_MODELS: ReadonlyMap<string, NamedModel> = new Map(
  TABLE.map(([size, patch, img, tags]) => {
    const model = namedModel(size, patch, img, tags);
    return [model.name, model];
  }),
);

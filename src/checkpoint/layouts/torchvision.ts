// torchvision's VisionTransformer state_dict names (vit_b_16 and friends). Its attention is
// nn.MultiheadAttention, whose in_proj_weight/in_proj_bias already stack q, k, v along the
// output dim: exactly timm's fused qkv, so every tensor maps one to one.

//
// Resolution: a torchvision checkpoint carries no config, so the shapes give everything but the
// head count, taken from torchvision's own sizes (vit_b: 12, vit_l and vit_h: 16) when the widths
// match one, else --heads or timm's 64-wide-head convention. Preprocessing: torchvision's presets
// for its ViT weights. A timm config.json the caller found (--config, or beside the weights) is
// honoured instead.

import type { PreprocessConfig } from '../../image/types.js';
import { IMAGENET_MEAN, IMAGENET_STD } from '../../vit/config.js';
import type { Shape } from '../../vit/parameters.js';
import { requireInferenceTensors } from '../inference-tensors.js';
import { moduleRules, namingFromRules, type RenameRule } from '../rename-rules.js';
import { WeightsError } from '../tensor-check.js';
import { inferFromShapes, resolveFromTimmConfig } from '../timm-config.js';
import type { CheckpointModel, LayoutDefinition, ResolveContext } from '../types.js';

const BLOCK = 'encoder.layers.encoder_layer_{i}';

const RULES: readonly RenameRule[] = [
  { timm: 'cls_token', stored: ['class_token'] },
  { timm: 'pos_embed', stored: ['encoder.pos_embedding'] },
  ...moduleRules('patch_embed.proj', 'conv_proj'),
  ...moduleRules('blocks.{i}.norm1', `${BLOCK}.ln_1`),
  { timm: 'blocks.{i}.attn.qkv.weight', stored: [`${BLOCK}.self_attention.in_proj_weight`] },
  { timm: 'blocks.{i}.attn.qkv.bias', stored: [`${BLOCK}.self_attention.in_proj_bias`] },
  ...moduleRules('blocks.{i}.attn.proj', `${BLOCK}.self_attention.out_proj`),
  ...moduleRules('blocks.{i}.norm2', `${BLOCK}.ln_2`),
  ...moduleRules('blocks.{i}.mlp.fc1', `${BLOCK}.mlp.0`),
  ...moduleRules('blocks.{i}.mlp.fc2', `${BLOCK}.mlp.3`),
  ...moduleRules('norm', 'encoder.ln'),
  ...moduleRules('head', 'heads.head'),
];

const PREFIXES = ['class_token', 'conv_proj.', 'encoder.pos_embedding', 'encoder.layers.', 'encoder.ln.', 'heads.'];

export const torchvisionNaming: LayoutDefinition = {
  layout: 'torchvision',
  owns: (storedName) => PREFIXES.some((prefix) => storedName.startsWith(prefix)),
  ...namingFromRules(RULES),
  refuseUnsupported(storedNames, source) {
    const preLogits = storedNames.filter((name) => name.startsWith('heads.pre_logits.'));
    if (preLogits.length > 0) {
      throw new WeightsError(
        `${source}: torchvision checkpoint with a representation layer (${preLogits.join(', ')}; representation_size set): ` +
          'not supported, only the plain ViT head (heads.head) is',
        [],
        preLogits,
      );
    }
    const convStem = storedNames.filter((name) => name.startsWith('conv_proj.') && !/^conv_proj\.(weight|bias)$/.test(name));
    if (convStem.length > 0) {
      throw new WeightsError(
        `${source}: torchvision checkpoint with a convolutional stem (conv_stem_configs: ${convStem.slice(0, 3).join(', ')}, ...): ` +
          'not supported, only the single patch-embedding conv (conv_proj.weight) is',
        [],
        convStem,
      );
    }
  },
  resolve: resolveTorchvision,
};

// torchvision.models.vit_{b,l,h}_*: [hidden_dim, num_layers, mlp_dim, num_heads].
const TORCHVISION_SIZES = {
  b: [768, 12, 3072, 12],
  l: [1024, 24, 4096, 16],
  h: [1280, 32, 5120, 16],
} as const;

function resolveTorchvision(context: ResolveContext): CheckpointModel {
  const mapped = "torchvision checkpoint: names mapped to timm's (in_proj is timm's fused qkv)";
  const { config, shapes: timmShapes, source: weightsPath } = context;
  if (config !== undefined) {
    const r = resolveFromTimmConfig(config.json, config.path, timmShapes, context.numHeads);
    const from = config.origin;
    return {
      ...r,
      notes: [mapped, ...r.notes],
      layout: 'torchvision',
      provenance: {
        architecture: from,
        heads: r.headsFrom === config.path ? from : r.headsFrom,
        preprocessing: r.preprocessFrom.startsWith(config.path) ? `${from} (pretrained_cfg)` : r.preprocessFrom,
      },
    };
  }
  requireInferenceTensors(torchvisionNaming, timmShapes, weightsPath);
  const size = torchvisionSize(timmShapes);
  const numHeads = context.numHeads ?? size?.heads;
  const inferred = inferFromShapes(timmShapes, weightsPath, numHeads, false);
  const { patchSize, imgSize } = inferred.config;
  const notes = [mapped, ...inferred.notes.filter((note) => !note.startsWith('preprocessing:'))];
  if (context.numHeads === undefined && size !== undefined) {
    notes.push(`${size.heads} attention heads: torchvision's vit_${size.letter}_* (shapes cannot tell; set them with --heads)`);
  }
  const { preprocess, note } = torchvisionPreprocess(imgSize);
  return {
    name: size !== undefined ? `vit_${size.letter}_${patchSize}` : 'vit (torchvision)',
    config: inferred.config,
    preprocess,
    notes: [...notes, note],
    layout: 'torchvision',
    provenance: {
      architecture: 'the tensor shapes',
      heads: context.numHeads !== undefined ? '--heads' : size !== undefined ? `torchvision's vit_${size.letter}_* sizes` : inferred.headsFrom,
      preprocessing: "torchvision's preset for its ViT weights",
    },
  };
}

function torchvisionSize(timmShapes: ReadonlyMap<string, Shape>): { letter: string; heads: number } | undefined {
  const embedDim = timmShapes.get('patch_embed.proj.weight')?.[0];
  const mlpDim = timmShapes.get('blocks.0.mlp.fc1.weight')?.[0];
  let depth = 0;
  while (timmShapes.has(`blocks.${depth}.attn.qkv.weight`)) depth++;
  for (const [letter, [hidden, layers, mlp, heads]] of Object.entries(TORCHVISION_SIZES)) {
    if (embedDim === hidden && depth === layers && mlpDim === mlp) return { letter, heads };
  }
  return undefined;
}

/**
 * torchvision's ImageClassification presets: its 224 px IMAGENET1K_V1 weights resize to 256 and
 * crop 224, bilinear; the SWAG end-to-end weights (384, 512, 518 px) resize to the input size,
 * bicubic. Both normalize with ImageNet mean and std.
 */
function torchvisionPreprocess(imgSize: number): { preprocess: PreprocessConfig; note: string } {
  const inputSize = [3, imgSize, imgSize] as const;
  if (imgSize === 224) {
    return {
      preprocess: { inputSize, interpolation: 'bilinear', mean: IMAGENET_MEAN, std: IMAGENET_STD, cropPct: 224 / 256, cropMode: 'center' },
      note: "preprocessing: torchvision's IMAGENET1K_V1 preset (resize 256, center crop 224, bilinear, ImageNet mean and std)",
    };
  }
  return {
    preprocess: { inputSize, interpolation: 'bicubic', mean: IMAGENET_MEAN, std: IMAGENET_STD, cropPct: 1, cropMode: 'center' },
    note: `preprocessing: torchvision's SWAG end-to-end preset (resize ${imgSize}, center crop ${imgSize}, bicubic, ImageNet mean and std)`,
  };
}

// Architecture and preprocessing of a torchvision checkpoint, which carries no config: the
// shapes give everything but the head count, taken from torchvision's own sizes (vit_b: 12,
// vit_l and vit_h: 16) when the widths match one, else --heads or timm's 64-wide-head
// convention. Preprocessing: torchvision's presets for its ViT weights. An explicit timm
// config.json (--config) is honoured instead.

import type { PreprocessConfig } from '../../image/types.js';
import { IMAGENET_MEAN, IMAGENET_STD } from '../config.js';
import { inferFromShapes, resolveFromTimmConfig, type ResolvedModel } from '../resolve-config.js';
import type { Shape } from '../weights.js';
import { requireInferenceTensors } from './inference-tensors.js';
import { readJsonFile } from './json-file.js';
import type { LayoutResolveOptions } from './resolve-options.js';
import { torchvisionNaming } from './torchvision-naming.js';

// torchvision.models.vit_{b,l,h}_*: [hidden_dim, num_layers, mlp_dim, num_heads].
const TORCHVISION_SIZES = {
  b: [768, 12, 3072, 12],
  l: [1024, 24, 4096, 16],
  h: [1280, 32, 5120, 16],
} as const;

export function resolveTorchvision(weightsPath: string, timmShapes: ReadonlyMap<string, Shape>, options: LayoutResolveOptions): ResolvedModel {
  const mapped = 'torchvision checkpoint: names mapped to timm\'s (in_proj is timm\'s fused qkv)';
  if (options.configPath !== undefined) {
    const resolved = resolveFromTimmConfig(readJsonFile(options.configPath), options.configPath, timmShapes, options.numHeads);
    return { ...resolved, notes: [mapped, ...resolved.notes], layout: 'torchvision' };
  }
  requireInferenceTensors(torchvisionNaming, timmShapes, weightsPath);
  const size = torchvisionSize(timmShapes);
  const numHeads = options.numHeads ?? size?.heads;
  const inferred = inferFromShapes(timmShapes, weightsPath, numHeads);
  const { patchSize, imgSize } = inferred.config;
  const notes = [mapped, ...inferred.notes.filter((note) => !note.startsWith('preprocessing:'))];
  if (options.numHeads === undefined && size !== undefined) {
    notes.push(`${size.heads} attention heads: torchvision's vit_${size.letter}_* (shapes cannot tell; set them with --heads)`);
  }
  const { preprocess, note } = torchvisionPreprocess(imgSize);
  return {
    name: size !== undefined ? `vit_${size.letter}_${patchSize}` : 'vit (torchvision)',
    config: inferred.config,
    preprocess,
    origin: 'inferred from weights',
    notes: [...notes, note],
    layout: 'torchvision',
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

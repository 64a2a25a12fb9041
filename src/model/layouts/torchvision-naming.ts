// torchvision's VisionTransformer state_dict names (vit_b_16 and friends). Its attention is
// nn.MultiheadAttention, whose in_proj_weight/in_proj_bias already stack q, k, v along the
// output dim: exactly timm's fused qkv, so every tensor maps one to one.

import { WeightsError } from '../weights.js';
import { moduleRules, namingFromRules, type RenameRule } from './rename-rules.js';
import type { LayoutNaming } from './types.js';

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

export const torchvisionNaming: LayoutNaming = {
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
};

// Hugging Face transformers' ViTForImageClassification names (google/vit-*). Attention keeps
// query, key and value as three Linears: together, in that order along the output dim, they
// are timm's fused qkv, so that one timm tensor is read from three stored ones.

import { WeightsError } from '../weights.js';
import { moduleRules, namingFromRules, type RenameRule } from './rename-rules.js';
import type { LayoutNaming } from './types.js';

const LAYER = 'vit.encoder.layer.{i}';
const QKV = ['query', 'key', 'value'];

const RULES: readonly RenameRule[] = [
  { timm: 'cls_token', stored: ['vit.embeddings.cls_token'] },
  { timm: 'pos_embed', stored: ['vit.embeddings.position_embeddings'] },
  ...moduleRules('patch_embed.proj', 'vit.embeddings.patch_embeddings.projection'),
  ...moduleRules('blocks.{i}.norm1', `${LAYER}.layernorm_before`),
  ...['weight', 'bias'].map((param) => ({
    timm: `blocks.{i}.attn.qkv.${param}`,
    stored: QKV.map((part) => `${LAYER}.attention.attention.${part}.${param}`),
  })),
  ...moduleRules('blocks.{i}.attn.proj', `${LAYER}.attention.output.dense`),
  ...moduleRules('blocks.{i}.norm2', `${LAYER}.layernorm_after`),
  ...moduleRules('blocks.{i}.mlp.fc1', `${LAYER}.intermediate.dense`),
  ...moduleRules('blocks.{i}.mlp.fc2', `${LAYER}.output.dense`),
  ...moduleRules('norm', 'vit.layernorm'),
  ...moduleRules('head', 'classifier'),
];

// `vit.` under ViTForImageClassification; a bare ViTModel saves its modules at the top level.
const PREFIXES = ['vit.', 'classifier.', 'embeddings.', 'encoder.layer.', 'layernorm.', 'pooler.'];

export const transformersNaming: LayoutNaming = {
  layout: 'transformers',
  owns: (storedName) => PREFIXES.some((prefix) => storedName.startsWith(prefix)),
  ...namingFromRules(RULES),
  refuseUnsupported(storedNames, source) {
    if (!storedNames.includes('classifier.weight')) {
      throw new WeightsError(
        `${source}: a Hugging Face transformers ViTModel checkpoint (no classifier.weight): it has no classification head. ` +
          'Use a ViTForImageClassification checkpoint (e.g. google/vit-base-patch16-224)',
        ['classifier.weight', 'classifier.bias'],
      );
    }
  },
};

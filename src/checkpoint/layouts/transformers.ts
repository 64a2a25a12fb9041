// Hugging Face transformers' ViTForImageClassification names (google/vit-*). Attention keeps
// query, key and value as three Linears: together, in that order along the output dim, they
// are timm's fused qkv, so that one timm tensor is read from three stored ones.

//
// Resolution: the config.json the caller found (a transformers ViTConfig), else the shapes;
// preprocessing from preprocessor_config.json when there is one, else ViTImageProcessor's defaults.

import { requireInferenceTensors } from '../inference-tensors.js';
import { moduleRules, namingFromRules, type RenameRule } from '../rename-rules.js';
import { WeightsError } from '../tensor-check.js';
import { architectureFromShapes, architectureFromTransformersConfig } from '../transformers-config.js';
import { defaultTransformersPreprocess, preprocessFromProcessorConfig } from '../transformers-preprocess.js';
import type { CheckpointModel, LayoutDefinition, ResolveContext } from '../types.js';

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

export const transformersNaming: LayoutDefinition = {
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
  resolve: resolveTransformers,
};

function resolveTransformers(context: ResolveContext): CheckpointModel {
  const { config, processorConfig } = context;
  if (config === undefined) requireInferenceTensors(transformersNaming, context.shapes, context.source);
  const architecture =
    config !== undefined
      ? architectureFromTransformersConfig(config.json, config.path, context.shapes, context.numHeads)
      : architectureFromShapes(context.shapes, context.source, context.numHeads);
  const imgSize = architecture.config.imgSize;
  const { preprocess, notes } =
    processorConfig !== undefined ? preprocessFromProcessorConfig(processorConfig.json, processorConfig.path, imgSize) : defaultTransformersPreprocess(imgSize);
  const architectureFrom = config !== undefined ? config.origin : 'the tensor shapes';
  return {
    name: architecture.name,
    config: architecture.config,
    preprocess,
    notes: ["Hugging Face transformers checkpoint: names mapped to timm's, query/key/value fused into qkv on load", ...architecture.notes, ...notes],
    labelNames: architecture.labelNames,
    layout: 'transformers',
    provenance: {
      architecture: architectureFrom,
      heads: context.numHeads !== undefined ? '--heads' : config !== undefined ? architectureFrom : "assumed: timm's 64-wide heads",
      preprocessing: processorConfig !== undefined ? processorConfig.origin : "ViTImageProcessor's defaults",
    },
  };
}

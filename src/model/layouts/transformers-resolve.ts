// Architecture and preprocessing of a Hugging Face transformers ViT checkpoint: config.json
// (given, else beside the weights; else the shapes) and preprocessor_config.json (beside the
// weights or the config; else ViTImageProcessor's defaults).

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ResolvedModel } from '../resolve-config.js';
import type { Shape } from '../weights.js';
import { requireInferenceTensors } from './inference-tensors.js';
import { readJsonFile } from './json-file.js';
import type { LayoutResolveOptions } from './resolve-options.js';
import { architectureFromShapes, architectureFromTransformersConfig } from './transformers-config.js';
import { transformersNaming } from './transformers-naming.js';
import { defaultTransformersPreprocess, PREPROCESSOR_CONFIG, preprocessFromProcessorConfig } from './transformers-preprocess.js';

export function resolveTransformers(weightsPath: string, timmShapes: ReadonlyMap<string, Shape>, options: LayoutResolveOptions): ResolvedModel {
  const configPath = options.configPath ?? join(dirname(weightsPath), 'config.json');
  const hasConfig = options.configPath !== undefined || existsSync(configPath);
  if (!hasConfig) requireInferenceTensors(transformersNaming, timmShapes, weightsPath);
  const architecture = hasConfig
    ? architectureFromTransformersConfig(readJsonFile(configPath), configPath, timmShapes, options.numHeads)
    : architectureFromShapes(timmShapes, weightsPath, options.numHeads);

  const imgSize = architecture.config.imgSize;
  const processorPath = [dirname(weightsPath), dirname(configPath)].map((dir) => join(dir, PREPROCESSOR_CONFIG)).find((path) => existsSync(path));
  const { preprocess, notes } =
    processorPath !== undefined ? preprocessFromProcessorConfig(readJsonFile(processorPath), processorPath, imgSize) : defaultTransformersPreprocess(imgSize);
  return {
    name: architecture.name,
    config: architecture.config,
    preprocess,
    origin: hasConfig ? 'config.json' : 'inferred from weights',
    notes: ["Hugging Face transformers checkpoint: names mapped to timm's, query/key/value fused into qkv on load", ...architecture.notes, ...notes],
    labelNames: architecture.labelNames,
    layout: 'transformers',
  };
}

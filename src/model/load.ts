// Loading a safetensors checkpoint (timm, transformers or torchvision layout) into a ready VitModel:
// header -> layout -> architecture (config.json / named model / shapes) -> check every tensor's
// name and shape -> plan memory -> one arena -> read each tensor from disk straight into it.

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ReferenceBackend } from '../backend/reference.js';
import type { Arena, Backend } from '../backend/types.js';
import { DEFAULT_MODEL, tokensOf, type VitConfig } from './config.js';
import { CheckpointSource, detectLayout, resolveOtherLayout, type LayoutNaming } from './layouts/index.js';
import { readJsonFile } from './layouts/json-file.js';
import { activationSizes, arenaBytes, type ActivationSizes } from './memory-plan.js';
import { inferFromShapes, lookupNamedModel, resolveFromTimmConfig, type ResolvedModel } from './resolve-config.js';
import { VitModel, type Activations, type BlockWeights, type VitWeights } from './vit.js';
import type { Shape } from './weights.js';

export interface LoadOptions {
  /** Kernels to run on; the reference backend by default. */
  backend?: Backend;
  /** A timm config.json to use; by default `config.json` beside the weights, if present. */
  configPath?: string;
  /** A named timm model, used when no config.json is found. `'auto'` infers the architecture from the shapes. */
  model?: string;
  /** Attention heads, for when the architecture is inferred from shapes. */
  numHeads?: number;
  /** Images per forward pass that activations are allocated for (default 1). */
  maxBatch?: number;
}

export async function loadVitModel(weightsPath: string, options: LoadOptions = {}): Promise<VitModel> {
  const reader = CheckpointSource.open(weightsPath);
  try {
    const resolved = resolveArchitecture(weightsPath, reader.storedShapes, options, reader.naming);
    const description = `${resolved.name} (${resolved.origin})`;
    reader.check(resolved.config, description);

    const backend = options.backend ?? new ReferenceBackend();
    const maxBatch = options.maxBatch ?? 1;
    const arena = backend.createArena(arenaBytes(resolved.config, backend, maxBatch));
    const weights = readWeights(reader, resolved.config, backend, arena);
    const act = allocateActivations(activationSizes(resolved.config, backend, maxBatch), arena);
    return new VitModel(resolved, backend, weights, act, maxBatch);
  } finally {
    reader.close();
  }
}

/**
 * The architecture of a checkpoint whose tensors (under their stored names) have `shapes`, by the
 * rules of its layout: `naming` when the caller already detected it, else detected from the names.
 */
export function resolveArchitecture(
  weightsPath: string,
  shapes: ReadonlyMap<string, Shape>,
  options: LoadOptions,
  naming: LayoutNaming = detectLayout([...shapes.keys()], weightsPath),
): ResolvedModel {
  if (naming.layout !== 'timm') return resolveOtherLayout(naming, weightsPath, shapes, options);
  return { ...resolveTimmArchitecture(weightsPath, shapes, options), layout: 'timm' };
}

/** config.json (explicit, else beside the weights) > named model > shapes. */
function resolveTimmArchitecture(weightsPath: string, shapes: ReadonlyMap<string, Shape>, options: LoadOptions): ResolvedModel {
  const configPath = options.configPath ?? join(dirname(weightsPath), 'config.json');
  if (options.configPath !== undefined || existsSync(configPath)) {
    return resolveFromTimmConfig(readJsonFile(configPath), configPath, shapes, options.numHeads);
  }
  const model = options.model ?? DEFAULT_MODEL;
  if (model === 'auto') return inferFromShapes(shapes, weightsPath, options.numHeads);
  const spec = lookupNamedModel(model);
  const config: VitConfig = options.numHeads === undefined ? spec.config : { ...spec.config, numHeads: options.numHeads };
  return { ...spec, config, origin: 'named model', notes: [] };
}

function readWeights(reader: CheckpointSource, config: VitConfig, backend: Backend, arena: Arena): VitWeights {
  const vector = (name: string, floats?: number): Float32Array => {
    const dest = arena.allocF32(floats ?? reader.info(name).numel);
    reader.readInto(name, dest);
    return dest;
  };
  // Biases are small: read them into a temporary array and let the backend place them.
  const linear = (prefix: string, outDim: number, inDim: number, hasBias = true) =>
    backend.prepareLinear(
      arena,
      outDim,
      inDim,
      (dest) => reader.readInto(`${prefix}.weight`, dest),
      hasBias ? reader.read(`${prefix}.bias`) : null,
    );
  const { embedDim: D, mlpHiddenDim: H } = config;
  const blocks: BlockWeights[] = [];
  for (let i = 0; i < config.depth; i++) {
    const b = `blocks.${i}`;
    blocks.push({
      norm1Weight: vector(`${b}.norm1.weight`),
      norm1Bias: vector(`${b}.norm1.bias`),
      qkv: linear(`${b}.attn.qkv`, 3 * D, D, config.qkvBias),
      proj: linear(`${b}.attn.proj`, D, D),
      norm2Weight: vector(`${b}.norm2.weight`),
      norm2Bias: vector(`${b}.norm2.bias`),
      fc1: linear(`${b}.mlp.fc1`, H, D),
      fc2: linear(`${b}.mlp.fc2`, D, H),
    });
  }
  return {
    patchEmbed: linear('patch_embed.proj', D, config.inChans * config.patchSize ** 2),
    clsToken: vector('cls_token'),
    posEmbed: vector('pos_embed', tokensOf(config) * D),
    blocks,
    normWeight: vector('norm.weight'),
    normBias: vector('norm.bias'),
    head: linear('head', config.numClasses, D),
  };
}

function allocateActivations(sizes: ActivationSizes, arena: Arena): Activations {
  const entries = Object.entries(sizes).map(([key, floats]) => [key, arena.allocF32(floats)]);
  return Object.fromEntries(entries) as Activations;
}

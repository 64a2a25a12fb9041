// Settling a checkpoint's architecture and preprocessing: find its config files (an explicit
// --config wins over the config.json beside the weights; transformers' preprocessor_config.json
// beside the weights or the config), then let the checkpoint's layout apply its rules. A config
// can also be resolved without weights (`vit preprocess --config`, a cached hub config).

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError } from '../vit/config.js';
import { readJsonFile } from './json-file.js';
import { timmNaming } from './layouts/timm.js';
import { transformersNaming } from './layouts/transformers.js';
import type { Shape } from '../vit/parameters.js';
import { detectLayout } from './registry.js';
import type { CheckpointSource } from './source.js';
import { timmShapes } from './timm-view.js';
import type { CheckpointModel, ConfigFile, LayoutDefinition, ResolveContext } from './types.js';

export const CONFIG_JSON = 'config.json';
export const PREPROCESSOR_CONFIG_JSON = 'preprocessor_config.json';

export interface CheckpointRequest {
  /** An explicit config file (--config): wins over the one beside the weights. */
  readonly configPath?: string;
  /** How to name a config found beside the weights (e.g. "the hub's config.json" for a cached download). */
  readonly besideOrigin?: string;
  readonly named?: ResolveContext['named'];
  readonly numHeads?: number;
}

/** The architecture and preprocessing of an opened checkpoint, by its layout's rules. */
export function resolveCheckpoint(source: CheckpointSource, request: CheckpointRequest): CheckpointModel {
  return resolveStoredShapes(source.path, source.storedShapes, request, source.naming);
}

/**
 * The same from a checkpoint's stored names and shapes (no tensor data needed): the layout is
 * detected from the names unless given, and config files are looked for beside `weightsPath`.
 */
export function resolveStoredShapes(
  weightsPath: string,
  storedShapes: ReadonlyMap<string, Shape>,
  request: CheckpointRequest,
  layout: LayoutDefinition = detectLayout([...storedShapes.keys()], weightsPath),
): CheckpointModel {
  const config = findConfig(weightsPath, request);
  const processorConfig = layout.layout === 'transformers' ? findProcessorConfig([dirname(weightsPath), ...(config ? [dirname(config.path)] : [])]) : undefined;
  const model = layout.resolve({
    source: weightsPath,
    shapes: timmShapes(layout, storedShapes),
    config,
    processorConfig,
    named: request.named,
    numHeads: request.numHeads,
  });
  checkInputFits(model);
  return { ...model, configFiles: configFilesOf(config, processorConfig) };
}

/**
 * A config file alone, with no weights to read shapes from: enough for the preprocessing, and for
 * the architecture when the config names it fully (a timm config naming a known model, or a
 * transformers config). Throws a ConfigError saying what is missing otherwise.
 */
export function resolveConfigFile(config: ConfigFile, request: Omit<CheckpointRequest, 'configPath'>): CheckpointModel {
  const cfg = config.json as Record<string, unknown> | null;
  const isTransformers = typeof cfg === 'object' && cfg !== null && (cfg.model_type !== undefined || cfg.hidden_size !== undefined);
  const layout = isTransformers ? transformersNaming : timmNaming;
  const processorConfig = isTransformers ? findProcessorConfig([dirname(config.path)]) : undefined;
  try {
    const model = layout.resolve({ source: config.path, shapes: new Map(), config, processorConfig, named: request.named, numHeads: request.numHeads });
    checkInputFits(model);
    return { ...model, configFiles: configFilesOf(config, processorConfig) };
  } catch (e) {
    // Without weights there are no shapes: say so instead of "patch_embed.proj.weight is missing".
    if (e instanceof ConfigError && /cannot infer the architecture|no classifier\.weight/.test(e.message)) {
      throw new ConfigError(`${config.path}: the config does not fully describe the architecture, and there are no weights to read the rest from: give --weights`);
    }
    throw e;
  }
}

/** The preprocessing must make the inputs the architecture takes (timm would fail at the first batch). */
function checkInputFits(model: CheckpointModel): void {
  const { inChans, imgSize } = model.config;
  const made = model.preprocess.inputSize;
  if (made[0] !== inChans || made[1] !== imgSize || made[2] !== imgSize) {
    throw new ConfigError(
      `the preprocessing (${model.provenance.preprocessing}) makes [${made.join(', ')}] inputs, but the architecture (${model.provenance.architecture}) takes [${inChans}, ${imgSize}, ${imgSize}]`,
    );
  }
}

function findConfig(weightsPath: string, request: CheckpointRequest): ConfigFile | undefined {
  if (request.configPath !== undefined) return readConfigFile(request.configPath, '--config');
  const beside = join(dirname(weightsPath), CONFIG_JSON);
  return existsSync(beside) ? readConfigFile(beside, request.besideOrigin ?? 'config.json beside the weights') : undefined;
}

function findProcessorConfig(dirs: readonly string[]): ConfigFile | undefined {
  const path = dirs.map((dir) => join(dir, PREPROCESSOR_CONFIG_JSON)).find((p) => existsSync(p));
  return path === undefined ? undefined : readConfigFile(path, `${PREPROCESSOR_CONFIG_JSON} beside the weights`);
}

function configFilesOf(...files: (ConfigFile | undefined)[]): string[] {
  return files.flatMap((f) => (f !== undefined ? [f.path] : []));
}

export function readConfigFile(path: string, origin: string): ConfigFile {
  return { path, json: readJsonFile(path), origin };
}

// The one model resolver every command and the library use. A request (weights, model name or
// hf-hub id, config, heads, labels, offline) becomes the architecture, the preprocessing, the
// labels, the weight file and a provenance note for every setting. Precedence, highest first:
//   1. explicit flags (--heads, --labels, --img-size, the preprocessing overrides --crop-pct,
//      --crop-mode, --interpolation, --mean, --std, each per field; --model with --weights is a
//      claim that is checked);
//   2. --config;
//   3. the config.json beside the weights;
//   4. the hub's config.json (cached, or downloaded where the command downloads);
//   5. the named-model table;
//   6. the tensor shapes.
// An explicit flag that contradicts the checkpoint is a ConflictError naming both sides, never a
// silent choice; an hf-hub id whose config cannot be had is an error, never another model.

import { CheckpointSource, readConfigFile, resolveCheckpoint, resolveConfigFile, type CheckpointModel, type ResolveContext } from '../checkpoint/index.js';
import { CONFIG_FILE, downloadHubFile, ensureModelFiles, HubError, isHubError, type HubOptions } from '../hub/index.js';
import { CONFIG_LIMITS, ConfigError, configDifferences, ConflictError, MAX_TOKENS, tokensOf, type VitConfig } from '../vit/config.js';
import { cropModeProblem, cropPctProblem, interpolationProblem, meanProblem, stdProblem } from '../image/preprocess-fields.js';
import type { PreprocessConfig } from '../image/types.js';
import { DEFAULT_MODEL } from '../vit/named-models.js';
import { resolveLabels } from './labels.js';
import { resolveModelId, type ResolvedModelId } from './model-ids.js';

export interface ModelRequest {
  /** A local safetensors checkpoint (--weights). */
  weights?: string;
  /** A timm model name, name.tag, hf-hub:ORG/NAME[@REV], or 'auto' (--model); undefined: the default model. */
  model?: string;
  /** A config.json (--config). */
  config?: string;
  /** Attention heads (--heads). */
  heads?: number;
  /** A labels file (--labels). */
  labels?: string;
  /** Preprocessing fields that win over the resolved ones, each on its own (timm's resolve_data_config arguments). */
  preprocess?: PreprocessOverrides;
  /**
   * Run the model at this input size in pixels (--img-size; timm's img_size): the position
   * embedding is resampled to the new patch grid as timm does, and the preprocessing crops this
   * size. A positive multiple of the patch size.
   */
  imgSize?: number;
  /** Hub settings (cache, offline, progress). */
  hub?: HubOptions;
  /** What the model is for: 'classify' refuses weights without a classifier head, 'embed' (features only) takes them; unset: no check (info, preprocess). */
  task?: 'classify' | 'embed';
  /** Whether the hub may be asked for missing files ('download'), or only the cache is read ('cache'). */
  fetch?: 'download' | 'cache';
  /** Called when a download starts, for progress display. */
  onDownload?: (modelId: string) => void;
}

/** The preprocessing fields a request may set (the input size is the model's). */
export type PreprocessOverrides = Partial<Pick<PreprocessConfig, 'cropPct' | 'cropMode' | 'interpolation' | 'mean' | 'std'>>;

/** A preprocessing override that breaks the rules every config follows: the request is unusable. */
export class PreprocessOverrideError extends Error {
  override name = 'PreprocessOverrideError';
}

type Rule = (value: never) => string | undefined;
/** mean and std: three values, then the rule every config follows. */
const three =
  (rule: (values: readonly number[]) => string | undefined): Rule =>
  (values: readonly number[]) =>
    Array.isArray(values) && values.length === 3 ? rule(values) : `must be three numbers, found ${JSON.stringify(values)}`;

// Each override: its timm name, the flag that sets it on the command line, and its rule.
const OVERRIDES: readonly { key: keyof PreprocessOverrides; timm: string; flag: string; problem: Rule }[] = [
  { key: 'cropPct', timm: 'crop_pct', flag: '--crop-pct', problem: cropPctProblem },
  { key: 'cropMode', timm: 'crop_mode', flag: '--crop-mode', problem: cropModeProblem },
  { key: 'interpolation', timm: 'interpolation', flag: '--interpolation', problem: interpolationProblem },
  { key: 'mean', timm: 'mean', flag: '--mean', problem: three(meanProblem) },
  { key: 'std', timm: 'std', flag: '--std', problem: three(stdProblem) },
];

export interface Provenance {
  readonly architecture: string;
  readonly heads: string;
  /** Where the preprocessing came from, then each overridden field's flag ("...; crop_pct from --crop-pct"). */
  readonly preprocessing: string;
  readonly labels: string;
  readonly weights: string;
}

export interface ResolvedModel extends Omit<CheckpointModel, 'provenance' | 'layout'> {
  /** The checkpoint to load, when there is one (local, or in the hub cache). */
  readonly weights?: string;
  /** The checkpoint's layout, when there are weights. */
  readonly layout?: CheckpointModel['layout'];
  /** Class names, one per output. */
  readonly labels: readonly string[];
  readonly provenance: Provenance;
  /** The hub repository the model id names, when it names one. */
  readonly hub?: { readonly repo: string; readonly revision: string; readonly commit?: string };
  /** The image size the checkpoint's position embedding was made for, when imgSize asks for another (resampled at load). */
  readonly checkpointImgSize?: number;
  /** Non-fatal problems (e.g. an optional hub file that could not be fetched). */
  readonly warnings: readonly string[];
}

/** Resolve a request; with weights, the checkpoint is opened, resolved and checked, then closed. */
export async function resolveModel(request: ModelRequest): Promise<ResolvedModel> {
  const { source, model } = await openModel(request);
  try {
    return model;
  } finally {
    source?.close();
  }
}

/** The resolution and, when there are weights, the opened checkpoint (the caller closes it). */
export async function openModel(request: ModelRequest): Promise<{ source?: CheckpointSource; model: ResolvedModel }> {
  const id = request.model === undefined || request.model === 'auto' ? undefined : resolveModelId(request.model);
  if (request.weights !== undefined) {
    if (id !== undefined && id.named === undefined) {
      throw new ConflictError(`--model ${request.model} names a hub repository, but --weights ${request.weights} is a local file: name an architecture (or auto) with --weights, or drop --weights`);
    }
    const named = id?.named !== undefined ? { model: id.named, origin: `--model ${request.model}` } : undefined;
    return fromCheckpoint(request.weights, request, named, { weights: `--weights ${request.weights}` });
  }
  if (request.config !== undefined) {
    const modelId = id ?? resolveModelId(DEFAULT_MODEL);
    const named = id?.named !== undefined ? { model: id.named, origin: `--model ${request.model}` } : undefined;
    const resolved = resolveConfigFile(readConfigFile(request.config, '--config'), { named, numHeads: request.heads });
    if (named !== undefined) checkClaim(named, resolved);
    return { model: finish(resolved, request, { weights: 'none (a config alone)', hub: hubOf(modelId) }) };
  }
  const modelId = id ?? resolveModelId(DEFAULT_MODEL);
  const named = modelId.named !== undefined ? { model: modelId.named, origin: `${request.model === undefined ? 'the default model' : 'named model'} ${modelId.named.name}` } : undefined;
  if (request.fetch === 'download') {
    if (request.task !== 'embed') refuseHeadless(modelId);
    request.onDownload?.(modelId.id);
    const files = await ensureModelFiles(modelId, request.hub);
    const opened = fromCheckpoint(files.weightsPath, request, named, {
      weights: `${modelId.repo}@${files.commit}, from the hub cache`,
      besideOrigin: `the hub's config.json (${modelId.repo}@${files.commit})`,
      hub: { ...hubOf(modelId), commit: files.commit },
      warnings: files.warnings,
    });
    return opened;
  }
  return { model: await fromCacheOnly(modelId, request, named) };
}

/** info and preprocess never download: the cached checkpoint, else the cached hub config, else the table. */
async function fromCacheOnly(modelId: ResolvedModelId, request: ModelRequest, named: ResolveContext['named']): Promise<ResolvedModel> {
  const cacheOnly = { ...request.hub, offline: true };
  const hub = hubOf(modelId);
  try {
    const files = await ensureModelFiles(modelId, cacheOnly);
    const { source, model } = fromCheckpoint(files.weightsPath, request, named, {
      weights: `${modelId.repo}@${files.commit}, in the hub cache`,
      besideOrigin: `the hub's config.json (${modelId.repo}@${files.commit})`,
      hub: { ...hub, commit: files.commit },
    });
    source.close();
    return model;
  } catch (e) {
    if (!isHubError(e, 'OFFLINE_NOT_CACHED')) throw e;
  }
  const config = await cachedHubConfig(modelId, cacheOnly);
  if (config !== undefined) {
    const resolved = resolveConfigFile(readConfigFile(config.path, `the hub's config.json (${modelId.repo}@${config.commit}, cached)`), { named, numHeads: request.heads });
    return finish(resolved, request, { weights: `not in the cache (${modelId.repo}): \`vit download\` fetches them`, hub: { ...hub, commit: config.commit }, warnings: config.warnings });
  }
  if (named === undefined) {
    throw new ConfigError(
      `${modelId.id}: its config.json is not in the hub cache, and this command does not download: run \`vit download ${modelId.id}\` first (or pass --weights and --config)`,
    );
  }
  const model = named.model;
  if (request.heads !== undefined && request.heads !== model.config.numHeads) {
    throw new ConflictError(`--heads ${request.heads} contradicts ${named.origin} (${model.name} has ${model.config.numHeads} heads); drop one of them`);
  }
  const table: CheckpointModel = {
    name: model.name,
    config: modelId.numClasses !== undefined ? { ...model.config, numClasses: modelId.numClasses } : model.config,
    preprocess: model.preprocess,
    layout: 'timm',
    notes: [],
    provenance: { architecture: `${named.origin} (the model table)`, heads: `${named.origin} (the model table)`, preprocessing: `${named.origin} (the model table)` },
  };
  return finish(table, request, { weights: `not in the cache (${modelId.repo}): \`vit download\` fetches them`, hub });
}

async function cachedHubConfig(modelId: ResolvedModelId, hub: HubOptions): Promise<{ path: string; commit: string; warnings: readonly string[] } | undefined> {
  if (!modelId.files.some((f) => f.path === CONFIG_FILE)) return undefined;
  try {
    const result = await downloadHubFile({ repo: modelId.repo, revision: modelId.revision, file: CONFIG_FILE }, hub);
    return { path: result.path, commit: result.commit, warnings: result.warnings ?? [] };
  } catch (e) {
    // Not in the cache: the caller says so. A bad setting is the user's to fix, never "not cached".
    if (e instanceof HubError && e.code !== 'INVALID_SETTING') return undefined;
    throw e;
  }
}

function fromCheckpoint(
  weights: string,
  request: ModelRequest,
  named: ResolveContext['named'],
  extra: { weights: string; besideOrigin?: string; hub?: ResolvedModel['hub']; warnings?: readonly string[] },
): { source: CheckpointSource; model: ResolvedModel } {
  const source = CheckpointSource.open(weights);
  try {
    const resolved = resolveCheckpoint(source, { configPath: request.config, besideOrigin: extra.besideOrigin, named, numHeads: request.heads });
    if (named !== undefined && named.origin.startsWith('--model')) checkClaim(named, resolved);
    return { source, model: { ...finish(resolved, request, extra), weights, layout: resolved.layout } };
  } catch (e) {
    source.close();
    throw e;
  }
}

/** An explicit --model is a claim about the checkpoint: a config that says another architecture is a conflict. */
function checkClaim(named: NonNullable<ResolveContext['named']>, resolved: CheckpointModel): void {
  if (resolved.provenance.architecture === named.origin) return;
  if (!sameArchitecture(named.model.config, resolved.config)) {
    throw new ConflictError(
      `${named.origin} (${describeShort(named.model.config)}) contradicts ${resolved.provenance.architecture} (${resolved.name}: ${describeShort(resolved.config)}); drop --model or give matching weights`,
    );
  }
}

/** The same network, whatever its classifier size (a fine-tune keeps the architecture) and LayerNorm eps. */
function sameArchitecture(a: VitConfig, b: VitConfig): boolean {
  return configDifferences(a, b).every((key) => key === 'numClasses' || key === 'layerNormEps');
}

function describeShort(c: VitConfig): string {
  return `${c.imgSize} px, patch ${c.patchSize}, width ${c.embedDim}, depth ${c.depth}, ${c.numHeads} heads`;
}

function refuseHeadless(modelId: ResolvedModelId): void {
  if (modelId.numClasses === 0) {
    throw new ConfigError(
      `${modelId.id}: these weights have no classifier head (a feature extractor), so they cannot classify; \`vit embed\` gives their features, or pick a tag with a head (vit info --model ${modelId.named?.name ?? modelId.id})`,
    );
  }
}

function hubOf(modelId: ResolvedModelId): NonNullable<ResolvedModel['hub']> {
  return { repo: modelId.repo, revision: modelId.revision };
}

function finish(
  resolved: CheckpointModel,
  request: ModelRequest,
  extra: { weights: string; hub?: ResolvedModel['hub']; warnings?: readonly string[] },
): ResolvedModel {
  if (request.task === 'classify' && resolved.config.numClasses === 0) {
    throw new ConfigError(`${resolved.name}: these weights have no classifier head (a feature extractor), so they cannot classify; \`vit embed\` gives their features`);
  }
  const { labels, from, warning } = resolveLabels(resolved.config.numClasses, { labelsPath: request.labels, configLabels: resolved.labelNames, configSource: resolved.provenance.architecture });
  const sized = applyImgSize(resolved, request.imgSize);
  const { preprocess, preprocessing } = applyOverrides(sized.preprocess, sized.provenance.preprocessing, request.preprocess);
  return {
    ...sized,
    preprocess,
    labels,
    provenance: { ...sized.provenance, preprocessing, labels: from, weights: extra.weights },
    hub: extra.hub,
    warnings: [...(extra.warnings ?? []), ...(resolved.warnings ?? []), ...(warning !== undefined ? [warning] : []), ...guessWarnings(resolved)],
  };
}

/** --img-size: the architecture and the preprocessing at another input size, checked against the patch size, and said in the provenance. */
function applyImgSize(resolved: CheckpointModel, imgSize: number | undefined): CheckpointModel & { checkpointImgSize?: number } {
  if (imgSize === undefined) return resolved;
  const { config } = resolved;
  const flag = `--img-size (img_size) ${imgSize}`;
  if (!(Number.isInteger(imgSize) && imgSize >= 1 && imgSize <= CONFIG_LIMITS.imgSize)) {
    throw new PreprocessOverrideError(`${flag} must be a whole number of pixels from 1 to ${CONFIG_LIMITS.imgSize}`);
  }
  if (imgSize % config.patchSize !== 0) {
    const [below, above] = [imgSize - (imgSize % config.patchSize), imgSize - (imgSize % config.patchSize) + config.patchSize];
    throw new PreprocessOverrideError(`${flag} is not a multiple of ${resolved.name}'s patch size ${config.patchSize} (${below > 0 ? `${below} or ` : ''}${above} is)`);
  }
  const sized = { ...config, imgSize };
  if (tokensOf(sized) > MAX_TOKENS) throw new PreprocessOverrideError(`${flag} makes ${tokensOf(sized)} tokens per image, more than ${MAX_TOKENS}`);
  const grid = (c: VitConfig) => `${c.imgSize / c.patchSize} x ${c.imgSize / c.patchSize}`;
  const resampled = imgSize === config.imgSize ? '' : ` (position embedding resampled from ${grid(config)} to ${grid(sized)} patches, as timm does)`;
  return {
    ...resolved,
    config: sized,
    preprocess: { ...resolved.preprocess, inputSize: [resolved.preprocess.inputSize[0], imgSize, imgSize] },
    provenance: {
      ...resolved.provenance,
      architecture: `${resolved.provenance.architecture}; img_size ${imgSize} from --img-size${resampled}`,
      preprocessing: `${resolved.provenance.preprocessing}; input_size from --img-size`,
    },
    ...(imgSize !== config.imgSize ? { checkpointImgSize: config.imgSize } : {}),
  };
}

/** The request's preprocessing overrides over the resolved preprocessing, each field checked and its origin said. */
function applyOverrides(base: PreprocessConfig, from: string, overrides: PreprocessOverrides | undefined): { preprocess: PreprocessConfig; preprocessing: string } {
  const preprocess: Record<string, unknown> = { ...base };
  const origins: string[] = [];
  for (const { key, timm, flag, problem } of OVERRIDES) {
    const value = overrides?.[key];
    if (value === undefined) continue;
    const issue = (problem as (v: unknown) => string | undefined)(value);
    if (issue !== undefined) throw new PreprocessOverrideError(`${flag} (${timm}) ${issue}`);
    preprocess[key] = value;
    origins.push(`${timm} from ${flag}`);
  }
  return { preprocess: preprocess as unknown as PreprocessConfig, preprocessing: origins.length === 0 ? from : `${from}; ${origins.join(', ')}` };
}

/** A setting the checkpoint could not tell and that was guessed is said out loud, never silently used. */
function guessWarnings(resolved: CheckpointModel): string[] {
  if (!resolved.provenance.heads.startsWith('assumed')) return [];
  return [`${resolved.config.numHeads} attention heads assumed (${resolved.provenance.heads.replace(/^assumed: /, '')}): the tensor shapes cannot tell; give --heads or a config.json`];
}

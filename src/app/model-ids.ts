/**
 * Model ids -> named models and hub repositories, the way timm resolves them.
 *
 * Accepted ids:
 *   vit_base_patch16_384                       -> timm/vit_base_patch16_384.augreg_in21k_ft_in1k (timm's default tag)
 *   vit_base_patch16_384.orig_in21k_ft_in1k    -> timm/vit_base_patch16_384.orig_in21k_ft_in1k (a known tag)
 *   hf-hub:ORG/NAME[@REV]  (also hf_hub:)      -> ORG/NAME at REV (default main), any repository
 * Files: `model.safetensors` (required) and `config.json` (optional, used when the repo has one).
 *
 * The names and tags come from the one model table (vit/named-models.ts). `numClasses` is the
 * classifier size of the chosen checkpoint: 1000 = ImageNet-1k head, 21843 = ImageNet-21k head,
 * 0 = no head (feature extractor only), so a classifier refuses it.
 *
 * Unknown ids throw HubError('UNKNOWN_MODEL') listing the closest known names: the one message
 * every command gives for a name it does not know.
 */
import { CONFIG_FILE, DEFAULT_REVISION, HubError, PREPROCESSOR_CONFIG_FILE, WEIGHTS_FILE, type HubRepoRequest, type ModelFile } from '../hub/index.js';
import { closestNames } from '../util/closest.js';
import { NAMED_MODELS, type NamedModel } from '../vit/named-models.js';

export interface ResolvedModelId extends HubRepoRequest {
  /** The id as given. */
  id: string;
  files: ModelFile[];
  /** The named model and tag when the id came from the table (absent for hf-hub: ids). */
  named?: NamedModel;
  tag?: string;
  numClasses?: number;
}

const MODEL_FILES: readonly ModelFile[] = [
  { path: WEIGHTS_FILE, role: 'weights', optional: false },
  { path: CONFIG_FILE, role: 'config', optional: true },
];

// Any repository may hold a Hugging Face transformers checkpoint, whose preprocessing lives in
// preprocessor_config.json; timm's own repositories never have one.
const HF_HUB_FILES: readonly ModelFile[] = [...MODEL_FILES, { path: PREPROCESSOR_CONFIG_FILE, role: 'preprocessor', optional: true }];

const HF_HUB_PREFIX_RE = /^hf[-_]hub:/;
// Hub repo names: letters, digits, '-', '_', '.'; '--' and '..' are forbidden by the hub (and would
// break the cache folder name or escape it).
const REPO_PART_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/;
const REVISION_RE = /^[A-Za-z0-9._\-/]+$/;

export function listKnownModelIds(): string[] {
  return [...NAMED_MODELS.values()].flatMap((m) => [m.name, ...m.tags.map((tg) => `${m.name}.${tg.tag}`)]);
}

export function isHfHubId(id: string): boolean {
  return HF_HUB_PREFIX_RE.test(id.trim());
}

function isValidRepoPart(part: string): boolean {
  return REPO_PART_RE.test(part) && !part.includes('--') && !part.includes('..');
}

function isValidRevision(revision: string): boolean {
  return (
    REVISION_RE.test(revision) &&
    !revision.startsWith('/') &&
    !revision.endsWith('/') &&
    revision.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..')
  );
}

function resolveHfHubId(id: string): ResolvedModelId {
  const body = id.replace(HF_HUB_PREFIX_RE, '');
  const at = body.indexOf('@');
  const repo = at === -1 ? body : body.slice(0, at);
  const revision = at === -1 ? DEFAULT_REVISION : body.slice(at + 1);
  const parts = repo.split('/');
  if (parts.length !== 2 || !parts.every(isValidRepoPart)) {
    throw new HubError(
      'INVALID_ID',
      `Invalid hub id "${id}": expected hf-hub:ORG/NAME or hf-hub:ORG/NAME@REVISION ` +
        `(letters, digits, "-", "_", "."; no "--" or "..").`,
    );
  }
  if (!isValidRevision(revision)) {
    throw new HubError('INVALID_ID', `Invalid revision "${revision}" in "${id}": expected a branch, tag or commit hash.`);
  }
  return { id, repo, revision, files: HF_HUB_FILES.map((f) => ({ ...f })) };
}

function unknownModel(id: string): HubError {
  const architecture = id.split('.')[0];
  const suggestions = closestNames(architecture, NAMED_MODELS.keys());
  const didYouMean = suggestions.length > 0 ? `; did you mean ${orList(suggestions)}?` : '.';
  const hubHint = id.includes('/') && !id.includes(':') ? ` For a hub repository write hf-hub:${id}.` : ' A hub repository is named hf-hub:ORG/NAME[@REVISION].';
  return new HubError('UNKNOWN_MODEL', `unknown model '${id}'${didYouMean} Known models: ${[...NAMED_MODELS.keys()].join(', ')}.${hubHint}`, { suggestions });
}

function orList(names: readonly string[]): string {
  return names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}

function unknownTag(id: string, model: NamedModel, tag: string): HubError {
  const known = model.tags.map((tg) => `${model.name}.${tg.tag}`);
  const suggestions = closestNames(id, known);
  const didYouMean = suggestions.length > 0 ? `; did you mean ${orList(suggestions)}?` : '.';
  return new HubError(
    'UNKNOWN_MODEL',
    `unknown pretrained tag '${tag}' for ${model.name}${didYouMean} Known tags: ${model.tags.map((tg) => tg.tag).join(', ')} (default ${model.tags[0].tag}). ` +
      `For another tag, name the repository: hf-hub:timm/${model.name}.${tag}`,
    { suggestions },
  );
}

/** Maps a model id to the hub repository, revision and files to fetch. Throws HubError on unknown or malformed ids. */
export function resolveModelId(id: string): ResolvedModelId {
  const trimmed = id.trim();
  if (HF_HUB_PREFIX_RE.test(trimmed)) return resolveHfHubId(trimmed);

  const dot = trimmed.indexOf('.');
  const architecture = dot === -1 ? trimmed : trimmed.slice(0, dot);
  const requestedTag = dot === -1 ? undefined : trimmed.slice(dot + 1);
  const model = NAMED_MODELS.get(architecture);
  if (!model) throw unknownModel(trimmed);

  const pretrained = requestedTag === undefined ? model.tags[0] : model.tags.find((tg) => tg.tag === requestedTag);
  if (!pretrained) throw unknownTag(trimmed, model, requestedTag as string);

  return {
    id,
    repo: `timm/${model.name}.${pretrained.tag}`,
    revision: DEFAULT_REVISION,
    files: MODEL_FILES.map((f) => ({ ...f })),
    named: model,
    tag: pretrained.tag,
    numClasses: pretrained.numClasses,
  };
}

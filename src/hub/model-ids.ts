/**
 * Model ids -> hub repositories, the way timm resolves them.
 *
 * Accepted ids:
 *   vit_base_patch16_384                       -> timm/vit_base_patch16_384.augreg_in21k_ft_in1k (timm's default tag)
 *   vit_base_patch16_384.orig_in21k_ft_in1k    -> timm/vit_base_patch16_384.orig_in21k_ft_in1k (a known tag)
 *   hf-hub:ORG/NAME[@REV]  (also hf_hub:)      -> ORG/NAME at REV (default main), any repository
 * Files: `model.safetensors` (required) and `config.json` (optional, used when the repo has one).
 *
 * The table covers vit_{tiny,small,base,large}_patch{16,32}_{224,384} that exist in timm with weights on
 * the hub. Source: timm/models/vision_transformer.py `default_cfgs` (huggingface/pytorch-image-models,
 * read at commit 0041cb7b). timm's `generate_default_cfgs` makes the first listed tag that has weights the
 * default, so `tags[0]` below is the default and the order follows that file. Combinations absent from
 * timm (vit_tiny_patch32_*) or without hub weights are deliberately not listed.
 * `numClasses` is the classifier size of that checkpoint: 1000 = ImageNet-1k head, 21843 = ImageNet-21k head,
 * 0 = no head (feature extractor only), so a classifier CLI can refuse or warn.
 *
 * Unknown ids throw HubError('UNKNOWN_MODEL') listing the closest known names.
 */
import { closestNames } from '../util/closest.js';
import { HubError } from './errors.js';

export const WEIGHTS_FILE = 'model.safetensors';
export const CONFIG_FILE = 'config.json';
export const DEFAULT_REVISION = 'main';

export interface PretrainedTag {
  tag: string;
  numClasses: number;
}

export interface KnownModel {
  /** timm architecture name, e.g. vit_base_patch16_384. */
  name: string;
  /** Pretrained tags on the hub under timm/<name>.<tag>; the first one is timm's default. */
  tags: readonly PretrainedTag[];
}

const IN1K = 1000;
const IN21K = 21843;
const HEADLESS = 0;

const t = (tag: string, numClasses: number): PretrainedTag => ({ tag, numClasses });

export const KNOWN_VIT_MODELS: readonly KnownModel[] = [
  { name: 'vit_tiny_patch16_224', tags: [t('augreg_in21k_ft_in1k', IN1K), t('augreg_in21k', IN21K)] },
  { name: 'vit_tiny_patch16_384', tags: [t('augreg_in21k_ft_in1k', IN1K)] },
  { name: 'vit_small_patch32_224', tags: [t('augreg_in21k_ft_in1k', IN1K), t('augreg_in21k', IN21K)] },
  { name: 'vit_small_patch32_384', tags: [t('augreg_in21k_ft_in1k', IN1K)] },
  {
    name: 'vit_small_patch16_224',
    tags: [t('augreg_in21k_ft_in1k', IN1K), t('augreg_in1k', IN1K), t('augreg_in21k', IN21K), t('dino', HEADLESS)],
  },
  { name: 'vit_small_patch16_384', tags: [t('augreg_in21k_ft_in1k', IN1K), t('augreg_in1k', IN1K)] },
  {
    name: 'vit_base_patch32_224',
    tags: [
      t('augreg_in21k_ft_in1k', IN1K),
      t('augreg_in1k', IN1K),
      t('orig_in21k', HEADLESS),
      t('augreg_in21k', IN21K),
      t('sam_in1k', IN1K),
    ],
  },
  { name: 'vit_base_patch32_384', tags: [t('augreg_in21k_ft_in1k', IN1K), t('augreg_in1k', IN1K)] },
  {
    // augreg2 (re-finetuned) is listed first in default_cfgs, so it, not augreg, is timm's default here.
    name: 'vit_base_patch16_224',
    tags: [
      t('augreg2_in21k_ft_in1k', IN1K),
      t('augreg_in21k_ft_in1k', IN1K),
      t('orig_in21k_ft_in1k', IN1K),
      t('augreg_in1k', IN1K),
      t('orig_in21k', HEADLESS),
      t('augreg_in21k', IN21K),
      t('sam_in1k', IN1K),
      t('dino', HEADLESS),
      t('mae', HEADLESS),
    ],
  },
  {
    name: 'vit_base_patch16_384',
    tags: [t('augreg_in21k_ft_in1k', IN1K), t('orig_in21k_ft_in1k', IN1K), t('augreg_in1k', IN1K)],
  },
  // timm registers vit_large_patch32_224 but its only hub weights are the headless in21k pretrain.
  { name: 'vit_large_patch32_224', tags: [t('orig_in21k', HEADLESS)] },
  { name: 'vit_large_patch32_384', tags: [t('orig_in21k_ft_in1k', IN1K)] },
  { name: 'vit_large_patch16_224', tags: [t('augreg_in21k_ft_in1k', IN1K), t('augreg_in21k', IN21K), t('mae', HEADLESS)] },
  { name: 'vit_large_patch16_384', tags: [t('augreg_in21k_ft_in1k', IN1K)] },
];

export interface ModelFile {
  /** Path of the file inside the repository. */
  path: string;
  role: 'weights' | 'config' | 'preprocessor';
  /** Optional files are fetched when the repository has them; their absence is not an error. */
  optional: boolean;
}

export interface ResolvedModelId {
  /** The id as given. */
  id: string;
  /** Hub repository, ORG/NAME. */
  repo: string;
  /** Branch, tag or commit hash; `main` unless the id says otherwise. */
  revision: string;
  files: ModelFile[];
  /** timm architecture and tag when the id came from the table (absent for hf-hub: ids). */
  architecture?: string;
  tag?: string;
  numClasses?: number;
}

export const PREPROCESSOR_CONFIG_FILE = 'preprocessor_config.json';

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
  return KNOWN_VIT_MODELS.flatMap((m) => [m.name, ...m.tags.map((tg) => `${m.name}.${tg.tag}`)]);
}

export function findKnownModel(name: string): KnownModel | undefined {
  return KNOWN_VIT_MODELS.find((m) => m.name === name);
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
  const suggestions = closestNames(architecture, KNOWN_VIT_MODELS.map((m) => m.name));
  const slashHint = id.includes('/') && !id.includes(':') ? `\nFor a hub repository, write hf-hub:${id}` : '';
  return new HubError(
    'UNKNOWN_MODEL',
    `Unknown model "${id}".${suggestions.length > 0 ? ` Did you mean: ${suggestions.join(', ')}?` : ''}` +
      slashHint +
      `\nKnown models: ${KNOWN_VIT_MODELS.map((m) => m.name).join(', ')}` +
      '\nAny timm checkpoint on the hub can also be named as hf-hub:ORG/NAME[@REVISION].',
    { suggestions },
  );
}

function unknownTag(id: string, model: KnownModel, tag: string): HubError {
  const known = model.tags.map((tg) => `${model.name}.${tg.tag}`);
  const suggestions = closestNames(id, known);
  return new HubError(
    'UNKNOWN_MODEL',
    `Unknown pretrained tag "${tag}" for ${model.name}.${suggestions.length > 0 ? ` Did you mean: ${suggestions.join(', ')}?` : ''}` +
      `\nKnown tags: ${model.tags.map((tg) => tg.tag).join(', ')} (default: ${model.tags[0].tag}).` +
      `\nFor a tag not in this list, name the repository directly: hf-hub:timm/${model.name}.${tag}`,
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
  const model = findKnownModel(architecture);
  if (!model) throw unknownModel(trimmed);

  const pretrained = requestedTag === undefined ? model.tags[0] : model.tags.find((tg) => tg.tag === requestedTag);
  if (!pretrained) throw unknownTag(trimmed, model, requestedTag as string);

  return {
    id,
    repo: `timm/${model.name}.${pretrained.tag}`,
    revision: DEFAULT_REVISION,
    files: MODEL_FILES.map((f) => ({ ...f })),
    architecture: model.name,
    tag: pretrained.tag,
    numClasses: pretrained.numClasses,
  };
}

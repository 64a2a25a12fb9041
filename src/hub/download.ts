/**
 * The hub client's entry points: make model files available locally, from the cache when possible.
 *
 * Contract:
 * - Cache first: if refs/<revision> (or the revision itself, when it is a commit hash) leads to a
 *   snapshot that already has the file, it is returned without any network request. A ref that does
 *   not hold a commit hash is ignored (a warning in `warnings`, and in the error if the call fails). This is how files
 *   downloaded earlier, by us or by Python's huggingface_hub/timm, are reused. (Unlike Python we do not
 *   ask the hub whether `main` moved on each run: a classifier wants the same weights every time.)
 * - Otherwise: HEAD the resolve URL (commit, etag, size, CDN location), write refs/<revision>, reuse
 *   blobs/<etag> if present, else download it (transfer.ts) under a lock, then link the snapshot.
 * - Offline (HF_HUB_OFFLINE or `offline: true`): never touches the network; a miss is
 *   HubError('OFFLINE_NOT_CACHED').
 * - `config.json` is optional and pinned to the weights' commit, so both come from one snapshot. Its
 *   absence is remembered in `.no_exist/<commit>/config.json` (as Python does) so later runs need no
 *   request; other failures fetching it become `warnings`, never a failed call.
 * - Every error is a HubError whose message names the URL tried, the cache folder, and the direct URL
 *   to download the weights by hand for `--weights`.
 * - Secrets never leave: errors and warnings pass through redact.ts on the way out (the token, in any
 *   form, and URL passwords are masked), and a token or endpoint that cannot be used is INVALID_SETTING
 *   before the first request, without being shown.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import {
  blobExists,
  cachedCommitFor,
  cachePaths,
  findSnapshotFile,
  isKnownMissing,
  linkSnapshotToBlob,
  markMissing,
  repoCache,
  sha256FromEtag,
  writeRef,
  type RepoCache,
} from './cache-layout.js';
import { describeFailure, HubError, isHubError, type FailureContext } from './errors.js';
import { checkNetworkSettings, fetchFileMetadata, RetryBudget } from './http.js';
import { withFileLock } from './lock.js';
import { DEFAULT_REVISION, sizeLimitFor, WEIGHTS_FILE, type HubRepoRequest, type ModelFile } from './repo-files.js';
import { redact, redactError } from './redact.js';
import { resolveHubSettings, type HubOptions, type HubSettings } from './settings.js';
import { downloadBlob } from './transfer.js';

export interface HubFileRequest {
  /** ORG/NAME. */
  repo: string;
  /** File path inside the repository. */
  file: string;
  /** Branch, tag or commit; default main. */
  revision?: string;
}

export interface HubFileResult {
  /** snapshots/<commit>/<file> inside the cache (a symlink to the blob). */
  path: string;
  commit: string;
  /** True when no byte of this file had to be downloaded. */
  fromCache: boolean;
  /** Non-fatal problems, e.g. a malformed ref in the cache that was ignored. */
  warnings: string[];
}

export interface EnsuredModelFiles {
  weightsPath: string;
  /** Absent when the repository has no config.json (or it could not be fetched: see warnings). */
  configPath?: string;
  /** A transformers preprocessor_config.json (hf-hub: ids only), in the same snapshot folder as the weights. */
  preprocessorConfigPath?: string;
  repo: string;
  revision: string;
  commit: string;
  /** True when the weights came from the cache without downloading. */
  fromCache: boolean;
  /** Non-fatal problems, e.g. config.json could not be fetched. */
  warnings: string[];
}

/** `${endpoint}/${repo}/resolve/${revision}/${file}`, quoted like huggingface_hub's hf_hub_url. */
export function hubFileUrl(endpoint: string, repo: string, revision: string, file: string): string {
  const quotedFile = file.split('/').map(encodeURIComponent).join('/');
  return `${endpoint.replace(/\/+$/, '')}/${repo}/resolve/${encodeURIComponent(revision)}/${quotedFile}`;
}

interface FileJob {
  settings: HubSettings;
  cache: RepoCache;
  repo: string;
  revision: string;
  file: string;
  /** Context for messages: includes the manual URL of the weights, whatever file is being fetched. */
  context: FailureContext;
  /** Non-fatal problems met on the way; repeated in the error message if the job fails. */
  warnings: string[];
}

/** The warnings, as lines appended to an error message: they may explain it (e.g. offline with an ignored ref). */
function warningHints(job: FileJob): string[] {
  return job.warnings.map((warning) => `Note: ${warning}`);
}

function offlineError(job: FileJob): HubError {
  return new HubError(
    'OFFLINE_NOT_CACHED',
    describeFailure(
      `${job.file} of ${job.repo} is not in the local cache, and offline mode is on (HF_HUB_OFFLINE or the offline option), so nothing was downloaded.`,
      { ...job.context, url: `${job.context.url} (not contacted: offline)` },
      [
        `  Looked for: refs/${job.revision} -> snapshots/<commit>/${job.file} in the cache folder above.`,
        'To fix: run once with network access (unset HF_HUB_OFFLINE), or copy a cache folder from a machine that has it.',
        ...warningHints(job),
      ],
    ),
    { url: job.context.url, cacheDir: job.context.cacheDir, manualUrl: job.context.manualUrl },
  );
}

function headlineFor(error: HubError, job: FileJob, hasToken: boolean): { headline: string; hints: string[] } {
  const where = `${job.repo} (revision ${job.revision})`;
  switch (error.code) {
    case 'NOT_FOUND':
      if (error.notFound === 'repository') {
        return {
          headline: `Repository ${job.repo} was not found on ${job.settings.endpoint}.`,
          hints: ['Check the model id. A private repository also looks missing without a token: set HF_TOKEN.'],
        };
      }
      if (error.notFound === 'revision') {
        return { headline: `Revision "${job.revision}" does not exist in ${job.repo}.`, hints: [] };
      }
      return {
        headline: `${job.file} does not exist in ${where}.`,
        hints: job.file === WEIGHTS_FILE ? ['vit reads safetensors weights only; this repository may only have pytorch_model.bin.'] : [],
      };
    case 'UNAUTHORIZED':
      return {
        headline: `Access to ${job.repo} was refused (HTTP ${error.status ?? '?'}).`,
        hints: [
          hasToken
            ? 'A token (HF_TOKEN) was sent but refused, or it has no access to this repository. Gated repositories need their terms accepted on the model page first.'
            : 'No token was sent. If the repository is private or gated, set HF_TOKEN (create one at https://huggingface.co/settings/tokens). The hub also answers 401 for repositories that do not exist.',
        ],
      };
    case 'NETWORK':
    case 'TIMEOUT':
      return {
        headline: `Could not download ${job.file} of ${where}: ${error.message}`,
        hints: [
          "Check the network connection. Behind a proxy or firewall? Node's built-in fetch ignores HTTPS_PROXY; point HF_ENDPOINT at a reachable mirror, or get the file by hand.",
        ],
      };
    case 'HTTP':
      return { headline: `Downloading ${job.file} of ${where} failed: ${error.message}`, hints: ['The hub may be having trouble; try again later.'] };
    case 'CHECKSUM':
    case 'SIZE_MISMATCH':
      return { headline: error.message, hints: ['Nothing was stored in the cache. Run the command again; if it keeps failing, get the file by hand.'] };
    default:
      return { headline: error.message, hints: [] };
  }
}

/** Re-throws a low-level HubError with the full user-facing message (URL, cache folder, manual route). */
function withContext(error: unknown, job: FileJob): HubError {
  if (!isHubError(error)) {
    // A local filesystem failure (disk full, permissions): say where, keep the original as cause.
    const reason = error instanceof Error ? error.message : String(error);
    return new HubError('CACHE_IO', describeFailure(`Could not store ${job.file} of ${job.repo} in the cache: ${reason}`, job.context, warningHints(job)), {
      cacheDir: job.context.cacheDir,
      manualUrl: job.context.manualUrl,
      cause: error,
    });
  }
  const { headline, hints } = headlineFor(error, job, Boolean(job.settings.client.token));
  const url = error.url && error.url !== job.context.url ? `${job.context.url} (then ${stripQuery(error.url)})` : job.context.url;
  // A manual download link is useless when the hub just said the file is not there.
  const manualUrl = error.code === 'NOT_FOUND' ? undefined : job.context.manualUrl;
  if (!manualUrl) hints.push('If you have the weights as a local file, pass it with `--weights <file>`.');
  hints.push(...warningHints(job));
  return new HubError(error.code, describeFailure(headline, { ...job.context, url, manualUrl }, hints), {
    url: error.url ?? job.context.url,
    status: error.status,
    cacheDir: job.context.cacheDir,
    manualUrl,
    notFound: error.notFound,
    commit: error.commit,
    cause: error,
  });
}

/** CDN URLs carry long signatures; the origin and path are what a human needs to read. */
function stripQuery(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return url;
  }
}

async function fetchFromHub(job: FileJob): Promise<Omit<HubFileResult, 'warnings'>> {
  const { settings, cache, revision, file } = job;
  const url = hubFileUrl(settings.endpoint, job.repo, revision, file);
  checkNetworkSettings(settings.client);

  const budget = new RetryBudget(settings.client); // one per file: the HEAD and every GET share it
  let metadata;
  try {
    metadata = await fetchFileMetadata(settings.client, budget, url);
  } catch (error) {
    if (isHubError(error, 'NOT_FOUND') && error.notFound === 'file' && error.commit) {
      // Remember the absence like Python does, so the next run needs no request for it.
      await markMissing(cache, error.commit, file).catch(() => undefined);
      await writeRef(cache, revision, error.commit).catch(() => undefined);
    }
    throw error;
  }

  await writeRef(cache, revision, metadata.commit);
  const existing = await findSnapshotFile(cache, metadata.commit, file);
  if (existing) return { path: existing, commit: metadata.commit, fromCache: true };

  let downloadedHere = false;
  await withFileLock(cachePaths.lock(cache, metadata.etag), async () => {
    // Another process may have finished the same blob while we waited for the lock.
    if (await blobExists(cache, metadata.etag)) return;
    const blobPath = cachePaths.blob(cache, metadata.etag);
    await fs.mkdir(path.dirname(blobPath), { recursive: true });
    await downloadBlob(settings.client, budget, {
      file,
      url: metadata.location,
      incompletePath: cachePaths.incomplete(cache, metadata.etag),
      blobPath,
      expectedSize: metadata.size,
      maxBytes: sizeLimitFor(file),
      expectedSha256: sha256FromEtag(metadata.etag),
      onProgress: settings.onProgress,
      progressIntervalMs: settings.progressIntervalMs,
    });
    downloadedHere = true;
  });
  const pointer = await linkSnapshotToBlob(cache, metadata.commit, file, metadata.etag, { newBlob: downloadedHere });
  return { path: pointer, commit: metadata.commit, fromCache: !downloadedHere };
}

async function fetchFile(job: FileJob): Promise<HubFileResult> {
  const commit = await cachedCommitFor(job.cache, job.revision, job.warnings);
  if (commit) {
    const cached = await findSnapshotFile(job.cache, commit, job.file);
    if (cached) return { path: cached, commit, fromCache: true, warnings: job.warnings };
  }
  if (job.settings.offline) throw offlineError(job);
  try {
    return { ...(await fetchFromHub(job)), warnings: job.warnings };
  } catch (error) {
    throw withContext(error, job);
  }
}

function makeJob(settings: HubSettings, repo: string, revision: string, file: string, manualRevision = revision): FileJob {
  const cache = repoCache(settings.cacheDir, repo);
  return {
    settings,
    cache,
    repo,
    revision,
    file,
    warnings: [],
    context: {
      url: hubFileUrl(settings.endpoint, repo, revision, file),
      cacheDir: cache.dir,
      manualUrl: hubFileUrl(settings.endpoint, repo, manualRevision, WEIGHTS_FILE),
    },
  };
}

/** The one exit of the public functions: every error and warning leaves with its secrets masked (redact.ts). */
async function redacted<T extends { warnings: string[] }>(settings: HubSettings, run: () => Promise<T>): Promise<T> {
  let result: T;
  try {
    result = await run();
  } catch (error) {
    throw redactError(error, settings.secrets);
  }
  return { ...result, warnings: result.warnings.map((warning) => redact(warning, settings.secrets)) };
}

/** One file of one repository, like huggingface_hub's hf_hub_download (cache-first, see the header). */
export async function downloadHubFile(request: HubFileRequest, options: HubOptions = {}): Promise<HubFileResult> {
  const settings = resolveHubSettings(options);
  return redacted(settings, () => fetchFile(makeJob(settings, request.repo, request.revision ?? DEFAULT_REVISION, request.file)));
}

async function fetchOptionalFile(job: FileJob, commit: string, warnings: string[]): Promise<string | undefined> {
  const cached = await findSnapshotFile(job.cache, commit, job.file);
  if (cached) return cached;
  if ((await isKnownMissing(job.cache, commit, job.file)) || job.settings.offline) return undefined;
  try {
    const fetched = await fetchFile(job);
    warnings.push(...fetched.warnings);
    return fetched.path;
  } catch (error) {
    if (isHubError(error, 'NOT_FOUND') && error.notFound === 'file') {
      await markMissing(job.cache, commit, job.file).catch(() => undefined);
      return undefined;
    }
    warnings.push(`${job.file} could not be fetched; continuing without it. ${isHubError(error) ? error.message.split('\n')[0] : String(error)}`);
    return undefined;
  }
}

/**
 * Makes a repository's weights (and its optional files, when it has them) available locally.
 * See the header of this file for the cache rules.
 */
export async function ensureModelFiles(model: HubRepoRequest, options: HubOptions = {}): Promise<EnsuredModelFiles> {
  const settings = resolveHubSettings(options);
  return redacted(settings, () => ensureWithSettings(model, settings));
}

async function ensureWithSettings(model: HubRepoRequest, settings: HubSettings): Promise<EnsuredModelFiles> {
  const warnings: string[] = [];

  const weightsFile = model.files.find((f) => f.role === 'weights')?.path ?? WEIGHTS_FILE;
  const weights = await fetchFile(makeJob(settings, model.repo, model.revision, weightsFile));
  warnings.push(...weights.warnings);

  // Pinned to the weights' commit: all files from the same snapshot, and no refs rewrite.
  const fetchOptional = async (role: ModelFile['role']) => {
    const spec = model.files.find((f) => f.role === role);
    if (spec === undefined) return undefined;
    return fetchOptionalFile(makeJob(settings, model.repo, weights.commit, spec.path, model.revision), weights.commit, warnings);
  };
  const configPath = await fetchOptional('config');
  const preprocessorConfigPath = await fetchOptional('preprocessor');

  return {
    weightsPath: weights.path,
    configPath,
    preprocessorConfigPath,
    repo: model.repo,
    revision: model.revision,
    commit: weights.commit,
    fromCache: weights.fromCache,
    warnings,
  };
}

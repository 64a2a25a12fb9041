/**
 * The on-disk layout of one repository in the Hugging Face hub cache, byte-compatible with Python's
 * huggingface_hub (`file_download.py`), so files downloaded by either side are reused by the other:
 *
 *   <cacheDir>/models--ORG--NAME/
 *     blobs/<etag>                      file contents; etag = sha256 (LFS) or git sha1 (small files)
 *     blobs/<etag>.incomplete           a transfer in progress (kept between runs to resume it)
 *     snapshots/<commit>/<file>         relative symlink -> ../../blobs/<etag>
 *     refs/<revision>                   the commit hash, 40 hex chars, no trailing newline
 *     .no_exist/<commit>/<file>         empty marker: <file> does not exist at <commit>
 *
 * Contract: paths are computed, never trusted: anything that would resolve outside the repository
 * folder is rejected. Only 40-hex commit hashes are written to refs/ or .no_exist/; a ref on disk that is
 * not one is ignored with a warning (treated as not cached), never fatal. Reads tolerate a trailing
 * newline in refs (hand-written caches); writes never add one.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { HubError } from './errors.js';

export const COMMIT_HASH_RE = /^[0-9a-f]{40}$/;
const SHA256_RE = /^[0-9a-f]{64}$/;

export interface RepoCache {
  /** Cache root (HF_HUB_CACHE). */
  cacheDir: string;
  /** The repository folder, `<cacheDir>/models--ORG--NAME`. */
  dir: string;
  repo: string;
}

/** `timm/vit_x` -> `models--timm--vit_x`, as huggingface_hub's repo_folder_name does. */
export function repoFolderName(repo: string): string {
  return ['models', ...repo.split('/')].join('--');
}

export function repoCache(cacheDir: string, repo: string): RepoCache {
  return { cacheDir, dir: path.join(cacheDir, repoFolderName(repo)), repo };
}

/** Joins inside the repository folder and refuses anything that climbs out of it (`..`, absolute parts). */
function inside(cache: RepoCache, ...parts: string[]): string {
  const joined = path.resolve(cache.dir, ...parts);
  const root = path.resolve(cache.dir);
  if (joined !== root && !joined.startsWith(root + path.sep)) {
    throw new HubError('INVALID_ID', `Refusing a cache path outside ${root}: ${parts.join('/')}`);
  }
  return joined;
}

function localRelative(file: string): string[] {
  // Hub file names always use '/', whatever the local separator is.
  return file.split('/');
}

export const cachePaths = {
  blob: (cache: RepoCache, etag: string) => inside(cache, 'blobs', etag),
  incomplete: (cache: RepoCache, etag: string) => inside(cache, 'blobs', `${etag}.incomplete`),
  snapshot: (cache: RepoCache, commit: string, file: string) =>
    inside(cache, 'snapshots', commit, ...localRelative(file)),
  ref: (cache: RepoCache, revision: string) => inside(cache, 'refs', ...revision.split('/')),
  noExist: (cache: RepoCache, commit: string, file: string) =>
    inside(cache, '.no_exist', commit, ...localRelative(file)),
  /** Our own lock name: Python leaves its `.locks/**.lock` files behind, so their existence means nothing. */
  lock: (cache: RepoCache, etag: string) => path.join(cache.cacheDir, '.locks', repoFolderName(cache.repo), `${etag}.vit.lock`),
};

export function isCommitHash(revision: string): boolean {
  return COMMIT_HASH_RE.test(revision);
}

/** Last line of defence: nothing but a commit hash is ever written into refs/ or used as a folder name by a writer. */
function assertCommitHash(commit: string): void {
  if (!isCommitHash(commit)) {
    throw new HubError('BAD_RESPONSE', `Refusing to record ${preview(commit)} as a commit: a commit is 40 lower-case hex digits.`);
  }
}

/** An LFS etag is the sha256 of the content; a git etag (small files) is a sha1 of a git object and not checkable. */
export function sha256FromEtag(etag: string): string | undefined {
  return SHA256_RE.test(etag) ? etag : undefined;
}

async function isFile(p: string): Promise<boolean> {
  try {
    // stat follows symlinks: a snapshot link whose blob was deleted does not count as cached.
    return (await fs.stat(p)).isFile();
  } catch {
    return false;
  }
}

// A ref is 40 characters; reading a little more tells a hash with a trailing newline from a longer file.
const REF_READ_LIMIT = 256;

async function readHead(file: string, limit: number): Promise<string> {
  const handle = await fs.open(file, 'r');
  try {
    const buffer = Buffer.alloc(limit);
    const { bytesRead } = await handle.read(buffer, 0, limit, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

/** What a warning shows of a file that should have held a hash: escaped (no terminal control codes), short. */
function preview(content: string): string {
  return JSON.stringify(content.length > 60 ? `${content.slice(0, 60)}…` : content);
}

/**
 * The commit refs/<revision> holds, if it holds one. A ref that is not a commit hash (hand-edited, or
 * written by an older client from a hostile server) is ignored, as if absent, and a warning saying so
 * is pushed to `warnings`: a broken ref must never make every later run fail.
 */
export async function readRef(cache: RepoCache, revision: string, warnings?: string[]): Promise<string | undefined> {
  const refPath = cachePaths.ref(cache, revision);
  let content: string;
  try {
    content = await readHead(refPath, REF_READ_LIMIT);
  } catch {
    return undefined;
  }
  const commit = content.trim();
  if (commit === '') return undefined;
  if (isCommitHash(commit)) return commit;
  warnings?.push(`${refPath} is not a commit hash (it holds ${preview(content)}), so it was ignored: the revision counts as not cached.`);
  return undefined;
}

/** Records revision -> commit like `_cache_commit_hash_for_specific_revision`: no-op for commit revisions or unchanged refs. */
export async function writeRef(cache: RepoCache, revision: string, commit: string): Promise<void> {
  assertCommitHash(commit);
  if (revision === commit) return;
  if ((await readRef(cache, revision)) === commit) return;
  const refPath = cachePaths.ref(cache, revision);
  await fs.mkdir(path.dirname(refPath), { recursive: true });
  await fs.writeFile(refPath, commit);
}

/** The commit a revision points to according to the cache: itself if it is a commit hash, else refs/<revision>. */
export async function cachedCommitFor(cache: RepoCache, revision: string, warnings?: string[]): Promise<string | undefined> {
  return isCommitHash(revision) ? revision : readRef(cache, revision, warnings);
}

/** The snapshot path of `file` at `commit` if it resolves to an existing file. */
export async function findSnapshotFile(cache: RepoCache, commit: string, file: string): Promise<string | undefined> {
  const pointer = cachePaths.snapshot(cache, commit, file);
  return (await isFile(pointer)) ? pointer : undefined;
}

export async function blobExists(cache: RepoCache, etag: string): Promise<boolean> {
  return isFile(cachePaths.blob(cache, etag));
}

export async function isKnownMissing(cache: RepoCache, commit: string, file: string): Promise<boolean> {
  return isFile(cachePaths.noExist(cache, commit, file));
}

/** Remembers that `file` does not exist at `commit` (an empty marker, as huggingface_hub writes). */
export async function markMissing(cache: RepoCache, commit: string, file: string): Promise<void> {
  assertCommitHash(commit);
  const marker = cachePaths.noExist(cache, commit, file);
  await fs.mkdir(path.dirname(marker), { recursive: true });
  await fs.writeFile(marker, '');
}

/**
 * Points snapshots/<commit>/<file> at blobs/<etag> with a relative symlink (survives moving the cache).
 * Where symlinks are not allowed (Windows without developer mode), falls back the way Python does:
 * move a fresh blob into place, copy a shared one.
 */
export async function linkSnapshotToBlob(
  cache: RepoCache,
  commit: string,
  file: string,
  etag: string,
  options: { newBlob: boolean },
): Promise<string> {
  const pointer = cachePaths.snapshot(cache, commit, file);
  const blob = cachePaths.blob(cache, etag);
  await fs.mkdir(path.dirname(pointer), { recursive: true });
  const target = path.relative(path.dirname(pointer), blob);
  await fs.rm(pointer, { force: true });
  try {
    await fs.symlink(target, pointer);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      // Another process linked it between rm and symlink; fine if it points at the same blob.
      if (path.resolve(path.dirname(pointer), await fs.readlink(pointer)) === blob) return pointer;
      throw error;
    }
    if (code !== 'EPERM' && code !== 'EACCES' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw error;
    if (options.newBlob) await fs.rename(blob, pointer);
    else await fs.copyFile(blob, pointer);
  }
  return pointer;
}

import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  cachedCommitFor,
  cachePaths,
  findSnapshotFile,
  linkSnapshotToBlob,
  markMissing,
  readRef,
  repoCache,
  repoFolderName,
  sha256FromEtag,
  writeRef,
} from '../../src/hub/cache-layout.js';
import { HubError } from '../../src/hub/errors.js';
import { normalizeEtag, requestHeaders, statusError, type HttpClient } from '../../src/hub/http.js';

let tmp: string;
beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'vit-hub-layout-'));
});
afterEach(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const COMMIT = '0123456789abcdef0123456789abcdef01234567';

describe('cache layout', () => {
  it('names repository folders like huggingface_hub', () => {
    expect(repoFolderName('timm/vit_base_patch16_384.augreg_in21k_ft_in1k')).toBe(
      'models--timm--vit_base_patch16_384.augreg_in21k_ft_in1k',
    );
  });

  it('writes refs without a newline, skips commit revisions, and reads back', async () => {
    const cache = repoCache(tmp, 'org/name');
    await writeRef(cache, 'main', COMMIT);
    expect(await fs.readFile(cachePaths.ref(cache, 'main'), 'utf8')).toBe(COMMIT);
    await writeRef(cache, COMMIT, COMMIT);
    await expect(fs.stat(cachePaths.ref(cache, COMMIT))).rejects.toThrow();
    expect(await cachedCommitFor(cache, 'main')).toBe(COMMIT);
    expect(await cachedCommitFor(cache, COMMIT)).toBe(COMMIT);
  });

  it('tolerates a trailing newline in a hand-written ref', async () => {
    const cache = repoCache(tmp, 'org/name');
    await fs.mkdir(path.join(cache.dir, 'refs'), { recursive: true });
    await fs.writeFile(path.join(cache.dir, 'refs', 'main'), `${COMMIT}\n`);
    expect(await readRef(cache, 'main')).toBe(COMMIT);
  });

  it('never writes anything but a commit hash into refs/ or .no_exist/', async () => {
    const cache = repoCache(tmp, 'org/name');
    for (const bad of ['../../../../tmp/x', 'A'.repeat(40), COMMIT.slice(1), `${COMMIT}\n`]) {
      await expect(writeRef(cache, 'main', bad)).rejects.toMatchObject({ code: 'BAD_RESPONSE' });
      await expect(markMissing(cache, bad, 'config.json')).rejects.toMatchObject({ code: 'BAD_RESPONSE' });
    }
    expect(await fs.readdir(cache.dir).catch(() => [])).toEqual([]);
  });

  it('ignores a ref that is not a commit hash, with a warning that shows it escaped', async () => {
    const cache = repoCache(tmp, 'org/name');
    await fs.mkdir(path.join(cache.dir, 'refs'), { recursive: true });
    await fs.writeFile(path.join(cache.dir, 'refs', 'main'), '\u001b[31mred');
    const warnings: string[] = [];
    expect(await cachedCommitFor(cache, 'main', warnings)).toBeUndefined();
    expect(warnings).toEqual([`${path.join(cache.dir, 'refs', 'main')} is not a commit hash (it holds "\\u001b[31mred"), so it was ignored: the revision counts as not cached.`]);
    // A commit revision never reads refs/.
    expect(await cachedCommitFor(cache, COMMIT, warnings)).toBe(COMMIT);
    expect(warnings).toHaveLength(1);
  });

  it('links snapshots to blobs with a relative symlink, also for nested files', async () => {
    const cache = repoCache(tmp, 'org/name');
    const etag = 'e'.repeat(64);
    await fs.mkdir(path.join(cache.dir, 'blobs'), { recursive: true });
    await fs.writeFile(cachePaths.blob(cache, etag), 'bytes');
    const flat = await linkSnapshotToBlob(cache, COMMIT, 'model.safetensors', etag, { newBlob: true });
    expect(await fs.readlink(flat)).toBe(`../../blobs/${etag}`);
    const nested = await linkSnapshotToBlob(cache, COMMIT, 'sub/dir/weights.bin', etag, { newBlob: false });
    expect(await fs.readlink(nested)).toBe(`../../../../blobs/${etag}`);
    expect(await findSnapshotFile(cache, COMMIT, 'sub/dir/weights.bin')).toBe(nested);
  });

  it('does not count a snapshot link whose blob is gone as cached', async () => {
    const cache = repoCache(tmp, 'org/name');
    const pointer = cachePaths.snapshot(cache, COMMIT, 'model.safetensors');
    await fs.mkdir(path.dirname(pointer), { recursive: true });
    await fs.symlink('../../blobs/missing', pointer);
    expect(await findSnapshotFile(cache, COMMIT, 'model.safetensors')).toBeUndefined();
  });

  it('refuses paths that would leave the repository folder', () => {
    const cache = repoCache(tmp, 'org/name');
    expect(() => cachePaths.ref(cache, '../../outside')).toThrow(HubError);
    expect(() => cachePaths.snapshot(cache, COMMIT, '../../../x')).toThrow(HubError);
  });

  it('only treats 64-hex etags as checkable sha256', () => {
    expect(sha256FromEtag('a'.repeat(64))).toBe('a'.repeat(64));
    expect(sha256FromEtag('a'.repeat(40))).toBeUndefined();
  });
});

describe('http helpers', () => {
  const client: HttpClient = {
    fetch: globalThis.fetch,
    endpoint: 'https://hub.example',
    token: 'hf_secret',
    retries: 0,
    retryDelayMs: 0,
    etagTimeout: { ms: 1000, setting: 'test' },
    downloadTimeout: { ms: 1000, setting: 'test' },
  };

  it('normalizes quoted and weak etags like huggingface_hub', () => {
    expect(normalizeEtag('"abc"')).toBe('abc');
    expect(normalizeEtag('W/"abc"')).toBe('abc');
    expect(normalizeEtag('abc')).toBe('abc');
    expect(normalizeEtag(null)).toBeUndefined();
  });

  it('sends the token only to the endpoint origin (scheme, host and port)', () => {
    expect(requestHeaders(client, 'https://hub.example/a/b').Authorization).toBe('Bearer hf_secret');
    expect(requestHeaders(client, 'https://cdn.example/a').Authorization).toBeUndefined();
    expect(requestHeaders(client, 'https://hub.example:8443/a').Authorization).toBeUndefined();
    expect(requestHeaders(client, 'http://hub.example/a').Authorization).toBeUndefined();
    expect(requestHeaders(client, 'https://hub.example.evil.com/a').Authorization).toBeUndefined();
  });

  it('maps hub error headers to codes', () => {
    const err = (status: number, headers: Record<string, string> = {}) =>
      statusError(new Response(null, { status, headers }), 'https://hub.example/x');
    expect(err(404, { 'X-Error-Code': 'EntryNotFound', 'X-Repo-Commit': COMMIT })).toMatchObject({
      code: 'NOT_FOUND',
      notFound: 'file',
      commit: COMMIT,
    });
    expect(err(404, { 'X-Error-Code': 'RepoNotFound' })).toMatchObject({ code: 'NOT_FOUND', notFound: 'repository' });
    expect(err(404, { 'X-Error-Code': 'RepositoryNotFound' })).toMatchObject({ notFound: 'repository' });
    expect(err(404, { 'X-Error-Code': 'RevisionNotFound' })).toMatchObject({ notFound: 'revision' });
    expect(err(401)).toMatchObject({ code: 'UNAUTHORIZED', status: 401 });
    expect(err(403, { 'X-Error-Code': 'GatedRepo' }).message).toContain('gated');
    expect(err(503)).toMatchObject({ code: 'HTTP', status: 503, retryable: true });
    expect(err(400)).toMatchObject({ code: 'HTTP', retryable: false });
  });
});

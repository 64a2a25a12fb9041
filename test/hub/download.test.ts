import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { downloadModel as ensureModelFiles } from '../../src/app/download.js';
import { downloadHubFile, hubFileUrl } from '../../src/hub/download.js';
import { HubError } from '../../src/hub/errors.js';
import type { DownloadProgress } from '../../src/hub/progress.js';
import type { HubOptions } from '../../src/hub/settings.js';
import { blackHole, closedPort, gitBlobSha1, lfsFile, MockHub, randomCommit, sha256, smallFile } from './mock-hub.js';

const REPO = 'timm/vit_base_patch16_384.augreg_in21k_ft_in1k';
const FOLDER = 'models--timm--vit_base_patch16_384.augreg_in21k_ft_in1k';
const MODEL_ID = 'vit_base_patch16_384';
const WEIGHTS = randomBytes(48 * 1024);
const WEIGHTS_SHA = sha256(WEIGHTS);
const CONFIG = JSON.stringify({ architecture: 'vit_base_patch16_384', num_classes: 1000 });
const CONFIG_SHA1 = gitBlobSha1(Buffer.from(CONFIG));
const PREPROCESSOR = JSON.stringify({ image_processor_type: 'ViTImageProcessor', size: { height: 384, width: 384 }, resample: 2 });
const COMMIT = randomCommit();
const OTHER_COMMIT = randomCommit();

let hub: MockHub;
let tmp: string;
let cacheDir: string;
let repoDir: string;

beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'vit-hub-'));
  cacheDir = path.join(tmp, 'hub-cache');
  repoDir = path.join(cacheDir, FOLDER);
  hub = await MockHub.start({
    repos: {
      [REPO]: { commit: COMMIT, files: { 'model.safetensors': lfsFile(WEIGHTS), 'config.json': smallFile(CONFIG) } },
      'timm/no-config': { commit: OTHER_COMMIT, files: { 'model.safetensors': lfsFile(WEIGHTS) } },
      'timm/only-bin': { commit: OTHER_COMMIT, files: { 'pytorch_model.bin': lfsFile(WEIGHTS) } },
      'acme/private-vit': { commit: OTHER_COMMIT, token: 'hf_secret', files: { 'model.safetensors': lfsFile(WEIGHTS) } },
      'google/vit-like': {
        commit: OTHER_COMMIT,
        files: { 'model.safetensors': lfsFile(WEIGHTS), 'config.json': smallFile(CONFIG), 'preprocessor_config.json': smallFile(PREPROCESSOR) },
      },
    },
    renamed: { 'old-org/old-name': 'timm/no-config' },
  });
});

afterEach(async () => {
  await hub.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

/** Isolated options: explicit cache and endpoint, an empty env (no real HF_TOKEN/HF_HUB_OFFLINE), tiny delays. */
function options(extra: Partial<HubOptions> = {}): HubOptions {
  return { cacheDir, endpoint: hub.endpoint, env: {}, retries: 3, retryDelayMs: 1, ...extra };
}

async function failure(promise: Promise<unknown>): Promise<HubError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(HubError);
    return error as HubError;
  }
  throw new Error('expected the call to fail');
}

async function exists(p: string): Promise<boolean> {
  return fs.lstat(p).then(
    () => true,
    () => false,
  );
}

async function blobDirEntries(dir = repoDir): Promise<string[]> {
  return fs.readdir(path.join(dir, 'blobs')).catch(() => []);
}

/** Writes a cache tree exactly as Python's huggingface_hub does (relative links, ref without newline). */
async function writePythonStyleCache(files: Record<string, { etag: string; content: string | Buffer }>, commit = COMMIT) {
  await fs.mkdir(path.join(repoDir, 'blobs'), { recursive: true });
  await fs.mkdir(path.join(repoDir, 'snapshots', commit), { recursive: true });
  await fs.mkdir(path.join(repoDir, 'refs'), { recursive: true });
  for (const [name, { etag, content }] of Object.entries(files)) {
    await fs.writeFile(path.join(repoDir, 'blobs', etag), content);
    await fs.symlink(`../../blobs/${etag}`, path.join(repoDir, 'snapshots', commit, name));
  }
  await fs.writeFile(path.join(repoDir, 'refs', 'main'), commit);
}

describe('first download', () => {
  it('stores blobs, relative snapshot links and refs/main exactly as huggingface_hub does', async () => {
    const result = await ensureModelFiles(MODEL_ID, options());

    const snapshot = path.join(repoDir, 'snapshots', COMMIT);
    expect(result).toMatchObject({
      weightsPath: path.join(snapshot, 'model.safetensors'),
      configPath: path.join(snapshot, 'config.json'),
      repo: REPO,
      revision: 'main',
      commit: COMMIT,
      fromCache: false,
      warnings: [],
    });
    expect(await fs.readlink(result.weightsPath)).toBe(`../../blobs/${WEIGHTS_SHA}`);
    expect(await fs.readlink(result.configPath as string)).toBe(`../../blobs/${CONFIG_SHA1}`);
    expect((await fs.readFile(result.weightsPath)).equals(WEIGHTS)).toBe(true);
    expect(await fs.readFile(result.configPath as string, 'utf8')).toBe(CONFIG);

    const ref = await fs.readFile(path.join(repoDir, 'refs', 'main'));
    expect(ref.toString('latin1')).toBe(COMMIT); // 40 bytes, no newline
    expect((await blobDirEntries()).sort()).toEqual([CONFIG_SHA1, WEIGHTS_SHA].sort());
  });

  it('HEADs the endpoint, GETs the LFS blob from the CDN, and pins config.json to the same commit', async () => {
    await ensureModelFiles(MODEL_ID, options());
    const summary = hub.requests.map((r) => `${r.server} ${r.method} ${r.path.split('?')[0]}`);
    expect(summary).toEqual([
      `hub HEAD /${REPO}/resolve/main/model.safetensors`,
      `cdn GET /blobs/${WEIGHTS_SHA}`,
      `hub HEAD /${REPO}/resolve/${COMMIT}/config.json`,
      `hub GET /${REPO}/resolve/${COMMIT}/config.json`,
    ]);
  });

  it('reports progress from 0 to the full size', async () => {
    const events: DownloadProgress[] = [];
    await ensureModelFiles(MODEL_ID, options({ onProgress: (e) => events.push(e), progressIntervalMs: 0 }));
    const weights = events.filter((e) => e.file === 'model.safetensors');
    expect(weights[0]).toMatchObject({ downloaded: 0, total: WEIGHTS.length });
    expect(weights.at(-1)).toMatchObject({ downloaded: WEIGHTS.length, total: WEIGHTS.length, etaSeconds: 0 });
    for (let i = 1; i < weights.length; i++) expect(weights[i].downloaded).toBeGreaterThanOrEqual(weights[i - 1].downloaded);
    expect(events.some((e) => e.file === 'config.json')).toBe(true);
  });

  it('downloads once when two calls race for the same file', async () => {
    const [a, b] = await Promise.all([ensureModelFiles(MODEL_ID, options()), ensureModelFiles(MODEL_ID, options())]);
    expect(a.weightsPath).toBe(b.weightsPath);
    expect(hub.requestsTo('cdn', 'GET')).toHaveLength(1);
    expect((await fs.readFile(a.weightsPath)).equals(WEIGHTS)).toBe(true);
  });
});

describe('transformers repositories', () => {
  it('fetch preprocessor_config.json into the same snapshot as the weights', async () => {
    const result = await ensureModelFiles('hf-hub:google/vit-like', options());
    expect(result.preprocessorConfigPath).toBe(path.join(path.dirname(result.weightsPath), 'preprocessor_config.json'));
    expect(await fs.readFile(result.preprocessorConfigPath!, 'utf8')).toBe(PREPROCESSOR);
  });

  it('are not asked for one when the id names a timm model', async () => {
    await ensureModelFiles(MODEL_ID, options());
    expect(hub.requests.some((r) => r.path.includes('preprocessor_config.json'))).toBe(false);
  });
});

describe('cache hits', () => {
  it('serves the second call from the cache with zero requests', async () => {
    const first = await ensureModelFiles(MODEL_ID, options());
    const before = hub.requests.length;
    const second = await ensureModelFiles(MODEL_ID, options());
    expect(hub.requests.length).toBe(before);
    expect(second).toMatchObject({ weightsPath: first.weightsPath, configPath: first.configPath, commit: COMMIT, fromCache: true });
  });

  it('remembers a missing config.json in .no_exist, so the next call needs no request either', async () => {
    const first = await ensureModelFiles('hf-hub:timm/no-config', options());
    expect(first.configPath).toBeUndefined();
    const marker = path.join(cacheDir, 'models--timm--no-config', '.no_exist', OTHER_COMMIT, 'config.json');
    expect((await fs.readFile(marker)).length).toBe(0);
    const before = hub.requests.length;
    const second = await ensureModelFiles('hf-hub:timm/no-config', options());
    expect(hub.requests.length).toBe(before);
    expect(second).toMatchObject({ fromCache: true, configPath: undefined });
  });

  it('finds a cache laid out by Python huggingface_hub, without any request', async () => {
    await writePythonStyleCache({
      'model.safetensors': { etag: WEIGHTS_SHA, content: WEIGHTS },
      'config.json': { etag: CONFIG_SHA1, content: CONFIG },
    });
    const port = await closedPort(); // any request would fail loudly
    const result = await ensureModelFiles(MODEL_ID, options({ endpoint: `http://127.0.0.1:${port}` }));
    expect(result).toMatchObject({
      weightsPath: path.join(repoDir, 'snapshots', COMMIT, 'model.safetensors'),
      configPath: path.join(repoDir, 'snapshots', COMMIT, 'config.json'),
      commit: COMMIT,
      fromCache: true,
    });
    expect((await fs.readFile(result.weightsPath)).equals(WEIGHTS)).toBe(true);
  });

  it('uses Python-cached weights and fetches only the config.json timm did not download', async () => {
    await writePythonStyleCache({ 'model.safetensors': { etag: WEIGHTS_SHA, content: WEIGHTS } });
    const result = await ensureModelFiles(MODEL_ID, options());
    expect(result.fromCache).toBe(true);
    expect(result.configPath).toBe(path.join(repoDir, 'snapshots', COMMIT, 'config.json'));
    expect(hub.requestsTo('cdn')).toHaveLength(0);
    expect(hub.requests.every((r) => r.path.includes('config.json'))).toBe(true);
  });

  it('reuses an existing blob when a new commit points at the same content', async () => {
    await writePythonStyleCache({ 'model.safetensors': { etag: WEIGHTS_SHA, content: WEIGHTS } }, OTHER_COMMIT);
    await fs.rm(path.join(repoDir, 'refs', 'main')); // the ref is unknown: the HEAD tells us main is COMMIT
    const result = await downloadHubFile({ repo: REPO, file: 'model.safetensors' }, options());
    expect(result).toEqual({ path: path.join(repoDir, 'snapshots', COMMIT, 'model.safetensors'), commit: COMMIT, fromCache: true, warnings: [] });
    expect(hub.requestsTo('cdn')).toHaveLength(0);
    expect(await fs.readlink(result.path)).toBe(`../../blobs/${WEIGHTS_SHA}`);
  });
});

describe('offline mode', () => {
  it('serves files from the cache via refs/main (HF_HUB_OFFLINE=1)', async () => {
    const online = await ensureModelFiles(MODEL_ID, options());
    const before = hub.requests.length;
    const offline = await ensureModelFiles(MODEL_ID, options({ env: { HF_HUB_OFFLINE: '1' } }));
    expect(hub.requests.length).toBe(before);
    expect(offline).toMatchObject({ weightsPath: online.weightsPath, configPath: online.configPath, fromCache: true });
  });

  it('returns cached weights without config.json when only the weights are cached', async () => {
    await writePythonStyleCache({ 'model.safetensors': { etag: WEIGHTS_SHA, content: WEIGHTS } });
    const result = await ensureModelFiles(MODEL_ID, options({ offline: true }));
    expect(result.configPath).toBeUndefined();
    expect(hub.requests).toHaveLength(0);
  });

  it('fails with a clear error naming the cache folder and URL when nothing is cached', async () => {
    const error = await failure(ensureModelFiles(MODEL_ID, options({ offline: true })));
    expect(error.code).toBe('OFFLINE_NOT_CACHED');
    const url = `${hub.endpoint}/${REPO}/resolve/main/model.safetensors`;
    expect(error.message).toContain(repoDir);
    expect(error.message).toContain(url);
    expect(error.message).toContain('--weights');
    expect(error.message).toContain('HF_HUB_OFFLINE');
    expect(error).toMatchObject({ cacheDir: repoDir, manualUrl: url });
    expect(hub.requests).toHaveLength(0);
  });
});

describe('interrupted and corrupt transfers', () => {
  it('resumes with a Range request after a connection reset and ends with the right bytes', async () => {
    hub.faults.resetAfter = { bytes: 10_000, times: 1 };
    const result = await ensureModelFiles(MODEL_ID, options());
    const gets = hub.requestsTo('cdn', 'GET');
    expect(gets).toHaveLength(2);
    expect(gets[0].headers.range).toBeUndefined();
    const resumedAt = Number(gets[1].headers.range?.match(/^bytes=(\d+)-$/)?.[1]);
    expect(resumedAt).toBeGreaterThan(0); // normally 10 000: whatever reached the disk before the cut
    expect(resumedAt).toBeLessThanOrEqual(10_000);
    expect((await fs.readFile(result.weightsPath)).equals(WEIGHTS)).toBe(true);
    expect((await blobDirEntries()).some((n) => n.endsWith('.incomplete'))).toBe(false);
  });

  it('keeps the partial file after a failed run and resumes it on the next run', async () => {
    // The transfer is cut after 10 000 bytes, then the network goes away entirely.
    hub.faults.resetAfter = { bytes: 10_000, times: 1 };
    let cdnConnections = 0;
    const networkDropsAfterFirstCdnRequest: typeof fetch = (input, init) => {
      if (String(input).startsWith(hub.cdnOrigin) && ++cdnConnections > 1) {
        const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
        return Promise.reject(new TypeError('fetch failed', { cause: refused }));
      }
      return fetch(input, init);
    };
    const error = await failure(ensureModelFiles(MODEL_ID, options({ retries: 0, fetch: networkDropsAfterFirstCdnRequest })));
    expect(error.code).toBe('NETWORK');
    const incomplete = path.join(repoDir, 'blobs', `${WEIGHTS_SHA}.incomplete`);
    const kept = (await fs.stat(incomplete)).size;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(10_000);
    expect((await fs.readFile(incomplete)).equals(WEIGHTS.subarray(0, kept))).toBe(true);
    expect(await exists(path.join(repoDir, 'blobs', WEIGHTS_SHA))).toBe(false);
    expect(await exists(path.join(repoDir, 'snapshots', COMMIT, 'model.safetensors'))).toBe(false);

    hub.resetFaults();
    const result = await ensureModelFiles(MODEL_ID, options());
    expect(hub.requestsTo('cdn', 'GET').at(-1)?.headers.range).toBe(`bytes=${kept}-`);
    expect((await fs.readFile(result.weightsPath)).equals(WEIGHTS)).toBe(true);
    expect(await exists(incomplete)).toBe(false);
  });

  it('restarts from byte 0 when the server ignores Range', async () => {
    const incomplete = path.join(repoDir, 'blobs', `${WEIGHTS_SHA}.incomplete`);
    await fs.mkdir(path.dirname(incomplete), { recursive: true });
    await fs.writeFile(incomplete, WEIGHTS.subarray(0, 5000));
    hub.faults.ignoreRange = true;
    const result = await ensureModelFiles(MODEL_ID, options());
    const gets = hub.requestsTo('cdn', 'GET');
    expect(gets).toHaveLength(1);
    expect(gets[0].headers.range).toBe('bytes=5000-');
    expect((await fs.readFile(result.weightsPath)).equals(WEIGHTS)).toBe(true);
  });

  it('rejects a checksum mismatch and leaves nothing behind', async () => {
    hub.faults.corrupt = true;
    const error = await failure(ensureModelFiles(MODEL_ID, options()));
    expect(error.code).toBe('CHECKSUM');
    expect(error.message).toContain(WEIGHTS_SHA);
    expect(error.message).toContain(`${hub.endpoint}/${REPO}/resolve/main/model.safetensors`);
    expect(error.message).toContain('--weights');
    expect(await blobDirEntries()).toEqual([]); // no blob, no .incomplete
    expect(await exists(path.join(repoDir, 'snapshots', COMMIT, 'model.safetensors'))).toBe(false);
  });

  it('drops a resumed file that fails the checksum and downloads it once from scratch', async () => {
    const incomplete = path.join(repoDir, 'blobs', `${WEIGHTS_SHA}.incomplete`);
    await fs.mkdir(path.dirname(incomplete), { recursive: true });
    await fs.writeFile(incomplete, Buffer.alloc(5000, 7)); // garbage left by some earlier run
    const result = await ensureModelFiles(MODEL_ID, options());
    const gets = hub.requestsTo('cdn', 'GET');
    expect(gets.map((g) => g.headers.range)).toEqual(['bytes=5000-', undefined]);
    expect((await fs.readFile(result.weightsPath)).equals(WEIGHTS)).toBe(true);
  });

  it('a local write failure is CACHE_IO at once, not a retried NETWORK error', async () => {
    // A directory where the partial file should be: opening it for writing fails (EISDIR), as a full disk would.
    await fs.mkdir(path.join(repoDir, 'blobs', `${WEIGHTS_SHA}.incomplete`), { recursive: true });
    const error = await failure(ensureModelFiles(MODEL_ID, options()));
    expect(error.code).toBe('CACHE_IO');
    expect(error.message).toContain('EISDIR');
    expect(hub.requestsTo('cdn', 'GET')).toHaveLength(1);
  });

  it.runIf(process.platform === 'linux')('a full disk mid-download (ENOSPC) is CACHE_IO at once, not a retried NETWORK error', async () => {
    await fs.mkdir(path.join(repoDir, 'blobs'), { recursive: true });
    await fs.symlink('/dev/full', path.join(repoDir, 'blobs', `${WEIGHTS_SHA}.incomplete`));
    const error = await failure(ensureModelFiles(MODEL_ID, options()));
    expect(error.code).toBe('CACHE_IO');
    expect(error.message).toContain('ENOSPC');
    expect(hub.requestsTo('cdn', 'GET')).toHaveLength(1);
  });

  it('a server whose size contradicts the announced one leaves no partial file behind', async () => {
    hub.faults.linkedSize = String(WEIGHTS.length + 1000);
    const incomplete = path.join(repoDir, 'blobs', `${WEIGHTS_SHA}.incomplete`);
    await fs.mkdir(path.dirname(incomplete), { recursive: true });
    await fs.writeFile(incomplete, WEIGHTS.subarray(0, 5000));
    const error = await failure(ensureModelFiles(MODEL_ID, options()));
    expect(error.code).toBe('SIZE_MISMATCH'); // the 206's Content-Range total says 49152, not 50152
    expect(error.message).toContain('Nothing was kept');
    expect(await blobDirEntries()).toEqual([]);
  });

  it('does not trust a non-LFS etag as a sha256 (git sha1 is not checked)', async () => {
    const result = await downloadHubFile({ repo: REPO, file: 'config.json' }, options());
    expect(await fs.readFile(result.path, 'utf8')).toBe(CONFIG);
  });
});

describe('retries', () => {
  it('retries 500s and then succeeds', async () => {
    hub.faults.serverErrors = 2;
    const result = await ensureModelFiles(MODEL_ID, options());
    expect(hub.requestsTo('hub', 'HEAD').filter((r) => r.path.includes('model.safetensors'))).toHaveLength(3);
    expect((await fs.readFile(result.weightsPath)).equals(WEIGHTS)).toBe(true);
  });

  it('retries a dropped connection', async () => {
    hub.faults.dropConnections = 2;
    const result = await ensureModelFiles(MODEL_ID, options());
    expect(result.commit).toBe(COMMIT);
  });

  it('gives up after the configured retries with an HTTP error', async () => {
    hub.faults.serverErrors = 1000;
    const error = await failure(ensureModelFiles(MODEL_ID, options({ retries: 2 })));
    expect(error).toMatchObject({ code: 'HTTP', status: 500 });
    expect(hub.requests).toHaveLength(3);
  });

  it('times out a transfer that stalls mid-body and resumes it', async () => {
    hub.faults.stallAfter = { bytes: 8000, ms: 1500, times: 1 };
    const result = await ensureModelFiles(MODEL_ID, options({ downloadTimeoutMs: 150 }));
    const gets = hub.requestsTo('cdn', 'GET');
    expect(gets).toHaveLength(2);
    expect(gets[1].headers.range).toMatch(/^bytes=[1-9]\d*-$/);
    expect((await fs.readFile(result.weightsPath)).equals(WEIGHTS)).toBe(true);
  });
});

describe('timeouts (HF_HUB_ETAG_TIMEOUT, HF_HUB_DOWNLOAD_TIMEOUT)', () => {
  async function timed<T>(promise: Promise<T>): Promise<{ value: T; seconds: number }> {
    const start = performance.now();
    const value = await promise;
    return { value, seconds: (performance.now() - start) / 1000 };
  }

  it('a black-hole hub (connection accepted, no answer) fails after one HF_HUB_ETAG_TIMEOUT, not retried', async () => {
    const hole = await blackHole();
    try {
      const env = { HF_HUB_ETAG_TIMEOUT: '0.2' };
      const { value: error, seconds } = await timed(failure(ensureModelFiles(MODEL_ID, options({ endpoint: hole.endpoint, env }))));
      expect(error.code).toBe('TIMEOUT');
      expect(error.message).toContain('HF_HUB_ETAG_TIMEOUT');
      expect(error.message).toContain('0.2 s');
      expect(hole.connections()).toBe(1);
      expect(seconds).toBeGreaterThanOrEqual(0.19);
      expect(seconds).toBeLessThan(2);
    } finally {
      await hole.close();
    }
  }, 20_000);

  it('a CDN that sends headers and then nothing fails after HF_HUB_DOWNLOAD_TIMEOUT per attempt', async () => {
    hub.faults.stallAfter = { bytes: 0, ms: 60_000, times: 1000 };
    const env = { HF_HUB_DOWNLOAD_TIMEOUT: '0.2' };
    const { value: error, seconds } = await timed(failure(ensureModelFiles(MODEL_ID, options({ env, retries: 2 }))));
    expect(error.code).toBe('TIMEOUT');
    expect(error.message).toContain('HF_HUB_DOWNLOAD_TIMEOUT');
    expect(hub.requestsTo('cdn', 'GET')).toHaveLength(3);
    expect(seconds).toBeLessThan(3);
  }, 20_000);

  it('HF_HUB_DOWNLOAD_TIMEOUT is an idle limit: a slow transfer that never pauses that long completes', async () => {
    hub.faults.trickle = { bytes: 8 * 1024, intervalMs: 100 }; // 6 chunks, about 0.5 s in all
    const env = { HF_HUB_DOWNLOAD_TIMEOUT: '0.3' };
    const { value: result, seconds } = await timed(downloadHubFile({ repo: REPO, file: 'model.safetensors' }, options({ env })));
    expect(seconds).toBeGreaterThan(0.3);
    expect(hub.requestsTo('cdn', 'GET')).toHaveLength(1);
    expect((await fs.readFile(result.path)).equals(WEIGHTS)).toBe(true);
  });

  it('the metadata request waits HF_HUB_ETAG_TIMEOUT, the download HF_HUB_DOWNLOAD_TIMEOUT', async () => {
    hub.faults.stall = { ms: 400, times: 1 }; // the HEAD
    const slowHead = { HF_HUB_ETAG_TIMEOUT: '2', HF_HUB_DOWNLOAD_TIMEOUT: '0.2' };
    const result = await downloadHubFile({ repo: REPO, file: 'model.safetensors' }, options({ env: slowHead }));
    expect((await fs.readFile(result.path)).equals(WEIGHTS)).toBe(true);

    hub.faults.stall = { ms: 400, times: 1 };
    const error = await failure(
      downloadHubFile({ repo: REPO, file: 'config.json' }, options({ env: { HF_HUB_ETAG_TIMEOUT: '0.2', HF_HUB_DOWNLOAD_TIMEOUT: '2' } })),
    );
    expect(error.code).toBe('TIMEOUT');
  });

  it('explicit options beat the variables', async () => {
    hub.faults.stall = { ms: 400, times: 1 };
    const env = { HF_HUB_ETAG_TIMEOUT: '0.1' };
    const result = await downloadHubFile({ repo: REPO, file: 'config.json' }, options({ env, etagTimeoutMs: 2000 }));
    expect(await fs.readFile(result.path, 'utf8')).toBe(CONFIG);
  });

  it.each([
    ['HF_HUB_ETAG_TIMEOUT', 'ten'],
    ['HF_HUB_ETAG_TIMEOUT', '-1'],
    ['HF_HUB_DOWNLOAD_TIMEOUT', '1e3'],
    ['HF_HUB_DOWNLOAD_TIMEOUT', '99999999'],
  ])('%s=%s is an INVALID_SETTING error naming the variable, before any request', async (name, value) => {
    const error = await failure(ensureModelFiles(MODEL_ID, options({ env: { [name]: value } })));
    expect(error.code).toBe('INVALID_SETTING');
    expect(error.message).toContain(name);
    expect(error.message).toContain(JSON.stringify(value));
    expect(hub.requests).toHaveLength(0);
  });
});

describe('one retry budget per file', () => {
  /** Counts CDN requests and refuses them after `limit`, so a download loop ends the test instead of hanging it. */
  function cdnGuard(limit = 30): { fetch: typeof fetch; count: () => number } {
    let count = 0;
    return {
      count: () => count,
      fetch: (input, init) => {
        if (String(input).startsWith(hub.cdnOrigin) && ++count > limit) return Promise.reject(new Error('test guard: too many CDN requests'));
        return fetch(input, init);
      },
    };
  }

  it('an X-Linked-Size larger than the blob is SIZE_MISMATCH, not an endless re-download', async () => {
    hub.faults.linkedSize = String(WEIGHTS.length + 1000);
    const guard = cdnGuard();
    const error = await failure(ensureModelFiles(MODEL_ID, options({ fetch: guard.fetch })));
    expect(error.code).toBe('SIZE_MISMATCH');
    expect(error.message).toContain(String(WEIGHTS.length + 1000));
    expect(error.message).toContain(String(WEIGHTS.length));
    expect(guard.count()).toBe(1);
    expect(await blobDirEntries()).toEqual([]);
  });

  it('a 416 for a partial file as large as the real blob restarts once from byte 0, then stops', async () => {
    hub.faults.linkedSize = String(WEIGHTS.length + 1000);
    const incomplete = path.join(repoDir, 'blobs', `${WEIGHTS_SHA}.incomplete`);
    await fs.mkdir(path.dirname(incomplete), { recursive: true });
    await fs.writeFile(incomplete, WEIGHTS);
    const guard = cdnGuard();
    const error = await failure(ensureModelFiles(MODEL_ID, options({ fetch: guard.fetch })));
    expect(error.code).toBe('SIZE_MISMATCH');
    expect(hub.requestsTo('cdn', 'GET').map((r) => r.headers.range)).toEqual([`bytes=${WEIGHTS.length}-`, undefined]);
    expect(await blobDirEntries()).toEqual([]);
  });

  it('a server that answers 416 even from byte 0 is an HTTP error after one restart', async () => {
    const incomplete = path.join(repoDir, 'blobs', `${WEIGHTS_SHA}.incomplete`);
    await fs.mkdir(path.dirname(incomplete), { recursive: true });
    await fs.writeFile(incomplete, WEIGHTS.subarray(0, 5000));
    const guard = cdnGuard();
    const always416: typeof fetch = async (input, init) => {
      const response = await guard.fetch(input, init);
      if (!String(input).startsWith(hub.cdnOrigin)) return response;
      await response.body?.cancel();
      return new Response(null, { status: 416, headers: { 'Content-Range': `bytes */${WEIGHTS.length}` } });
    };
    const error = await failure(ensureModelFiles(MODEL_ID, options({ fetch: always416 })));
    expect(error).toMatchObject({ code: 'HTTP', status: 416 });
    expect(guard.count()).toBe(2);
  });

  it('transfers that keep getting cut use up the budget even though each one made progress', async () => {
    hub.faults.resetAfter = { bytes: 1000, times: 1000 };
    const guard = cdnGuard();
    const error = await failure(ensureModelFiles(MODEL_ID, options({ retries: 3, fetch: guard.fetch })));
    expect(error.code).toBe('NETWORK');
    expect(guard.count()).toBe(4);
    // What arrived is kept for the next run.
    expect((await fs.stat(path.join(repoDir, 'blobs', `${WEIGHTS_SHA}.incomplete`))).size).toBeGreaterThan(0);
  });

  it('the HEAD and the GETs of one file share it', async () => {
    hub.faults.serverErrors = 2; // the first two HEADs
    hub.faults.resetAfter = { bytes: 1000, times: 1000 };
    const guard = cdnGuard();
    const error = await failure(ensureModelFiles(MODEL_ID, options({ retries: 3, fetch: guard.fetch })));
    expect(error.code).toBe('NETWORK');
    expect(hub.requestsTo('hub', 'HEAD')).toHaveLength(3);
    expect(guard.count()).toBe(2);
  });
});

describe('every network answer is bounded', () => {
  const GiB = 2 ** 30;

  /** Passes requests through, then lets `edit` replace the answer to those it picks. */
  function rewriting(edit: (url: string, method: string, response: Response) => Response | Promise<Response>): typeof fetch {
    return async (input, init) => edit(String(input), init?.method ?? 'GET', await fetch(input, init));
  }

  function withHeaders(response: Response, changes: Record<string, string>): Response {
    const headers = new Headers(response.headers);
    for (const [name, value] of Object.entries(changes)) headers.set(name, value);
    return new Response(null, { status: response.status, headers });
  }

  it.each([
    ['non-numeric', 'lots'],
    ['negative', '-5'],
    ['in exponent notation', '1e3'],
    ['beyond 64 GiB', String(64 * GiB + 1)],
    ['beyond 2^53', '99999999999999999999999'],
  ])('an X-Linked-Size that is %s is BAD_RESPONSE before any download', async (_, size) => {
    hub.faults.linkedSize = size;
    const error = await failure(ensureModelFiles(MODEL_ID, options()));
    expect(error.code).toBe('BAD_RESPONSE');
    expect(error.message).toContain('size');
    expect(hub.requestsTo('cdn')).toHaveLength(0);
    expect(await exists(path.join(repoDir, 'blobs'))).toBe(false);
  });

  it('exactly 64 GiB is accepted as a size (the download itself then fails on the real bytes)', async () => {
    hub.faults.linkedSize = String(64 * GiB);
    const error = await failure(ensureModelFiles(MODEL_ID, options()));
    expect(error.code).toBe('SIZE_MISMATCH');
  });

  it('a config.json announced beyond 16 MiB is BAD_RESPONSE: JSON files are read into memory later', async () => {
    const huge = rewriting((url, method, response) =>
      method === 'HEAD' && url.endsWith('/config.json') ? withHeaders(response, { 'content-length': String(16 * 2 ** 20 + 1) }) : response,
    );
    const error = await failure(downloadHubFile({ repo: REPO, file: 'config.json' }, options({ fetch: huge })));
    expect(error.code).toBe('BAD_RESPONSE');
    expect(error.message).toContain('16777216');
    expect(hub.requestsTo('hub', 'GET')).toHaveLength(0);
  });

  it('a body longer than announced is cut at the announced size: SIZE_MISMATCH, nothing kept', async () => {
    let pulled = 0;
    const endless = rewriting(async (url, _method, response) => {
      if (!url.startsWith(hub.cdnOrigin)) return response;
      await response.body?.cancel();
      const chunk = new Uint8Array(16 * 1024);
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          pulled += chunk.length;
          if (pulled > 64 * 2 ** 20) controller.error(new Error('test guard: 64 MiB pulled'));
          else controller.enqueue(chunk);
        },
      });
      return new Response(body, { status: 200 }); // no Content-Length: only the announced size bounds it
    });
    const error = await failure(ensureModelFiles(MODEL_ID, options({ fetch: endless })));
    expect(error.code).toBe('SIZE_MISMATCH');
    expect(pulled).toBeLessThan(WEIGHTS.length + 256 * 1024);
    expect(await blobDirEntries()).toEqual([]);
  });

  it('a file with no announced size is cut at the limit for its kind (16 MiB for JSON)', async () => {
    let pulled = 0;
    const endlessJson = rewriting(async (url, method, response) => {
      if (!url.endsWith('/config.json')) return response;
      const headers = new Headers(response.headers);
      headers.delete('content-length');
      if (method === 'HEAD') return new Response(null, { status: response.status, headers });
      await response.body?.cancel();
      const chunk = new TextEncoder().encode(' '.repeat(64 * 1024));
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          pulled += chunk.length;
          if (pulled > 256 * 2 ** 20) controller.error(new Error('test guard: 256 MiB pulled'));
          else controller.enqueue(chunk);
        },
      });
      return new Response(body, { status: 200, headers });
    });
    const error = await failure(downloadHubFile({ repo: REPO, file: 'config.json' }, options({ fetch: endlessJson })));
    expect(error.code).toBe('SIZE_MISMATCH');
    expect(pulled).toBeLessThanOrEqual(16 * 2 ** 20 + 128 * 1024);
    expect(await blobDirEntries()).toEqual([]);
  }, 30_000);

  it.each([
    ['HEAD', 'hub', 307],
    ['GET', 'cdn', 302],
  ] as const)('a redirect loop (%s to the %s) ends with BAD_RESPONSE after 10 hops', async (method, server, status) => {
    const origin = server === 'hub' ? hub.endpoint : hub.cdnOrigin;
    const loop = rewriting((url, sent, response) =>
      sent === method && url.startsWith(origin) ? new Response(null, { status, headers: { location: new URL(url).pathname } }) : response,
    );
    const error = await failure(ensureModelFiles(MODEL_ID, options({ fetch: loop })));
    expect(error.code).toBe('BAD_RESPONSE');
    expect(error.message).toContain('Too many redirects');
    expect(hub.requestsTo(server, method)).toHaveLength(11);
  });

  it("the hub's X-Error-Message is shown without control characters and at most 300 characters long", async () => {
    const hostile = rewriting((_url, _method, response) =>
      response.status === 404 ? withHeaders(response, { 'x-error-message': `gone\u009b2J${'x'.repeat(10_000)}` }) : response,
    );
    const error = await failure(ensureModelFiles('hf-hub:nobody/nothing', options({ fetch: hostile })));
    const said = (error.cause as Error).message;
    expect(said).toContain('Server said: gone?2Jxxx');
    expect(said).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    expect(said.length).toBeLessThan(400);
  });
});

describe('hub errors', () => {
  it('404 for a missing file: NOT_FOUND (file), remembered in .no_exist', async () => {
    const error = await failure(ensureModelFiles('hf-hub:timm/only-bin', options()));
    expect(error).toMatchObject({ code: 'NOT_FOUND', notFound: 'file', status: 404 });
    expect(error.message).toContain('model.safetensors does not exist in timm/only-bin');
    expect(error.message).toContain(`${hub.endpoint}/timm/only-bin/resolve/main/model.safetensors`);
    expect(error.message).toContain('--weights <file>');
    expect(error.manualUrl).toBeUndefined(); // no "download it by hand" link to a file that is not there
    expect(await exists(path.join(cacheDir, 'models--timm--only-bin', '.no_exist', OTHER_COMMIT, 'model.safetensors'))).toBe(true);
  });

  it('404 for a missing repository: NOT_FOUND (repository)', async () => {
    const error = await failure(ensureModelFiles('hf-hub:nobody/nothing', options()));
    expect(error).toMatchObject({ code: 'NOT_FOUND', notFound: 'repository' });
    expect(error.message).toContain('Repository nobody/nothing was not found');
    expect(error.message).toContain(path.join(cacheDir, 'models--nobody--nothing'));
  });

  it('understands the RepositoryNotFound spelling of the error code too', async () => {
    await hub.close();
    hub = await MockHub.start({ repos: {}, repoNotFoundCode: 'RepositoryNotFound' });
    const error = await failure(ensureModelFiles('hf-hub:nobody/nothing', options()));
    expect(error).toMatchObject({ code: 'NOT_FOUND', notFound: 'repository' });
  });

  it('404 for a missing revision: NOT_FOUND (revision)', async () => {
    const error = await failure(ensureModelFiles('hf-hub:timm/no-config@v9', options()));
    expect(error).toMatchObject({ code: 'NOT_FOUND', notFound: 'revision' });
  });

  it('401 without a token: UNAUTHORIZED, suggesting HF_TOKEN', async () => {
    const error = await failure(ensureModelFiles('hf-hub:acme/private-vit', options()));
    expect(error).toMatchObject({ code: 'UNAUTHORIZED', status: 401 });
    expect(error.message).toContain('HF_TOKEN');
  });

  it('network blocked: NETWORK with the URL, the cache folder and the manual route', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const error = await failure(ensureModelFiles(MODEL_ID, options({ endpoint, retries: 1 })));
    expect(error.code).toBe('NETWORK');
    expect(error.message).toContain(`${endpoint}/${REPO}/resolve/main/model.safetensors`);
    expect(error.message).toContain(repoDir);
    expect(error.message).toContain('--weights');
  });

  it('a server that is not a hub (no X-Repo-Commit, e.g. a captive portal): BAD_RESPONSE', async () => {
    const portal = (async () => new Response('<html>login</html>', { status: 200 })) as typeof fetch;
    const error = await failure(ensureModelFiles(MODEL_ID, options({ fetch: portal })));
    expect(error.code).toBe('BAD_RESPONSE');
    expect(error.message).toContain('HF_ENDPOINT');
  });
});

describe('commits from the network and refs on disk', () => {
  const HOSTILE = '../../../../tmp/x';

  it('a 404 whose X-Repo-Commit is a path writes no ref and no marker, and the next run works', async () => {
    hub.faults.repoCommit = HOSTILE;
    const error = await failure(ensureModelFiles('hf-hub:timm/only-bin', options()));
    expect(error).toMatchObject({ code: 'NOT_FOUND', notFound: 'file' });
    expect(error.commit).toBeUndefined();
    const onlyBin = path.join(cacheDir, 'models--timm--only-bin');
    expect(await exists(path.join(onlyBin, 'refs', 'main'))).toBe(false);
    expect(await exists(path.join(onlyBin, '.no_exist'))).toBe(false);

    hub.resetFaults();
    const result = await downloadHubFile({ repo: 'timm/only-bin', file: 'pytorch_model.bin' }, options());
    expect(result.commit).toBe(OTHER_COMMIT);
    expect(await fs.readFile(path.join(onlyBin, 'refs', 'main'), 'utf8')).toBe(OTHER_COMMIT);
  });

  it('a 404 for config.json with a malformed commit writes no refs/<commit> beside the weights', async () => {
    const noConfig = path.join(cacheDir, 'models--timm--no-config');
    // Only the optional files' 404s carry the bad commit: the weights' HEAD is a real one.
    let heads = 0;
    const badCommitOnSecondHead: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (init?.method !== 'HEAD' || ++heads < 2) return response;
      const headers = new Headers(response.headers);
      headers.set('x-repo-commit', HOSTILE);
      return new Response(null, { status: response.status, headers });
    };
    const result = await ensureModelFiles('hf-hub:timm/no-config', options({ fetch: badCommitOnSecondHead }));
    expect(result.configPath).toBeUndefined();
    expect(heads).toBe(3); // weights, then config.json and preprocessor_config.json (both 404)
    expect((await fs.readdir(path.join(noConfig, 'refs'))).sort()).toEqual(['main']);
    expect(await fs.readFile(path.join(noConfig, 'refs', 'main'), 'utf8')).toBe(OTHER_COMMIT);
  });

  it.each([
    ['a path', HOSTILE],
    ['upper-case hex', 'A'.repeat(40)],
    ['too short', 'abc123'],
    ['a branch name', 'main'],
  ])('a HEAD whose X-Repo-Commit is %s is BAD_RESPONSE and writes no ref', async (_, commit) => {
    hub.faults.repoCommit = commit;
    const error = await failure(ensureModelFiles(MODEL_ID, options()));
    expect(error.code).toBe('BAD_RESPONSE');
    expect(await exists(path.join(repoDir, 'refs'))).toBe(false);
    expect(await exists(path.join(repoDir, 'snapshots'))).toBe(false);
  });

  it.each([
    ['a path', HOSTILE],
    ['garbage', 'not a commit\n'],
    ['a truncated hash', COMMIT.slice(0, 39)],
  ])('a refs/main holding %s is ignored with a warning and re-resolved', async (_, content) => {
    await fs.mkdir(path.join(repoDir, 'refs'), { recursive: true });
    await fs.writeFile(path.join(repoDir, 'refs', 'main'), content);
    const result = await ensureModelFiles(MODEL_ID, options());
    expect(result).toMatchObject({ commit: COMMIT, fromCache: false });
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toContain(path.join(repoDir, 'refs', 'main'));
    expect(result.warnings[0]).toContain('not a commit hash');
    expect(await fs.readFile(path.join(repoDir, 'refs', 'main'), 'utf8')).toBe(COMMIT);
  });

  it('downloadHubFile returns the same warning', async () => {
    await fs.mkdir(path.join(repoDir, 'refs'), { recursive: true });
    await fs.writeFile(path.join(repoDir, 'refs', 'main'), HOSTILE);
    const result = await downloadHubFile({ repo: REPO, file: 'config.json' }, options());
    expect(result.commit).toBe(COMMIT);
    expect(result.warnings).toEqual([expect.stringContaining('not a commit hash')]);
  });

  it('offline, a malformed ref is "not cached", and the error says why', async () => {
    await writePythonStyleCache({ 'model.safetensors': { etag: WEIGHTS_SHA, content: WEIGHTS } });
    await fs.writeFile(path.join(repoDir, 'refs', 'main'), HOSTILE);
    const error = await failure(ensureModelFiles(MODEL_ID, options({ offline: true })));
    expect(error.code).toBe('OFFLINE_NOT_CACHED');
    expect(error.message).toContain('not a commit hash');
    expect(error.message).toContain(path.join(repoDir, 'refs', 'main'));
  });
});

describe('tokens and redirects', () => {
  it('sends the token to the endpoint but never to the CDN', async () => {
    const result = await ensureModelFiles('hf-hub:acme/private-vit', options({ token: 'hf_secret' }));
    expect((await fs.readFile(result.weightsPath)).equals(WEIGHTS)).toBe(true);
    const hubRequests = hub.requestsTo('hub');
    const cdnRequests = hub.requestsTo('cdn');
    expect(hubRequests.length).toBeGreaterThan(0);
    expect(cdnRequests.length).toBe(1);
    for (const r of hubRequests) expect(r.headers.authorization).toBe('Bearer hf_secret');
    for (const r of cdnRequests) expect(r.headers.authorization).toBeUndefined();
  });

  it('reads the token from HF_TOKEN in the env option', async () => {
    const result = await ensureModelFiles('hf-hub:acme/private-vit', options({ env: { HF_TOKEN: 'hf_secret' } }));
    expect(result.commit).toBe(OTHER_COMMIT);
  });

  it('a Location that only looks relative (\\\\host/...) but names another host is not followed as a rename', async () => {
    const backslashes: typeof fetch = async (input, init) => {
      if (init?.method !== 'HEAD' || !String(input).startsWith(hub.endpoint)) return fetch(input, init);
      const elsewhere = `\\\\${new URL(hub.cdnOrigin).host}/timm/no-config/resolve/main/model.safetensors`;
      return new Response(null, { status: 307, headers: { location: elsewhere } });
    };
    const error = await failure(ensureModelFiles(MODEL_ID, options({ token: 'hf_secret', fetch: backslashes })));
    expect(error.code).toBe('BAD_RESPONSE'); // the 307 itself is read as the metadata answer, and it has none
    expect(hub.requestsTo('cdn')).toHaveLength(0);
  });

  it('follows a relative redirect (renamed repository) for the metadata', async () => {
    const result = await ensureModelFiles('hf-hub:old-org/old-name', options());
    expect(result.weightsPath).toBe(path.join(cacheDir, 'models--old-org--old-name', 'snapshots', OTHER_COMMIT, 'model.safetensors'));
    const heads = hub.requestsTo('hub', 'HEAD').map((r) => r.path);
    expect(heads.slice(0, 2)).toEqual([
      '/old-org/old-name/resolve/main/model.safetensors',
      '/timm/no-config/resolve/main/model.safetensors',
    ]);
  });
});

describe('secrets are never printed', () => {
  // A token pasted with a line break in the middle, and a mirror URL with a password in it.
  const TOKEN = 'hf_SECRETtoken1\nSECRETtoken2';
  const CLEANED = 'hf_SECRETtoken1SECRETtoken2';
  const withPassword = () => hub.endpoint.replace('http://', 'http://vituser:PASSW0RD@');

  /** Everything a caller may print: the message, the URL fields, the cause chain, the stack. */
  function printable(error: HubError): string {
    const parts: string[] = [error.message, error.url ?? '', error.manualUrl ?? '', error.stack ?? ''];
    for (let cause = error.cause; cause instanceof Error; cause = cause.cause) parts.push(cause.message, cause.stack ?? '');
    return parts.join('\n');
  }

  function expectNoSecret(text: string): void {
    for (const secret of ['SECRETtoken', 'token1', 'PASSW0RD', 'vituser']) expect(text).not.toContain(secret);
  }

  it('HF_TOKEN with line breaks is cleaned like huggingface_hub (_clean_token) and works', async () => {
    const result = await ensureModelFiles('hf-hub:acme/private-vit', options({ env: { HF_TOKEN: ' hf_sec\nret\r\n' } }));
    expect(result.commit).toBe(OTHER_COMMIT);
    for (const r of hub.requestsTo('hub')) expect(r.headers.authorization).toBe('Bearer hf_secret');
  });

  it('a token that cannot go in a header is INVALID_SETTING, sent nowhere, and not shown', async () => {
    const error = await failure(ensureModelFiles(MODEL_ID, options({ env: { HF_TOKEN: 'hf_SECRETtoken1\u0000SECRETtoken2' } })));
    expect(error.code).toBe('INVALID_SETTING');
    expect(error.message).toContain('HF_TOKEN');
    expectNoSecret(printable(error));
    expect(hub.requests).toHaveLength(0);
  });

  it.each([
    ['401 (refused token)', 'hf-hub:acme/private-vit', 0, 'UNAUTHORIZED'],
    ['404 (missing repository)', 'hf-hub:nobody/nothing', 0, 'NOT_FOUND'],
    ['404 (missing file)', 'hf-hub:timm/only-bin', 0, 'NOT_FOUND'],
    ['500 after retries', MODEL_ID, 1000, 'HTTP'],
  ])('a hub that echoes the token into X-Error-Message on a %s: redacted', async (_, id, serverErrors, code) => {
    hub.faults.echoAuthorization = true;
    hub.faults.serverErrors = serverErrors;
    const error = await failure(ensureModelFiles(id, options({ env: { HF_TOKEN: TOKEN }, retries: 1 })));
    expect(error.code).toBe(code);
    expect(hub.requests[0].headers.authorization).toBe(`Bearer ${CLEANED}`); // it was sent, and echoed
    expect(printable(error)).toContain('Refused credentials: Bearer ***'); // in the message or its cause
    expectNoSecret(printable(error));
  });

  it('a warning built from an echoed server message is redacted too', async () => {
    await writePythonStyleCache({ 'model.safetensors': { etag: WEIGHTS_SHA, content: WEIGHTS } });
    hub.faults.echoAuthorization = true;
    hub.faults.serverErrors = 1000; // config.json cannot be fetched: a warning, not an error
    const result = await ensureModelFiles(MODEL_ID, options({ env: { HF_TOKEN: TOKEN }, retries: 0 }));
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toContain('Bearer ***');
    expectNoSecret(result.warnings.join('\n'));
  });

  it('network, timeout and checksum errors with a token carry none of it', async () => {
    const closed = `http://127.0.0.1:${await closedPort()}`;
    const network = await failure(ensureModelFiles(MODEL_ID, options({ endpoint: closed, env: { HF_TOKEN: TOKEN }, retries: 0 })));
    expect(network.code).toBe('NETWORK');
    expectNoSecret(printable(network));

    hub.faults.corrupt = true;
    const checksum = await failure(ensureModelFiles(MODEL_ID, options({ env: { HF_TOKEN: TOKEN } })));
    expect(checksum.code).toBe('CHECKSUM');
    expectNoSecret(printable(checksum));

    hub.resetFaults();
    hub.faults.stall = { ms: 1000, times: 1 };
    const timeout = await failure(ensureModelFiles(MODEL_ID, options({ env: { HF_TOKEN: TOKEN }, etagTimeoutMs: 100 })));
    expect(timeout.code).toBe('TIMEOUT');
    expectNoSecret(printable(timeout));
  });

  it('HF_ENDPOINT with a password: INVALID_SETTING before any request, the URL shown without it', async () => {
    const error = await failure(ensureModelFiles(MODEL_ID, options({ endpoint: undefined, env: { HF_ENDPOINT: withPassword() } })));
    expect(error.code).toBe('INVALID_SETTING');
    expect(error.message).toContain('HF_ENDPOINT');
    expect(error.message).toContain(`http://***@${new URL(hub.endpoint).host}`);
    expectNoSecret(printable(error));
    expect(hub.requests).toHaveLength(0);
  });

  it.each([
    ['ftp://mirror.example', '"ftp://mirror.example"'],
    ['vituser:PASSW0RD@mirror.example', '"***@mirror.example"'],
  ])('HF_ENDPOINT=%s is INVALID_SETTING, shown as %s', async (endpoint, shown) => {
    const error = await failure(ensureModelFiles(MODEL_ID, options({ endpoint })));
    expect(error.code).toBe('INVALID_SETTING');
    expect(error.message).toContain(`got ${shown}`);
    expectNoSecret(printable(error));
  });

  it('a redirect to a URL with credentials is BAD_RESPONSE, not followed, not shown', async () => {
    const toCredentials: typeof fetch = async (input, init) => {
      if (String(input).startsWith(hub.cdnOrigin)) throw new Error('must not be reached');
      const response = await fetch(input, init);
      if (response.status !== 302) return response;
      const headers = new Headers(response.headers);
      headers.set('location', (headers.get('location') as string).replace('http://', 'http://vituser:PASSW0RD@'));
      return new Response(null, { status: 302, headers });
    };
    const error = await failure(ensureModelFiles(MODEL_ID, options({ fetch: toCredentials })));
    expect(error.code).toBe('BAD_RESPONSE');
    expectNoSecret(printable(error));
  });

  it('offline with a password endpoint: the "URL tried" and the manual URL are shown without it', async () => {
    const error = await failure(ensureModelFiles(MODEL_ID, options({ endpoint: withPassword(), offline: true })));
    expect(error.code).toBe('OFFLINE_NOT_CACHED');
    expect(error.message).toContain(`http://***@${new URL(hub.endpoint).host}/${REPO}/resolve/main/model.safetensors`);
    expectNoSecret(printable(error));
  });
});

describe('environment variables', () => {
  it('uses HF_ENDPOINT and HF_HUB_CACHE over HF_HOME from the env option', async () => {
    const hubCache = path.join(tmp, 'explicit-cache');
    const env = { HF_ENDPOINT: `${hub.endpoint}/`, HF_HUB_CACHE: hubCache, HF_HOME: path.join(tmp, 'hf-home'), HOME: tmp };
    const result = await ensureModelFiles(MODEL_ID, { env, retries: 0, retryDelayMs: 1 });
    expect(result.weightsPath.startsWith(path.join(hubCache, FOLDER) + path.sep)).toBe(true);
  });

  it('falls back to $HF_HOME/hub, then $XDG_CACHE_HOME/huggingface/hub', async () => {
    const viaHfHome = await ensureModelFiles(MODEL_ID, {
      env: { HF_ENDPOINT: hub.endpoint, HF_HOME: path.join(tmp, 'hf-home'), XDG_CACHE_HOME: path.join(tmp, 'xdg'), HOME: tmp },
    });
    expect(viaHfHome.weightsPath.startsWith(path.join(tmp, 'hf-home', 'hub', FOLDER))).toBe(true);
    const viaXdg = await ensureModelFiles(MODEL_ID, {
      env: { HF_ENDPOINT: hub.endpoint, XDG_CACHE_HOME: path.join(tmp, 'xdg'), HOME: tmp },
    });
    expect(viaXdg.weightsPath.startsWith(path.join(tmp, 'xdg', 'huggingface', 'hub', FOLDER))).toBe(true);
  });

  it('explicit options beat the environment', async () => {
    const result = await ensureModelFiles(MODEL_ID, {
      ...options(),
      env: { HF_ENDPOINT: 'http://127.0.0.1:9', HF_HUB_CACHE: path.join(tmp, 'ignored'), HF_HUB_OFFLINE: '1' },
      offline: false,
    });
    expect(result.weightsPath.startsWith(cacheDir)).toBe(true);
  });
});

describe('hubFileUrl', () => {
  it('quotes the revision completely and the file path segment by segment', () => {
    expect(hubFileUrl('https://huggingface.co/', 'org/name', 'refs/pr/1', 'sub dir/model.safetensors')).toBe(
      'https://huggingface.co/org/name/resolve/refs%2Fpr%2F1/sub%20dir/model.safetensors',
    );
  });
});

import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ENDPOINT,
  expandPath,
  isOfflineEnv,
  resolveEndpoint,
  resolveHfHome,
  resolveHubCacheDir,
  resolveTimeoutSeconds,
  resolveToken,
} from '../../src/hub/cache-dir.js';
import { HubError } from '../../src/hub/errors.js';

// Every test passes its own env; HOME is set so nothing ever resolves to the real home directory.
const HOME = '/home/tester';

describe('resolveHubCacheDir precedence (as huggingface_hub constants.py)', () => {
  it('uses HF_HUB_CACHE over everything else', () => {
    const env = { HOME, HF_HUB_CACHE: '/c/hub', HUGGINGFACE_HUB_CACHE: '/legacy', HF_HOME: '/hf', XDG_CACHE_HOME: '/xdg' };
    expect(resolveHubCacheDir(env)).toBe('/c/hub');
  });

  it('then the legacy HUGGINGFACE_HUB_CACHE', () => {
    expect(resolveHubCacheDir({ HOME, HUGGINGFACE_HUB_CACHE: '/legacy', HF_HOME: '/hf' })).toBe('/legacy');
  });

  it('then $HF_HOME/hub', () => {
    expect(resolveHubCacheDir({ HOME, HF_HOME: '/hf', XDG_CACHE_HOME: '/xdg' })).toBe(path.join('/hf', 'hub'));
  });

  it('then $XDG_CACHE_HOME/huggingface/hub', () => {
    expect(resolveHubCacheDir({ HOME, XDG_CACHE_HOME: '/xdg' })).toBe(path.join('/xdg', 'huggingface', 'hub'));
  });

  it('then ~/.cache/huggingface/hub', () => {
    expect(resolveHubCacheDir({ HOME })).toBe(path.join(HOME, '.cache', 'huggingface', 'hub'));
  });

  it('treats empty variables as unset', () => {
    expect(resolveHubCacheDir({ HOME, HF_HUB_CACHE: '', HF_HOME: '' })).toBe(path.join(HOME, '.cache', 'huggingface', 'hub'));
  });

  it('expands ~ and $VARS like expanduser/expandvars', () => {
    expect(resolveHubCacheDir({ HOME, HF_HUB_CACHE: '~/models' })).toBe(`${HOME}/models`);
    expect(resolveHubCacheDir({ HOME, DATA: '/data', HF_HOME: '$DATA/hf' })).toBe(path.join('/data/hf', 'hub'));
    expect(expandPath('${UNSET_VAR}/x', { HOME })).toBe('${UNSET_VAR}/x');
    expect(resolveHfHome({ HOME })).toBe(path.join(HOME, '.cache', 'huggingface'));
  });
});

describe('endpoint, offline and token from the environment', () => {
  it('defaults the endpoint and strips trailing slashes from HF_ENDPOINT', () => {
    expect(resolveEndpoint({})).toBe(DEFAULT_ENDPOINT);
    expect(resolveEndpoint({ HF_ENDPOINT: 'https://mirror.example/' })).toBe('https://mirror.example');
  });

  it.each(['1', 'true', 'TRUE', 'yes', 'On'])('HF_HUB_OFFLINE=%s means offline', (value) => {
    expect(isOfflineEnv({ HF_HUB_OFFLINE: value })).toBe(true);
  });

  it.each(['0', 'false', 'no', ''])('HF_HUB_OFFLINE=%s means online', (value) => {
    expect(isOfflineEnv({ HF_HUB_OFFLINE: value })).toBe(false);
  });

  it('honours the legacy TRANSFORMERS_OFFLINE too', () => {
    expect(isOfflineEnv({ TRANSFORMERS_OFFLINE: '1' })).toBe(true);
  });

  it('reads HF_TOKEN, then the legacy HUGGING_FACE_HUB_TOKEN', () => {
    expect(resolveToken({ HF_TOKEN: 'a', HUGGING_FACE_HUB_TOKEN: 'b' })).toBe('a');
    expect(resolveToken({ HUGGING_FACE_HUB_TOKEN: 'b' })).toBe('b');
    expect(resolveToken({})).toBeUndefined();
  });

  it("cleans the token like huggingface_hub's _clean_token: no CR/LF anywhere, trimmed, empty is none", () => {
    expect(resolveToken({ HF_TOKEN: ' hf_ab\ncd\r\n' })).toBe('hf_abcd');
    expect(resolveToken({ HF_TOKEN: 'hf_a b' })).toBe('hf_a b');
    expect(resolveToken({ HF_TOKEN: '\n', HUGGING_FACE_HUB_TOKEN: 'b' })).toBeUndefined(); // Python: HF_TOKEN wins, then cleans to None
  });
});

describe('HF_HUB_ETAG_TIMEOUT / HF_HUB_DOWNLOAD_TIMEOUT (seconds, as huggingface_hub constants.py)', () => {
  it.each([
    [undefined, 10],
    ['', 10],
    ['0', 10], // huggingface_hub: `_as_int(value) or DEFAULT`, so 0 means the default
    ['30', 30],
    [' 5 ', 5],
    ['0.25', 0.25], // a superset of Python's integers, handy for tests
  ])('%j -> %d s', (value, seconds) => {
    expect(resolveTimeoutSeconds({ HF_HUB_DOWNLOAD_TIMEOUT: value }, 'HF_HUB_DOWNLOAD_TIMEOUT')).toBe(seconds);
  });

  it.each(['ten', '-1', '1e3', '0x10', 'Infinity', 'NaN', '10s', '2147484'])('%j is an INVALID_SETTING error', (value) => {
    let caught: unknown;
    try {
      resolveTimeoutSeconds({ HF_HUB_ETAG_TIMEOUT: value }, 'HF_HUB_ETAG_TIMEOUT');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(HubError);
    expect(caught).toMatchObject({ code: 'INVALID_SETTING' });
    expect((caught as Error).message).toBe(
      `HF_HUB_ETAG_TIMEOUT must be a number of seconds between 0 and 2147483 (e.g. 10 or 2.5), got ${JSON.stringify(value)}.`,
    );
  });
});

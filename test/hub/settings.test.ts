import { describe, expect, it } from 'vitest';
import { HubError } from '../../src/hub/errors.js';
import { resolveHubSettings, type HubOptions } from '../../src/hub/settings.js';

function invalid(options: HubOptions): HubError {
  try {
    resolveHubSettings(options);
  } catch (error) {
    expect(error).toBeInstanceOf(HubError);
    return error as HubError;
  }
  throw new Error('expected resolveHubSettings to fail');
}

describe('resolveHubSettings timeouts', () => {
  it('default to 10 s each, like huggingface_hub', () => {
    const { client } = resolveHubSettings({ env: {} });
    expect(client.etagTimeout).toEqual({ ms: 10_000, setting: 'HF_HUB_ETAG_TIMEOUT' });
    expect(client.downloadTimeout).toEqual({ ms: 10_000, setting: 'HF_HUB_DOWNLOAD_TIMEOUT' });
  });

  it('read HF_HUB_ETAG_TIMEOUT and HF_HUB_DOWNLOAD_TIMEOUT in seconds', () => {
    const { client } = resolveHubSettings({ env: { HF_HUB_ETAG_TIMEOUT: '3', HF_HUB_DOWNLOAD_TIMEOUT: '0.5' } });
    expect(client.etagTimeout.ms).toBe(3000);
    expect(client.downloadTimeout.ms).toBe(500);
  });

  it('explicit options win and are named as options in messages', () => {
    const { client } = resolveHubSettings({ env: { HF_HUB_ETAG_TIMEOUT: 'junk' }, etagTimeoutMs: 250, downloadTimeoutMs: 750 });
    expect(client.etagTimeout).toEqual({ ms: 250, setting: 'the etagTimeoutMs option' });
    expect(client.downloadTimeout).toEqual({ ms: 750, setting: 'the downloadTimeoutMs option' });
  });

  it.each([
    [{ etagTimeoutMs: 0 }, 'etagTimeoutMs must be a number of milliseconds between 1 and 2147483647, got 0.'],
    [{ downloadTimeoutMs: -5 }, 'downloadTimeoutMs must be a number of milliseconds between 1 and 2147483647, got -5.'],
    [{ downloadTimeoutMs: 2 ** 31 }, 'downloadTimeoutMs must be a number of milliseconds between 1 and 2147483647, got 2147483648.'],
    [{ retries: Number.NaN }, 'retries must be a non-negative number, got NaN.'],
    [{ retryDelayMs: -1 }, 'retryDelayMs must be a non-negative number, got -1.'],
  ] as const)('%j is an INVALID_SETTING error', (options, message) => {
    expect(invalid({ env: {}, ...options })).toMatchObject({ code: 'INVALID_SETTING', message });
  });
});

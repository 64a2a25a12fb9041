/**
 * Options accepted by the public hub functions, and their resolution against the environment.
 *
 * Contract: explicit options win over environment variables, which win over defaults.
 * `env` defaults to process.env and is the only place environment variables are read from, so tests
 * (and embedders) can pass a controlled environment. Nothing here touches the network or the disk.
 */
import {
  cleanToken,
  isOfflineEnv,
  MAX_TIMEOUT_MS,
  resolveEndpoint,
  resolveHubCacheDir,
  resolveTimeoutSeconds,
  tokenFromEnv,
  type Env,
  type TimeoutVariable,
} from './cache-dir.js';
import { HubError } from './errors.js';
import type { FetchLike, HttpClient, RequestTimeout } from './http.js';
import { hubSecrets } from './redact.js';
import type { ProgressCallback } from './progress.js';

export interface HubOptions {
  /** Cache root; default from HF_HUB_CACHE / HF_HOME / XDG_CACHE_HOME / ~/.cache/huggingface/hub. */
  cacheDir?: string;
  /** Hub URL; default $HF_ENDPOINT or https://huggingface.co. */
  endpoint?: string;
  /** Access token; default $HF_TOKEN. Cleaned like huggingface_hub's; only ever sent to the endpoint's origin, never printed. */
  token?: string;
  /** No network at all; default from $HF_HUB_OFFLINE. */
  offline?: boolean;
  /** Environment to read the variables above from; default process.env. */
  env?: Env;
  /** fetch implementation; default the global one (Node >= 18). */
  fetch?: FetchLike;
  onProgress?: ProgressCallback;
  /** Retries per file, across all causes (5xx, 429, reset, timeout, cut body) and requests; default 4. */
  retries?: number;
  /** First backoff delay, doubled each retry; default 500 ms. */
  retryDelayMs?: number;
  /** Max wait for the metadata (HEAD) answer; default $HF_HUB_ETAG_TIMEOUT seconds, else 10 s. Not retried. */
  etagTimeoutMs?: number;
  /**
   * Max wait for a download's response headers and between two body chunks (an idle limit, not a total
   * one); default $HF_HUB_DOWNLOAD_TIMEOUT seconds, else 10 s.
   */
  downloadTimeoutMs?: number;
  /** Minimum interval between progress events; default 100 ms. */
  progressIntervalMs?: number;
}

export interface HubSettings {
  client: HttpClient;
  cacheDir: string;
  endpoint: string;
  offline: boolean;
  onProgress?: ProgressCallback;
  progressIntervalMs?: number;
  /** What must never appear in a message: see redact.ts. */
  secrets: string[];
}

export const DEFAULT_RETRIES = 4;
export const DEFAULT_RETRY_DELAY_MS = 500;

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new HubError('INVALID_SETTING', `${name} must be a non-negative number, got ${value}.`);
  return value;
}

/** An explicit option in ms, else the environment variable in seconds; either way with its name for messages. */
function timeoutSetting(option: 'etagTimeoutMs' | 'downloadTimeoutMs', ms: number | undefined, env: Env, variable: TimeoutVariable): RequestTimeout {
  if (ms === undefined) return { ms: resolveTimeoutSeconds(env, variable) * 1000, setting: variable };
  if (!(ms >= 1 && ms <= MAX_TIMEOUT_MS)) {
    throw new HubError('INVALID_SETTING', `${option} must be a number of milliseconds between 1 and ${MAX_TIMEOUT_MS}, got ${ms}.`);
  }
  return { ms, setting: `the ${option} option` };
}

export function resolveHubSettings(options: HubOptions = {}): HubSettings {
  const env = options.env ?? process.env;
  const endpoint = (options.endpoint ?? resolveEndpoint(env)).replace(/\/+$/, '');
  const rawToken = options.token ?? tokenFromEnv(env);
  const token = cleanToken(rawToken);
  const client: HttpClient = {
    fetch: options.fetch ?? globalThis.fetch,
    endpoint,
    token,
    retries: Math.floor(nonNegative('retries', options.retries ?? DEFAULT_RETRIES)),
    retryDelayMs: nonNegative('retryDelayMs', options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS),
    etagTimeout: timeoutSetting('etagTimeoutMs', options.etagTimeoutMs, env, 'HF_HUB_ETAG_TIMEOUT'),
    downloadTimeout: timeoutSetting('downloadTimeoutMs', options.downloadTimeoutMs, env, 'HF_HUB_DOWNLOAD_TIMEOUT'),
  };
  return {
    client,
    cacheDir: options.cacheDir ?? resolveHubCacheDir(env),
    endpoint,
    offline: options.offline ?? isOfflineEnv(env),
    onProgress: options.onProgress,
    progressIntervalMs: options.progressIntervalMs,
    secrets: hubSecrets([rawToken, token], endpoint),
  };
}

/**
 * Hub settings that come from the environment, resolved exactly like Python's huggingface_hub
 * (`huggingface_hub/constants.py`), so a cache filled by Python (timm, transformers) is found here.
 *
 * Contract (pure: reads only the `env` it is given, plus os.homedir() when HOME is unset):
 * - cache root: $HF_HUB_CACHE, else legacy $HUGGINGFACE_HUB_CACHE, else $HF_HOME/hub,
 *   else $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub. `~` and `$VAR` are expanded.
 *   An empty variable counts as unset (Python would turn it into a relative path, which is never meant).
 * - endpoint: $HF_ENDPOINT without trailing slashes, default https://huggingface.co.
 * - offline: $HF_HUB_OFFLINE (or legacy $TRANSFORMERS_OFFLINE) in {1, ON, YES, TRUE}, any case.
 * - token: $HF_TOKEN, else legacy $HUGGING_FACE_HUB_TOKEN, cleaned like huggingface_hub's _clean_token
 *   (every CR and LF removed, then surrounding spaces; empty means none), so a token pasted with a line
 *   break works the same in both.
 * - timeouts: $HF_HUB_ETAG_TIMEOUT (the metadata request) and $HF_HUB_DOWNLOAD_TIMEOUT (a download's
 *   headers and every gap between its body chunks), in seconds, default 10 each. Python reads them as
 *   `int(value) or 10`, so 0 means the default here too; fractions are accepted as well (a superset).
 *   Anything else that is set (text, negative, beyond setTimeout's 24.8 days) is HubError('INVALID_SETTING'):
 *   a typo must not silently turn into a 10-second limit.
 */
import os from 'node:os';
import path from 'node:path';
import { HubError } from './errors.js';

export type Env = Record<string, string | undefined>;

export const DEFAULT_ENDPOINT = 'https://huggingface.co';

const TRUE_VALUES = new Set(['1', 'ON', 'YES', 'TRUE']);

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function homeDir(env: Env): string {
  // Python's expanduser reads $HOME first; honouring it keeps tests (and sudo -E users) consistent.
  return nonEmpty(env.HOME) ?? os.homedir();
}

/** Python's os.path.expanduser + os.path.expandvars, for the subset that matters for paths. */
export function expandPath(value: string, env: Env): string {
  let out = value;
  if (out === '~' || out.startsWith('~/')) out = homeDir(env) + out.slice(1);
  // Unknown variables are left untouched, as expandvars does.
  out = out.replace(/\$(\w+)|\$\{(\w+)\}/g, (match, bare: string | undefined, braced: string | undefined) => {
    const name = (bare ?? braced) as string;
    return env[name] ?? match;
  });
  return out;
}

/** HF_HOME: the parent of the hub cache (also holds the token file and other caches). */
export function resolveHfHome(env: Env): string {
  const hfHome = nonEmpty(env.HF_HOME);
  if (hfHome) return expandPath(hfHome, env);
  const xdg = nonEmpty(env.XDG_CACHE_HOME);
  const base = xdg ? expandPath(xdg, env) : path.join(homeDir(env), '.cache');
  return path.join(base, 'huggingface');
}

/** The hub cache root, the folder that contains `models--org--name` folders. */
export function resolveHubCacheDir(env: Env): string {
  const explicit = nonEmpty(env.HF_HUB_CACHE) ?? nonEmpty(env.HUGGINGFACE_HUB_CACHE);
  if (explicit) return expandPath(explicit, env);
  return path.join(resolveHfHome(env), 'hub');
}

export function resolveEndpoint(env: Env): string {
  return (nonEmpty(env.HF_ENDPOINT) ?? DEFAULT_ENDPOINT).replace(/\/+$/, '');
}

export function isOfflineEnv(env: Env): boolean {
  const value = nonEmpty(env.HF_HUB_OFFLINE) ?? nonEmpty(env.TRANSFORMERS_OFFLINE);
  return value !== undefined && TRUE_VALUES.has(value.toUpperCase());
}

/** The token variable as set, before cleaning (it is a secret to redact in that form too). */
export function tokenFromEnv(env: Env): string | undefined {
  return nonEmpty(env.HF_TOKEN) ?? nonEmpty(env.HUGGING_FACE_HUB_TOKEN);
}

/** huggingface_hub's _clean_token: drop every CR and LF, trim; empty means no token. */
export function cleanToken(token: string | undefined): string | undefined {
  return nonEmpty(token?.replace(/[\r\n]/g, '').trim());
}

export function resolveToken(env: Env): string | undefined {
  return cleanToken(tokenFromEnv(env));
}

export const DEFAULT_TIMEOUT_SECONDS = 10;
/** setTimeout's limit (2^31 - 1 ms, about 24.8 days); a longer delay would fire at once. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;
const MAX_TIMEOUT_SECONDS = Math.floor(MAX_TIMEOUT_MS / 1000);

export type TimeoutVariable = 'HF_HUB_ETAG_TIMEOUT' | 'HF_HUB_DOWNLOAD_TIMEOUT';

/** A timeout variable in seconds (see the header for the rules). */
export function resolveTimeoutSeconds(env: Env, name: TimeoutVariable): number {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return DEFAULT_TIMEOUT_SECONDS;
  const text = raw.trim();
  const seconds = /^\d+(\.\d+)?$/.test(text) ? Number(text) : Number.NaN;
  if (!(seconds <= MAX_TIMEOUT_SECONDS)) {
    throw new HubError(
      'INVALID_SETTING',
      `${name} must be a number of seconds between 0 and ${MAX_TIMEOUT_SECONDS} (e.g. 10 or 2.5), got ${JSON.stringify(raw)}.`,
    );
  }
  return seconds === 0 ? DEFAULT_TIMEOUT_SECONDS : seconds;
}

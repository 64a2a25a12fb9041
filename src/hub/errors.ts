/**
 * Typed errors for everything under src/hub.
 *
 * Contract: every failure this module reports is a `HubError` with a stable `code` (callers branch on
 * the code, never on the message) and a multi-line, human-readable message that says what was tried
 * (the URL), where the cache is, and how to get the weights by hand and pass them with `--weights`.
 * `retryable` is internal plumbing for the retry loops: it marks failures worth another attempt.
 */

export type HubErrorCode =
  /** The model id is not in the known table and is not an `hf-hub:` id. `suggestions` lists close names. */
  | 'UNKNOWN_MODEL'
  /** The id, repo name, revision or file name is malformed (or would escape the cache directory). */
  | 'INVALID_ID'
  /**
   * A setting has an unusable value: HF_HUB_ETAG_TIMEOUT / HF_HUB_DOWNLOAD_TIMEOUT that is not a number of
   * seconds, a token that cannot be sent in an HTTP header, an endpoint that is not an http(s) URL or
   * carries a user name or password, or an out-of-range option (retries, timeouts).
   */
  | 'INVALID_SETTING'
  /** Offline mode is on (HF_HUB_OFFLINE / `offline: true`) and the file is not in the cache. */
  | 'OFFLINE_NOT_CACHED'
  /** The connection failed or was reset and retries were exhausted (or DNS failed). */
  | 'NETWORK'
  /**
   * Nothing arrived for too long: the metadata request within HF_HUB_ETAG_TIMEOUT (not retried), or a
   * download's headers or next body bytes within HF_HUB_DOWNLOAD_TIMEOUT (after retries).
   */
  | 'TIMEOUT'
  /** 404: repository, revision or file does not exist. `notFound` says which. */
  | 'NOT_FOUND'
  /** 401/403: token missing, invalid, or lacking access (private or gated repository). */
  | 'UNAUTHORIZED'
  /** Any other HTTP failure (5xx after retries, 429, unexpected status). `status` is set. */
  | 'HTTP'
  /**
   * The server answered without the headers a Hugging Face hub always sends (commit, ETag), or with
   * values that cannot be used: a commit that is not 40 lower-case hex digits, an etag that is not a
   * plain file name, a size that is not a number, a redirect loop.
   */
  | 'BAD_RESPONSE'
  /** The downloaded bytes do not hash to the sha256 the hub announced. Nothing was kept. */
  | 'CHECKSUM'
  /**
   * The file is not the size the hub announced: more bytes arrived, or the download server itself says
   * the file has another size (Content-Length, Content-Range). Nothing was kept.
   */
  | 'SIZE_MISMATCH'
  /** The cache folder could not be read or written (permissions, disk full, read-only filesystem). */
  | 'CACHE_IO';

export type NotFoundKind = 'repository' | 'revision' | 'file';

export interface HubErrorDetails {
  url?: string;
  status?: number;
  cacheDir?: string;
  manualUrl?: string;
  suggestions?: string[];
  notFound?: NotFoundKind;
  /** Commit announced by the server alongside a 404 (lets callers cache the file's absence). */
  commit?: string;
  retryable?: boolean;
  cause?: unknown;
}

export class HubError extends Error {
  readonly code: HubErrorCode;
  readonly url?: string;
  readonly status?: number;
  readonly cacheDir?: string;
  readonly manualUrl?: string;
  readonly suggestions: string[];
  readonly notFound?: NotFoundKind;
  readonly commit?: string;
  readonly retryable: boolean;

  constructor(code: HubErrorCode, message: string, details: HubErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'HubError';
    this.code = code;
    this.url = details.url;
    this.status = details.status;
    this.cacheDir = details.cacheDir;
    this.manualUrl = details.manualUrl;
    this.suggestions = details.suggestions ?? [];
    this.notFound = details.notFound;
    this.commit = details.commit;
    this.retryable = details.retryable ?? false;
  }
}

export function isHubError(error: unknown, code?: HubErrorCode): error is HubError {
  return error instanceof HubError && (code === undefined || error.code === code);
}

/** Where a failed file lives and how a user could fetch it by hand: the context every message carries. */
export interface FailureContext {
  /** The URL that was tried (or would have been, when offline). */
  url?: string;
  /** The repository folder inside the cache (models--org--name). */
  cacheDir?: string;
  /** Direct `.../resolve/<rev>/model.safetensors` URL to download the weights manually. */
  manualUrl?: string;
}

/**
 * Appends the "what was tried / where is the cache / how to do it by hand" lines to a headline.
 * Kept in one place so every error reads the same way.
 */
export function describeFailure(headline: string, context: FailureContext, hints: string[] = []): string {
  const lines = [headline];
  if (context.url) lines.push(`  URL tried: ${context.url}`);
  if (context.cacheDir) lines.push(`  Cache:     ${context.cacheDir}`);
  for (const hint of hints) lines.push(hint);
  if (context.manualUrl) {
    lines.push(
      'To get the weights by hand, download',
      `  ${context.manualUrl}`,
      'with a browser or `curl -L -o model.safetensors <URL>`, then pass it with `--weights model.safetensors`.',
    );
  }
  return lines.join('\n');
}

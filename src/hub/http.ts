/**
 * HTTP plumbing for the hub: one request with a timeout, retries with exponential backoff, the
 * Authorization policy, redirect handling, and the HEAD that reads a file's metadata.
 *
 * Contract:
 * - The token is sent ONLY to URLs whose origin (scheme, host, port) equals the configured endpoint's.
 *   Redirects are always followed by hand (`redirect: 'manual'`), so a CDN or any other host never
 *   sees it, whatever the fetch implementation does with redirects.
 * - Retried: connection failures and resets (not DNS "no such host"), timeouts, 5xx and 429, all paid
 *   from one RetryBudget per file (`retries`, never refilled). Delay before retry n (1-based) is
 *   retryDelayMs * 2^(n-1), capped at 16 * retryDelayMs.
 * - Timeouts, as huggingface_hub's: `etagTimeout` (HF_HUB_ETAG_TIMEOUT) bounds the wait for a HEAD's
 *   response headers, and such a timeout is not retried; `downloadTimeout` (HF_HUB_DOWNLOAD_TIMEOUT)
 *   bounds a GET's wait for headers and every gap between body chunks (an idle timeout, not a total one:
 *   a 350 MB file on a slow link is fine as long as bytes keep coming).
 * - Metadata (HEAD) follows relative redirects to the same origin only (renamed repositories) and stops
 *   at any other (the CDN), reading commit/etag/size from that response, as huggingface_hub does.
 * - Nothing from the network is trusted: a commit must be 40 lower-case hex digits, an etag a short
 *   plain file name, a size a plain number up to MAX_FILE_BYTES; at most 10 redirects, each to a plain
 *   http(s) URL without user info; X-Error-Message is shown sanitized and cut. Anything else is
 *   BAD_RESPONSE. No response body is read here (error bodies are cancelled unread).
 * - `checkNetworkSettings` runs before a call's first request: endpoint and token must be usable.
 * - Failures are HubError with a short message; download.ts adds the user-facing context.
 */
import { isCommitHash } from './cache-layout.js';
import { HubError, type NotFoundKind } from './errors.js';
import { redact } from './redact.js';
import { MAX_FILE_BYTES } from './repo-files.js';

export type FetchLike = typeof fetch;

export interface HttpClient {
  fetch: FetchLike;
  /** Configured endpoint, e.g. https://huggingface.co; its origin is the only one that gets the token. */
  endpoint: string;
  token?: string;
  retries: number;
  retryDelayMs: number;
  /** The metadata (HEAD) request: time to the response headers. */
  etagTimeout: RequestTimeout;
  /** A download: time to the response headers, then every gap between body chunks. */
  downloadTimeout: RequestTimeout;
}

export interface RequestTimeout {
  ms: number;
  /** Where the value came from, for messages: HF_HUB_DOWNLOAD_TIMEOUT, or an option's name. */
  setting: string;
}

export interface FileMetadata {
  /** X-Repo-Commit: the commit the revision resolved to. */
  commit: string;
  /** Normalized X-Linked-Etag or ETag: sha256 for LFS files, git sha1 otherwise. */
  etag: string;
  /** X-Linked-Size or Content-Length (for LFS, the real file, not the pointer). */
  size: number | undefined;
  /** Where to GET the bytes: the CDN URL of an absolute redirect, else the (relative-redirected) resolve URL. */
  location: string;
}

const USER_AGENT = 'vit-classify (node fetch)';
const MAX_REDIRECTS = 10;
const TIMEOUT_REASON = Symbol('hub-request-timeout');
const SAFE_SEGMENT_RE = /^[A-Za-z0-9._-]+$/;
// Room for `.incomplete` within the usual 255-byte file name limit.
const MAX_ETAG_LENGTH = 200;

/** An etag names blobs/<etag> and blobs/<etag>.incomplete: a plain, short name that cannot pose as another blob's partial file. */
function isSafeEtag(etag: string): boolean {
  return (
    SAFE_SEGMENT_RE.test(etag) && etag.length <= MAX_ETAG_LENGTH && etag !== '.' && etag !== '..' && !etag.endsWith('.incomplete')
  );
}

/** Aborts a request when no progress is seen for `ms`; kick() on every chunk to keep it alive. */
export class StallTimer {
  private timer: NodeJS.Timeout | undefined;
  constructor(
    private readonly controller: AbortController,
    private readonly ms: number,
  ) {
    this.kick();
  }
  kick(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.controller.abort(TIMEOUT_REASON), this.ms);
  }
  stop(): void {
    clearTimeout(this.timer);
  }
}

export interface OpenResponse {
  response: Response;
  stallTimer: StallTimer;
  signal: AbortSignal;
  url: string;
  timeout: RequestTimeout;
}

export function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

export function requestHeaders(client: HttpClient, url: string, extra: Record<string, string> = {}): Record<string, string> {
  const headers: Record<string, string> = { 'User-Agent': USER_AGENT, ...extra };
  if (client.token && sameOrigin(url, client.endpoint)) headers.Authorization = `Bearer ${client.token}`;
  return headers;
}

// What fetch accepts in a header value, minus what no token contains (tabs, non-ASCII).
const HEADER_SAFE_TOKEN_RE = /^[\x20-\x7e]+$/;

/** An endpoint for messages, quoted: user info masked, also in one that is not a URL (`user:pw@host`). */
function showEndpoint(endpoint: string): string {
  const shown = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(endpoint) ? redact(endpoint) : endpoint.replace(/^[^/?#]*@/, '***@');
  return JSON.stringify(shown);
}

/**
 * Checked before the first request of a call (offline calls never need them): an endpoint fetch can
 * use, and a token that can be sent in a header. Neither value is ever shown in full.
 */
export function checkNetworkSettings(client: HttpClient): void {
  let url: URL | undefined;
  try {
    url = new URL(client.endpoint);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new HubError('INVALID_SETTING', `HF_ENDPOINT (or the endpoint option) must be an http:// or https:// URL, got ${showEndpoint(client.endpoint)}.`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new HubError(
      'INVALID_SETTING',
      `HF_ENDPOINT (or the endpoint option) must not contain a user name or password, got ${showEndpoint(client.endpoint)}. ` +
        "Node's fetch cannot send credentials in a URL; a hub token goes in HF_TOKEN.",
    );
  }
  if (client.token !== undefined && !HEADER_SAFE_TOKEN_RE.test(client.token)) {
    throw new HubError(
      'INVALID_SETTING',
      'The hub token (HF_TOKEN, HUGGING_FACE_HUB_TOKEN or the token option) contains characters that cannot be sent in an HTTP header ' +
        '(control characters or non-ASCII letters), so it was not sent. Set it to the token alone, as https://huggingface.co/settings/tokens shows it.',
    );
  }
}

function errnoCode(error: unknown): string | undefined {
  // undici wraps the socket error in `cause`, sometimes in an AggregateError (IPv4 + IPv6 attempts).
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0) {
    const current = queue.shift();
    if (!current || typeof current !== 'object' || seen.has(current)) continue;
    seen.add(current);
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    queue.push((current as { cause?: unknown }).cause);
    const nested = (current as { errors?: unknown }).errors;
    if (Array.isArray(nested)) queue.push(...nested);
  }
  return undefined;
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

/** Turns a fetch/body-stream rejection into a HubError (TIMEOUT or NETWORK). */
export function transportError(error: unknown, url: string, signal: AbortSignal | undefined, timeout?: RequestTimeout): HubError {
  if (error instanceof HubError) return error;
  if (signal?.aborted && signal.reason === TIMEOUT_REASON) {
    const limit = timeout ? ` for ${formatSeconds(timeout.ms)} (${timeout.setting})` : ' for too long';
    return new HubError('TIMEOUT', `${new URL(url).host} sent nothing${limit}.`, { url, retryable: true, cause: error });
  }
  const code = errnoCode(error);
  const reason = code ?? (error instanceof Error ? error.message : String(error));
  // A host name that does not resolve will not start resolving in a second; everything else may be transient.
  const retryable = code !== 'ENOTFOUND';
  return new HubError('NETWORK', `Could not reach ${new URL(url).host} (${reason}).`, { url, retryable, cause: error });
}

function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

const MAX_SERVER_TEXT = 300;

/** Text a server chose, made safe to print: no control characters (terminal escapes), bounded length. */
function printableServerText(text: string | null): string | null {
  if (text === null) return null;
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return clean.length > MAX_SERVER_TEXT ? `${clean.slice(0, MAX_SERVER_TEXT)}…` : clean;
}

/** Maps an HTTP failure to a HubError, reading huggingface's X-Error-Code header. */
export function statusError(response: Response, url: string): HubError {
  const status = response.status;
  const errorCode = response.headers.get('x-error-code') ?? '';
  const serverMessage = printableServerText(response.headers.get('x-error-message'));
  // Only a well-formed commit is passed on: callers write it into refs/ and use it as a folder name.
  const announced = response.headers.get('x-repo-commit');
  const commit = announced !== null && isCommitHash(announced) ? announced : undefined;
  const suffix = serverMessage ? ` Server said: ${serverMessage}` : '';

  if (status === 401 || status === 403 || errorCode === 'GatedRepo') {
    const gated = errorCode === 'GatedRepo';
    return new HubError(
      'UNAUTHORIZED',
      (gated ? `Access to this gated repository was refused (HTTP ${status}).` : `The hub refused access (HTTP ${status}).`) + suffix,
      { url, status },
    );
  }
  if (status === 404) {
    const kinds: Record<string, NotFoundKind> = {
      EntryNotFound: 'file',
      RepoNotFound: 'repository',
      RepositoryNotFound: 'repository',
      RevisionNotFound: 'revision',
    };
    const notFound = kinds[errorCode] ?? 'file';
    return new HubError('NOT_FOUND', `Not found (HTTP 404, ${notFound}).${suffix}`, { url, status, notFound, commit });
  }
  return new HubError('HTTP', `Unexpected HTTP ${status} ${response.statusText}.${suffix}`, {
    url,
    status,
    retryable: isRetryableStatus(status),
  });
}

export function backoffDelay(client: HttpClient, retryNumber: number): number {
  return Math.min(client.retryDelayMs * 2 ** (retryNumber - 1), client.retryDelayMs * 16);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function discardBody(response: Response): Promise<void> {
  try {
    await response.body?.cancel();
  } catch {
    // Nothing to free if the stream already failed.
  }
}

/**
 * One request, no redirects followed, no retries. Rejections become HubError. A HEAD that times out is
 * final, as in huggingface_hub: a hub that does not answer its metadata request within
 * HF_HUB_ETAG_TIMEOUT is down or black-holed, and retrying would only multiply the wait.
 */
export async function sendOnce(
  client: HttpClient,
  method: 'HEAD' | 'GET',
  url: string,
  extraHeaders: Record<string, string> = {},
): Promise<OpenResponse> {
  const timeout = method === 'HEAD' ? client.etagTimeout : client.downloadTimeout;
  const controller = new AbortController();
  const stallTimer = new StallTimer(controller, timeout.ms);
  try {
    const response = await client.fetch(url, {
      method,
      headers: requestHeaders(client, url, extraHeaders),
      redirect: 'manual',
      signal: controller.signal,
    });
    stallTimer.kick();
    return { response, stallTimer, signal: controller.signal, url, timeout };
  } catch (error) {
    stallTimer.stop();
    const failure = transportError(error, url, controller.signal, timeout);
    if (method === 'HEAD' && failure.code === 'TIMEOUT') {
      throw new HubError(failure.code, failure.message, { url, retryable: false, cause: error });
    }
    throw failure;
  }
}

/**
 * The retries one file may use, across every cause (refused or reset connections, timeouts, 5xx and 429,
 * bodies cut short) and every request made for it (HEAD, redirects, GET, resumes). Never refilled, so no
 * server behaviour can make a download loop: at most `retries + 1` failed attempts, then the last error.
 */
export class RetryBudget {
  private used = 0;
  constructor(private readonly client: HttpClient) {}

  get exhausted(): boolean {
    return this.used >= this.client.retries;
  }

  /** Takes one retry and waits its backoff delay. */
  async spend(): Promise<void> {
    this.used++;
    await sleep(backoffDelay(this.client, this.used));
  }

  /** Waits before another attempt after `error`, or throws `error` when it is final or the budget is spent. */
  async retryAfter(error: unknown): Promise<void> {
    if (!(error instanceof HubError) || !error.retryable || this.exhausted) throw error;
    await this.spend();
  }
}

/**
 * `sendOnce` with retries for transport failures and retryable statuses, paid from `budget`. Returns the
 * last response even when its status is a failure, so the caller decides how to report it.
 */
export async function sendWithRetries(
  client: HttpClient,
  budget: RetryBudget,
  method: 'HEAD' | 'GET',
  url: string,
  extraHeaders: Record<string, string> = {},
): Promise<OpenResponse> {
  for (;;) {
    let opened: OpenResponse;
    try {
      opened = await sendOnce(client, method, url, extraHeaders);
    } catch (error) {
      await budget.retryAfter(error);
      continue;
    }
    if (isRetryableStatus(opened.response.status) && !budget.exhausted) {
      opened.stallTimer.stop();
      await discardBody(opened.response);
      await budget.spend();
      continue;
    }
    return opened;
  }
}

export function isRedirect(status: number): boolean {
  return status >= 300 && status < 400 && status !== 304;
}

/**
 * huggingface_hub follows a HEAD redirect only when the Location has no host (a renamed repository,
 * same server). We also require the resolved URL to be on the same origin: URL parsing turns
 * `\\host/path` (no scheme, no `//`) into another host.
 */
function isRelativeRedirect(location: string, target: string, from: string): boolean {
  return !/^[A-Za-z][A-Za-z0-9+.-]*:/.test(location) && !location.startsWith('//') && sameOrigin(target, from);
}

export function redirectTarget(response: Response, url: string): string {
  const location = response.headers.get('location');
  if (!location) {
    throw new HubError('BAD_RESPONSE', `HTTP ${response.status} redirect without a Location header.`, { url });
  }
  let target: URL;
  try {
    target = new URL(location, url);
  } catch {
    throw new HubError('BAD_RESPONSE', `HTTP ${response.status} redirect to an invalid Location.`, { url });
  }
  if ((target.protocol !== 'http:' && target.protocol !== 'https:') || target.username !== '' || target.password !== '') {
    throw new HubError('BAD_RESPONSE', `HTTP ${response.status} redirect to ${redact(target.toString())}: not a plain http(s) URL.`, { url });
  }
  return target.toString();
}

export function normalizeEtag(etag: string | null): string | undefined {
  if (etag === null) return undefined;
  const normalized = etag.trim().replace(/^W\//, '').replace(/^"+|"+$/g, '');
  return normalized === '' ? undefined : normalized;
}

/**
 * X-Linked-Size (an LFS file's real size), else Content-Length, as huggingface_hub reads them; when
 * present, a plain number of bytes up to MAX_FILE_BYTES, or the answer is unusable.
 */
function announcedSize(response: Response, url: string): number | undefined {
  const header = response.headers.has('x-linked-size') ? 'X-Linked-Size' : 'Content-Length';
  const value = response.headers.get(header);
  if (value === null) return undefined;
  const text = value.trim();
  const size = /^\d{1,20}$/.test(text) ? Number(text) : Number.NaN;
  if (!(size <= MAX_FILE_BYTES)) {
    throw new HubError(
      'BAD_RESPONSE',
      `The hub announced an unusable size, ${header}: ${JSON.stringify(printableServerText(value.slice(0, 40)))} ` +
        `(expected a number of bytes up to ${MAX_FILE_BYTES}).`,
      { url },
    );
  }
  return size;
}

function metadataFrom(response: Response, requestUrl: string, location: string): FileMetadata {
  const commit = response.headers.get('x-repo-commit') ?? undefined;
  const etag = normalizeEtag(response.headers.get('x-linked-etag') ?? response.headers.get('etag'));
  if (!commit || !etag) {
    throw new HubError(
      'BAD_RESPONSE',
      `The server at ${new URL(requestUrl).host} answered without ${commit ? 'an ETag' : 'an X-Repo-Commit'} header, ` +
        'so it does not look like a Hugging Face hub. A proxy, captive portal or wrong HF_ENDPOINT is the usual cause.',
      { url: requestUrl },
    );
  }
  // Both end up as path segments in the cache (and the commit in refs/, read by Python too):
  // the commit must be a real hash, the etag a plain file name.
  if (!isCommitHash(commit)) {
    throw new HubError('BAD_RESPONSE', `The hub sent an unusable commit: ${JSON.stringify(commit.slice(0, 80))} (expected 40 lower-case hex digits).`, {
      url: requestUrl,
    });
  }
  if (!isSafeEtag(etag)) {
    throw new HubError('BAD_RESPONSE', `The hub sent an unusable etag: ${JSON.stringify(etag.slice(0, 80))}.`, { url: requestUrl });
  }
  return { commit, etag, size: announcedSize(response, requestUrl), location };
}

/** HEAD a resolve URL: commit, etag, size and download location of one file. */
export async function fetchFileMetadata(client: HttpClient, budget: RetryBudget, resolveUrl: string): Promise<FileMetadata> {
  let url = resolveUrl;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    // identity: we want the real size, not a compressed one.
    const { response, stallTimer } = await sendWithRetries(client, budget, 'HEAD', url, { 'Accept-Encoding': 'identity' });
    stallTimer.stop();
    await discardBody(response);
    if (isRedirect(response.status)) {
      const target = redirectTarget(response, url);
      if (isRelativeRedirect(response.headers.get('location') as string, target, url)) {
        url = target;
        continue;
      }
      return metadataFrom(response, url, target);
    }
    if (!response.ok) throw statusError(response, url);
    return metadataFrom(response, url, url);
  }
  throw new HubError('BAD_RESPONSE', `Too many redirects starting at ${resolveUrl}.`, { url: resolveUrl });
}

/**
 * GET the bytes at `url`, following every redirect by hand (the token only goes to the endpoint's origin),
 * optionally from byte `rangeStart`. Returns the final response, which may be a failure status.
 */
export async function openDownload(client: HttpClient, budget: RetryBudget, url: string, rangeStart: number): Promise<OpenResponse> {
  const extra: Record<string, string> = { 'Accept-Encoding': 'identity' };
  if (rangeStart > 0) extra.Range = `bytes=${rangeStart}-`;
  let current = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const opened = await sendWithRetries(client, budget, 'GET', current, extra);
    if (!isRedirect(opened.response.status)) return opened;
    opened.stallTimer.stop();
    await discardBody(opened.response);
    current = redirectTarget(opened.response, current);
  }
  throw new HubError('BAD_RESPONSE', `Too many redirects starting at ${url}.`, { url });
}

export { discardBody };

// Inputs that are http(s) URLs: `vit classify https://example.com/cat.jpg` fetches the image and
// classifies its bytes like a file's. The HTTP plumbing (the request with its idle timer, manual
// redirects, transport errors) is the hub client's (hub/http.ts); this file adds what a URL given
// by the user needs:
// - Only an input that starts with `http://` or `https://` (any case) is a URL; anything else is a
//   path (a file whose path starts that way is named `./http://...`).
// - Bounded: at most `maxBytes` per URL, a Content-Length over it refused before the body is read
//   and the body cut as soon as it passes it, whatever the header said; `timeoutMs` for the
//   headers and for every gap between body chunks; `maxTimeMs` for the whole download; at most
//   MAX_URL_REDIRECTS redirects, each to a plain http(s) URL, never from https down to http (the
//   bytes would come over a connection anyone on the way can change).
// - At most URL_CONCURRENCY inputs are fetched (and decoded) at once per run, in input order, so
//   the bytes held are at most URL_CONCURRENCY x maxBytes; the rest of the batch pipeline is
//   unchanged (fetches overlap the forward pass as file reads do).
// - No retries: a failed URL is an error record (code URL_FETCH_FAILED, URL_HTTP_STATUS,
//   URL_TOO_LARGE, URL_TIMEOUT or INVALID_URL), and `--resume` tries error records again.
// - A user name and password in the URL are sent as HTTP Basic authorization, to the URL's own
//   origin only (never to a redirect target elsewhere), and never shown: the record's `file` is
//   the URL with them masked, and messages also mask the query's values (signed URLs carry
//   their signature there).
// - Proxies and TLS are Node's fetch's defaults: HTTP(S)_PROXY are not read, certificates are
//   checked against Node's CA store (NODE_EXTRA_CA_CERTS adds to it).

import { HubError } from '../hub/errors.js';
import { discardBody, isRedirect, redirectTarget, sameOrigin, sendOnce, transportError, type HttpClient, type OpenResponse, type RequestTimeout } from '../hub/http.js';
import { redact } from '../hub/redact.js';
import { ImageDecodeError } from '../image/index.js';
import { URL_INPUT_DEFAULTS } from './constants.js';
import type { TimingObserver } from './timing.js';

/** Redirects followed for one URL; one more is URL_FETCH_FAILED (a loop ends here too). */
export const MAX_URL_REDIRECTS = 5;
/** URL inputs being fetched and decoded at once in one run. */
export const URL_CONCURRENCY = 4;
/** The longest URL accepted (bytes of UTF-8): far above a signed cloud-storage URL. */
export const MAX_URL_BYTES = 8192;

export interface UrlFetchOptions {
  /** The most bytes one URL may send; default URL_INPUT_DEFAULTS.maxMb MiB. */
  maxBytes?: number;
  /** The longest wait for the response headers and for each next piece of the body; default 10 s. */
  timeoutMs?: number;
  /** The longest one download may take in all; default 120 s. */
  maxTimeMs?: number;
}

const MIB = 2 ** 20;

/** A URL input that could not be fetched: a code for programs, a message naming the URL (secrets masked). */
export class UrlInputError extends Error {
  override name = 'UrlInputError';
  constructor(
    readonly code: 'INVALID_URL' | 'URL_FETCH_FAILED' | 'URL_HTTP_STATUS' | 'URL_TOO_LARGE' | 'URL_TIMEOUT',
    message: string,
  ) {
    super(message);
  }
}

/** Whether an input names a URL (fetched) rather than a path. */
export function isUrlInput(input: string): boolean {
  return /^https?:\/\//i.test(input);
}

/** The URL as records show it (`file`): as given, with any user name and password masked. */
export function urlForRecord(url: string): string {
  return redact(url);
}

/** The URL as messages show it: also every value of its query masked (a signature, a token). */
export function urlForMessage(url: string): string {
  const shown = redact(url);
  const start = shown.indexOf('?');
  if (start === -1) return shown;
  const hash = shown.indexOf('#', start);
  const end = hash === -1 ? shown.length : hash;
  const query = shown
    .slice(start + 1, end)
    .split('&')
    .map((part) => (part.includes('=') ? `${part.slice(0, part.indexOf('='))}=***` : part === '' ? '' : '***'))
    .join('&');
  return `${shown.slice(0, start + 1)}${query}${shown.slice(end)}`;
}

/** The input item (inputs.ts's InputItem) for a URL input: to be fetched, or already an INVALID_URL error. */
export function urlItem(input: string): { path: string; url: string } | { path: string; error: { code: 'INVALID_URL'; message: string } } {
  const path = urlForRecord(input);
  const problem = urlProblem(input);
  if (problem === undefined) return { path, url: input };
  const shown = urlForMessage(input);
  return { path, error: { code: 'INVALID_URL', message: `${JSON.stringify(shown.length > 80 ? `${shown.slice(0, 80)}...` : shown)}: not a usable URL: ${problem}` } };
}

function urlProblem(input: string): string | undefined {
  if (Buffer.byteLength(input) > MAX_URL_BYTES) return `longer than ${MAX_URL_BYTES} bytes`;
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return 'it does not parse';
  }
  return url.hostname === '' ? 'no host' : undefined;
}

/**
 * The URL inputs of one run: each fetched when its turn comes (at most URL_CONCURRENCY at once,
 * first come first served, so inputs are fetched in input order), its bytes handed to `use`
 * (decoding), the slot held until `use` is done. close() aborts whatever is in flight.
 */
export class UrlFetcher {
  private readonly limits: Required<UrlFetchOptions>;
  private readonly closing = new AbortController();
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    options: UrlFetchOptions = {},
    /** Told how long each download took (a 'fetch' event). */
    private readonly onTiming?: TimingObserver,
  ) {
    this.limits = {
      maxBytes: options.maxBytes ?? URL_INPUT_DEFAULTS.maxMb * MIB,
      timeoutMs: options.timeoutMs ?? URL_INPUT_DEFAULTS.timeoutSeconds * 1000,
      maxTimeMs: options.maxTimeMs ?? URL_INPUT_DEFAULTS.maxTimeSeconds * 1000,
    };
    for (const [name, value] of Object.entries(this.limits)) {
      if (!(Number.isFinite(value) && value >= 1)) throw new RangeError(`url.${name} must be a number >= 1, got ${value}`);
    }
  }

  /**
   * Fetch `url` and run `use` on its bytes. A failure to fetch is a UrlInputError; a decoding
   * failure in `use` is an ImageDecodeError naming the URL (not "<buffer>").
   */
  async withBytes<T>(url: string, use: (bytes: Uint8Array) => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      const start = performance.now();
      const bytes = await fetchBytes(url, this.limits, this.closing.signal);
      this.onTiming?.({ stage: 'fetch', image: urlForRecord(url), bytes: bytes.length, ms: performance.now() - start });
      try {
        return await use(bytes);
      } catch (e) {
        if (!(e instanceof ImageDecodeError) || !e.message.startsWith(e.source)) throw e;
        const shown = urlForMessage(url);
        throw new ImageDecodeError(e.code, shown, `${shown}${e.message.slice(e.source.length)}`, { cause: e });
      }
    } finally {
      this.release();
    }
  }

  /** Abort every fetch in flight (the run is over). */
  close(): void {
    this.closing.abort();
  }

  private async acquire(): Promise<void> {
    if (this.active < URL_CONCURRENCY) {
      this.active++;
      return;
    }
    // The slot is handed over by release(), so `active` stays counted.
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next !== undefined) next();
    else this.active--;
  }
}

/** The bytes at `url` within `limits` (see the header), or a UrlInputError. */
async function fetchBytes(url: string, limits: Required<UrlFetchOptions>, closing: AbortSignal): Promise<Uint8Array> {
  const shown = urlForMessage(url);
  const deadline = AbortSignal.timeout(limits.maxTimeMs);
  const stop = AbortSignal.any([deadline, closing]);
  const timeout: RequestTimeout = { ms: limits.timeoutMs, setting: '--url-timeout' };
  const client: HttpClient = {
    // The hub's request times the wait for headers and chunks; the deadline and close() abort it as well.
    fetch: (input, init) => fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, stop]) : stop }),
    endpoint: '', // no hub token goes anywhere
    retries: 0,
    retryDelayMs: 0,
    etagTimeout: timeout,
    downloadTimeout: timeout,
  };
  try {
    return await download(client, url, shown, limits.maxBytes);
  } catch (e) {
    if (closing.aborted) throw new UrlInputError('URL_FETCH_FAILED', `${shown}: not fetched: the run was stopped`);
    if (deadline.aborted) throw new UrlInputError('URL_TIMEOUT', `${shown}: not downloaded within ${seconds(limits.maxTimeMs)} (--url-max-time)`);
    if (e instanceof UrlInputError) throw e;
    if (e instanceof HubError) throw new UrlInputError(e.code === 'TIMEOUT' ? 'URL_TIMEOUT' : 'URL_FETCH_FAILED', `${shown}: ${sentence(withReason(e))}`);
    throw e;
  }
}

async function download(client: HttpClient, url: string, shown: string, maxBytes: number): Promise<Uint8Array> {
  const opened = await openFollowingRedirects(client, url, shown);
  const { response, stallTimer, signal } = opened;
  try {
    if (!response.ok) {
      await discardBody(response);
      // node:http for its phrases only, and only here: on Node 24 importing it at start-up costs
      // every command ~40 ms (its ES module wrapper loads undici, http2 and tls).
      const { STATUS_CODES } = await import('node:http');
      throw new UrlInputError('URL_HTTP_STATUS', `${shown}: HTTP ${response.status}${STATUS_CODES[response.status] ? ` ${STATUS_CODES[response.status]}` : ''}`);
    }
    const announced = contentLength(response);
    if (announced !== undefined && announced > maxBytes) {
      await discardBody(response);
      throw tooLarge(shown, maxBytes, `the server announces ${announced} bytes`);
    }
    const chunks: Uint8Array[] = [];
    let received = 0;
    try {
      for await (const chunk of response.body ?? []) {
        stallTimer.kick();
        received += chunk.length;
        // Leaving the loop cancels the body: nothing more is read.
        if (received > maxBytes) throw tooLarge(shown, maxBytes, `more than ${maxBytes} bytes arrived`);
        chunks.push(chunk);
      }
    } catch (e) {
      throw e instanceof UrlInputError ? e : transportError(e, opened.url, signal, opened.timeout);
    }
    return Buffer.concat(chunks, received);
  } finally {
    stallTimer.stop();
  }
}

/** GET `url`, following at most MAX_URL_REDIRECTS redirects, each checked; the final response, whatever its status. */
async function openFollowingRedirects(client: HttpClient, url: string, shown: string): Promise<OpenResponse> {
  const basic = basicAuthorization(url);
  let current = url;
  for (let redirects = 0; ; redirects++) {
    // A user name and password go to the URL's own origin only, as curl does.
    const headers: Record<string, string> = basic !== undefined && sameOrigin(current, url) ? { Authorization: basic } : {};
    const opened = await sendOnce(client, 'GET', withoutUserInfo(current), headers);
    if (!isRedirect(opened.response.status)) return opened;
    opened.stallTimer.stop();
    await discardBody(opened.response);
    if (redirects === MAX_URL_REDIRECTS) throw new UrlInputError('URL_FETCH_FAILED', `${shown}: more than ${MAX_URL_REDIRECTS} redirects`);
    const next = redirectTarget(opened.response, current);
    if (new URL(current).protocol === 'https:' && new URL(next).protocol === 'http:') {
      throw new UrlInputError('URL_FETCH_FAILED', `${shown}: redirected from https to ${urlForMessage(next)}: refused (plain http would let anyone on the way change the image)`);
    }
    current = next;
  }
}

/** `Basic ...` for a URL's user name and password, if it has them (Node's fetch refuses URLs with them). */
function basicAuthorization(url: string): string | undefined {
  const { username, password } = new URL(url);
  if (username === '' && password === '') return undefined;
  return `Basic ${Buffer.from(`${decodeURIComponent(username)}:${decodeURIComponent(password)}`).toString('base64')}`;
}

function withoutUserInfo(url: string): string {
  const parsed = new URL(url);
  parsed.username = '';
  parsed.password = '';
  return parsed.toString();
}

/** Content-Length, when the body is sent as it is (a compressed body's length says nothing of the bytes read). */
function contentLength(response: Response): number | undefined {
  const encoding = response.headers.get('content-encoding');
  if (encoding !== null && encoding.trim().toLowerCase() !== 'identity') return undefined;
  const value = response.headers.get('content-length')?.trim();
  return value !== undefined && /^\d{1,20}$/.test(value) ? Number(value) : undefined;
}

function tooLarge(shown: string, maxBytes: number, what: string): UrlInputError {
  return new UrlInputError('URL_TOO_LARGE', `${shown}: ${what}, over the limit of ${maxBytes} bytes (--url-max-mb)`);
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

/**
 * The hub's message, with undici's bare "fetch failed" replaced by the reason under it when that
 * has no error code (fetch's blocked ports, e.g. :25 or :6000, say "bad port").
 */
function withReason(error: HubError): string {
  let cause: unknown = error.cause;
  while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
  return cause instanceof Error && cause !== error.cause ? error.message.replace('(fetch failed)', `(${cause.message})`) : error.message;
}

/** A hub message as the tail of ours: "Could not reach h (ECONNREFUSED)." -> "could not reach h (ECONNREFUSED)"; "HTTP 302 ..." stays. */
function sentence(message: string): string {
  const text = message.replace(/\.$/, '');
  return /^[A-Z][a-z]/.test(text) ? text.charAt(0).toLowerCase() + text.slice(1) : text;
}

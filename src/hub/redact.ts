/**
 * Keeps secrets out of everything the hub client hands back for printing: error messages, their URL
 * fields and causes, and warnings.
 *
 * Contract:
 * - `redact(text, secrets)` replaces the user info of every URL (`scheme://user:pass@host` ->
 *   `scheme://***@host`) and every occurrence of each secret with `***`. A secret is also looked for
 *   in the forms other code prints it in (JSON-escaped, percent-encoded), and a secret with line breaks
 *   or other control characters in it is also looked for piece by piece (pieces of 4+ characters:
 *   shorter ones would blank out ordinary words).
 * - `hubSecrets` lists what is secret for one call: the token as given and as sent, and the user info
 *   and password of the endpoint (also of one too malformed to parse).
 * - `redactError` rebuilds a HubError (message, url, manualUrl, the whole cause chain) with `redact`;
 *   the new error's stack is built from the redacted message.
 */
import { HubError } from './errors.js';

const MASK = '***';
const MIN_PIECE_LENGTH = 4;
// `scheme://` then the user info, up to the last `@` before the host (a password may contain '@').
const URL_USERINFO_RE = /\b([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^\s/?#]*@/g;
const CONTROL_OR_SPACE_RE = /[\s\u0000-\u001f\u007f]+/;
const MAX_CAUSE_DEPTH = 8;

function variants(secret: string): string[] {
  const forms = new Set<string>([secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)]);
  for (const piece of secret.split(CONTROL_OR_SPACE_RE)) forms.add(piece);
  return [...forms].filter((form) => form.length >= MIN_PIECE_LENGTH || form === secret);
}

/** `text` without URL user info and without any of `secrets` (see the header). */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text.replace(URL_USERINFO_RE, `$1${MASK}@`);
  // Longest first, so a secret is masked whole before any of its pieces is.
  const forms = secrets.filter((s) => s !== '').flatMap(variants).sort((a, b) => b.length - a.length);
  for (const form of forms) out = out.split(form).join(MASK);
  return out;
}

/** The `user:password` of an endpoint, also of one that does not parse as a URL (`user:pw@host`). */
function userInfoOf(endpoint: string): string | undefined {
  const authority = endpoint.replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\//, '').split(/[/?#]/)[0];
  const at = authority.lastIndexOf('@');
  return at > 0 ? authority.slice(0, at) : undefined;
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The secrets of one call: the token (as configured and as sent) and the endpoint's user info and password. */
export function hubSecrets(tokens: readonly (string | undefined)[], endpoint: string): string[] {
  const secrets = new Set(tokens.filter((t): t is string => t !== undefined && t !== ''));
  const userInfo = userInfoOf(endpoint);
  if (userInfo !== undefined) {
    const password = userInfo.includes(':') ? userInfo.slice(userInfo.indexOf(':') + 1) : '';
    for (const secret of [userInfo, password, decoded(password)]) if (secret !== '') secrets.add(secret);
  }
  return [...secrets];
}

function redactCause(cause: unknown, secrets: readonly string[], depth: number): unknown {
  if (depth >= MAX_CAUSE_DEPTH) return undefined;
  if (cause instanceof HubError) return redactError(cause, secrets, depth);
  if (typeof cause === 'string') return redact(cause, secrets);
  if (!(cause instanceof Error)) return cause;
  const copy = new Error(redact(cause.message, secrets), { cause: redactCause(cause.cause, secrets, depth + 1) });
  copy.name = cause.name;
  const code = (cause as { code?: unknown }).code;
  if (typeof code === 'string') Object.assign(copy, { code });
  return copy;
}

/** A HubError with every printable part redacted; any other value is returned as it is. */
export function redactError(error: unknown, secrets: readonly string[], depth = 0): unknown {
  if (!(error instanceof HubError)) return error;
  const clean = (value: string | undefined) => (value === undefined ? undefined : redact(value, secrets));
  return new HubError(error.code, redact(error.message, secrets), {
    url: clean(error.url),
    status: error.status,
    cacheDir: error.cacheDir,
    manualUrl: clean(error.manualUrl),
    suggestions: error.suggestions,
    notFound: error.notFound,
    commit: error.commit,
    retryable: error.retryable,
    cause: redactCause(error.cause, secrets, depth + 1),
  });
}

// What `vit worker` and `vit enqueue` are told, checked before anything connects: the Redis URL
// (redis:// or rediss://, shown only with its password hidden) and the queue's name. No BullMQ or
// ioredis here: this file loads with the application layer.

/** A Redis URL or queue name that cannot be used (a usage error: exit 2). */
export class QueueSettingError extends Error {
  override name = 'QueueSettingError';
}

/** Redis could not be reached, or answered with an error, or went away (exit 69, EX_UNAVAILABLE). */
export class QueueUnavailableError extends Error {
  override name = 'QueueUnavailableError';
}

export interface RedisTarget {
  /** The URL as given, password included: only ever handed to the Redis client. */
  url: string;
  /** The URL with its password replaced by ***, for messages. */
  shown: string;
}

/**
 * A redis:// or rediss:// (TLS) URL with a host. The error never repeats the value itself: it
 * may hold a password.
 */
export function parseRedisUrl(value: string): RedisTarget {
  const expected = 'expected a redis:// or rediss:// URL such as redis://127.0.0.1:6379 (with a password: redis://:PASSWORD@host:6379)';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new QueueSettingError(`--redis: ${expected}, received something that is not a URL`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new QueueSettingError(`--redis: ${expected}, received a URL of scheme '${url.protocol.replace(/:$/, '').slice(0, 20)}'`);
  }
  if (url.hostname === '') throw new QueueSettingError(`--redis: ${expected}, received a URL without a host`);
  if (url.pathname !== '' && url.pathname !== '/' && !/^\/\d{1,2}$/.test(url.pathname)) {
    throw new QueueSettingError(`--redis: the path of the URL is the database number (/0 to /99), received '${url.pathname.slice(0, 20)}'`);
  }
  return { url: value, shown: redactedUrl(url) };
}

function redactedUrl(url: URL): string {
  if (url.password === '') return url.href;
  const copy = new URL(url.href);
  copy.password = '***';
  return copy.href;
}

/** BullMQ queue names: a key part in Redis (no ':'), kept to a plain word. */
export function checkQueueName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(name)) {
    throw new QueueSettingError(`--queue: expected 1 to 100 letters, digits, '.', '_' or '-' (not first), received '${name.slice(0, 100)}'`);
  }
  return name;
}

/** A positive integer option, or a RangeError naming it (a library caller's mistake). */
export function checkPositive(name: string, value: number, max = 2 ** 31 - 1): number {
  if (!(Number.isInteger(value) && value >= 1 && value <= max)) throw new RangeError(`${name}: expected an integer in 1..${max}, received ${value}`);
  return value;
}

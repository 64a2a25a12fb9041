// Connections to Redis (ioredis), made only after a first connection has shown that the server
// answers: a wrong host or password is then one line and exit 69 at once, not a client that
// retries for ever. Every message names the URL with its password hidden.

import { Redis, type RedisOptions } from 'ioredis';
import { QueueUnavailableError, type RedisTarget } from './settings.js';

/** Connect once, PING, disconnect: rejects with a QueueUnavailableError within about `timeoutMs`. */
export async function checkReachable(target: RedisTarget, timeoutMs: number): Promise<void> {
  const probe = new Redis(target.url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  // The socket's own error (ECONNREFUSED, ENOTFOUND) says more than the rejection that follows
  // it ("Connection is closed."); without a listener ioredis would print it itself.
  let cause: Error | undefined;
  probe.on('error', (error: Error) => {
    cause ??= error;
  });
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    throw unavailable(target, 'cannot reach Redis', cause ?? error);
  } finally {
    probe.disconnect();
  }
}

/**
 * A connection for a long-lived user (a worker, or enqueue --wait): BullMQ's blocking commands
 * need maxRetriesPerRequest null, and a Redis that restarts is connected to again (every 0.5 s
 * to 5 s); `onError` is told of each distinct error once in a row.
 */
export function lastingConnection(target: RedisTarget, timeoutMs: number, onError: (message: string) => void): Redis {
  const redis = new Redis(target.url, {
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: null,
    retryStrategy: (times) => Math.min(500 * times, 5000),
  });
  let last = '';
  redis.on('error', (error: Error) => {
    if (error.message !== last) onError(`Redis at ${target.shown}: ${error.message}`);
    last = error.message;
  });
  redis.on('ready', () => {
    last = '';
  });
  return redis;
}

/** A connection for short work (enqueue): a command not answered within `timeoutMs` fails. */
export function shortConnection(target: RedisTarget, timeoutMs: number): Redis {
  const redis = new Redis(target.url, {
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 2,
    retryStrategy: (times) => (times > 3 ? null : 200 * times),
  });
  redis.on('error', () => {});
  return redis;
}

/** The one-line error for a Redis failure: what was being done, the URL (password hidden), why. */
export function unavailable(target: RedisTarget, doing: string, error: unknown): QueueUnavailableError {
  const why = error instanceof Error ? error.message : String(error);
  return new QueueUnavailableError(`${doing} at ${target.shown}: ${why.split('\n')[0] || 'no answer'}`);
}

/** Errors of the Redis client or server (not of our own code): a lost connection, a timeout, a refused command. */
export function isRedisFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code;
  return (
    ['ReplyError', 'MaxRetriesPerRequestError', 'AbortError'].includes(error.name) ||
    /^(Connection is closed|Command timed out|Stream isn't writeable)/.test(error.message) ||
    (code !== undefined && /^E[A-Z]+$/.test(code))
  );
}

export type { Redis, RedisOptions };

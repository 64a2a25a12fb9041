// What startServer takes and gives, and its settings with the defaults filled in and checked.
// No fastify here: these types are exported by the light serve/index.ts.

import { availableParallelism } from 'node:os';
import type { PrepareOptions } from '../classifier.js';
import { SERVE_DEFAULTS } from '../constants.js';
import type { Classifier, LoadModelOptions } from '../load-model.js';

export interface ServeOptions {
  /**
   * The model to serve. It is loaded after the server starts listening (/healthz answers 503
   * until it is ready); the server owns the classifier and disposes it on close. `batchSize`
   * (default 4) is the most images one forward pass takes.
   */
  model: LoadModelOptions;
  /** Address to bind (default 127.0.0.1: this machine only). */
  host?: string;
  /** Port (default 8080); 0 picks a free one (see RunningServer.url). */
  port?: number;
  /** How long the first image of a batch waits for others, in ms (default 5). */
  batchWindowMs?: number;
  /** Images admitted at once, decoding or waiting for the model (default 64); beyond it 503 with Retry-After. */
  maxQueue?: number;
  /** Largest request body in bytes (default 32 MiB); beyond it 413. */
  maxBodyBytes?: number;
  /** A request not answered in this many ms gets 503 TIMEOUT (default 30000). */
  timeoutMs?: number;
  /** When set, /v1/classify and /metrics need `Authorization: Bearer <token>` (401 otherwise). */
  token?: string;
  /** Decoding and resizing, as for classify. */
  prepare?: PrepareOptions;
  /**
   * Images decoded at once (default: twice the batch size, at least the number of cores). While a
   * forward pass runs (in the model's own thread), the images decoded meanwhile make the next
   * batch, so fewer than a batch would leave it part-empty. More hold more decoded pixels in memory.
   */
  decodeConcurrency?: number;
  /** Told of unexpected errors (bugs), which clients see only as 500 INTERNAL. */
  log?: (message: string) => void;
}

export interface RunningServer {
  /** Where the server listens, e.g. http://127.0.0.1:8080 (with the real port when 0 was asked). */
  readonly url: string;
  /** The classifier once loaded; rejects if loading failed (the server then answers 503 NOT_READY). */
  readonly ready: Promise<Classifier>;
  /** Stop accepting connections, answer the requests in flight, then dispose the classifier. */
  close(): Promise<void>;
}

export interface ServeSettings {
  /** options.model with the batch size settled. */
  model: LoadModelOptions & { batchSize: number };
  host: string;
  port: number;
  batchWindowMs: number;
  maxQueue: number;
  maxBodyBytes: number;
  timeoutMs: number;
  token: string | undefined;
  prepare: PrepareOptions;
  decodeConcurrency: number;
  log: (message: string) => void;
}

function check(name: string, value: number, ok: boolean, expected: string): number {
  if (!ok) throw new RangeError(`${name}: expected ${expected}, received ${value}`);
  return value;
}

const isInt = (v: number, min: number, max = Number.MAX_SAFE_INTEGER) => Number.isInteger(v) && v >= min && v <= max;

/** The options with defaults filled in; a value out of range is a RangeError saying what was expected. */
export function serveSettings(options: ServeOptions): ServeSettings {
  const port = options.port ?? SERVE_DEFAULTS.port;
  const batchWindowMs = options.batchWindowMs ?? SERVE_DEFAULTS.batchWindowMs;
  const maxQueue = options.maxQueue ?? SERVE_DEFAULTS.maxQueue;
  const maxBodyBytes = options.maxBodyBytes ?? SERVE_DEFAULTS.maxBodyMb * 2 ** 20;
  const timeoutMs = options.timeoutMs ?? SERVE_DEFAULTS.timeoutMs;
  const batchSize = options.model.batchSize ?? SERVE_DEFAULTS.batchSize;
  const decodeConcurrency = options.decodeConcurrency ?? Math.max(availableParallelism(), 2 * batchSize);
  if (options.token === '') throw new RangeError('token: expected a non-empty string (leave it unset for no authentication)');
  return {
    model: { ...options.model, batchSize },
    host: options.host ?? SERVE_DEFAULTS.host,
    port: check('port', port, isInt(port, 0, 65535), 'an integer in 0..65535'),
    batchWindowMs: check('batchWindowMs', batchWindowMs, batchWindowMs >= 0 && batchWindowMs <= 60_000, 'a number of ms in 0..60000'),
    maxQueue: check('maxQueue', maxQueue, isInt(maxQueue, 1), 'a positive integer'),
    maxBodyBytes: check('maxBodyBytes', maxBodyBytes, isInt(maxBodyBytes, 1), 'a positive integer'),
    timeoutMs: check('timeoutMs', timeoutMs, isInt(timeoutMs, 1, 2 ** 31 - 1), 'a positive integer of ms'),
    token: options.token,
    prepare: options.prepare ?? {},
    decodeConcurrency: check('decodeConcurrency', decodeConcurrency, isInt(decodeConcurrency, 1), 'a positive integer'),
    log: options.log ?? (() => {}),
  };
}

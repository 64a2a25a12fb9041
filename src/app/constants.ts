// The choices and defaults the command line declares its options with, importable without
// loading sharp, WebAssembly or the hub client, so `vit --help` and `vit --version` start fast.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../paths.js';

export { BACKEND_NAMES, INT8_ATTENTION_MODES, PRECISIONS, type BackendName, type Int8AttentionMode, type Precision } from '../backend/names.js';
export { RESIZE_ENGINES, type ResizeEngine } from '../image/resize-engines.js';
export { DEFAULT_MODEL } from '../vit/named-models.js';
export { CONFIG_LIMITS } from '../vit/config.js';
export { CROP_MODES, cropPctProblem, INTERPOLATIONS, meanProblem, stdProblem } from '../image/preprocess-fields.js';
export { DEFAULT_AGREEMENT_RULE, DEFAULT_TOLERANCE, type AgreementRule, type Tolerance } from './compare-outputs.js';

/** The files `vit embed` writes features to (app/features-file.ts). */
export const FEATURES_FILE_FORMATS = ['safetensors', 'npy'] as const;
export type FeaturesFileFormat = (typeof FEATURES_FILE_FORMATS)[number];

/** This package's version (package.json). */
export const VERSION = (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** `vit serve` (and startServer) defaults. */
export const SERVE_DEFAULTS = {
  /** Loopback only: reachable from other machines only when asked for. */
  host: '127.0.0.1',
  port: 8080,
  /** How long the first image of a batch waits for others to share its forward pass. */
  batchWindowMs: 5,
  /** Images admitted at once (decoding or waiting for the model); beyond it, 503 and Retry-After. */
  maxQueue: 64,
  /** Largest request body. */
  maxBodyMb: 32,
  /** A request not answered by then gets 503 TIMEOUT. */
  timeoutMs: 30_000,
  /** Images per forward pass. */
  batchSize: 4,
} as const;

/** The most shards `--shard I/N` splits inputs into: beyond this N is a mistake (a shard per input of a huge list is still far below). */
export const MAX_SHARDS = 1_000_000;

/** Inputs that are http(s) URLs (app/fetch-input.ts): the defaults of their limits. */
export const URL_INPUT_DEFAULTS = {
  /** The most bytes one URL may send, in MiB: far above any photo, far below the 512 MiB image file limit. */
  maxMb: 64,
  /** The longest wait, in seconds, for the response headers and then for each next piece of the body (as HF_HUB_DOWNLOAD_TIMEOUT). */
  timeoutSeconds: 10,
  /** The longest one URL's download may take in all, in seconds, however steadily the bytes come. */
  maxTimeSeconds: 120,
} as const;

/** `vit worker` and `vit enqueue` (app/queue) defaults. */
export const QUEUE_DEFAULTS = {
  /** The BullMQ queue's name. */
  queue: 'vit',
  /** Images per forward pass. */
  batchSize: 4,
  /**
   * How long a worker's lock on a job lasts (BullMQ lockDuration), renewed at half of it. A lock
   * that lapses (the worker died, or one forward pass held its event loop longer) lets another
   * worker take the job: keep it well above the longest forward pass.
   */
  lockDurationMs: 30_000,
  /** How often a worker looks for jobs whose lock lapsed (BullMQ stalledInterval). */
  stalledIntervalMs: 30_000,
  /** A job whose worker died this many times is failed instead of tried again (a poison image that kills workers). */
  maxStalledCount: 2,
  /** Tries of a job that failed for a reason other than its image (an image's own error is final at once). */
  attempts: 3,
  /** A job not done by then fails with JOB_TIMEOUT and is tried again (a file on a hung network mount). */
  jobTimeoutMs: 300_000,
  /** Connecting to Redis, and each command of enqueue, must finish within this. */
  connectTimeoutMs: 10_000,
  /** enqueue --wait gives up when no job of its run has finished for this long. */
  waitTimeoutS: 600,
} as const;

// The choices and defaults the command line declares its options with, importable without
// loading sharp, WebAssembly or the hub client, so `vit --help` and `vit --version` start fast.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../paths.js';

export { BACKEND_NAMES, type BackendName } from '../backend/names.js';
export { RESIZE_ENGINES, type ResizeEngine } from '../image/resize-engines.js';
export { DEFAULT_MODEL } from '../vit/named-models.js';
export { CONFIG_LIMITS } from '../vit/config.js';
export { CROP_MODES, cropPctProblem, INTERPOLATIONS, meanProblem, stdProblem } from '../image/preprocess-fields.js';
export { DEFAULT_TOLERANCE, type Tolerance } from './compare-outputs.js';

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

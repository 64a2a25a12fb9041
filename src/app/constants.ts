// The choices and defaults the command line declares its options with, importable without
// loading sharp, WebAssembly or the hub client, so `vit --help` and `vit --version` start fast.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../paths.js';

export { BACKEND_NAMES, type BackendName } from '../backend/names.js';
export { RESIZE_ENGINES, type ResizeEngine } from '../image/resize-engines.js';
export { DEFAULT_MODEL } from '../vit/named-models.js';
export { DEFAULT_TOLERANCE, type Tolerance } from './compare-outputs.js';

/** The files `vit embed` writes features to (app/features-file.ts). */
export const FEATURES_FILE_FORMATS = ['safetensors', 'npy'] as const;
export type FeaturesFileFormat = (typeof FEATURES_FILE_FORMATS)[number];

/** This package's version (package.json). */
export const VERSION = (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

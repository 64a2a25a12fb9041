// Choosing the kernels the model runs on.

import { ReferenceBackend } from './reference/backend.js';
import type { Backend } from './types.js';
import { createWasmBackend } from './wasm/index.js';

import type { BackendName, Precision } from './names.js';

export { BackendUnavailableError, defaultThreads } from './wasm/index.js';

export { BACKEND_NAMES, PRECISIONS, type BackendName, type Precision } from './names.js';

export interface BackendOptions {
  /** Threads per op, the calling thread included (default: the machine's cores). */
  threads?: number;
  /** Linear layers in float32 (default) or int8 (see quantize.ts). */
  precision?: Precision;
}

export async function createBackend(name: BackendName = 'auto', options: BackendOptions = {}): Promise<Backend> {
  switch (name) {
    case 'auto':
      return createWasmBackend({ threads: options.threads, relaxedSimd: 'auto', precision: options.precision });
    case 'wasm':
      return createWasmBackend({ threads: options.threads, relaxedSimd: false, precision: options.precision });
    case 'ref':
      return new ReferenceBackend(options.precision);
  }
}

export type { Backend } from './types.js';

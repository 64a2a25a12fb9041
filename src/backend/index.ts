// Choosing the kernels the model runs on.

import { ReferenceBackend } from './reference/backend.js';
import type { Backend } from './types.js';
import { createWasmBackend } from './wasm/index.js';

import type { BackendName } from './names.js';

export { BackendUnavailableError, defaultThreads } from './wasm/index.js';

export { BACKEND_NAMES, type BackendName } from './names.js';

export interface BackendOptions {
  /** Threads per op, the calling thread included (default: the machine's cores). */
  threads?: number;
}

export async function createBackend(name: BackendName = 'auto', options: BackendOptions = {}): Promise<Backend> {
  switch (name) {
    case 'auto':
      return createWasmBackend({ threads: options.threads, relaxedSimd: 'auto' });
    case 'wasm':
      return createWasmBackend({ threads: options.threads, relaxedSimd: false });
    case 'ref':
      return new ReferenceBackend();
  }
}

export type { Backend } from './types.js';

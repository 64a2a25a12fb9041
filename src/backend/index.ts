// Choosing the kernels the model runs on.

import { ReferenceBackend } from './reference/backend.js';
import type { Backend } from './types.js';
import { createWasmBackend } from './wasm/index.js';

import type { BackendName, Int8AttentionMode, Precision } from './names.js';

export { BackendUnavailableError, defaultThreads } from './wasm/index.js';

export { BACKEND_NAMES, INT8_ATTENTION_MODES, PRECISIONS, type BackendName, type Int8AttentionMode, type Precision } from './names.js';

export interface BackendOptions {
  /** Threads per op, the calling thread included (default: the machine's cores). */
  threads?: number;
  /** Linear layers in float32 (default) or int8 (see quantize.ts). */
  precision?: Precision;
  /** Which attention matmuls run in int8 with precision int8: 'off' (default), 'qk' or 'qk+pv' (see quantize-attention.ts). */
  int8Attention?: Int8AttentionMode;
}

export async function createBackend(name: BackendName = 'auto', options: BackendOptions = {}): Promise<Backend> {
  switch (name) {
    case 'auto':
      return createWasmBackend({ threads: options.threads, relaxedSimd: 'auto', precision: options.precision, int8Attention: options.int8Attention });
    case 'wasm':
      return createWasmBackend({ threads: options.threads, relaxedSimd: false, precision: options.precision, int8Attention: options.int8Attention });
    case 'ref':
      return new ReferenceBackend(options.precision, options.int8Attention);
  }
}

export type { Backend } from './types.js';

// Choosing the kernels the model runs on.

import { ReferenceBackend } from './reference/backend.js';
import type { Backend } from './types.js';
import { createWasmBackend } from './wasm/index.js';

import type { BackendName, Int8AttentionMode, Precision } from './names.js';
import type { Int8Dot } from './wasm/int8-dot.js';

export { BackendUnavailableError, chooseInt8Dot, defaultThreads, INT8_DOTS, type Int8Dot, type Int8DotFacts } from './wasm/index.js';

export { BACKEND_NAMES, INT8_ATTENTION_MODES, PRECISIONS, type BackendName, type Int8AttentionMode, type Precision } from './names.js';

export interface BackendOptions {
  /** Threads per op, the calling thread included (default: the machine's cores). */
  threads?: number;
  /** Linear layers in float32 (default) or int8 (see quantize.ts). */
  precision?: Precision;
  /** Which attention matmuls run in int8 with precision int8: 'off' (default), 'qk' or 'qk+pv' (see quantize-attention.ts). */
  int8Attention?: Int8AttentionMode;
  /** 'auto' only (an error with the others): how its relaxed-SIMD kernels form int8 dot products (wasm/int8-dot.ts; default 'fused'). */
  int8Dot?: Int8Dot;
}

export async function createBackend(name: BackendName = 'auto', options: BackendOptions = {}): Promise<Backend> {
  if (options.int8Dot !== undefined && name !== 'auto') {
    throw new RangeError(`int8Dot is for the relaxed-SIMD kernels of the auto backend: the ${name} backend has none`);
  }
  switch (name) {
    case 'auto':
      return createWasmBackend({ threads: options.threads, relaxedSimd: 'auto', precision: options.precision, int8Attention: options.int8Attention, int8Dot: options.int8Dot });
    case 'wasm':
      return createWasmBackend({ threads: options.threads, relaxedSimd: false, precision: options.precision, int8Attention: options.int8Attention });
    case 'ref':
      return new ReferenceBackend(options.precision, options.int8Attention);
  }
}

export type { Backend } from './types.js';

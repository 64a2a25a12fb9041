// Choosing the kernels the model runs on.

import { ReferenceBackend } from './reference/backend.js';
import type { Backend } from './types.js';
import { createWasmBackend } from './wasm/index.js';

/**
 * 'auto': the fastest this runtime supports (WebAssembly SIMD, with relaxed-SIMD FMA when V8 has it);
 * 'wasm': WebAssembly SIMD, plain 128-bit mul+add kernels only (no relaxed SIMD);
 * 'ref': the plain TypeScript reference (slow; the test oracle).
 */
export type BackendName = 'auto' | 'wasm' | 'ref';
export const BACKEND_NAMES: readonly BackendName[] = ['auto', 'wasm', 'ref'];

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

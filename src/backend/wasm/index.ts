// Entry point of the WebAssembly SIMD backend (see backend.ts for how it works).

import { availableParallelism } from 'node:os';
import { WasmBackend } from './backend.js';
import { WasmHeap } from './heap.js';
import { BackendUnavailableError, compileKernels, relaxedSimdSupported, simdSupported } from './kernels.js';
import { ThreadPool } from './thread-pool.js';
import type { Int8AttentionMode, Precision } from '../names.js';

export { WasmBackend, type KernelName } from './backend.js';
export { BackendUnavailableError, relaxedSimdSupported, simdSupported } from './kernels.js';

/**
 * Threads per op when none are asked for: one per core this process may use
 * (os.availableParallelism()). The one default: callers that show or parse a thread count use it too.
 */
export function defaultThreads(): number {
  return availableParallelism();
}

export interface WasmBackendOptions {
  /** Threads per op, the calling thread included. Default: defaultThreads(). */
  threads?: number;
  /** Use the relaxed-SIMD (FMA) kernels: true requires them, false never uses them, 'auto' (default) when supported. */
  relaxedSimd?: boolean | 'auto';
  /** Linear layers in float32 (default) or int8 (src/backend/quantize.ts). */
  precision?: Precision;
  /** Which attention matmuls run in int8 (precision int8 only; default 'off'). */
  int8Attention?: Int8AttentionMode;
}

export async function createWasmBackend(options: WasmBackendOptions = {}): Promise<WasmBackend> {
  const threads = options.threads ?? defaultThreads();
  if (!Number.isInteger(threads) || threads < 1) {
    throw new RangeError(`wasm backend: threads must be a positive integer, received ${threads}`);
  }
  if (!simdSupported()) {
    throw new BackendUnavailableError(
      "this runtime's WebAssembly has no SIMD (V8 needs SSE4.1 on x64), so the wasm kernels cannot run here: use --backend ref (the TypeScript reference: exact, but about 200 times slower)",
    );
  }
  const wanted = options.relaxedSimd ?? 'auto';
  const relaxed = wanted === 'auto' ? relaxedSimdSupported() : wanted;
  const module = compileKernels(relaxed ? 'relaxed' : 'simd');
  const heap = new WasmHeap();
  const pool = await ThreadPool.create(module, heap, threads);
  return new WasmBackend(heap, pool, options.precision, options.int8Attention);
}

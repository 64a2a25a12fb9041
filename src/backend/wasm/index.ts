// Entry point of the WebAssembly SIMD backend (see backend.ts for how it works).

import { availableParallelism } from 'node:os';
import { WasmBackend } from './backend.js';
import { WasmHeap } from './heap.js';
import { INT8_DOTS, type Int8Dot } from './int8-dot.js';
import { BackendUnavailableError, compileKernels, relaxedSimdSupported, simdSupported } from './kernels.js';
import { ThreadPool } from './thread-pool.js';
import type { Int8AttentionMode, Precision } from '../names.js';

export { WasmBackend, type KernelName } from './backend.js';
export { BackendUnavailableError, relaxedSimdSupported, simdSupported } from './kernels.js';
export { chooseInt8Dot, INT8_DOTS, type Int8Dot, type Int8DotFacts } from './int8-dot.js';

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
  /**
   * How the relaxed-SIMD kernels form int8 dot products (int8-dot.ts; default 'fused'): the same
   * numbers either way, only the speed differs. chooseInt8Dot picks one for a machine; the
   * application layer's startBackend does that for loadModel. Moot when relaxedSimd 'auto' finds
   * no relaxed SIMD; an error with relaxedSimd false.
   */
  int8Dot?: Int8Dot;
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
  const int8Dot = resolveInt8Dot(options.int8Dot, wanted, relaxed);
  const module = compileKernels(relaxed ? 'relaxed' : 'simd');
  const heap = new WasmHeap();
  const pool = await ThreadPool.create(module, heap, threads);
  return new WasmBackend(heap, pool, options.precision, options.int8Attention, int8Dot);
}

/** The dot sequence of the relaxed build's int8 kernels; undefined for the plain build, which has one. */
function resolveInt8Dot(asked: Int8Dot | undefined, relaxedSimd: boolean | 'auto', relaxed: boolean): Int8Dot | undefined {
  if (asked !== undefined && !INT8_DOTS.includes(asked)) {
    throw new RangeError(`wasm backend: int8Dot must be ${INT8_DOTS.join(' or ')}, received ${String(asked)}`);
  }
  if (asked !== undefined && relaxedSimd === false) {
    throw new RangeError(`wasm backend: int8Dot ${asked} is for the relaxed-SIMD kernels, and relaxedSimd is false`);
  }
  return relaxed ? (asked ?? 'fused') : undefined;
}

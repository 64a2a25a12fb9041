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
  checkInt8Dot(options.int8Dot, wanted);
  const module = compileKernels(relaxed ? 'relaxed' : 'simd');
  const heap = new WasmHeap();
  const pool = await ThreadPool.create(module, heap, threads);
  // The backend applies the default (fused), and drops the choice in the plain build, which has one sequence.
  return new WasmBackend(heap, pool, options.precision, options.int8Attention, options.int8Dot);
}

/** An int8Dot the relaxed build knows, and not with relaxedSimd false. */
function checkInt8Dot(asked: Int8Dot | undefined, relaxedSimd: boolean | 'auto'): void {
  if (asked === undefined) return;
  if (!INT8_DOTS.includes(asked)) throw new RangeError(`wasm backend: int8Dot must be ${INT8_DOTS.join(' or ')}, received ${String(asked)}`);
  if (relaxedSimd === false) throw new RangeError(`wasm backend: int8Dot ${asked} is for the relaxed-SIMD kernels, and relaxedSimd is false`);
}

// Shared by the wasm backend tests: seeded random numbers, the kernel/thread configurations every
// op is tested under, and one backend per describe block.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { createWasmBackend, type WasmBackend, type WasmBackendOptions } from '../../src/backend/wasm/index.js';
import { createSharedMemory, instantiateKernels, relaxedSimdSupported, type KernelBuild } from '../../src/backend/wasm/kernels.js';
import { wasm } from '../../src/util/wasm-api.js';

/** float32 unit roundoff. */
export const U = 2 ** -24;

/** Deterministic uniform numbers in [0, 1) (mulberry32). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The Linear epilogues the tests run. */
export type EpilogueKind = 'none' | 'gelu' | 'residual' | 'residual in place' | 'gelu + residual in place';
export const EPILOGUES: EpilogueKind[] = ['none', 'gelu', 'residual', 'residual in place', 'gelu + residual in place'];

/** What an epilogue kind asks of linear(): GELU, a residual, and whether the residual is `out` itself. */
export function epilogueFlags(kind: EpilogueKind): { gelu: boolean; hasResidual: boolean; inPlace: boolean } {
  return { gelu: kind.startsWith('gelu'), hasResidual: kind !== 'none' && kind !== 'gelu', inPlace: kind.endsWith('in place') };
}

/** Both kernel builds (relaxed-SIMD FMA and plain SIMD) on 1 and 2 threads. */
export const KERNEL_CONFIGS = [
  { relaxedSimd: true, threads: 1 },
  { relaxedSimd: true, threads: 2 },
  { relaxedSimd: false, threads: 1 },
  { relaxedSimd: false, threads: 2 },
];

/**
 * The int8 kernels' configurations: KERNEL_CONFIGS with the relaxed build under both of its dot
 * sequences (src/backend/wasm/int8-dot.ts), whatever this machine would pick, since they must give
 * the same numbers everywhere.
 */
export const INT8_KERNEL_CONFIGS: { relaxedSimd: boolean; threads: number; int8Dot?: 'fused' | 'split' }[] = [
  { relaxedSimd: true, threads: 1, int8Dot: 'fused' },
  { relaxedSimd: true, threads: 2, int8Dot: 'fused' },
  { relaxedSimd: true, threads: 1, int8Dot: 'split' },
  { relaxedSimd: true, threads: 2, int8Dot: 'split' },
  { relaxedSimd: false, threads: 1 },
  { relaxedSimd: false, threads: 2 },
];

/**
 * A wasm backend for the enclosing describe block: created before its tests (and handed to
 * `receive`), disposed after them, waiting until its worker threads have exited.
 */
export function useWasmBackend(options: WasmBackendOptions, receive: (backend: WasmBackend) => void): void {
  let backend: WasmBackend | undefined;
  beforeAll(async () => {
    backend = await createWasmBackend(options);
    receive(backend);
  });
  afterAll(async () => {
    if (backend === undefined) return;
    backend.dispose();
    await backend.exited;
  });
}

/** The test build's hooks (assembly/test-hooks.ts) in a memory of their own, one instance per build. */
interface HookInstance {
  hooks: Record<'gelu_n' | 'exp_n', (p: number, n: number) => void> & { heap_base(): number };
  memory: ReturnType<typeof createSharedMemory>;
}
const HOOK_PAGES = 64;
const hookInstances = new Map<KernelBuild, HookInstance>();

/**
 * A vector routine of the kernels, run through the test build's hook (assembly/test-hooks.ts):
 * applied to a copy of `values` (padded to a multiple of 4 inside), so expected values can use
 * the kernel's own GELU or exp.
 */
export function kernelRoutine(build: KernelBuild, hook: 'gelu_n' | 'exp_n', values: Float32Array): Float32Array {
  let instance = hookInstances.get(build);
  if (instance === undefined) {
    relaxedSimdSupported(); // on Node 20, sets the V8 flag that compiling relaxed SIMD needs
    const path = fileURLToPath(new URL(`../../build/wasm/vit-${build}.test.wasm`, import.meta.url));
    const memory = createSharedMemory(HOOK_PAGES);
    const hooks = instantiateKernels(new wasm.Module(readFileSync(path)), memory) as unknown as HookInstance['hooks'];
    instance = { hooks, memory };
    hookInstances.set(build, instance);
  }
  const { hooks, memory } = instance;
  const at = hooks.heap_base();
  const n = Math.ceil(values.length / 4) * 4;
  if (at + n * 4 > HOOK_PAGES * 65536) throw new RangeError(`kernelRoutine: ${values.length} values do not fit the hooks' memory`);
  const view = new Float32Array(memory.buffer, at, n);
  view.fill(0);
  view.set(values);
  hooks[hook](at, n);
  return Float32Array.from(view.subarray(0, values.length));
}

// Shared by the wasm backend tests: seeded random numbers, the kernel/thread configurations every
// op is tested under, and one backend per describe block.

import { afterAll, beforeAll } from 'vitest';
import { createWasmBackend, type WasmBackend, type WasmBackendOptions } from '../../src/backend/wasm/index.js';

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

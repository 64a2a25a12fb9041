// Shared by the wasm backend tests: seeded random numbers and the kernel/thread configurations
// every op is tested under.

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

/** Both kernel builds (relaxed-SIMD FMA and plain SIMD) on 1 and 2 threads. */
export const KERNEL_CONFIGS = [
  { relaxedSimd: true, threads: 1 },
  { relaxedSimd: true, threads: 2 },
  { relaxedSimd: false, threads: 1 },
  { relaxedSimd: false, threads: 2 },
];

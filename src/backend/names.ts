// The backends a user can choose, without loading any of them (the CLI's --help needs the names only).

/**
 * 'auto': the fastest this runtime supports (WebAssembly SIMD, with relaxed-SIMD FMA when V8 has it);
 * 'wasm': WebAssembly SIMD, plain 128-bit mul+add kernels only (no relaxed SIMD);
 * 'ref': the plain TypeScript reference (slow; the test oracle).
 */
export type BackendName = 'auto' | 'wasm' | 'ref';
export const BACKEND_NAMES: readonly BackendName[] = ['auto', 'wasm', 'ref'];

// The backends a user can choose, without loading any of them (the CLI's --help needs the names only).

/**
 * 'auto': the fastest this runtime supports (WebAssembly SIMD, with relaxed-SIMD FMA when V8 has it);
 * 'wasm': WebAssembly SIMD, plain 128-bit mul+add kernels only (no relaxed SIMD);
 * 'ref': the plain TypeScript reference (slow; the test oracle).
 */
export type BackendName = 'auto' | 'wasm' | 'ref';
export const BACKEND_NAMES: readonly BackendName[] = ['auto', 'wasm', 'ref'];

/**
 * How Linear layers compute: 'fp32' (float32 throughout: the default, numerically equal to
 * PyTorch) or 'int8' (weights int8 per output channel, activations quantized per row to 7 bits,
 * int32 sums; see src/backend/quantize.ts). LayerNorm, attention, softmax, GELU and the residual
 * stream stay float32 in both.
 */
export type Precision = 'fp32' | 'int8';
export const PRECISIONS: readonly Precision[] = ['fp32', 'int8'];

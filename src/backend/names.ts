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

/**
 * Which of attention's matmuls run in int8 under precision 'int8' (src/backend/quantize-attention.ts):
 * 'off' (none: float32 attention, the default), 'qk' (the scores Q K^T), 'qk+pv' (the scores and
 * the probabilities times V). Softmax stays float32 in all three.
 */
export type Int8AttentionMode = 'off' | 'qk' | 'qk+pv';
export const INT8_ATTENTION_MODES: readonly Int8AttentionMode[] = ['off', 'qk', 'qk+pv'];

/** A backend's int8 attention mode: 'off' unless given; any other mode needs precision 'int8'. */
export function resolveInt8Attention(precision: Precision, mode: Int8AttentionMode = 'off'): Int8AttentionMode {
  if (!INT8_ATTENTION_MODES.includes(mode)) throw new RangeError(`int8 attention: expected one of ${INT8_ATTENTION_MODES.join(', ')}, received ${String(mode)}`);
  if (mode !== 'off' && precision !== 'int8') throw new RangeError(`int8 attention '${mode}' needs precision int8, received precision ${precision}`);
  return mode;
}

// The micro-kernel of this build and its tile shape, chosen at compile time: 3x12 with fused
// multiply-add when relaxed SIMD is enabled, else 4x8 with multiply + add. Everything above the
// micro-kernel (GEMM blocking, attention, weight packing) is written against MR x NR.

import { gemm_3x12_fma } from './gemm_3x12_fma';
import { gemm_4x8 } from './gemm_4x8';

/** Tile height: rows of A per micro-kernel call. */
export const MR: i32 = ASC_FEATURE_RELAXED_SIMD ? 3 : 4;
/** Tile width: output columns per micro-kernel call = floats per packed weight panel row. */
export const NR: i32 = ASC_FEATURE_RELAXED_SIMD ? 12 : 8;

/**
 * One MR x NR tile over kc steps of K. `a` is row 0 of A and `lda` the row stride in bytes; only
 * `rows` rows are real, the missing ones re-read row 0 (their results are discarded by the caller).
 */
@inline export function microkernel(
  a: usize, lda: usize, rows: i32,
  b: usize, kc: i32,
  c: usize, ldc: usize,
  init: i32, bias: usize, r: usize, ldr: usize,
): void {
  const a1 = rows > 1 ? a + lda : a;
  const a2 = rows > 2 ? a + 2 * lda : a;
  if (ASC_FEATURE_RELAXED_SIMD) {
    gemm_3x12_fma(a, a1, a2, b, kc, c, ldc, init, bias, r, ldr);
  } else {
    const a3 = rows > 3 ? a + 3 * lda : a;
    gemm_4x8(a, a1, a2, a3, b, kc, c, ldc, init, bias, r, ldr);
  }
}

// gemm_4x8: the plain-SIMD micro-kernel (separate multiply and add; no relaxed SIMD needed).
//
// C[4][8] = init + sum_{k<kc} A[r][k] * B[k][0..8]
//   A: four row pointers (a tail tile repeats a valid row; its results are not kept), each row
//      read 4 bytes per k;  B: a packed panel, 8 floats (32 bytes) per k;  C: rows ldc bytes apart.
//   init (tile.ts) picks the starting accumulators: zeros, bias (8 floats at `bias`), bias plus
//   the residual tile at `r` (rows ldr bytes apart), or C itself.
// Eight accumulators + two B vectors + the broadcast A value + the product temporary fit V8's
// ~15 usable xmm registers; wider tiles spill. The K loop is deliberately not unrolled. Inlined
// into its callers for the same reasons as gemm_3x12_fma (ViT-B ~17% faster on this kernel).

import { INIT_BIAS_RES, INIT_C, INIT_ZERO } from './tile';

@inline export function gemm_4x8(
  a0: usize, a1: usize, a2: usize, a3: usize,
  b: usize, kc: i32,
  c: usize, ldc: usize,
  init: i32, bias: usize, r: usize, ldr: usize,
): void {
  let c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128;
  if (init == INIT_C) {
    c00 = v128.load(c); c01 = v128.load(c, 16);
    c10 = v128.load(c + ldc); c11 = v128.load(c + ldc, 16);
    c20 = v128.load(c + 2 * ldc); c21 = v128.load(c + 2 * ldc, 16);
    c30 = v128.load(c + 3 * ldc); c31 = v128.load(c + 3 * ldc, 16);
  } else {
    let v0 = f32x4.splat(0), v1 = v0;
    if (init != INIT_ZERO) {
      v0 = v128.load(bias); v1 = v128.load(bias, 16);
    }
    c00 = v0; c01 = v1; c10 = v0; c11 = v1; c20 = v0; c21 = v1; c30 = v0; c31 = v1;
    if (init == INIT_BIAS_RES) {
      c00 = f32x4.add(c00, v128.load(r)); c01 = f32x4.add(c01, v128.load(r, 16));
      c10 = f32x4.add(c10, v128.load(r + ldr)); c11 = f32x4.add(c11, v128.load(r + ldr, 16));
      c20 = f32x4.add(c20, v128.load(r + 2 * ldr)); c21 = f32x4.add(c21, v128.load(r + 2 * ldr, 16));
      c30 = f32x4.add(c30, v128.load(r + 3 * ldr)); c31 = f32x4.add(c31, v128.load(r + 3 * ldr, 16));
    }
  }
  const end = b + <usize>kc * 32;
  while (b < end) {
    const b0 = v128.load(b), b1 = v128.load(b, 16);
    let x = v128.load32_splat(a0);
    c00 = f32x4.add(f32x4.mul(x, b0), c00); c01 = f32x4.add(f32x4.mul(x, b1), c01);
    x = v128.load32_splat(a1);
    c10 = f32x4.add(f32x4.mul(x, b0), c10); c11 = f32x4.add(f32x4.mul(x, b1), c11);
    x = v128.load32_splat(a2);
    c20 = f32x4.add(f32x4.mul(x, b0), c20); c21 = f32x4.add(f32x4.mul(x, b1), c21);
    x = v128.load32_splat(a3);
    c30 = f32x4.add(f32x4.mul(x, b0), c30); c31 = f32x4.add(f32x4.mul(x, b1), c31);
    a0 += 4; a1 += 4; a2 += 4; a3 += 4; b += 32;
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(c + ldc, c10); v128.store(c + ldc, c11, 16);
  v128.store(c + 2 * ldc, c20); v128.store(c + 2 * ldc, c21, 16);
  v128.store(c + 3 * ldc, c30); v128.store(c + 3 * ldc, c31, 16);
}

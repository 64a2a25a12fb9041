// gemm_3x12_fma: the relaxed-SIMD micro-kernel (built only with relaxed-simd enabled).
//
// C[3][12] = init + sum_{k<kc} A[r][k] * B[k][0..12]
//   A: three row pointers (a tail tile repeats a valid row; its results are not kept), each row
//      read 4 bytes per k;  B: a packed panel, 12 floats (48 bytes) per k;  C: rows ldc bytes apart.
//   init (tile.ts) picks the starting accumulators: zeros, bias (12 floats at `bias`), bias plus
//   the residual tile at `r` (rows ldr bytes apart), or C itself.
// Nine accumulators + three B vectors + one broadcast A value = 13 of V8's ~15 usable xmm
// registers; 4x12 would spill. The K loop is deliberately not unrolled by hand: V8 hoists the
// loads of an unrolled body and runs out of registers.
// Inlined into its callers (@inline): as a function of its own, V8 11.3 compiled the loop to 27
// instructions per 9 FMAs (a zero-extending move and an add per pointer, a stack check). Inlined,
// the pointers arrive as results of 32-bit adds, which V8 knows need no zero-extension, and in
// the GEMM's main loop nest V8 unrolls the loop three times itself (one stack check per three
// steps, no spills): about 21 instructions per 9 FMAs. That matters most when the VM's core is
// shared (the README's Speed section): in alternating runs ViT-B took 3-9% less time, attention
// alone ~9%. Tried without gain on the standalone function: A packed so the three rows share one
// pointer (V8 does not fold a load32_splat's offset, so each row still costs an instruction), and
// pointers made visibly zero-extended without unrolling (23 instructions, ~4% slower on a quiet
// core).

import { INIT_BIAS_RES, INIT_C, INIT_ZERO } from './tile';

@inline export function gemm_3x12_fma(
  a0: usize, a1: usize, a2: usize,
  b: usize, kc: i32,
  c: usize, ldc: usize,
  init: i32, bias: usize, r: usize, ldr: usize,
): void {
  let c00: v128, c01: v128, c02: v128, c10: v128, c11: v128, c12: v128, c20: v128, c21: v128, c22: v128;
  if (init == INIT_C) {
    c00 = v128.load(c); c01 = v128.load(c, 16); c02 = v128.load(c, 32);
    c10 = v128.load(c + ldc); c11 = v128.load(c + ldc, 16); c12 = v128.load(c + ldc, 32);
    c20 = v128.load(c + 2 * ldc); c21 = v128.load(c + 2 * ldc, 16); c22 = v128.load(c + 2 * ldc, 32);
  } else {
    let v0 = f32x4.splat(0), v1 = v0, v2 = v0;
    if (init != INIT_ZERO) {
      v0 = v128.load(bias); v1 = v128.load(bias, 16); v2 = v128.load(bias, 32);
    }
    c00 = v0; c01 = v1; c02 = v2; c10 = v0; c11 = v1; c12 = v2; c20 = v0; c21 = v1; c22 = v2;
    if (init == INIT_BIAS_RES) {
      c00 = f32x4.add(c00, v128.load(r)); c01 = f32x4.add(c01, v128.load(r, 16)); c02 = f32x4.add(c02, v128.load(r, 32));
      c10 = f32x4.add(c10, v128.load(r + ldr)); c11 = f32x4.add(c11, v128.load(r + ldr, 16)); c12 = f32x4.add(c12, v128.load(r + ldr, 32));
      c20 = f32x4.add(c20, v128.load(r + 2 * ldr)); c21 = f32x4.add(c21, v128.load(r + 2 * ldr, 16)); c22 = f32x4.add(c22, v128.load(r + 2 * ldr, 32));
    }
  }
  const end = b + <usize>kc * 48;
  while (b < end) {
    const b0 = v128.load(b), b1 = v128.load(b, 16), b2 = v128.load(b, 32);
    let x = v128.load32_splat(a0);
    c00 = f32x4.relaxed_madd(x, b0, c00); c01 = f32x4.relaxed_madd(x, b1, c01); c02 = f32x4.relaxed_madd(x, b2, c02);
    x = v128.load32_splat(a1);
    c10 = f32x4.relaxed_madd(x, b0, c10); c11 = f32x4.relaxed_madd(x, b1, c11); c12 = f32x4.relaxed_madd(x, b2, c12);
    x = v128.load32_splat(a2);
    c20 = f32x4.relaxed_madd(x, b0, c20); c21 = f32x4.relaxed_madd(x, b1, c21); c22 = f32x4.relaxed_madd(x, b2, c22);
    a0 += 4; a1 += 4; a2 += 4; b += 48;
  }
  v128.store(c, c00); v128.store(c, c01, 16); v128.store(c, c02, 32);
  v128.store(c + ldc, c10); v128.store(c + ldc, c11, 16); v128.store(c + ldc, c12, 32);
  v128.store(c + 2 * ldc, c20); v128.store(c + 2 * ldc, c21, 16); v128.store(c + 2 * ldc, c22, 32);
}

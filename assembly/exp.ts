// exp on four floats at once, for GELU's erfc and for softmax.
//
// exp(hi + lo) = 2^n * e^r with n = round((hi + lo) / ln 2) and r = (hi - n*ln2_hi) + (lo - n*ln2_lo):
// ln2_hi has 16 significant bits, so n*ln2_hi is exact for |n| < 2^8 and hi - n*ln2_hi loses
// nothing. Taking the argument as two parts lets GELU pass -x^2/2 exactly (see gelu.ts); its
// rounding would otherwise cost up to ~150 ulp at |x| = 12. e^r on |r| <= ln2/2 is a degree-6
// polynomial (least-squares fit, relative error < 2e-8; exp measures <= 1.2 ulp against Math.exp
// on [-87, 88]). n is rounded by adding 1.5 * 2^23, which also leaves n in the low bits, ready to
// become the exponent of 2^n. Results below 2^-126 flush to zero.

import { k, K_E3, K_E4, K_E5, K_E6, K_EXP_BIAS, K_EXP_MIN, K_HALF, K_LN2_HI, K_LN2_LO, K_LOG2E, K_ONE, K_ROUND } from './consts';
import { madd } from './simd';

@inline export function expParts(hi: v128, lo: v128): v128 {
  const shifted = madd(f32x4.add(hi, lo), k(K_LOG2E), k(K_ROUND));
  const n = f32x4.sub(shifted, k(K_ROUND));
  const r = f32x4.add(f32x4.sub(hi, f32x4.mul(n, k(K_LN2_HI))), f32x4.sub(lo, f32x4.mul(n, k(K_LN2_LO))));
  return scaledPoly(r, shifted, n);
}

/** 2^n * e^r, with n held in the low bits of `shifted` (see the file header); 0 below 2^-126. */
@inline function scaledPoly(r: v128, shifted: v128, n: v128): v128 {
  let p = madd(k(K_E6), r, k(K_E5));
  p = madd(p, r, k(K_E4));
  p = madd(p, r, k(K_E3));
  p = madd(p, r, k(K_HALF));
  p = madd(p, r, k(K_ONE));
  p = madd(p, r, k(K_ONE));
  const scale = i32x4.shl(i32x4.add(shifted, k(K_EXP_BIAS)), 23);
  return v128.andnot(f32x4.mul(p, scale), f32x4.lt(n, k(K_EXP_MIN)));
}

/**
 * e^x lane-wise (x <= 88; NaN stays NaN, -Infinity gives 0): expParts(x, 0) written out, without
 * the two operations on the zero low part that the compiler may not drop (x + 0 is not x for -0).
 * Same results bit for bit.
 */
@inline export function exp4(x: v128): v128 {
  const shifted = madd(x, k(K_LOG2E), k(K_ROUND));
  const n = f32x4.sub(shifted, k(K_ROUND));
  const r = f32x4.sub(f32x4.sub(x, f32x4.mul(n, k(K_LN2_HI))), f32x4.mul(n, k(K_LN2_LO)));
  return scaledPoly(r, shifted, n);
}

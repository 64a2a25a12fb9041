// exp on four floats at once, for GELU's erfc and for softmax.
//
// exp(hi + lo) = 2^n * e^r with n = round((hi + lo) / ln 2) and r = (hi - n*ln2_hi) + (lo - n*ln2_lo):
// ln2_hi has 16 significant bits, so n*ln2_hi is exact for |n| < 2^8 and hi - n*ln2_hi loses
// nothing. Taking the argument as two parts lets GELU pass -x^2/2 exactly (see gelu.ts); its
// rounding would otherwise cost up to ~150 ulp at |x| = 12. e^r on |r| <= ln2/2 is a degree-6
// polynomial (least-squares fit, relative error < 2e-8). Results below 2^-126 flush to zero.

import { madd } from './simd';

const LOG2E: f32 = 1.44269504;
const LN2_HI: f32 = 0.693145751953125;
const LN2_LO: f32 = 1.4286068e-6;
const E6: f32 = 0.0013942617;
const E5: f32 = 0.0083664004;
const E4: f32 = 0.041666318;
const E3: f32 = 0.16666541;

@inline export function expParts(hi: v128, lo: v128): v128 {
  const n = f32x4.nearest(f32x4.mul(f32x4.add(hi, lo), f32x4.splat(LOG2E)));
  const r = f32x4.add(
    f32x4.sub(hi, f32x4.mul(n, f32x4.splat(LN2_HI))),
    f32x4.sub(lo, f32x4.mul(n, f32x4.splat(LN2_LO))),
  );
  let p = madd(f32x4.splat(E6), r, f32x4.splat(E5));
  p = madd(p, r, f32x4.splat(E4));
  p = madd(p, r, f32x4.splat(E3));
  p = madd(p, r, f32x4.splat(0.5));
  p = madd(p, r, f32x4.splat(1));
  p = madd(p, r, f32x4.splat(1));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  const underflow = f32x4.lt(n, f32x4.splat(-126));
  return v128.andnot(f32x4.mul(p, scale), underflow);
}

/** e^x lane-wise (x <= 88; NaN stays NaN, -Infinity gives 0). */
@inline export function exp4(x: v128): v128 {
  return expParts(x, f32x4.splat(0));
}

// Exact (erf) GELU on four floats: gelu(x) = x/2 * (1 + erf(x/sqrt2)) = x/2 * erfc(-x/sqrt2).
//
// Written through erfc of |x| so that no branch cancels: with h = |x|/2 * erfc(|x|/sqrt2),
//   gelu(x) = x - h  for x >= 0   (h <= x/2, so the difference keeps its relative accuracy)
//   gelu(x) = -h     for x < 0    (erfc evaluated directly, accurate even when tiny).
// erfc(z) = t * exp(-z^2 + P(s)),  t = 1/(1 + 0.6z),  s = 1 - t = 0.6z*t, P(s) a degree-11
// polynomial without constant term (an iteratively reweighted least-squares fit of
// log(erfcx(z)/t) on z in [0, 10], error 1.6e-9; the variable s keeps P small near z = 0, where
// a fit in t would cancel). z^2 = x^2/2 is passed to exp in two exact parts (Veltkamp-style split
// of |x|), because rounding it would dominate the error for large |x|.
// Measured against src/math/erf.ts on a 1/1024 grid of [-5, 13]: at most 4.0 ulp (both builds),
// and above 2.8 ulp only for x < -1.3, where erfc's ~1 ulp pieces (rounding of |x|/sqrt2, of the
// exp argument, of exp itself) add up; for x >= -1.3 at most 2.4 ulp. Further left the relative
// error stays similar (checked against mpmath) until the result drops below 2^-126 (x < ~-13),
// where it flushes to 0. |x| is clamped to 20 so that gelu(+Inf) = +Inf and gelu(-Inf) = -0.

import { expParts } from './exp';
import { madd } from './simd';

const P_COEF: f32 = 0.6;
const INV_SQRT2: f32 = 0.707106781;
const C11: f32 = -0.22404079;
const C10: f32 = 0.92771775;
const C9: f32 = -1.4859741;
const C8: f32 = 1.2361162;
const C7: f32 = -0.71813065;
const C6: f32 = 0.27258328;
const C5: f32 = 0.03977775;
const C4: f32 = 0.12555572;
const C3: f32 = -0.004955737;
const C2: f32 = -0.37121662;
const C1: f32 = -0.8806323;

function gelu4(x: v128): v128 {
  const ax = f32x4.min(f32x4.abs(x), f32x4.splat(20));
  const pz = f32x4.mul(f32x4.mul(ax, f32x4.splat(INV_SQRT2)), f32x4.splat(P_COEF));
  const t = f32x4.div(f32x4.splat(1), f32x4.add(pz, f32x4.splat(1)));
  const s = f32x4.mul(pz, t);
  let q = madd(f32x4.splat(C11), s, f32x4.splat(C10));
  q = madd(q, s, f32x4.splat(C9));
  q = madd(q, s, f32x4.splat(C8));
  q = madd(q, s, f32x4.splat(C7));
  q = madd(q, s, f32x4.splat(C6));
  q = madd(q, s, f32x4.splat(C5));
  q = madd(q, s, f32x4.splat(C4));
  q = madd(q, s, f32x4.splat(C3));
  q = madd(q, s, f32x4.splat(C2));
  q = madd(q, s, f32x4.splat(C1));
  q = f32x4.mul(q, s);
  // |x| = xh + xl with xh holding 12 significant bits, so xh*xh is exact.
  const xh = v128.and(ax, i32x4.splat(0xfffff000));
  const xl = f32x4.sub(ax, xh);
  const hi = f32x4.mul(f32x4.mul(xh, xh), f32x4.splat(-0.5));
  const lo = f32x4.mul(f32x4.mul(xl, f32x4.add(ax, xh)), f32x4.splat(-0.5));
  const erfc = f32x4.mul(t, expParts(hi, f32x4.add(lo, q)));
  const h = f32x4.mul(f32x4.mul(ax, f32x4.splat(0.5)), erfc);
  return v128.bitselect(f32x4.sub(x, h), f32x4.neg(h), f32x4.ge(x, f32x4.splat(0)));
}

/** GELU in place on `cols` floats (a multiple of 4) of `rows` rows, `ld` bytes apart. */
export function geluTile(p: usize, ld: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const row = p + <usize>r * ld;
    for (let j = 0; j < cols; j += 4) {
      const at = row + (<usize>j << 2);
      v128.store(at, gelu4(v128.load(at)));
    }
  }
}

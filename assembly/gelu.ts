// Exact (erf) GELU on four floats: gelu(x) = x/2 * (1 + erf(x/sqrt2)) = x/2 * erfc(-x/sqrt2).
//
// Written through erfc of |x| so that no branch cancels: with h = |x|/2 * erfc(|x|/sqrt2),
//   gelu(x) = x - h  for x >= 0   (h <= x/2, so the difference keeps its relative accuracy)
//   gelu(x) = -h     for x < 0    (erfc evaluated directly, accurate even when tiny),
// that is gelu(x) = max(x, 0) - h, one max instead of a compare, a negation and a select.
// erfc(z) = t * exp(-z^2 + P(s)),  t = 1/(1 + 0.6z),  s = 1 - t = 0.6z*t, P(s) a degree-11
// polynomial without constant term (an iteratively reweighted least-squares fit of
// log(erfcx(z)/t) on z in [0, 10], error 1.6e-9; the variable s keeps P small near z = 0, where
// a fit in t would cancel). z^2 = x^2/2 is passed to exp in two exact parts (Veltkamp-style split
// of |x|), because rounding it would dominate the error for large |x|.
// Measured against src/math/erf.ts on 590k points of [-5, 13]: at most 4.7 ulp (4.3 with FMA),
// above 2.7 ulp only for x < -1.3 (|gelu| < 0.13), where erfc's ~1 ulp pieces (rounding of
// |x|/sqrt2, of the exp argument, of exp itself) add up. For comparison, float32 PyTorch forms
// 1 + erf(x/sqrt2) and loses all relative accuracy for x << 0. Further left the relative error
// stays similar (checked against mpmath) until the result drops below 2^-126 (x < ~-13),
// where it flushes to 0. |x| is clamped to 20 so that gelu(+Inf) = +Inf and gelu(-Inf) = 0.

import { k, K_C, K_CLAMP, K_ERFC_P, K_HALF, K_HI_MASK, K_NEG_HALF, K_ONE } from './consts';
import { expParts } from './exp';
import { madd } from './simd';

/** gelu(x) lane-wise; the constants are described in consts.ts. */
@inline function gelu4(x: v128): v128 {
  const ax = f32x4.pmin(f32x4.abs(x), k(K_CLAMP));
  const pz = f32x4.mul(ax, k(K_ERFC_P));
  const t = f32x4.div(k(K_ONE), f32x4.add(pz, k(K_ONE)));
  const s = f32x4.mul(pz, t);
  // P(s) = s * (C1 + C2 s + ... + C11 s^10) in Estrin's form: a short dependency chain, since
  // the loop is latency-bound (a Horner chain of 11 multiply-adds kept only ~2 vectors in flight).
  const s2 = f32x4.mul(s, s);
  const s4 = f32x4.mul(s2, s2);
  const s8 = f32x4.mul(s4, s4);
  const p01 = madd(k(K_C + 1), s, k(K_C));
  const p23 = madd(k(K_C + 3), s, k(K_C + 2));
  const p45 = madd(k(K_C + 5), s, k(K_C + 4));
  const p67 = madd(k(K_C + 7), s, k(K_C + 6));
  const p89 = madd(k(K_C + 9), s, k(K_C + 8));
  const p03 = madd(p23, s2, p01);
  const p47 = madd(p67, s2, p45);
  const p8a = madd(k(K_C + 10), s2, p89);
  const q = f32x4.mul(madd(madd(p8a, s4, p47), s4, p03), s);
  // |x| = xh + xl with xh holding 12 significant bits, so xh*xh is exact.
  const xh = v128.and(ax, k(K_HI_MASK));
  const xl = f32x4.sub(ax, xh);
  const hi = f32x4.mul(f32x4.mul(xh, xh), k(K_NEG_HALF));
  const lo = f32x4.mul(f32x4.mul(xl, f32x4.add(ax, xh)), k(K_NEG_HALF));
  const erfc = f32x4.mul(t, expParts(hi, f32x4.add(lo, q)));
  const h = f32x4.mul(f32x4.mul(ax, k(K_HALF)), erfc);
  // pmax(x, 0) is x unless x < 0, so NaN stays NaN and -0 stays -0.
  return f32x4.sub(f32x4.pmax(x, f32x4.splat(0)), h);
}

/** GELU in place on `cols` floats (a multiple of 4) of `rows` rows, `ld` bytes apart. */
export function geluTile(p: usize, ld: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const row = p + <usize>r * ld;
    let j = 0;
    // Three vectors per step (a row of the 3x12 tile), else two: independent chains that the CPU
    // overlaps, since the math is latency-bound (measured: one per step is slower).
    for (; j + 12 <= cols; j += 12) {
      const at = row + (<usize>j << 2);
      const a = gelu4(v128.load(at));
      const b = gelu4(v128.load(at, 16));
      const c = gelu4(v128.load(at, 32));
      v128.store(at, a);
      v128.store(at, b, 16);
      v128.store(at, c, 32);
    }
    for (; j + 8 <= cols; j += 8) {
      const at = row + (<usize>j << 2);
      const a = gelu4(v128.load(at));
      const b = gelu4(v128.load(at, 16));
      v128.store(at, a);
      v128.store(at, b, 16);
    }
    if (j < cols) {
      const at = row + (<usize>j << 2);
      v128.store(at, gelu4(v128.load(at)));
    }
  }
}

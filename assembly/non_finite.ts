// Counting NaN and infinities in float32 values: the loader's check of every weight it reads
// (86M values for ViT-B), on the calling thread, over the staging memory the values were just
// read into. The same count as src/util/non-finite.ts: a value is not finite when its exponent
// bits are all ones (infinity: zero mantissa; NaN: any other).

const EXPONENT: i32 = 0x7f800000;

export function count_non_finite(ptr: usize, n: i32): i32 {
  const exponent = i32x4.splat(EXPONENT);
  // Each lane counts down by one per non-finite value (a true comparison is all ones, -1).
  let c0 = i32x4.splat(0);
  let c1 = i32x4.splat(0);
  const whole8 = n & ~7;
  for (let i = 0; i < whole8; i += 8) {
    const at = ptr + (<usize>i << 2);
    c0 = i32x4.add(c0, i32x4.eq(v128.and(v128.load(at), exponent), exponent));
    c1 = i32x4.add(c1, i32x4.eq(v128.and(v128.load(at, 16), exponent), exponent));
  }
  const c = i32x4.add(c0, c1);
  let count = -(i32x4.extract_lane(c, 0) + i32x4.extract_lane(c, 1) + i32x4.extract_lane(c, 2) + i32x4.extract_lane(c, 3));
  for (let i = whole8; i < n; i++) {
    if ((load<i32>(ptr + (<usize>i << 2)) & EXPONENT) == EXPONENT) count++;
  }
  return count;
}

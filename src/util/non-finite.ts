// Finding NaN and infinities in float arrays: damaged weights, or outputs that overflowed.

/** How many values are NaN or infinite (one multiply-add per value when there are none). */
export function countNonFinite(values: Float32Array | Float64Array): number {
  // NaN as soon as one value is not finite. Four sums, so that the adds do not wait for each
  // other: this runs over every weight at load (86M values for ViT-B).
  let p0 = 0;
  let p1 = 0;
  let p2 = 0;
  let p3 = 0;
  const n = values.length;
  const whole = n - (n % 4);
  for (let i = 0; i < whole; i += 4) {
    p0 += values[i] * 0;
    p1 += values[i + 1] * 0;
    p2 += values[i + 2] * 0;
    p3 += values[i + 3] * 0;
  }
  for (let i = whole; i < n; i++) p0 += values[i] * 0;
  if (p0 + p1 + p2 + p3 === 0) return 0;
  let count = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) count++;
  return count;
}

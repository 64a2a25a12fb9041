// Finding NaN and infinities in float arrays: damaged weights, or outputs that overflowed.

/** How many values are NaN or infinite (one multiply-add per value when there are none). */
export function countNonFinite(values: Float32Array | Float64Array): number {
  let probe = 0;
  for (let i = 0; i < values.length; i++) probe += values[i] * 0; // NaN as soon as one value is not finite
  if (probe === 0) return 0;
  let count = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) count++;
  return count;
}

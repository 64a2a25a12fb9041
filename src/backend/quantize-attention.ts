// int8 attention (--int8-attention qk | qk+pv, with --precision int8), defined once in float32
// steps beside the int8 Linear's (quantize.ts, whose rules it reuses): the reference backend runs
// it as written and assembly/attention_i8.ts repeats it operation for operation, so the two agree
// bit for bit when they use the same exp (the tests give the reference the kernel's own exp4).
//
// Per (image, head), with T tokens, headDim channels and scale = f32(headDim^-0.5):
// Q K^T: the keys are the "weight": each key row k_j [headDim] symmetric int8 by quantizeWeights
//   (its scale sk[j] and row sum); each query row q_i by the Linear's 7-bit activation rule,
//   quantizeRow (scale sq, zero point zq). Then
//     acc = sum_d qq[i][d] * qk[j][d] - zq * rowSum[j],   s[j] = dequantize(acc, sq, sk[j], 0)
// softmax, float32 steps on the row s[0 .. T) (softmaxRowF32):
//     m = max_j s[j];  e[j] = exp(f32(f32(s[j] * scale) - f32(m * scale)))
//     sum: four lanes, lane l adding e[j] for j = l mod 4 in order of j, then f32(f32(l0 + l1) + f32(l2 + l3))
//     inv = f32(1 / sum);  the probabilities (explain's) are f32(e[j] * inv)
// P V, 'qk+pv': e's row by quantizeRow (e >= 0, so its zero point is 0 and its scale max e / 127),
//   the rows of V^T (channel d over tokens) symmetric int8 by quantizeWeights; then
//     acc = sum_j qe[j] * qv[d][j] - ze * rowSum[d],   out[i][d] = f32(dequantize(acc, se, sv[d], 0) * inv)
// P V, 'qk': float32, out[i][d] = (sum_j e[j] * v[j][d]) * inv as the float attention computes it
//   (the reference in double, the kernel with its micro-kernel: close, not bit for bit).
// The Linear's 7-bit rule is what makes relaxed_dot_i8x16_i7x16_add_s the same on every CPU
// (quantize.ts); both products are exact int32 sums (|acc| < 2 * 127 * 127 * max(headDim, T)).

/** exp applied in place to every value of a view (the reference: Math.exp rounded to float32). */
export type ExpInPlace = (values: Float32Array) => void;

export function expF32InPlace(values: Float32Array): void {
  for (let i = 0; i < values.length; i++) values[i] = Math.exp(values[i]);
}

/**
 * The softmax of int8 attention on s[0 .. T), in place, in the float32 steps of the header: s
 * becomes e (unnormalized); returns inv = f32(1 / sum e). `scale` must be a float32 value.
 */
export function softmaxRowF32(s: Float32Array, T: number, scale: number, exp: ExpInPlace = expF32InPlace): number {
  let m = -Infinity;
  for (let j = 0; j < T; j++) if (s[j] > m) m = s[j];
  const ms = Math.fround(m * scale);
  for (let j = 0; j < T; j++) s[j] = Math.fround(s[j] * scale) - ms; // the Float32Array store rounds
  exp(s.subarray(0, T));
  const lanes = [0, 0, 0, 0];
  for (let j = 0; j < T; j++) lanes[j & 3] = Math.fround(lanes[j & 3] + s[j]);
  const sum = Math.fround(Math.fround(lanes[0] + lanes[1]) + Math.fround(lanes[2] + lanes[3]));
  return Math.fround(1 / sum);
}

// The int8 Linear's arithmetic (--precision int8), defined once in float32 steps: the reference
// backend runs it as written, the WASM backend quantizes weights with it at load and repeats the
// activation and output steps in SIMD, operation for operation, so the two agree bit for bit.
//
// Weights, once at load: symmetric int8 per output channel (row o of W[out][in]):
//   sw[o] = f32(max_i |W[o][i]| / 127)          (1 when that underflows to 0: an all-zero row)
//   qw[o][i] = clamp(rint(f32(W[o][i] / sw[o])), -127, 127),   rowSum[o] = sum_i qw[o][i]
// Activations, on every call: asymmetric 7-bit unsigned per row (token) r of x[rows][in], with
// the range widened to include 0 so that zero is exact and the zero point lies in [0, 127]:
//   lo = min(0, min_i x[r][i]),  hi = max(0, max_i x[r][i])
//   sx[r] = f32(f32(hi / 127) - f32(lo / 127))  ((hi - lo)/127 without overflowing; 1 when 0)
//   zp[r] = clamp(rint(f32(-lo / sx[r])), 0, 127)
//   qx[r][i] = clamp(rint(f32(x[r][i] / sx[r])) + zp[r], 0, 127)
// 7 bits, not 8, because WebAssembly's i32x4.relaxed_dot_i8x16_i7x16_add_s is only the same on
// every CPU when its second operand is in [0, 127] (x86 lowers it to pmaddubsw/vpdpbusd, which
// read that operand as unsigned; Arm as signed).
// Output: an exact int32 dot product, the zero point removed with the weight row sums, then
// float32 steps:
//   acc = sum_i qx[r][i] * qw[o][i] - zp[r] * rowSum[o]      (|acc| <= 2 * 127 * 127 * in < 2^31
//                                                              for in <= 66000)
//   y = f32(f32(f32(acc) * f32(sx[r] * sw[o])) + bias[o]);  out = f32(residual + act(y))
// rint rounds half to even (WebAssembly's nearest). Inputs are assumed finite.

/** Most inputs (K) an int8 Linear accepts: beyond it the int32 sum could overflow (see the header). */
export const INT8_MAX_IN_DIM = 65536;

/** Round half to even, as WebAssembly's f32.nearest (for float32 values, where v - floor(v) is exact). */
export function rint(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/** A Linear's weights quantized per output channel. */
export interface QuantizedWeights {
  /** [outDim][inDim] in [-127, 127] */
  readonly q: Int8Array;
  /** [outDim] */
  readonly scale: Float32Array;
  /** [outDim]: sum of each row of q */
  readonly rowSum: Int32Array;
}

/** Quantize w [outDim][inDim] into `into` (sized by the caller, e.g. views into an arena). */
export function quantizeWeights(w: Float32Array, outDim: number, inDim: number, into: QuantizedWeights): void {
  const { q, scale, rowSum } = into;
  for (let o = 0; o < outDim; o++) {
    const base = o * inDim;
    let maxAbs = 0;
    for (let i = 0; i < inDim; i++) maxAbs = Math.max(maxAbs, Math.abs(w[base + i]));
    let s = Math.fround(maxAbs / 127);
    if (s === 0) s = 1;
    let sum = 0;
    for (let i = 0; i < inDim; i++) {
      const v = clamp(rint(Math.fround(w[base + i] / s)), -127, 127);
      q[base + i] = v;
      sum += v;
    }
    scale[o] = s;
    rowSum[o] = sum;
  }
}

/** One row's activation quantization: its scale and zero point. */
export interface RowQuantization {
  scale: number;
  zeroPoint: number;
}

/** Quantize x[0 .. n) into q[0 .. n) (values in [0, 127]); returns the row's scale and zero point. */
export function quantizeRow(x: Float32Array, xOffset: number, n: number, q: Uint8Array | Int16Array, qOffset: number): RowQuantization {
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < n; i++) {
    const v = x[xOffset + i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  let scale = Math.fround(Math.fround(hi / 127) - Math.fround(lo / 127));
  if (scale === 0) scale = 1;
  const zeroPoint = clamp(rint(Math.fround(-lo / scale)), 0, 127) | 0; // | 0: an integer, never -0
  for (let i = 0; i < n; i++) q[qOffset + i] = clamp(rint(Math.fround(x[xOffset + i] / scale)) + zeroPoint, 0, 127);
  return { scale, zeroPoint };
}

/** The float32 steps after the int32 sum: y = f32(f32(f32(acc) * f32(sx * sw)) + bias). */
export function dequantize(acc: number, rowScale: number, weightScale: number, bias: number): number {
  return Math.fround(Math.fround(Math.fround(acc) * Math.fround(rowScale * weightScale)) + bias);
}

// Activation quantization for the int8 Linear (the scheme and its float32 steps are defined in
// src/backend/quantize.ts; this repeats them operation for operation, so the two agree bit for
// bit): each row of x[rows][K] becomes KP 7-bit values (K rounded up to a multiple of 4, the tail
// zero), plus its scale (f32) and zero point (i32) side by side in a params array. The relaxed build stores bytes (the i7x16
// operand of the relaxed dot), the plain build 16-bit values (the operand of i32x4.dot_i16x8_s).
// One work unit = QUANT_ROWS_PER_UNIT rows.

import { arg, argPtr } from './args';
import { QUANT_K, QUANT_KP, QUANT_PARAMS, QUANT_Q, QUANT_ROWS, QUANT_ROWS_PER_UNIT, QUANT_X } from './protocol';

/** K values per 4-byte lane of a quantized row or weight panel: 4 bytes, or 2 16-bit values. */
export const QK: i32 = ASC_FEATURE_RELAXED_SIMD ? 4 : 2;

export function quantizeUnit(ctrl: usize, unit: i32): void {
  const rows = arg(ctrl, QUANT_ROWS);
  const perUnit = arg(ctrl, QUANT_ROWS_PER_UNIT);
  const K = arg(ctrl, QUANT_K);
  const KP = arg(ctrl, QUANT_KP);
  const x = argPtr(ctrl, QUANT_X);
  const q = argPtr(ctrl, QUANT_Q);
  const params = argPtr(ctrl, QUANT_PARAMS);
  const rowBytes = <usize>KP * (4 / QK);
  const r1 = min(rows, (unit + 1) * perUnit);
  for (let r = unit * perUnit; r < r1; r++) {
    quantizeRow(x + <usize>r * K * 4, K, KP, q + <usize>r * rowBytes, params + (<usize>r << 3));
  }
}

/** One row; its scale and zero point go to `param` (8 bytes). */
function quantizeRow(x: usize, K: i32, KP: i32, q: usize, param: usize): void {
  const K4 = K & ~3;
  let lo4 = f32x4.splat(0);
  let hi4 = lo4;
  for (let i = 0; i < K4; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    lo4 = f32x4.min(lo4, v);
    hi4 = f32x4.max(hi4, v);
  }
  let lo = min(min(f32x4.extract_lane(lo4, 0), f32x4.extract_lane(lo4, 1)), min(f32x4.extract_lane(lo4, 2), f32x4.extract_lane(lo4, 3)));
  let hi = max(max(f32x4.extract_lane(hi4, 0), f32x4.extract_lane(hi4, 1)), max(f32x4.extract_lane(hi4, 2), f32x4.extract_lane(hi4, 3)));
  for (let i = K4; i < K; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    lo = min(lo, v);
    hi = max(hi, v);
  }
  let scale: f32 = hi / 127 - lo / 127;
  if (scale == 0) scale = 1;
  const zp = min(max(nearest<f32>(-lo / scale), 0), 127);
  store<f32>(param, scale);
  store<i32>(param, <i32>zp, 4);
  const scale4 = f32x4.splat(scale);
  const zp4 = f32x4.splat(zp);
  const zero4 = f32x4.splat(0);
  const top4 = f32x4.splat(127);
  for (let i = 0; i < K4; i += 4) {
    let v = f32x4.add(f32x4.nearest(f32x4.div(v128.load(x + (<usize>i << 2)), scale4)), zp4);
    v = i32x4.trunc_sat_f32x4_s(f32x4.min(f32x4.max(v, zero4), top4));
    const v16 = i16x8.narrow_i32x4_s(v, v);
    if (ASC_FEATURE_RELAXED_SIMD) v128.store32_lane(q + <usize>i, i8x16.narrow_i16x8_u(v16, v16), 0);
    else v128.store64_lane(q + (<usize>i << 1), v16, 0);
  }
  for (let i = K4; i < KP; i++) {
    const v: i32 = i < K ? <i32>min(max(nearest<f32>(load<f32>(x + (<usize>i << 2)) / scale) + zp, 0), 127) : 0;
    if (ASC_FEATURE_RELAXED_SIMD) store<u8>(q + <usize>i, v);
    else store<i16>(q + (<usize>i << 1), v);
  }
}

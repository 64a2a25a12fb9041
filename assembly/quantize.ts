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

/**
 * One row; its scale and zero point go to `param` (8 bytes). pmin/pmax are the reference's
 * `v < lo ? v : lo` and clamp exactly (and one instruction each on x86, where min/max take ~7):
 * lo and hi start at +0 and only move to strictly smaller or larger values, so they are never -0
 * and their lanes can be combined in any order.
 */
export function quantizeRow(x: usize, K: i32, KP: i32, q: usize, param: usize): void {
  const K4 = K & ~3;
  const K16 = K & ~15;
  let lo4 = f32x4.splat(0);
  let hi4 = lo4, loB = lo4, hiB = lo4;
  let i = 0;
  // Two accumulators each: pmin/pmax's latency, not the loads, bounds a single chain.
  for (; i < K16; i += 16) {
    const at = x + (<usize>i << 2);
    const v0 = v128.load(at), v1 = v128.load(at, 16), v2 = v128.load(at, 32), v3 = v128.load(at, 48);
    lo4 = f32x4.pmin(f32x4.pmin(lo4, v0), v1);
    hi4 = f32x4.pmax(f32x4.pmax(hi4, v0), v1);
    loB = f32x4.pmin(f32x4.pmin(loB, v2), v3);
    hiB = f32x4.pmax(f32x4.pmax(hiB, v2), v3);
  }
  for (; i < K4; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    lo4 = f32x4.pmin(lo4, v);
    hi4 = f32x4.pmax(hi4, v);
  }
  lo4 = f32x4.pmin(lo4, loB);
  hi4 = f32x4.pmax(hi4, hiB);
  let lo = min(min(f32x4.extract_lane(lo4, 0), f32x4.extract_lane(lo4, 1)), min(f32x4.extract_lane(lo4, 2), f32x4.extract_lane(lo4, 3)));
  let hi = max(max(f32x4.extract_lane(hi4, 0), f32x4.extract_lane(hi4, 1)), max(f32x4.extract_lane(hi4, 2), f32x4.extract_lane(hi4, 3)));
  for (i = K4; i < K; i++) {
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
  // Sixteen values per step, one 16-byte store (two for the 16-bit values).
  for (i = 0; i < K16; i += 16) {
    const at = x + (<usize>i << 2);
    const a = quantize4(v128.load(at), scale4, zp4), b = quantize4(v128.load(at, 16), scale4, zp4);
    const c = quantize4(v128.load(at, 32), scale4, zp4), d = quantize4(v128.load(at, 48), scale4, zp4);
    const ab = i16x8.narrow_i32x4_s(a, b), cd = i16x8.narrow_i32x4_s(c, d);
    if (ASC_FEATURE_RELAXED_SIMD) {
      v128.store(q + <usize>i, i8x16.narrow_i16x8_u(ab, cd));
    } else {
      v128.store(q + (<usize>i << 1), ab);
      v128.store(q + (<usize>i << 1), cd, 16);
    }
  }
  for (; i < K4; i += 4) {
    const v = quantize4(v128.load(x + (<usize>i << 2)), scale4, zp4);
    const v16 = i16x8.narrow_i32x4_s(v, v);
    if (ASC_FEATURE_RELAXED_SIMD) v128.store32_lane(q + <usize>i, i8x16.narrow_i16x8_u(v16, v16), 0);
    else v128.store64_lane(q + (<usize>i << 1), v16, 0);
  }
  for (i = K4; i < KP; i++) {
    const v: i32 = i < K ? <i32>min(max(nearest<f32>(load<f32>(x + (<usize>i << 2)) / scale) + zp, 0), 127) : 0;
    if (ASC_FEATURE_RELAXED_SIMD) store<u8>(q + <usize>i, v);
    else store<i16>(q + (<usize>i << 1), v);
  }
}

/** clamp(rint(v / scale) + zp, 0, 127) lane-wise, as int32 (the clamp leaves no value to saturate). */
@inline function quantize4(v: v128, scale4: v128, zp4: v128): v128 {
  const r = f32x4.add(f32x4.nearest(f32x4.div(v, scale4)), zp4);
  const c = f32x4.pmin(f32x4.pmax(r, f32x4.splat(0)), f32x4.splat(127));
  if (ASC_FEATURE_RELAXED_SIMD) return i32x4.relaxed_trunc_f32x4_s(c);
  return i32x4.trunc_sat_f32x4_s(c);
}

// Row-wise LayerNorm (biased variance, as torch.nn.LayerNorm): one work unit = a block of rows.
//   out[r][i] = (x[r][i] - mean_r) / sqrt(var_r + eps) * gamma[i] + beta[i];  out may be x.
// Mean and variance accumulate in double (two passes, so no cancellation): LayerNorm is ~1% of
// the time, and this keeps it as close as float32 output allows to the double-precision reference.

import { arg, argF32, argPtr } from './args';
import { LN_BETA, LN_DIM, LN_EPS, LN_GAMMA, LN_OUT, LN_ROWS, LN_ROWS_PER_UNIT, LN_X } from './protocol';

export function layerNormUnit(ctrl: usize, unit: i32): void {
  const rows = arg(ctrl, LN_ROWS);
  const perUnit = arg(ctrl, LN_ROWS_PER_UNIT);
  const first = unit * perUnit;
  const last = min(rows, first + perUnit);
  const dim = arg(ctrl, LN_DIM);
  const x = argPtr(ctrl, LN_X);
  const out = argPtr(ctrl, LN_OUT);
  const gamma = argPtr(ctrl, LN_GAMMA);
  const beta = argPtr(ctrl, LN_BETA);
  const eps = <f64>argF32(ctrl, LN_EPS);
  for (let r = first; r < last; r++) {
    const offset = <usize>r * dim << 2;
    layerNormRow(out + offset, x + offset, gamma, beta, dim, eps);
  }
}

function layerNormRow(out: usize, x: usize, gamma: usize, beta: usize, dim: i32, eps: f64): void {
  const vecEnd = dim & ~3;
  let s0 = f64x2.splat(0), s1 = s0;
  for (let i = 0; i < vecEnd; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    s0 = f64x2.add(s0, f64x2.promote_low_f32x4(v));
    s1 = f64x2.add(s1, f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3)));
  }
  let sum = f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s0, 1) + f64x2.extract_lane(s1, 0) + f64x2.extract_lane(s1, 1);
  for (let i = vecEnd; i < dim; i++) sum += <f64>load<f32>(x + (<usize>i << 2));
  const mean = sum / <f64>dim;

  const m2 = f64x2.splat(mean);
  s0 = f64x2.splat(0); s1 = s0;
  for (let i = 0; i < vecEnd; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    const d0 = f64x2.sub(f64x2.promote_low_f32x4(v), m2);
    const d1 = f64x2.sub(f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3)), m2);
    s0 = f64x2.add(s0, f64x2.mul(d0, d0));
    s1 = f64x2.add(s1, f64x2.mul(d1, d1));
  }
  let sq = f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s0, 1) + f64x2.extract_lane(s1, 0) + f64x2.extract_lane(s1, 1);
  for (let i = vecEnd; i < dim; i++) {
    const d = <f64>load<f32>(x + (<usize>i << 2)) - mean;
    sq += d * d;
  }
  const invStd = 1.0 / Math.sqrt(sq / <f64>dim + eps);

  const mean32 = <f32>mean;
  const inv32 = <f32>invStd;
  const mv = f32x4.splat(mean32);
  const iv = f32x4.splat(inv32);
  for (let i = 0; i < vecEnd; i += 4) {
    const at = <usize>i << 2;
    const n = f32x4.mul(f32x4.sub(v128.load(x + at), mv), iv);
    v128.store(out + at, f32x4.add(f32x4.mul(n, v128.load(gamma + at)), v128.load(beta + at)));
  }
  for (let i = vecEnd; i < dim; i++) {
    const at = <usize>i << 2;
    store<f32>(out + at, (load<f32>(x + at) - mean32) * inv32 * load<f32>(gamma + at) + load<f32>(beta + at));
  }
}

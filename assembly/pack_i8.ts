// Quantizing and packing an int8 Linear, once at load, on every thread: the float32 weight
// [outDim][inDim] (staged by the host) becomes the int8 panels that gemm_i8.ts reads, with the
// arithmetic of src/backend/quantize.ts (quantizeWeights), step for step in float32:
//   sw[o] = f32(max_i |W[o][i]| / 127)  (1 when 0),  qw[o][i] = clamp(nearest(f32(W[o][i] / sw[o])), -127, 127)
// and the layout of src/backend/wasm/pack-int8.ts (packInt8Panels), which tests hold it to byte
// for byte: a panel of NR output columns is
//   [scale: NR f32][bias: NR f32][rowSum: NR i32][KP/QK steps: NR lanes of 4 bytes]
// lane (step s, column j) holding W[col0 + j][s*QK .. s*QK + QK) as int8 (QK 4) or int16 (QK 2).
// Columns past outDim and K past inDim are not written: the arena is fresh, so they stay zero.
// With PI8_GAMMA, each row of the staged weight first has the LayerNorm before it folded in, in
// place, with the arithmetic of src/backend/fold-linear.ts (foldLinear): bias[o] += sum_c W[o][c]
// beta[c] in float64, in column order, rounded once; then W[o][c] *= gamma[c] in float32.
// One work unit = a run of consecutive panels (and the fold of their rows).

import { arg, argPtr } from './args';
import { i8PanelBytes } from './gemm_i8';
import { NR } from './microkernel';
import { PI8_BETA, PI8_BIAS, PI8_DST, PI8_GAMMA, PI8_IN_DIM, PI8_OUT_DIM, PI8_PANELS_PER_UNIT, PI8_SRC } from './protocol';
import { QK } from './quantize';

export function packI8Unit(ctrl: usize, unit: i32): void {
  const src = argPtr(ctrl, PI8_SRC);
  const bias = argPtr(ctrl, PI8_BIAS);
  const dst = argPtr(ctrl, PI8_DST);
  const outDim = arg(ctrl, PI8_OUT_DIM);
  const inDim = arg(ctrl, PI8_IN_DIM);
  const perUnit = arg(ctrl, PI8_PANELS_PER_UNIT);
  const panelBytes = i8PanelBytes((inDim + 3) & ~3);
  const panels = (outDim + NR - 1) / NR;
  const first = unit * perUnit;
  const last = min(panels, first + perUnit);
  const gamma = argPtr(ctrl, PI8_GAMMA);
  if (gamma != 0) {
    const beta = argPtr(ctrl, PI8_BETA);
    for (let o = first * NR; o < min(outDim, last * NR); o++) foldRow(src + ((<usize>o * inDim) << 2), bias + (<usize>o << 2), gamma, beta, inDim);
  }
  for (let p = first; p < last; p++) packPanel(dst + <usize>p * panelBytes, src, <usize>inDim << 2, bias, p * NR, outDim, inDim);
}

/** One row's fold (see the top): *bias += row . beta (float64, in order), then row *= gamma. */
function foldRow(row: usize, bias: usize, gamma: usize, beta: usize, inDim: i32): void {
  let sum = <f64>load<f32>(bias);
  for (let c = 0; c < inDim; c++) sum += <f64>load<f32>(row + (<usize>c << 2)) * <f64>load<f32>(beta + (<usize>c << 2));
  store<f32>(bias, <f32>sum);
  const in4 = inDim & ~3;
  for (let c = 0; c < in4; c += 4) {
    const at = <usize>c << 2;
    v128.store(row + at, f32x4.mul(v128.load(row + at), v128.load(gamma + at)));
  }
  for (let c = in4; c < inDim; c++) {
    const at = <usize>c << 2;
    store<f32>(row + at, load<f32>(row + at) * load<f32>(gamma + at));
  }
}

/**
 * The panel of output columns [col0, col0 + NR) of the weight at `src`, whose rows are `rowStride`
 * bytes apart (attention_i8.ts packs a head's keys and values in place of a weight). The panel's
 * padding (columns past outDim, K past inDim) is not written: it must already be zero.
 */
export function packPanel(panel: usize, src: usize, rowStride: usize, bias: usize, col0: i32, outDim: i32, inDim: i32): void {
  const cols = min(NR, outDim - col0);
  const body = panel + <usize>(NR * 12);
  for (let j = 0; j < cols; j++) {
    const o = col0 + j;
    const row = src + <usize>o * rowStride;
    const in4 = inDim & ~3;
    // Four values at a time, then the tail one by one: the same float32 operations per value
    // (max and the clamp's min/max see no NaN, so lanes combine in any order).
    let max4 = f32x4.splat(0);
    for (let i = 0; i < in4; i += 4) max4 = f32x4.max(max4, f32x4.abs(v128.load(row + (<usize>i << 2))));
    let maxAbs = max(max(f32x4.extract_lane(max4, 0), f32x4.extract_lane(max4, 1)), max(f32x4.extract_lane(max4, 2), f32x4.extract_lane(max4, 3)));
    for (let i = in4; i < inDim; i++) maxAbs = max<f32>(maxAbs, abs<f32>(load<f32>(row + (<usize>i << 2))));
    let scale: f32 = maxAbs / 127;
    if (scale == 0) scale = 1;
    const scale4 = f32x4.splat(scale);
    let sum4 = i32x4.splat(0);
    for (let i = 0; i < in4; i += 4) {
      const r = f32x4.nearest(f32x4.div(v128.load(row + (<usize>i << 2)), scale4));
      const q = i32x4.trunc_sat_f32x4_s(f32x4.min(f32x4.max(r, f32x4.splat(-127)), f32x4.splat(127)));
      sum4 = i32x4.add(sum4, q);
      const q16 = i16x8.narrow_i32x4_s(q, q);
      const lane = body + <usize>(((i / QK) * NR + j) * 4);
      if (QK == 4) {
        v128.store32_lane(lane, i8x16.narrow_i16x8_s(q16, q16), 0);
      } else {
        // Two int16 per lane: values i, i+1 in this step's lane, i+2, i+3 in the next step's.
        v128.store32_lane(lane, q16, 0);
        v128.store32_lane(lane + <usize>NR * 4, q16, 1);
      }
    }
    let sum = i32x4.extract_lane(sum4, 0) + i32x4.extract_lane(sum4, 1) + i32x4.extract_lane(sum4, 2) + i32x4.extract_lane(sum4, 3);
    for (let i = in4; i < inDim; i++) {
      const v = <i32>min<f32>(max<f32>(nearest<f32>(load<f32>(row + (<usize>i << 2)) / scale), -127), 127);
      sum += v;
      const step = i / QK;
      const lane = body + <usize>((step * NR + j) * 4);
      if (QK == 4) store<i8>(lane + <usize>(i - step * 4), <i8>v);
      else store<i16>(lane + (<usize>(i - step * 2) << 1), <i16>v);
    }
    store<f32>(panel + (<usize>j << 2), scale);
    store<f32>(panel + (<usize>(NR + j) << 2), bias != 0 ? load<f32>(bias + (<usize>o << 2)) : 0);
    store<i32>(panel + (<usize>(2 * NR + j) << 2), sum);
  }
}

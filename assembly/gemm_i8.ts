// The int8 Linear (src/backend/quantize.ts defines the scheme; the host quantizes and packs the
// weights at load, quantize.ts here the activations per call):
//   out[M][N] = residual + act(f32(f32(f32(acc) * f32(sx[r] * sw[o])) + bias[o])),
//   acc = sum_k qx[r][k] * qw[o][k] - zp[r] * rowSum[o]   (exact, int32)
// W is packed in NR-column panels, each
//   [sw: NR f32][bias: NR f32][rowSum: NR i32][KP / QK steps of NR lanes of 4 bytes]
// where a lane holds QK consecutive K values of one output column: 4 int8 for the relaxed
// build's dot (weights are its signed operand, the 7-bit activations its second, which every CPU
// reads alike), 2 int16 for the plain build's i32x4.dot_i16x8_s. One step of a row of x is then
// one 4-byte broadcast against NR/4 vectors. The relaxed build forms its dots one of two ways,
// the same integers either way (no pair of products can overflow int16: |w| <= 128, x <= 127),
// chosen once per backend by the host (src/backend/wasm/int8-dot.ts) in CTRL_INT8_DOT:
//   fused  i32x4.relaxed_dot_i8x16_i7x16_add_s: one vpdpbusd where V8 has AVX-VNNI (or one sdot
//          on ARM), else five instructions (V8 rebuilds its constant of ones each time);
//   split  i16x8.relaxed_dot_i8x16_i7x16_s, i32x4.extadd_pairwise_i16x8_s, i32x4.add: pmaddubsw,
//          pmaddwd against a constant in memory, paddd. 1.2-1.5x the fused dot's peak without
//          AVX-VNNI (bench/simd-peak.mjs), so the host picks it on such x64 CPUs.
// The whole K is one block (int32 sums need no splitting); the tile shape is the float GEMM's
// (MR x NR). A work unit is MC rows x a run of panels, as in gemm.ts; tiles cut by M, by N or by
// the column range, and tiles with a residual (out may be the residual itself), go through the
// thread's private tile and are copied out, adding the residual on the way.

import { arg, argPtr, ctrlInt } from './args';
import { geluTile } from './gelu';
import { MR, NR } from './microkernel';
import {
  GQ_COL_END, GQ_COL_START, GQ_GELU, GQ_KP, GQ_M, GQ_MC, GQ_N, GQ_N_UNITS, GQ_OUT, GQ_PANELS_PER_UNIT, GQ_PARAMS, GQ_QX,
  GQ_RES, GQ_SCRATCH, GQ_SCRATCH_STRIDE, GQ_W, CTRL_INT8_DOT, SCRATCH_TILE_C,
} from './protocol';
import { QK } from './quantize';

/** Bytes of a panel's header: scales, biases and row sums of its NR columns. */
const HEADER_BYTES: usize = <usize>NR * 12;

/** Bytes of one panel over kp (a multiple of 4) inputs: the header, then kp / QK steps of NR lanes. */
@inline export function i8PanelBytes(kp: i32): usize {
  return HEADER_BYTES + <usize>(kp / QK) * NR * 4;
}

/** acc + the dot products of one step: per i32 lane, QK products of w's and x's values (split: see the top). */
@inline function dotAdd(w: v128, x: v128, acc: v128, split: bool): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    if (split) return i32x4.add(acc, i32x4.extadd_pairwise_i16x8_s(i16x8.relaxed_dot_i8x16_i7x16_s(w, x)));
    return i32x4.relaxed_dot_i8x16_i7x16_add_s(w, x, acc);
  }
  return i32x4.add(i32x4.dot_i16x8_s(w, x), acc);
}

/** Whether this job's int8 dots are split (CTRL_INT8_DOT; always false in the plain build). */
@inline export function splitDots(ctrl: usize): bool {
  return ASC_FEATURE_RELAXED_SIMD && ctrlInt(ctrl, CTRL_INT8_DOT) != 0;
}

/** Four output columns (at byte `v` of the panel's column vectors) of one row, dequantized. */
@inline function dequant(acc: v128, zp: v128, sx: v128, panel: usize, v: usize): v128 {
  const corrected = i32x4.sub(acc, i32x4.mul(zp, v128.load(panel + 2 * NR * 4 + v)));
  const scale = f32x4.mul(sx, v128.load(panel + v));
  return f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(corrected), scale), v128.load(panel + NR * 4 + v));
}

/** Row r's scale and zero point (8 bytes at `param`, see quantize.ts), each broadcast. */
@inline function rowScale(param: usize): v128 {
  return v128.load32_splat(param);
}
@inline function rowZeroPoint(param: usize): v128 {
  return v128.load32_splat(param + 4);
}

/** Relaxed build: a 3 x 12 tile, nine accumulators (as gemm_3x12_fma). Row r reads a_r and its params p_r. */
@inline function qgemm_3x12(a0: usize, a1: usize, a2: usize, p0: usize, p1: usize, p2: usize, panel: usize, steps: i32, c: usize, ldc: usize, split: bool): void {
  let c00 = i32x4.splat(0), c01 = c00, c02 = c00, c10 = c00, c11 = c00, c12 = c00, c20 = c00, c21 = c00, c22 = c00;
  let b = panel + HEADER_BYTES;
  const end = b + <usize>steps * 48;
  while (b < end) {
    const b0 = v128.load(b), b1 = v128.load(b, 16), b2 = v128.load(b, 32);
    let x = v128.load32_splat(a0);
    c00 = dotAdd(b0, x, c00, split); c01 = dotAdd(b1, x, c01, split); c02 = dotAdd(b2, x, c02, split);
    x = v128.load32_splat(a1);
    c10 = dotAdd(b0, x, c10, split); c11 = dotAdd(b1, x, c11, split); c12 = dotAdd(b2, x, c12, split);
    x = v128.load32_splat(a2);
    c20 = dotAdd(b0, x, c20, split); c21 = dotAdd(b1, x, c21, split); c22 = dotAdd(b2, x, c22, split);
    a0 += 4; a1 += 4; a2 += 4; b += 48;
  }
  let s = rowScale(p0), z = rowZeroPoint(p0);
  v128.store(c, dequant(c00, z, s, panel, 0)); v128.store(c, dequant(c01, z, s, panel, 16), 16); v128.store(c, dequant(c02, z, s, panel, 32), 32);
  s = rowScale(p1); z = rowZeroPoint(p1);
  v128.store(c + ldc, dequant(c10, z, s, panel, 0)); v128.store(c + ldc, dequant(c11, z, s, panel, 16), 16); v128.store(c + ldc, dequant(c12, z, s, panel, 32), 32);
  s = rowScale(p2); z = rowZeroPoint(p2);
  v128.store(c + 2 * ldc, dequant(c20, z, s, panel, 0)); v128.store(c + 2 * ldc, dequant(c21, z, s, panel, 16), 16); v128.store(c + 2 * ldc, dequant(c22, z, s, panel, 32), 32);
}

/** Plain build: a 4 x 8 tile, eight accumulators (as gemm_4x8). Row r reads a_r and its params p_r. */
@inline function qgemm_4x8(
  a0: usize, a1: usize, a2: usize, a3: usize, p0: usize, p1: usize, p2: usize, p3: usize, panel: usize, steps: i32, c: usize, ldc: usize,
): void {
  let c00 = i32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  let b = panel + HEADER_BYTES;
  const end = b + <usize>steps * 32;
  while (b < end) {
    const b0 = v128.load(b), b1 = v128.load(b, 16);
    let x = v128.load32_splat(a0);
    c00 = dotAdd(b0, x, c00, false); c01 = dotAdd(b1, x, c01, false);
    x = v128.load32_splat(a1);
    c10 = dotAdd(b0, x, c10, false); c11 = dotAdd(b1, x, c11, false);
    x = v128.load32_splat(a2);
    c20 = dotAdd(b0, x, c20, false); c21 = dotAdd(b1, x, c21, false);
    x = v128.load32_splat(a3);
    c30 = dotAdd(b0, x, c30, false); c31 = dotAdd(b1, x, c31, false);
    a0 += 4; a1 += 4; a2 += 4; a3 += 4; b += 32;
  }
  let s = rowScale(p0), z = rowZeroPoint(p0);
  v128.store(c, dequant(c00, z, s, panel, 0)); v128.store(c, dequant(c01, z, s, panel, 16), 16);
  s = rowScale(p1); z = rowZeroPoint(p1);
  v128.store(c + ldc, dequant(c10, z, s, panel, 0)); v128.store(c + ldc, dequant(c11, z, s, panel, 16), 16);
  s = rowScale(p2); z = rowZeroPoint(p2);
  v128.store(c + 2 * ldc, dequant(c20, z, s, panel, 0)); v128.store(c + 2 * ldc, dequant(c21, z, s, panel, 16), 16);
  s = rowScale(p3); z = rowZeroPoint(p3);
  v128.store(c + 3 * ldc, dequant(c30, z, s, panel, 0)); v128.store(c + 3 * ldc, dequant(c31, z, s, panel, 16), 16);
}

/**
 * One MR x NR tile of dequantized outputs at `c`. `a` is the tile's first quantized row, `lda`
 * bytes between rows, `param` its first row's scale and zero point. Only `rows` rows are real:
 * the missing ones re-read the first (their results are discarded by the caller). `split`
 * (splitDots) picks the relaxed build's dot sequence: each has its own copy of the loop.
 */
@inline export function qmicrokernel(a: usize, lda: usize, param: usize, rows: i32, panel: usize, steps: i32, c: usize, ldc: usize, split: bool): void {
  const a1 = rows > 1 ? a + lda : a, p1 = rows > 1 ? param + 8 : param;
  const a2 = rows > 2 ? a + 2 * lda : a, p2 = rows > 2 ? param + 16 : param;
  if (ASC_FEATURE_RELAXED_SIMD) {
    if (split) qgemm_3x12(a, a1, a2, param, p1, p2, panel, steps, c, ldc, true);
    else qgemm_3x12(a, a1, a2, param, p1, p2, panel, steps, c, ldc, false);
  } else {
    const a3 = rows > 3 ? a + 3 * lda : a, p3 = rows > 3 ? param + 24 : param;
    qgemm_4x8(a, a1, a2, a3, param, p1, p2, p3, panel, steps, c, ldc);
  }
}

export function gemmI8Unit(ctrl: usize, tid: i32, unit: i32): void {
  const qx = argPtr(ctrl, GQ_QX);
  const params = argPtr(ctrl, GQ_PARAMS);
  const w = argPtr(ctrl, GQ_W);
  const out = argPtr(ctrl, GQ_OUT);
  const res = argPtr(ctrl, GQ_RES);
  const M = arg(ctrl, GQ_M);
  const N = arg(ctrl, GQ_N);
  const KP = arg(ctrl, GQ_KP);
  const gelu = arg(ctrl, GQ_GELU) != 0;
  const mc = arg(ctrl, GQ_MC);
  const perUnit = arg(ctrl, GQ_PANELS_PER_UNIT);
  const nUnits = arg(ctrl, GQ_N_UNITS);
  const colStart = arg(ctrl, GQ_COL_START);
  const colEnd = arg(ctrl, GQ_COL_END);
  const tile = argPtr(ctrl, GQ_SCRATCH) + <usize>tid * argPtr(ctrl, GQ_SCRATCH_STRIDE) + SCRATCH_TILE_C;
  const split = splitDots(ctrl);

  const m0 = (unit / nUnits) * mc;
  const mRows = min(mc, M - m0);
  const p0 = colStart / NR + (unit % nUnits) * perUnit;
  const p1 = min(p0 + perUnit, (colEnd + NR - 1) / NR);
  const steps = KP / QK;
  const panelBytes = i8PanelBytes(KP);
  const lda = <usize>steps * 4;
  const ldc = <usize>N * 4;
  const ldt: usize = <usize>NR * 4;
  for (let p = p0; p < p1; p++) {
    const panel = w + <usize>p * panelBytes;
    const j0 = max(colStart - p * NR, 0);
    const cols = min(NR, colEnd - p * NR) - j0;
    for (let i = 0; i < mRows; i += MR) {
      const rows = min(MR, mRows - i);
      const row = m0 + i;
      const a = qx + <usize>row * lda;
      const param = params + (<usize>row << 3);
      const cOffset = (<usize>row * N + p * NR) * 4;
      if (rows == MR && cols == NR && res == 0) {
        qmicrokernel(a, lda, param, MR, panel, steps, out + cOffset, ldc, split);
      } else {
        qmicrokernel(a, lda, param, rows, panel, steps, tile, ldt, split);
        if (gelu) geluTile(tile, ldt, MR, NR);
        copyOut(out + cOffset, res == 0 ? 0 : res + cOffset, ldc, tile, ldt, rows, j0, cols);
      }
    }
    // GELU on the whole tiles written in place above, in one pass down the panel's rows.
    if (gelu && cols == NR && res == 0) geluTile(out + (<usize>m0 * N + p * NR) * 4, ldc, (mRows / MR) * MR, NR);
  }
}

/** out = tile (+ residual, when r != 0) for `rows` x columns [j0, j0 + cols); r may be out itself. */
function copyOut(c: usize, r: usize, ldc: usize, tile: usize, ldt: usize, rows: i32, j0: i32, cols: i32): void {
  if (j0 == 0 && cols == NR) {
    // A whole tile row (every tile of a residual Linear but the edges): four columns at a time.
    for (let i = 0; i < rows; i++) {
      const ci = c + <usize>i * ldc, ri = r + <usize>i * ldc, ti = tile + <usize>i * ldt;
      for (let j: usize = 0; j < <usize>NR * 4; j += 16) {
        const y = v128.load(ti + j);
        v128.store(ci + j, r == 0 ? y : f32x4.add(v128.load(ri + j), y));
      }
    }
    return;
  }
  for (let i = 0; i < rows; i++) {
    for (let j = j0; j < j0 + cols; j++) {
      const at = <usize>i * ldc + (<usize>j << 2);
      const y = load<f32>(tile + <usize>i * ldt + (<usize>j << 2));
      store<f32>(c + at, r == 0 ? y : load<f32>(r + at) + y);
    }
  }
}

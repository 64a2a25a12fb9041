// Multi-head self-attention on a fused qkv projection, with the same micro-kernel as the GEMM.
//   qkv: [batch][tokens][3][heads][headDim];  out: [batch][tokens][heads*headDim]
//   out_i = sum_j softmax_j(q_i . k_j * scale) v_j
// A work unit is a run of MR-row query tiles of one (batch, head). Per thread, that head's keys
// and values are packed once into zero-padded NR-wide panels (kept while the thread's next units
// are on the same head: a tag in its scratch). Per query tile, in the thread's scratch:
//   S[MR][Tp] = Q K^T (micro-kernel, K = headDim), softmax of each real row in place (max-
//   subtracted, so scores of any size are safe), then out = P V (micro-kernel, K = tokens).
// Scratch (bytes after SCRATCH_BULK): keys Tp*headDim | values tokens*HDp | S MR*Tp floats,
// Tp = tokens and HDp = headDim rounded up to NR. The host sizes it (attentionScratchBytes).

import { arg, argF32, argPtr } from './args';
import {
  ATT_BATCH, ATT_HEAD_DIM, ATT_HEADS, ATT_OUT, ATT_QKV, ATT_SCALE, ATT_SCRATCH, ATT_SCRATCH_STRIDE, ATT_TILES_PER_UNIT, ATT_TOKENS, ATT_UNITS_PER_HEAD, CTRL_SERIAL, SCRATCH_BULK, SCRATCH_TAG_KEY, SCRATCH_TAG_SERIAL, SCRATCH_TILE_C,
} from './layout';
import { exp4 } from './exp';
import { copyTile } from './gemm';
import { microkernel, MR, NR } from './microkernel';
import { hmax, hsum } from './simd';
import { INIT_ZERO } from './tile';

export function attentionUnit(ctrl: usize, tid: i32, unit: i32): void {
  const out = argPtr(ctrl, ATT_OUT);
  const qkv = argPtr(ctrl, ATT_QKV);
  const T = arg(ctrl, ATT_TOKENS);
  const H = arg(ctrl, ATT_HEADS);
  const hd = arg(ctrl, ATT_HEAD_DIM);
  const tilesPerUnit = arg(ctrl, ATT_TILES_PER_UNIT);
  const unitsPerHead = arg(ctrl, ATT_UNITS_PER_HEAD);
  const scale = argF32(ctrl, ATT_SCALE);
  const scratch = argPtr(ctrl, ATT_SCRATCH) + <usize>tid * argPtr(ctrl, ATT_SCRATCH_STRIDE);

  const bh = unit / unitsPerHead;
  const b = bh / H;
  const h = bh % H;
  const dim = H * hd;
  const tokenStride = <usize>dim * 12;
  const Tp = roundUp(T, NR);
  const hdp = roundUp(hd, NR);
  const keys = scratch + SCRATCH_BULK;
  const values = keys + <usize>Tp * hd * 4;
  const s = values + <usize>T * hdp * 4;
  const lds = <usize>Tp * 4;
  const ldo = <usize>dim * 4;
  const q = qkv + <usize>b * T * tokenStride + <usize>h * hd * 4;

  const serial = load<i32>(ctrl + (<usize>CTRL_SERIAL << 2));
  if (load<i32>(scratch + SCRATCH_TAG_SERIAL) != serial || load<i32>(scratch + SCRATCH_TAG_KEY) != bh) {
    packKeys(keys, q + <usize>dim * 4, tokenStride, T, hd);
    packValues(values, q + <usize>dim * 8, tokenStride, T, hd);
    store<i32>(scratch + SCRATCH_TAG_SERIAL, serial);
    store<i32>(scratch + SCRATCH_TAG_KEY, bh);
  }

  const tiles = (T + MR - 1) / MR;
  const firstTile = (unit % unitsPerHead) * tilesPerUnit;
  const lastTile = min(tiles, firstTile + tilesPerUnit);
  for (let tile = firstTile; tile < lastTile; tile++) {
    const i0 = tile * MR;
    const rows = min(MR, T - i0);
    const qRow = q + <usize>i0 * tokenStride;
    for (let p = 0; p < Tp; p += NR) {
      microkernel(qRow, tokenStride, rows, keys + <usize>p * hd * 4, hd, s + (<usize>p << 2), lds, INIT_ZERO, 0, 0, 0);
    }
    for (let r = 0; r < rows; r++) softmaxRow(s + <usize>r * lds, T, scale);
    const o = out + (<usize>(b * T + i0) * dim + <usize>h * hd) * 4;
    for (let d = 0; d < hdp; d += NR) {
      const cols = min(NR, hd - d);
      const v = values + <usize>d * T * 4;
      if (rows == MR && cols == NR) {
        microkernel(s, lds, MR, v, T, o + (<usize>d << 2), ldo, INIT_ZERO, 0, 0, 0);
      } else {
        const tileC = scratch + SCRATCH_TILE_C;
        microkernel(s, lds, rows, v, T, tileC, <usize>NR * 4, INIT_ZERO, 0, 0, 0);
        copyTile(o + (<usize>d << 2), ldo, tileC, <usize>NR * 4, rows, cols);
      }
    }
  }
}

@inline function roundUp(n: i32, m: i32): i32 {
  return (n + m - 1) / m * m;
}

/** Key panels for S = Q K^T: panel p holds keys [p, p+NR) as [headDim][NR], zero past the last key. */
function packKeys(dst: usize, k: usize, tokenStride: usize, T: i32, hd: i32): void {
  const Tp = roundUp(T, NR);
  for (let p = 0; p < Tp; p += NR) {
    const panel = dst + <usize>p * hd * 4;
    for (let j = 0; j < NR; j++) {
      const key = p + j;
      const col = panel + (<usize>j << 2);
      if (key >= T) {
        for (let d = 0; d < hd; d++) store<f32>(col + <usize>d * NR * 4, 0);
        continue;
      }
      const src = k + <usize>key * tokenStride;
      for (let d = 0; d < hd; d++) store<f32>(col + <usize>d * NR * 4, load<f32>(src + (<usize>d << 2)));
    }
  }
}

/** Value panels for out = P V: panel of columns [d, d+NR) as [tokens][NR], zero past headDim. */
function packValues(dst: usize, v: usize, tokenStride: usize, T: i32, hd: i32): void {
  const hdp = roundUp(hd, NR);
  for (let d = 0; d < hdp; d += NR) {
    const panel = dst + <usize>d * T * 4;
    const cols = min(NR, hd - d);
    for (let t = 0; t < T; t++) {
      const src = v + <usize>t * tokenStride + (<usize>d << 2);
      const row = panel + <usize>t * NR * 4;
      for (let j = 0; j < NR; j++) store<f32>(row + (<usize>j << 2), j < cols ? load<f32>(src + (<usize>j << 2)) : 0);
    }
  }
}

/** In place: row[j] = exp(row[j]*scale - max*scale) / sum, for j < n. */
function softmaxRow(row: usize, n: i32, scale: f32): void {
  const vecEnd = n & ~3;
  let mv = f32x4.splat(-Infinity);
  for (let j = 0; j < vecEnd; j += 4) mv = f32x4.pmax(mv, v128.load(row + (<usize>j << 2)));
  let m = hmax(mv);
  for (let j = vecEnd; j < n; j++) m = max(m, load<f32>(row + (<usize>j << 2)));
  const sv = f32x4.splat(scale);
  const ms = f32x4.splat(m * scale);
  let acc = f32x4.splat(0);
  for (let j = 0; j < vecEnd; j += 4) {
    const at = row + (<usize>j << 2);
    const e = exp4(f32x4.sub(f32x4.mul(v128.load(at), sv), ms));
    v128.store(at, e);
    acc = f32x4.add(acc, e);
  }
  let sum = hsum(acc);
  for (let j = vecEnd; j < n; j++) {
    const at = row + (<usize>j << 2);
    const e = f32x4.extract_lane(exp4(f32x4.splat(load<f32>(at) * scale - m * scale)), 0);
    store<f32>(at, e);
    sum += e;
  }
  const inv = f32x4.splat(<f32>1 / sum);
  for (let j = 0; j < vecEnd; j += 4) {
    const at = row + (<usize>j << 2);
    v128.store(at, f32x4.mul(v128.load(at), inv));
  }
  const invScalar = <f32>1 / sum;
  for (let j = vecEnd; j < n; j++) {
    const at = row + (<usize>j << 2);
    store<f32>(at, load<f32>(at) * invScalar);
  }
}

// Multi-head self-attention with int8 matmuls (OP_ATTENTION_I8, --int8-attention). The scheme and
// its float32 steps are defined in src/backend/quantize-attention.ts; this repeats them operation
// for operation, so the two agree bit for bit (given the same exp: this build's exp4).
//   S = Q K^T: each query row by the int8 Linear's 7-bit activation rule (quantize.ts quantizeRow);
//     the keys are the int8 "weight", per key row, in gemm_i8.ts's panels (pack_i8.ts packPanel
//     straight from qkv), so a block of NR queries by all keys is qmicrokernel over ceil(T/NR) panels.
//   softmax along each query's row of S, the row padded to a multiple of 4 with -Infinity (exp
//     makes it 0): E = exp(S * scale - max * scale), left unnormalized, and 1 / sum E.
//   P V, ATT_PV_INT8 = 1: E's rows by the same activation rule (E >= 0, so the zero point is 0)
//     against V^T's rows as int8 panels, dequantized, then times 1 / sum;
//     ATT_PV_INT8 = 0: in float32, as the float kernel (attention.ts weighValues on E^T).
// Work units as attention.ts (attention_unit.ts): a run of NR-query blocks of one (batch, head).
// Each thread packs a head's key panels, V^T (and V^T's panels) once and keeps them while its
// next units are on the same head. Scratch (bytes after SCRATCH_BULK): the regions R_* below.
// ATT_PROBS, when not 0, receives each query's E / sum (the float probabilities, before P V).

import { arg } from './args';
import { roundUp, weighValues } from './attention';
import { keyOf, valueOf } from './qkv';
import { exp4 } from './exp';
import { i8PanelBytes, qmicrokernel, splitDots } from './gemm_i8';
import { MR, NR } from './microkernel';
import { packPanel } from './pack_i8';
import { ATT_PV_INT8, SCRATCH_BULK } from './protocol';
import { QK, quantizeRow } from './quantize';
import { transpose } from './transpose';

// Scratch regions, in this order (a mode's unused regions are empty).
const R_KEYS = 0; // the head's key panels: ceil(T / NR) int8 panels over headDim
const R_VT = 1; // V^T [headDim][T] float32
const R_VALUES = 2; // int8 P V: V^T's panels, ceil(headDim / NR) over T
const R_QUERIES = 3; // the block's quantized queries, NR rows
const R_QUERY_PARAMS = 4; // their scales and zero points, NR x 8 bytes
const R_SCORES = 5; // S, then E: NR rows of roundUp(T, NR) floats
const R_INV = 6; // 1 / sum E, NR floats
const R_ET = 7; // float32 P V: E^T [T][NR]
const R_OT = 8; // float32 P V: O^T, roundUp(headDim, MR) rows of NR floats
const R_PROBS = 9; // int8 P V: E's quantized rows, NR of them
const R_PROB_PARAMS = 10; // their scales and zero points
const R_O = 11; // int8 P V: O, NR rows of roundUp(headDim, NR) floats
const R_END = 12;

/** Bytes of one quantized row of kp values (4 per 4-byte lane, or 2 16-bit ones). */
@inline function quantizedRowBytes(kp: i32): usize {
  return <usize>kp * (4 / QK);
}

function regionBytes(region: i32, T: i32, hd: i32, pv: bool): usize {
  const kpHd = (hd + 3) & ~3;
  const kpT = (T + 3) & ~3;
  const nr = <usize>NR;
  switch (region) {
    case R_KEYS: return <usize>((T + NR - 1) / NR) * i8PanelBytes(kpHd);
    case R_VT: return <usize>hd * T * 4;
    case R_VALUES: return pv ? <usize>((hd + NR - 1) / NR) * i8PanelBytes(kpT) : 0;
    case R_QUERIES: return nr * quantizedRowBytes(kpHd);
    case R_QUERY_PARAMS: return nr * 8;
    case R_SCORES: return nr * <usize>roundUp(T, NR) * 4;
    case R_INV: return nr * 4;
    case R_ET: return pv ? 0 : <usize>T * nr * 4;
    case R_OT: return pv ? 0 : <usize>roundUp(hd, MR) * nr * 4;
    case R_PROBS: return pv ? nr * quantizedRowBytes(kpT) : 0;
    case R_PROB_PARAMS: return pv ? nr * 8 : 0;
    case R_O: return pv ? nr * <usize>roundUp(hd, NR) * 4 : 0;
  }
  return 0;
}

/** Byte offset of `region` from a thread's scratch base (regions 16-byte aligned). */
function regionOffset(region: i32, T: i32, hd: i32, pv: bool): usize {
  let at = <usize>SCRATCH_BULK;
  for (let r = 0; r < region; r++) at += (regionBytes(r, T, hd, pv) + 15) & ~15;
  return at;
}

/** Bytes of one thread's scratch for these sizes: the host sizes its scratch region by it. */
export function attention_i8_scratch_bytes(tokens: i32, headDim: i32, pvInt8: i32): usize {
  return (regionOffset(R_END, tokens, headDim, pvInt8 != 0) + 63) & ~63;
}

/** Query blocks [firstBlock, lastBlock) of one head: the arguments of attention.ts attentionBlocks. */
export function attentionI8Blocks(
  ctrl: usize, scratch: usize, stale: bool, q: usize, tokenStride: usize, out: usize, probs: usize,
  bh: i32, T: i32, Tq: i32, hd: i32, dim: i32, scale: f32, firstBlock: i32, lastBlock: i32,
): void {
  const pv = arg(ctrl, ATT_PV_INT8) != 0;
  const split = splitDots(ctrl);
  const kpHd = (hd + 3) & ~3;
  const kpT = (T + 3) & ~3;
  const keyPanelBytes = i8PanelBytes(kpHd);
  const valuePanelBytes = i8PanelBytes(kpT);
  const keys = scratch + regionOffset(R_KEYS, T, hd, pv);
  const vt = scratch + regionOffset(R_VT, T, hd, pv);
  const values = scratch + regionOffset(R_VALUES, T, hd, pv);
  const qq = scratch + regionOffset(R_QUERIES, T, hd, pv);
  const qParams = scratch + regionOffset(R_QUERY_PARAMS, T, hd, pv);
  const s = scratch + regionOffset(R_SCORES, T, hd, pv);
  const inv = scratch + regionOffset(R_INV, T, hd, pv);
  const ldS = <usize>roundUp(T, NR) * 4;
  const qRowBytes = quantizedRowBytes(kpHd);

  if (stale) {
    // Panels' padding (keys past T, headDim past its multiple of 4) must be zero: clear, then pack.
    memory.fill(keys, 0, regionBytes(R_KEYS, T, hd, pv));
    for (let p = 0; p * NR < T; p++) packPanel(keys + <usize>p * keyPanelBytes, keyOf(q, dim), tokenStride, 0, p * NR, T, hd);
    transpose(vt, <usize>T * 4, valueOf(q, dim), tokenStride, T, hd);
    if (pv) {
      memory.fill(values, 0, regionBytes(R_VALUES, T, hd, pv));
      for (let p = 0; p * NR < hd; p++) packPanel(values + <usize>p * valuePanelBytes, vt, <usize>T * 4, 0, p * NR, hd, T);
    }
  }

  for (let block = firstBlock; block < lastBlock; block++) {
    const q0 = block * NR;
    const queries = min(NR, Tq - q0);
    for (let r = 0; r < queries; r++) {
      quantizeRow(q + <usize>(q0 + r) * tokenStride, hd, kpHd, qq + <usize>r * qRowBytes, qParams + (<usize>r << 3));
    }
    // S[queries][T]: MR rows at a time (the rows past `queries` are computed and ignored).
    for (let p = 0; p * NR < T; p++) {
      for (let i = 0; i < queries; i += MR) {
        qmicrokernel(qq + <usize>i * qRowBytes, qRowBytes, qParams + (<usize>i << 3), min(MR, queries - i), keys + <usize>p * keyPanelBytes, kpHd / QK, s + <usize>i * ldS + <usize>p * NR * 4, ldS, split);
      }
    }
    for (let r = 0; r < queries; r++) {
      const rowProbs: usize = probs == 0 ? 0 : probs + ((<usize>(bh * Tq + q0 + r) * <usize>T) << 2);
      store<f32>(inv + (<usize>r << 2), softmaxRow(s + <usize>r * ldS, T, scale, rowProbs));
    }
    const outBlock = out + <usize>q0 * dim * 4;
    if (pv) {
      weighValuesI8(values, valuePanelBytes, s, ldS, inv, scratch, T, hd, queries, outBlock, <usize>dim * 4, split);
    } else {
      // E^T as the float kernel's B panel; columns past `queries` are zero, so is their 1 / sum.
      const et = scratch + regionOffset(R_ET, T, hd, pv);
      if (queries < NR) {
        memory.fill(et, 0, <usize>T * NR * 4);
        memory.fill(inv + (<usize>queries << 2), 0, <usize>(NR - queries) << 2);
      }
      transpose(et, <usize>NR * 4, s, ldS, queries, T);
      weighValues(vt, et, scratch + regionOffset(R_OT, T, hd, pv), inv, T, hd, outBlock, <usize>dim * 4, queries);
    }
  }
}

/**
 * int8 P V for a block: E's rows (at `e`, ldE bytes apart) quantized, times V^T's int8 panels,
 * dequantized, times each row's 1 / sum, written to the block's `queries` rows at `out`.
 */
function weighValuesI8(values: usize, panelBytes: usize, e: usize, ldE: usize, inv: usize, scratch: usize, T: i32, hd: i32, queries: i32, out: usize, ldo: usize, split: bool): void {
  const kpT = (T + 3) & ~3;
  const pq = scratch + regionOffset(R_PROBS, T, hd, true);
  const pParams = scratch + regionOffset(R_PROB_PARAMS, T, hd, true);
  const o = scratch + regionOffset(R_O, T, hd, true);
  const pRowBytes = quantizedRowBytes(kpT);
  const ldO = <usize>roundUp(hd, NR) * 4;
  for (let r = 0; r < queries; r++) quantizeRow(e + <usize>r * ldE, T, kpT, pq + <usize>r * pRowBytes, pParams + (<usize>r << 3));
  for (let p = 0; p * NR < hd; p++) {
    for (let i = 0; i < queries; i += MR) {
      qmicrokernel(pq + <usize>i * pRowBytes, pRowBytes, pParams + (<usize>i << 3), min(MR, queries - i), values + <usize>p * panelBytes, kpT / QK, o + <usize>i * ldO + <usize>p * NR * 4, ldO, split);
    }
  }
  for (let r = 0; r < queries; r++) {
    const rowInv = load<f32>(inv + (<usize>r << 2));
    const src = o + <usize>r * ldO;
    const dst = out + <usize>r * ldo;
    for (let d = 0; d < hd; d++) store<f32>(dst + (<usize>d << 2), load<f32>(src + (<usize>d << 2)) * rowInv);
  }
}

/**
 * One query's row of scores S[0 .. T) in place: e_j = exp(f32(s_j * scale) - f32(max * scale)),
 * summed in four lanes (lane j mod 4, in order of j) and then (l0 + l1) + (l2 + l3). Returns
 * 1 / sum; when `probs` is not 0, writes e_j / sum (as e_j * (1 / sum)) there. The row is first
 * padded to a multiple of 4 with -Infinity, whose e is 0: it adds nothing to the max or the sums.
 */
function softmaxRow(s: usize, T: i32, scale: f32, probs: usize): f32 {
  const T4 = (T + 3) & ~3;
  for (let j = T; j < T4; j++) store<f32>(s + (<usize>j << 2), -Infinity);
  let m4 = f32x4.splat(-Infinity);
  for (let j = 0; j < T4; j += 4) m4 = f32x4.pmax(m4, v128.load(s + (<usize>j << 2)));
  const m = max(max(f32x4.extract_lane(m4, 0), f32x4.extract_lane(m4, 1)), max(f32x4.extract_lane(m4, 2), f32x4.extract_lane(m4, 3)));
  const sv = f32x4.splat(scale);
  const ms = f32x4.splat(m * scale);
  let sum4 = f32x4.splat(0);
  for (let j = 0; j < T4; j += 4) {
    const at = s + (<usize>j << 2);
    const e = exp4(f32x4.sub(f32x4.mul(v128.load(at), sv), ms));
    v128.store(at, e);
    sum4 = f32x4.add(sum4, e);
  }
  const sum = (f32x4.extract_lane(sum4, 0) + f32x4.extract_lane(sum4, 1)) + (f32x4.extract_lane(sum4, 2) + f32x4.extract_lane(sum4, 3));
  const rowInv: f32 = 1 / sum;
  if (probs != 0) {
    for (let j = 0; j < T; j++) store<f32>(probs + (<usize>j << 2), load<f32>(s + (<usize>j << 2)) * rowInv);
  }
  return rowInv;
}

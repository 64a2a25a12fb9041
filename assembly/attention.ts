// Multi-head self-attention on a fused qkv projection, with the same micro-kernel as the GEMM.
//   qkv: [batch][tokens][3][heads][headDim];  out: [batch][queries][heads*headDim]
//   out_i = sum_j softmax_j(q_i . k_j * scale) v_j   for the first `queries` tokens i of each image
// Computed transposed, one block of NR queries at a time, so that no operand needs padding to
// NR and the softmax runs down columns (whole vectors, no horizontal reductions):
//   S^T[T][NR] = K Q^T     (A = the keys, copied once per head and thread; B = this block's queries as a panel)
//   E^T = exp(S^T - column max), in place             (E^T is then exactly a B panel)
//   O^T[headDim][NR] = V^T E^T   (A = the values transposed, packed once per head and thread)
// and O^T, divided by the column sums, is written back transposed. Only the tails of T and of
// headDim modulo MR cost extra rows.
// A work unit is a run of query blocks of one (batch, head); each thread packs a head's K and V^T
// once and keeps them while its next units are on the same head (a tag in its scratch). K is
// copied rather than read in place because its rows in qkv are 12*dim bytes apart: for ViT-B
// that puts every key row in its own page at one of four page offsets, so the head's keys
// thrash the TLB and a few cache sets; packed, they are 148 KB that stay in L2.
// Scratch (bytes after SCRATCH_BULK), see attentionScratchBytes in the host:
//   V^T headDim*T | K T*headDim | Q^T headDim*NR | S^T roundUp(T, MR)*NR | O^T roundUp(headDim, MR)*NR | NR
// floats (the last: the inverse column sums).
// When ATT_PROBS is not 0 (an explanation asks for them), each query's probabilities, E^T's
// column times its inverse sum, are also written out row by row; otherwise nothing changes.

import { arg, argF32, argPtr, ctrlInt } from './args';
import { exp4 } from './exp';
import {
  ATT_HEAD_DIM, ATT_HEADS, ATT_OUT, ATT_PROBS, ATT_QKV, ATT_SCALE, ATT_SCRATCH, ATT_SCRATCH_STRIDE,
  ATT_BLOCKS_PER_UNIT, ATT_QUERIES, ATT_TOKENS, ATT_UNITS_PER_HEAD, CTRL_SERIAL, SCRATCH_BULK, SCRATCH_TAG_KEY,
  SCRATCH_TAG_SERIAL,
} from './protocol';
import { microkernel, MR, NR } from './microkernel';
import { copyTile, transpose } from './transpose';
import { INIT_ZERO } from './tile';

// A token's row of qkv: its q, k and v one after another, each [heads][headDim] floats.
const QKV_PARTS: usize = 3;
const K_PART: usize = 1;
const V_PART: usize = 2;

export function attentionUnit(ctrl: usize, tid: i32, unit: i32): void {
  const out = argPtr(ctrl, ATT_OUT);
  const qkv = argPtr(ctrl, ATT_QKV);
  const T = arg(ctrl, ATT_TOKENS);
  const Tq = arg(ctrl, ATT_QUERIES);
  const H = arg(ctrl, ATT_HEADS);
  const hd = arg(ctrl, ATT_HEAD_DIM);
  const blocksPerUnit = arg(ctrl, ATT_BLOCKS_PER_UNIT);
  const unitsPerHead = arg(ctrl, ATT_UNITS_PER_HEAD);
  const scale = argF32(ctrl, ATT_SCALE);
  const scratch = argPtr(ctrl, ATT_SCRATCH) + <usize>tid * argPtr(ctrl, ATT_SCRATCH_STRIDE);

  const bh = unit / unitsPerHead;
  const b = bh / H;
  const h = bh % H;
  const dim = H * hd;
  const partBytes = <usize>dim * 4; // one of q, k and v of a token
  const tokenStride = partBytes * QKV_PARTS;
  const q = qkv + <usize>b * T * tokenStride + <usize>h * hd * 4; // this head's query of the image's first token
  const k = q + partBytes * K_PART;
  const v = q + partBytes * V_PART;
  const vt = scratch + SCRATCH_BULK;
  const kp = vt + <usize>hd * T * 4;
  const qt = kp + <usize>T * hd * 4;
  const st = qt + <usize>hd * NR * 4;
  const ot = st + <usize>roundUp(T, MR) * NR * 4;
  const inv = ot + <usize>roundUp(hd, MR) * NR * 4;
  const ldp: usize = <usize>NR * 4;

  const serial = ctrlInt(ctrl, CTRL_SERIAL);
  if (load<i32>(scratch + SCRATCH_TAG_SERIAL) != serial || load<i32>(scratch + SCRATCH_TAG_KEY) != bh) {
    transpose(vt, <usize>T * 4, v, tokenStride, T, hd);
    copyTile(kp, <usize>hd * 4, k, tokenStride, T, hd);
    store<i32>(scratch + SCRATCH_TAG_SERIAL, serial);
    store<i32>(scratch + SCRATCH_TAG_KEY, bh);
  }

  const blocks = (Tq + NR - 1) / NR;
  const firstBlock = (unit % unitsPerHead) * blocksPerUnit;
  const lastBlock = min(blocks, firstBlock + blocksPerUnit);
  for (let block = firstBlock; block < lastBlock; block++) {
    const q0 = block * NR;
    const queries = min(NR, Tq - q0);
    packQueries(qt, q + <usize>q0 * tokenStride, tokenStride, queries, hd);
    for (let i = 0; i < T; i += MR) {
      const keys = kp + <usize>i * hd * 4;
      microkernel(keys, <usize>hd * 4, min(MR, T - i), qt, hd, st + <usize>i * ldp, ldp, INIT_ZERO, 0, 0, 0);
    }
    expColumns(st, inv, T, scale);
    const probs = argPtr(ctrl, ATT_PROBS);
    if (probs != 0) writeProbs(probs + ((<usize>(bh * Tq + q0) * <usize>T) << 2), st, inv, T, queries);
    for (let d = 0; d < hd; d += MR) {
      const values = vt + <usize>d * T * 4;
      microkernel(values, <usize>T * 4, min(MR, hd - d), st, T, ot + <usize>d * ldp, ldp, INIT_ZERO, 0, 0, 0);
    }
    // Normalize each query's column by its softmax sum, then write O^T back transposed.
    for (let d = 0; d < hd; d++) {
      const row = ot + <usize>d * ldp;
      for (let c = 0; c < NR; c += 4) {
        const at = row + (<usize>c << 2);
        v128.store(at, f32x4.mul(v128.load(at), v128.load(inv + (<usize>c << 2))));
      }
    }
    transpose(out + (<usize>(b * Tq + q0) * dim + <usize>h * hd) * 4, <usize>dim * 4, ot, ldp, hd, queries);
  }
}

/** probs[c][j] = s[j][c] * inv[c] for the block's `queries` columns: rows of T floats from `probs`. */
function writeProbs(probs: usize, s: usize, inv: usize, T: i32, queries: i32): void {
  for (let c = 0; c < queries; c++) {
    const scale = load<f32>(inv + (<usize>c << 2));
    const row = probs + (<usize>(c * T) << 2);
    const col = s + (<usize>c << 2);
    for (let j = 0; j < T; j++) store<f32>(row + (<usize>j << 2), load<f32>(col + <usize>j * (<usize>NR << 2)) * scale);
  }
}

@inline function roundUp(n: i32, m: i32): i32 {
  return (n + m - 1) / m * m;
}

/** Q^T panel: qt[d][c] = q[c][d] for the block's queries, zero for columns past the last one. */
function packQueries(qt: usize, q: usize, tokenStride: usize, queries: i32, hd: i32): void {
  if (queries < NR) memory.fill(qt, 0, <usize>hd * NR * 4);
  transpose(qt, <usize>NR * 4, q, tokenStride, queries, hd);
}

/**
 * In place on S^T [n][NR]: s[j][c] becomes exp(s[j][c] * scale - max_j s[j][c] * scale), and
 * inv[c] = 1 / sum_j of those: the softmax of each column, left unnormalized (the output is
 * scaled instead, NR x headDim multiplies rather than NR x n). Max-subtracted, so scores of any
 * size are safe. Columns are independent, so all of it is vertical vector math.
 */
function expColumns(s: usize, inv: usize, n: i32, scale: f32): void {
  const ld: usize = <usize>NR * 4;
  const sv = f32x4.splat(scale);
  for (let c = 0; c < NR; c += 4) {
    const col = s + (<usize>c << 2);
    // Two running maxima and two sums: shorter dependency chains.
    let m0 = v128.load(col);
    let m1 = m0;
    let j = 1;
    for (; j + 2 <= n; j += 2) {
      m0 = f32x4.pmax(m0, v128.load(col + <usize>j * ld));
      m1 = f32x4.pmax(m1, v128.load(col + <usize>(j + 1) * ld));
    }
    if (j < n) m0 = f32x4.pmax(m0, v128.load(col + <usize>j * ld));
    const ms = f32x4.mul(f32x4.pmax(m0, m1), sv);
    let sum0 = f32x4.splat(0);
    let sum1 = sum0;
    j = 0;
    for (; j + 2 <= n; j += 2) {
      const at = col + <usize>j * ld;
      const e0 = exp4(f32x4.sub(f32x4.mul(v128.load(at), sv), ms));
      const e1 = exp4(f32x4.sub(f32x4.mul(v128.load(at + ld), sv), ms));
      v128.store(at, e0);
      v128.store(at + ld, e1);
      sum0 = f32x4.add(sum0, e0);
      sum1 = f32x4.add(sum1, e1);
    }
    if (j < n) {
      const at = col + <usize>j * ld;
      const e0 = exp4(f32x4.sub(f32x4.mul(v128.load(at), sv), ms));
      v128.store(at, e0);
      sum0 = f32x4.add(sum0, e0);
    }
    v128.store(inv + (<usize>c << 2), f32x4.div(f32x4.splat(1), f32x4.add(sum0, sum1)));
  }
}

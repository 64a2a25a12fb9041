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
// A work unit is a run of query blocks of one (batch, head) (attention_unit.ts); each thread packs
// a head's K and V^T once and keeps them while its next units are on the same head. K is
// copied rather than read in place because its rows in qkv are 12*dim bytes apart: for ViT-B
// that puts every key row in its own page at one of four page offsets, so the head's keys
// thrash the TLB and a few cache sets; packed, they are 148 KB that stay in L2.
// Scratch (bytes after SCRATCH_BULK), see attentionScratchBytes in the host:
//   V^T headDim*T | K T*headDim | Q^T headDim*NR | S^T roundUp(T, MR)*NR | O^T roundUp(headDim, MR)*NR | NR
// floats (the last: the inverse column sums).
// When ATT_PROBS is not 0 (an explanation asks for them), each query's probabilities, E^T's
// column times its inverse sum, are also written out row by row; otherwise nothing changes.

import { keyOf, valueOf } from './qkv';
import { exp4 } from './exp';
import { SCRATCH_BULK } from './protocol';
import { microkernel, MR, NR } from './microkernel';
import { copyTile, transpose } from './transpose';
import { INIT_ZERO } from './tile';

/**
 * Query blocks [firstBlock, lastBlock) of one head (attention_unit.ts gives the arguments: q is
 * the head's query of the image's first token, its key and value dim floats further; out its
 * output row of the image's first query; probs 0 or where the head's probabilities go (see
 * ATT_PROBS); `stale` when this thread's scratch holds another head).
 */
export function attentionBlocks(
  scratch: usize, stale: bool, q: usize, tokenStride: usize, out: usize, probs: usize,
  bh: i32, T: i32, Tq: i32, hd: i32, dim: i32, scale: f32, firstBlock: i32, lastBlock: i32,
): void {
  const vt = scratch + SCRATCH_BULK;
  const kp = vt + <usize>hd * T * 4;
  const qt = kp + <usize>T * hd * 4;
  const st = qt + <usize>hd * NR * 4;
  const ot = st + <usize>roundUp(T, MR) * NR * 4;
  const inv = ot + <usize>roundUp(hd, MR) * NR * 4;
  const ldp: usize = <usize>NR * 4;

  if (stale) {
    transpose(vt, <usize>T * 4, valueOf(q, dim), tokenStride, T, hd);
    copyTile(kp, <usize>hd * 4, keyOf(q, dim), tokenStride, T, hd);
  }

  for (let block = firstBlock; block < lastBlock; block++) {
    const q0 = block * NR;
    const queries = min(NR, Tq - q0);
    packQueries(qt, q + <usize>q0 * tokenStride, tokenStride, queries, hd);
    for (let i = 0; i < T; i += MR) {
      const keys = kp + <usize>i * hd * 4;
      microkernel(keys, <usize>hd * 4, min(MR, T - i), qt, hd, st + <usize>i * ldp, ldp, INIT_ZERO, 0, 0, 0);
    }
    expColumns(st, inv, T, scale);
    if (probs != 0) writeProbs(probs + ((<usize>(bh * Tq + q0) * <usize>T) << 2), st, inv, T, queries);
    weighValues(vt, st, ot, inv, T, hd, out + <usize>q0 * dim * 4, <usize>dim * 4, queries);
  }
}

/**
 * A block's output: O^T[headDim][NR] = V^T E^T (V^T at `vt`, headDim rows of T floats; E^T at
 * `st`, T rows of NR), each query's column times its inverse softmax sum inv[c], written back
 * transposed: the block's first `queries` rows at `out`, `ldo` bytes apart. `ot` is scratch of
 * roundUp(headDim, MR) rows of NR floats. (attention_i8.ts uses it too, for float32 P V.)
 */
export function weighValues(vt: usize, st: usize, ot: usize, inv: usize, T: i32, hd: i32, out: usize, ldo: usize, queries: i32): void {
  const ldp: usize = <usize>NR * 4;
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
  transpose(out, ldo, ot, ldp, hd, queries);
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

@inline export function roundUp(n: i32, m: i32): i32 {
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

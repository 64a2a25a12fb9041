// Linear layer as a blocked GEMM with a fused epilogue:
//   out[M][N] = residual + act(bias + x[M][K] * W^T)      (act = GELU or identity)
// W is packed in NR-column panels (pack.ts). A work unit is MC rows x a run of panels; inside it
// the loops are  K block (KC) -> panel -> MR-row tile,  so one panel's KC x NR slice is reused
// from cache by every row tile of the unit (the host picks KC and MC: see backend.ts). x is read
// in place (row pointers, no packing: measured as fast as packed A for these shapes, and it needs
// no per-thread copies).
// Partial sums of a K block are kept in `out`; the bias enters with the first block and GELU is
// applied to the tile, still in L1, after the last. A residual without GELU is added at the
// start (INIT_BIAS_RES), which is what allows out === residual; a residual after GELU needs the
// whole K in one block (the host passes KC = K) and goes through the edge-tile path, which reads
// the residual before it writes the tile. Tiles cut by M or N also go through that path: they run
// the micro-kernel on a private MR x NR tile and copy the valid part.
// Only the output columns [COL_START, COL_END) are computed (the host may ask for a slice, e.g.
// the keys and values of qkv): the panels that hold them, and a panel cut by either end is an
// edge tile whose valid columns start at j0.

import { arg, argPtr } from './args';
import {
  GEMM_COL_END, GEMM_COL_START, GEMM_GELU, GEMM_K, GEMM_KC, GEMM_M, GEMM_MC, GEMM_N, GEMM_N_UNITS, GEMM_OUT,
  GEMM_PANELS_PER_UNIT, GEMM_RES, GEMM_SCRATCH, GEMM_SCRATCH_STRIDE, GEMM_W, GEMM_X, SCRATCH_GEMM_EDGE, SCRATCH_TILE_C,
  SCRATCH_TILE_R,
} from './protocol';
import { geluTile } from './gelu';
import { microkernel, MR, NR } from './microkernel';
import { INIT_BIAS, INIT_BIAS_RES, INIT_C } from './tile';
import { copyTile } from './transpose';

export function gemmUnit(ctrl: usize, tid: i32, unit: i32): void {
  const x = argPtr(ctrl, GEMM_X);
  const w = argPtr(ctrl, GEMM_W);
  const out = argPtr(ctrl, GEMM_OUT);
  const res = argPtr(ctrl, GEMM_RES);
  const M = arg(ctrl, GEMM_M);
  const N = arg(ctrl, GEMM_N);
  const K = arg(ctrl, GEMM_K);
  const gelu = arg(ctrl, GEMM_GELU) != 0;
  const kcMax = arg(ctrl, GEMM_KC);
  const mc = arg(ctrl, GEMM_MC);
  const perUnit = arg(ctrl, GEMM_PANELS_PER_UNIT);
  const nUnits = arg(ctrl, GEMM_N_UNITS);
  const colStart = arg(ctrl, GEMM_COL_START);
  const colEnd = arg(ctrl, GEMM_COL_END);
  const scratch = argPtr(ctrl, GEMM_SCRATCH) + <usize>tid * argPtr(ctrl, GEMM_SCRATCH_STRIDE);

  const m0 = (unit / nUnits) * mc;
  const mRows = min(mc, M - m0);
  const p0 = colStart / NR + (unit % nUnits) * perUnit;
  const p1 = min(p0 + perUnit, (colEnd + NR - 1) / NR);
  const panelBytes = <usize>NR * (K + 1) * 4;
  const lda = <usize>K * 4;
  const ldc = <usize>N * 4;
  const foldResidual = res != 0 && !gelu;
  const lateResidual = res != 0 && gelu;
  const edge = changetype<EdgeBlock>(scratch + SCRATCH_GEMM_EDGE);
  edge.lda = lda;
  edge.ldc = ldc;
  edge.scratch = scratch;

  for (let k0 = 0; k0 < K; k0 += kcMax) {
    const kc = min(kcMax, K - k0);
    const last = k0 + kc >= K;
    const init = k0 > 0 ? INIT_C : foldResidual ? INIT_BIAS_RES : INIT_BIAS;
    edge.kc = kc;
    edge.init = init;
    edge.gelu = last && gelu;
    edge.residual = last && lateResidual;
    for (let p = p0; p < p1; p++) {
      const panel = w + <usize>p * panelBytes;
      const b = panel + (<usize>(NR + k0 * NR) << 2);
      const j0 = max(colStart - p * NR, 0);
      const cols = min(NR, colEnd - p * NR) - j0;
      for (let i = 0; i < mRows; i += MR) {
        const rows = min(MR, mRows - i);
        const row = m0 + i;
        const a = x + (<usize>row * K + k0) * 4;
        const cOffset = (<usize>row * N + p * NR) * 4;
        if (rows == MR && cols == NR && !lateResidual) {
          microkernel(a, lda, MR, b, kc, out + cOffset, ldc, init, panel, res + cOffset, ldc);
          if (last && gelu) geluTile(out + cOffset, ldc, MR, NR);
        } else {
          edgeTile(edge, a, rows, b, panel, out + cOffset, res + cOffset, j0, cols);
        }
      }
    }
  }
}

/**
 * What the edge tiles of one K block of a unit have in common, so that edgeTile takes only a
 * tile's own operands: filled by gemmUnit as it goes, in the thread's scratch at SCRATCH_GEMM_EDGE.
 */
@unmanaged class EdgeBlock {
  /** Bytes between rows of x. */
  lda: usize;
  /** Bytes between rows of out and of the residual. */
  ldc: usize;
  /** The thread's scratch, which holds its private tiles (SCRATCH_TILE_C and SCRATCH_TILE_R). */
  scratch: usize;
  /** Length of the K block. */
  kc: i32;
  /** How the tile's accumulators start (tile.ts): INIT_C after the first K block. */
  init: i32;
  /** GELU on the tile after this K block (the last one, when the op has GELU). */
  gelu: bool;
  /** Then add the residual: a late one, after GELU (the last K block only). */
  residual: bool;
}

/**
 * A tile through the thread's private MR x NR buffers: cut by M, by N or by the column range, or
 * with a late residual. Its valid part is `rows` x columns [j0, j0 + cols) of the tile at `c`
 * (and of the residual's at `r`); A's rows start at `a`, the panel's bias at `bias` and its K
 * block at `b`.
 */
function edgeTile(edge: EdgeBlock, a: usize, rows: i32, b: usize, bias: usize, c: usize, r: usize, j0: i32, cols: i32): void {
  const tile = edge.scratch + SCRATCH_TILE_C;
  const tileR = edge.scratch + SCRATCH_TILE_R;
  const ldt: usize = <usize>NR * 4;
  const ldc = edge.ldc;
  const skip = <usize>j0 << 2; // bytes before the first valid column, in the tile and in c and r
  const init = edge.init;
  if (init == INIT_C) copyTile(tile + skip, ldt, c + skip, ldc, rows, cols);
  else if (init == INIT_BIAS_RES) copyTile(tileR + skip, ldt, r + skip, ldc, rows, cols);
  microkernel(a, edge.lda, rows, b, edge.kc, tile, ldt, init, bias, tileR, ldt);
  if (edge.gelu) geluTile(tile, ldt, MR, NR);
  if (edge.residual) {
    for (let i = 0; i < rows; i++) {
      for (let j = j0; j < j0 + cols; j++) {
        const t = tile + <usize>i * ldt + (<usize>j << 2);
        store<f32>(t, load<f32>(t) + load<f32>(r + <usize>i * ldc + (<usize>j << 2)));
      }
    }
  }
  copyTile(c + skip, ldc, tile + skip, ldt, rows, cols);
}

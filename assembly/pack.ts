// Weight packing, done once at load: a PyTorch Linear weight [outDim][inDim] and its bias become
// ceil(outDim/NR) panels, each NR * (inDim + 1) floats:
//   [bias of the panel's NR columns][k = 0: W[col][0] for its NR columns][k = 1] ... [k = inDim-1]
// so the micro-kernel streams one panel sequentially, bias first. Columns past outDim are zero.
// One work unit = a run of consecutive panels.

import { arg, argPtr } from './args';
import { PACK_BIAS, PACK_DST, PACK_IN_DIM, PACK_OUT_DIM, PACK_PANELS_PER_UNIT, PACK_SRC } from './protocol';
import { NR } from './microkernel';
import { transpose } from './transpose';

export function packUnit(ctrl: usize, unit: i32): void {
  const src = argPtr(ctrl, PACK_SRC);
  const bias = argPtr(ctrl, PACK_BIAS);
  const dst = argPtr(ctrl, PACK_DST);
  const outDim = arg(ctrl, PACK_OUT_DIM);
  const inDim = arg(ctrl, PACK_IN_DIM);
  const perUnit = arg(ctrl, PACK_PANELS_PER_UNIT);
  const panels = (outDim + NR - 1) / NR;
  const first = unit * perUnit;
  const last = min(panels, first + perUnit);
  for (let p = first; p < last; p++) {
    packPanel(dst + <usize>p * NR * (inDim + 1) * 4, src, bias, p * NR, outDim, inDim);
  }
}

function packPanel(panel: usize, src: usize, bias: usize, col0: i32, outDim: i32, inDim: i32): void {
  const cols = min(NR, outDim - col0);
  for (let j = 0; j < NR; j++) {
    store<f32>(panel + (<usize>j << 2), j < cols && bias != 0 ? load<f32>(bias + (<usize>(col0 + j) << 2)) : 0);
  }
  const body = panel + (<usize>NR << 2);
  if (cols < NR) memory.fill(body, 0, <usize>inDim * NR * 4);
  // body[k][j] = W[col0 + j][k]: the transpose of `cols` weight rows.
  transpose(body, <usize>NR * 4, src + <usize>col0 * inDim * 4, <usize>inDim * 4, cols, inDim);
}

// Moving a block of floats between row-strided buffers: transposed, 4x4 at a time (to pack weight
// panels at load time and, in attention, to lay out Q^T and V^T and to write O^T back), or as is
// (the GEMM's edge tiles, attention's copy of a head's keys).

/** Copy `rows` x `cols` floats between row-strided buffers. */
export function copyTile(dst: usize, ldd: usize, src: usize, lds: usize, rows: i32, cols: i32): void {
  for (let i = 0; i < rows; i++) {
    memory.copy(dst + <usize>i * ldd, src + <usize>i * lds, <usize>cols << 2);
  }
}

/** Store the transpose of the 4x4 block with rows a, b, c, e as four rows `ld` bytes apart. */
@inline function storeTransposed(dst: usize, ld: usize, a: v128, b: v128, c: v128, e: v128): void {
  const ab01 = v128.shuffle<f32>(a, b, 0, 4, 1, 5);
  const ce01 = v128.shuffle<f32>(c, e, 0, 4, 1, 5);
  const ab23 = v128.shuffle<f32>(a, b, 2, 6, 3, 7);
  const ce23 = v128.shuffle<f32>(c, e, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<f32>(ab01, ce01, 0, 1, 4, 5));
  v128.store(dst + ld, v128.shuffle<f32>(ab01, ce01, 2, 3, 6, 7));
  v128.store(dst + 2 * ld, v128.shuffle<f32>(ab23, ce23, 0, 1, 4, 5));
  v128.store(dst + 3 * ld, v128.shuffle<f32>(ab23, ce23, 2, 3, 6, 7));
}

/**
 * dst[c][r] = src[r][c] for r < rows, c < cols: src rows `lds` bytes apart, dst rows `ldd` apart.
 * 4x4 blocks where both sides are whole, scalar elsewhere.
 */
export function transpose(dst: usize, ldd: usize, src: usize, lds: usize, rows: i32, cols: i32): void {
  const rows4 = rows & ~3;
  const cols4 = cols & ~3;
  for (let r = 0; r < rows4; r += 4) {
    const s0 = src + <usize>r * lds;
    for (let c = 0; c < cols4; c += 4) {
      const at = s0 + (<usize>c << 2);
      storeTransposed(dst + <usize>c * ldd + (<usize>r << 2), ldd, v128.load(at), v128.load(at + lds), v128.load(at + 2 * lds), v128.load(at + 3 * lds));
    }
    for (let c = cols4; c < cols; c++) {
      for (let i = r; i < r + 4; i++) store<f32>(dst + <usize>c * ldd + (<usize>i << 2), load<f32>(src + <usize>i * lds + (<usize>c << 2)));
    }
  }
  for (let r = rows4; r < rows; r++) {
    for (let c = 0; c < cols; c++) store<f32>(dst + <usize>c * ldd + (<usize>r << 2), load<f32>(src + <usize>r * lds + (<usize>c << 2)));
  }
}

// Where a head's query, key and value sit in the fused qkv projection [tokens][3][heads][headDim].

/** A token's row of qkv: its q, k and v one after another, each [heads][headDim] floats. */
export const QKV_PARTS: usize = 3;

/** A head's key, from its query (`dim` floats per part). */
@inline export function keyOf(q: usize, dim: i32): usize {
  return q + <usize>dim * 4;
}

/** A head's value, from its query. */
@inline export function valueOf(q: usize, dim: i32): usize {
  return q + <usize>dim * 8;
}

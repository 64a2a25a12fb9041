// How a micro-kernel starts its accumulator tile (before the K loop over one block of K).

/** Zeros (attention products, which have no bias). */
export const INIT_ZERO: i32 = 0;
/** The bias row, broadcast down the tile: the first K block of a Linear. */
export const INIT_BIAS: i32 = 1;
/** Bias plus a residual tile: the first K block of a Linear whose residual is added without GELU.
 * Folding the residual in at the start is what lets `out` be the residual itself: the tile reads
 * its residual before any partial sum overwrites it. */
export const INIT_BIAS_RES: i32 = 2;
/** The tile's current contents (partial sums from earlier K blocks). */
export const INIT_C: i32 = 3;

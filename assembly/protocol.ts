// The shared-memory protocol between the JS thread pool and the kernels: where the control block
// keeps its futex words and job arguments, and how each thread's private scratch is laid out.
// This file is the one source of these numbers: `npm run build` generates the host's copy,
// src/backend/wasm/protocol.generated.ts, from it (scripts/gen-protocol.mjs), and the module
// exports them as globals so a test can check a build against that copy. The generator reads
// only comments and `export const NAME: i32 = <integer>;` lines, and refuses anything else.

/** Control block, in i32 slots. Futex words and the work counter sit on separate cache lines. */
export const CTRL_GENERATION: i32 = 0; // bumped by the main thread to start a job (workers wait on it)
export const CTRL_DONE: i32 = 1; // threads that finished the current job (the main thread waits on it)
export const CTRL_QUIT: i32 = 2; // non-zero: workers leave their loop
export const CTRL_ERROR: i32 = 3; // 1 + id of a thread whose kernel trapped, else 0
export const CTRL_COUNTER: i32 = 16; // next work unit to claim (atomic add)
export const CTRL_OP: i32 = 32;
export const CTRL_UNITS: i32 = 33; // work units in this job
export const CTRL_SERIAL: i32 = 34; // job number, so per-thread caches know when they are stale
export const CTRL_INT8_DOT: i32 = 35; // relaxed build, set once per backend: 1 = int8 dots split in two instructions (gemm_i8.ts dotAdd), 0 = one
export const CTRL_ARGS: i32 = 40; // first job argument
export const CTRL_INTS: i32 = 64;

export const OP_GEMM: i32 = 1;
export const OP_LAYERNORM: i32 = 2;
export const OP_ATTENTION: i32 = 3;
export const OP_PACK: i32 = 4;
export const OP_QUANTIZE: i32 = 5;
export const OP_GEMM_I8: i32 = 6;
export const OP_COPY: i32 = 7;
export const OP_PACK_I8: i32 = 8;
export const OP_ATTENTION_I8: i32 = 9; // attention with int8 matmuls: the ATT_ arguments plus ATT_PV_INT8 (attention_i8.ts)

// GEMM: out[M][N] = epilogue(bias + x[M][K] * W^T), W packed in panels (see pack.ts).
export const GEMM_X: i32 = 0;
export const GEMM_W: i32 = 1;
export const GEMM_OUT: i32 = 2;
export const GEMM_RES: i32 = 3; // residual pointer, 0 = none
export const GEMM_M: i32 = 4;
export const GEMM_N: i32 = 5;
export const GEMM_K: i32 = 6;
export const GEMM_GELU: i32 = 7;
export const GEMM_KC: i32 = 8; // K block
export const GEMM_MC: i32 = 9; // rows per unit (multiple of MR)
export const GEMM_PANELS_PER_UNIT: i32 = 10;
export const GEMM_N_UNITS: i32 = 11; // column units per row block
export const GEMM_SCRATCH: i32 = 12;
export const GEMM_SCRATCH_STRIDE: i32 = 13;
export const GEMM_COL_START: i32 = 14; // output columns [COL_START, COL_END) are computed
export const GEMM_COL_END: i32 = 15;

export const LN_OUT: i32 = 0;
export const LN_X: i32 = 1;
export const LN_GAMMA: i32 = 2;
export const LN_BETA: i32 = 3;
export const LN_ROWS: i32 = 4;
export const LN_DIM: i32 = 5;
export const LN_EPS: i32 = 6; // f32 bits
export const LN_ROWS_PER_UNIT: i32 = 7;

export const ATT_OUT: i32 = 0;
export const ATT_QKV: i32 = 1;
export const ATT_TOKENS: i32 = 2;
export const ATT_HEADS: i32 = 3;
export const ATT_HEAD_DIM: i32 = 4;
export const ATT_BLOCKS_PER_UNIT: i32 = 5; // query blocks (NR queries each) per unit
export const ATT_UNITS_PER_HEAD: i32 = 6;
export const ATT_SCRATCH: i32 = 7;
export const ATT_SCRATCH_STRIDE: i32 = 8;
export const ATT_SCALE: i32 = 9; // f32 bits
export const ATT_QUERIES: i32 = 10; // leading tokens of each image that attend (out has this many rows per image)
export const ATT_PROBS: i32 = 11; // 0, or [batch][heads][queries][tokens] that receives the softmax probabilities
export const ATT_PV_INT8: i32 = 12; // OP_ATTENTION_I8 only: 1 = the probabilities times V in int8 too, 0 = in float32

export const PACK_SRC: i32 = 0; // [outDim][inDim] weight
export const PACK_BIAS: i32 = 1; // [outDim] or 0
export const PACK_DST: i32 = 2;
export const PACK_OUT_DIM: i32 = 3;
export const PACK_IN_DIM: i32 = 4;
export const PACK_PANELS_PER_UNIT: i32 = 5;

// QUANTIZE: rows of x [rows][K] f32 to 7-bit values [rows][KP] (quantize.ts), a scale and a zero point per row.
export const QUANT_X: i32 = 0;
export const QUANT_Q: i32 = 1;
export const QUANT_PARAMS: i32 = 2; // [rows][2]: the row's scale (f32) and zero point (i32)
export const QUANT_ROWS: i32 = 3;
export const QUANT_K: i32 = 4;
export const QUANT_KP: i32 = 5; // K rounded up to a multiple of 4 (values per quantized row)
export const QUANT_ROWS_PER_UNIT: i32 = 6;

// GEMM_I8: out[M][N] = residual + act(dequantized int8 product), W packed in int8 panels (gemm_i8.ts).
export const GQ_QX: i32 = 0; // quantized rows, as QUANT_Q
export const GQ_PARAMS: i32 = 1; // as QUANT_PARAMS
export const GQ_W: i32 = 2;
export const GQ_OUT: i32 = 3;
export const GQ_RES: i32 = 4; // residual pointer, 0 = none
export const GQ_M: i32 = 5;
export const GQ_N: i32 = 6;
export const GQ_KP: i32 = 7;
export const GQ_GELU: i32 = 8;
export const GQ_MC: i32 = 9;
export const GQ_PANELS_PER_UNIT: i32 = 10;
export const GQ_N_UNITS: i32 = 11;
export const GQ_SCRATCH: i32 = 12;
export const GQ_SCRATCH_STRIDE: i32 = 13;
export const GQ_COL_START: i32 = 14;
export const GQ_COL_END: i32 = 15;

/** Per-thread scratch, in bytes from the thread's base: cache tags, two edge tiles, the GEMM's
 * edge-tile context, then bulk. */
export const SCRATCH_TAG_SERIAL: i32 = 0;
export const SCRATCH_TAG_KEY: i32 = 4;
export const SCRATCH_TILE_C: i32 = 64;
export const SCRATCH_TILE_R: i32 = 320;
export const SCRATCH_GEMM_EDGE: i32 = 512; // an EdgeBlock (gemm.ts)
export const SCRATCH_BULK: i32 = 1024;

// COPY: COPY_BYTES bytes from COPY_SRC to COPY_DST, COPY_BYTES_PER_UNIT of them per unit (copy.ts).
export const COPY_SRC: i32 = 0;
export const COPY_DST: i32 = 1;
export const COPY_BYTES: i32 = 2;
export const COPY_BYTES_PER_UNIT: i32 = 3;

// PACK_I8: quantize a float32 weight [outDim][inDim] per output channel and write its int8 panels (pack_i8.ts).
export const PI8_SRC: i32 = 0; // [outDim][inDim] float32 weight
export const PI8_BIAS: i32 = 1; // [outDim] or 0
export const PI8_DST: i32 = 2; // the panels (fresh memory: padding stays zero)
export const PI8_OUT_DIM: i32 = 3;
export const PI8_IN_DIM: i32 = 4;
export const PI8_PANELS_PER_UNIT: i32 = 5;
export const PI8_GAMMA: i32 = 6; // [inDim] or 0: a LayerNorm folded in first (src/backend/fold-linear.ts); needs PI8_BIAS, which it rewrites
export const PI8_BETA: i32 = 7; // [inDim], with PI8_GAMMA

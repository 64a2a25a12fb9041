// The host's copy of the shared-memory protocol in assembly/layout.ts (the kernels export the same
// numbers as globals; test/backend/wasm-module.test.ts checks that both sides agree).

export const CTRL_GENERATION = 0;
export const CTRL_DONE = 1;
export const CTRL_QUIT = 2;
export const CTRL_ERROR = 3;
export const CTRL_COUNTER = 16;
export const CTRL_OP = 32;
export const CTRL_UNITS = 33;
export const CTRL_SERIAL = 34;
export const CTRL_ARGS = 40;
export const CTRL_INTS = 64;

export const OP_GEMM = 1;
export const OP_LAYERNORM = 2;
export const OP_ATTENTION = 3;
export const OP_PACK = 4;

export const GEMM_X = 0;
export const GEMM_W = 1;
export const GEMM_OUT = 2;
export const GEMM_RES = 3;
export const GEMM_M = 4;
export const GEMM_N = 5;
export const GEMM_K = 6;
export const GEMM_GELU = 7;
export const GEMM_KC = 8;
export const GEMM_MC = 9;
export const GEMM_PANELS_PER_UNIT = 10;
export const GEMM_N_UNITS = 11;
export const GEMM_SCRATCH = 12;
export const GEMM_SCRATCH_STRIDE = 13;
export const GEMM_COL_START = 14; // output columns [COL_START, COL_END) are computed
export const GEMM_COL_END = 15;

export const LN_OUT = 0;
export const LN_X = 1;
export const LN_GAMMA = 2;
export const LN_BETA = 3;
export const LN_ROWS = 4;
export const LN_DIM = 5;
export const LN_EPS = 6;
export const LN_ROWS_PER_UNIT = 7;

export const ATT_OUT = 0;
export const ATT_QKV = 1;
export const ATT_TOKENS = 2;
export const ATT_HEADS = 3;
export const ATT_HEAD_DIM = 4;
export const ATT_BLOCKS_PER_UNIT = 5;
export const ATT_UNITS_PER_HEAD = 6;
export const ATT_SCRATCH = 7;
export const ATT_SCRATCH_STRIDE = 8;
export const ATT_SCALE = 9;
export const ATT_QUERIES = 10;

export const PACK_SRC = 0;
export const PACK_BIAS = 1;
export const PACK_DST = 2;
export const PACK_OUT_DIM = 3;
export const PACK_IN_DIM = 4;
export const PACK_PANELS_PER_UNIT = 5;

export const SCRATCH_TAG_SERIAL = 0;
export const SCRATCH_TAG_KEY = 4;
export const SCRATCH_TILE_C = 64;
export const SCRATCH_TILE_R = 320;
export const SCRATCH_BULK = 1024;

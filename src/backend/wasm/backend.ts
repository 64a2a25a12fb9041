// The WebAssembly SIMD backend: the Backend ops as jobs for the kernel threads (thread-pool.ts),
// on one shared memory (heap.ts) that holds the arena, so kernels read the model's arrays in place.
//
// Besides the arena, the backend keeps one scratch region of its own, reused for two things that
// never overlap in time: staging a Linear's weights while they are packed (load time), and each
// thread's private buffers while an op runs (edge tiles; attention's V^T, Q^T and scores).
// It lives at the end of the heap, so it grows in place and is never duplicated. While loading,
// its two halves take turns: a Linear's weight is read into one while the kernel threads are
// still packing the previous Linear from the other (packLinear returns before its pack is done;
// the next op, or finishPacking, waits for it), and fillBytes reads a chunk of a cache file into
// one while the threads copy the previous chunk into the arena.

import { BumpArena, alignDown, alignUp } from '../arena.js';
import { checkProbs, checkQueries, resolveColumns } from '../op-args.js';
import type { Arena, Backend, ColumnRange, LinearEpilogue, LinearWeights } from '../types.js';
import type { WasmHeap } from './heap.js';
import {
  ATT_HEAD_DIM, ATT_HEADS, ATT_OUT, ATT_PROBS, ATT_QKV, ATT_SCALE, ATT_SCRATCH, ATT_SCRATCH_STRIDE,
  ATT_BLOCKS_PER_UNIT, ATT_PV_INT8, ATT_QUERIES, ATT_TOKENS, ATT_UNITS_PER_HEAD, COPY_BYTES, CTRL_INT8_DOT, COPY_BYTES_PER_UNIT, COPY_DST, COPY_SRC, GEMM_COL_END, GEMM_COL_START, GEMM_GELU,
  GEMM_K, GEMM_KC, GEMM_M, GEMM_MC, GEMM_N, GEMM_N_UNITS, GEMM_OUT, GEMM_PANELS_PER_UNIT, GEMM_RES, GEMM_SCRATCH,
  GEMM_SCRATCH_STRIDE, GEMM_W, GEMM_X,
  GQ_COL_END, GQ_COL_START, GQ_GELU, GQ_KP, GQ_M, GQ_MC, GQ_N, GQ_N_UNITS, GQ_OUT, GQ_PANELS_PER_UNIT, GQ_PARAMS, GQ_QX,
  GQ_RES, GQ_SCRATCH, GQ_SCRATCH_STRIDE, GQ_W,
  LN_BETA, LN_DIM, LN_EPS, LN_GAMMA, LN_OUT, LN_ROWS, LN_ROWS_PER_UNIT, LN_X, OP_ATTENTION, OP_ATTENTION_I8, OP_GEMM, OP_GEMM_I8,
  OP_COPY, OP_LAYERNORM, OP_PACK, OP_PACK_I8, OP_QUANTIZE, PACK_BIAS, PACK_DST, PACK_IN_DIM, PACK_OUT_DIM, PACK_PANELS_PER_UNIT, PACK_SRC,
  PI8_BETA, PI8_BIAS, PI8_DST, PI8_GAMMA, PI8_IN_DIM, PI8_OUT_DIM, PI8_PANELS_PER_UNIT, PI8_SRC,
  QUANT_K, QUANT_KP, QUANT_PARAMS, QUANT_Q, QUANT_ROWS, QUANT_ROWS_PER_UNIT, QUANT_X,
  SCRATCH_BULK, SCRATCH_TAG_KEY, SCRATCH_TAG_SERIAL,
} from './protocol.generated.js';
import { checkFold, type LinearFold } from '../fold-linear.js';
import { countNonFinite } from '../../util/non-finite.js';
import { INT8_MAX_IN_DIM } from '../quantize.js';
import { int8PanelBytes, paddedK } from './pack-int8.js';
import type { Int8Dot } from './int8-dot.js';
import type { ThreadPool } from './thread-pool.js';
import { resolveInt8Attention, type Int8AttentionMode, type Precision } from '../names.js';

/**
 * Longest K block: all of ViT-B's K (768, 3072) in one block, so each output tile is written once.
 * A panel's K x NR slice (up to 144 KB) is then read from L2 rather than L1, and x's rows from L2
 * or L3; measured in alternating runs against blocks of 512 with MC 96 (L1- and L2-sized), this
 * and MC below ran ViT-B's GEMMs ~4% faster on 1 and 2 threads.
 */
export const KC_MAX = 3072;
/** Most rows per GEMM unit: each panel is streamed from memory once per row block (3 for 577 rows). */
export const MC_MAX = 288;
/** Work per GEMM unit (flops): ~0.5 ms, small enough that threads finish an op together. */
const GEMM_UNIT_FLOPS = 24e6;
/** Queries per attention unit (rounded to whole blocks of NR). */
const ATTENTION_UNIT_QUERIES = 48;
/** Elements per LayerNorm unit. */
const LAYERNORM_UNIT_ELEMENTS = 16384;
/** Below this many multiply-adds a job runs on the calling thread: waking workers costs ~10-50 us. */
const PARALLEL_MIN_MACS = 1 << 18;
/** Bytes per chunk of fillBytes (two are staged at a time), and per unit of its copies. */
const FILL_CHUNK_BYTES = 4 * 2 ** 20;
const FILL_UNIT_BYTES = 256 * 2 ** 10;
/** Room left outside the arena for the scratch the kernels reserve on first use (attention's, per thread: well under this). */
const KERNEL_SCRATCH_RESERVE_BYTES = 64 * 2 ** 20;

export type KernelName = 'gemm_3x12_fma' | 'gemm_4x8';

class WasmLinear implements LinearWeights {
  constructor(
    readonly owner: WasmBackend,
    readonly outDim: number,
    readonly inDim: number,
    /** Byte offset of the packed panels in the heap. */
    readonly ptr: number,
    /** Whether the panels are int8 (gemm_i8.ts) rather than float32 (pack.ts). */
    readonly int8 = false,
  ) {}
}

export class WasmBackend implements Backend {
  readonly name: string;
  /** The GEMM micro-kernel in use. */
  readonly kernel: KernelName;
  /** Tile shape of that micro-kernel: MR rows x NR columns. */
  readonly tile: { readonly rows: number; readonly cols: number };
  private readonly mr: number;
  private readonly nr: number;
  /** K values per 4-byte lane of the int8 panels (4 int8, or 2 int16 without relaxed SIMD). */
  private readonly qk: number;
  private scratchPtr = 0;
  private scratchBytes = 0;
  /** Which half of the scratch the last Linear was staged in (see stagingHalf). */
  private lastStagingHalf = 1;
  /** The scratch region as int32s (kept, so that ops allocate nothing). */
  private scratchInts: Int32Array = new Int32Array(0);

  /** Whether the kernels use relaxed-SIMD fused multiply-add. */
  readonly relaxedSimd: boolean;
  /** Which attention matmuls run in int8 (src/backend/quantize-attention.ts, assembly/attention_i8.ts). */
  readonly int8Attention: Int8AttentionMode;
  /** How the relaxed build's int8 kernels form their dot products (int8-dot.ts); undefined in the plain build. */
  readonly int8Dot: Int8Dot | undefined;

  constructor(
    private readonly heap: WasmHeap,
    private readonly pool: ThreadPool,
    readonly precision: Precision = 'fp32',
    int8Attention?: Int8AttentionMode,
    int8Dot?: Int8Dot,
  ) {
    this.int8Attention = resolveInt8Attention(precision, int8Attention);
    this.mr = pool.kernels.MR.value as number;
    this.nr = pool.kernels.NR.value as number;
    this.qk = pool.kernels.QK.value as number;
    this.relaxedSimd = pool.kernels.RELAXED_SIMD.value === 1;
    this.kernel = this.relaxedSimd ? 'gemm_3x12_fma' : 'gemm_4x8';
    this.name = this.relaxedSimd ? 'wasm-relaxed' : 'wasm-simd';
    this.tile = { rows: this.mr, cols: this.nr };
    this.int8Dot = this.relaxedSimd ? (int8Dot ?? 'fused') : undefined;
    pool.setSetting(CTRL_INT8_DOT, this.int8Dot === 'split' ? 1 : 0);
  }

  /** Threads that run each op (the calling thread included). */
  get threads(): number {
    return this.pool.threads;
  }

  /** Resolves once every worker thread has exited (after dispose()). */
  get exited(): Promise<void> {
    return this.pool.exited;
  }

  /** Bytes of WebAssembly memory in use (arenas, scratch, control block). */
  get memoryBytes(): number {
    return this.heap.usedBytes;
  }

  /** Each call reserves new memory in the heap (the backend frees nothing until it is dropped). */
  get maxArenaBytes(): number {
    // What the 4 GiB memory has left, less room for the scratch the kernels reserve on first use.
    return Math.max(0, this.heap.freeBytes - KERNEL_SCRATCH_RESERVE_BYTES);
  }

  createArena(bytes: number): Arena {
    if (!Number.isInteger(bytes) || bytes < 0) throw new RangeError(`wasm backend: bad arena size ${bytes}`);
    const start = this.heap.reserve(bytes);
    return new BumpArena(this.heap.buffer, start, start + bytes);
  }

  linearFloats(outDim: number, inDim: number): number {
    if (this.precision === 'int8') return (Math.ceil(outDim / this.nr) * int8PanelBytes(this.nr, this.qk, inDim)) / 4;
    return Math.ceil(outDim / this.nr) * this.nr * (inDim + 1);
  }

  scratchFloats(_maxLinearOut: number, _maxLinearIn: number): number {
    // The backend's scratch lives outside the arena (see the file header), sized on first use.
    return 0;
  }

  /**
   * Packed weights' layout: panels of NR float32 columns, bias first (assembly/pack.ts), or int8
   * panels of NR columns by QK depth (pack-int8.ts). Version 1; bump it whenever the packing,
   * linearFloats or the arena's alignment change what bytes a load writes.
   */
  get packedFormat(): string {
    return this.precision === 'int8' ? `wasm-i8-panels-nr${this.nr}-qk${this.qk}-v1` : `wasm-f32-panels-nr${this.nr}-v1`;
  }

  finishPacking(): void {
    this.pool.finish();
  }

  countNonFinite(values: Float32Array): number {
    // SIMD on this thread over this backend's memory (the staging a weight was read into).
    if (!this.heap.owns(values)) return countNonFinite(values);
    return this.pool.kernels.count_non_finite(values.byteOffset, values.length);
  }

  fillBytes(region: Uint8Array, read: (chunk: Uint8Array) => void): void {
    if (!this.heap.owns(region)) throw new TypeError("wasm backend: fillBytes: the region must be a view into this backend's arena");
    try {
      for (let done = 0; done < region.byteLength; ) {
        const bytes = Math.min(FILL_CHUNK_BYTES, region.byteLength - done);
        // Read while the previous chunk may still be copying from the other half.
        const staging = this.stagingHalf(alignUp(bytes, 64));
        read(new Uint8Array(this.heap.buffer, staging, bytes));
        const a = this.pool.args; // (waits for the previous copy)
        a[COPY_SRC] = staging;
        a[COPY_DST] = region.byteOffset + done;
        a[COPY_BYTES] = bytes;
        a[COPY_BYTES_PER_UNIT] = FILL_UNIT_BYTES;
        this.pool.start(OP_COPY, Math.ceil(bytes / FILL_UNIT_BYTES));
        done += bytes;
      }
    } finally {
      // Also when `read` threw: the chunks read before it are then wholly in place.
      this.pool.finish();
    }
  }

  placeLinear(arena: Arena, outDim: number, inDim: number, _hasBias: boolean): LinearWeights {
    checkDims('placeLinear', outDim, inDim);
    const packed = arena.allocF32(this.linearFloats(outDim, inDim));
    this.checkView('placeLinear arena', packed);
    return new WasmLinear(this, outDim, inDim, packed.byteOffset, this.precision === 'int8');
  }

  packLinear(w: LinearWeights, fill: (dest: Float32Array) => void, bias: Float32Array | null, fold?: LinearFold): void {
    const { outDim, inDim, ptr } = this.own(w, 'packLinear');
    if (bias !== null && bias.length !== outDim) {
      throw new RangeError(`wasm backend: bias has ${bias.length} values for outDim ${outDim}`);
    }
    checkFold('wasm', this.precision, inDim, bias, fold);
    if (this.precision === 'int8') {
      this.packInt8Linear(ptr, outDim, inDim, fill, bias, fold);
      return;
    }
    const weightFloats = outDim * inDim;
    // Read (by `fill`, on this thread) while the previous Linear may still be packing from the other half.
    const stagingPtr = this.stagingHalf(alignUp((weightFloats + outDim) * 4, 64));
    fill(this.heap.f32(stagingPtr, weightFloats));
    const biasPtr = stagingPtr + weightFloats * 4;
    if (bias !== null) this.heap.f32(biasPtr, outDim).set(bias);

    const panels = Math.ceil(outDim / this.nr);
    const perUnit = Math.max(1, Math.ceil(panels / 64));
    const a = this.pool.args; // (waits for the previous pack)
    a[PACK_SRC] = stagingPtr;
    a[PACK_BIAS] = bias === null ? 0 : biasPtr;
    a[PACK_DST] = ptr;
    a[PACK_OUT_DIM] = outDim;
    a[PACK_IN_DIM] = inDim;
    a[PACK_PANELS_PER_UNIT] = perUnit;
    const units = Math.ceil(panels / perUnit);
    if (weightFloats >= PARALLEL_MIN_MACS) this.pool.start(OP_PACK, units);
    else this.pool.run(OP_PACK, units, false);
  }

  /**
   * The other half of the scratch from the one the last Linear was staged in, holding `bytes`: the
   * previous pack may still be reading its half. Growing the scratch waits for that pack first.
   */
  private stagingHalf(bytes: number): number {
    if (2 * bytes > this.scratchBytes) this.scratch(2 * bytes);
    this.lastStagingHalf ^= 1;
    return this.scratchPtr + this.lastStagingHalf * alignDown(this.scratchBytes / 2, 64);
  }

  linear(
    out: Float32Array,
    x: Float32Array,
    w: LinearWeights,
    rows: number,
    epilogue?: LinearEpilogue,
    columns?: ColumnRange,
  ): void {
    const linear = this.own(w, 'linear');
    const { outDim: N, inDim: K, ptr } = linear;
    const { start, end } = resolveColumns('wasm', columns, N);
    checkRows('linear', rows);
    if (rows === 0) return;
    this.checkView('linear x', x, rows * K);
    this.checkView('linear out', out, rows * N);
    if (overlaps(out, rows * N, x, rows * K)) throw new RangeError('wasm backend: linear out must not overlap x');
    const residual = epilogue?.residual ?? null;
    if (residual !== null) this.checkView('linear residual', residual, rows * N);
    const gelu = epilogue?.gelu === true;
    const { mc, perUnit, colUnits } = this.gemmPlan(rows, K, start, end);
    if (linear.int8) {
      this.linearInt8(out, x, linear, rows, gelu, residual, { mc, perUnit, colUnits, start, end });
      return;
    }
    // GELU before a residual needs the whole K in one block (see assembly/gemm.ts).
    const kBlocks = gelu && residual !== null ? 1 : Math.ceil(K / KC_MAX);
    const stride = SCRATCH_BULK;

    const a = this.pool.args;
    a[GEMM_X] = x.byteOffset;
    a[GEMM_W] = ptr;
    a[GEMM_OUT] = out.byteOffset;
    a[GEMM_RES] = residual === null ? 0 : residual.byteOffset;
    a[GEMM_M] = rows;
    a[GEMM_N] = N;
    a[GEMM_K] = K;
    a[GEMM_GELU] = gelu ? 1 : 0;
    a[GEMM_KC] = Math.ceil(K / kBlocks);
    a[GEMM_MC] = mc;
    a[GEMM_PANELS_PER_UNIT] = perUnit;
    a[GEMM_N_UNITS] = colUnits;
    a[GEMM_SCRATCH] = this.scratch(stride * this.threads);
    a[GEMM_SCRATCH_STRIDE] = stride;
    a[GEMM_COL_START] = start;
    a[GEMM_COL_END] = end;
    this.pool.run(OP_GEMM, Math.ceil(rows / mc) * colUnits, rows * (end - start) * K >= PARALLEL_MIN_MACS);
  }

  /** Rows per unit (a multiple of MR), panels per unit and column units of a GEMM over [start, end). */
  private gemmPlan(rows: number, K: number, start: number, end: number): { mc: number; perUnit: number; colUnits: number } {
    const mr = this.mr;
    const rowBlocks = Math.ceil(rows / MC_MAX);
    const mc = Math.ceil(Math.ceil(rows / rowBlocks) / mr) * mr;
    const panels = Math.ceil(end / this.nr) - Math.floor(start / this.nr);
    const perUnit = Math.min(panels, Math.max(1, Math.round(GEMM_UNIT_FLOPS / (2 * mc * K * this.nr))));
    return { mc, perUnit, colUnits: Math.ceil(panels / perUnit) };
  }

  /**
   * Quantize the weight once and pack it into int8 panels, on the kernel threads (assembly/pack_i8.ts:
   * quantizeWeights' arithmetic in pack-int8.ts' layout), staged and overlapped as the float32 pack is;
   * a LayerNorm `fold` is applied there too, row by row, before quantizing (foldLinear's arithmetic).
   */
  private packInt8Linear(ptr: number, outDim: number, inDim: number, fill: (dest: Float32Array) => void, bias: Float32Array | null, fold?: LinearFold): void {
    if (inDim > INT8_MAX_IN_DIM) throw new RangeError(`wasm backend: an int8 linear takes at most ${INT8_MAX_IN_DIM} inputs, received ${inDim}`);
    const weightFloats = outDim * inDim;
    const stagingPtr = this.stagingHalf(alignUp((weightFloats + outDim + 2 * inDim) * 4, 64));
    fill(this.heap.f32(stagingPtr, weightFloats));
    const biasPtr = stagingPtr + weightFloats * 4;
    if (bias !== null) this.heap.f32(biasPtr, outDim).set(bias);
    const gammaPtr = biasPtr + outDim * 4;
    const betaPtr = gammaPtr + inDim * 4;
    if (fold !== undefined) {
      this.heap.f32(gammaPtr, inDim).set(fold.gamma);
      this.heap.f32(betaPtr, inDim).set(fold.beta);
    }

    const panels = Math.ceil(outDim / this.nr);
    const perUnit = Math.max(1, Math.ceil(panels / 64));
    const a = this.pool.args; // (waits for the previous pack)
    a[PI8_SRC] = stagingPtr;
    a[PI8_BIAS] = bias === null ? 0 : biasPtr;
    a[PI8_DST] = ptr;
    a[PI8_OUT_DIM] = outDim;
    a[PI8_IN_DIM] = inDim;
    a[PI8_PANELS_PER_UNIT] = perUnit;
    a[PI8_GAMMA] = fold === undefined ? 0 : gammaPtr;
    a[PI8_BETA] = fold === undefined ? 0 : betaPtr;
    const units = Math.ceil(panels / perUnit);
    if (weightFloats >= PARALLEL_MIN_MACS) this.pool.start(OP_PACK_I8, units);
    else this.pool.run(OP_PACK_I8, units, false);
  }

  /** The int8 Linear: quantize x's rows (OP_QUANTIZE) into scratch, then the int8 GEMM (OP_GEMM_I8). */
  private linearInt8(
    out: Float32Array,
    x: Float32Array,
    w: WasmLinear,
    rows: number,
    gelu: boolean,
    residual: Float32Array | null,
    plan: { mc: number; perUnit: number; colUnits: number; start: number; end: number },
  ): void {
    const { outDim: N, inDim: K } = w;
    const kp = paddedK(K);
    const tileBytes = SCRATCH_BULK * this.threads;
    const qxBytes = alignUp((rows * kp * 4) / this.qk, 64);
    const qx = this.scratch(tileBytes + qxBytes + rows * 8) + tileBytes;
    const params = qx + qxBytes;
    const a = this.pool.args;
    const rowsPerUnit = Math.max(1, Math.floor(LAYERNORM_UNIT_ELEMENTS / K));
    a[QUANT_X] = x.byteOffset;
    a[QUANT_Q] = qx;
    a[QUANT_PARAMS] = params;
    a[QUANT_ROWS] = rows;
    a[QUANT_K] = K;
    a[QUANT_KP] = kp;
    a[QUANT_ROWS_PER_UNIT] = rowsPerUnit;
    this.pool.run(OP_QUANTIZE, Math.ceil(rows / rowsPerUnit), rows * K * 16 >= PARALLEL_MIN_MACS);

    const { mc, perUnit, colUnits, start, end } = plan;
    a[GQ_QX] = qx;
    a[GQ_PARAMS] = params;
    a[GQ_W] = w.ptr;
    a[GQ_OUT] = out.byteOffset;
    a[GQ_RES] = residual === null ? 0 : residual.byteOffset;
    a[GQ_M] = rows;
    a[GQ_N] = N;
    a[GQ_KP] = kp;
    a[GQ_GELU] = gelu ? 1 : 0;
    a[GQ_MC] = mc;
    a[GQ_PANELS_PER_UNIT] = perUnit;
    a[GQ_N_UNITS] = colUnits;
    a[GQ_SCRATCH] = qx - tileBytes;
    a[GQ_SCRATCH_STRIDE] = SCRATCH_BULK;
    a[GQ_COL_START] = start;
    a[GQ_COL_END] = end;
    this.pool.run(OP_GEMM_I8, Math.ceil(rows / mc) * colUnits, rows * (end - start) * K >= PARALLEL_MIN_MACS);
  }

  layerNorm(
    out: Float32Array,
    x: Float32Array,
    gamma: Float32Array,
    beta: Float32Array,
    rows: number,
    dim: number,
    eps: number,
  ): void {
    checkRows('layerNorm', rows);
    checkDims('layerNorm', 1, dim);
    if (rows === 0) return;
    this.checkView('layerNorm x', x, rows * dim);
    this.checkView('layerNorm out', out, rows * dim);
    this.checkView('layerNorm gamma', gamma, dim);
    this.checkView('layerNorm beta', beta, dim);
    if (out !== x && out.byteOffset !== x.byteOffset && overlaps(out, rows * dim, x, rows * dim)) {
      throw new RangeError('wasm backend: layerNorm out must be x or not overlap it');
    }
    const perUnit = Math.max(1, Math.floor(LAYERNORM_UNIT_ELEMENTS / dim));
    const a = this.pool.args;
    a[LN_OUT] = out.byteOffset;
    a[LN_X] = x.byteOffset;
    a[LN_GAMMA] = gamma.byteOffset;
    a[LN_BETA] = beta.byteOffset;
    a[LN_ROWS] = rows;
    a[LN_DIM] = dim;
    this.pool.argsF32[LN_EPS] = eps;
    a[LN_ROWS_PER_UNIT] = perUnit;
    this.pool.run(OP_LAYERNORM, Math.ceil(rows / perUnit), rows * dim * 16 >= PARALLEL_MIN_MACS);
  }

  attentionScratchFloats(_batch: number, _tokens: number, _heads: number): number {
    // Attention's buffers are per thread and live in the backend's own scratch region.
    return 0;
  }

  attention(
    out: Float32Array,
    qkv: Float32Array,
    batch: number,
    tokens: number,
    heads: number,
    headDim: number,
    _scratch: Float32Array,
    queries = tokens,
    probs?: Float32Array,
  ): void {
    checkRows('attention batch', batch);
    checkDims('attention', tokens, heads);
    checkDims('attention', 1, headDim);
    checkQueries('wasm', queries, tokens);
    checkProbs('wasm', probs, batch * heads * queries * tokens);
    if (batch === 0) return;
    const dim = heads * headDim;
    this.checkView('attention qkv', qkv, batch * tokens * 3 * dim);
    this.checkView('attention out', out, batch * queries * dim);
    if (overlaps(out, batch * queries * dim, qkv, batch * tokens * 3 * dim)) {
      throw new RangeError('wasm backend: attention out must not overlap qkv');
    }
    if (probs !== undefined) this.checkView('attention probs', probs);
    const int8 = this.int8Attention !== 'off';
    const stride = int8 ? this.pool.kernels.attention_i8_scratch_bytes(tokens, headDim, this.int8Attention === 'qk+pv' ? 1 : 0) : this.attentionScratchBytes(tokens, headDim);
    const scratch = this.scratch(stride * this.threads);
    // Each thread caches its V^T under a (job, head) tag; the region may hold anything (staged
    // weights, another op's buffers), so clear the tags rather than trust them.
    const ints = this.scratchInts;
    for (let t = 0; t < this.threads; t++) {
      ints[(t * stride + SCRATCH_TAG_SERIAL) / 4] = 0;
      ints[(t * stride + SCRATCH_TAG_KEY) / 4] = -1;
    }
    const blocksPerUnit = Math.max(1, Math.round(ATTENTION_UNIT_QUERIES / this.nr));
    const unitsPerHead = Math.ceil(Math.ceil(queries / this.nr) / blocksPerUnit);
    const a = this.pool.args;
    a[ATT_OUT] = out.byteOffset;
    a[ATT_QKV] = qkv.byteOffset;
    a[ATT_TOKENS] = tokens;
    a[ATT_QUERIES] = queries;
    a[ATT_HEADS] = heads;
    a[ATT_HEAD_DIM] = headDim;
    a[ATT_BLOCKS_PER_UNIT] = blocksPerUnit;
    a[ATT_UNITS_PER_HEAD] = unitsPerHead;
    a[ATT_SCRATCH] = scratch;
    a[ATT_SCRATCH_STRIDE] = stride;
    a[ATT_PROBS] = probs === undefined ? 0 : probs.byteOffset;
    a[ATT_PV_INT8] = this.int8Attention === 'qk+pv' ? 1 : 0;
    this.pool.argsF32[ATT_SCALE] = headDim ** -0.5;
    const macs = batch * heads * queries * tokens * headDim * 2;
    this.pool.run(int8 ? OP_ATTENTION_I8 : OP_ATTENTION, batch * heads * unitsPerHead, macs >= PARALLEL_MIN_MACS);
  }

  dispose(): void {
    this.pool.dispose();
  }

  /** Per-thread scratch of attention (see assembly/attention.ts): V^T, K, Q^T, S^T, O^T, 1/sums. */
  private attentionScratchBytes(tokens: number, headDim: number): number {
    const { mr, nr } = this;
    const floats = 2 * headDim * tokens + headDim * nr + Math.ceil(tokens / mr) * mr * nr + Math.ceil(headDim / mr) * mr * nr + nr;
    return alignUp(SCRATCH_BULK + 4 * floats, 64);
  }

  /** `w` as this backend's own Linear (made by its placeLinear). */
  private own(w: LinearWeights, what: string): WasmLinear {
    if (!(w instanceof WasmLinear) || w.owner !== this) {
      throw new TypeError(`wasm backend: ${what}() needs weights from this backend’s placeLinear()`);
    }
    return w;
  }

  /** The scratch region, grown (in place when it is the heap's last reservation) to `bytes`. */
  private scratch(bytes: number): number {
    // A pack still running may be reading any of it.
    this.pool.finish();
    if (bytes > this.scratchBytes) {
      this.scratchPtr =
        this.scratchBytes === 0 ? this.heap.reserve(bytes) : this.heap.resize(this.scratchPtr, this.scratchBytes, bytes);
      this.scratchBytes = bytes;
      this.scratchInts = new Int32Array(this.heap.buffer, this.scratchPtr, bytes >> 2);
    }
    return this.scratchPtr;
  }

  private checkView(what: string, view: Float32Array, minLength = 0): void {
    if (!(view instanceof Float32Array) || !this.heap.owns(view)) {
      throw new TypeError(`wasm backend: ${what} must be a Float32Array view into this backend's arena`);
    }
    if (view.length < minLength) {
      throw new RangeError(`wasm backend: ${what} has ${view.length} floats, needs ${minLength}`);
    }
  }
}

function checkRows(what: string, rows: number): void {
  if (!Number.isInteger(rows) || rows < 0) throw new RangeError(`wasm backend: ${what}: bad row count ${rows}`);
}

function checkDims(what: string, a: number, b: number): void {
  if (!Number.isInteger(a) || !Number.isInteger(b) || a < 1 || b < 1) {
    throw new RangeError(`wasm backend: ${what}: bad dimensions ${a} x ${b}`);
  }
}

/** Whether the first `aLength` floats of `a` and the first `bLength` of `b` share memory. */
function overlaps(a: Float32Array, aLength: number, b: Float32Array, bLength: number): boolean {
  return a.byteOffset < b.byteOffset + bLength * 4 && b.byteOffset < a.byteOffset + aLength * 4;
}

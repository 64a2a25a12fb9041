// The contract between the model and its numeric kernels.
//
// The model (src/model/vit.ts) never loops over numbers itself: it calls these few ops on
// Float32Array views into one preallocated Arena. A backend owns that arena's memory (a plain
// ArrayBuffer for the reference backend, a shared WebAssembly.Memory for a WASM one), so every
// array handed to an op is a view into `arena.buffer`, and no op allocates per call.

import type { LinearFold } from './fold-linear.js';
import type { Int8AttentionMode, Precision } from './names.js';

/** One contiguous block of memory holding weights and activations, handed out by a bump allocator. */
export interface Arena {
  /** The backing memory. A WASM backend may pass it to workers; never assume a plain ArrayBuffer. */
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  /** Where the arena begins in `buffer`. */
  readonly byteOffset: number;
  readonly capacityBytes: number;
  readonly usedBytes: number;
  /** `count` float32s, 64-byte aligned, zero (the arena's memory is fresh). Throws when the arena is full. */
  allocF32(count: number): Float32Array;
}

/** A Linear layer's weights in whatever layout the backend prefers (opaque to the model). */
export interface LinearWeights {
  readonly outDim: number;
  readonly inDim: number;
}

/** What happens to a Linear's output after the bias is added, fused so no extra pass is needed. */
export interface LinearEpilogue {
  /** Apply exact erf GELU to every output element. */
  gelu?: boolean;
  /** Add this tensor (same shape as the output) to the output; it may be the output array itself. */
  residual?: Float32Array;
}

/** Output columns start <= o < end of a Linear (0 <= start < end <= outDim). */
export interface ColumnRange {
  readonly start: number;
  readonly end: number;
}

export interface Backend {
  readonly name: string;

  /** How its Linear layers compute (fixed when the backend is created; the other ops are float32, attention unless int8Attention says otherwise). */
  readonly precision: Precision;

  /** Which of attention's matmuls run in int8 ('off' unless precision is int8 and it was asked for). */
  readonly int8Attention: Int8AttentionMode;

  /** Allocate the arena once, before loading: `bytes` comes from the model's memory plan. Its memory must be fresh (all zero). */
  createArena(bytes: number): Arena;

  /** The largest arena createArena can make now (WebAssembly's memory ends at 4 GiB), so a caller can size batches to fit. */
  readonly maxArenaBytes: number;

  /** Floats a Linear of this shape (weights and bias) occupies in the arena once prepared. */
  linearFloats(outDim: number, inDim: number): number;

  /**
   * Floats the backend needs for its own scratch (e.g. staging a weight while packing it), given
   * the dimensions of the model's largest Linear. The memory plan reserves them; the backend
   * allocates them from the arena itself, once, in its first placeLinear.
   */
  scratchFloats(largestLinearOut: number, largestLinearIn: number): number;

  /**
   * A Linear layer at load time, in two steps (prepare-linear.ts does both for one layer):
   * placeLinear takes the Linear's room in the arena and writes nothing; packLinear then writes the
   * weight that `fill(dest)` gives, PyTorch layout [outDim][inDim], into `dest` (the backend chooses
   * where: straight into its final place, or into scratch before repacking), and `bias` ([outDim],
   * or null for none). A model places every weight first and packs them as it reads them
   * (vit/weights.ts), so its weight bytes are one region, and the same bytes whether packed or
   * restored from a cache file (app/weight-cache.ts).
   */
  placeLinear(arena: Arena, outDim: number, inDim: number, hasBias: boolean): LinearWeights;
  /**
   * May return while the backend's threads are still writing the packed bytes (reading the next
   * Linear overlaps packing this one): every later op waits for them, and so does finishPacking.
   * `fill` has run, and `bias` been copied, when it returns.
   * `fold` (int8 backends only, and only with a bias): the LayerNorm before this Linear, folded
   * into the weight and bias as fold-linear.ts defines, on the way to quantizing them.
   */
  packLinear(w: LinearWeights, fill: (dest: Float32Array) => void, bias: Float32Array | null, fold?: LinearFold): void;
  /** Returns once every Linear given to packLinear is wholly written (before its bytes are read as bytes). */
  finishPacking(): void;

  /**
   * Write `region` (bytes of this backend's arena) whole, from `read`: called with chunks in order,
   * it fills each with the region's next chunk.byteLength bytes (a chunk is the backend's memory,
   * valid during the call only). A threaded backend copies each chunk into place on its threads
   * while the next one is read. Restores packed weights kept between runs (app/weight-cache.ts).
   */
  fillBytes(region: Uint8Array, read: (chunk: Uint8Array) => void): void;

  /**
   * How many of `values` are NaN or infinite, as util/non-finite.ts counts them: the loader checks
   * every weight it reads with this (app/load-weights.ts), in the thread that reads them. A backend
   * may count its own memory faster (the WASM backend with SIMD, over the staging a weight was
   * just read into); any other array is counted as util/non-finite.ts does.
   */
  countNonFinite(values: Float32Array): number;

  /**
   * What the bytes packLinear writes look like (kernel tile, precision, layout version): weights
   * packed under another value are not these. Absent: the backend's packed weights are not kept.
   */
  readonly packedFormat?: string;

  /**
   * out[r][o] = epilogue(bias[o] + sum_i x[r][i] * W[o][i]) for r < rows, and for the output
   * columns in `columns` only when it is given (out keeps its [rows][outDim] layout; the other
   * columns are left as they are). `out` must not overlap `x`.
   */
  linear(
    out: Float32Array,
    x: Float32Array,
    w: LinearWeights,
    rows: number,
    epilogue?: LinearEpilogue,
    columns?: ColumnRange,
  ): void;

  /** Row-wise LayerNorm over `dim` (biased variance, like PyTorch): out may equal x. */
  layerNorm(
    out: Float32Array,
    x: Float32Array,
    gamma: Float32Array,
    beta: Float32Array,
    rows: number,
    dim: number,
    eps: number,
  ): void;

  /** Floats of scratch that `attention` needs for these sizes. */
  attentionScratchFloats(batch: number, tokens: number, heads: number): number;

  /**
   * Multi-head self-attention core on a fused qkv projection.
   * qkv: [batch][tokens][3][heads][headDim] (the Linear output of timm's attn.qkv)
   * out: [batch][queries][heads * headDim]  = softmax(q k^T * headDim^-0.5) v, heads side by side,
   * for the first `queries` tokens of each image (default: all); every token is a key and value.
   * The model's last block asks for the class token alone: nothing else reaches the head.
   * probs, when given (an explanation records them; the forward pass alone does not):
   * [batch][heads][queries][tokens] receives the softmax probabilities the output was weighted
   * by, the same numbers the kernel used (with int8Attention 'qk+pv', those numbers before they are
   * quantized for P V). Absent, the op costs and computes exactly as without it.
   */
  attention(
    out: Float32Array,
    qkv: Float32Array,
    batch: number,
    tokens: number,
    heads: number,
    headDim: number,
    scratch: Float32Array,
    queries?: number,
    probs?: Float32Array,
  ): void;

  /** Release threads or other resources; the backend is unusable afterwards. */
  dispose(): void;
}

// What one resize asks of its two passes, and what runs them: the JavaScript passes (resample.ts,
// the reference) or the WebAssembly SIMD ones (resample-wasm.ts), the same bytes either way.

import type { RgbImage } from './types.js';

/**
 * Fraction bits of the fixed-point weights (8 bits of result, 2 bits of headroom), which both
 * passes' sums are shifted right by: the one place of the value, which the WebAssembly passes get
 * as an argument.
 */
export const PRECISION_BITS = 32 - 8 - 2;

/**
 * The taps of output samples [first, first + start.length) of a 1-D resampling from inSize to
 * outSize samples; entry i is output sample first + i.
 */
export interface ResampleCoefficients {
  /** Output sample of entry 0. */
  first: number;
  /** Taps reserved per output sample (stride of `weights`). */
  ksize: number;
  /** First input sample read by each output sample. */
  start: Int32Array;
  /** Number of input samples read by each output sample. */
  count: Int32Array;
  /** Fixed-point weights (PRECISION_BITS fraction bits), `ksize` per output sample. */
  weights: Int32Array;
}

/**
 * One resize's passes: the horizontal pass (unless null) over source rows [firstRow, lastRow) for
 * output columns [colStart, colEnd), then the vertical pass (unless null) over its rows, or over
 * columns [colStart, colEnd) of the source rows when there is no horizontal pass. At least one
 * pass runs. The result: the output pixels, rows packed, colEnd - colStart wide.
 */
export interface ResampleJob {
  img: RgbImage;
  firstRow: number;
  lastRow: number;
  colStart: number;
  colEnd: number;
  horizontal: ResampleCoefficients | null;
  vertical: ResampleCoefficients | null;
}

/** What runs a ResampleJob: the same bytes whichever it is. */
export interface ResamplePasses {
  readonly name: 'wasm-simd' | 'javascript';
  /** The job's pixels, or undefined when this engine cannot take it (then the JavaScript passes run it). */
  run(job: ResampleJob): Uint8Array | undefined;
}

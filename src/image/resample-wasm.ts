// The resize's two passes (resample.ts) run by WebAssembly SIMD (assembly/resample.ts, embedded by
// `npm run build`): the same integer arithmetic, so the same bytes, about five times faster. It
// runs on the calling thread, on a memory of its own that holds one job at a time: the source
// rows the job reads, its tables, the horizontal pass's rows and the result. Where the runtime's
// WebAssembly has no SIMD (the module does not compile) there is no such engine, and a job larger
// than a WebAssembly memory can hold is declined: resample.ts runs its JavaScript passes then.

import { wasm, type WasmMemory, type WasmModule } from '../util/wasm-api.js';
import { PRECISION_BITS, type ResampleCoefficients, type ResampleJob, type ResamplePasses } from './resample-job.js';
import { RESAMPLE_BINARIES } from './resample-binary.generated.js';

interface PassExports {
  heap_base(): number;
  horizontal(src: number, srcStride: number, rows: number, out: number, width: number, ksize: number, start: number, count: number, weights: number, bits: number): void;
  vertical(src: number, srcStride: number, rowOffset: number, out: number, rowBytes: number, rows: number, ksize: number, start: number, count: number, weights: number, bits: number): void;
}

const PAGE = 65536;
/** What a WebAssembly memory can hold at most (65536 pages): a larger job is not taken. */
const MAX_MEMORY_BYTES = 65536 * PAGE;
/** A memory grown past this for one large image is dropped after it, not kept for the next. */
const KEEP_BYTES = 64 * 2 ** 20;
/** Source rows per horizontal call: a long first call would run wholly in V8's baseline code. */
const ROWS_PER_CALL = 64;

let module: WasmModule | null | undefined;

function compiled(): WasmModule | null {
  if (module === undefined) {
    try {
      module = new wasm.Module(Buffer.from(RESAMPLE_BINARIES.simd, 'base64'));
    } catch {
      module = null; // no wasm SIMD here
    }
  }
  return module;
}

class Instance {
  readonly memory: WasmMemory = new wasm.Memory({ initial: 1, maximum: MAX_MEMORY_BYTES / PAGE, shared: false });
  readonly exports: PassExports;

  constructor(module: WasmModule) {
    const abort = (): never => {
      throw new Error('resample: WebAssembly abort');
    };
    this.exports = new wasm.Instance(module, { env: { memory: this.memory, abort } }).exports as unknown as PassExports;
  }

  /**
   * Grow to hold `bytes` and return the heap (the buffer changes on growth), or undefined when
   * the memory cannot grow that far (past `limit`, or the system refuses).
   */
  reserve(bytes: number, limit: number): Uint8Array | undefined {
    if (bytes > limit) return undefined;
    const have = this.memory.buffer.byteLength;
    if (bytes > have) {
      try {
        this.memory.grow(Math.ceil((bytes - have) / PAGE));
      } catch (e) {
        if (e instanceof RangeError) return undefined; // could not allocate
        throw e;
      }
    }
    return new Uint8Array(this.memory.buffer);
  }
}

/** A coefficient table's place in the instance's memory. */
class PlacedTable {
  constructor(
    readonly coeffs: ResampleCoefficients,
    readonly start: number,
    readonly count: number,
    readonly weights: number,
  ) {}

  copyInto(heap: Uint8Array): void {
    for (const [array, at] of [[this.coeffs.start, this.start], [this.coeffs.count, this.count], [this.coeffs.weights, this.weights]] as const) {
      heap.set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), at);
    }
  }
}

/** Bump allocation in the instance's memory, 16-byte aligned, from the module's heap base. */
class Layout {
  constructor(public end: number) {}

  take(bytes: number): number {
    const at = this.end;
    this.end = at + Math.ceil(bytes / 16) * 16;
    return at;
  }

  table(coeffs: ResampleCoefficients): PlacedTable {
    return new PlacedTable(coeffs, this.take(coeffs.start.byteLength), this.take(coeffs.count.byteLength), this.take(coeffs.weights.byteLength));
  }
}

let instance: Instance | null = null;

/**
 * Run `job` in the WebAssembly passes, or return undefined when their memory cannot hold it
 * (`limit` bytes; a test may lower it), for the caller to run the JavaScript passes instead.
 */
export function runInWasm(job: ResampleJob, limit = MAX_MEMORY_BYTES): Uint8Array | undefined {
  const mod = compiled();
  if (mod === null) throw new Error('resample: no WebAssembly SIMD'); // wasmPasses() said so first
  instance ??= new Instance(mod);
  const { img, firstRow, lastRow, horizontal, vertical, colStart, colEnd } = job;
  const stride = img.width * 3;
  const rows = lastRow - firstRow;
  const midWidth = colEnd - colStart;
  const outRows = vertical === null ? rows : vertical.start.length;

  const at = new Layout(Math.ceil(instance.exports.heap_base() / 16) * 16);
  const src = at.take(rows * stride + 4); // + the byte the horizontal pass reads past a pixel
  const h = horizontal === null ? null : at.table(horizontal);
  const v = vertical === null ? null : at.table(vertical);
  const mid = h === null ? src : at.take(rows * midWidth * 3);
  const out = v === null ? mid : at.take(outRows * midWidth * 3);
  const heap = instance.reserve(at.end, limit);
  if (heap === undefined) return undefined;
  heap.set(img.data.subarray(firstRow * stride, lastRow * stride), src);
  h?.copyInto(heap);
  v?.copyInto(heap);

  const passes = instance.exports;
  if (h !== null) {
    for (let y = 0; y < rows; y += ROWS_PER_CALL) {
      const n = Math.min(ROWS_PER_CALL, rows - y);
      passes.horizontal(src + y * stride, stride, n, mid + y * midWidth * 3, midWidth, h.coeffs.ksize, h.start, h.count, h.weights, PRECISION_BITS);
    }
  }
  if (v !== null) {
    // Without a horizontal pass the vertical one reads the kept columns of the source rows.
    const [from, fromStride] = h === null ? [src + colStart * 3, stride] : [mid, midWidth * 3];
    passes.vertical(from, fromStride, firstRow, out, midWidth * 3, outRows, v.coeffs.ksize, v.start, v.count, v.weights, PRECISION_BITS);
  }
  const result = heap.slice(out, out + outRows * midWidth * 3);
  if (instance.memory.buffer.byteLength > KEEP_BYTES) instance = null;
  return result;
}

/** The WebAssembly SIMD passes, or undefined where this runtime has no wasm SIMD. */
export function wasmPasses(): ResamplePasses | undefined {
  return compiled() === null ? undefined : WASM_PASSES;
}

const WASM_PASSES: ResamplePasses = { name: 'wasm-simd', run: (job) => runInWasm(job) };

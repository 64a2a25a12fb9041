// A bump allocator over one block of fresh (all-zero) memory. Weights and activations are
// planned up front (src/model/memory-plan.ts), so nothing is ever freed: the arena lives as long
// as the model.

import type { Arena } from './types.js';

/** Alignment of every allocation: a cache line, which also satisfies 16-byte SIMD loads. */
export const ARENA_ALIGN_BYTES = 64;

export class BumpArena implements Arena {
  private offset: number;

  /**
   * @param buffer the memory to hand out
   * @param startByte first usable byte (a WASM backend keeps its stack and statics below it)
   * @param endByte one past the last usable byte
   */
  constructor(
    readonly buffer: ArrayBuffer | SharedArrayBuffer,
    private readonly startByte = 0,
    private readonly endByte = buffer.byteLength,
  ) {
    this.offset = alignUp(startByte, ARENA_ALIGN_BYTES);
  }

  get byteOffset(): number {
    return this.startByte;
  }

  get capacityBytes(): number {
    return this.endByte - this.startByte;
  }

  get usedBytes(): number {
    return this.offset - this.startByte;
  }

  allocF32(count: number): Float32Array {
    if (!Number.isInteger(count) || count < 0) {
      throw new RangeError(`arena: expected a non-negative integer float count, received ${count}`);
    }
    const bytes = count * 4;
    if (this.offset + bytes > this.endByte) {
      throw new RangeError(
        `arena: out of memory: ${bytes} bytes requested, ${this.endByte - this.offset} of ${this.capacityBytes} left`,
      );
    }
    // No fill: backends hand the arena fresh memory (a new ArrayBuffer, or WebAssembly memory
    // never handed out before), which is already zero, and touching it again costs a pass over
    // hundreds of megabytes at load.
    const view = new Float32Array(this.buffer, this.offset, count);
    this.offset = alignUp(this.offset + bytes, ARENA_ALIGN_BYTES);
    return view;
  }
}

export function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

export function alignDown(n: number, alignment: number): number {
  return Math.floor(n / alignment) * alignment;
}

/** Bytes that `floats` float32s occupy in an arena, including worst-case alignment padding. */
export function arenaBytesFor(floats: number): number {
  return alignUp(floats * 4, ARENA_ALIGN_BYTES);
}

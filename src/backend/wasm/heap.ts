// The backend's one shared WebAssembly.Memory, handed out by a bump pointer: the control block,
// arenas (createArena) and the scratch region all live in it, so every thread's kernels can
// address all of them. Memory only grows (up to 4 GiB); nothing is freed.

import { alignUp } from '../arena.js';
import { createSharedMemory, MAX_MEMORY_PAGES } from './kernels.js';
import type { WasmMemory } from '../../util/wasm-api.js';

const PAGE_BYTES = 65536;
const ALIGN = 64;

export class WasmHeap {
  readonly memory: WasmMemory;
  private top: number;
  // Every SharedArrayBuffer this memory has shown (one per size): a view's buffer must be one.
  private readonly buffers = new WeakSet<ArrayBufferLike>();

  constructor() {
    this.memory = createSharedMemory(1);
    this.top = 0;
    this.buffers.add(this.memory.buffer);
  }

  /** The memory's current buffer (covers everything reserved so far). */
  get buffer(): SharedArrayBuffer {
    const buffer = this.memory.buffer as unknown as SharedArrayBuffer;
    this.buffers.add(buffer);
    return buffer;
  }

  get usedBytes(): number {
    return this.top;
  }

  /** What can still be reserved before the memory reaches WebAssembly's 4 GiB. */
  get freeBytes(): number {
    return MAX_MEMORY_PAGES * PAGE_BYTES - this.top;
  }

  /** Reserve `bytes` (64-byte aligned), growing the memory if needed; returns the byte offset. */
  reserve(bytes: number): number {
    const start = alignUp(this.top, ALIGN);
    this.ensure(start + bytes);
    this.top = start + bytes;
    return start;
  }

  /** Grow the reservation [start, start + oldBytes) to newBytes, in place if it is the last one. */
  resize(start: number, oldBytes: number, newBytes: number): number {
    if (start + oldBytes === this.top) {
      this.ensure(start + newBytes);
      this.top = start + newBytes;
      return start;
    }
    return this.reserve(newBytes);
  }

  /** Whether `view` is a view into this heap's memory. */
  owns(view: ArrayBufferView): boolean {
    return this.buffers.has(view.buffer) || view.buffer === this.buffer;
  }

  f32(byteOffset: number, length: number): Float32Array {
    return new Float32Array(this.buffer, byteOffset, length);
  }

  private ensure(endByte: number): void {
    const pages = Math.ceil(endByte / PAGE_BYTES);
    const current = this.memory.buffer.byteLength / PAGE_BYTES;
    if (pages > MAX_MEMORY_PAGES) {
      throw new RangeError(`wasm backend: ${endByte} bytes requested, more than WebAssembly's 4 GiB`);
    }
    if (pages > current) this.memory.grow(pages - current);
  }
}

// Backend.countNonFinite, the loader's check of every weight it reads: the wasm backend counts a
// view of its own memory with SIMD (assembly/non_finite.ts: eight values a step, then the tail one
// by one) and anything else as util/non-finite.ts does. Every kind of NaN (quiet, signalling,
// negative, any payload) and both infinities count; the largest finite values, subnormals and
// negative zero do not; at every position of short arrays (each lane of both SIMD steps, and the
// tail), at byte offsets that are not 16-aligned, and over a long array against the plain count.

import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../../src/backend/reference/backend.js';
import type { WasmBackend } from '../../src/backend/wasm/index.js';
import { countNonFinite } from '../../src/util/non-finite.js';
import { rng, useWasmBackend } from './wasm-helpers.js';

/** float32 bit patterns that are not finite. */
const NOT_FINITE = [0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7f800001, 0x7fbfffff, 0xffffffff, 0x7fc12345];
/** float32 bit patterns of finite values at the edges: largest magnitude, smallest subnormal, zeros, 1. */
const FINITE_EDGES = [0x7f7fffff, 0xff7fffff, 0x00000001, 0x80000001, 0x00000000, 0x80000000, 0x3f800000, 0x00800000];

/** `n` floats at `byteOffset` (a multiple of 4) of the backend's memory, all 1.5. */
function heapView(backend: WasmBackend, n: number, byteOffset: number): Float32Array {
  const arena = backend.createArena(n * 4 + 64);
  const view = new Float32Array(arena.buffer, arena.byteOffset + byteOffset, n);
  view.fill(1.5);
  return view;
}

describe.each([true, false])('wasm countNonFinite (relaxedSimd %s)', (relaxedSimd) => {
  let backend: WasmBackend;
  useWasmBackend({ relaxedSimd, threads: 1 }, (created) => (backend = created));

  it('counts none among finite edge values, wherever they sit', () => {
    const view = heapView(backend, 21, 4);
    const bits = new Uint32Array(view.buffer, view.byteOffset, view.length);
    bits.forEach((_, i) => (bits[i] = FINITE_EDGES[i % FINITE_EDGES.length]));
    expect(backend.countNonFinite(view)).toBe(0);
    expect(backend.countNonFinite(view.subarray(0, 0))).toBe(0);
  });

  it.each([1, 7, 8, 9, 15, 16, 17])('finds one bad value at every position of %i values, of every kind', (n) => {
    for (const byteOffset of [0, 4, 12]) {
      const view = heapView(backend, n, byteOffset);
      const bits = new Uint32Array(view.buffer, view.byteOffset, n);
      for (let at = 0; at < n; at++) {
        for (const pattern of NOT_FINITE) {
          view.fill(1.5);
          bits[at] = pattern;
          expect(backend.countNonFinite(view), `0x${pattern.toString(16)} at ${at} of ${n}, offset ${byteOffset}`).toBe(1);
        }
      }
    }
  });

  it('counts as util/non-finite.ts does over a long array with bad values scattered', () => {
    const n = 100_003;
    const view = heapView(backend, n, 8);
    const bits = new Uint32Array(view.buffer, view.byteOffset, n);
    const random = rng(7);
    for (let i = 0; i < n; i++) view[i] = random() * 2 - 1;
    let planted = 0;
    for (let i = 0; i < n; i += 1 + Math.floor(random() * 997)) {
      bits[i] = NOT_FINITE[planted % NOT_FINITE.length];
      planted++;
    }
    expect(planted).toBeGreaterThan(150);
    expect(backend.countNonFinite(view)).toBe(planted);
    expect(countNonFinite(view.slice())).toBe(planted);
  });

  it('counts an array outside its memory too (as util/non-finite.ts does)', () => {
    const values = new Float32Array([1, Number.NaN, 2, Number.POSITIVE_INFINITY, 3, Number.NEGATIVE_INFINITY, 4, 5, 6]);
    expect(backend.countNonFinite(values)).toBe(3);
  });
});

describe('reference countNonFinite', () => {
  it('is util/non-finite.ts', () => {
    const values = new Float32Array(33).fill(-1);
    values[0] = Number.NaN;
    values[32] = Number.POSITIVE_INFINITY;
    expect(new ReferenceBackend().countNonFinite(values)).toBe(2);
  });
});

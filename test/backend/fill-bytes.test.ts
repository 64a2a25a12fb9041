// Backend.fillBytes: a region of the arena written whole from chunks read in order (how packed
// weights come back from a cache file). The wasm backend reads each chunk into staging and copies
// it into place on its threads while the next chunk is read; the reference backend reads straight
// into the region. Regions of several chunks, with a partial last chunk and a partial last copy
// unit, and a read that fails half-way.

import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../../src/backend/reference/backend.js';
import type { Backend } from '../../src/backend/types.js';
import type { WasmBackend } from '../../src/backend/wasm/index.js';
import { KERNEL_CONFIGS, useWasmBackend } from './wasm-helpers.js';

const MiB = 2 ** 20;

/** The byte at offset `i` of the content: not periodic in any power of two. */
const byteAt = (i: number) => (i * 2654435761 + (i >>> 13)) % 251;

function checkFill(backend: Backend, bytes: number): void {
  const arena = backend.createArena(bytes + 4096);
  const region = new Uint8Array(arena.buffer, arena.byteOffset, bytes);
  const offsets: number[] = [];
  let next = 0;
  backend.fillBytes(region, (chunk) => {
    offsets.push(next);
    for (let i = 0; i < chunk.byteLength; i++) chunk[i] = byteAt(next + i);
    next += chunk.byteLength;
  });
  expect(next, 'bytes asked for').toBe(bytes);
  expect(offsets[0]).toBe(0);
  for (let i = 0; i < bytes; i++) {
    if (region[i] !== byteAt(i)) expect.fail(`region[${i}] = ${region[i]}, expected ${byteAt(i)} (${bytes} bytes, ${offsets.length} chunks)`);
  }
}

describe.each(KERNEL_CONFIGS)('wasm fillBytes (relaxedSimd $relaxedSimd, $threads thread(s))', ({ relaxedSimd, threads }) => {
  let backend: WasmBackend;
  useWasmBackend({ relaxedSimd, threads }, (created) => (backend = created));

  it.each([1, 4095, 4 * MiB, 4 * MiB + 1, 10.5 * MiB + 333])('%i bytes, in order and whole', (bytes) => {
    checkFill(backend, bytes);
  });

  it('a read that throws half-way leaves the chunks before it in place and the backend usable', () => {
    const bytes = 9 * MiB;
    const arena = backend.createArena(bytes);
    const region = new Uint8Array(arena.buffer, arena.byteOffset, bytes);
    let next = 0;
    expect(() =>
      backend.fillBytes(region, (chunk) => {
        if (next > 4 * MiB) throw new Error('truncated cache file');
        chunk.fill(7);
        next += chunk.byteLength;
      }),
    ).toThrow('truncated cache file');
    expect(region.subarray(0, next).every((b) => b === 7)).toBe(true);
    checkFill(backend, 5 * MiB + 5);
  });

  it('refuses a region outside its memory', () => {
    expect(() => backend.fillBytes(new Uint8Array(16), () => undefined)).toThrow('arena');
  });
});

describe('reference fillBytes', () => {
  it.each([1, 4 * MiB + 1, 9 * MiB])('%i bytes, in order and whole', (bytes) => {
    checkFill(new ReferenceBackend(), bytes);
  });
});

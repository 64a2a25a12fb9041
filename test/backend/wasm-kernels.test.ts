// The WebAssembly kernel builds on their own (no threads, no Backend): that both builds exist and
// load, that the host's generated copy of the shared-memory protocol is current and matches the
// kernels', and the accuracy of the vector GELU and exp that the GEMM epilogue and softmax use
// (through test-only exports, which only the test builds of the kernels have).

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { gelu } from '../../src/math/erf.js';
import {
  compileKernels, createSharedMemory, instantiateKernels, relaxedSimdSupported, type KernelBuild, type KernelExports,
} from '../../src/backend/wasm/kernels.js';
import * as protocol from '../../src/backend/wasm/protocol.generated.js';
import { wasm } from '../../src/util/wasm-api.js';

const BUILDS: KernelBuild[] = ['relaxed', 'simd'];

function instantiate(build: KernelBuild): { kernels: KernelExports; memory: ReturnType<typeof createSharedMemory> } {
  const memory = createSharedMemory(16);
  return { kernels: instantiateKernels(compileKernels(build), memory), memory };
}

/** The exports of assembly/test-hooks.ts. */
interface TestHooks {
  gelu_n(ptr: number, n: number): void;
  exp_n(ptr: number, n: number): void;
}
const HOOKS = ['gelu_n', 'exp_n'];

/** The test build of `build` (asconfig.test.json): the shipped module plus the test hooks, in build/wasm/. */
function instantiateTestBuild(build: KernelBuild): { kernels: KernelExports & TestHooks; memory: ReturnType<typeof createSharedMemory> } {
  relaxedSimdSupported(); // on Node 20, sets the V8 flag that compiling relaxed SIMD needs
  const path = fileURLToPath(new URL(`../../build/wasm/vit-${build}.test.wasm`, import.meta.url));
  const memory = createSharedMemory(16);
  const kernels = instantiateKernels(new wasm.Module(readFileSync(path)), memory) as KernelExports & TestHooks;
  return { kernels, memory };
}

/** Spacing of float32 values at |v| (the subnormal spacing below 2^-126). */
function ulp32(v: number): number {
  const a = Math.abs(v);
  if (a < 2 ** -126) return 2 ** -149;
  return 2 ** (Math.floor(Math.log2(a)) - 23);
}

/** Run an in-place kernel hook on `values` (length a multiple of 4) and return the result. */
function runHook(build: KernelBuild, hook: keyof TestHooks, values: number[]): Float32Array {
  const { kernels, memory } = instantiateTestBuild(build);
  const at = kernels.heap_base();
  const view = new Float32Array(memory.buffer, at, values.length);
  view.set(values);
  kernels[hook](at, values.length);
  return Float32Array.from(view);
}

function padTo4(values: number[]): number[] {
  const out = values.slice();
  while (out.length % 4 !== 0) out.push(0);
  return out;
}

describe('kernel builds', () => {
  it('relaxed SIMD is detected on this runtime (Node 20 needs the V8 flag the loader sets)', () => {
    expect(relaxedSimdSupported()).toBe(true);
  });

  it.each(BUILDS)('%s: exports the tile shape of its micro-kernel', (build) => {
    const { kernels } = instantiate(build);
    expect(kernels.RELAXED_SIMD.value).toBe(build === 'relaxed' ? 1 : 0);
    expect([kernels.MR.value, kernels.NR.value]).toEqual(build === 'relaxed' ? [3, 12] : [4, 8]);
    expect(kernels.heap_base()).toBeLessThanOrEqual(65536);
  });

  it.each(BUILDS)('%s: the test hooks are in the test build only', (build) => {
    const shipped = Object.keys(instantiate(build).kernels);
    const test = Object.keys(instantiateTestBuild(build).kernels);
    expect(HOOKS.filter((hook) => shipped.includes(hook))).toEqual([]);
    expect(HOOKS.filter((hook) => test.includes(hook))).toEqual(HOOKS);
    expect(test.filter((name) => !HOOKS.includes(name)).sort()).toEqual(shipped.sort());
  });

  it('the host\'s protocol constants are generated from the current assembly/protocol.ts', () => {
    const script = fileURLToPath(new URL('../../scripts/gen-protocol.mjs', import.meta.url));
    const check = spawnSync(process.execPath, [script, '--check'], { encoding: 'utf8' });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });

  it.each(BUILDS)('%s: exports the same protocol constants as src/backend/wasm/protocol.generated.ts', (build) => {
    const { kernels } = instantiate(build);
    const exported = kernels as unknown as Record<string, { value: unknown } | undefined>;
    const constants = Object.entries(protocol);
    expect(constants.length).toBeGreaterThan(40);
    for (const [name, value] of constants) {
      expect(exported[name]?.value, name).toBe(value);
    }
    // And no protocol constant of the build is missing on the host (the other globals are the tile shape,
    // the int8 panels' K values per lane and the build).
    const globals = Object.keys(exported).filter((name) => /^[A-Z][A-Z0-9_]*$/.test(name));
    expect(globals.filter((name) => !(name in protocol)).sort()).toEqual(['MR', 'NR', 'QK', 'RELAXED_SIMD']);
  });
});

describe('vector GELU (gemm epilogue)', () => {
  // A dense grid plus the points where the formula changes character.
  const grid: number[] = [];
  for (let x = -14; x <= 14; x += 1 / 256) grid.push(Math.fround(x + 1 / 1024));
  const special = [0, -0, 1e-30, -1e-30, 1e-7, -1e-7, 0.5, -0.5, 1, -1, 3.5, -3.5, 5, -5, 20, -20, 100, -100];

  it.each(BUILDS)('%s: within 6 ulp of erf.ts on [-14, 14]', (build) => {
    const xs = padTo4(grid.concat(special));
    const ours = runHook(build, 'gelu_n', xs);
    let compared = 0;
    for (let i = 0; i < xs.length; i++) {
      const x = Math.fround(xs[i]);
      const ref = gelu(x);
      // 6 float32 ulp of the exact value (measured: <= 4.7 ulp, see assembly/gelu.ts). erf.ts
      // forms 1 + erf(x/sqrt2) in double, which is only accurate to ~2^-53 absolute where it
      // cancels (x << 0): that, times |x|/2, is the reference's own error.
      // Below 2^-126 the kernel flushes to zero.
      const bound = 6 * ulp32(ref) + Math.abs(x) * 2 ** -53 + 2 ** -126;
      const err = Math.abs(ours[i] - ref);
      if (!(err <= bound)) {
        expect.fail(`gelu(${x}) = ${ours[i]}, reference ${ref}: error ${err} > bound ${bound} (${build})`);
      }
      compared++;
    }
    expect(grid.length).toBe(28 * 256 + 1);
    expect(compared).toBe(xs.length);
  });

  it.each(BUILDS)('%s: is x for large x, zero for large -x, and propagates NaN and infinities', (build) => {
    const ours = runHook(build, 'gelu_n', [Infinity, -Infinity, NaN, 1e30, -0, -1e30, 0, 0]);
    expect(ours[0]).toBe(Infinity);
    expect(Math.abs(ours[1])).toBe(0);
    expect(ours[2]).toBeNaN();
    expect(ours[3]).toBe(Math.fround(1e30));
    expect(Object.is(ours[4], -0)).toBe(true); // gelu(-0) = -0 * Phi(0)
    expect(Math.abs(ours[5])).toBe(0);
  });
});

describe('vector exp (softmax)', () => {
  it.each(BUILDS)('%s: within 2 ulp of Math.exp on [-87, 88]', (build) => {
    const xs: number[] = [];
    for (let x = -87; x <= 88; x += 1 / 64) xs.push(Math.fround(x + 1 / 640));
    xs.push(0, -0, 1e-20, -1e-20);
    const input = padTo4(xs);
    const ours = runHook(build, 'exp_n', input);
    let compared = 0;
    for (let i = 0; i < input.length; i++) {
      const ref = Math.exp(Math.fround(input[i]));
      const err = Math.abs(ours[i] - ref);
      if (!(err <= 2 * ulp32(ref))) {
        expect.fail(`exp(${input[i]}) = ${ours[i]}, reference ${ref}: error ${err / ulp32(ref)} ulp (${build})`);
      }
      compared++;
    }
    expect(xs.length).toBe(175 * 64 + 1 + 4);
    expect(compared).toBe(input.length);
  });

  it.each(BUILDS)('%s: exp(-Infinity) = 0, exp(-1000) = 0, NaN stays NaN', (build) => {
    const ours = runHook(build, 'exp_n', [-Infinity, -1000, NaN, -100]);
    expect(ours[0]).toBe(0);
    expect(ours[1]).toBe(0);
    expect(ours[2]).toBeNaN();
    expect(ours[3]).toBe(0);
  });
});

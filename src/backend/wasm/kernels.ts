// Checking and compiling the two kernel builds (embedded by `npm run build` from dist/wasm, see
// scripts/embed-wasm.mjs: the backend reads no files), and instantiating one on a given shared
// memory. VIT_WASM_DEBUG=1 in the environment compiles their debug builds instead (made and
// embedded by `npm run build:wasm:debug`: unoptimized, with names and assertions), e.g. to run the
// tests against them.
//
// Relaxed SIMD is standard from V8 11.4; Node 20 (V8 11.3) has it behind a flag. The flag is set
// here, before the first compile, which covers worker threads too (flags are process-wide), so
// users never pass it. Support is decided by validating a tiny module; the V8 version only decides
// whether the flag is worth trying (see relaxedSimdFlag).

import v8 from 'node:v8';
import { KERNEL_BINARIES } from './kernel-binaries.generated.js';
import { wasm, type WasmGlobal, type WasmMemory, type WasmModule } from '../../util/wasm-api.js';

export type KernelBuild = 'relaxed' | 'simd';

/** The exports of assembly/index.ts that the host uses. */
export interface KernelExports {
  run(ctrl: number, tid: number): void;
  heap_base(): number;
  /** Bytes of one thread's scratch for int8 attention (assembly/attention_i8.ts). */
  attention_i8_scratch_bytes(tokens: number, headDim: number, pvInt8: number): number;
  /** How many of the `n` float32 values at byte offset `ptr` are NaN or infinite (assembly/non_finite.ts). */
  count_non_finite(ptr: number, n: number): number;
  readonly MR: WasmGlobal;
  readonly NR: WasmGlobal;
  readonly QK: WasmGlobal;
  readonly RELAXED_SIMD: WasmGlobal;
}

/** The module's memory import: 1 page minimum, 65536 maximum (4 GiB), shared. */
export const MAX_MEMORY_PAGES = 65536;

// (module (func (param v128 v128 v128) (result v128) local.get 0 local.get 1 local.get 2 f32x4.relaxed_madd))
const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b,
  0x03, 0x02, 0x01, 0x00,
  0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02, 0x0b,
]);

let relaxedSupport: boolean | null = null;

/**
 * The V8 flag that turns relaxed SIMD on in V8 `v8Version` (process.versions.v8), or null when that
 * V8 needs none. The feature shipped in 11.4 and the flag was later dropped (V8 12.4, 13.6 and 14.6
 * of Node 22, 24 and 26 reject it), and v8.setFlagsFromString() with an unknown flag does not throw:
 * V8 prints "Error: unrecognized flag" to stderr. So only V8 before 11.4 gets it; a later V8 that
 * fails the probe (x64 without SSE4.1, where V8 has no wasm SIMD at all) cannot be helped by a flag.
 */
export function relaxedSimdFlag(v8Version: string | undefined): string | null {
  const match = /^(\d+)\.(\d+)\./.exec(v8Version ?? '');
  if (match === null) return null;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  return major < 11 || (major === 11 && minor < 4) ? '--experimental-wasm-relaxed-simd' : null;
}

/** Whether this runtime can compile relaxed-SIMD code (enabling V8's flag if that is what it takes). */
export function relaxedSimdSupported(): boolean {
  if (relaxedSupport === null) {
    const flag = relaxedSimdFlag(process.versions.v8);
    if (flag !== null && !wasm.validate(RELAXED_PROBE)) {
      v8.setFlagsFromString(flag);
      // That V8's baseline compiler (Liftoff) miscompiles i32x4.relaxed_dot_i8x16_i7x16_add_s
      // (an accumulator of the int8 GEMM came out wrong until TurboFan took over; found by
      // test/backend/wasm-int8.test.ts), so its modules are compiled by TurboFan from the start.
      v8.setFlagsFromString('--no-liftoff');
    }
    relaxedSupport = wasm.validate(RELAXED_PROBE);
  }
  return relaxedSupport;
}

/** Whether to load the debug builds (VIT_WASM_DEBUG=1, see the file header). */
const DEBUG_BUILDS = process.env.VIT_WASM_DEBUG === '1';

const compiled = new Map<KernelBuild, WasmModule>();

/** The compiled kernel module (cached per process: compiling takes a few milliseconds). */
// (module (func (result v128) v128.const i32x4 0 0 0 0))
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b,
  0x03, 0x02, 0x01, 0x00,
  0x0a, 0x16, 0x01, 0x14, 0x00, 0xfd, 0x0c, ...new Array<number>(16).fill(0), 0x0b,
]);

/** Whether this runtime's WebAssembly has SIMD at all (V8 needs SSE4.1 on x64 for it). */
export function simdSupported(): boolean {
  return wasm.validate(SIMD_PROBE);
}

/** The kernels cannot run on this runtime: an environment to change, not a bug. */
export class BackendUnavailableError extends Error {
  override name = 'BackendUnavailableError';
}

export function compileKernels(build: KernelBuild): WasmModule {
  const cached = compiled.get(build);
  if (cached !== undefined) return cached;
  if (build === 'relaxed' && !relaxedSimdSupported()) {
    throw new Error('wasm backend: this runtime does not support WebAssembly relaxed SIMD');
  }
  const name = DEBUG_BUILDS ? `${build}-debug` : build;
  const base64 = KERNEL_BINARIES[name];
  if (base64 === undefined) throw new Error(`wasm backend: kernel build ${name} is not embedded; run \`npm run ${DEBUG_BUILDS ? 'build:wasm:debug' : 'build'}\``);
  const module = new wasm.Module(Buffer.from(base64, 'base64'));
  compiled.set(build, module);
  return module;
}

export function createSharedMemory(initialPages = 1): WasmMemory {
  return new wasm.Memory({ initial: initialPages, maximum: MAX_MEMORY_PAGES, shared: true });
}

export function instantiateKernels(module: WasmModule, memory: WasmMemory): KernelExports {
  const instance = new wasm.Instance(module, { env: { memory, abort: abortImport } });
  return instance.exports as unknown as KernelExports;
}

function abortImport(): never {
  throw new Error('wasm backend: kernel abort');
}

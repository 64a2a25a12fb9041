// Starting the kernels, apart from loading a model: the model host thread starts them first, so
// that the kernel threads boot while it imports the loader (model-host-worker.ts).

import { chooseInt8Dot, createBackend, defaultThreads, type BackendName, type Int8AttentionMode, type Int8Dot, type Precision } from '../backend/index.js';
import type { Backend } from '../backend/types.js';
import { thisCpuFlags } from '../util/cpu-flags.js';

export interface StartedBackend {
  backend: Backend;
  /** What the caller should be told (more threads asked for than there are cores). */
  warnings: string[];
  /**
   * With int8 on the relaxed-SIMD kernels: their dot sequence and why, e.g. "split (x64 without
   * AVX-VNNI)" (for --verbose); else undefined.
   */
  int8Dot?: string;
}

/**
 * Start the kernels with at most one thread per core: more only contend for the same cores (and
 * each costs a worker and its memory). Asking for more is said in the warnings, never silently cut.
 */
export async function startBackend(name: BackendName = 'auto', threads?: number, precision?: Precision, int8Attention?: Int8AttentionMode): Promise<StartedBackend> {
  const cores = defaultThreads();
  const warnings = threads !== undefined && threads > cores ? [`--threads ${threads} is more than the ${cores} cores: using ${cores}`] : [];
  const pick = name === 'auto' ? int8DotForThisMachine() : undefined;
  const backend = await createBackend(name, { threads: threads === undefined ? undefined : Math.min(threads, cores), precision, int8Attention, int8Dot: pick?.dot });
  // The plain build (relaxed SIMD missing) has no choice, and fp32 makes none.
  const used = (backend as { int8Dot?: Int8Dot }).int8Dot;
  const int8Dot = pick !== undefined && used !== undefined && backend.precision === 'int8' ? `${used} (${pick.reason})` : undefined;
  return { backend, warnings, int8Dot };
}

/** The int8 dot sequence for this process's CPU and V8 (src/backend/wasm/int8-dot.ts), and why. */
export function int8DotForThisMachine(): { dot: Int8Dot; reason: string } {
  return chooseInt8Dot({ arch: process.arch, v8: process.versions.v8, cpuFlags: thisCpuFlags() });
}

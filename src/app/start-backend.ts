// Starting the kernels, apart from loading a model: the model host thread starts them first, so
// that the kernel threads boot while it imports the loader (model-host-worker.ts).

import { chooseInt8Dot, createBackend, defaultThreads, type BackendName, type Int8AttentionMode, type Int8Dot, type Precision } from '../backend/index.js';
import type { Backend } from '../backend/types.js';
import { thisCpuFlags } from '../util/cpu-flags.js';

export interface StartedBackend {
  backend: Backend;
  /** What the caller should be told (more threads asked for than there are cores). */
  warnings: string[];
}

/**
 * Start the kernels with at most one thread per core: more only contend for the same cores (and
 * each costs a worker and its memory). Asking for more is said in the warnings, never silently cut.
 */
export async function startBackend(name: BackendName = 'auto', threads?: number, precision?: Precision, int8Attention?: Int8AttentionMode): Promise<StartedBackend> {
  const cores = defaultThreads();
  const warnings = threads !== undefined && threads > cores ? [`--threads ${threads} is more than the ${cores} cores: using ${cores}`] : [];
  const int8Dot = name === 'auto' ? int8DotForThisMachine().dot : undefined;
  const backend = await createBackend(name, { threads: threads === undefined ? undefined : Math.min(threads, cores), precision, int8Attention, int8Dot });
  return { backend, warnings };
}

/** The int8 dot sequence for this process's CPU and V8 (src/backend/wasm/int8-dot.ts), and why. */
export function int8DotForThisMachine(): { dot: Int8Dot; reason: string } {
  return chooseInt8Dot({ arch: process.arch, v8: process.versions.v8, cpuFlags: thisCpuFlags() });
}

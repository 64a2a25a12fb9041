// Starting the kernels, apart from loading a model: the model host thread starts them first, so
// that the kernel threads boot while it imports the loader (model-host-worker.ts).

import { createBackend, defaultThreads, type BackendName, type Int8AttentionMode, type Precision } from '../backend/index.js';
import type { Backend } from '../backend/types.js';

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
  const backend = await createBackend(name, { threads: threads === undefined ? undefined : Math.min(threads, cores), precision, int8Attention });
  return { backend, warnings };
}

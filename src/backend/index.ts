// Choosing the kernels the model runs on.

import { ReferenceBackend } from './reference.js';
import type { Backend } from './types.js';

export type BackendName = 'auto' | 'ref';
export const BACKEND_NAMES: readonly BackendName[] = ['auto', 'ref'];

export interface BackendOptions {
  /** Worker threads for backends that use them (default: the machine's cores). */
  threads?: number;
}

/** 'auto' picks the fastest backend this runtime supports; 'ref' is the plain TypeScript oracle. */
export async function createBackend(name: BackendName = 'auto', _options: BackendOptions = {}): Promise<Backend> {
  switch (name) {
    case 'auto':
    case 'ref':
      return new ReferenceBackend();
  }
}

export type { Backend } from './types.js';

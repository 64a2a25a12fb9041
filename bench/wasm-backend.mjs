// The wasm backend as vit starts it, for the benchmarks that build one directly: createWasmBackend
// with the int8 dot sequence that vit picks for this CPU and V8 (src/app/start-backend.ts), unless
// the options name one (or ask for the plain build, which has one).

import { int8DotForThisMachine } from '../dist/app/start-backend.js';
import { createWasmBackend } from '../dist/backend/wasm/index.js';

export function createVitBackend(options = {}) {
  const int8Dot = options.relaxedSimd === false ? undefined : int8DotForThisMachine().dot;
  return createWasmBackend({ int8Dot, ...options });
}

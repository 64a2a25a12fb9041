// The worker thread's program, as an ES module in a data: URL (`new Worker(WORKER_URL)`): it needs
// no file of its own, so it runs the same from src/ (under vitest) and from dist/, and being a
// module it does not depend on how the parent was started (`eval: true` source would be read as
// CommonJS or ESM depending on the parent's --input-type).
//
// A worker instantiates the kernels on the shared memory, reports 'ready', then sleeps on the
// control block's generation word. Each new generation is a job: it calls run(ctrl, tid), which
// claims work units until none are left, then counts itself done and wakes the main thread.
// It never throws: a trap is recorded in CTRL_ERROR so the waiting main thread cannot hang.

import { CTRL_DONE, CTRL_ERROR, CTRL_GENERATION, CTRL_INTS, CTRL_QUIT } from './protocol.generated.js';
import type { WasmMemory, WasmModule } from '../../util/wasm-api.js';

export interface WorkerData {
  module: WasmModule;
  memory: WasmMemory;
  ctrl: number;
  tid: number;
}

const WORKER_SOURCE = `import { parentPort, workerData } from 'node:worker_threads';
const { module, memory, ctrl, tid } = workerData;
const abort = () => { throw new Error('wasm backend: kernel abort'); };
const { run } = new WebAssembly.Instance(module, { env: { memory, abort } }).exports;
const c = new Int32Array(memory.buffer, ctrl, ${CTRL_INTS});
let seen = Atomics.load(c, ${CTRL_GENERATION});
parentPort.postMessage('ready');
for (;;) {
  Atomics.wait(c, ${CTRL_GENERATION}, seen);
  seen = Atomics.load(c, ${CTRL_GENERATION});
  if (Atomics.load(c, ${CTRL_QUIT}) !== 0) break;
  try {
    run(ctrl, tid);
  } catch {
    Atomics.compareExchange(c, ${CTRL_ERROR}, 0, tid + 1);
  }
  Atomics.add(c, ${CTRL_DONE}, 1);
  Atomics.notify(c, ${CTRL_DONE});
}
`;

export const WORKER_URL = new URL(`data:text/javascript,${encodeURIComponent(WORKER_SOURCE)}`);

// The threads that run kernel jobs: the main thread plus `threads - 1` workers, all instances of
// the same compiled module on the same shared memory.
//
// A job is written into the control block (op, unit count, arguments); the main thread bumps the
// generation word and notifies, works on units itself, then waits with Atomics.wait (allowed on
// Node's main thread) until every worker has checked in. Units are claimed inside WebAssembly
// with an atomic counter, so there is no message per unit; small jobs skip the workers entirely.
// Workers are unref'd: a forgotten dispose() cannot keep the process alive.
// A job can also be started without the main thread (start), which then does other work (reading
// the next weight from disk while the workers pack this one) before it joins in (finish): the
// units left when it arrives are its share. One job at a time: any run or start finishes it first.
// "The main thread" is the thread that created the pool: with the library's loadModel, that is the
// model host worker (app/model-host.ts), so the process's own main thread never waits here.

import { Worker } from 'node:worker_threads';
import type { WasmHeap } from './heap.js';
import { instantiateKernels, type KernelExports } from './kernels.js';
import {
  CTRL_ARGS, CTRL_COUNTER, CTRL_DONE, CTRL_ERROR, CTRL_GENERATION, CTRL_INTS, CTRL_OP, CTRL_QUIT, CTRL_SERIAL,
  CTRL_UNITS,
} from './protocol.generated.js';
import type { WasmModule } from '../../util/wasm-api.js';
import { WORKER_URL, type WorkerData } from './worker-source.js';

// Polls of the done counter before sleeping: workers usually finish within microseconds of the
// main thread (units are small), and a futex sleep + wake costs more than that.
const SPIN_POLLS = 20_000;

export class ThreadPool {
  private readonly jobArgs: Int32Array;
  private readonly jobArgsF32: Float32Array;
  /** Resolves when every worker has exited (after dispose()). */
  readonly exited: Promise<void>;
  private readonly ctrl: Int32Array;
  private serial = 0;
  private disposed = false;
  /** A job started by start() that the main thread has not finished yet. */
  private pending = false;

  private constructor(
    readonly kernels: KernelExports,
    private readonly ctrlPtr: number,
    buffer: SharedArrayBuffer,
    private readonly workers: Worker[],
  ) {
    this.ctrl = new Int32Array(buffer, ctrlPtr, CTRL_INTS);
    this.jobArgs = this.ctrl.subarray(CTRL_ARGS);
    this.jobArgsF32 = new Float32Array(buffer, ctrlPtr + CTRL_ARGS * 4, CTRL_INTS - CTRL_ARGS);
    this.exited = Promise.all(
      workers.map((worker) => new Promise<void>((resolve) => worker.once('exit', () => resolve()))),
    ).then(() => undefined);
  }

  static async create(module: WasmModule, heap: WasmHeap, threads: number): Promise<ThreadPool> {
    const kernels = instantiateKernels(module, heap.memory);
    if (heap.usedBytes === 0) heap.reserve(kernels.heap_base()); // the kernels' static data
    const ctrlPtr = heap.reserve(CTRL_INTS * 4);
    const workers: Worker[] = [];
    try {
      for (let tid = 1; tid < threads; tid++) {
        const workerData: WorkerData = { module, memory: heap.memory, ctrl: ctrlPtr, tid };
        workers.push(new Worker(WORKER_URL, { workerData }));
      }
      await Promise.all(workers.map(waitUntilReady));
    } catch (error) {
      await Promise.all(workers.map((worker) => worker.terminate()));
      throw error;
    }
    for (const worker of workers) worker.unref();
    return new ThreadPool(kernels, ctrlPtr, heap.buffer, workers);
  }

  /** Job arguments: write them, then call run() or start(). Asking for them finishes a pending job, whose arguments they are. */
  get args(): Int32Array {
    this.finish();
    return this.jobArgs;
  }

  get argsF32(): Float32Array {
    this.finish();
    return this.jobArgsF32;
  }

  get threads(): number {
    return this.workers.length + 1;
  }

  /**
   * Set a control-block slot that every job reads but none writes (e.g. CTRL_INT8_DOT): after the
   * pending job, so that no job sees it change; the next job's start publishes it to the workers.
   */
  setSetting(slot: number, value: number): void {
    this.finish();
    this.ctrl[slot] = value;
  }

  /**
   * Run the job whose arguments are in `args`: `units` work units of kernel `op`, on all threads
   * when `parallel`, else on the calling thread only. Returns when every unit is done.
   */
  run(op: number, units: number, parallel: boolean): void {
    if (!this.begin(op, units, parallel)) return;
    this.pending = true;
    this.finish();
  }

  /**
   * Start the job whose arguments are in `args` on the workers and return at once; the main
   * thread joins it in finish(). Until then the job's arguments and memory must stay as they are.
   * Without workers the job runs here and now.
   */
  start(op: number, units: number): void {
    this.pending = this.begin(op, units, true);
  }

  /** Work on the started job's remaining units, then wait for the workers; nothing when no job is pending. */
  finish(): void {
    if (!this.pending) return;
    this.pending = false;
    let failure: unknown = null;
    try {
      this.kernels.run(this.ctrlPtr, 0);
    } catch (error) {
      failure = error;
    }
    this.waitForWorkers();
    if (failure !== null) throw failure;
    const failed = Atomics.exchange(this.ctrl, CTRL_ERROR, 0);
    if (failed !== 0) throw new Error(`wasm backend: a kernel trapped in worker thread ${failed - 1}`);
  }

  /**
   * Finish any pending job, write the job's header and wake the workers; true when they took it
   * (the caller must then finish), false when it ran whole on this thread (not parallel, or no workers).
   */
  private begin(op: number, units: number, parallel: boolean): boolean {
    if (this.disposed) throw new Error('wasm backend: used after dispose()');
    this.finish();
    const c = this.ctrl;
    c[CTRL_OP] = op;
    c[CTRL_UNITS] = units;
    this.serial = (this.serial % 0x7ffffffe) + 1; // never 0: zeroed scratch tags must not match
    c[CTRL_SERIAL] = this.serial;
    Atomics.store(c, CTRL_COUNTER, 0);
    if (!parallel || this.workers.length === 0) {
      this.kernels.run(this.ctrlPtr, 0);
      return false;
    }
    Atomics.store(c, CTRL_DONE, 0);
    Atomics.add(c, CTRL_GENERATION, 1);
    Atomics.notify(c, CTRL_GENERATION);
    return true;
  }

  /** Stop the workers (they leave their loop, then are terminated); the pool is unusable after. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.pending = false;
    Atomics.store(this.ctrl, CTRL_QUIT, 1);
    Atomics.add(this.ctrl, CTRL_GENERATION, 1);
    Atomics.notify(this.ctrl, CTRL_GENERATION);
    for (const worker of this.workers) void worker.terminate();
  }

  private waitForWorkers(): void {
    const c = this.ctrl;
    const expected = this.workers.length;
    for (let poll = 0; poll < SPIN_POLLS; poll++) {
      if (Atomics.load(c, CTRL_DONE) >= expected) return;
    }
    for (;;) {
      const done = Atomics.load(c, CTRL_DONE);
      if (done >= expected) return;
      Atomics.wait(c, CTRL_DONE, done);
    }
  }
}

function waitUntilReady(worker: Worker): Promise<void> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number) => reject(new Error(`wasm backend: worker exited during start-up (code ${code})`));
    worker.once('error', reject);
    worker.once('exit', onExit);
    worker.once('message', () => {
      worker.off('error', reject);
      worker.off('exit', onExit);
      // Workers never throw once running; keep a listener so a stray 'error' cannot crash the process.
      worker.on('error', () => {});
      resolve();
    });
  });
}

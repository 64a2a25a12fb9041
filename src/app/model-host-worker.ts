// The model host thread's program (see model-host.ts): start the kernels workerData asks for, wait
// for the 'load' message, load its checkpoint onto them, say 'loaded' (or 'failed'), then run each
// 'forward' as it comes, one at a time, answering with the logits and features transferred. The
// forward pass and its Atomics.wait run here, off the caller's event loop.
// The kernels are started first, and the loader imported after: the kernel threads boot while
// this one reads the loader's modules, and both happen while the caller is still resolving the
// model.

import { parentPort, workerData } from 'node:worker_threads';
import type { Precision } from '../backend/names.js';
import type { CallerMessage, HostMessage, HostModelRequest, HostSettings } from './model-host.js';
import { startBackend } from './start-backend.js';

const threadUp = process.uptime();
const settings = workerData as HostSettings;
const started = startBackend(settings.backend, settings.threads, settings.precision, settings.int8Attention);
let kernelsUp = threadUp;
// Notes when the kernels are up. A failure is loadOnBackend's to report: here it must not count as unhandled.
started.then(() => (kernelsUp = process.uptime())).catch(() => undefined);

const [{ countParameters }, { ClassAttention }, { loadOnBackend }, { serializeError }] = await Promise.all([
  import('../vit/parameters.js'),
  import('./explain/rollout.js'),
  import('./load-weights.js'),
  import('./model-host.js'),
]);

/** At most one 'progress' message per this many milliseconds (the caller redraws no faster). */
const PROGRESS_INTERVAL_MS = 100;

const port = parentPort;
if (port === null) throw new Error('model-host-worker.js runs as a worker thread');
const post = (message: HostMessage, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

// Messages posted before this listener existed have waited in the port.
let forward: ((message: Extract<CallerMessage, { type: 'forward' }>) => void) | undefined;
const request = await new Promise<HostModelRequest>((resolve) =>
  port.on('message', (message: CallerMessage) => {
    if (message.type === 'load') resolve(message.request);
    else forward?.(message);
  }),
);

const total = countParameters(request.model.config) * 4;
let bytes = 0;
let lastPost = 0;
const onRead = (read: number) => {
  bytes += read;
  const now = performance.now();
  if (now - lastPost >= PROGRESS_INTERVAL_MS || bytes === total) {
    lastPost = now;
    post({ type: 'progress', bytes, total });
  }
};

try {
  const { loaded, warnings } = await loadOnBackend({ ...settings, ...request }, onRead, started);
  const backend = loaded.backend as { name: string; threads?: number; precision: Precision };
  forward = (message) => {
    try {
      const attention = message.explain === undefined ? undefined : new ClassAttention(message.explain);
      const { logits, features } = loaded.forward(message.input, message.batch, attention ? { attention: attention.record } : {});
      const classAttention = attention === undefined ? undefined : Float64Array.from(attention.patchRow());
      const transfer = [logits.buffer as ArrayBuffer, features.buffer as ArrayBuffer, ...(classAttention ? [classAttention.buffer] : [])];
      post({ type: 'result', id: message.id, logits, features, ...(classAttention ? { classAttention } : {}) }, transfer);
    } catch (error) {
      post({ type: 'error', id: message.id, error: serializeError(error) });
    }
  };
  const steps = { threadUp, kernelsUp, weightsIn: process.uptime() };
  const { int8Dot } = await started;
  post({ type: 'loaded', maxBatch: loaded.maxBatch, warnings, backend: backend.name, threads: backend.threads ?? 1, precision: backend.precision, int8Dot, weightCache: loaded.weightCache, steps });
} catch (error) {
  post({ type: 'failed', error: serializeError(error) });
}

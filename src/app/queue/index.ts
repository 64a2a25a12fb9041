// `vit worker` and `vit enqueue` as a library: startWorker(options) -> { close() } consumes a
// BullMQ queue of image paths; openQueue(options) -> { enqueue, results, close } fills it and
// reads the results back. BullMQ and ioredis are imported when one of them is called, not when the
// application layer loads (they would slow every other command's start).

import type { QueueClient } from './client.js';
import type { QueueConnectionOptions, RunningWorker, WorkerOptions } from './options.js';

export type { QueueClient, WaitOptions } from './client.js';
export { DEFAULT_TOPK, errorOfFailure, failureReasonOf, jobIdOf, type ImageJobData, type ImageJobRecord } from './job.js';
export type { EnqueueResult, QueueConnectionOptions, QueuedImage, RunningWorker, WorkerOptions } from './options.js';
export { checkQueueName, parseRedisUrl, QueueSettingError, QueueUnavailableError, type RedisTarget } from './settings.js';

/** Connect, load options.model, and consume the queue until close(); see WorkerOptions. */
export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const worker = await import('./worker.js');
  return worker.startWorker(options);
}

/** Connect to the queue to add jobs and read their results; see QueueClient. */
export async function openQueue(options: QueueConnectionOptions): Promise<QueueClient> {
  const client = await import('./client.js');
  return client.openQueue(options);
}

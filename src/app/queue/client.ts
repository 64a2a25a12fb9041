// The producer side behind `vit enqueue`: one job per image, its id a hash of what it asks, so
// that enqueueing again adds nothing (a job that failed is tried again, as classify --resume tries
// error records again); and, for --wait, the jobs' records in input order as they finish.
// Loaded by queue/index.ts on first use.

import { Queue, type Job } from 'bullmq';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { QUEUE_DEFAULTS } from '../constants.js';
import type { InputItem } from '../inputs.js';
import { checkReachable, isRedisFailure, shortConnection, unavailable } from './connection.js';
import { errorOfFailure, jobIdOf, type ImageJobData, type ImageJobRecord } from './job.js';
import type { EnqueueResult, QueueConnectionOptions, QueuedImage } from './options.js';
import { checkPositive, checkQueueName, parseRedisUrl, type RedisTarget } from './settings.js';

/** Jobs added (and looked at) per round trip. */
const CHUNK = 500;
/** How often --wait looks at the jobs not finished yet, and how many of them at a time. */
const POLL_MS = 200;
const POLL_WINDOW = 256;

export interface WaitOptions {
  /** Give up when no job has finished for this long (ms): the jobs left get WAIT_TIMEOUT records. */
  idleTimeoutMs: number;
}

export interface QueueClient {
  /** The Redis URL, password hidden. */
  readonly redis: string;
  readonly queue: string;
  /** One job per image (its absolute path), `topk` classes each; inputs that carry an error get no job. */
  enqueue(items: readonly InputItem[], topk: number): Promise<EnqueueResult>;
  /** The images' records in their order, each as soon as it and those before it are done. */
  results(images: readonly QueuedImage[], options: WaitOptions): AsyncGenerator<ImageJobRecord>;
  close(): Promise<void>;
}

export async function openQueue(options: QueueConnectionOptions): Promise<QueueClient> {
  const target = parseRedisUrl(options.redis);
  const name = checkQueueName(options.queue ?? QUEUE_DEFAULTS.queue);
  const timeoutMs = checkPositive('connectTimeoutMs', options.connectTimeoutMs ?? QUEUE_DEFAULTS.connectTimeoutMs);
  await checkReachable(target, timeoutMs);
  const connection = shortConnection(target, timeoutMs);
  const queue = new Queue<ImageJobData, ImageJobRecord>(name, { connection });
  queue.on('error', () => {}); // each failed command rejects where it was called
  const guarded = <T>(doing: string, work: () => Promise<T>) => redisGuard(target, doing, work);
  return {
    redis: target.shown,
    queue: name,
    enqueue: (items, topk) => guarded(`queueing jobs on '${name}'`, () => enqueue(queue, items, topk)),
    results: (images, waitOptions) => results(queue, images, waitOptions, target),
    close: async () => {
      await queue.close().catch(() => {});
      connection.disconnect();
    },
  };
}

async function enqueue(queue: Queue<ImageJobData, ImageJobRecord>, items: readonly InputItem[], topk: number): Promise<EnqueueResult> {
  const images: QueuedImage[] = [];
  const result: EnqueueResult = { images, added: 0, existing: 0, retried: 0 };
  const jobs: { name: string; data: ImageJobData; opts: { jobId: string } }[] = [];
  for (const item of items) {
    const file = resolve(item.path);
    if ('error' in item) {
      images.push({ file, error: item.error });
      continue;
    }
    const data: ImageJobData = { input: file, topk };
    const jobId = jobIdOf(data);
    images.push({ file, jobId });
    jobs.push({ name: 'classify', data, opts: { jobId } });
  }
  // The same image twice on the command line is one job.
  const unique = [...new Map(jobs.map((job) => [job.opts.jobId, job])).values()];
  for (let at = 0; at < unique.length; at += CHUNK) {
    const chunk = unique.slice(at, at + CHUNK);
    const states = await Promise.all(chunk.map((job) => queue.getJobState(job.opts.jobId)));
    const fresh = chunk.filter((_, i) => states[i] === 'unknown');
    const failed = chunk.filter((_, i) => states[i] === 'failed');
    await queue.addBulk(
      fresh.map((job) => ({
        ...job,
        opts: { ...job.opts, attempts: QUEUE_DEFAULTS.attempts, backoff: { type: 'exponential', delay: 1000 } },
      })),
    );
    let retried = 0;
    for (const job of failed) if (await retryFailed(queue, job.opts.jobId)) retried++;
    result.added += fresh.length;
    result.retried += retried;
    result.existing += chunk.length - fresh.length - retried;
  }
  return result;
}

/** Try a failed job again from its first attempt; false when it is no longer failed (another enqueue retried it first). */
async function retryFailed(queue: Queue<ImageJobData, ImageJobRecord>, jobId: string): Promise<boolean> {
  const job = await queue.getJob(jobId);
  try {
    await job?.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    return job !== undefined;
  } catch (error) {
    if (isRedisFailure(error)) throw error;
    return false;
  }
}

async function* results(
  queue: Queue<ImageJobData, ImageJobRecord>,
  images: readonly QueuedImage[],
  options: WaitOptions,
  target: RedisTarget,
): AsyncGenerator<ImageJobRecord> {
  const done = new Map<number, ImageJobRecord>();
  let next = 0;
  let lastFinish = performance.now();
  while (next < images.length) {
    const head = images[next];
    if ('error' in head || done.has(next)) {
      yield 'error' in head ? { file: head.file, error: head.error } : (done.get(next) as ImageJobRecord);
      done.delete(next);
      next++;
      continue;
    }
    const window: number[] = [];
    for (let i = next; i < images.length && window.length < POLL_WINDOW; i++) if (!('error' in images[i]) && !done.has(i)) window.push(i);
    const jobs = await redisGuard(target, `waiting for jobs on '${queue.name}'`, () =>
      Promise.all(window.map((i) => queue.getJob((images[i] as { jobId: string }).jobId) as Promise<Job<ImageJobData, ImageJobRecord> | undefined>)),
    );
    let finished = 0;
    jobs.forEach((job, w) => {
      const file = images[window[w]].file;
      const record = recordOfJob(file, job);
      if (record !== undefined) {
        done.set(window[w], record);
        finished++;
      }
    });
    if (finished > 0) {
      lastFinish = performance.now();
    } else if (performance.now() - lastFinish > options.idleTimeoutMs) {
      for (; next < images.length; next++) {
        const image = images[next];
        if ('error' in image) yield { file: image.file, error: image.error };
        else yield done.get(next) ?? { file: image.file, error: { code: 'WAIT_TIMEOUT', message: `${image.file}: no result yet: no job finished for ${options.idleTimeoutMs / 1000} s (is a worker running on queue '${queue.name}'?)` } };
      }
      return;
    } else {
      await sleep(POLL_MS);
    }
  }
}

/** A finished job's record: its return value, or the error record of its failure; undefined while it is not finished. */
function recordOfJob(file: string, job: Job<ImageJobData, ImageJobRecord> | undefined): ImageJobRecord | undefined {
  if (job === undefined) return { file, error: { code: 'JOB_FAILED', message: `${file}: the job is no longer in the queue (removed by someone else)` } };
  if (job.finishedOn === undefined) return undefined;
  if (job.returnvalue !== null && typeof job.returnvalue === 'object') return job.returnvalue;
  return errorOfFailure(file, job.failedReason);
}

/** Runs `work`; a failure of Redis (not of our code) becomes a QueueUnavailableError naming what was being done. */
async function redisGuard<T>(target: RedisTarget, doing: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isRedisFailure(error)) throw unavailable(target, doing, error);
    throw error;
  }
}


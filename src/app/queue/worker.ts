// The queue worker behind `vit worker`: a BullMQ Worker whose jobs are image paths, each one
// decoded on its own and batched with the others taken at once into shared forward passes (the
// batcher of `vit serve`, through its ClassifyPipeline). A job's return value is classify's
// record; an image's error fails the job at once (UnrecoverableError: retrying cannot help) with
// "CODE: message"; any other error is retried by BullMQ (the job's attempts). A worker that dies
// holding jobs is BullMQ's business too: their locks lapse and another worker takes them
// (lockDuration, stalledInterval, maxStalledCount). Loaded by queue/index.ts on first use.

import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { hostname } from 'node:os';
import { QUEUE_DEFAULTS, SERVE_DEFAULTS } from '../constants.js';
import { checkPath } from '../inputs.js';
import { loadModel } from '../load-model.js';
import { ClassifyPipeline } from '../serve/pipeline.js';
import { checkReachable, lastingConnection } from './connection.js';
import { checkJobData, failureReasonOf, type ImageJobData, type ImageJobRecord } from './job.js';
import type { RunningWorker, WorkerOptions } from './options.js';
import { checkPositive, checkQueueName, parseRedisUrl } from './settings.js';

export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const target = parseRedisUrl(options.redis);
  const queue = checkQueueName(options.queue ?? QUEUE_DEFAULTS.queue);
  const batchSize = checkPositive('batchSize', options.model.batchSize ?? QUEUE_DEFAULTS.batchSize);
  const concurrency = checkPositive('concurrency', options.concurrency ?? 2 * batchSize);
  const lockDuration = checkPositive('lockDurationMs', options.lockDurationMs ?? QUEUE_DEFAULTS.lockDurationMs);
  const stalledInterval = checkPositive('stalledIntervalMs', options.stalledIntervalMs ?? QUEUE_DEFAULTS.stalledIntervalMs);
  const maxStalledCount = checkPositive('maxStalledCount', options.maxStalledCount ?? QUEUE_DEFAULTS.maxStalledCount, 1000);
  const jobTimeoutMs = checkPositive('jobTimeoutMs', options.jobTimeoutMs ?? QUEUE_DEFAULTS.jobTimeoutMs);
  const timeoutMs = checkPositive('connectTimeoutMs', options.connectTimeoutMs ?? QUEUE_DEFAULTS.connectTimeoutMs);
  const log = options.log ?? (() => {});
  // Before the model: a wrong URL or password should not wait for (or download) the weights.
  await checkReachable(target, timeoutMs);
  const classifier = await loadModel({ ...options.model, batchSize });
  try {
    const classes = classifier.model.config.numClasses;
    const pipeline = new ClassifyPipeline(classifier, {
      prepare: options.prepare ?? {},
      decodeConcurrency: concurrency,
      batchWindowMs: options.batchWindowMs ?? SERVE_DEFAULTS.batchWindowMs,
    });
    const processJob = async (job: Job<ImageJobData, ImageJobRecord>): Promise<ImageJobRecord> => {
      const data = checkJobData(job.data, classes);
      if ('code' in data) throw new UnrecoverableError(failureReasonOf(data));
      const item = await checkPath(data.input);
      const record = 'error' in item ? { file: data.input, error: item.error } : await withTimeout(jobTimeoutMs, data.input, (signal) => pipeline.classifyImage(data.input, data.input, data.topk, signal));
      if ('error' in record) throw new UnrecoverableError(failureReasonOf(record.error));
      return record;
    };
    const connection = lastingConnection(target, timeoutMs, log);
    const worker = new Worker<ImageJobData, ImageJobRecord>(queue, processJob, {
      connection,
      concurrency,
      lockDuration,
      stalledInterval,
      maxStalledCount,
      // Stored as each job's processedBy: which machine and process did it.
      name: `${hostname()}:${process.pid}`,
    });
    worker.on('error', (error) => log(`queue '${queue}': ${error.message}`));
    worker.on('failed', (job, error) => {
      if (!(error instanceof UnrecoverableError)) log(`job ${job?.id ?? '?'} (attempt ${job?.attemptsMade ?? '?'}): ${error.message}`);
    });
    await worker.waitUntilReady();
    return {
      classifier,
      queue,
      redis: target.shown,
      concurrency,
      close: async () => {
        try {
          await worker.close();
        } finally {
          connection.disconnect();
          classifier.dispose();
        }
      },
    };
  } catch (error) {
    classifier.dispose();
    throw error;
  }
}

/**
 * `work` with a signal that aborts after `ms`; then this rejects with a JOB_TIMEOUT error (an
 * ordinary error: BullMQ tries the job again). A decode under way cannot be stopped: it runs on,
 * and its result is dropped.
 */
async function withTimeout<T>(ms: number, file: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(failureReasonOf({ code: 'JOB_TIMEOUT', message: `${file}: not classified within ${ms} ms` }))), ms);
  const aborted = new Promise<never>((_, reject) => controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true }));
  const running = work(controller.signal);
  running.catch(() => {}); // after a timeout, its own rejection (the same abort) is not news
  try {
    return await Promise.race([running, aborted]);
  } finally {
    clearTimeout(timer);
  }
}

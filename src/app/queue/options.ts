// What startWorker and openQueue take and give. No BullMQ here: these types are exported by the
// light queue/index.ts.

import type { PrepareOptions } from '../classifier.js';
import type { InputError } from '../inputs.js';
import type { Classifier, LoadModelOptions } from '../load-model.js';

export interface QueueConnectionOptions {
  /** redis://[:password@]host[:port][/db] or rediss:// (TLS). */
  redis: string;
  /** The BullMQ queue's name (default 'vit'). */
  queue?: string;
  /** Connecting, and (for enqueue) each command, must finish within this many ms (default 10000). */
  connectTimeoutMs?: number;
}

export interface WorkerOptions extends QueueConnectionOptions {
  /** The model; `batchSize` (default 4) is the most jobs one forward pass takes. The worker owns the classifier and disposes it on close. */
  model: LoadModelOptions;
  /** Jobs taken at once (default twice the batch size: the next batch decodes while one runs). */
  concurrency?: number;
  /** Decoding and resizing, as for classify. */
  prepare?: PrepareOptions;
  /** How long the first job of a batch waits for others, in ms (default 5, as serve). */
  batchWindowMs?: number;
  /** A job not done in this many ms fails with JOB_TIMEOUT and is tried again (default 300000). */
  jobTimeoutMs?: number;
  /** BullMQ lockDuration (default 30000): a job whose worker stops renewing its lock for this long goes to another worker. */
  lockDurationMs?: number;
  /** BullMQ stalledInterval (default 30000): how often lapsed locks are looked for. */
  stalledIntervalMs?: number;
  /** BullMQ maxStalledCount (default 2): a job whose worker died more often than this is failed. */
  maxStalledCount?: number;
  /** Told of Redis errors (the worker connects again) and of jobs that failed for a reason other than their image. */
  log?: (message: string) => void;
}

export interface RunningWorker {
  readonly classifier: Classifier;
  readonly queue: string;
  /** The Redis URL, password hidden. */
  readonly redis: string;
  readonly concurrency: number;
  /** Take no more jobs, finish the ones taken, disconnect, dispose the classifier. */
  close(): Promise<void>;
}

/** One input of an enqueue run, in order: its job, or why it has none (a missing file, found before anything was queued). */
export type QueuedImage = { file: string; jobId: string } | { file: string; error: InputError };

export interface EnqueueResult {
  images: QueuedImage[];
  /** Jobs added by this run. */
  added: number;
  /** Jobs already in the queue (waiting, active, delayed or completed): left as they are. */
  existing: number;
  /** Jobs that had failed, tried again. */
  retried: number;
}

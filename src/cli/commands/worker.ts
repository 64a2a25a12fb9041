// `vit worker`: consume a BullMQ queue of image paths on Redis (the application layer's
// startWorker), each job's result the record classify --format ndjson prints. Prints "ready: ..."
// on stdout once the model is loaded; runs until SIGTERM or SIGINT, then takes no more jobs,
// finishes the ones taken and exits 0.

import { Command, Option } from 'commander';
import { QUEUE_DEFAULTS } from '../../app/constants.js';
import { EXIT } from '../errors.js';
import type { CliIO } from '../io.js';
import {
  autoOrientOption,
  backendOption,
  colourManageOption,
  HUB_HELP,
  integerUpTo,
  labelsOption,
  MAX_BATCH_SIZE,
  maxPixelsOption,
  offlineOption,
  quietOption,
  resizeOption,
  threadsOption,
  precisionOption,
  int8AttentionOption,
} from '../options.js';
import { createProgress } from '../progress.js';
import { addModelOptions } from './image-run.js';
import { decodeOptionsOf, loadApp, loadOptionsOf, stopSignal, type ImageFlags, type ModelFlags } from './shared.js';

interface WorkerOpts extends ModelFlags, ImageFlags, QueueFlags {
  batchSize: number;
  concurrency?: number;
  jobTimeoutMs: number;
  lockDurationMs: number;
  stalledIntervalMs: number;
  offline?: boolean;
  quiet?: boolean;
}

/** --redis and --queue, as worker and enqueue declare them. */
export interface QueueFlags {
  redis: string;
  queue: string;
}

export function addQueueOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--redis <url>', 'Redis: redis://[:password@]host[:port][/db], or rediss:// for TLS (a password is better in VIT_REDIS_URL: the command line shows in ps)')
        .env('VIT_REDIS_URL')
        .makeOptionMandatory(),
    )
    .addOption(new Option('--queue <name>', 'the BullMQ queue').default(QUEUE_DEFAULTS.queue).env('VIT_QUEUE'));
}

const MAX_MS = 2 ** 31 - 1;

const WORKER_HELP = `
A job's data is { "input": "<absolute image path>", "topk"?: N } (vit enqueue adds them); its
return value is the record vit classify --format ndjson prints for that image. An image that
cannot be classified fails its job at once with the reason "CODE: message" (classify's codes);
other failures (JOB_TIMEOUT: not done within --job-timeout-ms) are tried again (3 attempts). The jobs of a worker that dies are taken by another
after --lock-duration-ms, seen at the next --stalled-interval-ms check (a job whose workers die
${QUEUE_DEFAULTS.maxStalledCount + 1} times is failed). Redis unreachable at start: exit 69; later, the worker connects again.
SIGTERM or Ctrl-C: take no more jobs, finish the ones taken, exit 0 (a second Ctrl-C stops at once)
`;

export function workerCommand(io: CliIO, setExitCode: (code: number) => void): Command {
  const command = addQueueOptions(new Command('worker').description('classify the images of a BullMQ queue on Redis (vit enqueue fills it), batching the jobs taken at once into shared forward passes'));
  addModelOptions(command)
    .addOption(labelsOption())
    .addOption(new Option('-b, --batch-size <n>', 'most jobs per forward pass').argParser(integerUpTo(MAX_BATCH_SIZE)).default(QUEUE_DEFAULTS.batchSize).env('VIT_BATCH_SIZE'))
    .addOption(new Option('-c, --concurrency <n>', 'jobs taken at once (default: twice the batch size, so the next batch decodes while one runs)').argParser(integerUpTo(4096)).env('VIT_CONCURRENCY'))
    .addOption(threadsOption())
    .addOption(backendOption())
    .addOption(precisionOption())
    .addOption(int8AttentionOption())
    .addOption(
      new Option('--job-timeout-ms <ms>', 'a job not done by then fails with JOB_TIMEOUT and is tried again (a file on a hung network mount)')
        .argParser(integerUpTo(MAX_MS))
        .default(QUEUE_DEFAULTS.jobTimeoutMs),
    )
    .addOption(
      new Option('--lock-duration-ms <ms>', "how long a job stays locked to a worker that stops renewing it (it died) before another may take it; keep it above a forward pass's time")
        .argParser(integerUpTo(MAX_MS))
        .default(QUEUE_DEFAULTS.lockDurationMs),
    )
    .addOption(new Option('--stalled-interval-ms <ms>', 'how often to look for jobs whose worker died').argParser(integerUpTo(MAX_MS)).default(QUEUE_DEFAULTS.stalledIntervalMs))
    .addOption(resizeOption())
    .addOption(autoOrientOption())
    .addOption(colourManageOption())
    .addOption(maxPixelsOption())
    .addOption(offlineOption())
    .addOption(quietOption());
  return command.addHelpText('after', WORKER_HELP + HUB_HELP).action(async (opts: WorkerOpts) => setExitCode(await runWorker(opts, io)));
}

async function runWorker(opts: WorkerOpts, io: CliIO): Promise<number> {
  const app = await loadApp();
  const progress = await createProgress(io, opts.quiet === true);
  const stop = stopSignal();
  try {
    const starting = app.startWorker({
      redis: opts.redis,
      queue: opts.queue,
      concurrency: opts.concurrency,
      jobTimeoutMs: opts.jobTimeoutMs,
      lockDurationMs: opts.lockDurationMs,
      stalledIntervalMs: opts.stalledIntervalMs,
      prepare: { decode: decodeOptionsOf(opts), resize: opts.resize },
      log: (message) => io.stderr.write(`vit worker: ${message}\n`),
      model: { ...loadOptionsOf(app, opts, io, progress), batchSize: opts.batchSize },
    });
    const first = await Promise.race([starting, stop.signal]);
    // A signal while connecting or loading: stop as soon as the worker exists (or failed to start).
    const worker = typeof first === 'string' ? await starting : first;
    progress.stop();
    if (typeof first !== 'string') {
      for (const warning of worker.classifier.warnings) progress.warn(`vit: warning: ${warning}`);
      const { model } = worker.classifier;
      io.stdout.write(`ready: ${model.resolved.name}, queue '${worker.queue}' at ${worker.redis}, concurrency ${worker.concurrency}, batch size ${model.maxBatch}\n`);
    }
    const signal = typeof first === 'string' ? first : await stop.signal;
    io.stderr.write(`vit worker: ${signal}: finishing the jobs taken\n`);
    await worker.close();
    return EXIT.OK;
  } finally {
    progress.stop();
    stop.dispose();
  }
}

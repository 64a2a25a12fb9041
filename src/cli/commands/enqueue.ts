// `vit enqueue <inputs...>`: one job per image on a BullMQ queue for `vit worker` (the application
// layer's openQueue). Prints how many were queued; with --wait, prints each image's record as
// classify --format ndjson does, in input order, as the workers finish them.

import { Command, Option } from 'commander';
import { QUEUE_DEFAULTS } from '../../app/constants.js';
import { EXIT, UsageError } from '../errors.js';
import { ndjsonWriter } from '../formatters.js';
import type { CliIO } from '../io.js';
import { escapeControl } from '../escape.js';
import { integerUpTo, positiveInteger, quietOption } from '../options.js';
import { loadApp } from './shared.js';
import { addQueueOptions, type QueueFlags } from './worker.js';

interface EnqueueOpts extends QueueFlags {
  topk: number;
  recursive?: boolean;
  null?: boolean;
  wait?: boolean;
  waitTimeout: number;
  quiet?: boolean;
}

const ENQUEUE_HELP = `
Each job's id is a hash of the image's absolute path and --topk: enqueueing the same images again
adds no job (a job that failed is tried again). Results stay in Redis as the jobs' return values
until the queue is cleaned; --wait prints them.
`;

export function enqueueCommand(io: CliIO, setExitCode: (code: number) => void): Command {
  return addQueueOptions(
    new Command('enqueue')
      .description('add one job per image to a BullMQ queue for vit worker; with --wait, print the results')
      .argument('<inputs...>', "image files, directories of images, or '-' to read paths from stdin"),
  )
    .addOption(new Option('-k, --topk <n>', 'classes per image (at most the model\'s classes: a job asking more fails with BAD_JOB)').argParser(positiveInteger).default(5).env('VIT_TOPK'))
    .addOption(new Option('-r, --recursive', 'also take images from subdirectories'))
    .addOption(new Option('-0, --null', "paths read from stdin ('-') are separated by NUL bytes, as find -print0 writes them"))
    .addOption(new Option('--wait', 'wait for the jobs and print their records (classify --format ndjson), in input order'))
    .addOption(
      new Option('--wait-timeout <s>', 'with --wait: give up when no job has finished for this many seconds (the rest get WAIT_TIMEOUT records)')
        .argParser(integerUpTo(7 * 24 * 3600))
        .default(QUEUE_DEFAULTS.waitTimeoutS),
    )
    .addOption(quietOption())
    .addHelpText('after', ENQUEUE_HELP)
    .action(async (inputs: string[], opts: EnqueueOpts) => setExitCode(await runEnqueue(inputs, opts, io)));
}

async function runEnqueue(inputs: string[], opts: EnqueueOpts, io: CliIO): Promise<number> {
  const app = await loadApp();
  // Checked before stdin is read.
  app.parseRedisUrl(opts.redis);
  app.checkQueueName(opts.queue);
  const items = await app.expandInputs(inputs, { recursive: opts.recursive === true, stdin: io.stdin, nullSeparated: opts.null === true });
  if (items.length === 0) throw new UsageError("no inputs: name image files or directories, or '-' to read paths from stdin");
  const client = await app.openQueue({ redis: opts.redis, queue: opts.queue });
  try {
    const queued = await client.enqueue(items, opts.topk);
    const jobs = queued.added + queued.existing + queued.retried;
    const notQueued = queued.images.length - queued.images.filter((image) => 'jobId' in image).length;
    const summary =
      `queued ${jobs} image${jobs === 1 ? '' : 's'} on '${client.queue}' at ${client.redis}: ${queued.added} new, ` +
      `${queued.existing} already queued or done, ${queued.retried} failed before and tried again` +
      (notQueued > 0 ? `; ${notQueued} input${notQueued === 1 ? '' : 's'} not queued` : '');
    if (opts.wait !== true) {
      for (const image of queued.images) if ('error' in image) io.stderr.write(`${escapeControl(image.error.message)}\n`);
      io.stdout.write(`${escapeControl(summary)}\n`);
      return notQueued > 0 ? EXIT.FAILED : EXIT.OK;
    }
    if (opts.quiet !== true) io.stderr.write(`vit enqueue: ${escapeControl(summary)}\n`);
    const writer = ndjsonWriter((line) => io.stdout.write(line));
    let failed = 0;
    for await (const record of client.results(queued.images, { idleTimeoutMs: opts.waitTimeout * 1000 })) {
      if ('error' in record) failed++;
      writer.write(record);
    }
    if (failed > 0 && opts.quiet !== true) io.stderr.write(`${failed} of ${queued.images.length} inputs failed\n`);
    return failed > 0 ? EXIT.FAILED : EXIT.OK;
  } finally {
    await client.close();
  }
}

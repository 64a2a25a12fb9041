// What the commands that run the model over images (classify, embed) share: their options,
// declared once, and the run itself: inputs opened (streamed when `-` is among them), the model
// loaded, warnings shown, timings reported with --verbose, the classifier disposed at the end
// whatever happens.

import { Command, InvalidArgumentError, Option } from 'commander';
import type { BatchStage, Classifier, HostThread, InputItem, InputSource, PrepareOptions, ResumeLog, Shard, StreamOptions } from '../../app/index.js';
import { MAX_SHARDS, URL_INPUT_DEFAULTS, type BackendName, type Int8AttentionMode, type Precision, type ResizeEngine } from '../../app/constants.js';
import { EXIT, UsageError } from '../errors.js';
import type { CliIO } from '../io.js';
import {
  addPreprocessOptions,
  autoOrientOption,
  backendOption,
  precisionOption,
  int8AttentionOption,
  colourManageOption,
  configOption,
  headsOption,
  integerUpTo,
  MAX_BATCH_SIZE,
  maxPixelsOption,
  modelOption,
  weightCacheOptions,
  offlineOption,
  quietOption,
  resizeOption,
  threadsOption,
  weightsOption,
} from '../options.js';
import { settingOf } from '../option-sources.js';
import { createProgress, type Progress } from '../progress.js';
import { createTimingReport } from '../timing.js';
import { checkInt8Attention, hubOptionsFor, imgSizeOf, loadApp, loadProgressOf, preprocessOverridesOf, withHostThread, type App, type PreprocessFlags } from './shared.js';

export interface ImageRunOpts extends PreprocessFlags {
  weights?: string;
  model?: string;
  config?: string;
  heads?: number;
  batchSize: number;
  threads?: number;
  backend: BackendName;
  precision: Precision;
  int8Attention: Int8AttentionMode;
  resize: ResizeEngine;
  recursive?: boolean;
  null?: boolean;
  autoOrient?: boolean;
  colourManage?: boolean;
  maxPixels?: number;
  offline?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  /** true with --weight-cache, false with --no-weight-cache, else undefined (VIT_WEIGHT_CACHE decides). */
  weightCache?: boolean;
  shard?: Shard;
  resume?: string;
  urlMaxMb: number;
  urlTimeout: number;
  urlMaxTime: number;
  /** The command's output format (--resume needs ndjson). */
  format: string;
}

/** --weights, --model, --config, --heads, and the preprocessing overrides. */
export function addModelOptions(command: Command): Command {
  return addPreprocessOptions(command.addOption(weightsOption()).addOption(modelOption()).addOption(configOption()).addOption(headsOption()));
}

/** Batching, kernels, resizing, input lists, decoding, network and progress. */
export function addRunOptions(command: Command): Command {
  return command
    .addOption(new Option('-b, --batch-size <n>', 'images per forward pass').argParser(integerUpTo(MAX_BATCH_SIZE)).default(4).env('VIT_BATCH_SIZE'))
    .addOption(threadsOption())
    .addOption(backendOption())
    .addOption(precisionOption())
    .addOption(int8AttentionOption())
    .addOption(resizeOption())
    .addOption(new Option('-r, --recursive', 'also take images from subdirectories'))
    .addOption(new Option('-0, --null', "paths read from stdin ('-') are separated by NUL bytes, as find -print0 writes them"))
    .addOption(autoOrientOption())
    .addOption(colourManageOption())
    .addOption(maxPixelsOption())
    .addOption(offlineOption())
    .addOption(weightCacheOptions()[0])
    .addOption(weightCacheOptions()[1])
    .addOption(quietOption())
    .addOption(shardOption())
    .addOption(
      new Option(
        '--resume <file>',
        'with --format ndjson: append the records to FILE instead of stdout, skipping the inputs that already have a result in it ' +
          '(error records are tried again; a partial last line left by a killed run is cut off first)',
      ),
    )
    .addOption(
      new Option('--url-max-mb <n>', 'the most MiB one http(s) URL input may send').argParser(integerUpTo(MAX_URL_MB)).default(URL_INPUT_DEFAULTS.maxMb).env('VIT_URL_MAX_MB'),
    )
    .addOption(
      new Option('--url-timeout <seconds>', "the longest wait for a URL's response headers, and then for each next piece of its body")
        .argParser(secondsUpTo(MAX_URL_SECONDS))
        .default(URL_INPUT_DEFAULTS.timeoutSeconds)
        .env('VIT_URL_TIMEOUT'),
    )
    .addOption(
      new Option('--url-max-time <seconds>', "the longest one URL's download may take in all")
        .argParser(secondsUpTo(MAX_URL_SECONDS))
        .default(URL_INPUT_DEFAULTS.maxTimeSeconds)
        .env('VIT_URL_MAX_TIME'),
    )
    .addOption(new Option('--verbose', 'timings on stderr: start-up, weights, decode and preprocess of each image, each forward pass, then totals').env('VIT_VERBOSE'));
}

/** --url-max-mb: no more than the image file limit (512 MiB). --url-timeout, --url-max-time: an hour. */
const MAX_URL_MB = 512;
const MAX_URL_SECONDS = 3600;

/** A number of seconds, more than 0 and at most `max` (fractions allowed: 0.5). */
function secondsUpTo(max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !(n > 0 && n <= max)) throw new InvalidArgumentError(`expected a number of seconds above 0 and at most ${max}, received '${value}'`);
    return n;
  };
}

/**
 * --shard I/N: only the inputs of shard I of N (app/shard.ts: by a hash of each path), so N
 * machines given the same inputs split them without talking to each other.
 */
export const shardOption = () =>
  new Option(
    '--shard <i/n>',
    'take only shard I of N of the inputs (0 <= I < N), chosen by a hash of each path: N runs over the same inputs see each input once. ' +
      'In a Kubernetes Indexed Job: --shard "$JOB_COMPLETION_INDEX/N"',
  )
    .argParser(parseShard)
    .env('VIT_SHARD');

/** "I/N" with 0 <= I < N <= MAX_SHARDS, both decimal integers. */
export function parseShard(value: string): Shard {
  const m = /^\s*(\d{1,7})\s*\/\s*(\d{1,7})\s*$/.exec(value);
  if (m === null) throw new InvalidArgumentError(`expected I/N (shard I of N, e.g. 0/4), received '${value}'`);
  const [index, count] = [Number(m[1]), Number(m[2])];
  if (count < 1 || count > MAX_SHARDS) throw new InvalidArgumentError(`expected N from 1 to ${MAX_SHARDS} in I/N, received '${value}'`);
  if (index >= count) throw new InvalidArgumentError(`expected I from 0 to N-1 in I/N (shards are numbered from 0), received '${value}'`);
  return { index, count };
}

export interface ImageRun {
  app: App;
  classifier: Classifier;
  /** The inputs, in order; a stream when `-` was given. */
  source: InputSource;
  /** How many inputs there are, when known before the run (not when they stream from stdin). */
  count?: number;
  /** Decoding, resizing and the limits of URL inputs, from the options. */
  prepare: StreamOptions;
  progress: Progress;
  /** Where ndjson lines go: stdout, or appended to the --resume file. */
  emit: (line: string) => void;
}

/** Open the inputs, load the model, run `body`, and always release the model and the progress display. */
export async function withImageRun(
  inputs: string[],
  opts: ImageRunOpts & { labels?: string },
  io: CliIO,
  /** The field of a result record ('predictions', 'features'), by which --resume knows the inputs done. */
  result: 'predictions' | 'features',
  body: (run: ImageRun) => Promise<number>,
): Promise<number> {
  if (opts.resume !== undefined && opts.format !== 'ndjson') throw new UsageError(`--resume appends ndjson records: it needs --format ndjson, not ${settingOf(opts, 'format', '--format')}`);
  checkInt8Attention(opts);
  return withHostThread(opts, (takeHost) => runImages(inputs, opts, io, result, body, takeHost));
}

/** withImageRun's work once the model's host thread is started; `takeHost` hands it to loadModel. */
async function runImages(
  inputs: string[],
  opts: ImageRunOpts & { labels?: string },
  io: CliIO,
  result: 'predictions' | 'features',
  body: (run: ImageRun) => Promise<number>,
  takeHost: () => HostThread,
): Promise<number> {
  const app = await loadApp();
  const progress = await createProgress(io, opts.quiet === true);
  const timing = opts.verbose === true ? createTimingReport((text) => progress.warn(text)) : undefined;
  timing?.startup(process.uptime());
  let resume: ResumeLog | undefined;
  try {
    // Read before the model is loaded: a file that cannot be resumed is refused at once.
    resume = opts.resume === undefined ? undefined : app.openResumeLog(opts.resume, result);
    if (resume !== undefined) reportResume(resume, opts.quiet === true, progress);
    const shard = opts.shard === undefined ? undefined : app.inShard(opts.shard);
    const done = resume?.done;
    const select = shard === undefined && done === undefined ? undefined : (item: InputItem) => (shard === undefined || shard(item)) && done?.has(item.path) !== true;
    const opened = await app.openInputs(inputs, { recursive: opts.recursive === true, stdin: io.stdin, nullSeparated: opts.null === true, select });
    if (opened === undefined) throw new UsageError("no inputs: name image files or directories, or '-' to read paths from stdin");
    const { source, count } = opened;
    // Every input is in another shard or already done: ndjson output is then nothing at all, and
    // a restarted job that has finished does not load (or download) the model again. The other
    // formats still write their empty document, which names the model.
    if (count === 0 && opts.format === 'ndjson') return EXIT.OK;
    const classifier = await app.loadModel({
      host: takeHost(),
      weights: opts.weights,
      model: opts.model,
      config: opts.config,
      heads: opts.heads,
      labels: opts.labels,
      preprocess: preprocessOverridesOf(opts),
      imgSize: imgSizeOf(opts),
      task: result === 'features' ? 'embed' : 'classify',
      backend: opts.backend,
      threads: opts.threads,
      precision: opts.precision,
      int8Attention: opts.int8Attention,
      // No more images per pass than there are (a stream's length is not known: the full batch size).
      batchSize: Math.max(1, Math.min(opts.batchSize, count ?? opts.batchSize)),
      hub: hubOptionsFor(app, opts, io, progress),
      ...loadProgressOf(app, progress),
      onTiming: timing?.observer,
      weightCache: app.weightCacheSettings(opts.weightCache),
    });
    try {
      for (const warning of classifier.warnings) progress.warn(`vit: warning: ${warning}`);
      const decode = { autoOrient: opts.autoOrient === true, colourManage: opts.colourManage === true, maxPixels: opts.maxPixels };
      const log = resume;
      const emit = log === undefined ? (line: string) => void io.stdout.write(line) : (line: string) => log.append(line);
      const url = { maxBytes: opts.urlMaxMb * 2 ** 20, timeoutMs: Math.ceil(opts.urlTimeout * 1000), maxTimeMs: Math.ceil(opts.urlMaxTime * 1000) };
      const code = await body({ app, classifier, source, count, prepare: { decode, resize: opts.resize, onTiming: timing?.observer, url }, progress, emit });
      timing?.summary();
      return code;
    } finally {
      classifier.dispose();
    }
  } finally {
    resume?.close();
    progress.stop();
  }
}

function reportResume(resume: ResumeLog, quiet: boolean, progress: Progress): void {
  const file = resume.path;
  if (resume.truncated > 0) progress.warn(`vit: ${file}: cut off a partial last line (${resume.truncated} bytes) left by an interrupted run`);
  if (!quiet && (resume.done.size > 0 || resume.errors > 0)) {
    const retried = resume.errors > 0 ? `; inputs with only error records (${resume.errors} records) are tried again` : '';
    progress.warn(`vit: resuming ${file}: ${resume.done.size} inputs done, skipped${retried}`);
  }
}

/** "3/10" when the number of inputs is known, else "3". */
export function doneOf(done: number, count: number | undefined): string {
  return count === undefined ? String(done) : `${done}/${count}`;
}

/**
 * The spinner line of a run over images (`verb`: 'classifying', 'embedding'): the current batch's
 * stage ("classifying 4/10: decoding 4 images", "... running the model on 4 images"), then the
 * count as each image's record comes out of its completed batch.
 */
export function batchProgress(progress: Progress, verb: string, count: number | undefined) {
  let done = 0;
  const images = (n: number) => `${n} image${n === 1 ? '' : 's'}`;
  return {
    onBatchStage(event: BatchStage): void {
      progress.update(`${verb} ${doneOf(done, count)}: ${event.stage === 'decode' ? 'decoding' : 'running the model on'} ${images(event.images)}`);
    },
    /** One more image done; returns how many are. */
    record(): number {
      done++;
      progress.update(`${verb} ${doneOf(done, count)}`);
      return done;
    },
  };
}

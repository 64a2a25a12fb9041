// `vit classify <inputs...>`: the top-k ImageNet classes of each image.
// Images are decoded and preprocessed while the previous batch runs through the model, and
// each result is written as soon as its batch is done; a bad image is reported and skipped.

import { Command, Option } from 'commander';
import { loadModel, prepareImage, runBatch, type Classifier, type PreparedImage } from '../../classifier.js';
import type { BackendName } from '../../backend/index.js';
import { ImageDecodeError, RESIZE_ENGINES, type ResizeEngine } from '../../image/index.js';
import { topPredictions } from '../../predictions.js';
import { EXIT, UsageError } from '../errors.js';
import { createResultWriter, OUTPUT_FORMATS, type ImageError, type OutputFormat } from '../formatters.js';
import { expandInputs, type InputItem } from '../inputs.js';
import type { CliIO } from '../io.js';
import {
  backendOption,
  configOption,
  headsOption,
  modelOption,
  offlineOption,
  positiveInteger,
  quietOption,
  threadsOption,
  weightsOption,
} from '../options.js';
import { createProgress } from '../progress.js';
import { hubOptionsFor } from './shared.js';

interface ClassifyOpts {
  weights?: string;
  model: string;
  config?: string;
  heads?: number;
  labels?: string;
  topk: number;
  format: OutputFormat;
  batchSize: number;
  threads: number;
  backend: BackendName;
  resize: ResizeEngine;
  recursive?: boolean;
  autoOrient?: boolean;
  colourManage?: boolean;
  maxPixels?: number;
  offline?: boolean;
  quiet?: boolean;
}

export function classifyCommand(io: CliIO, setExitCode: (code: number) => void): Command {
  return new Command('classify')
    .description('print the top-k classes of each image')
    .argument('<inputs...>', "image files, directories of images, or '-' to read paths from stdin")
    .addOption(weightsOption())
    .addOption(modelOption())
    .addOption(configOption())
    .addOption(headsOption())
    .addOption(new Option('-l, --labels <file>', 'class names, one per line (default: the config\'s label_names, else the bundled ImageNet-1k list)').env('VIT_LABELS'))
    .addOption(new Option('-k, --topk <n>', 'classes to show per image').argParser(positiveInteger).default(5).env('VIT_TOPK'))
    .addOption(new Option('-f, --format <format>', 'output format').choices(OUTPUT_FORMATS).default('text').env('VIT_FORMAT'))
    .addOption(new Option('-b, --batch-size <n>', 'images per forward pass').argParser(positiveInteger).default(4).env('VIT_BATCH_SIZE'))
    .addOption(threadsOption())
    .addOption(backendOption())
    .addOption(
      new Option('--resize <engine>', "pillow: exactly timm's Pillow resize; sharp: libvips' resize, faster on large images, not exact")
        .choices(RESIZE_ENGINES)
        .default('pillow')
        .env('VIT_RESIZE'),
    )
    .addOption(new Option('-r, --recursive', 'also take images from subdirectories'))
    .addOption(new Option('--auto-orient', 'apply the EXIF orientation (timm does not: off by default)'))
    .addOption(new Option('--colour-manage', 'convert embedded ICC profiles to sRGB (Pillow and timm do not: off by default)'))
    .addOption(new Option('--max-pixels <n>', 'refuse images with more pixels than this (decompression-bomb guard)').argParser(positiveInteger).env('VIT_MAX_PIXELS'))
    .addOption(offlineOption())
    .addOption(quietOption())
    .action(async (inputs: string[], opts: ClassifyOpts) => setExitCode(await runClassify(inputs, opts, io)));
}

async function runClassify(inputs: string[], opts: ClassifyOpts, io: CliIO): Promise<number> {
  const progress = createProgress(io, opts.quiet === true);
  try {
    const items = await expandInputs(inputs, { recursive: opts.recursive === true, stdin: io.stdin });
    if (items.length === 0) throw new UsageError("no inputs: name image files or directories, or '-' to read paths from stdin");
    const imageCount = items.filter((i) => !('error' in i)).length;

    const classifier = await loadModel({
      weights: opts.weights,
      model: opts.model,
      config: opts.config,
      heads: opts.heads,
      labels: opts.labels,
      backend: opts.backend,
      threads: opts.threads,
      batchSize: Math.max(1, Math.min(opts.batchSize, imageCount)),
      hub: hubOptionsFor(opts, io, progress),
      onStage: (stage, detail) => progress.update(stage === 'download' ? `fetching ${detail}` : `loading ${detail}`),
    });
    try {
      const classes = classifier.model.config.numClasses;
      if (opts.topk > classes) throw new UsageError(`--topk ${opts.topk} is more than the model's ${classes} classes`);
      const writer = createResultWriter(opts.format, io, { model: classifier.model.resolved.name, weights: classifier.weightsPath });
      let done = 0;
      let failed = 0;
      await forEachBatch(classifier, items, opts, (file, outcome) => {
        if ('error' in outcome) failed++;
        done++;
        progress.update(`classifying ${done}/${items.length}`);
        writer.write('error' in outcome ? { file, error: outcome.error } : { file, predictions: topPredictions(outcome.logits, classifier.labels, opts.topk) });
      });
      writer.end();
      progress.stop();
      if (failed > 0 && opts.format !== 'text' && opts.quiet !== true) io.stderr.write(`${failed} of ${items.length} inputs failed\n`);
      return failed > 0 ? EXIT.FAILED : EXIT.OK;
    } finally {
      classifier.dispose();
    }
  } finally {
    progress.stop();
  }
}

type Outcome = { logits: Float32Array } | { error: ImageError };

/** Prepare batch i+1 while batch i runs; report every item, in input order. */
async function forEachBatch(
  classifier: Classifier,
  items: InputItem[],
  opts: ClassifyOpts,
  report: (file: string, outcome: Outcome) => void,
): Promise<void> {
  const size = classifier.model.maxBatch;
  const prepareOne = async (item: InputItem): Promise<PreparedImage | ImageError> => {
    if ('error' in item) return item.error;
    try {
      const decode = { autoOrient: opts.autoOrient === true, colourManage: opts.colourManage === true, maxPixels: opts.maxPixels };
      return await prepareImage(classifier, item.path, { decode, resize: opts.resize });
    } catch (e) {
      if (e instanceof ImageDecodeError) return { code: e.code, message: e.message };
      throw e;
    }
  };
  const prepareBatch = (start: number) => Promise.all(items.slice(start, start + size).map(prepareOne));

  let next = prepareBatch(0);
  for (let start = 0; start < items.length; start += size) {
    const prepared = await next;
    if (start + size < items.length) next = prepareBatch(start + size);
    const good = prepared.filter((p): p is PreparedImage => 'tensor' in p);
    const logits = runBatch(classifier, good.map((p) => p.tensor));
    let g = 0;
    prepared.forEach((p, i) => report(items[start + i].path, 'tensor' in p ? { logits: logits[g++] } : { error: p }));
  }
}

// `vit classify <inputs...>`: the top-k classes of each image, written as soon as each batch is
// done (the pipelined batch loop is the application layer's classifyStream).

import { Command, Option } from 'commander';
import { RESIZE_ENGINES, type BackendName, type ResizeEngine } from '../../app/constants.js';
import { EXIT, UsageError } from '../errors.js';
import { createResultWriter, OUTPUT_FORMATS, type OutputFormat } from '../formatters.js';
import type { CliIO } from '../io.js';
import {
  backendOption,
  configOption,
  headsOption,
  HUB_HELP,
  integerUpTo,
  MAX_BATCH_SIZE,
  modelOption,
  offlineOption,
  positiveInteger,
  quietOption,
  threadsOption,
  weightsOption,
} from '../options.js';
import { createProgress } from '../progress.js';
import { hubOptionsFor, loadApp } from './shared.js';

interface ClassifyOpts {
  weights?: string;
  model?: string;
  config?: string;
  heads?: number;
  labels?: string;
  topk: number;
  format: OutputFormat;
  batchSize: number;
  threads?: number;
  backend: BackendName;
  resize: ResizeEngine;
  recursive?: boolean;
  null?: boolean;
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
    .addOption(new Option('-l, --labels <file>', "class names, one per line (default: the config's class names, else the bundled ImageNet-1k list)").env('VIT_LABELS'))
    .addOption(new Option('-k, --topk <n>', 'classes to show per image').argParser(positiveInteger).default(5).env('VIT_TOPK'))
    .addOption(new Option('-f, --format <format>', 'output format').choices(OUTPUT_FORMATS).default('text').env('VIT_FORMAT'))
    .addOption(new Option('-b, --batch-size <n>', 'images per forward pass').argParser(integerUpTo(MAX_BATCH_SIZE)).default(4).env('VIT_BATCH_SIZE'))
    .addOption(threadsOption())
    .addOption(backendOption())
    .addOption(
      new Option('--resize <engine>', "pillow: exactly timm's Pillow resize; sharp: libvips' resize, faster on large images, not exact")
        .choices(RESIZE_ENGINES)
        .default('pillow')
        .env('VIT_RESIZE'),
    )
    .addOption(new Option('-r, --recursive', 'also take images from subdirectories'))
    .addOption(new Option('-0, --null', "paths read from stdin ('-') are separated by NUL bytes, as find -print0 writes them"))
    .addOption(new Option('--auto-orient', 'apply the EXIF orientation (timm does not: off by default)'))
    .addOption(new Option('--colour-manage', 'convert embedded ICC profiles to sRGB (Pillow and timm do not: off by default)'))
    .addOption(new Option('--max-pixels <n>', 'refuse images with more pixels than this (decompression-bomb guard)').argParser(positiveInteger).env('VIT_MAX_PIXELS'))
    .addOption(offlineOption())
    .addOption(quietOption())
    .addHelpText('after', HUB_HELP)
    .action(async (inputs: string[], opts: ClassifyOpts) => setExitCode(await runClassify(inputs, opts, io)));
}

async function runClassify(inputs: string[], opts: ClassifyOpts, io: CliIO): Promise<number> {
  const app = await loadApp();
  const progress = await createProgress(io, opts.quiet === true);
  try {
    const items = await app.expandInputs(inputs, { recursive: opts.recursive === true, stdin: io.stdin, nullSeparated: opts.null === true });
    if (items.length === 0) throw new UsageError("no inputs: name image files or directories, or '-' to read paths from stdin");
    const imageCount = items.filter((i) => !('error' in i)).length;

    const classifier = await app.loadModel({
      weights: opts.weights,
      model: opts.model,
      config: opts.config,
      heads: opts.heads,
      labels: opts.labels,
      backend: opts.backend,
      threads: opts.threads,
      batchSize: Math.max(1, Math.min(opts.batchSize, imageCount)),
      hub: hubOptionsFor(app, opts, io, progress),
      onStage: (stage, detail) => progress.update(stage === 'download' ? `fetching ${detail}` : `loading ${detail}`),
    });
    try {
      for (const warning of classifier.warnings) progress.warn(`vit: warning: ${warning}`);
      const classes = classifier.model.config.numClasses;
      if (opts.topk > classes) throw new UsageError(`--topk ${opts.topk} is more than the model's ${classes} classes`);
      const writer = createResultWriter(opts.format, io, { model: classifier.model.resolved.name, weights: classifier.weightsPath });
      let done = 0;
      let failed = 0;
      const decode = { autoOrient: opts.autoOrient === true, colourManage: opts.colourManage === true, maxPixels: opts.maxPixels };
      for await (const record of app.classifyStream(classifier, items, { topk: opts.topk, decode, resize: opts.resize })) {
        if ('error' in record) failed++;
        done++;
        progress.update(`classifying ${done}/${items.length}`);
        writer.write('error' in record ? { file: record.file, error: record.error } : { file: record.file, predictions: record.predictions });
      }
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

// `vit classify <inputs...>`: the top-k classes of each image, written as soon as each batch is
// done (the pipelined batch loop is the application layer's classifyStream).

import { Command, Option } from 'commander';
import { EXIT, UsageError } from '../errors.js';
import { createResultWriter, OUTPUT_FORMATS, type OutputFormat } from '../formatters.js';
import type { CliIO } from '../io.js';
import {
  autoOrientOption,
  backendOption,
  colourManageOption,
  configOption,
  headsOption,
  HUB_HELP,
  integerUpTo,
  labelsOption,
  MAX_BATCH_SIZE,
  maxPixelsOption,
  modelOption,
  offlineOption,
  positiveInteger,
  quietOption,
  resizeOption,
  threadsOption,
  weightsOption,
} from '../options.js';
import { createProgress } from '../progress.js';
import { decodeOptionsOf, loadApp, loadOptionsOf, type ImageFlags, type ModelFlags } from './shared.js';

interface ClassifyOpts extends ModelFlags, ImageFlags {
  topk: number;
  format: OutputFormat;
  batchSize: number;
  recursive?: boolean;
  null?: boolean;
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
    .addOption(labelsOption())
    .addOption(new Option('-k, --topk <n>', 'classes to show per image').argParser(positiveInteger).default(5).env('VIT_TOPK'))
    .addOption(new Option('-f, --format <format>', 'output format').choices(OUTPUT_FORMATS).default('text').env('VIT_FORMAT'))
    .addOption(new Option('-b, --batch-size <n>', 'images per forward pass').argParser(integerUpTo(MAX_BATCH_SIZE)).default(4).env('VIT_BATCH_SIZE'))
    .addOption(threadsOption())
    .addOption(backendOption())
    .addOption(resizeOption())
    .addOption(new Option('-r, --recursive', 'also take images from subdirectories'))
    .addOption(new Option('-0, --null', "paths read from stdin ('-') are separated by NUL bytes, as find -print0 writes them"))
    .addOption(autoOrientOption())
    .addOption(colourManageOption())
    .addOption(maxPixelsOption())
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
      ...loadOptionsOf(app, opts, io, progress),
      batchSize: Math.max(1, Math.min(opts.batchSize, imageCount)),
    });
    try {
      for (const warning of classifier.warnings) progress.warn(`vit: warning: ${warning}`);
      const classes = classifier.model.config.numClasses;
      if (opts.topk > classes) throw new UsageError(`--topk ${opts.topk} is more than the model's ${classes} classes`);
      const writer = createResultWriter(opts.format, io, { model: classifier.model.resolved.name, weights: classifier.weightsPath });
      let done = 0;
      let failed = 0;
      for await (const record of app.classifyStream(classifier, items, { topk: opts.topk, decode: decodeOptionsOf(opts), resize: opts.resize })) {
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

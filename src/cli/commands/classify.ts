// `vit classify <inputs...>`: the top-k classes of each image, written as soon as each batch is
// done (the pipelined batch loop is the application layer's classifyStream).

import { Command, Option } from 'commander';
import { EXIT, UsageError } from '../errors.js';
import { createResultWriter, ndjsonWriter, OUTPUT_FORMATS, type OutputFormat } from '../formatters.js';
import type { CliIO } from '../io.js';
import { settingOf } from '../option-sources.js';
import { HUB_HELP, labelsOption, positiveInteger } from '../options.js';
import { addModelOptions, addRunOptions, batchProgress, withImageRun, type ImageRunOpts } from './image-run.js';

interface ClassifyOpts extends ImageRunOpts {
  labels?: string;
  topk: number;
  format: OutputFormat;
}

export function classifyCommand(io: CliIO, setExitCode: (code: number) => void): Command {
  const command = new Command('classify')
    .description('print the top-k classes of each image')
    .argument('<inputs...>', "image files, directories of images, http(s) URLs, or '-' to read paths (or URLs) from stdin (classified as they arrive)");
  addModelOptions(command)
    .addOption(labelsOption())
    .addOption(new Option('-k, --topk <n>', 'classes to show per image').argParser(positiveInteger).default(5).env('VIT_TOPK'))
    .addOption(new Option('-f, --format <format>', 'output format').choices(OUTPUT_FORMATS).default('text').env('VIT_FORMAT'));
  return addRunOptions(command)
    .addHelpText('after', HUB_HELP)
    .action(async (inputs: string[], opts: ClassifyOpts) => setExitCode(await runClassify(inputs, opts, io)));
}

async function runClassify(inputs: string[], opts: ClassifyOpts, io: CliIO): Promise<number> {
  return withImageRun(inputs, opts, io, 'predictions', async ({ app, classifier, source, count, prepare, progress, emit }) => {
    const classes = classifier.model.config.numClasses;
    if (opts.topk > classes) throw new UsageError(`${settingOf(opts, 'topk', '--topk')} is more than the model's ${classes} classes`);
    const writer =
      opts.format === 'ndjson' ? ndjsonWriter(emit) : createResultWriter(opts.format, io, { model: classifier.model.resolved.name, weights: classifier.weightsPath });
    const shown = batchProgress(progress, 'classifying', count);
    let done = 0;
    let failed = 0;
    for await (const record of app.classifyStream(classifier, source, { ...prepare, topk: opts.topk, onBatchStage: shown.onBatchStage })) {
      if ('error' in record) failed++;
      done = shown.record();
      writer.write('error' in record ? { file: record.file, error: record.error } : { file: record.file, predictions: record.predictions });
    }
    writer.end();
    progress.stop();
    if (failed > 0 && opts.format !== 'text' && opts.quiet !== true) io.stderr.write(`${failed} of ${done} inputs failed\n`);
    return failed > 0 ? EXIT.FAILED : EXIT.OK;
  });
}

// `vit embed <inputs...>`: the features of each image (the class token after the final norm,
// what the classifier head consumes), as ndjson lines written as each batch is done, or
// gathered into one safetensors or .npy file. Inputs, batching and per-input errors as classify.

import { Command, Option } from 'commander';
import { FEATURES_FILE_FORMATS, type FeaturesFileFormat } from '../../app/constants.js';
import { EXIT, UsageError } from '../errors.js';
import { escapeControl } from '../escape.js';
import { featuresLine } from '../formatters.js';
import type { CliIO } from '../io.js';
import { settingOf } from '../option-sources.js';
import { HUB_HELP } from '../options.js';
import { addModelOptions, addRunOptions, batchProgress, withImageRun, type ImageRunOpts } from './image-run.js';
import { loadApp } from './shared.js';

const EMBED_FORMATS = ['ndjson', ...FEATURES_FILE_FORMATS] as const;
type EmbedFormat = (typeof EMBED_FORMATS)[number];

interface EmbedOpts extends ImageRunOpts {
  format: EmbedFormat;
  out?: string;
}

export function embedCommand(io: CliIO, setExitCode: (code: number) => void): Command {
  const command = new Command('embed')
    .description("print each image's features: the class token after the final norm, which the classifier head turns into logits")
    .argument('<inputs...>', "image files, directories of images, http(s) URLs, or '-' to read paths (or URLs) from stdin (embedded as they arrive)");
  addModelOptions(command)
    .addOption(
      new Option(
        '-f, --format <format>',
        'ndjson: a {"file", "features"} line per image on stdout; safetensors: features F32 [N, D] with the files in its metadata; npy: NumPy float32 (N, D). The last two are written to --out',
      )
        .choices(EMBED_FORMATS)
        .default('ndjson'),
    )
    .addOption(new Option('-o, --out <file>', 'file to write (safetensors and npy); its rows are the images that succeeded, in input order'));
  return addRunOptions(command)
    .addHelpText('after', HUB_HELP)
    .action(async (inputs: string[], opts: EmbedOpts) => setExitCode(await runEmbed(inputs, opts, io)));
}

async function runEmbed(inputs: string[], opts: EmbedOpts, io: CliIO): Promise<number> {
  const toFile = opts.format !== 'ndjson';
  if (toFile && opts.out === undefined) throw new UsageError(`${settingOf(opts, 'format', '--format')} writes a file: give --out <file>`);
  if (!toFile && opts.out !== undefined) throw new UsageError('--out is for --format safetensors or npy; ndjson goes to stdout');
  // A path that cannot be written is refused before the model runs, not after.
  if (toFile) (await loadApp()).checkOutputPath(opts.out as string, 'the features');
  return withImageRun(inputs, opts, io, 'features', async ({ app, classifier, source, count, prepare, progress, emit }) => {
    const rows = toFile ? new app.FeatureRows(classifier.model.config.embedDim) : undefined;
    const shown = batchProgress(progress, 'embedding', count);
    let done = 0;
    let failed = 0;
    for await (const record of app.embedStream(classifier, source, { ...prepare, onBatchStage: shown.onBatchStage })) {
      done = shown.record();
      if ('error' in record) failed++;
      if (rows === undefined) emit(featuresLine(record));
      else if ('error' in record) progress.warn(record.error.message);
      else rows.add(record.file, record.features);
    }
    if (rows !== undefined) {
      rows.write(opts.out as string, opts.format as FeaturesFileFormat, { model: classifier.model.resolved.name });
      progress.stop();
      if (opts.quiet !== true) io.stderr.write(`vit: wrote ${escapeControl(opts.out as string)}: features float32 [${rows.shape().join(', ')}]\n`);
    }
    progress.stop();
    if (failed > 0 && opts.quiet !== true) io.stderr.write(`${failed} of ${done} inputs failed\n`);
    return failed > 0 ? EXIT.FAILED : EXIT.OK;
  });
}

// `vit preprocess <image> --out t.safetensors`: write the exact input tensor the model would
// see, and print how it was made (source size, resize, crop box, interpolation, mean, std).

import { Command, Option } from 'commander';
import { RESIZE_ENGINES, type ResizeEngine } from '../../app/constants.js';
import { escapeLines } from '../escape.js';
import type { CliIO } from '../io.js';
import { addPreprocessOptions, configOption, HUB_HELP, localWeightsOption, modelOption, positiveInteger } from '../options.js';
import { describePreprocessing, imgSizeOf, loadApp, preprocessOverridesOf, type PreprocessFlags } from './shared.js';

interface PreprocessOpts extends PreprocessFlags {
  out: string;
  weights?: string;
  model?: string;
  config?: string;
  resize: ResizeEngine;
  autoOrient?: boolean;
  colourManage?: boolean;
  maxPixels?: number;
  format: 'text' | 'json';
}

export function preprocessCommand(io: CliIO): Command {
  const command = new Command('preprocess')
    .description("write the model's exact input tensor for an image (F32 [1,3,H,W] named 'input')")
    .argument('<image>', 'image file')
    .requiredOption('-o, --out <file>', 'safetensors file to write (required)')
    .addOption(modelOption())
    .addOption(localWeightsOption())
    .addOption(configOption());
  return addPreprocessOptions(command)
    .addOption(new Option('--resize <engine>', 'pillow (exact) or sharp (fast, not exact)').choices(RESIZE_ENGINES).default('pillow'))
    .addOption(new Option('--auto-orient', 'apply the EXIF orientation (off by default, like timm)'))
    .addOption(new Option('--colour-manage', 'convert embedded ICC profiles to sRGB (off by default, like Pillow)'))
    .addOption(new Option('--max-pixels <n>', 'refuse images with more pixels than this').argParser(positiveInteger))
    .addOption(new Option('-f, --format <format>', 'how to print the resolved preprocessing').choices(['text', 'json']).default('text'))
    .addHelpText('after', HUB_HELP)
    .action(async (image: string, opts: PreprocessOpts) => runPreprocess(image, opts, io));
}

async function runPreprocess(image: string, opts: PreprocessOpts, io: CliIO): Promise<void> {
  const app = await loadApp();
  const result = await app.preprocessToFile({
    image,
    out: opts.out,
    weights: opts.weights,
    model: opts.model,
    config: opts.config,
    preprocess: preprocessOverridesOf(opts),
    imgSize: imgSizeOf(opts),
    resize: opts.resize,
    decode: { autoOrient: opts.autoOrient === true, colourManage: opts.colourManage === true, maxPixels: opts.maxPixels },
  });
  const { model, image: loaded, shape } = result;
  const cfg = model.preprocess;
  const { geometry } = loaded;
  if (opts.format === 'json') {
    const json = { image, format: loaded.format, out: opts.out, model: model.name, resize: opts.resize, preprocess: cfg, source: model.provenance.preprocessing, geometry };
    io.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    return;
  }
  io.stdout.write(
    escapeLines([
      `source      ${image} (${loaded.width} x ${loaded.height}, ${loaded.format})`,
      ...describePreprocessing(cfg, model.name),
      `from        ${model.provenance.preprocessing}`,
      `resized to  ${geometry.resizeSize[0]} x ${geometry.resizeSize[1]} (${geometry.resizeInterpolation}, ${opts.resize === 'pillow' ? "Pillow's resampler" : "sharp's resize, not exact"})`,
      `crop box    left ${geometry.cropBox.left}, top ${geometry.cropBox.top}, ${geometry.cropBox.width} x ${geometry.cropBox.height}`,
      `wrote       ${opts.out}: input F32 [${shape.join(', ')}]`,
      '',
    ].join('\n')),
  );
}

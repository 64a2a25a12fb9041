// `vit preprocess <image> --out t.safetensors`: write the exact input tensor the model would
// see, and print how it was made (source size, resize, crop box, interpolation, mean, std).

import { writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { loadImageTensor, RESIZE_ENGINES, type ResizeEngine } from '../../image/index.js';
import { encodeSafetensors } from '../../safetensors/index.js';
import type { CliIO } from '../io.js';
import { configOption, modelOption, positiveInteger, weightsOption } from '../options.js';
import { describePreprocessing, resolvePreprocessing } from './shared.js';

interface PreprocessOpts {
  out: string;
  weights?: string;
  model: string;
  config?: string;
  resize: ResizeEngine;
  autoOrient?: boolean;
  colourManage?: boolean;
  maxPixels?: number;
  format: 'text' | 'json';
}

export function preprocessCommand(io: CliIO): Command {
  return new Command('preprocess')
    .description("write the model's exact input tensor for an image (F32 [1,3,H,W] named 'input')")
    .argument('<image>', 'image file')
    .requiredOption('-o, --out <file>', 'safetensors file to write')
    .addOption(modelOption())
    .addOption(weightsOption())
    .addOption(configOption())
    .addOption(new Option('--resize <engine>', 'pillow (exact) or sharp (fast, not exact)').choices(RESIZE_ENGINES).default('pillow'))
    .addOption(new Option('--auto-orient', 'apply the EXIF orientation (off by default, like timm)'))
    .addOption(new Option('--colour-manage', 'convert embedded ICC profiles to sRGB (off by default, like Pillow)'))
    .addOption(new Option('--max-pixels <n>', 'refuse images with more pixels than this').argParser(positiveInteger))
    .addOption(new Option('-f, --format <format>', 'how to print the resolved preprocessing').choices(['text', 'json']).default('text'))
    .action(async (image: string, opts: PreprocessOpts) => runPreprocess(image, opts, io));
}

async function runPreprocess(image: string, opts: PreprocessOpts, io: CliIO): Promise<void> {
  const { name, preprocess: cfg } = resolvePreprocessing(opts);
  const loaded = await loadImageTensor(image, cfg, {
    autoOrient: opts.autoOrient === true,
    colourManage: opts.colourManage === true,
    maxPixels: opts.maxPixels,
    resize: opts.resize,
  });
  const { tensor, geometry } = loaded;
  const [, h, w] = cfg.inputSize;
  writeFileSync(
    opts.out,
    encodeSafetensors(
      { input: { shape: [1, 3, h, w], data: tensor } },
      { source: image, model: name, resize: opts.resize, preprocess: JSON.stringify(cfg), geometry: JSON.stringify(geometry) },
    ),
  );
  if (opts.format === 'json') {
    io.stdout.write(`${JSON.stringify({ image, format: loaded.format, out: opts.out, model: name, resize: opts.resize, preprocess: cfg, geometry }, null, 2)}\n`);
    return;
  }
  io.stdout.write(
    [
      `source      ${image} (${loaded.width} x ${loaded.height}, ${loaded.format})`,
      ...describePreprocessing(cfg, name),
      `resized to  ${geometry.resizeSize[0]} x ${geometry.resizeSize[1]} (${geometry.resizeInterpolation}, ${opts.resize === 'pillow' ? "Pillow's resampler" : "sharp's resize, not exact"})`,
      `crop box    left ${geometry.cropBox.left}, top ${geometry.cropBox.top}, ${geometry.cropBox.width} x ${geometry.cropBox.height}`,
      `wrote       ${opts.out}: input F32 [1, 3, ${h}, ${w}]`,
      '',
    ].join('\n'),
  );
}

// Options shared by several commands, declared once: default, choices, environment variable
// and parser, so that `--help` tells the truth by itself. Only light imports here: `vit --help`
// must not load sharp or WebAssembly.

import { InvalidArgumentError, Option, type Command } from 'commander';
import { BACKEND_NAMES, CONFIG_LIMITS, INT8_ATTENTION_MODES, PRECISIONS, CROP_MODES, cropPctProblem, DEFAULT_MODEL, INTERPOLATIONS, meanProblem, RESIZE_ENGINES, stdProblem } from '../app/constants.js';

export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError(`expected a positive integer, received '${value}'`);
  }
  return n;
}

/** A positive integer no larger than `max` (a flag value is bounded like any input). */
export function integerUpTo(max: number): (value: string) => number {
  return (value) => {
    const n = positiveInteger(value);
    if (n > max) throw new InvalidArgumentError(`expected at most ${max}, received '${value}'`);
    return n;
  };
}

/** Worker threads beyond the cores give nothing (the application clamps to them); beyond this the value is a mistake. */
export const MAX_THREADS = 256;
/** Images per forward pass beyond this are a mistake (the application also clamps to what fits in memory). */
export const MAX_BATCH_SIZE = 1024;

export function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`expected a non-negative number, received '${value}'`);
  return n;
}

function finiteNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`expected a number, received '${value}'`);
  return n;
}

/** --crop-pct: a number under the rule configs follow (in [1/16, 16]). */
export function cropPctValue(value: string): number {
  const n = finiteNumber(value);
  const problem = cropPctProblem(n);
  if (problem !== undefined) throw new InvalidArgumentError(problem);
  return n;
}

/**
 * --input-size C,H,W (timm's input_size) as the image side: C must be 3 and H = W (the position
 * embedding is resampled to a square grid), the side bounded like --img-size.
 */
export function inputSizeValue(value: string): number {
  const parts = value.split(',');
  if (parts.length !== 3) throw new InvalidArgumentError(`expected C,H,W (e.g. 3,448,448), received '${value}'`);
  const [c, h, w] = parts.map(integerUpTo(CONFIG_LIMITS.imgSize));
  if (c !== 3) throw new InvalidArgumentError(`expected 3 channels (RGB images), received ${c} in '${value}'`);
  if (h !== w) throw new InvalidArgumentError(`expected a square size (H = W): the position embedding is resampled to a square grid, received ${h} x ${w}`);
  return h;
}

/** "R,G,B", or one value for all three channels (as timm's --mean and --std), checked by `rule`. */
export function channelValues(rule: (values: readonly number[]) => string | undefined): (value: string) => readonly [number, number, number] {
  return (value) => {
    const parts = value.split(',');
    if (parts.length !== 1 && parts.length !== 3) throw new InvalidArgumentError(`expected R,G,B or one value for all three channels, received '${value}'`);
    const numbers = parts.map(finiteNumber);
    const triple: [number, number, number] = numbers.length === 1 ? [numbers[0], numbers[0], numbers[0]] : [numbers[0], numbers[1], numbers[2]];
    const problem = rule(triple);
    if (problem !== undefined) throw new InvalidArgumentError(problem);
    return triple;
  };
}

const CHECKPOINT = 'safetensors checkpoint (timm, Hugging Face transformers or torchvision layout)';

/** For commands that load weights: without --weights the model comes from the hub cache, downloaded if needed. */
export const weightsOption = () =>
  new Option('-w, --weights <file>', `${CHECKPOINT}; without it the model is taken from the Hugging Face cache, downloading it if needed`).env('VIT_WEIGHTS');

/** For commands that only read (info, preprocess): they never download. */
export const localWeightsOption = () =>
  new Option('-w, --weights <file>', `${CHECKPOINT}; without it the model's files in the Hugging Face cache are used if present (never downloaded)`).env(
    'VIT_WEIGHTS',
  );

/** verify's: a local checkpoint paired with --reference (no VIT_WEIGHTS: that would turn the self-test into a half-given pair). */
export const verifyWeightsOption = () => new Option('-w, --weights <file>', `${CHECKPOINT} to check (with --reference)`);

// No commander default: an absent --model must be told apart from an explicit one, which with
// --weights is a claim about the checkpoint that is checked.
export const modelOption = () =>
  new Option(
    '-m, --model <name>',
    `timm model name, name.tag or hf-hub:ORG/NAME[@REV] (default: ${DEFAULT_MODEL}; with --weights, the checkpoint's config, else its shapes). ` +
      "With --weights it is a claim about the checkpoint's architecture, checked against its config ('auto': no claim)",
  ).env('VIT_MODEL');

export const configOption = () =>
  new Option('--config <file>', 'config.json to use (timm or transformers; default: config.json beside the weights)').env('VIT_CONFIG');

export const headsOption = () =>
  new Option('--heads <n>', 'attention heads, when the architecture is inferred from the weights (a config that says otherwise is an error)')
    .argParser(positiveInteger)
    .env('VIT_HEADS');

export const backendOption = () =>
  new Option('--backend <name>', 'kernels: auto (WebAssembly SIMD, relaxed-SIMD FMA when available), wasm (plain SIMD only) or ref (TypeScript reference, slow)')
    .choices(BACKEND_NAMES)
    .default('auto')
    .env('VIT_BACKEND');

export const precisionOption = () =>
  new Option('--precision <p>', 'Linear layers: fp32 (float32, equal to PyTorch) or int8 (int8 weights, 7-bit activations per token; faster, approximate)')
    .choices(PRECISIONS)
    .default('fp32')
    .env('VIT_PRECISION');

// Only with --precision int8: asked for with fp32, it is a usage error (shared.ts checkInt8Attention).
export const int8AttentionOption = () =>
  new Option('--int8-attention <mode>', 'with --precision int8: attention matmuls in int8 too: off (float32 attention), qk (the scores), qk+pv (scores and probabilities x V)')
    .choices(INT8_ATTENTION_MODES)
    .default('off')
    .env('VIT_INT8_ATTENTION');

// The default (one thread per core) is the backend's; commander only shows it.
export const threadsOption = () =>
  new Option('-t, --threads <n>', 'threads that compute the model (default and most: the number of cores)').argParser(integerUpTo(MAX_THREADS)).env('VIT_THREADS');

export const labelsOption = () =>
  new Option('-l, --labels <file>', "class names, one per line (default: the config's class names, else the bundled ImageNet-1k list)").env('VIT_LABELS');

// How images are decoded and resized, for the commands that classify them.
export const resizeOption = () =>
  new Option('--resize <engine>', "pillow: exactly timm's Pillow resize; sharp: libvips' resize, faster on large images, not exact")
    .choices(RESIZE_ENGINES)
    .default('pillow')
    .env('VIT_RESIZE');
export const autoOrientOption = () => new Option('--auto-orient', 'apply the EXIF orientation (timm does not: off by default)');
export const colourManageOption = () => new Option('--colour-manage', 'convert embedded ICC profiles to sRGB (Pillow and timm do not: off by default)');
export const maxPixelsOption = () =>
  new Option('--max-pixels <n>', 'refuse images with more pixels than this (decompression-bomb guard)').argParser(positiveInteger).env('VIT_MAX_PIXELS');

// timm's preprocessing overrides (resolve_data_config's crop_pct, crop_mode, interpolation, mean,
// std): each wins over the model's own value, field by field, and `vit info` says so.
const OVERRIDES = "(default: the model's)";
export const cropPctOption = () =>
  new Option(
    '--crop-pct <x>',
    `fraction of the resized image the center crop keeps, in [1/16, 16]; images are resized to floor(size / x), so above 1 the crop pads them (black; the mean colour with --crop-mode border) ${OVERRIDES}`,
  )
    .argParser(cropPctValue)
    .env('VIT_CROP_PCT');
export const cropModeOption = () =>
  new Option('--crop-mode <mode>', `center: shorter side resized, then cropped; squash: both sides resized; border: longer side resized, then padded ${OVERRIDES}`)
    .choices(CROP_MODES)
    .env('VIT_CROP_MODE');
export const interpolationOption = () => new Option('--interpolation <filter>', `resize filter ${OVERRIDES}`).choices(INTERPOLATIONS).env('VIT_INTERPOLATION');
export const meanOption = () =>
  new Option('--mean <r,g,b>', `normalization mean per channel, or one value for all three ${OVERRIDES}`).argParser(channelValues(meanProblem)).env('VIT_MEAN');
export const stdOption = () =>
  new Option('--std <r,g,b>', `normalization std per channel (each >= 0.001), or one value for all three ${OVERRIDES}`).argParser(channelValues(stdProblem)).env('VIT_STD');

// timm's --img-size (create_model's img_size) and --input-size (resolve_data_config's input_size),
// one setting spelled two ways: the model runs at N x N pixels, its position embedding resampled.
export const imgSizeOption = () =>
  new Option(
    '--img-size <n>',
    "run the model at N x N pixels, a multiple of its patch size: the position embedding is resampled (as timm's resample_abs_pos_embed does) and images are cropped to N (default: the model's)",
  )
    .argParser(integerUpTo(CONFIG_LIMITS.imgSize))
    .env('VIT_IMG_SIZE');
export const inputSizeOption = () =>
  new Option('--input-size <c,h,w>', "timm's input_size: the same as --img-size H, with C = 3 and H = W").argParser(inputSizeValue).env('VIT_INPUT_SIZE');

/** --img-size, --input-size, --crop-pct, --crop-mode, --interpolation, --mean, --std on `command`. */
export function addPreprocessOptions(command: Command): Command {
  return command
    .addOption(imgSizeOption())
    .addOption(inputSizeOption())
    .addOption(cropPctOption())
    .addOption(cropModeOption())
    .addOption(interpolationOption())
    .addOption(meanOption())
    .addOption(stdOption());
}

export const quietOption = () => new Option('-q, --quiet', 'no progress display on stderr').env('VIT_QUIET');

/** The packed-weight cache (app/weight-cache.ts): off unless --weight-cache or VIT_WEIGHT_CACHE=1; the flags win over the variable. */
export const weightCacheOptions = () => [
  new Option(
    '--weight-cache',
    'keep the packed weights in a cache file and load them from it next time ($VIT_WEIGHT_CACHE_DIR, else $XDG_CACHE_HOME/vit/weights, else ~/.cache/vit/weights; also VIT_WEIGHT_CACHE=1); off by default',
  ),
  new Option('--no-weight-cache', 'neither use nor write the packed-weight cache, whatever VIT_WEIGHT_CACHE says'),
];

export const offlineOption = () => new Option('--offline', 'never use the network: weights must already be in the cache (also HF_HUB_OFFLINE=1)');

/** The hub's environment variables and the cache location, for --help of commands that use the cache. */
export const HUB_HELP = `
Hugging Face hub (weights are cached and shared with Python's huggingface_hub, timm, transformers):
  cache folder   $HF_HUB_CACHE, else $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub
  HF_ENDPOINT    hub URL (default https://huggingface.co), e.g. a mirror
  HF_TOKEN       token for private or gated repositories (sent to HF_ENDPOINT only, never printed)
  HF_HUB_OFFLINE=1  never use the network (same as --offline)
  HF_HUB_ETAG_TIMEOUT      seconds for the metadata request (default 10)
  HF_HUB_DOWNLOAD_TIMEOUT  seconds a download may stall (default 10)`;

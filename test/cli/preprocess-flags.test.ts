// timm's preprocessing overrides (--crop-pct, --crop-mode, --interpolation, --mean, --std): each
// changes the tensor `vit preprocess` writes as worked out here by hand from timm's rules, each is
// said in the provenance, and a bad value is a usage error (exit 2) naming the flag. The default
// model (vit_base_patch16_384: 384 px, bicubic, crop_pct 1, mean and std 0.5) comes from the model
// table, so no weights are needed; the tiny fixture (32 px, crop_pct 1) where a small input helps.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it, vi } from 'vitest';
import { PreprocessOverrideError, resolveModel } from '../../src/app/index.js';
import { SafetensorsBuffer } from '../../src/safetensors/index.js';
import { IMAGES, isolateHub, runInProcess, TINY_WEIGHTS, type CliResult } from './run.js';

const CAT = join(IMAGES, 'cat.jpg'); // 451 x 300
const tmp = () => mkdtempSync(join(tmpdir(), 'vit-preflags-'));

isolateHub();

async function preprocess(image: string, flags: string[], env: Record<string, string> = {}): Promise<CliResult & { input: Float32Array }> {
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  const out = join(tmp(), 't.safetensors');
  const result = await runInProcess(['preprocess', image, '--out', out, ...flags]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return { ...result, input: SafetensorsBuffer.read(out).float32('input') };
}

/** Bit-identical tensors (vitest's deep equality is slow on 442,368 elements). */
function sameBits(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** A width x height image of one colour. */
async function flatImage(width: number, height: number, rgb: [number, number, number]): Promise<string> {
  const path = join(tmp(), 'flat.png');
  await sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } }).png().toFile(path);
  return path;
}

describe('--mean and --std', () => {
  it('normalize a flat image with the given mean and std, per channel', async () => {
    // 32 x 32 into the tiny model's 32 x 32 input at crop_pct 1: every pixel stays (40, 128, 200).
    const image = await flatImage(32, 32, [40, 128, 200]);
    const { input, stdout } = await preprocess(image, ['--weights', TINY_WEIGHTS, '--mean', '0.1,0.2,0.3', '--std', '0.25,0.125,0.5']);
    const expected = [(40 / 255 - 0.1) / 0.25, (128 / 255 - 0.2) / 0.125, (200 / 255 - 0.3) / 0.5];
    for (let c = 0; c < 3; c++) {
      for (let i = 0; i < 32 * 32; i++) expect(input[c * 32 * 32 + i]).toBeCloseTo(expected[c], 5);
    }
    expect(stdout).toMatch(/mean \[0\.1, 0\.2, 0\.3\], std \[0\.25, 0\.125, 0\.5\]/);
    expect(stdout).toMatch(/^from {8}config\.json beside the weights \(pretrained_cfg\); mean from --mean, std from --std$/m);
  });

  it('one value is all three channels (as timm takes it)', async () => {
    const image = await flatImage(32, 32, [40, 128, 200]);
    const one = await preprocess(image, ['--weights', TINY_WEIGHTS, '--mean', '0.25', '--std', '0.2']);
    const three = await preprocess(image, ['--weights', TINY_WEIGHTS, '--mean', '0.25,0.25,0.25', '--std', '0.2,0.2,0.2']);
    expect(sameBits(one.input, three.input)).toBe(true);
    expect(one.input[0]).toBeCloseTo((40 / 255 - 0.25) / 0.2, 5);
    expect(one.input[32 * 32 * 2]).toBeCloseTo((200 / 255 - 0.25) / 0.2, 5);
  });

  it('VIT_MEAN and VIT_STD do the same as the flags', async () => {
    const image = await flatImage(32, 32, [40, 128, 200]);
    const flags = await preprocess(image, ['--weights', TINY_WEIGHTS, '--mean', '0.1,0.2,0.3', '--std', '0.3']);
    const env = await preprocess(image, ['--weights', TINY_WEIGHTS], { VIT_MEAN: '0.1,0.2,0.3', VIT_STD: '0.3' });
    expect(sameBits(env.input, flags.input)).toBe(true);
    expect(env.input[0]).toBeCloseTo((40 / 255 - 0.1) / 0.3, 5);
  });
});

describe('--crop-pct and --crop-mode on a 451 x 300 image, default model (384 px)', () => {
  it('--crop-pct 0.875: shorter side to floor(384 / 0.875) = 438, longer int(438 * 451 / 300) = 658, center crop', async () => {
    const { stdout, input } = await preprocess(CAT, ['--crop-pct', '0.875']);
    expect(stdout).toMatch(/^resize {6}shorter side to floor\(384 \/ 0\.875\) = 438, bicubic$/m);
    expect(stdout).toMatch(/^resized to {2}658 x 438 \(bicubic/m);
    // left round((658 - 384) / 2) = 137, top round((438 - 384) / 2) = 27
    expect(stdout).toMatch(/^crop box {4}left 137, top 27, 384 x 384$/m);
    expect(stdout).toMatch(/^from {8}the default model vit_base_patch16_384 \(the model table\); crop_pct from --crop-pct$/m);
    const plain = await preprocess(CAT, []);
    expect(plain.stdout).toMatch(/^crop box {4}left 96, top 0, 384 x 384$/m);
    expect(sameBits(input, plain.input)).toBe(false);
  });

  it('VIT_CROP_PCT does the same as --crop-pct', async () => {
    const flag = await preprocess(CAT, ['--crop-pct', '0.875']);
    const env = await preprocess(CAT, [], { VIT_CROP_PCT: '0.875' });
    expect(env.stdout).toMatch(/^crop box {4}left 137, top 27, 384 x 384$/m);
    expect(sameBits(env.input, flag.input)).toBe(true);
  });

  it('--crop-mode squash: both sides to 384, no crop', async () => {
    const { stdout } = await preprocess(CAT, ['--crop-mode', 'squash']);
    expect(stdout).toMatch(/^resized to {2}384 x 384 /m);
    expect(stdout).toMatch(/^crop box {4}left 0, top 0, 384 x 384$/m);
    expect(stdout).toMatch(/; crop_mode from --crop-mode$/m);
  });

  it('--crop-mode border: longer side to 384 (300 * 384 / 451 = 255.4 -> 255), padded with round(255 * mean)', async () => {
    const { stdout, input } = await preprocess(CAT, ['--crop-mode', 'border', '--mean', '0.2', '--std', '0.5']);
    expect(stdout).toMatch(/^resized to {2}384 x 255 /m);
    // top: -floor((384 - 255) / 2) = -64: the first 64 rows are padding
    expect(stdout).toMatch(/^crop box {4}left 0, top -64, 384 x 384$/m);
    const pad = (Math.round(255 * 0.2) / 255 - 0.2) / 0.5; // 51 / 255 = 0.2 exactly: 0
    for (let c = 0; c < 3; c++) {
      expect(input[c * 384 * 384]).toBeCloseTo(pad, 6);
      expect(input[c * 384 * 384 + 63 * 384 + 200]).toBeCloseTo(pad, 6);
      expect(input[c * 384 * 384 + 383 * 384 + 383]).toBeCloseTo(pad, 6); // bottom padding: 384 - 64 - 255 = 65 rows
    }
  });

  it('--crop-pct 1.25 (above 1, as timm allows): shorter side to floor(384 / 1.25) = 307, and the crop pads above and below with black', async () => {
    const { stdout, input } = await preprocess(CAT, ['--crop-pct', '1.25']);
    expect(stdout).toMatch(/^resize {6}shorter side to floor\(384 \/ 1\.25\) = 307, bicubic$/m);
    // longer side int(307 * 451 / 300) = 461; left round((461 - 384) / 2) = 38 (half to even), top -(384 - 307) // 2 = -38
    expect(stdout).toMatch(/^resized to {2}461 x 307 \(bicubic/m);
    expect(stdout).toMatch(/^crop box {4}left 38, top -38, 384 x 384$/m);
    const plane = 384 * 384;
    const row = (c: number, y: number) => input.subarray(c * plane + y * 384, c * plane + (y + 1) * 384);
    for (let c = 0; c < 3; c++) {
      // 38 rows of padding above, 39 below (torchvision pads (crop - size) // 2 before); 0 normalizes to (0 - 0.5) / 0.5 = -1
      for (const y of [0, 37, 384 - 39, 383]) expect(row(c, y).every((v) => v === -1)).toBe(true);
      for (const y of [38, 384 - 40]) expect(row(c, y).some((v) => v !== -1)).toBe(true);
    }
  });
});

describe('--interpolation', () => {
  it('is the filter of the resize, reported, and changes the tensor', async () => {
    const { stdout, input } = await preprocess(CAT, ['--interpolation', 'bilinear']);
    expect(stdout).toMatch(/^resize {6}shorter side to floor\(384 \/ 1\) = 384, bilinear$/m);
    expect(stdout).toMatch(/^resized to {2}577 x 384 \(bilinear, Pillow's resampler\)$/m);
    expect(stdout).toMatch(/; interpolation from --interpolation$/m);
    const plain = await preprocess(CAT, []);
    expect(plain.stdout).toMatch(/^resized to {2}577 x 384 \(bicubic/m);
    expect(sameBits(input, plain.input)).toBe(false);
  });

  it('nearest on a 2x upscale repeats each source pixel', async () => {
    // 16 x 16 with a different colour per column, into the tiny model's 32 x 32 (crop_pct 1): nearest doubles each column.
    const width = 16;
    const raw = Buffer.alloc(width * width * 3);
    for (let y = 0; y < width; y++) for (let x = 0; x < width; x++) raw.fill(x * 16, (y * width + x) * 3, (y * width + x) * 3 + 3);
    const path = join(tmp(), 'stripes.png');
    await sharp(raw, { raw: { width, height: width, channels: 3 } }).png().toFile(path);
    const { input } = await preprocess(path, ['--weights', TINY_WEIGHTS, '--interpolation', 'nearest', '--mean', '0', '--std', '1']);
    for (let x = 0; x < 32; x++) expect(input[5 * 32 + x]).toBeCloseTo((Math.floor(x / 2) * 16) / 255, 6);
  });
});

describe('vit info', () => {
  it('shows the overridden fields and where the rest came from', async () => {
    const { code, stdout } = await runInProcess(['info', '--weights', TINY_WEIGHTS, '--crop-pct', '0.875', '--interpolation', 'bilinear']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^resize +shorter side to floor\(32 \/ 0\.875\) = 36, bilinear$/m);
    expect(stdout).toMatch(/^ +from config\.json beside the weights \(pretrained_cfg\); crop_pct from --crop-pct, interpolation from --interpolation$/m);
    const json = await runInProcess(['info', '--model', 'vit_base_patch16_224', '--std', '0.25', '--crop-mode', 'squash', '--format', 'json']);
    const model = JSON.parse(json.stdout).model;
    expect(model.preprocess.std).toEqual([0.25, 0.25, 0.25]);
    expect(model.preprocess.cropMode).toBe('squash');
    expect(model.provenance.preprocessing).toBe('named model vit_base_patch16_224 (the model table); crop_mode from --crop-mode, std from --std');
  });

  it('without overrides says what it always said', async () => {
    const { stdout } = await runInProcess(['info', '--weights', TINY_WEIGHTS]);
    expect(stdout).toMatch(/^ +from config\.json beside the weights \(pretrained_cfg\)$/m);
  });
});

describe('bad values are usage errors (exit 2) naming the flag', () => {
  const cases: [string, string[], Record<string, string>, RegExp][] = [
    ['crop_pct above 16', ['--crop-pct', '16.5'], {}, /--crop-pct.*must be in \[1\/16, 16\], found 16\.5/],
    ['crop_pct below 1/16', ['--crop-pct', '0.05'], {}, /--crop-pct.*must be in \[1\/16, 16\]/],
    ['crop_pct 0', ['--crop-pct', '0'], {}, /--crop-pct/],
    ['crop_pct not a number', ['--crop-pct', 'abc'], {}, /--crop-pct.*expected a number/],
    ['crop_pct NaN', ['--crop-pct', 'NaN'], {}, /--crop-pct.*expected a number/],
    ['crop_pct empty', ['--crop-pct', ''], {}, /--crop-pct.*expected a number/],
    ['a crop mode timm lacks', ['--crop-mode', 'fill'], {}, /--crop-mode/],
    ['an interpolation not supported', ['--interpolation', 'lanczos'], {}, /--interpolation/],
    ['two mean values', ['--mean', '0.5,0.5'], {}, /--mean.*expected R,G,B or one value/],
    ['four std values', ['--std', '0.5,0.5,0.5,0.5'], {}, /--std.*expected R,G,B or one value/],
    ['a mean that is not a number', ['--mean', '0.5,x,0.5'], {}, /--mean.*expected a number/],
    ['an infinite mean', ['--mean', 'Infinity'], {}, /--mean.*expected a number/],
    ['std 0', ['--std', '0.5,0,0.5'], {}, /--std.*must be at least 0\.001/],
    ['negative std', ['--std', '-0.5'], {}, /--std.*must be at least 0\.001/],
    ['a bad VIT_CROP_PCT', [], { VIT_CROP_PCT: '20' }, /--crop-pct.*VIT_CROP_PCT/],
    ['a bad VIT_STD', [], { VIT_STD: '0' }, /--std.*VIT_STD/],
    ['a bad VIT_INTERPOLATION', [], { VIT_INTERPOLATION: 'box' }, /--interpolation.*VIT_INTERPOLATION/],
  ];
  for (const command of ['preprocess', 'info', 'classify', 'embed']) {
    it.each(cases)(`${command}: %s`, async (_, flags, env, message) => {
      for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
      const args =
        command === 'preprocess'
          ? ['preprocess', CAT, '--out', join(tmp(), 't.safetensors'), ...flags]
          : command === 'info'
            ? ['info', ...flags]
            : [command, CAT, '--weights', TINY_WEIGHTS, ...flags];
      const { code, stdout, stderr } = await runInProcess(args);
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr.split('\n')[0]).toMatch(message);
    });
  }
});

describe('classify and embed', () => {
  it('take the overrides: the logits change, and equal those of a config that says the same', async () => {
    const classify = async (flags: string[]) => {
      const { code, stdout } = await runInProcess(['classify', CAT, '--weights', TINY_WEIGHTS, '--format', 'json', '--topk', '3', ...flags]);
      expect(code).toBe(0);
      return JSON.parse(stdout);
    };
    const plain = await classify([]);
    const overridden = await classify(['--crop-pct', '0.875', '--interpolation', 'bilinear', '--mean', '0.4', '--std', '0.3']);
    expect(overridden).not.toEqual(plain);
    // The same fields in the config's pretrained_cfg give the same logits.
    const config = JSON.parse(readFileSync(join(dirname(TINY_WEIGHTS), 'config.json'), 'utf8'));
    config.pretrained_cfg = { ...config.pretrained_cfg, crop_pct: 0.875, interpolation: 'bilinear', mean: [0.4, 0.4, 0.4], std: [0.3, 0.3, 0.3] };
    const path = join(tmp(), 'config.json');
    writeFileSync(path, JSON.stringify(config));
    expect(await classify(['--config', path])).toEqual(overridden);
  });

  it.each(['classify', 'embed', 'preprocess', 'info', 'serve'])('%s --help lists the flags with their environment variables', async (command) => {
    const { stdout } = await runInProcess([command, '--help']);
    const help = stdout.replace(/\s+/g, ' ');
    for (const flag of ['--crop-pct', '--crop-mode', '--interpolation', '--mean', '--std']) expect(help).toContain(`${flag} <`);
    for (const env of ['VIT_CROP_PCT', 'VIT_CROP_MODE', 'VIT_INTERPOLATION', 'VIT_MEAN', 'VIT_STD']) expect(help).toContain(`env: ${env}`);
  });
});

describe('the library', () => {
  it('ModelRequest.preprocess overrides field by field and refuses what configs are refused', async () => {
    const model = await resolveModel({ weights: TINY_WEIGHTS, preprocess: { cropPct: 0.5, mean: [0, 0, 0] } });
    expect(model.preprocess.cropPct).toBe(0.5);
    expect(model.preprocess.mean).toEqual([0, 0, 0]);
    expect(model.preprocess.std).toEqual([0.5, 0.5, 0.5]);
    await expect(resolveModel({ weights: TINY_WEIGHTS, preprocess: { std: [1, 1e-9, 1] } })).rejects.toThrow(PreprocessOverrideError);
    await expect(resolveModel({ weights: TINY_WEIGHTS, preprocess: { cropPct: 17 } })).rejects.toThrow(/--crop-pct \(crop_pct\) must be in \[1\/16, 16\], found 17/);
    const twoValues = [0.5, 0.5] as unknown as [number, number, number];
    await expect(resolveModel({ weights: TINY_WEIGHTS, preprocess: { mean: twoValues } })).rejects.toThrow(/--mean \(mean\) must be three numbers/);
    await expect(resolveModel({ weights: TINY_WEIGHTS, preprocess: { interpolation: 'lanczos' as 'bicubic' } })).rejects.toThrow(/--interpolation \(interpolation\) 'lanczos' is not supported/);
  });
});

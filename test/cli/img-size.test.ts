// --img-size and --input-size on the command line: the tensor `vit preprocess` writes and the
// provenance `vit info` prints, embed and classify running the model at the new size (the same
// numbers as the library's forward pass on the preprocessed tensor), and every bad value a
// one-line usage error (exit 2) naming the flag. The CLI runs with --backend ref, the kernels
// loadVitModel uses by default, so the numbers compare bit for bit. The numbers of the model at another size are
// checked against torchvision in test/model/img-size.test.ts.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { loadVitModel } from '../../src/app/load-model.js';
import { SafetensorsBuffer } from '../../src/safetensors/index.js';
import { IMAGES, isolateHub, ROOT, runInProcess, TINY_WEIGHTS } from './run.js';

const CAT = join(IMAGES, 'cat.jpg');
const NARROW = join(ROOT, 'fixtures', 'models', 'narrow384', 'model.safetensors');
const tmp = () => mkdtempSync(join(tmpdir(), 'vit-imgsize-'));

isolateHub();

async function preprocessed(flags: string[]): Promise<{ stdout: string; input: SafetensorsBuffer }> {
  const out = join(tmp(), 't.safetensors');
  const result = await runInProcess(['preprocess', CAT, '--out', out, '--weights', TINY_WEIGHTS, ...flags]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return { stdout: result.stdout, input: SafetensorsBuffer.read(out) };
}

const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('vit preprocess and vit info at another size', () => {
  it('--img-size 48: the tiny model (32 px) crops 48 x 48, and says so', async () => {
    const { stdout, input } = await preprocessed(['--img-size', '48']);
    expect(input.info('input').shape).toEqual([1, 3, 48, 48]);
    // 451 x 300 at crop_pct 1: shorter side to 48, longer int(48 * 451 / 300) = 72, crop left round(12) = 12
    expect(stdout).toMatch(/^resized to {2}72 x 48 /m);
    expect(stdout).toMatch(/^crop box {4}left 12, top 0, 48 x 48$/m);
    expect(stdout).toMatch(/^from {8}config\.json beside the weights \(pretrained_cfg\); input_size from --img-size$/m);
  });

  it('--input-size 3,48,48 and VIT_IMG_SIZE=48 are the same setting', async () => {
    const flag = await preprocessed(['--img-size', '48']);
    const spelled = await preprocessed(['--input-size', '3,48,48']);
    const both = await preprocessed(['--img-size', '48', '--input-size', '3,48,48']);
    vi.stubEnv('VIT_IMG_SIZE', '48');
    const env = await preprocessed([]);
    for (const other of [spelled, both, env]) expect(bytes(other.input.float32('input')).equals(bytes(flag.input.float32('input')))).toBe(true);
  });

  it('vit info prints the architecture at the new size and where it came from', async () => {
    const { code, stdout } = await runInProcess(['info', '--weights', NARROW, '--img-size', '160']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^architecture {2}ViT, 160 px, patch 16 \(101 tokens\),/m);
    expect(stdout).toMatch(/img_size 160 from --img-size \(position embedding resampled from 24 x 24 to 10 x 10 patches, as timm does\)/);
    expect(stdout).toMatch(/^crop {10}center 160 x 160 /m);
    const json = JSON.parse((await runInProcess(['info', '--weights', NARROW, '--img-size', '160', '--format', 'json'])).stdout);
    expect(json.model.config.imgSize).toBe(160);
    expect(json.model.preprocess.inputSize).toEqual([3, 160, 160]);
  });
});

describe('vit embed and vit classify at another size', () => {
  it('embed --img-size 56 gives the features of the model at 56 px on the 56 px tensor', async () => {
    const { code, stdout } = await runInProcess(['embed', CAT, '--weights', TINY_WEIGHTS, '--img-size', '56', '--backend', 'ref', '--quiet']);
    expect(code).toBe(0);
    const features = Float32Array.from(JSON.parse(stdout).features as number[]);
    const { input } = await preprocessed(['--img-size', '56']);
    const model = await loadVitModel(TINY_WEIGHTS, { imgSize: 56 });
    expect(bytes(features).equals(bytes(model.forward(input.float32('input'), 1).features))).toBe(true);
  });

  it('classify --input-size 3,56,56 gives the logits of the model at 56 px, which differ from 32 px', async () => {
    const run = async (flags: string[]) => JSON.parse((await runInProcess(['classify', CAT, '--weights', TINY_WEIGHTS, '--format', 'ndjson', '--topk', '10', '--backend', 'ref', ...flags])).stdout);
    const at56 = await run(['--input-size', '3,56,56']);
    const { input } = await preprocessed(['--img-size', '56']);
    const logits = (await loadVitModel(TINY_WEIGHTS, { imgSize: 56 })).forward(input.float32('input'), 1).logits;
    for (const p of at56.predictions as { index: number; logit: number }[]) expect(p.logit).toBe(logits[p.index]);
    expect(at56.predictions).not.toEqual((await run([])).predictions);
  });
});

describe('bad values: one line, exit 2, naming the flag', () => {
  const cases: [string, string[], RegExp][] = [
    ['not a multiple of the patch size', ['--img-size', '100'], /^vit: --img-size \(img_size\) 100 is not a multiple of vit_tiny_fixture's patch size 8 \(96 or 104 is\)\n$/],
    ['zero', ['--img-size', '0'], /--img-size <n>' argument '0' is invalid\. expected a positive integer/],
    ['beyond the bound', ['--img-size', '4097'], /--img-size <n>' argument '4097' is invalid\. expected at most 4096/],
    ['too many tokens', ['--img-size', '2048'], /^vit: --img-size \(img_size\) 2048 makes 65537 tokens per image, more than 16385\n$/],
    ['non-square --input-size', ['--input-size', '3,48,64'], /--input-size <c,h,w>' argument '3,48,64' is invalid\. expected a square size \(H = W\)/],
    ['one channel', ['--input-size', '1,48,48'], /--input-size <c,h,w>' argument '1,48,48' is invalid\. expected 3 channels \(RGB images\), received 1/],
    ['two numbers', ['--input-size', '48,48'], /--input-size <c,h,w>' argument '48,48' is invalid\. expected C,H,W/],
    ['the two spellings disagreeing', ['--img-size', '48', '--input-size', '3,56,56'], /^vit: --img-size 48 and --input-size 3,56,56 disagree: give one of them\n$/],
  ];
  for (const [what, flags, message] of cases) {
    it(what, async () => {
      const { code, stdout, stderr } = await runInProcess(['preprocess', CAT, '--out', join(tmp(), 't.safetensors'), '--weights', TINY_WEIGHTS, ...flags]);
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toMatch(message);
    });
  }

  it('classify and embed refuse the same way, before reading any image', async () => {
    for (const command of ['classify', 'embed']) {
      const { code, stderr } = await runInProcess([command, CAT, '--weights', TINY_WEIGHTS, '--img-size', '100', '--quiet']);
      expect(code).toBe(2);
      expect(stderr).toBe("vit: --img-size (img_size) 100 is not a multiple of vit_tiny_fixture's patch size 8 (96 or 104 is)\n");
    }
  });
});

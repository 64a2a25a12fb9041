// End to end, on the tiny fixture model (random weights: the class names it prints mean nothing;
// these tests check the plumbing). Most run main() in-process with captured streams; a few run
// the real bin/vit.js in a child process (with test/cli/startup.test.ts and the pipe test, they
// check what in-process runs cannot: the compiled dist/, exit codes and streams of a process).

import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it, vi } from 'vitest';
import { SafetensorsBuffer } from '../../src/safetensors/index.js';
import { BIN, IMAGES, isolateHub, ROOT, runBin, runInProcess, TINY_WEIGHTS, type CliResult } from './run.js';

const CAT = join(IMAGES, 'cat.jpg');
const COFFEE = join(IMAGES, 'coffee.png');
const tmp = () => mkdtempSync(join(tmpdir(), 'vit-e2e-'));

isolateHub();

/** main() in-process, with these environment variables set for the run. */
function run(args: string[], options: { env?: Record<string, string> } = {}): Promise<CliResult> {
  for (const [name, value] of Object.entries(options.env ?? {})) vi.stubEnv(name, value);
  return runInProcess(args);
}

describe('vit classify', () => {
  it('prints an aligned top-k table per image', async () => {
    const { code, stdout, stderr } = await runBin(['classify', CAT, COFFEE, '--weights', TINY_WEIGHTS, '--topk', '3']); // the real binary
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const blocks = stdout.trim().split('\n\n');
    expect(blocks).toHaveLength(2);
    const lines = blocks[0].split('\n');
    expect(lines[0]).toBe(CAT);
    expect(lines[1]).toBe('  rank  probability  index  class');
    expect(lines.slice(2)).toHaveLength(3);
    for (const line of lines.slice(2)) expect(line).toMatch(/^ +\d +\d+\.\d\d% +\d  class \d$/);
    // aligned: every row's columns end where the header's do
    const ends = (line: string) => [...line.matchAll(/\S+/g)].slice(0, 3).map((m) => m.index! + m[0].length);
    for (const line of lines.slice(2)) expect(ends(line)).toEqual(ends(lines[1]));
  });

  it('ndjson: one record per image with ranked probabilities that sum below 1, logits descending', async () => {
    const { code, stdout } = await run(['classify', CAT, COFFEE, '--weights', TINY_WEIGHTS, '--format', 'ndjson', '--topk', '10']);
    expect(code).toBe(0);
    const records = stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(records.map((r) => r.file)).toEqual([CAT, COFFEE]);
    for (const { predictions } of records) {
      expect(predictions.map((p: { rank: number }) => p.rank)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      const total = predictions.reduce((s: number, p: { probability: number }) => s + p.probability, 0);
      expect(total).toBeCloseTo(1, 6); // all 10 classes of the tiny model
      const logits = predictions.map((p: { logit: number }) => p.logit);
      expect([...logits].sort((a, b) => b - a)).toEqual(logits);
      expect(Object.keys(predictions[0]).sort()).toEqual(['index', 'label', 'logit', 'probability', 'rank']);
    }
  });

  it('gives the same logits batched as one at a time', async () => {
    const classifyBatched = (batch: string) => run(['classify', CAT, COFFEE, CAT, '--weights', TINY_WEIGHTS, '--format', 'ndjson', '--batch-size', batch]);
    const [one, three] = await Promise.all([classifyBatched('1'), classifyBatched('3')]);
    expect(three.stdout).toBe(one.stdout);
  });

  it('json: one document with every result, csv: a header and a row per rank', async () => {
    const json = await run(['classify', CAT, '--weights', TINY_WEIGHTS, '--format', 'json', '--topk', '2']);
    const doc = JSON.parse(json.stdout);
    expect(doc.model).toBe('vit_tiny_fixture');
    expect(doc.weights).toBe(TINY_WEIGHTS);
    expect(doc.results).toHaveLength(1);
    expect(doc.results[0].predictions).toHaveLength(2);

    const csv = await run(['classify', CAT, '--weights', TINY_WEIGHTS, '--format', 'csv', '--topk', '2']);
    const rows = csv.stdout.trim().split('\n');
    expect(rows[0]).toBe('file,rank,index,label,probability,logit,error_code,error');
    expect(rows.slice(1).map((r) => r.split(',').slice(0, 2).join(','))).toEqual([`${CAT},1`, `${CAT},2`]);
  });

  it('uses a labels file and classifies a directory in sorted order', async () => {
    const dir = tmp();
    const labels = join(dir, 'labels.txt');
    writeFileSync(labels, Array.from({ length: 10 }, (_, i) => `thing, number ${i}`).join('\n') + '\n');
    const images = join(dir, 'imgs');
    mkdirSync(images);
    writeFileSync(join(images, 'b.png'), readFileSync(COFFEE));
    writeFileSync(join(images, 'a.jpg'), readFileSync(CAT));
    writeFileSync(join(images, 'notes.txt'), 'not an image');
    const { code, stdout } = await run(['classify', images, '--weights', TINY_WEIGHTS, '--labels', labels, '--format', 'csv', '--topk', '1']);
    expect(code).toBe(0);
    const rows = stdout.trim().split('\n').slice(1);
    expect(rows.map((r) => r.split(',')[0])).toEqual([join(images, 'a.jpg'), join(images, 'b.png')]);
    expect(rows[0]).toMatch(/"thing, number \d"/); // quoted: the label holds a comma
  });

  it('matches the reference output of the same image when run through the library', async () => {
    // The CLI must not change numbers on the way out: compare its logit with the library's.
    const { loadModel, classify } = await import('../../src/index.js');
    const classifier = await loadModel({ weights: TINY_WEIGHTS });
    const expected = await classify(classifier, CAT, { topk: 3 });
    classifier.dispose();
    const { stdout } = await run(['classify', CAT, '--weights', TINY_WEIGHTS, '--format', 'ndjson', '--topk', '3']);
    const got = JSON.parse(stdout).predictions;
    expect(got.map((p: { index: number }) => p.index)).toEqual(expected.predictions.map((p) => p.index));
    expect(got[0].logit).toBe(expected.predictions[0].logit);
  });
});

describe('vit classify: bad inputs are reported and the rest still classified', () => {
  const dir = tmp();
  const emptyDir = join(dir, 'no-images');
  mkdirSync(emptyDir);
  writeFileSync(join(emptyDir, 'readme.txt'), 'nothing to see');
  const locked = join(dir, 'locked.jpg');
  writeFileSync(locked, readFileSync(CAT));
  chmodSync(locked, 0o000);

  const cases: [string, string, string, RegExp][] = [
    ['missing file', join(dir, 'missing.jpg'), 'ENOENT', /missing\.jpg: no such file or directory/],
    ['directory without images', emptyDir, 'NO_IMAGES', /no-images: directory has no images/],
    ['zero-byte file', join(IMAGES, 'empty.jpg'), 'EMPTY', /empty\.jpg: .*empty \(0 bytes\)/],
    ['text file named .jpg', join(IMAGES, 'not_an_image.jpg'), 'UNSUPPORTED_FORMAT', /not_an_image\.jpg: .*not .*image/i],
    ['truncated JPEG', join(IMAGES, 'truncated.jpg'), 'TRUNCATED', /truncated\.jpg: .*(truncated|ends early|premature)/i],
    ['decompression bomb', join(IMAGES, 'bomb_header.png'), 'TOO_LARGE', /bomb_header\.png: .*pixels/],
    ['a file whose reads fail (EIO)', '/proc/self/mem', 'READ_FAILED', /mem: cannot be read \(EIO\)/],
  ];

  it.each(cases)('%s', async (_, bad, errorCode, message) => {
    const { code, stdout, stderr } = await run(['classify', CAT, bad, COFFEE, '--weights', TINY_WEIGHTS, '--format', 'ndjson']);
    expect(code).toBe(1);
    const records = stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(records.map((r) => r.file)).toEqual([CAT, bad, COFFEE]);
    expect(records[0].predictions).toHaveLength(5);
    expect(records[2].predictions).toHaveLength(5);
    expect(records[1].error.message).toMatch(message);
    expect(records[1].error.code).toBe(errorCode);
    expect(stderr).toBe('1 of 3 inputs failed\n');
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('text format: the failure goes to stderr as one line, results to stdout', async () => {
    const { code, stdout, stderr } = await run(['classify', join(IMAGES, 'empty.jpg'), CAT, '--weights', TINY_WEIGHTS]);
    expect(code).toBe(1);
    expect(stderr).toMatch(new RegExp(`^${join(IMAGES, 'empty.jpg')}: .*empty \\(0 bytes\\)[^\\n]*\\n$`));
    expect(stdout.split('\n')[0]).toBe(CAT);
  });

  it.skipIf(process.getuid?.() === 0)('unreadable file (not testable as root, who reads anything)', async () => {
    const { code, stdout } = await run(['classify', locked, '--weights', TINY_WEIGHTS, '--format', 'ndjson']);
    expect(code).toBe(1);
    expect(JSON.parse(stdout).error.code).toBe('EACCES');
  });

  it('animated GIF: the first frame is classified', async () => {
    const { code, stdout } = await run(['classify', join(IMAGES, 'animated.gif'), '--weights', TINY_WEIGHTS, '--format', 'ndjson']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).predictions).toHaveLength(5);
  });

  it('a labels file with the wrong number of lines is a model error (exit 3)', async () => {
    const labels = join(dir, 'short.txt');
    writeFileSync(labels, 'a\nb\nc\n');
    const { code, stdout, stderr } = await run(['classify', CAT, '--weights', TINY_WEIGHTS, '--labels', labels]);
    expect(code).toBe(3);
    expect(stdout).toBe('');
    expect(stderr).toBe(`vit: ${labels}: the labels file has 3 lines but the model has 10 classes (one name per line expected)\n`);
  });

  it('weights for a different architecture than --model are refused before running (exit 3)', async () => {
    const weights = join(dir, 'model.safetensors'); // no config.json beside it
    writeFileSync(weights, readFileSync(TINY_WEIGHTS));
    const { code, stderr } = await run(['classify', CAT, '--weights', weights, '--model', 'vit_small_patch16_224']);
    expect(code).toBe(3);
    expect(stderr).toMatch(/^vit: .*model\.safetensors: the checkpoint does not match vit_small_patch16_224 \(--model vit_small_patch16_224\): missing \d+: .*wrong shape \d+: cls_token: expected \[1, 1, 384\], found \[1, 1, 48\]/);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });

  it('unknown model name suggests the closest (exit 3)', async () => {
    const { code, stderr } = await run(['classify', CAT, '--weights', TINY_WEIGHTS, '--model', 'vit_bas_patch16_384']);
    expect(code).toBe(3);
    expect(stderr).toMatch(/^vit: unknown model 'vit_bas_patch16_384'; did you mean vit_base_patch16_384, vit_base_patch16_224 or vit_base_patch32_384\? Known models: vit_tiny_patch16_224, .*\.\n$/);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });

  it('missing weights file (exit 3)', async () => {
    const { code, stderr } = await run(['classify', CAT, '--weights', join(dir, 'nope.safetensors')]);
    expect(code).toBe(3);
    expect(stderr).toBe(`vit: ${join(dir, 'nope.safetensors')}: cannot open: no such file\n`);
  });

  it('no network and nothing cached: exit 3 with the URL to fetch by hand', async () => {
    const { code, stderr } = await run(['classify', CAT, '--offline'], { env: { HF_HUB_CACHE: join(dir, 'empty-cache') } });
    expect(code).toBe(3);
    expect(stderr).toMatch(/timm\/vit_base_patch16_384\.augreg_in21k_ft_in1k\/resolve\/main\/model\.safetensors/);
    expect(stderr).toMatch(/--weights/);
  });
});

describe('pipes', () => {
  it('a reader that closes early (| head) is not an error', async () => {
    const { execFileSync } = await import('node:child_process');
    const out = execFileSync('bash', ['-c', `node ${BIN} verify --help | head -1; echo "status \${PIPESTATUS[0]}"`], { cwd: ROOT, encoding: 'utf8' });
    expect(out).toBe('Usage: vit verify [options]\nstatus 0\n');
  });
});

describe('vit verify', () => {
  it('checks the bundled fixtures and prints a PASS table', async () => {
    const { code, stdout } = await runBin(['verify']); // the real binary: the fixtures shipped beside dist/
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^fixture +max\|Δ logits\| +max\|Δ features\| +same top-5 +result$/);
    // int8_outliers passing in fp32 proves the injected outlier channels left the function unchanged.
    for (const name of ['eps_matters', 'int8_outliers', 'int8_plain', 'large_scores', 'narrow384', 'no_qkv_bias', 'tiny']) {
      expect(stdout).toMatch(new RegExp(`^${name} .* PASS$`, 'm'));
    }
    expect(lines.at(-1)).toMatch(/^7\/7 passed/);
  });

  it('fails (exit 1) when the reference disagrees, and reports the per-sample numbers', async () => {
    const fixture = join(ROOT, 'fixtures', 'models', 'tiny');
    const reference = SafetensorsBuffer.read(join(fixture, 'reference.safetensors'));
    const logits = reference.float32('logits').slice();
    logits[3] += 0.01; // sample 0, class 3
    const tampered = join(tmp(), 'tampered.safetensors');
    const { encodeSafetensors } = await import('../../src/safetensors/index.js');
    writeFileSync(
      tampered,
      encodeSafetensors({
        input: { shape: reference.info('input').shape, data: reference.float32('input') },
        logits: { shape: reference.info('logits').shape, data: logits },
      }),
    );
    const { code, stdout } = await run(['verify', '--weights', join(fixture, 'model.safetensors'), '--reference', tampered]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^0 +1\.0e-2 .* FAIL$/m);
    expect(stdout).toMatch(/^1 +\d\.\de-\d .* PASS$/m);
    expect(stdout).toMatch(/^FAIL: max\|Δ logits\| 1\.0e-2/m);
  });

  it('passes with an explicit reference and honours --atol', async () => {
    const fixture = join(ROOT, 'fixtures', 'models', 'narrow384');
    const args = ['verify', '--weights', join(fixture, 'model.safetensors'), '--reference', join(fixture, 'reference.safetensors'), '--format', 'json'];
    const ok = await run(args);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).runs[0].logits.top1Agreement).toBe(1);
    const strict = await run([...args, '--atol', '0', '--rtol', '0']);
    // float32 reordering is not bit-exact with PyTorch's float64 reference
    expect(strict.code).toBe(1);
  });
});

describe('vit preprocess', () => {
  it("writes timm's exact input tensor (equal to Pillow + torchvision's) and prints the geometry", async () => {
    const out = join(tmp(), 'cat.safetensors');
    const { code, stdout } = await run(['preprocess', CAT, '--out', out]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^source {6}.*cat\.jpg \(451 x 300, jpeg\)$/m);
    expect(stdout).toMatch(/^resized to {2}577 x 384 \(bicubic/m);
    expect(stdout).toMatch(/^crop box {4}left 96, top 0, 384 x 384$/m);
    expect(stdout).toMatch(/mean \[0\.5, 0\.5, 0\.5\], std \[0\.5, 0\.5, 0\.5\]/);

    const tensor = SafetensorsBuffer.read(out);
    expect(tensor.info('input').shape).toEqual([1, 3, 384, 384]);
    // Pillow's resize + crop of the same file, made by scripts/make_image_fixtures.py
    const expected = join(ROOT, 'test', 'fixtures', 'preprocess', 'expected', 'cat_jpg__vit384.png');
    const { data } = await sharp(expected).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const input = tensor.float32('input');
    let maxDiff = 0;
    for (let c = 0; c < 3; c++) {
      for (let i = 0; i < 384 * 384; i++) maxDiff = Math.max(maxDiff, Math.abs(input[c * 384 * 384 + i] - (data[i * 3 + c] / 255 - 0.5) / 0.5));
    }
    expect(maxDiff).toBeLessThan(1e-6);
  });
});

describe('vit info', () => {
  it('describes a checkpoint', async () => {
    const { code, stdout } = await run(['info', '--weights', TINY_WEIGHTS, '--tensors']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^model +vit_tiny_fixture$/m);
    expect(stdout).toMatch(/^architecture .*\n +from config\.json beside the weights$/m);
    expect(stdout).toMatch(/^parameters +67,258$/m);
    expect(stdout).toMatch(/^ +blocks\.0\.attn\.qkv\.weight +F32 +\[144, 48\]$/m);
  });

  it('says which checkpoint layout it found', async () => {
    const layouts = join(ROOT, 'test', 'fixtures', 'layouts');
    const hf = await run(['info', '--weights', join(layouts, 'tiny_transformers', 'model.safetensors')]);
    expect(hf.code).toBe(0);
    expect(hf.stdout).toMatch(/^checkpoint .*, Hugging Face transformers layout\)$/m);
    const tv = await run(['info', '--weights', join(layouts, 'tiny_torchvision', 'model.safetensors'), '--heads', '3', '--format', 'json']);
    expect(JSON.parse(tv.stdout).checkpoint.layout).toBe('torchvision');
  });

  it('describes a named model and where its weights would come from', async () => {
    const { code, stdout } = await run(['info', '--model', 'vit_base_patch16_384'], { env: { HF_HUB_CACHE: join(tmp(), 'cache') } });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^parameters +86,859,496$/m);
    expect(stdout).toMatch(/^hub +timm\/vit_base_patch16_384\.augreg_in21k_ft_in1k@main$/m);
    expect(stdout).toMatch(/^weights +not in the cache \(timm\/vit_base_patch16_384\.augreg_in21k_ft_in1k\): `vit download` fetches them$/m);
  });
});

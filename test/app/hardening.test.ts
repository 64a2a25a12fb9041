// Hostile inputs to the model side of the application layer (issue 12): each is a clear, typed
// error (or a per-image error record) in bounded time, never a hang, an internal error, or a
// result computed from nonsense.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareOutputs } from '../../src/app/compare-outputs.js';
import { batchThatFits } from '../../src/app/load-weights.js';
import { resolveModel, type ResolvedModel } from '../../src/app/resolve-model.js';
import { createBackend } from '../../src/backend/index.js';
import { ReferenceBackend } from '../../src/backend/reference/backend.js';
import { arenaBytes } from '../../src/vit/memory-plan.js';
import { resolveStoredShapes } from '../../src/checkpoint/resolve.js';
import { resolveFromTimmConfig } from '../../src/checkpoint/timm-config.js';
import { encodeSafetensors, SafetensorsBuffer } from '../../src/safetensors/index.js';
import { ConfigError } from '../../src/vit/config.js';
import { expectedTensors } from '../../src/vit/parameters.js';
import { IMAGES, isolateHub, ROOT, runInProcess, TINY_WEIGHTS } from '../cli/run.js';

const CAT = join(IMAGES, 'cat.jpg');
const TINY_DIR = join(ROOT, 'fixtures', 'models', 'tiny');
const TINY_CONFIG = JSON.parse(readFileSync(join(TINY_DIR, 'config.json'), 'utf8'));
const tmp = () => mkdtempSync(join(tmpdir(), 'vit-hardening-'));
const TINY_SHAPES = (() => {
  const tiny = SafetensorsBuffer.read(TINY_WEIGHTS);
  return new Map(tiny.names.map((n) => [n, tiny.info(n).shape]));
})();

isolateHub();

/** The tiny fixture's tensors, edited, written with (or without) its config.json beside them. */
function tinyCopy(edit: (tensors: Record<string, { shape: number[]; data: Float32Array }>) => void, config: object | undefined = TINY_CONFIG): string {
  const source = SafetensorsBuffer.read(TINY_WEIGHTS);
  const tensors = Object.fromEntries(source.names.map((n) => [n, { shape: [...source.info(n).shape], data: source.float32(n).slice() }]));
  edit(tensors);
  const dir = tmp();
  writeFileSync(join(dir, 'model.safetensors'), encodeSafetensors(tensors));
  if (config !== undefined) writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  return join(dir, 'model.safetensors');
}

describe('architecture numbers are bounded before anything is built from them', () => {
  it.each([
    ['depth 10^9', { depth: 1e9 }, /depth 1000000000 is more than 256/],
    ['depth 10^7', { depth: 1e7 }, /depth 10000000 is more than 256/],
    ['width 10^8', { embed_dim: 1e8 }, /embedDim 100000000 is more than 16384/],
    ['a 4096 x 4096 patch grid', { img_size: 4096, patch_size: 1 }, /16777217 tokens per image is more than 16385/],
    ['fractional depth', { depth: 2.5 }, /depth must be a positive integer, got 2.5/],
    ['one input channel', { in_chans: 1 }, /inChans must be 3 \(RGB images\), got 1/],
  ])('%s: a ConfigError at once', (_what, modelArgs, message) => {
    const started = performance.now();
    const config = { ...TINY_CONFIG, model_args: { ...TINY_CONFIG.model_args, ...modelArgs } };
    expect(() => resolveFromTimmConfig(config, 'config.json', TINY_SHAPES)).toThrow(message);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('through the command line: exit 3, one line', async () => {
    const weights = tinyCopy(() => {}, { ...TINY_CONFIG, model_args: { ...TINY_CONFIG.model_args, depth: 1e9 } });
    const { code, stderr } = await runInProcess(['classify', CAT, '--weights', weights, '--quiet']);
    expect(code).toBe(3);
    expect(stderr).toMatch(/^vit: config\.json beside the weights|depth 1000000000 is more than 256/);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('config fields of the wrong type are errors, not ignored', () => {
  const resolve = (patch: object) => () => resolveFromTimmConfig({ ...TINY_CONFIG, ...patch }, 'config.json', TINY_SHAPES);
  it.each([
    ['model_args: null', { model_args: null }, /model_args must be an object, found null/],
    ['model_args: [1, 2]', { model_args: [1, 2] }, /model_args must be an object, found \[1,2\]/],
    ['pretrained_cfg: "x"', { pretrained_cfg: 'x' }, /pretrained_cfg must be an object, found "x"/],
    ['pretrained_cfg: null', { pretrained_cfg: null }, /pretrained_cfg must be an object, found null/],
    ['qkv_bias: "false"', { model_args: { ...TINY_CONFIG.model_args, qkv_bias: 'false' } }, /model_args\.qkv_bias must be a boolean \(true or false\), found "false"/],
    ['input_size of fractions', { pretrained_cfg: { ...TINY_CONFIG.pretrained_cfg, input_size: [3, 32.5, 32.5] } }, /input_size must be three positive integers/],
    ['crop_pct 1e-6', { pretrained_cfg: { ...TINY_CONFIG.pretrained_cfg, crop_pct: 1e-6 } }, /crop_pct must be in \[1\/16, 16\], found 0\.000001/],
    ['std 1e-45', { pretrained_cfg: { ...TINY_CONFIG.pretrained_cfg, std: [1e-45, 0.5, 0.5] } }, /std must be at least 0\.001/],
  ])('%s', (_what, patch, message) => {
    expect(resolve(patch)).toThrow(ConfigError);
    expect(resolve(patch)).toThrow(message);
  });

  it.each([
    ['[1, 32, 32]', [1, 32, 32]],
    ['a size other than img_size', [3, 64, 64]],
  ])('pretrained_cfg.input_size %s, which the architecture does not take: exit 3 naming both', async (_what, inputSize) => {
    const config = { ...TINY_CONFIG, pretrained_cfg: { ...TINY_CONFIG.pretrained_cfg, input_size: inputSize } };
    const shapes = expectedTensors(resolveFromTimmConfig(TINY_CONFIG, 'c', TINY_SHAPES).config);
    const dir = tmp();
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    expect(() => resolveStoredShapes(join(dir, 'model.safetensors'), shapes, {})).toThrow(
      `the preprocessing (config.json beside the weights (pretrained_cfg)) makes [${inputSize.join(', ')}] inputs, but the architecture (config.json beside the weights) takes [3, 32, 32]`,
    );
    const weights = tinyCopy(() => {}, config);
    for (const command of [['classify', CAT, '--quiet'], ['info'], ['preprocess', CAT, '-o', join(dir, 't.safetensors')]]) {
      const { code, stderr } = await runInProcess([...command, '--weights', weights]);
      expect(code).toBe(3);
      expect(stderr).toMatch(/makes \[.*\] inputs, but the architecture .* takes \[3, 32, 32\]\n$/);
    }
  });

  it('label_names that are not strings, or of the wrong length, are ignored with a warning naming the source', async () => {
    for (const labelNames of [[1, 2, 3], ['a', 'b']]) {
      const weights = tinyCopy(() => {}, { ...TINY_CONFIG, label_names: labelNames });
      const { code, stdout, stderr } = await runInProcess(['classify', CAT, '--weights', weights, '--format', 'ndjson', '--quiet']);
      expect(code).toBe(0);
      expect(JSON.parse(stdout).predictions[0].label).toMatch(/^class \d$/);
      expect(stderr).toMatch(/^vit: warning: .*config\.json.*: (label_names is not a list of strings|2 class names for 10 classes): not used/);
    }
  });
});

describe('files that are not regular files are refused, never read or waited on', () => {
  const fifo = () => {
    const path = join(tmp(), 'fifo');
    execFileSync('mkfifo', [path]);
    return path;
  };
  it.each([
    ['--weights', (p: string) => ['classify', CAT, '--weights', p, '--quiet']],
    ['--config', (p: string) => ['classify', CAT, '--weights', TINY_WEIGHTS, '--config', p, '--quiet']],
    ['--labels', (p: string) => ['classify', CAT, '--weights', TINY_WEIGHTS, '--labels', p, '--quiet']],
    ['--reference', (p: string) => ['verify', '--weights', TINY_WEIGHTS, '--reference', p, '--quiet']],
  ])('%s: a FIFO with no writer, and /dev/zero, are exit 3 at once', async (_flag, args) => {
    for (const [path, what] of [
      [fifo(), 'is a FIFO \\(named pipe\\), not a regular file'],
      ['/dev/zero', 'is a character device, not a regular file'],
    ]) {
      const { code, stderr } = await runInProcess(args(path));
      expect(code).toBe(3);
      expect(stderr).toMatch(new RegExp(`^vit: ${path}: .*cannot open: ${what}\\n$`));
    }
  });

  it('a config file larger than the limit is refused without being parsed', async () => {
    const dir = tmp();
    const big = join(dir, 'config.json');
    writeFileSync(big, Buffer.alloc(17 * 2 ** 20, 0x20));
    const { code, stderr } = await runInProcess(['info', '--weights', TINY_WEIGHTS, '--config', big]);
    expect(code).toBe(3);
    expect(stderr).toMatch(/config\.json: config file: 17825792 bytes, more than the 16777216-byte limit/);
  });
});

describe('non-finite numbers', () => {
  it('NaN or infinity in the weights: exit 3 naming the tensor and the count', async () => {
    const weights = tinyCopy((t) => {
      t['blocks.1.mlp.fc1.weight'].data[5] = NaN;
      t['blocks.1.mlp.fc1.weight'].data[7] = Infinity;
    });
    const { code, stderr } = await runInProcess(['classify', CAT, '--weights', weights, '--quiet']);
    expect(code).toBe(3);
    expect(stderr).toBe(`vit: ${weights}: blocks.1.mlp.fc1.weight holds 2 non-finite values (NaN or infinity) of 9216: the checkpoint is damaged\n`);
  });

  it('logits that overflow: a NONFINITE error for that image, exit 1, never a ranking of NaNs', async () => {
    const weights = tinyCopy((t) => t['head.weight'].data.fill(3e38));
    const { code, stdout } = await runInProcess(['classify', CAT, '--weights', weights, '--format', 'ndjson', '--quiet']);
    expect(code).toBe(1);
    const record = JSON.parse(stdout);
    expect(record.error.code).toBe('NONFINITE');
    expect(record.error.message).toMatch(/cat\.jpg: the model's output holds \d+ non-finite values? \(NaN or infinity\) of 10/);
    expect(record.predictions).toBeUndefined();
  });

  it("verify: a non-finite value on either side fails, as numpy's allclose says", () => {
    const tolerance = { atol: 1e-4, rtol: 1e-4 };
    const check = (ours: number[], ref: number[]) => compareOutputs(Float32Array.from(ours), Float32Array.from(ref), 1, tolerance).withinTolerance;
    expect(check([1, 2, 3], [1, 2, 3])).toBe(true); // the comparison can pass
    expect(check([1, 2, 3], [1, 2, Infinity])).toBe(false);
    expect(check([1, 2, Infinity], [1, 2, Infinity])).toBe(false);
    expect(check([1, 2, NaN], [1, 2, 3])).toBe(false);
    expect(check([1, 2, 3], [1, -Infinity, 3])).toBe(false);
  });

  it('verify: a reference with +Inf logits is a FAIL (exit 1), not a PASS', async () => {
    const reference = SafetensorsBuffer.read(join(TINY_DIR, 'reference.safetensors'));
    const logits = reference.float32('logits').slice();
    logits[2] = Infinity;
    const path = join(tmp(), 'ref.safetensors');
    writeFileSync(
      path,
      encodeSafetensors({ input: { shape: [...reference.info('input').shape], data: reference.float32('input') }, logits: { shape: [...reference.info('logits').shape], data: logits } }),
    );
    const { code, stdout } = await runInProcess(['verify', '--weights', TINY_WEIGHTS, '--reference', path, '--backend', 'ref']);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^FAIL/m);
  });

  it.each(['abc', 'NaN', 'Infinity', '-1', ''])('verify: reference metadata atol %j is exit 3', async (atol) => {
    const reference = SafetensorsBuffer.read(join(TINY_DIR, 'reference.safetensors'));
    const path = join(tmp(), 'ref.safetensors');
    writeFileSync(
      path,
      encodeSafetensors(
        { input: { shape: [...reference.info('input').shape], data: reference.float32('input') }, logits: { shape: [...reference.info('logits').shape], data: reference.float32('logits') } },
        { atol },
      ),
    );
    const { code, stderr } = await runInProcess(['verify', '--weights', TINY_WEIGHTS, '--reference', path, '--backend', 'ref']);
    expect(code).toBe(3);
    expect(stderr).toMatch(new RegExp(`__metadata__ atol must be a non-negative number, found ${JSON.stringify(JSON.stringify(atol)).slice(1, -1)}`));
  });
});

describe('batches are sized to the memory the backend has', () => {
  class SmallBackend extends ReferenceBackend {
    constructor(override readonly maxArenaBytes: number) {
      super();
    }
  }
  const tiny = async () => (await resolveModel({ weights: TINY_WEIGHTS })) as ResolvedModel;

  it('a batch that does not fit is cut to the largest that does, with a warning', async () => {
    const model = await tiny();
    const backend = new SmallBackend(arenaBytes(model.config, new ReferenceBackend(), 3));
    expect(batchThatFits(model, backend, 2)).toEqual({ batch: 2, warnings: [] });
    const { batch, warnings } = batchThatFits(model, backend, 1000);
    expect(batch).toBe(3);
    expect(warnings).toEqual(["a batch of 1000 images does not fit in the ref backend's memory with vit_tiny_fixture: using 3"]);
  });

  it('a model that does not fit one image is a WeightsError (exit 3), not a crash', async () => {
    const model = await tiny();
    expect(() => batchThatFits(model, new SmallBackend(1000), 1)).toThrow(/vit_tiny_fixture: needs \d+ MiB for one image, more than the ref backend can hold \(0 MiB\)/);
  });

  it('the wasm backend reports what its 4 GiB leave', async () => {
    const backend = await createBackend('wasm', { threads: 1 });
    try {
      expect(backend.maxArenaBytes).toBeGreaterThan(3.5 * 2 ** 30);
      expect(backend.maxArenaBytes).toBeLessThan(4 * 2 ** 30);
    } finally {
      backend.dispose();
    }
  });
});

describe('verify: reference tensors of the wrong rank or batch are exit 3 naming the file and the expected shape', () => {
  const reference = SafetensorsBuffer.read(join(TINY_DIR, 'reference.safetensors'));
  const write = (input: { shape: number[]; data: Float32Array }, logits: { shape: number[]; data: Float32Array }) => {
    const path = join(tmp(), 'ref.safetensors');
    writeFileSync(path, encodeSafetensors({ input, logits }));
    return path;
  };
  const goodInput = { shape: [...reference.info('input').shape], data: reference.float32('input') };
  const goodLogits = { shape: [...reference.info('logits').shape], data: reference.float32('logits') };
  it.each([
    ['a scalar input', () => write({ shape: [], data: new Float32Array(1) }, goodLogits), /tensor 'input': must be F32 \[batch >= 1, channels, height, width\], found \[\]/],
    ['batch 0', () => write({ shape: [0, 3, 32, 32], data: new Float32Array(0) }, goodLogits), /tensor 'input': must be F32 \[batch >= 1, channels, height, width\], found \[0, 3, 32, 32\]/],
    ['input of rank 3', () => write({ shape: [3, 32, 32], data: new Float32Array(3 * 32 * 32) }, goodLogits), /found \[3, 32, 32\]/],
    ['logits [20] for [2, 10]', () => write(goodInput, { shape: [20], data: new Float32Array(20) }), /tensor 'logits': \[20\] does not fit: the model gives 10 classes: \[2, 10\]/],
  ])('%s', async (_what, make, message) => {
    const { code, stderr } = await runInProcess(['verify', '--weights', TINY_WEIGHTS, '--reference', make(), '--backend', 'ref']);
    expect(code).toBe(3);
    expect(stderr).toMatch(message);
  });
});

// The nine defects of "one road" (issue 11), each as a user met it, in-process through main().
// Every command resolves a model through the one resolver (src/app/resolve-model.ts), so these
// check the commands agree: an explicit flag wins or is an error naming both sides, never dropped.

import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it, vi } from 'vitest';
import { encodeSafetensors, SafetensorsBuffer } from '../../src/safetensors/index.js';
import { NAMED_MODELS } from '../../src/vit/named-models.js';
import { expectedTensors, numel } from '../../src/vit/parameters.js';
import { IMAGES, isolateHub, ROOT, runInProcess, TINY_WEIGHTS } from './run.js';

const CAT = join(IMAGES, 'cat.jpg');
const TINY_DIR = join(ROOT, 'fixtures', 'models', 'tiny');
const tmp = () => mkdtempSync(join(tmpdir(), 'vit-one-road-'));

isolateHub(); // an empty hub cache and no network: nothing is cached and nothing may be fetched

/** A grey image of one value, whose normalized input is known without running the code under test. */
async function greyImage(value: number, side: number): Promise<string> {
  const path = join(tmp(), 'grey.png');
  await sharp({ create: { width: side, height: side, channels: 3, background: { r: value, g: value, b: value } } }).png().toFile(path);
  return path;
}

describe('1. preprocess --config without --weights uses the config', () => {
  it('a 96 px bilinear config with ImageNet mean/std gives a 96 px tensor normalized with them', async () => {
    const dir = tmp();
    const config = join(dir, 'cfg.json');
    writeFileSync(
      config,
      JSON.stringify({
        architecture: 'vit_tiny_patch16_224',
        num_classes: 10,
        model_args: { img_size: 96 },
        pretrained_cfg: { input_size: [3, 96, 96], interpolation: 'bilinear', crop_pct: 1.0, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
      }),
    );
    const out = join(dir, 't.safetensors');
    const { code, stdout, stderr } = await runInProcess(['preprocess', await greyImage(128, 200), '--config', config, '--out', out]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/bilinear/);
    const tensor = SafetensorsBuffer.read(out);
    expect(tensor.info('input').shape).toEqual([1, 3, 96, 96]);
    const input = tensor.float32('input');
    // A flat image stays flat through any resize: every value is (128/255 - mean[c]) / std[c].
    const mean = [0.485, 0.456, 0.406];
    const std = [0.229, 0.224, 0.225];
    for (let c = 0; c < 3; c++) {
      expect(input[c * 96 * 96 + 1234]).toBeCloseTo((128 / 255 - mean[c]) / std[c], 5);
    }
  });
});

describe('2. an explicit --model that contradicts the checkpoint is an error naming both sides', () => {
  it('classify --weights W --model vit_base_patch16_384, with a config.json for another architecture beside W: exit 3', async () => {
    const { code, stdout, stderr } = await runInProcess(['classify', CAT, '--weights', TINY_WEIGHTS, '--model', 'vit_base_patch16_384', '--quiet']);
    expect(code).toBe(3);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^vit: --model vit_base_patch16_384 \(384 px, patch 16, width 768, depth 12, 12 heads\) contradicts config\.json beside the weights \(vit_tiny_fixture: 32 px, patch 8, width 48, depth 2, 3 heads\)/);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });

  it('--heads against a config that states the heads: exit 3, both named', async () => {
    const { code, stderr } = await runInProcess(['classify', CAT, '--weights', TINY_WEIGHTS, '--heads', '4', '--quiet']);
    expect(code).toBe(3);
    expect(stderr).toMatch(/--heads 4/);
    expect(stderr).toMatch(/3/);
  });

  it('the same --model that the config names is accepted', async () => {
    const dir = tmp();
    copyFileSync(TINY_WEIGHTS, join(dir, 'model.safetensors'));
    const config = JSON.parse(readFileSync(join(TINY_DIR, 'config.json'), 'utf8'));
    // No named model has the tiny fixture's shapes: --model auto is the claim that fits.
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    const { code } = await runInProcess(['classify', CAT, '--weights', join(dir, 'model.safetensors'), '--model', 'auto', '--quiet']);
    expect(code).toBe(0);
  });
});

describe('3. an hf-hub id whose config is not cached: info and preprocess exit 3, never another model', () => {
  it('preprocess -m hf-hub:timm/vit_base_patch16_224.augreg2_in21k_ft_in1k, not cached', async () => {
    const out = join(tmp(), 't.safetensors');
    const { code, stderr } = await runInProcess(['preprocess', CAT, '-m', 'hf-hub:timm/vit_base_patch16_224.augreg2_in21k_ft_in1k', '-o', out]);
    expect(code).toBe(3);
    expect(stderr).toMatch(/^vit: hf-hub:timm\/vit_base_patch16_224\.augreg2_in21k_ft_in1k: its config\.json is not in the hub cache, and this command does not download: run `vit download/);
  });

  it('info -m hf-hub:google/vit-base-patch16-224, not cached', async () => {
    const { code, stdout, stderr } = await runInProcess(['info', '-m', 'hf-hub:google/vit-base-patch16-224']);
    expect(code).toBe(3);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^vit: hf-hub:google\/vit-base-patch16-224: its config\.json is not in the hub cache/);
  });

  it('a named model (in the table) is described from the table, and says so', async () => {
    const { code, stdout } = await runInProcess(['info', '-m', 'vit_base_patch16_224']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^architecture +ViT, 224 px/m);
    expect(stdout).toMatch(/from named model vit_base_patch16_224 \(the model table\)/);
  });
});

describe('4. one model table: every command that takes a model name accepts the same names', () => {
  const names = [...NAMED_MODELS.keys()];

  it('the table has the models the README lists, including the headless vit_large_patch32_224', () => {
    expect(names).toContain('vit_large_patch32_224');
    expect(names).toHaveLength(14);
  });

  it('a headless model is described as such', async () => {
    const { code, stdout } = await runInProcess(['info', '-m', 'vit_large_patch32_224']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^classes +0 \(no classifier head: a feature extractor\)$/m);
    expect(stdout).toMatch(/^labels +none \(no classifier head\)$/m);
  });

  it.each(names)('info -m %s describes it', async (name) => {
    const { code, stdout } = await runInProcess(['info', '-m', name, '--format', 'json']);
    expect(code).toBe(0);
    const described = JSON.parse(stdout);
    expect(described.model.name).toBe(name);
    expect(described.model.config).toMatchObject({ ...NAMED_MODELS.get(name)!.config, numClasses: described.model.config.numClasses });
  });

  it.each([
    ['info', ['info', '-m']],
    ['preprocess', ['preprocess', CAT, '-o', '/nonexistent/t.safetensors', '-m']],
    ['classify', ['classify', CAT, '--quiet', '-m']],
    ['download', ['download']],
  ])('%s: an unknown name gets the one message, listing every name of the table (exit 3)', async (_command, args) => {
    const { code, stderr } = await runInProcess([...args, 'vit_bas_patch16_384']);
    expect(code).toBe(3);
    expect(stderr).toBe(
      `vit: unknown model 'vit_bas_patch16_384'; did you mean vit_base_patch16_384, vit_base_patch16_224 or vit_base_patch32_384? Known models: ${names.join(', ')}. A hub repository is named hf-hub:ORG/NAME[@REVISION].\n`,
    );
  });
});

describe('5. verify with VIT_WEIGHTS set still runs the self-test', () => {
  it('VIT_WEIGHTS=... vit verify: the bundled fixtures, exit 0', async () => {
    vi.stubEnv('VIT_WEIGHTS', TINY_WEIGHTS);
    const { code, stdout, stderr } = await runInProcess(['verify', '--backend', 'ref']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout.trim().split('\n').at(-1)).toMatch(/^7\/7 passed/);
  });
});

describe('6. a reference that does not fit the weights is exit 3 naming the mismatch', () => {
  const reference = SafetensorsBuffer.read(join(TINY_DIR, 'reference.safetensors'));
  const write = (tensors: Record<string, { shape: number[]; data: Float32Array }>) => {
    const path = join(tmp(), 'reference.safetensors');
    writeFileSync(path, encodeSafetensors(tensors));
    return path;
  };
  const verify = (ref: string) => runInProcess(['verify', '--weights', TINY_WEIGHTS, '--reference', ref, '--backend', 'ref']);

  it('input of another image size', async () => {
    const { code, stderr } = await verify(write({ input: { shape: [1, 3, 16, 16], data: new Float32Array(3 * 16 * 16) }, logits: { shape: [1, 10], data: new Float32Array(10) } }));
    expect(code).toBe(3);
    expect(stderr).toMatch(/^vit: .*reference\.safetensors: tensor 'input': \[1, 3, 16, 16\] does not fit: the model \(vit_tiny_fixture\) takes \[1, 3, 32, 32\]\n$/);
  });

  it('logits of the wrong shape', async () => {
    const batch = reference.info('input').shape[0];
    const { code, stderr } = await verify(
      write({ input: { shape: [...reference.info('input').shape], data: reference.float32('input') }, logits: { shape: [batch, 7], data: new Float32Array(batch * 7) } }),
    );
    expect(code).toBe(3);
    expect(stderr).toMatch(new RegExp(`^vit: .*reference\\.safetensors: tensor 'logits': \\[${batch}, 7\\] does not fit: the model gives 10 classes: \\[${batch}, 10\\]\\n$`));
  });

  it('features of the wrong shape', async () => {
    const batch = reference.info('input').shape[0];
    const { code, stderr } = await verify(
      write({
        input: { shape: [...reference.info('input').shape], data: reference.float32('input') },
        logits: { shape: [...reference.info('logits').shape], data: reference.float32('logits') },
        features: { shape: [batch, 5], data: new Float32Array(batch * 5) },
      }),
    );
    expect(code).toBe(3);
    expect(stderr).toMatch(new RegExp(`^vit: .*reference\\.safetensors: tensor 'features': \\[${batch}, 5\\] does not fit: the model gives features of width 48: \\[${batch}, 48\\]\\n$`));
  });
});

describe('7. a PyTorch pickle as --weights says what it is and how to convert it', () => {
  it.each([
    ['model.pth (zip archive, torch.save since 1.6)', 'model.pth', Buffer.from('PK\x03\x04\x00\x00\x08\x00\x00\x00archive/data.pkl', 'latin1')],
    ['pytorch_model.bin (legacy pickle)', 'pytorch_model.bin', Buffer.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19])],
  ])('%s', async (_what, name, bytes) => {
    const path = join(tmp(), name);
    writeFileSync(path, Buffer.concat([bytes, Buffer.alloc(64)]));
    const { code, stderr } = await runInProcess(['classify', CAT, '--weights', path, '--quiet']);
    expect(code).toBe(3);
    expect(stderr).toMatch(new RegExp(`^vit: .*${name}: a (PyTorch checkpoint|Python pickle) .*, not safetensors; vit never unpickles files`));
    expect(stderr).toMatch(new RegExp(`st\\.save_file\\(torch\\.load\\('${name}'`));
    expect(stderr).not.toMatch(/header length/);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('8. shapes that are exactly one named model take its preprocessing, and info says so', () => {
  it("vit_tiny_patch16_384's shapes: crop_pct 1 and 3 heads (its own), not timm's generic 0.9 and 64-wide heads", async () => {
    const named = NAMED_MODELS.get('vit_tiny_patch16_384')!;
    const tensors = Object.fromEntries([...expectedTensors(named.config)].map(([name, shape]) => [name, { shape: [...shape], data: new Float32Array(numel(shape)) }]));
    const weights = join(tmp(), 'model.safetensors'); // no config.json beside it
    writeFileSync(weights, encodeSafetensors(tensors));
    const { code, stdout } = await runInProcess(['info', '--weights', weights, '--model', 'auto', '--format', 'json']);
    expect(code).toBe(0);
    const { model } = JSON.parse(stdout);
    expect([model.preprocess.cropPct, model.config.numHeads]).toEqual([1, 3]);
    expect(model.provenance.preprocessing).toBe('named model vit_tiny_patch16_384 (its shapes match)');
    expect(model.notes).toContain("the shapes are exactly vit_tiny_patch16_384's: its 3 heads and preprocessing are used");
  });
});

describe('9. --help says what the commands do', () => {
  const help = async (command: string) => (await runInProcess([command, '--help'])).stdout.replace(/\s+/g, ' ');

  it('info and preprocess never download; classify and verify say they may', async () => {
    for (const command of ['info', 'preprocess']) {
      const text = await help(command);
      expect(text).toMatch(/never downloaded/);
      expect(text).not.toMatch(/if needed/);
    }
    expect(await help('classify')).toMatch(/downloading it if needed/);
  });

  it('--weights names the three layouts', async () => {
    for (const command of ['classify', 'info', 'preprocess', 'verify']) {
      expect(await help(command)).toMatch(/timm, Hugging Face transformers or torchvision layout/);
    }
  });

  it('preprocess -o is marked required', async () => {
    expect(await help('preprocess')).toMatch(/-o, --out <file> .*\(required\)/);
  });

  it('the hub variables and the cache location are in every command that uses the hub', async () => {
    for (const command of ['classify', 'info', 'preprocess', 'download']) {
      const text = await help(command);
      for (const name of ['HF_HUB_CACHE', 'HF_HOME', 'HF_ENDPOINT', 'HF_TOKEN', 'HF_HUB_OFFLINE', '~/.cache/huggingface/hub']) expect(text).toContain(name);
    }
  });
});

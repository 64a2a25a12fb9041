// Checkpoint layouts: detection, parity of the torchvision and transformers copies of the tiny
// fixture with the torchvision reference, the transformers config.json / preprocessor_config.json,
// and the refusals (unknown or mixed names, ViTModel without classifier, other activations).

import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/vit/index.js';
import { loadVitModel, type LoadOptions } from '../../src/app/load-model.js';
import { CheckpointLayoutError, CheckpointSource, detectLayout, expectedStoredTensors, resolveStoredShapes, WeightsError } from '../../src/checkpoint/index.js';
import { defaultTransformersPreprocess, preprocessFromProcessorConfig } from '../../src/checkpoint/transformers-preprocess.js';
import { countParameters } from '../../src/vit/parameters.js';
import { encodeSafetensors, SafetensorsBuffer, type TensorToWrite } from '../../src/safetensors/index.js';
import { expectParity, FIXTURES, loadParityFixture, maxAbsDiff, MODEL_FIXTURES, PARITY_TOLERANCE } from './fixtures.js';

const TOLERANCE = PARITY_TOLERANCE;
const TINY = join(MODEL_FIXTURES, 'tiny');
const TORCHVISION = join(FIXTURES, 'layouts', 'tiny_torchvision');
const TRANSFORMERS = join(FIXTURES, 'layouts', 'tiny_transformers');
const TINY_HEADS = 3; // the tiny fixture's; 48-wide shapes alone would suggest 1 (64-wide heads)

const tempDirs: string[] = [];
afterAll(() => tempDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vit-layouts-'));
  tempDirs.push(dir);
  return dir;
}

function tensorsOf(dir: string): Record<string, TensorToWrite> {
  const source = SafetensorsBuffer.read(join(dir, 'model.safetensors'));
  return Object.fromEntries(source.names.map((name) => [name, { shape: source.info(name).shape, data: source.float32(name) }]));
}

/** A fixture checkpoint, edited, in a temp dir with the given side files (JSON objects, or copied from `from`). */
function checkpointCopy(
  from: string,
  edit: (tensors: Record<string, TensorToWrite>) => void = () => {},
  files: Record<string, object | 'copy'> = {},
): string {
  const tensors = tensorsOf(from);
  edit(tensors);
  const dir = tempDir();
  writeFileSync(join(dir, 'model.safetensors'), encodeSafetensors(tensors));
  for (const [name, content] of Object.entries(files)) {
    if (content === 'copy') copyFileSync(join(from, name), join(dir, name));
    else writeFileSync(join(dir, name), JSON.stringify(content));
  }
  return join(dir, 'model.safetensors');
}

const transformersConfig = (): Record<string, unknown> => JSON.parse(readFileSync(join(TRANSFORMERS, 'config.json'), 'utf8'));

/** A transformers copy of the tiny fixture with an edited config.json (and optionally a preprocessor_config.json). */
function transformersWith(edit: (config: Record<string, unknown>) => void, preprocessor?: object): string {
  const config = transformersConfig();
  edit(config);
  return checkpointCopy(TRANSFORMERS, undefined, { 'config.json': config, ...(preprocessor ? { 'preprocessor_config.json': preprocessor } : {}) });
}

async function loadFailure(path: string, options: LoadOptions = {}): Promise<Error> {
  const error = await loadVitModel(path, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

function storedNames(dir: string): string[] {
  return SafetensorsBuffer.read(join(dir, 'model.safetensors')).names;
}

describe('layout detection', () => {
  it.each([
    [TINY, 'timm'],
    [TRANSFORMERS, 'transformers'],
    [TORCHVISION, 'torchvision'],
  ])('%s is %s', (dir, layout) => {
    expect(detectLayout(storedNames(dir), dir).layout).toBe(layout);
    const source = CheckpointSource.open(join(dir, 'model.safetensors'));
    expect(source.layout).toBe(layout);
    source.close();
  });

  it('refuses an unknown layout, listing a few tensors it could not place and the count', async () => {
    const path = checkpointCopy(TINY, (t) => {
      for (const name of Object.keys(t)) {
        t[`model.${name}`] = t[name];
        delete t[name];
      }
    });
    const count = storedNames(TINY).length;
    const e = await loadFailure(path);
    expect(e).toBeInstanceOf(CheckpointLayoutError);
    expect(e.message).toMatch(
      new RegExp(`unknown checkpoint layout: could not place any of its ${count} tensors as ViT weights \\(timm, Hugging Face transformers, torchvision\\): model\\.\\S+, (model\\.\\S+, ){4}\\.\\.\\. \\(${count} in all\\)$`),
    );
    expect((e as WeightsError).unexpected).toHaveLength(count);
  });

  it('refuses a mix of layouts, naming the tensors outside the main one', async () => {
    const path = checkpointCopy(TRANSFORMERS, (t) => {
      t['heads.head.weight'] = t['classifier.weight'];
      t['class_token'] = t['vit.embeddings.cls_token'];
    });
    const e = await loadFailure(path);
    expect(e).toBeInstanceOf(CheckpointLayoutError);
    expect(e.message).toMatch(/mix checkpoint layouts \(\d+ Hugging Face transformers, 2 torchvision\): could not place 2 tensors in the Hugging Face transformers layout: (heads\.head\.weight, class_token|class_token, heads\.head\.weight)$/);
    expect([...(e as WeightsError).unexpected].sort()).toEqual(['class_token', 'heads.head.weight']);
  });

  it('reports tensors no layout owns, beside a recognised one, as unexpected under their own names', async () => {
    const path = checkpointCopy(
      TRANSFORMERS,
      (t) => {
        t['vit.pooler.dense.weight'] = { shape: [48, 48], data: new Float32Array(48 * 48) };
        t.extra = { shape: [1], data: new Float32Array(1) };
      },
      { 'config.json': 'copy' },
    );
    const e = await loadFailure(path);
    expect(e).toBeInstanceOf(WeightsError);
    expect((e as WeightsError).unexpected).toEqual(['extra', 'vit.pooler.dense.weight']);
    expect(e.message).toMatch(/unexpected 2: extra, vit\.pooler\.dense\.weight/);
  });
});

describe.each([
  ['torchvision', TORCHVISION],
  ['transformers', TRANSFORMERS],
])('%s layout of the tiny fixture', (layout, dir) => {
  const weights = join(dir, 'model.safetensors');

  it(`reproduces the torchvision reference within ${TOLERANCE}, same top-5`, async () => {
    const fx = loadParityFixture(TINY);
    const model = await loadVitModel(weights, { heads: TINY_HEADS, maxBatch: fx.batch });
    expect(model.resolved.layout).toBe(layout);
    expectParity(model.forward(fx.input, fx.batch), fx);
  });

  it("reads every timm tensor bit-identical to the timm fixture's (q, k, v concatenated in order)", () => {
    const timm = SafetensorsBuffer.read(join(TINY, 'model.safetensors'));
    const source = CheckpointSource.open(weights);
    try {
      expect([...source.tensors.keys()].sort()).toEqual([...timm.names].sort());
      for (const name of timm.names) {
        expect(source.info(name).shape, name).toEqual(timm.info(name).shape);
        expect(Buffer.from(source.read(name).buffer).equals(Buffer.from(timm.float32(name).slice().buffer)), name).toBe(true);
      }
    } finally {
      source.close();
    }
  });

  it('uses every stored tensor exactly once', async () => {
    const model = await loadVitModel(weights, { heads: TINY_HEADS });
    const naming = detectLayout(storedNames(dir), dir);
    const expected = expectedStoredTensors(naming, model.config);
    expect([...expected.keys()].sort()).toEqual(storedNames(dir).sort());
    const checkpoint = SafetensorsBuffer.read(weights);
    expect(checkpoint.names.reduce((n, name) => n + checkpoint.info(name).numel, 0)).toBe(countParameters(model.config));
  });
});

describe('Hugging Face transformers checkpoints', () => {
  it('takes the architecture, eps and preprocessing defaults from config.json', async () => {
    const model = await loadVitModel(join(TRANSFORMERS, 'model.safetensors'));
    expect(model.resolved).toMatchObject({ layout: 'transformers', provenance: { architecture: 'config.json beside the weights' }, name: 'ViTForImageClassification' });
    expect(model.config).toEqual({
      imgSize: 32,
      patchSize: 8,
      inChans: 3,
      numClasses: 10,
      embedDim: 48,
      depth: 2,
      numHeads: 3,
      mlpHiddenDim: 192,
      qkvBias: true,
      layerNormEps: 1e-6,
    });
    expect(model.resolved.labelNames).toBeUndefined(); // LABEL_0 .. LABEL_9 are placeholders
    expect(model.preprocess).toEqual(defaultTransformersPreprocess(32).preprocess);
  });

  it.each([
    [1e-12, 1e-12],
    [3e-7, 3e-7],
    [undefined, 1e-12], // transformers' ViTConfig default
  ])('LayerNorm eps from layer_norm_eps %s', async (value, eps) => {
    const path = transformersWith((c) => (value === undefined ? delete c.layer_norm_eps : (c.layer_norm_eps = value)));
    const model = await loadVitModel(path);
    expect(model.config.layerNormEps).toBe(eps);
  });

  it('exposes id2label names as labelNames', async () => {
    const names = ['tench', 'goldfish', 'shark', 'tiger shark', 'hammerhead', 'electric ray', 'stingray', 'cock', 'hen', 'ostrich'];
    const model = await loadVitModel(transformersWith((c) => (c.id2label = Object.fromEntries(names.map((n, i) => [String(i), n])))));
    expect(model.resolved.labelNames).toEqual(names);
  });

  it('counts the classes from id2label, and checks the classifier against it by its own name', async () => {
    const e = await loadFailure(transformersWith((c) => (c.id2label = { 0: 'a', 1: 'b' })));
    expect(e.message).toMatch(/wrong shape 2: classifier\.weight: expected \[2, 48\], found \[10, 48\], classifier\.bias: expected \[2\], found \[10\]/);
  });

  it.each(['gelu_new', 'gelu_pytorch_tanh', 'relu'])('refuses hidden_act %s', async (act) => {
    const e = await loadFailure(transformersWith((c) => (c.hidden_act = act)));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toContain(`config.json: hidden_act "${act}" is not supported: the model computes exact (erf) GELU, which is transformers' "gelu"`);
  });

  it('accepts a config without hidden_act (transformers defaults to "gelu")', async () => {
    await expect(loadVitModel(transformersWith((c) => delete c.hidden_act))).resolves.toBeDefined();
  });

  it('refuses another model_type, and a timm config.json given for transformers weights', async () => {
    expect((await loadFailure(transformersWith((c) => (c.model_type = 'deit')))).message).toMatch(/model_type "deit" is not supported/);
    const e = await loadFailure(join(TRANSFORMERS, 'model.safetensors'), { config: join(TINY, 'config.json') });
    expect(e.message).toMatch(/this is a timm config\.json, but the weights use Hugging Face transformers names/);
  });

  it('refuses a ViTModel checkpoint (no classifier), before anything else', async () => {
    const path = checkpointCopy(TRANSFORMERS, (t) => {
      delete t['classifier.weight'];
      delete t['classifier.bias'];
    }, { 'config.json': 'copy' });
    const e = await loadFailure(path);
    expect(e).toBeInstanceOf(WeightsError);
    expect(e.message).toMatch(/a Hugging Face transformers ViTModel checkpoint \(no classifier\.weight\): it has no classification head/);
  });

  it('reports a missing q/k/v piece, and a mis-shaped one, by their stored names', async () => {
    const path = checkpointCopy(TRANSFORMERS, (t) => {
      delete t['vit.encoder.layer.1.attention.attention.key.weight'];
      t['vit.encoder.layer.0.attention.attention.value.bias'] = { shape: [47], data: new Float32Array(47) };
    }, { 'config.json': 'copy' });
    const e = (await loadFailure(path)) as WeightsError;
    expect(e.missing).toEqual(['vit.encoder.layer.1.attention.attention.key.weight']);
    expect(e.unexpected).toEqual([]);
    expect(e.message).toMatch(/missing 1: vit\.encoder\.layer\.1\.attention\.attention\.key\.weight; wrong shape 1: vit\.encoder\.layer\.0\.attention\.attention\.value\.bias: expected \[48\], found \[47\]/);
  });

  it('without config.json: shapes, transformers eps, the heads asked for; still matches the reference', async () => {
    const fx = loadParityFixture(TINY);
    const model = await loadVitModel(checkpointCopy(TRANSFORMERS), { heads: TINY_HEADS, maxBatch: fx.batch });
    expect(model.resolved).toMatchObject({ layout: 'transformers', provenance: { architecture: 'the tensor shapes' } });
    expect(model.config.layerNormEps).toBe(1e-12);
    expect(model.resolved.notes.join('\n')).toMatch(/no config\.json beside the weights: LayerNorm eps 1e-12/);
    expect(maxAbsDiff(model.forward(fx.input, fx.batch).logits, fx.logits)).toBeLessThanOrEqual(TOLERANCE);
  });
});

describe('preprocessor_config.json', () => {
  const squash = { inputSize: [3, 32, 32], cropPct: 1, cropMode: 'squash' };

  it('defaults: ViTImageProcessor (resize both sides, bilinear, mean and std 0.5)', () => {
    expect(defaultTransformersPreprocess(32).preprocess).toEqual({ ...squash, interpolation: 'bilinear', mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
    expect(preprocessFromProcessorConfig({}, 'p', 32).preprocess).toEqual(defaultTransformersPreprocess(32).preprocess);
  });

  it('is read from beside the weights by the loader', () => {
    const preprocessor = { do_resize: true, size: { height: 32, width: 32 }, resample: 3, image_mean: [0.485, 0.456, 0.406], image_std: [0.229, 0.224, 0.225] };
    const path = transformersWith(() => {}, preprocessor);
    const shapes = new Map(storedNames(TRANSFORMERS).map((name) => [name, [] as number[]]));
    const resolved = resolveStoredShapes(path, shapes, {});
    expect(resolved.preprocess).toEqual({ ...squash, interpolation: 'bicubic', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
    expect(resolved.notes).toContain('preprocessing from preprocessor_config.json');
  });

  it.each([
    [{ resample: 2, size: 32 }, { interpolation: 'bilinear' }],
    [{ resample: 3, size: [32, 32] }, { interpolation: 'bicubic' }],
    [{ resample: 0 }, { interpolation: 'nearest' }],
    [{ image_mean: 0.5, image_std: 0.25 }, { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] }],
    [{ do_normalize: false, image_mean: [0.1, 0.2, 0.3] }, { mean: [0, 0, 0], std: [1, 1, 1] }],
    [{ image_processor_type: 'ViTImageProcessor', rescale_factor: 0.00392156862745098 }, { interpolation: 'bilinear' }],
  ])('%j', (json, expected) => {
    expect(preprocessFromProcessorConfig(json, 'p', 32).preprocess).toMatchObject({ ...squash, ...expected });
  });

  it.each([
    [{ resample: 1 }, /resample 1 \(Lanczos\) is not supported \(0 nearest, 2 bilinear, 3 bicubic\)/],
    [{ size: 224 }, /size 224 differs from the model's image_size 32/],
    [{ size: { height: 32, width: 24 } }, /not a square size/],
    [{ size: { shortest_edge: 32 } }, /needs height and width/],
    [{ do_center_crop: true, crop_size: 24 }, /do_center_crop is not supported/],
    [{ rescale_factor: 1 }, /rescale_factor 1 is not supported/],
    [{ do_rescale: false }, /do_rescale false is not supported/],
    [{ image_processor_type: 'BeitImageProcessor' }, /image processor "BeitImageProcessor" is not supported/],
    [{ image_std: [0.5, 0, 0.5] }, /image_std must be at least 0.001/],
  ])('refuses %j', (json, message) => {
    expect(() => preprocessFromProcessorConfig(json, 'p', 32)).toThrow(message);
  });
});

describe('torchvision checkpoints', () => {
  it('infer the architecture from shapes, saying how the heads were chosen', async () => {
    const model = await loadVitModel(join(TORCHVISION, 'model.safetensors'));
    expect(model.resolved).toMatchObject({ layout: 'torchvision', provenance: { architecture: 'the tensor shapes' }, name: 'vit (torchvision)' });
    expect(model.config.numHeads).toBe(1); // 48 / 64 rounded: the convention, and the notes say so
    const notes = model.resolved.notes.join('\n');
    expect(notes).toMatch(/architecture inferred from the tensor shapes/);
    expect(notes).toMatch(/1 attention heads assumed .*--heads/);
    expect(notes).not.toMatch(/timm's ViT defaults/);
  });

  it("know torchvision's own sizes: vit_b_16 has 12 heads and the IMAGENET1K_V1 preprocessing", () => {
    const D = 768;
    const shapes = new Map<string, number[]>([
      ['class_token', [1, 1, D]],
      ['conv_proj.weight', [D, 3, 16, 16]],
      ['encoder.pos_embedding', [1, 197, D]],
      ['heads.head.weight', [1000, D]],
    ]);
    for (let i = 0; i < 12; i++) {
      shapes.set(`encoder.layers.encoder_layer_${i}.self_attention.in_proj_weight`, [3 * D, D]);
      shapes.set(`encoder.layers.encoder_layer_${i}.self_attention.in_proj_bias`, [3 * D]);
      shapes.set(`encoder.layers.encoder_layer_${i}.mlp.0.weight`, [4 * D, D]);
    }
    const resolved = resolveStoredShapes('vit_b_16.safetensors', shapes, {});
    expect(resolved.name).toBe('vit_b_16');
    expect(resolved.config).toMatchObject({ imgSize: 224, numHeads: 12, depth: 12, numClasses: 1000, layerNormEps: 1e-6 });
    expect(resolved.preprocess).toEqual({
      inputSize: [3, 224, 224],
      interpolation: 'bilinear',
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
      cropPct: 0.875,
      cropMode: 'center',
    });
    expect(resolved.notes.join('\n')).toMatch(/12 attention heads: torchvision's vit_b_\*/);
  });

  it('honour an explicit timm config.json', async () => {
    const fx = loadParityFixture(TINY);
    const model = await loadVitModel(join(TORCHVISION, 'model.safetensors'), { config: join(TINY, 'config.json'), maxBatch: fx.batch });
    expect(model.resolved).toMatchObject({ layout: 'torchvision', provenance: { architecture: '--config' }, name: 'vit_tiny_fixture' });
    expect(maxAbsDiff(model.forward(fx.input, fx.batch).logits, fx.logits)).toBeLessThanOrEqual(TOLERANCE);
  });

  it('refuse a representation layer (heads.pre_logits)', async () => {
    const path = checkpointCopy(TORCHVISION, (t) => {
      t['heads.pre_logits.weight'] = { shape: [48, 48], data: new Float32Array(48 * 48) };
      t['heads.pre_logits.bias'] = { shape: [48], data: new Float32Array(48) };
    });
    const e = await loadFailure(path, { heads: TINY_HEADS });
    expect(e).toBeInstanceOf(WeightsError);
    expect(e.message).toMatch(/torchvision checkpoint with a representation layer \(heads\.pre_logits\.(weight|bias), heads\.pre_logits\.(weight|bias); representation_size set\): not supported/);
  });

  it('report problems by torchvision names', async () => {
    const path = checkpointCopy(TORCHVISION, (t) => {
      delete t['encoder.layers.encoder_layer_1.mlp.3.bias'];
      t['encoder.layers.encoder_layer_0.self_attention.in_proj_bias'] = { shape: [48], data: new Float32Array(48) };
    });
    const e = (await loadFailure(path, { heads: TINY_HEADS })) as WeightsError;
    expect(e.missing).toEqual(['encoder.layers.encoder_layer_1.mlp.3.bias']);
    expect(e.message).toMatch(/wrong shape 1: encoder\.layers\.encoder_layer_0\.self_attention\.in_proj_bias: expected \[144\], found \[48\]/);
  });
});

import { describe, expect, it } from 'vitest';
import { resolveModelId } from '../../src/app/model-ids.js';
import { inferFromShapes, resolveFromTimmConfig } from '../../src/checkpoint/timm-config.js';
import { DEFAULT_MODEL, NAMED_MODELS, type NamedModel } from '../../src/vit/named-models.js';
import { countParameters, expectedTensors } from '../../src/vit/parameters.js';

function lookupNamedModel(name: string): NamedModel {
  const model = NAMED_MODELS.get(name);
  if (model === undefined) throw new Error(`no named model ${name}`);
  return model;
}

describe('named timm models', () => {
  it('vit_base_patch16_384 is the default, with timm eval preprocessing', () => {
    expect(DEFAULT_MODEL).toBe('vit_base_patch16_384');
    const spec = lookupNamedModel('vit_base_patch16_384');
    expect(spec.config).toEqual({
      imgSize: 384,
      patchSize: 16,
      inChans: 3,
      numClasses: 1000,
      embedDim: 768,
      depth: 12,
      numHeads: 12,
      mlpHiddenDim: 3072,
      qkvBias: true,
      layerNormEps: 1e-6,
    });
    expect(spec.preprocess).toEqual({
      inputSize: [3, 384, 384],
      interpolation: 'bicubic',
      mean: [0.5, 0.5, 0.5],
      std: [0.5, 0.5, 0.5],
      cropPct: 1.0,
      cropMode: 'center',
    });
  });

  // Parameter counts as timm reports them (timm model cards / `sum(p.numel())`).
  it.each([
    ['vit_base_patch16_384', 86_859_496],
    ['vit_base_patch16_224', 86_567_656],
    ['vit_large_patch16_224', 304_326_632],
  ])('%s has %i parameters', (name, count) => {
    expect(countParameters(lookupNamedModel(name).config)).toBe(count);
  });

  it('224 px models crop at 0.9, 384 px at 1.0', () => {
    expect(lookupNamedModel('vit_small_patch32_224').preprocess.cropPct).toBe(0.9);
    expect(lookupNamedModel('vit_tiny_patch16_384').preprocess.cropPct).toBe(1.0);
    expect(NAMED_MODELS.size).toBe(14);
  });

  it('a model whose only weights are headless has no classes', () => {
    expect(lookupNamedModel('vit_large_patch32_224').config.numClasses).toBe(0);
    expect(lookupNamedModel('vit_large_patch32_384').config.numClasses).toBe(1000);
  });

  it('suggests the closest name for a typo', () => {
    expect(() => resolveModelId('vit_base_patch16_348')).toThrow(/unknown model 'vit_base_patch16_348'; did you mean vit_base_patch16_384/);
  });
});

describe('timm config.json', () => {
  const tinyShapes = new Map(expectedTensors({ imgSize: 32, patchSize: 8, inChans: 3, numClasses: 10, embedDim: 48, depth: 2, numHeads: 3, mlpHiddenDim: 192, qkvBias: true, layerNormEps: 1e-6 }));

  it('model_args override the named architecture and pretrained_cfg the preprocessing', () => {
    const resolved = resolveFromTimmConfig(
      {
        architecture: 'vit_base_patch16_384',
        num_classes: 21,
        model_args: { depth: 3, mlp_ratio: 2.5 },
        pretrained_cfg: { input_size: [3, 384, 384], interpolation: 'bilinear', crop_pct: 0.875, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
        label_names: ['a', 'b'],
      },
      'config.json',
      new Map(),
    );
    expect(resolved.config).toMatchObject({ depth: 3, numClasses: 21, mlpHiddenDim: 1920, embedDim: 768, numHeads: 12 });
    expect(resolved.preprocess).toMatchObject({ interpolation: 'bilinear', cropPct: 0.875, mean: [0.485, 0.456, 0.406], cropMode: 'center' });
    expect(resolved.labelNames).toEqual(['a', 'b']);
    expect(resolved.preprocessFrom).toBe('config.json (pretrained_cfg)');
  });

  it('an unknown architecture takes its widths from model_args and the weights', () => {
    const resolved = resolveFromTimmConfig(
      { architecture: 'my_vit', num_classes: 10, model_args: { img_size: 32, patch_size: 8, embed_dim: 48, depth: 2, num_heads: 3, mlp_ratio: 4.0 } },
      'config.json',
      tinyShapes,
    );
    expect(resolved.config).toMatchObject({ imgSize: 32, patchSize: 8, embedDim: 48, depth: 2, numHeads: 3, mlpHiddenDim: 192, numClasses: 10 });
    expect(resolved.notes.join()).toMatch(/not a named timm ViT/);
  });

  it.each([
    [{ global_pool: 'avg' }, /model_args.global_pool = "avg" is not supported/],
    [{ class_token: false }, /model_args.class_token = false is not supported/],
    [{ init_values: 1e-5 }, /model_args.init_values = 0.00001 is not supported/],
    [{ reg_tokens: 4 }, /model_args.reg_tokens = 4 is not supported/],
  ])('refuses ViT variants it does not implement: %j', (args, message) => {
    expect(() => resolveFromTimmConfig({ architecture: 'vit_base_patch16_384', model_args: args }, 'c.json', new Map())).toThrow(message);
  });

  it('ignores training-only arguments', () => {
    const resolved = resolveFromTimmConfig({ architecture: 'vit_base_patch16_384', model_args: { drop_path_rate: 0.1, drop_rate: 0.1 } }, 'c.json', new Map());
    expect(resolved.config.depth).toBe(12);
  });

  it('rejects impossible preprocessing values', () => {
    const bad = (pretrained_cfg: object) => () => resolveFromTimmConfig({ architecture: 'vit_base_patch16_384', pretrained_cfg }, 'c.json', new Map());
    expect(bad({ crop_pct: 16.5 })).toThrow(/crop_pct must be in \[1\/16, 16\], found 16.5/);
    expect(bad({ interpolation: 'lanczos' })).toThrow(/interpolation 'lanczos' is not supported/);
    expect(bad({ mean: [0.5, 0.5] })).toThrow(/mean must be three numbers/);
    expect(bad({ std: [0.5, 0, 0.5] })).toThrow(/std must be at least 0.001/);
  });

  it('rejects a non-square or inconsistent architecture', () => {
    expect(() => resolveFromTimmConfig({ architecture: 'vit_base_patch16_384', model_args: { img_size: [384, 256] } }, 'c.json', new Map())).toThrow(/not square/);
    expect(() => resolveFromTimmConfig({ architecture: 'vit_base_patch16_384', model_args: { num_heads: 7 } }, 'c.json', new Map())).toThrow(
      /embedDim 768 is not divisible by numHeads 7/,
    );
  });
});

describe('inference from tensor shapes', () => {
  const base = lookupNamedModel('vit_base_patch16_384').config;

  it("recovers every width of ViT-B/16-384 and, as its shapes are exactly that model's, its heads and preprocessing", () => {
    const resolved = inferFromShapes(expectedTensors(base), 'w.safetensors');
    expect(resolved.config).toEqual(base);
    // crop_pct 1.0 is vit_base_patch16_384's; timm's generic ViT default would be 0.9.
    expect(resolved.preprocess).toEqual(lookupNamedModel('vit_base_patch16_384').preprocess);
    expect(resolved.notes.join('\n')).toMatch(/the shapes are exactly vit_base_patch16_384's/);
    expect(resolved.preprocessFrom).toMatch(/named model vit_base_patch16_384/);
  });

  it('shapes of no named model get 64-wide heads and timm\'s generic preprocessing', () => {
    const resolved = inferFromShapes(expectedTensors({ ...base, depth: 5 }), 'w.safetensors');
    expect(resolved.config).toEqual({ ...base, depth: 5 });
    expect(resolved.notes.join('\n')).toMatch(/12 attention heads assumed/);
    expect(resolved.preprocess.cropPct).toBe(0.9);
  });

  it('takes the head count from an option and notices a missing qkv bias', () => {
    const shapes = expectedTensors({ ...base, qkvBias: false, depth: 3 });
    const resolved = inferFromShapes(shapes, 'w.safetensors', 6);
    expect(resolved.config).toMatchObject({ numHeads: 6, qkvBias: false, depth: 3 });
  });

  it('names the tensor it could not use', () => {
    const shapes = expectedTensors(base);
    shapes.delete('pos_embed');
    expect(() => inferFromShapes(shapes, 'w.safetensors')).toThrow(/w.safetensors: cannot infer the architecture: 'pos_embed' is missing/);
  });
});

import { describe, expect, it } from 'vitest';
import { HubError } from '../../src/hub/errors.js';
import { listKnownModelIds, resolveModelId } from '../../src/app/model-ids.js';
import { NAMED_MODELS } from '../../src/vit/named-models.js';

function resolveError(id: string): HubError {
  try {
    resolveModelId(id);
  } catch (error) {
    expect(error).toBeInstanceOf(HubError);
    return error as HubError;
  }
  throw new Error(`expected ${id} to be rejected`);
}

describe('resolveModelId: timm names', () => {
  it('maps a bare name to timm default tag, main, safetensors + optional config', () => {
    expect(resolveModelId('vit_base_patch16_384')).toEqual({
      id: 'vit_base_patch16_384',
      repo: 'timm/vit_base_patch16_384.augreg_in21k_ft_in1k',
      revision: 'main',
      files: [
        { path: 'model.safetensors', role: 'weights', optional: false },
        { path: 'config.json', role: 'config', optional: true },
      ],
      named: NAMED_MODELS.get('vit_base_patch16_384'),
      tag: 'augreg_in21k_ft_in1k',
      numClasses: 1000,
    });
  });

  it('uses the first tag listed in timm default_cfgs as the default (augreg2 for base/16 224)', () => {
    expect(resolveModelId('vit_base_patch16_224').repo).toBe('timm/vit_base_patch16_224.augreg2_in21k_ft_in1k');
    expect(resolveModelId('vit_large_patch32_384').repo).toBe('timm/vit_large_patch32_384.orig_in21k_ft_in1k');
    expect(resolveModelId('vit_tiny_patch16_224').repo).toBe('timm/vit_tiny_patch16_224.augreg_in21k_ft_in1k');
  });

  it('accepts name.tag for a known tag', () => {
    const resolved = resolveModelId('vit_base_patch16_384.orig_in21k_ft_in1k');
    expect(resolved.repo).toBe('timm/vit_base_patch16_384.orig_in21k_ft_in1k');
    expect(resolved.tag).toBe('orig_in21k_ft_in1k');
    expect(resolved.revision).toBe('main');
  });

  it('reports the classifier size so headless checkpoints can be refused', () => {
    expect(resolveModelId('vit_base_patch16_224.mae').numClasses).toBe(0);
    expect(resolveModelId('vit_base_patch16_224.augreg_in21k').numClasses).toBe(21843);
  });

  it('lists only combinations that exist in timm (no vit_tiny_patch32)', () => {
    const names = [...NAMED_MODELS.keys()];
    expect(names).toHaveLength(14);
    expect(names.some((n) => n.startsWith('vit_tiny_patch32'))).toBe(false);
    for (const name of names) expect(name).toMatch(/^vit_(tiny|small|base|large)_patch(16|32)_(224|384)$/);
    expect(listKnownModelIds()).toContain('vit_small_patch16_224.dino');
    expect(new Set(listKnownModelIds()).size).toBe(listKnownModelIds().length);
  });
});

describe('resolveModelId: hf-hub ids', () => {
  it('accepts hf-hub:ORG/NAME with main as revision', () => {
    const resolved = resolveModelId('hf-hub:timm/vit_small_patch16_224.dino');
    expect(resolved.repo).toBe('timm/vit_small_patch16_224.dino');
    expect(resolved.revision).toBe('main');
    // any repository may be a transformers checkpoint, whose preprocessing is in preprocessor_config.json
    expect(resolved.files.map((f) => f.path)).toEqual(['model.safetensors', 'config.json', 'preprocessor_config.json']);
    expect(resolved.named).toBeUndefined();
  });

  it('accepts @REV (branch, tag or commit) and the hf_hub: spelling timm also accepts', () => {
    expect(resolveModelId('hf-hub:org/name@v1.0').revision).toBe('v1.0');
    const commit = 'a'.repeat(40);
    expect(resolveModelId(`hf_hub:org/name@${commit}`)).toMatchObject({ repo: 'org/name', revision: commit });
    expect(resolveModelId('hf-hub:org/name@refs/pr/1').revision).toBe('refs/pr/1');
  });

  it.each([
    'hf-hub:noslash',
    'hf-hub:a/b/c',
    'hf-hub:../etc',
    'hf-hub:a--b/c',
    'hf-hub:org/name@../../escape',
    'hf-hub:org/name@',
    'hf-hub:org/na me',
  ])('rejects malformed %s with INVALID_ID', (id) => {
    expect(resolveError(id).code).toBe('INVALID_ID');
  });
});

describe('resolveModelId: unknown ids', () => {
  it('suggests the closest known names for a typo', () => {
    const error = resolveError('vit_base_patch16_385');
    expect(error.code).toBe('UNKNOWN_MODEL');
    expect(error.suggestions[0]).toBe('vit_base_patch16_384');
    expect(error.message).toContain('did you mean vit_base_patch16_384');
    expect(error.message).toContain('hf-hub:');
  });

  it('treats dashes like underscores when suggesting', () => {
    expect(resolveError('vit-small-patch16-224').suggestions[0]).toBe('vit_small_patch16_224');
  });

  it('suggests known tags for an unknown tag of a known model', () => {
    const error = resolveError('vit_base_patch16_384.augreg_in1kk');
    expect(error.code).toBe('UNKNOWN_MODEL');
    expect(error.suggestions[0]).toBe('vit_base_patch16_384.augreg_in1k');
    expect(error.message).toContain('hf-hub:timm/vit_base_patch16_384.augreg_in1kk');
  });

  it('points a bare ORG/NAME at the hf-hub: form', () => {
    expect(resolveError('timm/vit_x').message).toContain('hf-hub:timm/vit_x');
  });
});

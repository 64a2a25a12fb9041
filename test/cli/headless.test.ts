// Weights without a classifier head (timm's num_classes=0: the in21k pretrains, dino, mae): `vit
// embed` gives their features (the class token after the final norm: no head is needed), while
// `vit classify` refuses them with a one-line model error (exit 3). The headless checkpoint is
// the tiny fixture without head.weight and head.bias, and a config.json saying num_classes 0, so
// its features must be the tiny fixture's own.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadVitModel } from '../../src/app/load-model.js';
import { encodeSafetensors, SafetensorsBuffer } from '../../src/safetensors/index.js';
import { expectParity, loadParityFixture, maxAbsDiff, MODEL_FIXTURES, PARITY_TOLERANCE } from '../model/fixtures.js';
import { IMAGES, isolateHub, runInProcess, TINY_WEIGHTS } from './run.js';

const CAT = join(IMAGES, 'cat.jpg');

isolateHub();

/** The tiny fixture without its head, and its config.json with num_classes 0, in a folder of its own. */
function headlessTiny(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vit-headless-'));
  const checkpoint = SafetensorsBuffer.read(TINY_WEIGHTS);
  const tensors = Object.fromEntries(
    checkpoint.names.filter((n) => !n.startsWith('head.')).map((n) => [n, { shape: checkpoint.info(n).shape, data: checkpoint.float32(n) }]),
  );
  writeFileSync(join(dir, 'model.safetensors'), encodeSafetensors(tensors));
  const config = JSON.parse(readFileSync(join(MODEL_FIXTURES, 'tiny', 'config.json'), 'utf8'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, num_classes: 0, pretrained_cfg: { ...config.pretrained_cfg, num_classes: 0 } }));
  return join(dir, 'model.safetensors');
}

describe('a checkpoint without a classifier head', () => {
  it('loads for features: the tiny fixture reference features, no logits', async () => {
    const fx = loadParityFixture(join(MODEL_FIXTURES, 'tiny'));
    const model = await loadVitModel(headlessTiny(), { task: 'embed', maxBatch: fx.batch });
    expect(model.config.numClasses).toBe(0);
    const out = model.forward(fx.input, fx.batch);
    expect(out.logits).toHaveLength(0);
    expect(maxAbsDiff(out.features, fx.features)).toBeLessThanOrEqual(PARITY_TOLERANCE);
    // and the same weights with their head still give the fixture's logits
    expectParity((await loadVitModel(fx.weights, { maxBatch: fx.batch })).forward(fx.input, fx.batch), fx);
  });

  it('vit embed gives the same features as the model with its head', async () => {
    const headless = await runInProcess(['embed', CAT, '--weights', headlessTiny(), '--quiet']);
    expect(headless.stderr).toBe('');
    expect(headless.code).toBe(0);
    const withHead = await runInProcess(['embed', CAT, '--weights', TINY_WEIGHTS, '--quiet']);
    expect(JSON.parse(headless.stdout).features).toEqual(JSON.parse(withHead.stdout).features);
  });

  it('vit info describes it', async () => {
    const { code, stdout } = await runInProcess(['info', '--weights', headlessTiny()]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^classes +0 \(no classifier head: a feature extractor\)$/m);
  });

  it('vit classify refuses it: one line, exit 3, pointing to vit embed', async () => {
    const { code, stdout, stderr } = await runInProcess(['classify', CAT, '--weights', headlessTiny(), '--quiet']);
    expect(code).toBe(3);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^vit: vit_tiny_fixture: these weights have no classifier head \(a feature extractor\), so they cannot classify; `vit embed` gives their features\n$/);
  });
});

describe('a headless tag of the model table', () => {
  const HEADLESS = 'vit_base_patch16_224.orig_in21k';

  it('classify refuses it before downloading anything', async () => {
    const { code, stderr } = await runInProcess(['classify', CAT, '--model', HEADLESS, '--quiet']);
    expect(code).toBe(3);
    expect(stderr).toMatch(/these weights have no classifier head \(a feature extractor\), so they cannot classify; .*vit embed/);
  });

  it('embed takes it: it goes on to fetch the weights (here: offline, not cached)', async () => {
    const { code, stderr } = await runInProcess(['embed', CAT, '--model', HEADLESS, '--offline', '--quiet']);
    expect(code).toBe(3);
    expect(stderr).not.toMatch(/no classifier head/);
    expect(stderr).toMatch(/timm\/vit_base_patch16_224\.orig_in21k/);
  });
});

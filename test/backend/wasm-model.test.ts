// The whole forward pass on the wasm backend against torchvision's VisionTransformer run in
// float64 (the parity fixtures of test/model/, from scripts/make_fixtures.py), for both kernels
// on 1 and 2 threads, with the reference backend's tolerance (test/model/parity.test.ts: 1e-4
// on logits and features, same top-5). The full-size ViT-B/16-384 fixture, when present, runs
// here in seconds (the reference backend needs minutes).

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import type { WasmBackend } from '../../src/backend/wasm/index.js';
import { loadVitModel } from '../../src/app/load-model.js';
import { KERNEL_CONFIGS, useWasmBackend } from './wasm-helpers.js';
import { expectParity, FULL_FIXTURE, loadParityFixture, MODEL_FIXTURES, modelFixtureNames } from '../model/fixtures.js';

const hasFull = existsSync(join(FULL_FIXTURE, 'model.safetensors'));

describe.each(KERNEL_CONFIGS)('forward pass on wasm (relaxedSimd $relaxedSimd, $threads thread(s)) equals torchvision', ({ relaxedSimd, threads }) => {
  let backend: WasmBackend;
  useWasmBackend({ relaxedSimd, threads }, (created) => (backend = created));

  const fixtures = modelFixtureNames().map((name) => [name, join(MODEL_FIXTURES, name)]);
  if (hasFull && threads === 2) fixtures.push(['full-size vit_base_patch16_384', FULL_FIXTURE]);
  it.each(fixtures)('%s: logits and features within 1e-4, same top-5', async (_name, dir) => {
    const fx = loadParityFixture(dir);
    const model = await loadVitModel(fx.weights, { backend, maxBatch: fx.batch });
    expectParity(model.forward(fx.input, fx.batch), fx);
  });
});

// Attention rollout and raw class-token attention against torchvision: the fixtures
// (scripts/make_explain_fixture.py) hold, per image, the class token's row of the full rollout
// product R_L @ ... @ R_1 (R_l = 0.5 mean_h A_l + 0.5 I, rows renormalized) and of every block's
// and head's attention, from torchvision's own nn.MultiheadAttention weights in float64 on the
// parity fixtures' weights and inputs. Ours: the probabilities the backend's attention kernels
// record during our float32 forward pass, reduced by app/explain/rollout.ts (vector order).
//
// Tolerance, relative per value: |ours - theirs| <= 1e-4 |theirs| + 1e-9. A probability is
// exp(s_j - logsumexp(s)), so its relative error is at most twice the largest absolute error of
// the scores s; our float32 activations keep those within ~1e-6..1e-5 of float64 (the same
// rounding the parity tests bound by 1e-4 on logits), and the exp and sum in float32 add ~T u.
// The rollout only multiplies and adds positive numbers, which keeps a relative bound. Measured:
// about 1e-7 relative on these fixtures (2e-7 at worst). The bugs this catches (no residual, another block or head, the
// product in the other order, a transposed matrix) change values by far more (checked below for
// the fixture itself: the rollout and a single block's attention differ by > 1e-2 relative).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../../src/backend/reference/backend.js';
import type { Backend } from '../../src/backend/types.js';
import { createBackend } from '../../src/backend/index.js';
import { loadVitModel } from '../../src/app/load-model.js';
import { ClassAttention, type ExplainTarget } from '../../src/app/explain/rollout.js';
import type { BlockAttention } from '../../src/vit/model.js';
import { FIXTURES, loadParityFixture, MODEL_FIXTURES } from '../model/fixtures.js';

interface ExplainFixture {
  model: string;
  grid: [number, number];
  depth: number;
  heads: number;
  tokens: number;
  images: { rollout: number[]; layers: { mean: number[]; heads: number[][] }[] }[];
}

const NAMES = ['tiny', 'narrow384', 'no_qkv_bias'];
const RELATIVE = 1e-4;
const ABSOLUTE = 1e-9;

function readFixture(name: string): ExplainFixture {
  return JSON.parse(readFileSync(join(FIXTURES, 'explain', `${name}.json`), 'utf8')) as ExplainFixture;
}

/** Largest |ours - theirs| / (RELATIVE |theirs| + ABSOLUTE): <= 1 passes. */
function worstRatio(ours: ArrayLike<number>, theirs: readonly number[]): number {
  expect(ours.length).toBe(theirs.length);
  let worst = 0;
  for (let i = 0; i < theirs.length; i++) worst = Math.max(worst, Math.abs(ours[i] - theirs[i]) / (RELATIVE * Math.abs(theirs[i]) + ABSOLUTE));
  return worst;
}

function maxRelative(a: readonly number[], b: readonly number[]): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.abs(b[i]));
  return worst;
}

const backends: Backend[] = [];
afterAll(() => backends.forEach((b) => b.dispose()));

describe.each(['ref', 'wasm'] as const)('explain: rollout and raw attention equal torchvision (%s backend)', (backendName) => {
  // maxBatch 1 with a batch of 2: the forward pass runs in chunks, and each collector must pick
  // its chunk; maxBatch 2: both images in one chunk, each collector its slice of the probabilities.
  it.each(NAMES.flatMap((name) => [1, 2].map((maxBatch) => [name, maxBatch] as const)))('%s, maxBatch %i: every image, the rollout and every block and head', async (name, maxBatch) => {
    const fixture = readFixture(name);
    const parity = loadParityFixture(join(MODEL_FIXTURES, name));
    const backend = backendName === 'ref' ? new ReferenceBackend() : await createBackend('wasm', { threads: 2 });
    backends.push(backend);
    const model = await loadVitModel(parity.weights, { backend, maxBatch });
    expect(fixture.images.length).toBe(parity.batch);
    expect(fixture.grid[0] * fixture.grid[1]).toBe(fixture.tokens - 1);

    const collectors: { image: number; target: ExplainTarget; expected: number[]; what: string; collector: ClassAttention }[] = [];
    fixture.images.forEach((expected, image) => {
      const add = (target: ExplainTarget, values: number[], what: string) =>
        collectors.push({ image, target, expected: values, what, collector: new ClassAttention(target, image) });
      add({ kind: 'rollout' }, expected.rollout, 'rollout');
      expected.layers.forEach((layer, l) => {
        add({ kind: 'attention', layer: l }, layer.mean, `layer ${l} (mean of heads)`);
        layer.heads.forEach((values, h) => add({ kind: 'attention', layer: l, head: h }, values, `layer ${l} head ${h}`));
      });
    });
    const seen: number[] = [];
    const record = (block: BlockAttention) => {
      seen.push(block.layer);
      for (const c of collectors) c.collector.record(block);
    };
    const plain = model.forward(parity.input, parity.batch);
    const explained = model.vit.forward(parity.input, parity.batch, { attention: record });
    // Recording changes no output bit.
    expect(explained.logits).toEqual(plain.logits);
    const chunks = Math.ceil(parity.batch / maxBatch);
    expect(seen).toEqual(Array.from({ length: chunks }, () => [...Array(fixture.depth).keys()]).flat());
    for (const c of collectors) {
      const ratio = worstRatio(c.collector.patchRow(), c.expected);
      if (!(ratio <= 1)) expect.fail(`${name} image ${c.image} ${c.what}: error ${ratio.toFixed(2)} x the tolerance`);
    }
    // The comparison can tell the targets apart: the rollout is no single block's attention.
    for (const image of fixture.images) {
      for (const layer of image.layers) expect(maxRelative(image.rollout, layer.mean)).toBeGreaterThan(1e-2);
    }
  }, 120_000);
});

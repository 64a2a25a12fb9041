// Locating the committed parity fixtures made by scripts/make_fixtures.py (torchvision's
// VisionTransformer with seeded random weights, renamed to timm's layout).

import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { ForwardResult } from '../../src/vit/model.js';
import { SafetensorsBuffer } from '../../src/safetensors/index.js';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
/** The parity fixtures ship with the package (`vit verify` checks them): a top-level folder. */
export const MODEL_FIXTURES = join(FIXTURES, '..', '..', 'fixtures', 'models');
/** The full-size ViT-B/16-384 made by `npm run fixtures -- --full` (347 MB, never committed). */
export const FULL_FIXTURE = join(FIXTURES, 'full', 'vit_base_patch16_384');

export interface ParityFixture {
  name: string;
  dir: string;
  weights: string;
  input: Float32Array;
  batch: number;
  logits: Float32Array;
  features: Float32Array;
  numClasses: number;
  embedDim: number;
}

export function modelFixtureNames(): string[] {
  return readdirSync(MODEL_FIXTURES).filter((n) => existsSync(join(MODEL_FIXTURES, n, 'model.safetensors'))).sort();
}

/** The fixture model in `dir` and its reference outputs (another reference file: the model run another way, e.g. at another size). */
export function loadParityFixture(dir: string, referenceFile = join(dir, 'reference.safetensors')): ParityFixture {
  const reference = SafetensorsBuffer.read(referenceFile);
  const [batch, numClasses] = reference.info('logits').shape;
  return {
    name: dir.split('/').pop()!,
    dir,
    weights: join(dir, 'model.safetensors'),
    input: reference.float32('input'),
    batch,
    logits: reference.float32('logits'),
    features: reference.float32('features'),
    numClasses,
    embedDim: reference.info('features').shape[1],
  };
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

/** Indices of the k largest values, largest first (ties: lower index first). */
export function topK(values: Float32Array, k: number): number[] {
  return [...values.keys()].sort((i, j) => values[j] - values[i] || i - j).slice(0, k);
}

/**
 * Parity tolerance on logits and features. Our activations are float32 between ops (the
 * reference ran in float64), so rounding compounds through the blocks to ~1e-6..1e-5; the bugs the
 * fixtures are built to catch (tanh GELU, wrong eps, a missing bias) move logits by 1e-3 or more.
 */
export const PARITY_TOLERANCE = 1e-4;

/** Our outputs equal the fixture's within PARITY_TOLERANCE, with the same top-5 per sample. */
export function expectParity(out: ForwardResult, fx: ParityFixture): void {
  expect(maxAbsDiff(out.features, fx.features)).toBeLessThanOrEqual(PARITY_TOLERANCE);
  expect(maxAbsDiff(out.logits, fx.logits)).toBeLessThanOrEqual(PARITY_TOLERANCE);
  for (let b = 0; b < fx.batch; b++) {
    const row = (a: Float32Array) => a.subarray(b * fx.numClasses, (b + 1) * fx.numClasses);
    expect(topK(row(out.logits), 5)).toEqual(topK(row(fx.logits), 5));
  }
}

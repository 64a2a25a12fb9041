// A ViT checkpoint with seeded random weights, written once to a temp folder and reused (the
// loader checks every name and shape, so a stale or truncated file fails loudly). No download:
// timing does not depend on the values, only on the shapes. BENCH_FRESH=1 rewrites it.

import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NAMED_MODELS } from '../dist/vit/named-models.js';
import { expectedTensors, numel } from '../dist/vit/parameters.js';
import { encodeSafetensors } from '../dist/safetensors/index.js';

/** Path of model.safetensors for `modelName` (a timm name), creating it if needed. */
export function benchCheckpoint(modelName, seed = 1) {
  const spec = NAMED_MODELS.get(modelName);
  if (spec === undefined) throw new Error(`bench: unknown model ${modelName}`);
  const dir = join(tmpdir(), 'vit-bench', `${modelName}-seed${seed}`);
  const file = join(dir, 'model.safetensors');
  const shapes = expectedTensors(spec.config);
  const floats = [...shapes.values()].reduce((n, shape) => n + numel(shape), 0);
  if (process.env.BENCH_FRESH !== '1' && existsSync(file) && statSync(file).size > floats * 4) return file;

  let state = seed >>> 0;
  // timm initialises weights as trunc_normal(std=0.02); a uniform of the same spread will do.
  const uniform = (a) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return ((state >>> 0) / 4294967296 * 2 - 1) * a;
  };
  const tensors = {};
  for (const [name, shape] of shapes) {
    const data = new Float32Array(numel(shape));
    const isNormWeight = /norm\d?\.weight$/.test(name);
    const spread = name.endsWith('.bias') ? 0.01 : 0.02 * Math.sqrt(3);
    for (let i = 0; i < data.length; i++) data[i] = (isNormWeight ? 1 : 0) + uniform(isNormWeight ? 0.05 : spread);
    tensors[name] = { shape, data };
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, encodeSafetensors(tensors, { format: 'pt', note: 'random weights for bench/' }));
  return file;
}

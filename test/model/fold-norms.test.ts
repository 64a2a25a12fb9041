// The LayerNorm fold (src/vit/fold-norms.ts): hand-computed on a two-channel model, and the same
// function in float32 on the parity fixtures (the outlier fixture above all, where gamma is 40x);
// and int8 loads apply it unless told not to.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../../src/backend/reference/backend.js';
import type { Backend } from '../../src/backend/types.js';
import { createWasmBackend, relaxedSimdSupported } from '../../src/backend/wasm/index.js';
import { measureAgreement } from '../../src/app/agreement.js';
import { loadModel, loadVitModel } from '../../src/app/load-model.js';
import { SafetensorsBuffer } from '../../src/safetensors/index.js';
import type { VitConfig } from '../../src/vit/config.js';
import { foldedNorms, foldLayerNorms } from '../../src/vit/fold-norms.js';
import { VitModel } from '../../src/vit/model.js';
import type { TensorSource } from '../../src/vit/weights.js';
import { loadParityFixture, maxAbsDiff, MODEL_FIXTURES } from './fixtures.js';

const CONFIG: VitConfig = { imgSize: 2, patchSize: 1, inChans: 3, numClasses: 2, embedDim: 2, depth: 1, numHeads: 1, mlpHiddenDim: 3, qkvBias: true, layerNormEps: 1e-6 };

function mapSource(tensors: Record<string, number[]>): TensorSource & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    readInto(name, dest) {
      reads.push(name);
      const t = tensors[name];
      if (t === undefined || t.length !== dest.length) throw new Error(`${name}: ${t?.length} values for ${dest.length}`);
      dest.set(t);
    },
  };
}

function readAs(source: TensorSource, name: string, length: number): number[] {
  const out = new Float32Array(length);
  source.readInto(name, out);
  return [...out];
}

const TENSORS = {
  'blocks.0.norm1.weight': [2, 3],
  'blocks.0.norm1.bias': [1, -1],
  'blocks.0.attn.qkv.weight': [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], // [6][2]
  'blocks.0.attn.qkv.bias': [0.5, 0, 0, 0, 0, 0],
  'blocks.0.norm2.weight': [-1, 0.5],
  'blocks.0.norm2.bias': [0.25, 2],
  'blocks.0.mlp.fc1.weight': [1, 0, 0, 1, 2, -2], // [3][2]
  'blocks.0.mlp.fc1.bias': [0, 1, -1],
  'blocks.0.attn.proj.weight': [1, 2, 3, 4],
  'norm.weight': [7, 8],
  'norm.bias': [9, 10],
};

describe('foldLayerNorms by hand', () => {
  it('moves gamma into the columns of W and beta into the bias, and leaves the norms as identity', () => {
    const folded = foldLayerNorms(CONFIG, mapSource(TENSORS));
    expect(readAs(folded, 'blocks.0.norm1.weight', 2)).toEqual([1, 1]);
    expect(readAs(folded, 'blocks.0.norm1.bias', 2)).toEqual([0, 0]);
    // W diag([2, 3])
    expect(readAs(folded, 'blocks.0.attn.qkv.weight', 12)).toEqual([2, 6, 6, 12, 10, 18, 14, 24, 18, 30, 22, 36]);
    // b + W [1, -1]: row r is b[r] + W[r][0] - W[r][1]
    expect(readAs(folded, 'blocks.0.attn.qkv.bias', 6)).toEqual([-0.5, -1, -1, -1, -1, -1]);
    expect(readAs(folded, 'blocks.0.norm2.weight', 2)).toEqual([1, 1]);
    expect(readAs(folded, 'blocks.0.norm2.bias', 2)).toEqual([0, 0]);
    // W diag([-1, 0.5]); b + W [0.25, 2]
    expect(readAs(folded, 'blocks.0.mlp.fc1.weight', 6)).toEqual([-1, 0, -0, 0.5, -2, -1]);
    expect(readAs(folded, 'blocks.0.mlp.fc1.bias', 3)).toEqual([0.25, 3, -4.5]);
  });

  it('passes every other tensor through, the final norm included (its output is the features)', () => {
    const folded = foldLayerNorms(CONFIG, mapSource(TENSORS));
    expect(readAs(folded, 'blocks.0.attn.proj.weight', 4)).toEqual([1, 2, 3, 4]);
    expect(readAs(folded, 'norm.weight', 2)).toEqual([7, 8]);
    expect(readAs(folded, 'norm.bias', 2)).toEqual([9, 10]);
  });

  it('leaves norm1 alone when qkv has no bias to take beta', () => {
    const config = { ...CONFIG, qkvBias: false };
    expect(foldedNorms(config)).toEqual([{ norm: 'blocks.0.norm2', linear: 'blocks.0.mlp.fc1' }]);
    const folded = foldLayerNorms(config, mapSource(TENSORS));
    expect(readAs(folded, 'blocks.0.norm1.weight', 2)).toEqual([2, 3]);
    expect(readAs(folded, 'blocks.0.norm1.bias', 2)).toEqual([1, -1]);
    expect(readAs(folded, 'blocks.0.attn.qkv.weight', 12)).toEqual(TENSORS['blocks.0.attn.qkv.weight']);
    expect(readAs(folded, 'blocks.0.norm2.weight', 2)).toEqual([1, 1]);
  });
});

/** The fixture's checkpoint as a TensorSource (the fixtures are in timm's layout). */
function checkpointSource(path: string): TensorSource {
  const file = SafetensorsBuffer.read(path);
  return { readInto: (name, dest) => dest.set(file.float32(name)) };
}

// Folding changes float32 rounding only: the logits stay within the parity tolerance of the
// float64 reference (1e-4, PARITY_TOLERANCE) and within 1e-5 of the unfolded float32 run (measured
// on the seven bundled fixtures: at most 1.2e-6; a fold that dropped beta moves them by 0.15 to 2.2).
const FOLD_TOLERANCE = 1e-5;

describe('foldLayerNorms keeps the float32 function', () => {
  for (const name of ['int8_outliers', 'int8_plain', 'tiny', 'no_qkv_bias']) {
    it(`${name}: same logits and features as unfolded within ${FOLD_TOLERANCE}`, async () => {
      const fx = loadParityFixture(join(MODEL_FIXTURES, name));
      const plain = await loadVitModel(fx.weights, { backend: new ReferenceBackend(), maxBatch: fx.batch });
      const config = plain.config;
      const folded = VitModel.create(config, new ReferenceBackend(), foldLayerNorms(config, checkpointSource(fx.weights)), fx.batch);
      const ours = plain.forward(fx.input, fx.batch);
      const out = folded.forward(fx.input, fx.batch);
      expect(maxAbsDiff(out.logits, ours.logits)).toBeLessThanOrEqual(FOLD_TOLERANCE);
      expect(maxAbsDiff(out.features, ours.features)).toBeLessThanOrEqual(FOLD_TOLERANCE);
      expect(maxAbsDiff(out.logits, fx.logits)).toBeLessThanOrEqual(1e-4);
    });
  }

  it('is not the identity: the outlier fixture’s norms read as identity after folding', () => {
    const fx = join(MODEL_FIXTURES, 'int8_outliers', 'model.safetensors');
    const source = checkpointSource(fx);
    const gamma = new Float32Array(48);
    source.readInto('blocks.0.norm1.weight', gamma);
    expect(Math.max(...gamma)).toBeGreaterThan(10); // the injected 40x channels
    const folded = foldLayerNorms({ ...CONFIG, embedDim: 48, depth: 3 }, source);
    folded.readInto('blocks.0.norm1.weight', gamma);
    expect([...new Set(gamma)]).toEqual([1]);
  });
});

// A load does not read through foldLayerNorms: the backend folds each Linear as it packs it (the
// wasm backend on its kernel threads, assembly/pack_i8.ts). Its packed bytes must be the ones that
// packing the folded tensors gives, on every backend and build.
describe('the backends fold as they pack, byte for byte as packing the folded tensors', () => {
  const backends: [string, () => Promise<Backend>][] = [
    ['ref', async () => new ReferenceBackend('int8')],
    ['wasm relaxed, fused dot, 2 threads', () => createWasmBackend({ relaxedSimd: true, threads: 2, precision: 'int8', int8Dot: 'fused' })],
    ['wasm plain SIMD, 1 thread', () => createWasmBackend({ relaxedSimd: false, threads: 1, precision: 'int8' })],
  ];
  for (const name of ['int8_outliers', 'tiny', 'no_qkv_bias', 'narrow384']) {
    for (const [kind, make] of backends) {
      it.runIf(kind !== 'wasm relaxed, fused dot, 2 threads' || relaxedSimdSupported())(`${name}, ${kind}`, async () => {
        const fx = loadParityFixture(join(MODEL_FIXTURES, name));
        const { config } = await loadVitModel(fx.weights, { backend: new ReferenceBackend(), maxBatch: 1 });
        const [packing, reading] = [await make(), await make()];
        try {
          const folded = VitModel.create(config, packing, checkpointSource(fx.weights), 1, undefined, { foldNorms: true });
          const expected = VitModel.create(config, reading, foldLayerNorms(config, checkpointSource(fx.weights)), 1);
          expect(folded.weightBytes.byteLength).toBe(expected.weightBytes.byteLength);
          expect(Buffer.from(folded.weightBytes).equals(Buffer.from(expected.weightBytes))).toBe(true);
          // Not vacuous: without the fold the bytes differ.
          const unfolded = VitModel.create(config, await make(), checkpointSource(fx.weights), 1);
          expect(Buffer.from(unfolded.weightBytes).equals(Buffer.from(expected.weightBytes))).toBe(false);
          unfolded.backend.dispose();
        } finally {
          packing.dispose();
          reading.dispose();
        }
      });
    }
  }

  it('a fold is for int8 Linears with a bias: the backends say so', async () => {
    const fold = { gamma: new Float32Array(3).fill(1), beta: new Float32Array(3) };
    for (const backend of [new ReferenceBackend(), await createWasmBackend({ threads: 1 })]) {
      const arena = backend.createArena(backend.linearFloats(2, 3) * 4 + backend.scratchFloats(2, 3) * 4 + 4096);
      const w = backend.placeLinear(arena, 2, 3, true);
      expect(() => backend.packLinear(w, (d) => d.fill(1), new Float32Array(2), fold)).toThrow(`${backend.name === 'ref' ? 'ref' : 'wasm'} backend: a LayerNorm fold is for int8 Linears, and this backend is fp32`);
      backend.dispose();
    }
    const int8 = new ReferenceBackend('int8');
    const arena = int8.createArena(int8.linearFloats(2, 3) * 4 + 4096);
    expect(() => int8.packLinear(int8.placeLinear(arena, 2, 3, false), (d) => d.fill(1), null, fold)).toThrow("ref backend: a LayerNorm fold needs the Linear's bias, to take beta");
  });
});

describe('int8 loads fold by default', () => {
  const fx = () => loadParityFixture(join(MODEL_FIXTURES, 'int8_outliers'));
  const minCosine = (logits: Float32Array) => measureAgreement(logits, fx().logits, fx().batch).minCosine;

  it('loadModel with precision int8 (the classify path) folds: the outlier fixture keeps a cosine >= 0.999', async () => {
    const classifier = await loadModel({ weights: fx().weights, precision: 'int8', backend: 'ref', batchSize: fx().batch });
    try {
      expect(minCosine((await classifier.model.forward(fx().input, fx().batch)).logits)).toBeGreaterThanOrEqual(0.999);
    } finally {
      classifier.dispose();
    }
  });

  it('foldNorms: false keeps the norms (and the outliers: cosine < 0.99); with an fp32 backend it is an error', async () => {
    const kept = await loadVitModel(fx().weights, { backend: new ReferenceBackend('int8'), maxBatch: fx().batch, foldNorms: false });
    expect(minCosine(kept.forward(fx().input, fx().batch).logits)).toBeLessThan(0.99);
    await expect(loadVitModel(fx().weights, { backend: new ReferenceBackend(), foldNorms: true })).rejects.toThrow(/foldNorms applies to int8 backends only \(this one is fp32\)/);
  });
});

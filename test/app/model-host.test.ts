// The model host (app/model-host.ts): loadModel's model lives in a worker thread. Its numbers are
// the in-process model's, bit for bit; the caller's event loop turns while it computes; its
// errors arrive as the application's error classes; dispose() ends it and what was pending.
// (The host runs the compiled dist/ build, which `npm test` makes first: see model-host.ts.)

import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { errorKind, HostThread, loadModel, loadVitModel, type Classifier } from '../../src/app/index.js';
import { WeightsError } from '../../src/checkpoint/index.js';
import { createBackend } from '../../src/backend/index.js';
import { encodeSafetensors, SafetensorsBuffer } from '../../src/safetensors/index.js';
import { ROOT, TINY_WEIGHTS } from '../cli/run.js';
import { loadParityFixture, MODEL_FIXTURES } from '../model/fixtures.js';

const bytesOf = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** The classifier runs on 2 threads and its forward pass over the fixture gives `expected`'s bytes; it is disposed after. */
async function expectBitsOn2Threads(classifier: Classifier, fx: ReturnType<typeof loadParityFixture>, expected: { logits: Float32Array; features: Float32Array }): Promise<void> {
  try {
    expect(classifier.model.threads).toBe(2);
    const got = await classifier.model.forward(fx.input, fx.batch);
    expect(bytesOf(got.logits).equals(bytesOf(expected.logits))).toBe(true);
    expect(bytesOf(got.features).equals(bytesOf(expected.features))).toBe(true);
  } finally {
    classifier.dispose();
  }
}

describe('the model host', () => {
  it('gives the in-process model its exact bits (wasm, 2 threads, a batch in chunks)', async () => {
    const fx = loadParityFixture(join(MODEL_FIXTURES, 'narrow384'));
    const backend = await createBackend('auto', { threads: 2 });
    const local = await loadVitModel(fx.weights, { backend, maxBatch: 1 });
    const expected = local.forward(fx.input, fx.batch);
    backend.dispose();
    await expectBitsOn2Threads(await loadModel({ weights: fx.weights, backend: 'auto', threads: 2, batchSize: 1 }), fx, expected);
  });

  it('leaves the event loop free while it computes: callbacks run before the forward pass answers', async () => {
    // The reference backend on a 384-pixel model computes for a good fraction of a second (577
    // tokens, all in plain TypeScript), while one turn of the loop takes microseconds: a loop that
    // turns at all during the pass shows that nothing blocks it. Before the host, forward() ran on
    // this thread and no callback could run until it returned (the count was 0).
    const fx = loadParityFixture(join(MODEL_FIXTURES, 'narrow384'));
    const classifier = await loadModel({ weights: fx.weights, backend: 'ref', batchSize: fx.batch });
    try {
      let turns = 0;
      let done = false;
      const forward = classifier.model.forward(fx.input, fx.batch).finally(() => (done = true));
      const spin = () => {
        if (done) return;
        turns++;
        setImmediate(spin);
      };
      setImmediate(spin);
      const { logits } = await forward;
      expect(turns).toBeGreaterThan(0);
      expect(logits.length).toBe(fx.batch * classifier.model.config.numClasses);
    } finally {
      classifier.dispose();
    }
  });

  it('does not detach the caller\'s input, and answers forwards in the order they were asked', async () => {
    const classifier = await loadModel({ weights: TINY_WEIGHTS, backend: 'ref', batchSize: 2 });
    try {
      const { inChans: C, imgSize: S } = classifier.model.config;
      const a = new Float32Array(C * S * S).map((_, i) => Math.sin(i));
      const b = new Float32Array(C * S * S).map((_, i) => Math.cos(i));
      const [ra, rb] = await Promise.all([classifier.model.forward(a, 1), classifier.model.forward(b, 1)]);
      expect(a.length).toBe(C * S * S);
      expect(a[1]).toBe(Math.fround(Math.sin(1)));
      const both = new Float32Array(2 * C * S * S);
      both.set(a);
      both.set(b, a.length);
      const together = await classifier.model.forward(both, 2);
      expect(bytesOf(together.logits).equals(Buffer.concat([bytesOf(ra.logits), bytesOf(rb.logits)]))).toBe(true);
    } finally {
      classifier.dispose();
    }
  });

  it('a bad forward rejects with the host\'s RangeError, and the host keeps working', async () => {
    const classifier = await loadModel({ weights: TINY_WEIGHTS, backend: 'ref' });
    try {
      await expect(classifier.model.forward(new Float32Array(5), 1)).rejects.toThrow(RangeError);
      await expect(classifier.model.forward(new Float32Array(5), 1)).rejects.toThrow(/expected 1 image\(s\) of \[3, \d+, \d+\].*received 5 floats/);
      const { inChans: C, imgSize: S } = classifier.model.config;
      const { logits } = await classifier.model.forward(new Float32Array(C * S * S), 1);
      expect(logits.length).toBe(classifier.model.config.numClasses);
    } finally {
      classifier.dispose();
    }
  });

  it('a checkpoint damaged inside a tensor is a WeightsError (kind "model"), as in-process', async () => {
    // Names and shapes are right (checked before the host starts); the NaN is found while reading, in the host.
    const source = SafetensorsBuffer.read(TINY_WEIGHTS);
    const tensors = Object.fromEntries(source.names.map((n) => [n, { shape: [...source.info(n).shape], data: source.float32(n).slice() }]));
    tensors['head.weight'].data[3] = Number.NaN;
    const dir = mkdtempSync(join(tmpdir(), 'vit-host-nan-'));
    writeFileSync(join(dir, 'model.safetensors'), encodeSafetensors(tensors));
    copyFileSync(join(ROOT, 'fixtures', 'models', 'tiny', 'config.json'), join(dir, 'config.json'));
    const error = await loadModel({ weights: join(dir, 'model.safetensors') }).then(
      (c) => {
        c.dispose();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WeightsError);
    expect(errorKind(error)).toBe('model');
    expect((error as Error).message).toMatch(/head\.weight holds 1 non-finite value .*damaged/);
  });

  it('reports the weights read while loading, up to all of them', async () => {
    const seen: { bytes: number; total: number }[] = [];
    const classifier = await loadModel({ weights: TINY_WEIGHTS, backend: 'ref', onWeights: (p) => seen.push(p) });
    classifier.dispose();
    const total = seen[0]?.total;
    expect(total).toBe(4 * 67_258); // float32 parameters of the tiny fixture (its safetensors holds them all)
    expect(seen.at(-1)).toEqual({ bytes: total, total });
    for (let i = 1; i < seen.length; i++) expect(seen[i].bytes).toBeGreaterThan(seen[i - 1].bytes);
  });

  it('dispose() rejects the forwards still pending, and any after', async () => {
    const fx = loadParityFixture(join(MODEL_FIXTURES, 'narrow384'));
    const classifier = await loadModel({ weights: fx.weights, backend: 'ref', batchSize: fx.batch });
    const pending = classifier.model.forward(fx.input, fx.batch);
    classifier.dispose();
    await expect(pending).rejects.toThrow(/disposed/);
    await expect(classifier.model.forward(fx.input, fx.batch)).rejects.toThrow(/disposed/);
  });

  it('a host thread started before the model is known (HostThread.start, then loadModel({ host })) gives the same bits', async () => {
    const fx = loadParityFixture(join(MODEL_FIXTURES, 'narrow384'));
    const plain = await loadModel({ weights: fx.weights, backend: 'auto', threads: 2 });
    const expected = await plain.model.forward(fx.input, fx.batch).finally(() => plain.dispose());
    const host = HostThread.start({ backend: 'auto', threads: 2 });
    await expectBitsOn2Threads(await loadModel({ host, weights: fx.weights, backend: 'auto', threads: 2 }), fx, expected);
  });

  it('a host thread started for other kernels is refused with both sides named, and disposed', async () => {
    const host = HostThread.start({ backend: 'ref', precision: 'fp32' });
    await expect(loadModel({ host, weights: TINY_WEIGHTS, backend: 'ref', precision: 'int8' })).rejects.toThrow(
      'loadModel: the host thread was started with precision fp32, but the options ask for precision int8',
    );
    await expect(host.load({ checkpoint: TINY_WEIGHTS, model: undefined as never, batchSize: 1 })).rejects.toThrow(/disposed/);
  });

  it('a model that cannot be resolved disposes the host thread it was given', async () => {
    const host = HostThread.start({ backend: 'ref' });
    const missing = join(mkdtempSync(join(tmpdir(), 'vit-host-missing-')), 'none.safetensors');
    await expect(loadModel({ host, weights: missing, backend: 'ref' })).rejects.toThrow(/none\.safetensors/);
    await expect(host.load({ checkpoint: missing, model: undefined as never, batchSize: 1 })).rejects.toThrow(/disposed/);
  });

  it('a host thread loads once: a second load is refused', async () => {
    const host = HostThread.start({ backend: 'ref' });
    const classifier = await loadModel({ host, weights: TINY_WEIGHTS, backend: 'ref' });
    try {
      await expect(host.load({ checkpoint: TINY_WEIGHTS, model: classifier.model.resolved, batchSize: 1 })).rejects.toThrow(/already been asked to load/);
      const { inChans: C, imgSize: S } = classifier.model.config;
      const { logits } = await classifier.model.forward(new Float32Array(C * S * S), 1);
      expect(logits.length).toBe(classifier.model.config.numClasses);
    } finally {
      classifier.dispose();
    }
  });

  it('a host thread never asked to load does not keep the process alive', async () => {
    const script = `
      const { HostThread } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'dist', 'index.js')).href)});
      HostThread.start({ backend: 'auto', threads: 2 });
      await new Promise((resolve) => setTimeout(resolve, 300));
      console.log('done');`;
    const file = join(mkdtempSync(join(tmpdir(), 'vit-host-idle-')), 'never-loaded.mjs');
    writeFileSync(file, script);
    const { stdout } = await new Promise<{ stdout: string }>((resolve, reject) =>
      execFile(process.execPath, [file], { timeout: 60_000 }, (error, stdout) => (error ? reject(error) : resolve({ stdout }))),
    );
    expect(stdout).toBe('done\n');
  });

  it('an idle host does not keep the process alive (a forgotten dispose())', async () => {
    const script = `
      const { loadModel } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'dist', 'index.js')).href)});
      const c = await loadModel({ weights: ${JSON.stringify(TINY_WEIGHTS)}, backend: 'auto', threads: 2 });
      const { inChans: C, imgSize: S } = c.model.config;
      const { logits } = await c.model.forward(new Float32Array(C * S * S), 1);
      console.log('logits', logits.length);`;
    const file = join(mkdtempSync(join(tmpdir(), 'vit-host-exit-')), 'forgot-dispose.mjs');
    writeFileSync(file, script);
    const { stdout } = await new Promise<{ stdout: string }>((resolve, reject) =>
      execFile(process.execPath, [file], { timeout: 60_000 }, (error, stdout) => (error ? reject(error) : resolve({ stdout }))),
    );
    expect(stdout).toBe('logits 10\n');
  });

  it('starts from a program given on the command line (node --input-type=module -e), whose options a worker from a file refuses', async () => {
    const script = `
      const { loadModel } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'dist', 'index.js')).href)});
      const c = await loadModel({ weights: ${JSON.stringify(TINY_WEIGHTS)}, backend: 'ref' });
      const { inChans: C, imgSize: S } = c.model.config;
      const { logits } = await c.model.forward(new Float32Array(C * S * S), 1);
      c.dispose();
      console.log('logits', logits.length);`;
    const { stdout } = await new Promise<{ stdout: string }>((resolve, reject) =>
      execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 60_000 }, (error, stdout) => (error ? reject(error) : resolve({ stdout }))),
    );
    expect(stdout).toBe('logits 10\n');
  });
});

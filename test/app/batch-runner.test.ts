// The shared pipelined batch loop (app/batch-runner.ts): batches of the model's batch size from a
// list or an async source, cut short only when an async source keeps the model waiting; records
// in input order; items with errors passed through.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, streamBatches, type Classifier, type InputItem } from '../../src/app/index.js';
import { IMAGES, TINY_WEIGHTS } from '../cli/run.js';

const CAT = join(IMAGES, 'cat.jpg');
const COFFEE = join(IMAGES, 'coffee.png');

let classifier: Classifier;
/** The batch sizes the model was run with, in order. */
let forwards: number[] = [];

beforeAll(async () => {
  classifier = await loadModel({ weights: TINY_WEIGHTS, backend: 'ref', batchSize: 2 });
  const forward = classifier.model.forward.bind(classifier.model);
  classifier.model.forward = (input, batch) => {
    forwards.push(batch);
    return forward(input, batch);
  };
});
afterAll(() => classifier.dispose());

async function collect(source: Parameters<typeof streamBatches>[1]) {
  forwards = [];
  const files: string[] = [];
  const codes: string[] = [];
  for await (const record of streamBatches(classifier, source)) {
    files.push(record.file);
    codes.push('error' in record ? record.error.code : 'ok');
  }
  return { files, codes, forwards: [...forwards] };
}

const missing: InputItem = { path: 'gone.jpg', error: { code: 'ENOENT', message: 'gone.jpg: no such file or directory' } };

describe('streamBatches', () => {
  it('a list: batches of exactly the batch size, error items taking their place, records in input order', async () => {
    const { files, codes, forwards } = await collect([{ path: CAT }, missing, { path: COFFEE }, { path: CAT }, { path: COFFEE }]);
    expect(files).toEqual([CAT, 'gone.jpg', COFFEE, CAT, COFFEE]);
    expect(codes).toEqual(['ok', 'ENOENT', 'ok', 'ok', 'ok']);
    // [cat, gone] [coffee, cat] [coffee]
    expect(forwards).toEqual([1, 2, 1]);
  });

  it('an undecodable image is an error record; the others still run', async () => {
    const { codes } = await collect([{ path: join(IMAGES, 'not_an_image.jpg') }, { path: CAT }]);
    expect(codes).toEqual(['UNSUPPORTED_FORMAT', 'ok']);
  });

  it('an async source that answers without waiting fills whole batches', async () => {
    async function* items() {
      for (const path of [CAT, COFFEE, CAT, COFFEE, CAT]) yield { path };
    }
    const { files, forwards } = await collect(items());
    expect(files).toEqual([CAT, COFFEE, CAT, COFFEE, CAT]);
    expect(forwards).toEqual([2, 2, 1]);
  });

  it('groups of items count one by one', async () => {
    async function* groups() {
      yield [{ path: CAT }, { path: COFFEE }, { path: CAT }];
      yield [{ path: COFFEE }];
    }
    expect((await collect(groups())).forwards).toEqual([2, 2]);
  });

  it('an async source that keeps the model waiting: what has come runs, and its record is out before the source goes on', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let firstRecordBeforeRelease = false;
    let released = false;
    async function* slow() {
      yield { path: CAT };
      await gate; // held until the first record is out
      released = true;
      yield { path: COFFEE };
      yield { path: CAT };
    }
    forwards = [];
    const files: string[] = [];
    for await (const record of streamBatches(classifier, slow())) {
      files.push(record.file);
      if (files.length === 1) {
        firstRecordBeforeRelease = !released;
        release();
      }
    }
    expect(firstRecordBeforeRelease).toBe(true);
    expect(files).toEqual([CAT, COFFEE, CAT]);
    expect(forwards).toEqual([1, 2]);
  }, 10_000); // a runner that waited for a full batch would never release the gate

  it("the source's failure comes after the records of the items before it", async () => {
    async function* failing() {
      yield { path: CAT };
      throw new Error('source broke');
    }
    const files: string[] = [];
    const error = await (async () => {
      for await (const record of streamBatches(classifier, failing())) files.push(record.file);
    })().catch((e: unknown) => e);
    expect(files).toEqual([CAT]);
    expect((error as Error).message).toBe('source broke');
  });

  it('a consumer that stops early stops the reading of the source', async () => {
    let pulled = 0;
    async function* endless() {
      for (;;) {
        pulled++;
        yield { path: CAT };
      }
    }
    for await (const record of streamBatches(classifier, endless())) {
      expect(record.file).toBe(CAT);
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    const after = pulled;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(pulled).toBe(after);
    expect(pulled).toBeLessThanOrEqual(6); // the batch taken, one waiting, and the one that found it stopped
  });
});

// The dynamic batcher and the capacity counters on their own, with a fake model whose "logits"
// name the image and the batch it ran in, so which images shared a pass is visible.

import { describe, expect, it } from 'vitest';
import { Batcher } from '../../src/app/serve/batcher.js';
import { Admission, Limiter } from '../../src/app/serve/capacity.js';

/** A fake run: each row is [image id, batch number, batch size]. */
function fakeModel() {
  const batches: number[][] = [];
  const run = (tensors: Float32Array[]) => {
    batches.push(tensors.map((t) => t[0]));
    return tensors.map((t) => Float32Array.of(t[0], batches.length, tensors.length));
  };
  return { run, batches };
}

const image = (id: number) => Float32Array.of(id);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Batcher', () => {
  it('images submitted within the window share one pass, each gets its own row', async () => {
    const model = fakeModel();
    const batcher = new Batcher(model.run, { maxBatch: 8, windowMs: 30 });
    const first = batcher.submit(image(1));
    await sleep(5);
    const rows = await Promise.all([first, batcher.submit(image(2)), batcher.submit(image(3))]);
    expect(model.batches).toEqual([[1, 2, 3]]);
    expect(rows.map((r) => [...r])).toEqual([
      [1, 1, 3],
      [2, 1, 3],
      [3, 1, 3],
    ]);
  });

  it('a full batch runs without waiting for the window, in order', async () => {
    const model = fakeModel();
    const sizes: number[] = [];
    const batcher = new Batcher(model.run, { maxBatch: 2, windowMs: 60_000, onBatch: (size) => sizes.push(size) });
    const started = performance.now();
    // Four images, two full batches: neither waits for the (minute-long) window.
    const full = [1, 2, 3, 4].map((id) => batcher.submit(image(id)));
    await Promise.all(full);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(model.batches).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(sizes).toEqual([2, 2]);
    expect(batcher.waiting).toBe(0);
  });

  it('an asynchronous pass: one at a time; images submitted while it runs wait, then run at once without a new window', async () => {
    const batches: number[][] = [];
    const releases: (() => void)[] = [];
    const run = (tensors: Float32Array[]) =>
      new Promise<Float32Array[]>((resolve) => {
        batches.push(tensors.map((t) => t[0]));
        releases.push(() => resolve(tensors.map((t) => Float32Array.of(t[0], batches.length))));
      });
    const batcher = new Batcher(run, { maxBatch: 2, windowMs: 60_000 });
    const first = [1, 2].map((id) => batcher.submit(image(id)));
    await sleep(5); // the batcher decides on setImmediate: long before a timer of 5 ms
    expect(batches).toEqual([[1, 2]]);
    const later = [3, 4, 5].map((id) => batcher.submit(image(id)));
    await sleep(20);
    expect(batches).toEqual([[1, 2]]); // the first pass still runs: no second one beside it
    expect(batcher.waiting).toBe(3);
    releases[0]();
    expect((await Promise.all(first)).map((r) => [...r])).toEqual([
      [1, 1],
      [2, 1],
    ]);
    await sleep(5); // the batcher decides on setImmediate: long before a timer of 5 ms
    expect(batches).toEqual([[1, 2], [3, 4]]);
    releases[1]();
    await sleep(5); // the batcher decides on setImmediate: long before a timer of 5 ms
    expect(batches).toEqual([[1, 2], [3, 4], [5]]); // 5 waited through a pass: not through a minute-long window too
    releases[2]();
    expect((await Promise.all(later)).map((r) => [...r])).toEqual([
      [3, 2],
      [4, 2],
      [5, 3],
    ]);
  });

  it('images left over after a pass run next without a new window', async () => {
    const model = fakeModel();
    const batcher = new Batcher(model.run, { maxBatch: 2, windowMs: 60_000 });
    const started = performance.now();
    const rows = await Promise.all([1, 2, 3].map((id) => batcher.submit(image(id))).slice(0, 2));
    expect(rows).toHaveLength(2);
    // 3 was queued when the first pass began: it has waited for it, and runs straight after.
    await sleep(20);
    expect(model.batches).toEqual([[1, 2], [3]]);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('an image whose signal aborts while waiting leaves the queue and rejects with the reason', async () => {
    const model = fakeModel();
    const batcher = new Batcher(model.run, { maxBatch: 4, windowMs: 30 });
    const controller = new AbortController();
    const kept = batcher.submit(image(1));
    const dropped = batcher.submit(image(2), controller.signal);
    controller.abort(new Error('timed out'));
    await expect(dropped).rejects.toThrow('timed out');
    expect(batcher.waiting).toBe(1);
    await kept;
    expect(model.batches).toEqual([[1]]);
    await expect(batcher.submit(image(3), controller.signal)).rejects.toThrow('timed out');
  });

  it('a pass that throws rejects the images of that pass only', async () => {
    let calls = 0;
    const batcher = new Batcher(
      (tensors) => {
        if (++calls === 1) throw new Error('boom');
        return tensors;
      },
      { maxBatch: 1, windowMs: 0 },
    );
    const [a, b] = await Promise.allSettled([batcher.submit(image(1)), batcher.submit(image(2))]);
    expect(a).toMatchObject({ status: 'rejected', reason: new Error('boom') });
    expect(b).toMatchObject({ status: 'fulfilled' });
  });

  it('a batch short of images announced as coming waits past its window for them', async () => {
    const model = fakeModel();
    const batcher = new Batcher(model.run, { maxBatch: 4, windowMs: 10 });
    const coming = batcher.announce();
    const first = batcher.submit(image(1));
    await sleep(40); // the window has closed; the announced image is still on its way
    expect(model.batches).toEqual([]);
    await Promise.all([first, coming.submit(image(2))]);
    expect(model.batches).toEqual([[1, 2]]);
  });

  it('but not for more than ten windows, and not at all once the image is withdrawn', async () => {
    const model = fakeModel();
    const batcher = new Batcher(model.run, { maxBatch: 4, windowMs: 20 });
    batcher.announce(); // never comes
    let started = performance.now();
    await batcher.submit(image(1));
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(195);
    expect(waited).toBeLessThan(2000);

    const withdrawn = new Batcher(fakeModel().run, { maxBatch: 4, windowMs: 20 });
    const coming = withdrawn.announce();
    started = performance.now();
    const alone = withdrawn.submit(image(1));
    setTimeout(() => coming.withdraw(), 30);
    await alone;
    expect(performance.now() - started).toBeLessThan(150);
  });

  it('refuses a batch size or window that makes no sense', () => {
    expect(() => new Batcher(fakeModel().run, { maxBatch: 0, windowMs: 5 })).toThrow('maxBatch must be a positive integer, got 0');
    expect(() => new Batcher(fakeModel().run, { maxBatch: 2, windowMs: -1 })).toThrow('windowMs must be >= 0, got -1');
  });
});

describe('Admission', () => {
  it('admits up to its bound and no further, all or nothing', () => {
    const admission = new Admission(3);
    expect(admission.tryTake(2)).toBe(true);
    expect(admission.tryTake(2)).toBe(false);
    expect(admission.used).toBe(2);
    expect(admission.tryTake(1)).toBe(true);
    admission.release(3);
    expect(admission.used).toBe(0);
    expect(admission.tryTake(4)).toBe(false);
  });
});

describe('Limiter', () => {
  it('runs at most `concurrency` tasks at once, the rest in arrival order', async () => {
    const limiter = new Limiter(2);
    let running = 0;
    let most = 0;
    const order: number[] = [];
    await Promise.all(
      [1, 2, 3, 4, 5].map((id) =>
        limiter.run(async () => {
          running++;
          most = Math.max(most, running);
          order.push(id);
          await sleep(5);
          running--;
        }),
      ),
    );
    expect(most).toBe(2);
    expect(order).toEqual([1, 2, 3, 4, 5]);
  });

  it('a task that throws frees its place', async () => {
    const limiter = new Limiter(1);
    await expect(limiter.run(async () => Promise.reject(new Error('bad')))).rejects.toThrow('bad');
    await expect(limiter.run(async () => 7)).resolves.toBe(7);
  });
});

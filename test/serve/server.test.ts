// startServer in-process on a free port with the tiny fixture model (random weights, 10 classes):
// the answers equal the library's classify() for the same images, concurrent requests share
// forward passes, and every limit answers with its documented status instead of falling over.

import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { classify, loadModel, type Classifier } from '../../src/app/index.js';
import { startServer, type RunningServer } from '../../src/app/serve/index.js';
import { encodeSafetensors, SafetensorsBuffer } from '../../src/safetensors/index.js';
import { IMAGES, ROOT, TINY_WEIGHTS } from '../cli/run.js';
import { eventually, image, json, metric, postFiles, postImage, tinyServer } from './helpers.js';

const CAT = image('cat.jpg');
const COFFEE = image('coffee.png');

let reference: Classifier;
let server: RunningServer;

/** What the library says for a fixture image: the predictions the server must answer with. */
const expected = async (name: string, topk = 5) => (await classify(reference, join(IMAGES, name), { topk })).predictions;

beforeAll(async () => {
  reference = await loadModel({ weights: TINY_WEIGHTS });
  // A window long enough that concurrent requests surely meet in it; a small body limit for 413.
  server = await tinyServer({ batchWindowMs: 20, maxBodyBytes: 600_000 });
});
afterAll(async () => {
  await server?.close();
  reference?.dispose();
});

describe('POST /v1/classify', () => {
  it('one image as the body: the record classify writes, named "body"', async () => {
    const response = await postImage(server, CAT, { type: 'image/jpeg' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await json(response)).toEqual({ file: 'body', predictions: await expected('cat.jpg') });
  });

  it('?topk= sets the number of classes, up to all of them', async () => {
    const three = await postImage(server, COFFEE, { query: '?topk=3' });
    expect(await json(three)).toEqual({ file: 'body', predictions: await expected('coffee.png', 3) });
    const all = await json(await postImage(server, COFFEE, { query: '?topk=10', type: 'image/png' }));
    expect(all.predictions.map((p: { index: number }) => p.index).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it.each(['0', '11', '-1', '2.5', 'abc', ''])('?topk=%s is 400 BAD_TOPK', async (topk) => {
    const response = await postImage(server, CAT, { query: `?topk=${topk}` });
    expect(response.status).toBe(400);
    expect((await json(response)).error).toEqual({ code: 'BAD_TOPK', message: `topk: expected an integer in 1..10, received "${topk}"` });
  });

  it('several images as multipart: one record per file, in order, a bad one among them as its error record', async () => {
    const response = await postFiles(server, [
      ['cat.jpg', CAT],
      ['not_an_image.jpg', image('not_an_image.jpg')],
      ['coffee.png', COFFEE],
    ]);
    expect(response.status).toBe(200);
    const records = await json(response);
    expect(records).toEqual([
      { file: 'cat.jpg', predictions: await expected('cat.jpg') },
      { file: 'not_an_image.jpg', error: { code: 'UNSUPPORTED_FORMAT', message: expect.stringMatching(/^not_an_image\.jpg: not an image/) } },
      { file: 'coffee.png', predictions: await expected('coffee.png') },
    ]);
  });

  it('a multipart body without a file is 400 NO_IMAGES', async () => {
    const form = new FormData();
    form.append('note', 'no image here');
    const response = await fetch(`${server.url}/v1/classify`, { method: 'POST', body: form });
    expect(response.status).toBe(400);
    expect((await json(response)).error.code).toBe('NO_IMAGES');
  });

  it.each([
    ['not_an_image.jpg', 415, 'UNSUPPORTED_FORMAT'],
    ['corrupt.png', 422, 'CORRUPT'],
    ['truncated.jpg', 422, 'TRUNCATED'],
    ['empty.jpg', 422, 'EMPTY'],
  ])('%s as the body: %i with its error record', async (name, status, code) => {
    const response = await postImage(server, image(name));
    expect(response.status).toBe(status);
    const record = await json(response);
    expect(record.file).toBe('body');
    expect(record.error.code).toBe(code);
    expect(record.error.message).toMatch(/^body: /);
    expect(record.predictions).toBeUndefined();
  });

  it('more pixels than the limit: 413 TOO_LARGE', async () => {
    const small = await tinyServer({ prepare: { decode: { maxPixels: 1000 } } });
    try {
      const response = await postImage(small, CAT);
      expect(response.status).toBe(413);
      expect((await json(response)).error).toEqual({ code: 'TOO_LARGE', message: 'body: image is 451x300 = 135300 pixels, over the limit of 1000 (decompression-bomb guard)' });
    } finally {
      await small.close();
    }
  });

  it('a body over the limit is 413 BODY_TOO_LARGE, as is a multipart file over it', async () => {
    const big = Buffer.concat([COFFEE, COFFEE]).subarray(0, 600_001);
    const raw = await postImage(server, big);
    expect(raw.status).toBe(413);
    expect(await json(raw)).toEqual({ error: { code: 'BODY_TOO_LARGE', message: 'the body is over the limit of 600000 bytes' } });
    const multi = await postFiles(server, [['big.png', big]]);
    expect(multi.status).toBe(413);
    expect((await json(multi)).error.code).toBe('BODY_TOO_LARGE');
  });

  it('a Content-Type that is not an image is 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    const response = await postImage(server, CAT, { type: 'text/plain' });
    expect(response.status).toBe(415);
    expect((await json(response)).error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('no body at all is 415 UNSUPPORTED_MEDIA_TYPE too', async () => {
    const response = await fetch(`${server.url}/v1/classify`, { method: 'POST' });
    expect(response.status).toBe(415);
    expect((await json(response)).error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('an unknown route is 404 in the same error shape', async () => {
    const response = await fetch(`${server.url}/v2/nothing?x=1`);
    expect(response.status).toBe(404);
    expect(await json(response)).toEqual({ error: { code: 'NOT_FOUND', message: 'no route GET /v2/nothing' } });
  });

  it('20 concurrent requests: every answer right, and they shared forward passes', async () => {
    const passesBefore = await metric(server, 'vit_batch_size_count');
    const imagesBefore = await metric(server, 'vit_batch_size_sum');
    const names = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 'cat.jpg' : 'coffee.png'));
    const answers = await Promise.all(names.map((name) => postImage(server, image(name)).then(json)));
    const want = { 'cat.jpg': await expected('cat.jpg'), 'coffee.png': await expected('coffee.png') };
    answers.forEach((answer, i) => expect(answer).toEqual({ file: 'body', predictions: want[names[i] as keyof typeof want] }));
    const passes = (await metric(server, 'vit_batch_size_count')) - passesBefore;
    expect((await metric(server, 'vit_batch_size_sum')) - imagesBefore).toBe(20);
    // 20 images in passes of at most 4: at least 5 passes, and fewer than 20 means some were shared.
    expect(passes).toBeGreaterThanOrEqual(5);
    expect(passes).toBeLessThan(20);
  });
});

describe('GET /healthz and /metrics', () => {
  it('healthz is 200 with the model once it is loaded', async () => {
    const response = await fetch(`${server.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({ status: 'ok', model: expect.any(String), classes: 10, batchSize: 4 });
  });

  it('metrics: requests by status, latency, queue depth, images and batch sizes, as Prometheus text', async () => {
    await postImage(server, CAT);
    await postImage(server, image('corrupt.png'));
    const response = await fetch(`${server.url}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(text).toMatch(/^vit_http_requests_total\{route="\/v1\/classify",status="200"\} \d+$/m);
    expect(text).toMatch(/^vit_http_requests_total\{route="\/v1\/classify",status="422"\} \d+$/m);
    expect(text).toMatch(/^vit_http_request_duration_seconds_bucket\{le="0\.1",route="\/v1\/classify"\} \d+$/m);
    expect(text).toMatch(/^vit_queue_depth 0$/m);
    expect(text).toMatch(/^vit_images_total\{outcome="ok"\} \d+$/m);
    expect(text).toMatch(/^vit_images_total\{outcome="error"\} \d+$/m);
    expect(text).toMatch(/^vit_batch_size_bucket\{le="4"\} \d+$/m);
    expect(text).toMatch(/^vit_forward_duration_seconds_count \d+$/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d+$/m);
  });
});

describe('while a forward pass is in flight (issue #15)', () => {
  it('healthz answers and new requests are taken; they run once the pass in flight is done', async () => {
    const busy = await tinyServer({ batchWindowMs: 0 });
    try {
      // The model computes in its own thread (app/model-host.ts); here its answer is also held
      // back until the test has had its say, so that the pass is surely still in flight.
      const classifier = await busy.ready;
      const forward = classifier.model.forward.bind(classifier.model);
      const batches: number[] = [];
      let started!: () => void;
      const inFlight = new Promise<void>((resolve) => (started = resolve));
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      classifier.model.forward = async (input, batch) => {
        batches.push(batch);
        started();
        const result = await forward(input, batch);
        await gate;
        return result;
      };
      const first = postImage(busy, CAT);
      await inFlight;
      const health = await fetch(`${busy.url}/healthz`);
      expect(health.status).toBe(200);
      expect((await json(health)).status).toBe('ok');
      const second = postImage(busy, COFFEE);
      await eventually(async () => (await metric(busy, 'vit_queue_depth')) === 2);
      expect(batches).toEqual([1]); // the second image waits for the pass in flight
      release();
      expect(await json(await first)).toEqual({ file: 'body', predictions: await expected('cat.jpg') });
      expect(await json(await second)).toEqual({ file: 'body', predictions: await expected('coffee.png') });
      expect(batches).toEqual([1, 1]);
    } finally {
      await busy.close();
    }
  });
});

describe('bounded: the server refuses work it cannot hold', () => {
  it('503 QUEUE_FULL with Retry-After when the queue is full; the queued request still succeeds', async () => {
    // One image fills the queue; it waits a long window for company that cannot come.
    const small = await tinyServer({ maxQueue: 1, batchWindowMs: 800 });
    try {
      const first = postImage(small, CAT);
      await eventually(async () => (await metric(small, 'vit_queue_depth')) === 1);
      const refused = await postImage(small, COFFEE);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect((await json(refused)).error.code).toBe('QUEUE_FULL');
      expect(await json(await first)).toEqual({ file: 'body', predictions: await expected('cat.jpg') });
      // More files in one request than the queue holds could never be admitted.
      const tooMany = await postFiles(small, [
        ['a.jpg', CAT],
        ['b.jpg', CAT],
      ]);
      expect(tooMany.status).toBe(413);
      expect((await json(tooMany)).error.code).toBe('TOO_MANY_IMAGES');
    } finally {
      await small.close();
    }
  });

  it('a body being received holds a place in the queue; a client that leaves gives it back', async () => {
    const small = await tinyServer({ maxQueue: 1 });
    try {
      const port = Number(new URL(small.url).port);
      const socket = connect(port, '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write(`POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nContent-Length: ${CAT.length}\r\n\r\n`);
      socket.write(CAT.subarray(0, 1000));
      await eventually(async () => (await metric(small, 'vit_queue_depth')) === 1);
      const refused = await postImage(small, COFFEE);
      expect(refused.status).toBe(503);
      expect((await json(refused)).error.code).toBe('QUEUE_FULL');
      socket.destroy();
      await eventually(async () => (await metric(small, 'vit_queue_depth')) === 0);
      expect((await postImage(small, CAT)).status).toBe(200);
    } finally {
      await small.close();
    }
  });

  it('a request not answered within the timeout is 503 TIMEOUT, and its image leaves the queue', async () => {
    const slow = await tinyServer({ timeoutMs: 150, batchWindowMs: 5000 });
    try {
      const started = performance.now();
      const response = await postImage(slow, CAT);
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('1');
      expect(await json(response)).toEqual({ error: { code: 'TIMEOUT', message: 'not answered within 150 ms: the server is busy' } });
      expect(performance.now() - started).toBeLessThan(2000);
      await eventually(async () => (await metric(slow, 'vit_queue_depth')) === 0);
      expect(await metric(slow, 'vit_batch_size_count')).toBe(0);
    } finally {
      await slow.close();
    }
  });
});

describe('the bearer token', () => {
  it('401 without it or with a wrong one, 200 with it; /healthz needs none', async () => {
    const guarded = await tinyServer({ token: 's3cret-token' });
    try {
      const none = await postImage(guarded, CAT);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Bearer');
      expect((await json(none)).error.code).toBe('UNAUTHORIZED');
      for (const wrong of ['Bearer s3cret-toke', 'Bearer s3cret-token-and-more', 'Basic s3cret-token', 's3cret-token', 'Bearer ']) {
        expect((await postImage(guarded, CAT, { headers: { authorization: wrong } })).status).toBe(401);
      }
      const right = await postImage(guarded, CAT, { headers: { authorization: 'Bearer s3cret-token' } });
      expect(right.status).toBe(200);
      expect(await json(right)).toEqual({ file: 'body', predictions: await expected('cat.jpg') });
      expect((await fetch(`${guarded.url}/metrics`)).status).toBe(401);
      expect(await metric(guarded, 'vit_images_total{outcome="ok"}', { authorization: 'Bearer s3cret-token' })).toBe(1);
      expect((await fetch(`${guarded.url}/healthz`)).status).toBe(200);
    } finally {
      await guarded.close();
    }
  });
});

describe('while the model is not ready', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('loading: healthz 503 "loading", classify 503 NOT_READY; close() does not wait for the load', async () => {
    // A hub that accepts connections and never answers: the download stays pending.
    const sockets: import('node:net').Socket[] = [];
    const stalled: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', resolve));
    vi.stubEnv('HF_HUB_CACHE', mkdtempSync(join(tmpdir(), 'vit-serve-hub-')));
    vi.stubEnv('HF_ENDPOINT', `http://127.0.0.1:${(stalled.address() as { port: number }).port}`);
    const loading = await startServer({ port: 0, model: { model: 'hf-hub:nobody/stalled' } });
    try {
      const health = await fetch(`${loading.url}/healthz`);
      expect(health.status).toBe(503);
      expect(await json(health)).toEqual({ status: 'loading' });
      const response = await postImage(loading, CAT);
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('1');
      expect((await json(response)).error).toEqual({ code: 'NOT_READY', message: 'the model is still loading' });
    } finally {
      await loading.close();
      for (const socket of sockets) socket.destroy();
      stalled.close();
    }
  });

  it('failed: healthz 503 "failed", classify 503 NOT_READY, and no answer shows the weights path', async () => {
    const secret = join(mkdtempSync(join(tmpdir(), 'vit-serve-secret-')), 'private-dir', 'model.safetensors');
    const failed = await startServer({ port: 0, model: { weights: secret } });
    try {
      await expect(failed.ready).rejects.toThrow();
      const health = await fetch(`${failed.url}/healthz`);
      expect(health.status).toBe(503);
      const healthText = await health.text();
      expect(JSON.parse(healthText)).toEqual({ status: 'failed' });
      const response = await postImage(failed, CAT);
      expect(response.status).toBe(503);
      const text = await response.text();
      expect(JSON.parse(text).error).toEqual({ code: 'NOT_READY', message: 'the model failed to load' });
      for (const answer of [healthText, text]) expect(answer).not.toMatch(/private-dir|vit-serve-secret|\/tmp\//);
    } finally {
      await failed.close();
    }
  });
});

describe('answers never show a path of the server', () => {
  it('no error answer holds the weights path or a temporary path', async () => {
    const answers = await Promise.all([
      postImage(server, image('corrupt.png')),
      postImage(server, image('truncated.png')),
      postImage(server, new Uint8Array(0)),
      postImage(server, CAT, { type: 'text/plain' }),
      postImage(server, CAT, { query: '?topk=99' }),
      postFiles(server, [['../../etc/passwd', image('not_an_image.jpg')]]),
      fetch(`${server.url}/nope`),
    ]);
    for (const answer of answers) {
      const text = await answer.text();
      expect(text).not.toContain(ROOT);
      expect(text).not.toContain(TINY_WEIGHTS);
      expect(text).not.toContain(tmpdir());
      expect(text).not.toContain('<buffer>');
    }
  });
});

describe('a model output that is not finite', () => {
  it('is the image\'s NONFINITE error record with 422, as classify reports it', async () => {
    const source = SafetensorsBuffer.read(TINY_WEIGHTS);
    const tensors = Object.fromEntries(source.names.map((n) => [n, { shape: [...source.info(n).shape], data: source.float32(n).slice() }]));
    tensors['head.weight'].data.fill(3e38);
    const dir = mkdtempSync(join(tmpdir(), 'vit-serve-nonfinite-'));
    writeFileSync(join(dir, 'model.safetensors'), encodeSafetensors(tensors));
    copyFileSync(join(ROOT, 'fixtures', 'models', 'tiny', 'config.json'), join(dir, 'config.json'));
    const broken = await tinyServer({ model: { weights: join(dir, 'model.safetensors') } });
    try {
      const response = await postImage(broken, CAT);
      expect(response.status).toBe(422);
      const record = await json(response);
      expect(record.error.code).toBe('NONFINITE');
      expect(record.error.message).toMatch(/^body: the model's output holds \d+ non-finite values? \(NaN or infinity\) of 10/);
      expect(record.predictions).toBeUndefined();
    } finally {
      await broken.close();
    }
  });
});

describe('graceful shutdown', () => {
  it('close(): the request in flight is answered, new connections are refused, close resolves', async () => {
    const closing = await tinyServer({ batchWindowMs: 1000 });
    const inFlight = postImage(closing, CAT);
    await eventually(async () => (await metric(closing, 'vit_queue_depth')) === 1);
    const closed = closing.close();
    const port = Number(new URL(closing.url).port);
    await eventually(
      () =>
        new Promise<boolean>((resolve) => {
          const socket = connect(port, '127.0.0.1');
          socket.once('connect', () => {
            socket.destroy();
            resolve(false);
          });
          socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
        }),
      900,
    );
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(await json(answer)).toEqual({ file: 'body', predictions: await expected('cat.jpg') });
    await closed;
  });
});

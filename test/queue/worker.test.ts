// vit worker and vit enqueue against a real redis-server (test/queue/redis.ts): workers are real
// bin/vit.js processes. Two workers share a queue and every job is completed exactly once, with
// the record classify prints; a worker killed (SIGKILL) while it holds a job loses it to the other
// worker through BullMQ's stalled-job check; an image's error fails its job with its code; a bad
// or unreachable Redis is exit 2 or 69, its password never shown.

import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobIdOf, openQueue, startWorker } from '../../src/app/index.js';
import { BIN, IMAGES, isolateHub, ROOT, runInProcess, TINY_WEIGHTS } from '../cli/run.js';
import { freePort, REDIS_MISSING, startRedis, type TestRedis } from './redis.js';

isolateHub();

interface WorkerProcess {
  child: ChildProcess;
  /** The worker's name in each job's processedBy. */
  pid: number;
  stderr(): string;
  exited: Promise<number | null>;
}

/** bin/vit.js worker on the tiny model, once it has printed "ready:". */
async function startWorkerProcess(redis: string, queue: string, extra: string[] = []): Promise<WorkerProcess> {
  const cache = mkdtempSync(join(tmpdir(), 'vit-hub-'));
  const child = spawn(process.execPath, [BIN, 'worker', '--redis', redis, '--queue', queue, '--weights', TINY_WEIGHTS, '-q', ...extra], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, HF_HUB_CACHE: cache, HF_ENDPOINT: 'http://127.0.0.1:9' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += String(c)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker not ready after 30 s: ${stderr}`)), 30_000);
    child.stdout.on('data', (c) => {
      stdout += String(c);
      if (stdout.includes('ready:')) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then((code) => reject(new Error(`worker exited ${code} before it was ready: ${stderr}`)));
  });
  return { child, pid: child.pid as number, stderr: () => stderr, exited };
}

/** `count` copies of a few fixture images under new names (a job per file), and corrupt.png. */
function imageFolder(count: number): { good: string[]; corrupt: string } {
  const dir = mkdtempSync(join(tmpdir(), 'vit-queue-'));
  const sources = ['cat.jpg', 'coffee.jpg', 'gray.png', 'rgba.png'];
  const good = Array.from({ length: count }, (_, i) => {
    const source = sources[i % sources.length];
    const path = join(dir, `${String(i).padStart(3, '0')}-${source}`);
    copyFileSync(join(IMAGES, source), path);
    return path;
  });
  const corrupt = join(dir, 'corrupt.png');
  copyFileSync(join(IMAGES, 'corrupt.png'), corrupt);
  return { good, corrupt };
}

const lines = (text: string) =>
  text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** What classify --format ndjson prints for these images (the records the jobs must return). */
async function classifyRecords(paths: string[]): Promise<Record<string, unknown>[]> {
  const run = await runInProcess(['classify', '--weights', TINY_WEIGHTS, '--format', 'ndjson', '-q', ...paths]);
  return lines(run.stdout);
}

/** Every event of the queue's BullMQ event stream, as [event, jobId]. */
async function queueEvents(redis: Redis, queue: string): Promise<[string, string][]> {
  const entries = await redis.xrange(`bull:${queue}:events`, '-', '+');
  return entries.map(([, fields]) => {
    const get = (name: string) => fields[fields.indexOf(name) + 1];
    return [get('event'), get('jobId')];
  });
}

const countOf = (events: [string, string][], event: string) => {
  const counts = new Map<string, number>();
  for (const [e, id] of events) if (e === event) counts.set(id, (counts.get(id) ?? 0) + 1);
  return counts;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(REDIS_MISSING !== undefined)('vit worker and vit enqueue on a real Redis', () => {
  let server: TestRedis;
  let redis: Redis;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    server = await startRedis();
    redis = new Redis(server.url);
  });

  afterAll(async () => {
    for (const w of workers) w.child.kill('SIGKILL');
    redis?.disconnect();
    await server?.stop();
  });

  it('two workers share the jobs: each completed exactly once, with the record classify prints; an image error fails its job', async () => {
    const queue = 'shared';
    const { good, corrupt } = imageFolder(40);
    const inputs = [...good.slice(0, 20), corrupt, ...good.slice(20)];
    const [a, b] = await Promise.all([startWorkerProcess(server.url, queue), startWorkerProcess(server.url, queue)]);
    workers.push(a, b);

    const run = await runInProcess(['enqueue', '--redis', server.url, '--queue', queue, '--wait', '--wait-timeout', '60', ...inputs]);
    expect(run.code).toBe(1); // corrupt.png failed, as classify says
    expect(run.stderr).toContain(`queued 41 images on '${queue}' at ${server.url}: 41 new, 0 already queued or done`);
    expect(lines(run.stdout)).toEqual(await classifyRecords(inputs));

    const events = await queueEvents(redis, queue);
    const completed = countOf(events, 'completed');
    const failed = countOf(events, 'failed');
    expect(completed.size).toBe(40);
    expect([...completed.values()].every((n) => n === 1)).toBe(true);
    expect([...failed.values()]).toEqual([1]);

    const q = new Queue(queue, { connection: redis });
    const [failedJob] = await q.getFailed();
    expect(failedJob.data).toEqual({ input: corrupt, topk: 5 });
    expect(failedJob.failedReason).toMatch(/^CORRUPT: /);
    expect(failedJob.attemptsMade).toBe(1); // an image's error is not tried again
    // Both workers took jobs.
    const by = new Set((await q.getCompleted(0, -1)).map((job) => job.processedBy?.split(':').pop()));
    expect(by).toEqual(new Set([String(a.pid), String(b.pid)]));

    // Enqueueing again adds nothing; the failed job is tried again (and fails again, alone).
    const again = await runInProcess(['enqueue', '--redis', server.url, '--queue', queue, ...inputs]);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(`queued 41 images on '${queue}' at ${server.url}: 0 new, 40 already queued or done, 1 failed before and tried again\n`);
    const waited = await runInProcess(['enqueue', '--redis', server.url, '--queue', queue, '--wait', corrupt, good[0]]);
    expect(lines(waited.stdout)).toEqual(await classifyRecords([corrupt, good[0]]));

    // A job from another producer with data a worker cannot use.
    await q.add('classify', { input: 42 }, { jobId: 'foreign-1' });
    for (let i = 0; i < 100 && (await q.getJobState('foreign-1')) !== 'failed'; i++) await sleep(100);
    expect((await q.getJob('foreign-1'))?.failedReason).toMatch(/^BAD_JOB: job data: "input" is not a non-empty string/);
    await q.close();

    // SIGTERM: the workers finish and exit 0.
    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    expect(await b.exited).toBe(0);
    expect(a.stderr()).toContain('SIGTERM: finishing the jobs taken');
  }, 120_000);

  it("a worker killed while it holds a job: BullMQ's stalled check gives the job to the other worker, completed once", async () => {
    const queue = 'killed';
    const { good } = imageFolder(60);
    // One job at a time, so the killed worker certainly holds one; short locks, so the test is quick.
    const short = ['--concurrency', '1', '--batch-size', '1', '--lock-duration-ms', '3000', '--stalled-interval-ms', '500'];
    const a = await startWorkerProcess(server.url, queue, short);
    workers.push(a);
    const added = await runInProcess(['enqueue', '--redis', server.url, '--queue', queue, ...good]);
    expect(added.code).toBe(0);
    const q = new Queue(queue, { connection: redis });
    for (let i = 0; i < 300 && (await q.getCompletedCount()) < 3; i++) await sleep(20);
    a.child.kill('SIGKILL');
    await a.exited;
    const held = (await q.getActive()).map((job) => job.id);
    expect(held.length).toBe(1);
    expect(await q.getCompletedCount()).toBeLessThan(60);

    const b = await startWorkerProcess(server.url, queue, short);
    workers.push(b);
    // Enqueueing the same images again adds nothing and waits for them all.
    const run = await runInProcess(['enqueue', '--redis', server.url, '--queue', queue, '--wait', '--wait-timeout', '60', ...good]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('0 new, 60 already queued or done');
    expect(lines(run.stdout)).toEqual(await classifyRecords(good));

    const events = await queueEvents(redis, queue);
    const completed = countOf(events, 'completed');
    expect(completed.size).toBe(60);
    expect([...completed.values()].every((n) => n === 1)).toBe(true);
    expect(countOf(events, 'stalled').get(held[0] as string)).toBe(1);
    expect((await q.getJob(held[0] as string))?.processedBy).toMatch(new RegExp(`:${b.pid}$`));
    await q.close();
    b.child.kill('SIGTERM');
    expect(await b.exited).toBe(0);
  }, 120_000);

  it('SIGTERM: the worker finishes the job it holds, leaves the rest waiting, and exits 0', async () => {
    const queue = 'graceful';
    const { good } = imageFolder(40);
    const a = await startWorkerProcess(server.url, queue, ['--concurrency', '1', '--batch-size', '1']);
    workers.push(a);
    expect((await runInProcess(['enqueue', '--redis', server.url, '--queue', queue, ...good])).code).toBe(0);
    const q = new Queue(queue, { connection: redis });
    for (let i = 0; i < 300 && (await q.getCompletedCount()) < 2; i++) await sleep(20);
    a.child.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    const counts = await q.getJobCounts('active', 'completed', 'waiting', 'failed');
    expect(counts.active).toBe(0);
    expect(counts.failed).toBe(0);
    expect(counts.completed).toBeGreaterThanOrEqual(2);
    expect(counts.completed + counts.waiting).toBe(40);
    expect(countOf(await queueEvents(redis, queue), 'stalled').size).toBe(0);
    await q.close();
  }, 60_000);

  it('a job not done within --job-timeout-ms fails with JOB_TIMEOUT after its 3 attempts', async () => {
    const queue = 'timeout';
    const [image] = imageFolder(1).good;
    // 1 ms: less than the batcher's 5 ms window alone, so no attempt can make it.
    const a = await startWorkerProcess(server.url, queue, ['--job-timeout-ms', '1']);
    workers.push(a);
    const run = await runInProcess(['enqueue', '--redis', server.url, '--queue', queue, '--wait', '--wait-timeout', '30', image]);
    expect(run.code).toBe(1);
    expect(lines(run.stdout)).toEqual([{ file: image, error: { code: 'JOB_TIMEOUT', message: `${image}: not classified within 1 ms` } }]);
    const q = new Queue(queue, { connection: redis });
    expect((await q.getFailed())[0].attemptsMade).toBe(3);
    await q.close();
    a.child.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    expect(a.stderr()).toContain('(attempt 1): JOB_TIMEOUT: ');
  }, 60_000);

  it('as a library: startWorker and openQueue, the return value found by jobIdOf', async () => {
    const { good, corrupt } = imageFolder(3);
    const inputs = [good[0], corrupt, good[1], good[2]];
    const worker = await startWorker({ redis: server.url, queue: 'library', model: { weights: TINY_WEIGHTS, batchSize: 2 } });
    const client = await openQueue({ redis: server.url, queue: 'library' });
    try {
      expect(worker.concurrency).toBe(4);
      const queued = await client.enqueue(inputs.map((path) => ({ path })), 3);
      expect([queued.added, queued.existing, queued.retried]).toEqual([4, 0, 0]);
      const records = [];
      for await (const record of client.results(queued.images, { idleTimeoutMs: 30_000 })) records.push(record);
      const expected = lines((await runInProcess(['classify', '--weights', TINY_WEIGHTS, '--format', 'ndjson', '-q', '-k', '3', ...inputs])).stdout);
      expect(records).toEqual(expected);
      const q = new Queue('library', { connection: redis });
      expect((await q.getJob(jobIdOf({ input: good[0], topk: 3 })))?.returnvalue).toEqual(expected[0]);
      await q.close();
    } finally {
      await client.close();
      await worker.close();
    }
  }, 60_000);

  it('enqueue --wait with no worker: WAIT_TIMEOUT records after --wait-timeout, exit 1', async () => {
    const [image] = imageFolder(1).good;
    const run = await runInProcess(['enqueue', '--redis', server.url, '--queue', 'idle', '--wait', '--wait-timeout', '1', image]);
    expect(run.code).toBe(1);
    expect(lines(run.stdout)).toEqual([
      { file: image, error: { code: 'WAIT_TIMEOUT', message: `${image}: no result yet: no job finished for 1 s (is a worker running on queue 'idle'?)` } },
    ]);
  }, 30_000);
});

describe('a Redis that cannot be used', () => {
  const argsOf = (command: string) => (command === 'worker' ? ['--weights', TINY_WEIGHTS] : [join(IMAGES, 'cat.jpg')]);

  it.each([['worker'], ['enqueue']])('vit %s: a URL that is not redis:// is a usage error (exit 2), its password not shown', async (command) => {
    const run = await runInProcess([command, '--redis', 'http://user:s3cret@127.0.0.1:6379', ...argsOf(command)]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^vit: --redis: expected a redis:\/\/ or rediss:\/\/ URL .*, received a URL of scheme 'http'\n$/);
    expect(run.stderr).not.toContain('s3cret');
  });

  it('a bad queue name is a usage error (exit 2)', async () => {
    const run = await runInProcess(['enqueue', '--redis', 'redis://127.0.0.1:1', '--queue', 'a:b', join(IMAGES, 'cat.jpg')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--queue: expected 1 to 100 letters");
  });

  it.each([['worker'], ['enqueue']])('vit %s: Redis not reachable is one line and exit 69, naming the URL with its password hidden', async (command) => {
    const port = await freePort();
    const run = await runInProcess([command, '--redis', `redis://:s3cret@127.0.0.1:${port}`, ...argsOf(command)]);
    expect(run.code).toBe(69);
    expect(run.stderr).toBe(`vit: cannot reach Redis at redis://:***@127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}\n`);
  });
});

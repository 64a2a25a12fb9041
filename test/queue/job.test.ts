// The queue's pieces that need no Redis: the URL check (and its password never shown), queue
// names, job ids, job data checks, and failure reasons read back into error records.

import { describe, expect, it } from 'vitest';
import { checkJobData, errorOfFailure, failureReasonOf, jobIdOf } from '../../src/app/queue/job.js';
import { checkQueueName, parseRedisUrl, QueueSettingError } from '../../src/app/queue/settings.js';

describe('parseRedisUrl', () => {
  it('takes redis:// and rediss:// URLs and shows them with the password hidden', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6379')).toEqual({ url: 'redis://127.0.0.1:6379', shown: 'redis://127.0.0.1:6379' });
    expect(parseRedisUrl('rediss://user:s3cret@cache.example:6380/2').shown).toBe('rediss://user:***@cache.example:6380/2');
    expect(parseRedisUrl('redis://:s3cret@h').shown).toBe('redis://:***@h');
  });

  it.each([
    ['http://user:s3cret@host:6379', "scheme 'http'"],
    ['s3cret', 'not a URL'],
    ['redis://', 'without a host'],
    ['redis://:s3cret@host/queue', 'database number'],
  ])('refuses %s without repeating it', (value, why) => {
    let error: unknown;
    try {
      parseRedisUrl(value);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(QueueSettingError);
    expect((error as Error).message).toContain(why);
    expect((error as Error).message).not.toContain('s3cret');
  });
});

describe('queue names', () => {
  it('are plain words without the Redis key separator', () => {
    expect(checkQueueName('images-2026.v1')).toBe('images-2026.v1');
    for (const bad of ['', 'a:b', '-lead', 'x'.repeat(101), 'sp ace']) expect(() => checkQueueName(bad)).toThrow(QueueSettingError);
  });
});

describe('jobs', () => {
  it('one id per image and topk, the same every time, never all digits', () => {
    const a = jobIdOf({ input: '/data/a.jpg', topk: 5 });
    expect(a).toBe(jobIdOf({ input: '/data/a.jpg', topk: 5 }));
    expect(jobIdOf({ input: '/data/a.jpg' })).toBe(a); // topk 5 is the default
    expect(jobIdOf({ input: '/data/a.jpg', topk: 3 })).not.toBe(a);
    expect(jobIdOf({ input: '/data/b.jpg', topk: 5 })).not.toBe(a);
    expect(a).toMatch(/^img-[0-9a-f]{40}$/);
  });

  it('checks job data from any producer (BAD_JOB)', () => {
    expect(checkJobData({ input: '/x.jpg' }, 10)).toEqual({ input: '/x.jpg', topk: 5 });
    expect(checkJobData({ input: '/x.jpg' }, 3)).toEqual({ input: '/x.jpg', topk: 3 });
    expect(checkJobData({ input: '/x.jpg', topk: 10 }, 10)).toEqual({ input: '/x.jpg', topk: 10 });
    for (const bad of [null, 'x', [], {}, { input: 42 }, { input: '' }, { input: 'x'.repeat(4097) }, { input: '/x.jpg', topk: 11 }, { input: '/x.jpg', topk: 1.5 }]) {
      const checked = checkJobData(bad, 10);
      expect(checked).toMatchObject({ code: 'BAD_JOB' });
    }
  });

  it('a failure reason reads back as the error record it was made from', () => {
    const error = { code: 'CORRUPT', message: '/x.png: image data is corrupt: a: b' };
    expect(failureReasonOf(error)).toBe('CORRUPT: /x.png: image data is corrupt: a: b');
    expect(errorOfFailure('/x.png', failureReasonOf(error))).toEqual({ file: '/x.png', error });
  });

  it("a reason not made by a worker is JOB_FAILED (BullMQ's stalled limit, a bug)", () => {
    expect(errorOfFailure('/x.png', 'job stalled more than allowable limit')).toEqual({
      file: '/x.png',
      error: { code: 'JOB_FAILED', message: '/x.png: the job failed: job stalled more than allowable limit' },
    });
    expect(errorOfFailure('/x.png', undefined).error.code).toBe('JOB_FAILED');
  });
});

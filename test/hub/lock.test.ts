import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withFileLock } from '../../src/hub/lock.js';

let tmp: string;
beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'vit-hub-lock-'));
});
afterEach(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('withFileLock', () => {
  it('runs critical sections one at a time and removes the lock file afterwards', async () => {
    const lockPath = path.join(tmp, 'locks', 'x.vit.lock');
    const order: string[] = [];
    const section = (name: string) =>
      withFileLock(
        lockPath,
        async () => {
          order.push(`${name}:start`);
          await new Promise((resolve) => setTimeout(resolve, 20));
          order.push(`${name}:end`);
        },
        { pollMs: 5 },
      );
    await Promise.all([section('a'), section('b')]);
    // Whichever went first, the two sections never interleave.
    expect([
      ['a:start', 'a:end', 'b:start', 'b:end'],
      ['b:start', 'b:end', 'a:start', 'a:end'],
    ]).toContainEqual(order);
    await expect(fs.stat(lockPath)).rejects.toThrow();
  });

  it('releases the lock when the section throws', async () => {
    const lockPath = path.join(tmp, 'x.vit.lock');
    await expect(withFileLock(lockPath, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(fs.stat(lockPath)).rejects.toThrow();
  });

  it('breaks a lock left by a dead process on this host', async () => {
    const lockPath = path.join(tmp, 'x.vit.lock');
    await fs.writeFile(lockPath, `2147483646@${os.hostname()}`); // no such pid
    expect(await withFileLock(lockPath, async () => 'ran', { pollMs: 5 })).toBe('ran');
  });

  it('breaks a lock whose heartbeat stopped long ago', async () => {
    const lockPath = path.join(tmp, 'x.vit.lock');
    await fs.writeFile(lockPath, `${process.pid}@some-other-host`);
    const old = new Date(Date.now() - 10 * 60_000);
    await fs.utimes(lockPath, old, old);
    expect(await withFileLock(lockPath, async () => 'ran', { pollMs: 5, staleMs: 60_000 })).toBe('ran');
  });
});

/**
 * A cross-process lock file, so two `vit` runs never append to the same `.incomplete` blob at once.
 *
 * Contract: `withFileLock(path, fn)` runs `fn` while holding an exclusive lock created with O_EXCL.
 * The holder rewrites the file's mtime every `staleMs / 4`; a waiter breaks a lock whose mtime is older
 * than `staleMs` (crashed holder, any host) or whose holder is a dead process on this host. The lock
 * file is removed on release. Node has no flock(), hence a heartbeat rather than an OS lock; the file
 * name differs from Python's `.lock` files, which Python leaves behind after use.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface LockOptions {
  pollMs?: number;
  staleMs?: number;
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function isStale(lockPath: string, staleMs: number): Promise<boolean> {
  try {
    const [stat, content] = await Promise.all([fs.stat(lockPath), fs.readFile(lockPath, 'utf8')]);
    if (Date.now() - stat.mtimeMs > staleMs) return true;
    const [pidText, host] = content.split('@');
    const pid = Number(pidText);
    return host === os.hostname() && Number.isInteger(pid) && pid > 0 && !processIsAlive(pid);
  } catch {
    // Vanished (released) while we looked: not stale, just retry the create.
    return false;
  }
}

export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const pollMs = options.pollMs ?? 100;
  const staleMs = options.staleMs ?? 60_000;
  await fs.mkdir(path.dirname(lockPath), { recursive: true });

  for (;;) {
    try {
      const handle = await fs.open(lockPath, 'wx');
      await handle.writeFile(`${process.pid}@${os.hostname()}`);
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (await isStale(lockPath, staleMs)) {
        await fs.rm(lockPath, { force: true });
        continue;
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  const heartbeat = setInterval(() => {
    const now = new Date();
    fs.utimes(lockPath, now, now).catch(() => undefined);
  }, Math.max(10, staleMs / 4));
  heartbeat.unref();
  try {
    return await fn();
  } finally {
    clearInterval(heartbeat);
    await fs.rm(lockPath, { force: true });
  }
}

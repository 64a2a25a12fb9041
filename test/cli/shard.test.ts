// vit classify / embed --shard I/N: N runs over the same inputs report each input exactly once
// (missing files included); malformed values are usage errors.

import { join, relative } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { IMAGES, runInProcess, TINY_WEIGHTS } from './run.js';

const MISSING = join(IMAGES, 'no-such-image.jpg');
const INPUTS = [IMAGES, MISSING];
const base = ['--weights', TINY_WEIGHTS, '--format', 'ndjson', '--quiet'];

function files(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (JSON.parse(l) as { file: string }).file);
}

afterEach(() => vi.unstubAllEnvs());

describe('--shard', () => {
  it('the shards of a directory and a missing file together report every input once', async () => {
    const all = files((await runInProcess(['classify', ...INPUTS, ...base])).stdout);
    expect(all).toContain(MISSING);
    expect(all.length).toBeGreaterThan(10);
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      const run = await runInProcess(['classify', ...INPUTS, ...base, '--shard', `${i}/3`]);
      expect([0, 1]).toContain(run.code);
      const mine = files(run.stdout);
      expect(mine.length).toBeLessThan(all.length); // a real split, not everything thrice
      seen.push(...mine);
    }
    expect([...seen].sort()).toEqual([...all].sort());
  }, 60_000);

  it('streamed paths from stdin are sharded as they arrive, the same as a list (embed, VIT_SHARD)', async () => {
    // Relative to the repository (the tests' working directory), so that the shards, which hash the
    // path as given, are the same wherever the repository is checked out.
    const paths = ['cat.jpg', 'coffee.png', 'gray.png', 'cat.png', 'coffee.jpg', 'gray.jpg'].map((f) => relative(process.cwd(), join(IMAGES, f)));
    vi.stubEnv('VIT_SHARD', '1/2');
    const listed = await runInProcess(['embed', ...paths, '--weights', TINY_WEIGHTS, '--quiet']);
    const streamed = await runInProcess(['embed', '-', '--weights', TINY_WEIGHTS, '--quiet'], { stdin: `${paths.join('\n')}\n` });
    vi.unstubAllEnvs();
    const other = await runInProcess(['embed', '-', '--weights', TINY_WEIGHTS, '--quiet', '--shard', '0/2'], { stdin: `${paths.join('\n')}\n` });
    expect(listed.code).toBe(0);
    expect(streamed.stdout).toBe(listed.stdout);
    expect([...files(streamed.stdout), ...files(other.stdout)].sort()).toEqual([...paths].sort());
    expect(files(streamed.stdout).length).toBeGreaterThan(0);
    expect(files(other.stdout).length).toBeGreaterThan(0);
  }, 60_000);

  it('malformed values are usage errors (exit 2)', async () => {
    for (const value of ['3/3', '0/0', '1/1000001', '1.5/4', '-1/4', '1', 'a/b', '1/2/3', '']) {
      const run = await runInProcess(['classify', join(IMAGES, 'cat.jpg'), ...base, '--shard', value]);
      expect(run.code, value).toBe(2);
      expect(run.stderr, value).toMatch(/--shard/);
    }
    vi.stubEnv('VIT_SHARD', '4/4');
    expect((await runInProcess(['classify', join(IMAGES, 'cat.jpg'), ...base])).code).toBe(2);
  }, 60_000);
});

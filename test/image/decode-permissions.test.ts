// EACCES cannot be produced for real when the tests run as root (root reads any file), so the
// file read is made to fail the way Node reports a permission error.

import { describe, expect, it, vi } from 'vitest';

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...actual,
    readFile: vi.fn(async (path: string) => {
      if (String(path).endsWith('locked.png')) {
        throw Object.assign(new Error(`EACCES: permission denied, open '${path}'`), { code: 'EACCES' });
      }
      return actual.readFile(path);
    }),
  };
});

const { decodeImage } = await import('../../src/image/decode.js');

describe('decodeImage permission errors', () => {
  it('EACCES names the file', async () => {
    await expect(decodeImage('/data/locked.png')).rejects.toMatchObject({
      name: 'ImageDecodeError',
      code: 'EACCES',
      source: '/data/locked.png',
      message: '/data/locked.png: permission denied',
    });
  });
});

// EACCES cannot be produced for real when the tests run as root (root reads any file), so
// opening the file is made to fail the way Node reports a permission error.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...actual,
    open: vi.fn(async (path: string, flags?: number) => {
      if (String(path).endsWith('locked.png')) {
        throw Object.assign(new Error(`EACCES: permission denied, open '${path}'`), { code: 'EACCES' });
      }
      return actual.open(path, flags);
    }),
  };
});

const { decodeImage } = await import('../../src/image/decode.js');

describe('decodeImage permission errors', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'vit-image-permissions-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('EACCES names the file', async () => {
    const path = join(tmp, 'locked.png');
    writeFileSync(path, 'not read');
    await expect(decodeImage(path)).rejects.toMatchObject({
      name: 'ImageDecodeError',
      code: 'EACCES',
      source: path,
      message: `${path}: permission denied`,
    });
  });
});

// An unreadable directory (issue 12): EACCES cannot be produced for real when the tests run as
// root (root lists any directory), so listing one directory is made to fail the way Node reports
// a permission error. The walk must report it as one input's error and go on with the rest.

import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...actual,
    readdir: vi.fn(async (path: string, options: Parameters<typeof actual.readdir>[1]) => {
      if (String(path).endsWith('locked')) throw Object.assign(new Error(`EACCES: permission denied, scandir '${path}'`), { code: 'EACCES' });
      return actual.readdir(path, options as never);
    }),
  };
});

const { expandInputs } = await import('../../src/app/inputs.js');
const CAT = join(import.meta.dirname, '..', 'fixtures', 'images', 'cat.jpg');

describe('directories that cannot be listed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vit-inputs-'));
  mkdirSync(join(dir, 'locked'));
  mkdirSync(join(dir, 'open'));
  copyFileSync(CAT, join(dir, 'a.jpg'));
  copyFileSync(CAT, join(dir, 'open', 'b.jpg'));
  const stdin = () => Readable.from([]);

  it('under --recursive: an EACCES item for the locked one, the images beside and below it kept', async () => {
    const items = await expandInputs([dir], { recursive: true, stdin: stdin() });
    expect(items).toEqual([
      { path: join(dir, 'a.jpg') },
      { path: join(dir, 'locked'), error: { code: 'EACCES', message: `${join(dir, 'locked')}: permission denied` } },
      { path: join(dir, 'open', 'b.jpg') },
    ]);
  });

  it('named as an input: one EACCES item, the other inputs kept', async () => {
    const items = await expandInputs([join(dir, 'locked'), CAT], { recursive: false, stdin: stdin() });
    expect(items).toEqual([{ path: join(dir, 'locked'), error: { code: 'EACCES', message: `${join(dir, 'locked')}: permission denied` } }, { path: CAT }]);
  });
});

import { describe, expect, it } from 'vitest';
import { openRegularFile, readRegularFile, unusablePath } from '../../src/util/regular-file.js';

const asError = (problem: string) => new Error(problem);

describe('paths that cannot name a file', () => {
  it('a NUL byte is refused before any system call, in the caller\'s words', () => {
    expect(unusablePath('model\0.safetensors')).toBe('it contains a NUL byte');
    expect(unusablePath('model.safetensors')).toBeUndefined();
    expect(() => openRegularFile('model\0.safetensors', asError)).toThrow(/^cannot open: not a path: it contains a NUL byte$/);
  });

  it('a directory and a missing file are named as such', () => {
    expect(() => openRegularFile('/', asError)).toThrow(/^cannot open: is a directory, not a file$/);
    expect(() => openRegularFile('/nonexistent/x', asError)).toThrow(/^cannot open: no such file$/);
  });

  it('a character device is refused, never read', () => {
    expect(() => readRegularFile('/dev/zero', 1024, asError)).toThrow(/character device/);
  });
});

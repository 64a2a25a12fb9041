// Labels files (app/labels.ts readLabelsFile): one name per line; blank lines only at the end.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LabelsError, readLabelsFile } from '../../src/app/labels.js';

function labelsFile(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'vit-labels-')), 'labels.txt');
  writeFileSync(path, text);
  return path;
}

describe('readLabelsFile', () => {
  it.each([
    ['no final newline', 'cat\ndog\nbird'],
    ['a final newline', 'cat\ndog\nbird\n'],
    ['a final blank line', 'cat\ndog\nbird\n\n'],
    ['several blank lines, CRLF, a line of spaces', 'cat\r\ndog\r\nbird\r\n\r\n   \r\n\n'],
  ])('%s: three names', (_, text) => {
    expect(readLabelsFile(labelsFile(text), 3)).toEqual(['cat', 'dog', 'bird']);
  });

  it('a name keeps its own spaces, at the end of the file too', () => {
    expect(readLabelsFile(labelsFile('cat\nhot dog \n\n'), 2)).toEqual(['cat', 'hot dog ']);
  });

  it('a blank line between names is an error naming the line', () => {
    const path = labelsFile('cat\n\ndog\n\n');
    expect(() => readLabelsFile(path, 3)).toThrow(LabelsError);
    expect(() => readLabelsFile(path, 3)).toThrow(`${path}: line 2 is empty; every class needs a name`);
  });

  it('the trailing blank lines do not count as classes', () => {
    const path = labelsFile('cat\ndog\n\n\n');
    expect(() => readLabelsFile(path, 4)).toThrow(`${path}: the labels file has 2 lines but the model has 4 classes (one name per line expected)`);
  });
});

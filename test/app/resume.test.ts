// Resume files (app/resume.ts): which inputs are done, the partial last line cut off, the limits,
// and files that are not a run's output.

import { mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OutputError, ResumeFileError } from '../../src/app/errors.js';
import { MAX_RESUME_BYTES, MAX_RESUME_LINE_BYTES, openResumeLog } from '../../src/app/resume.js';

const dir = mkdtempSync(join(tmpdir(), 'vit-resume-'));
let n = 0;
function file(text: string | Buffer): string {
  const path = join(dir, `out-${n++}.ndjson`);
  writeFileSync(path, text);
  return path;
}

describe('openResumeLog', () => {
  it('results are done, error records are not, and a partial last line is cut off before appending', () => {
    const lines = ['{"file":"a.jpg","predictions":[]}', '{"file":"b.jpg","error":{"code":"ENOENT","message":"b.jpg: no such file"}}', '', '{"file":"c\\n.jpg","predictions":[1]}'];
    const path = file(`${lines.join('\n')}\n{"file":"d.jpg","predic`);
    const log = openResumeLog(path, 'predictions');
    expect([...log.done]).toEqual(['a.jpg', 'c\n.jpg']);
    expect(log.errors).toBe(1);
    expect(log.truncated).toBe('{"file":"d.jpg","predic'.length);
    log.append('{"file":"d.jpg","predictions":[]}\n');
    log.close();
    expect(readFileSync(path, 'utf8')).toBe(`${lines.join('\n')}\n{"file":"d.jpg","predictions":[]}\n`);
  });

  it('a missing file is created; a file that ends with a whole line is left as it is', () => {
    const path = join(dir, 'new.ndjson');
    const log = openResumeLog(path, 'features');
    expect([log.done.size, log.errors, log.truncated]).toEqual([0, 0, 0]);
    log.append('{"file":"a.jpg","features":[0.5]}\n');
    log.close();
    const again = openResumeLog(path, 'features');
    expect([...again.done]).toEqual(['a.jpg']);
    expect(again.truncated).toBe(0);
    again.close();
    expect(readFileSync(path, 'utf8')).toBe('{"file":"a.jpg","features":[0.5]}\n');
  });

  it('lines longer than a chunk are read whole', () => {
    const long = `${'x'.repeat(3 << 20)}.jpg`;
    const log = openResumeLog(file(`{"file":"${long}","features":[]}\n`), 'features');
    expect([...log.done]).toEqual([long]);
    log.close();
  });

  it('refuses files that are not the command ndjson output, naming the line', () => {
    const cases: [string, RegExp][] = [
      ['{"file":"a.jpg","predictions":[]}\nnot json\n', /line 2: not JSON/],
      ['[1,2]\n', /line 1: not a record with a "file"/],
      ['{"file":"a.jpg","features":[]}\n', /line 1: neither a \{"file", "predictions"\} result/],
    ];
    for (const [text, message] of cases) {
      const path = file(text);
      expect(() => openResumeLog(path, 'predictions')).toThrow(ResumeFileError);
      expect(() => openResumeLog(path, 'predictions')).toThrow(message);
      expect(readFileSync(path, 'utf8')).toBe(text); // untouched
    }
  });

  it('refuses a line longer than the limit, ended or not, and a file over the size limit', () => {
    const long = Buffer.alloc(MAX_RESUME_LINE_BYTES + 1, 0x20);
    expect(() => openResumeLog(file(Buffer.concat([long, Buffer.from('\n')])), 'features')).toThrow(/line 1 is longer than/);
    expect(() => openResumeLog(file(long), 'features')).toThrow(ResumeFileError);
    const huge = file('');
    truncateSync(huge, MAX_RESUME_BYTES + 1); // sparse: no disk used
    expect(() => openResumeLog(huge, 'features')).toThrow(/more than --resume reads/);
  });

  it('a path that cannot be written is an OutputError', () => {
    expect(() => openResumeLog(dir, 'features')).toThrow(OutputError);
    expect(() => openResumeLog(join(dir, 'no-such-folder', 'out.ndjson'), 'features')).toThrow(/cannot write the results: no such folder/);
  });
});

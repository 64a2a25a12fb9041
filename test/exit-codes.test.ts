// The exit-code and error-code contract (README "Exit codes" and "Output schemas"): every code the
// README documents is exercised by at least one test, and no test input ends in exit 70 (the
// runners in test/cli/run.ts fail any run that does).

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './cli/run.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const testSources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? testSources(join(dir, e.name)) : /\.test\.ts$/.test(e.name) && e.name !== 'exit-codes.test.ts' ? [readFileSync(join(dir, e.name), 'utf8')] : [],
  );
const TESTS = testSources(join(ROOT, 'test')).join('\n');

/** The per-image error codes listed after "Error codes:" in the README's output schemas. */
function documentedErrorCodes(): string[] {
  const start = README.indexOf('Error codes:');
  const list = README.slice(start, README.indexOf('\n- **', start));
  return [...list.matchAll(/`([A-Z_]{3,})`/g)].map((m) => m[1]);
}

/** The exit codes in the README's "Exit codes" table. */
function documentedExitCodes(): number[] {
  const start = README.indexOf('### Exit codes');
  const table = README.slice(start, README.indexOf('\n## ', start));
  return [...table.matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1]));
}

describe('the documented codes are all tested', () => {
  it('finds the lists it checks', () => {
    expect(documentedErrorCodes()).toEqual(expect.arrayContaining(['ENOENT', 'NO_IMAGES', 'TOO_LARGE', 'NONFINITE', 'INVALID_PATH']));
    expect(documentedExitCodes()).toEqual([0, 1, 2, 3, 69, 70, 74]);
  });

  it.each(documentedErrorCodes())('per-image error code %s appears in a test', (code) => {
    expect(TESTS).toMatch(new RegExp(`['"\`/]${code}['"\`/]|${code}\\b`));
  });

  it.each(documentedExitCodes().filter((c) => c !== 70))('exit code %i is expected by a test', (code) => {
    expect(TESTS).toMatch(new RegExp(`\\.toBe\\(${code}\\)`));
  });
});

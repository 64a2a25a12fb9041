// Inputs on the command line, in-process: paths on stdin are classified as they arrive.

import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { IMAGES, runInProcess, TINY_WEIGHTS } from './run.js';

const CAT = join(IMAGES, 'cat.jpg');
const COFFEE = join(IMAGES, 'coffee.png');

/** main() with a stdin the test writes to while the command runs; resolves `firstLine` with stdout's first line. */
function runWithOpenStdin(args: string[]) {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  let gotFirstLine!: (line: string) => void;
  const firstLine = new Promise<string>((resolve) => (gotFirstLine = resolve));
  stdout.on('data', (c) => {
    out += String(c);
    if (out.includes('\n')) gotFirstLine(out.slice(0, out.indexOf('\n')));
  });
  stderr.on('data', (c) => (err += String(c)));
  const done = main(args, { stdin, stdout, stderr }).then((code) => ({ code, stdout: out, stderr: err }));
  return { stdin, firstLine, done };
}

describe("'-': paths from stdin stream", () => {
  for (const command of ['classify', 'embed']) {
    it(`${command}: the first result is out while stdin is still open; the rest follow in input order`, async () => {
      const { stdin, firstLine, done } = runWithOpenStdin([command, '-', '--weights', TINY_WEIGHTS, '--format', 'ndjson', '--quiet']);
      stdin.write(`${CAT}\n`);
      // Nothing more is written until the first record is out: a command that read stdin to its end first would never get here.
      expect(JSON.parse(await firstLine).file).toBe(CAT);
      expect(stdin.writableEnded).toBe(false);
      stdin.write(`${COFFEE}\n/no/such.jpg\n`);
      stdin.end(`${CAT}\n`);
      const { code, stdout } = await done;
      expect(code).toBe(1);
      const records = stdout.trim().split('\n').map((l) => JSON.parse(l));
      expect(records.map((r) => r.file)).toEqual([CAT, COFFEE, '/no/such.jpg', CAT]);
      expect(records.map((r) => r.error?.code ?? 'ok')).toEqual(['ok', 'ok', 'ENOENT', 'ok']);
    }, 20_000);
  }

  it('an empty stdin is a usage error, and no model is loaded', async () => {
    const { stdin, done } = runWithOpenStdin(['classify', '-', '--weights', '/no/such/weights.safetensors']);
    stdin.end('\n');
    const { code, stderr } = await done;
    expect(code).toBe(2);
    expect(stderr).toMatch(/^vit: no inputs/);
  });
});

describe('directories', () => {
  it("a folder copied from a Mac: the ._name.jpg beside each image is not an input (it was a failed one, exit 1)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vit-inputs-'));
    copyFileSync(CAT, join(dir, 'cat.jpg'));
    writeFileSync(join(dir, '._cat.jpg'), Buffer.from([0, 5, 22, 7, 0, 2, 0, 0, 0x4d, 0x61, 0x63]));
    const { code, stdout } = await runInProcess(['classify', dir, '--weights', TINY_WEIGHTS, '--format', 'ndjson', '--quiet']);
    expect(code).toBe(0);
    expect(stdout.trim().split('\n').map((l) => JSON.parse(l).file)).toEqual([join(dir, 'cat.jpg')]);
  });
});

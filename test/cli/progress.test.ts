// The spinner: on stderr only when it is a terminal and --quiet is off; stdout stays clean.

import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { IMAGES, TINY_WEIGHTS } from './run.js';

async function runWithTerminal(args: string[]) {
  const stdout = new PassThrough();
  // What ora needs of a tty.WriteStream.
  const stderr = new PassThrough();
  Object.assign(stderr, {
    isTTY: true,
    columns: 80,
    cursorTo: () => stderr.write('\u001b[G'),
    clearLine: () => stderr.write('\u001b[2K'),
    moveCursor: () => true,
  });
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (c) => out.push(String(c)));
  stderr.on('data', (c) => err.push(String(c)));
  const code = await main(args, { stdout, stderr, stdin: Readable.from(['']) });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('progress display', () => {
  const args = ['classify', `${IMAGES}/cat.jpg`, '--weights', TINY_WEIGHTS, '--format', 'ndjson'];

  it('draws a spinner on a terminal stderr, never on stdout', async () => {
    const { code, stdout, stderr } = await runWithTerminal(args);
    expect(code).toBe(0);
    expect(stderr).toMatch(/loading .*model\.safetensors/);
    expect(stderr).toMatch(/classifying 1\/1/);
    expect(stderr.endsWith('\u001b[?25h')).toBe(true); // cursor shown again when done
    expect(stdout).not.toMatch(/\u001b/); // no escape codes in the results
    expect(JSON.parse(stdout).file).toBe(`${IMAGES}/cat.jpg`);
  });

  it('is silent with --quiet', async () => {
    const { stderr } = await runWithTerminal([...args, '--quiet']);
    expect(stderr).toBe('');
  });
});

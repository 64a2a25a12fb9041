// The spinner: on stderr only when it is a terminal and --quiet is off; stdout stays clean.

import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadApp, loadProgressOf, WEIGHT_BYTES_AFTER_MS } from '../../src/cli/commands/shared.js';
import { main } from '../../src/cli/main.js';
import type { Progress } from '../../src/cli/progress.js';
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

  it('the line follows the run: each batch decoding, then running, then each of its images as the batch completes', async () => {
    const [cat, coffee] = [`${IMAGES}/cat.jpg`, `${IMAGES}/coffee.png`];
    const { code, stdout, stderr } = await runWithTerminal(['classify', cat, coffee, cat, '-b', '2', '--weights', TINY_WEIGHTS, '--format', 'ndjson']);
    expect(code).toBe(0);
    expect(stdout.trim().split('\n')).toHaveLength(3);
    // Each render is "<frame> <text>" after a clear-line; the frames animate, the texts are the run's steps.
    const texts = stderr
      .split('\u001b[2K')
      .map((chunk) => /^\S+ ([^\u001b]+)/.exec(chunk)?.[1])
      .filter((text): text is string => text !== undefined && text.startsWith('classifying'));
    const steps = texts.filter((text, i) => text !== texts[i - 1]);
    expect(steps).toEqual([
      'classifying 0/3: decoding 2 images',
      'classifying 0/3: running the model on 2 images',
      'classifying 1/3',
      'classifying 2/3',
      'classifying 2/3: decoding 1 image',
      'classifying 2/3: running the model on 1 image',
      'classifying 3/3',
    ]);
  });
});

describe('loading progress', () => {
  it('names the file, and the bytes of weights read only once loading has taken more than a second', async () => {
    const app = await loadApp();
    const lines: string[] = [];
    const progress: Progress = { update: (text) => lines.push(text), note() {}, warn() {}, stop() {} };
    let clock = 5000;
    const shown = loadProgressOf(app, progress, () => clock);
    shown.onStage?.('download', 'org/model');
    shown.onStage?.('load', '/models/model.safetensors');
    clock += WEIGHT_BYTES_AFTER_MS; // exactly one second: not yet
    shown.onWeights?.({ bytes: 1_000_000, total: 350_000_000 });
    clock += 1;
    shown.onWeights?.({ bytes: 120_000_000, total: 350_000_000 });
    shown.onWeights?.({ bytes: 350_000_000, total: 350_000_000 });
    expect(lines).toEqual([
      'fetching org/model',
      'loading /models/model.safetensors',
      `loading /models/model.safetensors: ${app.formatBytes(120_000_000)} of ${app.formatBytes(350_000_000)} of weights`,
      `loading /models/model.safetensors: ${app.formatBytes(350_000_000)} of ${app.formatBytes(350_000_000)} of weights`,
    ]);
    expect(lines[2]).toMatch(/: 120 MB of 350 MB of weights$/);
  });
});


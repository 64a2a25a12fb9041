// Running the CLI in tests: in-process through main() with captured streams, or as a real
// process through bin/vit.js (which runs the compiled dist/, built by `npm test`'s pretest).

import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, vi } from 'vitest';
import { main } from '../../src/cli/main.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(ROOT, 'bin', 'vit.js');
export const IMAGES = join(ROOT, 'test', 'fixtures', 'images');
export const TINY_WEIGHTS = join(ROOT, 'fixtures', 'models', 'tiny', 'model.safetensors');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * In-process runs see this process's environment. Call at the top of a test file: each test gets
 * an empty hub cache of its own and a hub endpoint where nothing listens (a request fails the
 * run), so no test reads the user's cache or the network. Returns the current test's cache folder.
 */
export function isolateHub(): () => string {
  let cache = '';
  beforeEach(() => {
    cache = join(mkdtempSync(join(tmpdir(), 'vit-hub-')), 'hub');
    mkdirSync(cache);
    vi.stubEnv('HF_HUB_CACHE', cache);
    vi.stubEnv('HF_ENDPOINT', 'http://127.0.0.1:9');
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });
  return () => cache;
}

/** Exit 70 means a bug: no test input may cause it, so a run that ends in it fails the test at once. */
export const INTERNAL_ERROR = 70;

function refuseInternalError(args: readonly string[], result: CliResult): CliResult {
  if (result.code === INTERNAL_ERROR) throw new Error(`vit ${args.join(' ')} exited ${INTERNAL_ERROR} (an internal error, a bug): ${result.stderr}`);
  return result;
}

/** main(argv) with string streams (set environment variables with vi.stubEnv). */
export async function runInProcess(args: string[], options: { stdin?: string } = {}): Promise<CliResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (c) => out.push(String(c)));
  stderr.on('data', (c) => err.push(String(c)));
  const code = await main(args, { stdout, stderr, stdin: Readable.from([options.stdin ?? '']) });
  return refuseInternalError(args, { code, stdout: out.join(''), stderr: err.join('') });
}

/** The real bin in a child process. */
export function runBin(args: string[], options: { stdin?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve(refuseInternalError(args, { code, stdout, stderr }));
      },
    );
    child.stdin?.end(options.stdin ?? '');
  });
}

/** classify's top-3 logits for the test cat on the tiny model, one thread, with these extra flags (the run must succeed silently). */
export async function catLogits(...flags: string[]): Promise<number[]> {
  const { code, stdout, stderr } = await runInProcess(['classify', join(IMAGES, 'cat.jpg'), '--weights', TINY_WEIGHTS, '--topk', '3', '--format', 'json', '--threads', '1', ...flags]);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  return (JSON.parse(stdout) as { results: { predictions: { logit: number }[] }[] }).results[0].predictions.map((p) => p.logit);
}

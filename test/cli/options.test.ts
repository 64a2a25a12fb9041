// Option parsing, in-process: defaults, environment variables, validation and exit codes.

import { afterEach, describe, expect, it, vi } from 'vitest';
import { IMAGES, runInProcess, TINY_WEIGHTS } from './run.js';

const CAT = `${IMAGES}/cat.jpg`;

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('vit option parsing', () => {
  it('prints help with the exit codes and every option with its environment variable', async () => {
    const { code, stdout: raw } = await runInProcess(['classify', '--help']);
    expect(code).toBe(0);
    const stdout = raw.replace(/\s+/g, ' '); // help text wraps at 80 columns
    for (const env of ['VIT_WEIGHTS', 'VIT_MODEL', 'VIT_LABELS', 'VIT_TOPK', 'VIT_FORMAT', 'VIT_BATCH_SIZE', 'VIT_THREADS', 'VIT_BACKEND', 'VIT_RESIZE']) {
      expect(stdout).toContain(`env: ${env}`);
    }
    expect(stdout).toMatch(/choices: "text", "json", "ndjson", "csv"/);
    expect(stdout).toMatch(/3 +weights, model, config, labels, reference or download problem \(also a flag that contradicts the checkpoint\)/);
  });

  it('with no arguments shows help on stderr and exits 2', async () => {
    const { code, stderr, stdout } = await runInProcess([]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/Usage: vit/);
  });

  it.each([
    [['--topk', '0'], /--topk <n>' argument '0' is invalid. expected a positive integer/],
    [['--topk', 'abc'], /argument 'abc' is invalid/],
    [['--batch-size', '-3'], /--batch-size <n>' argument '-3' is invalid/],
    [['--format', 'xml'], /argument 'xml' is invalid. Allowed choices are text, json, ndjson, csv/],
    [["--backend", "gpu"], /Allowed choices are auto, wasm, ref/],
    [['--frobnicate'], /unknown option '--frobnicate'/],
  ])('rejects %j with exit code 2', async (args, message) => {
    const { code, stderr, stdout } = await runInProcess(['classify', CAT, '--weights', TINY_WEIGHTS, ...args]);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stdout).toBe('');
  });

  it('rejects --topk above the number of classes after reading the model', async () => {
    const { code, stderr } = await runInProcess(['classify', CAT, '--weights', TINY_WEIGHTS, '--topk', '5000']);
    expect(code).toBe(2);
    expect(stderr).toBe("vit: --topk 5000 is more than the model's 10 classes\n");
  });

  it('a setting given by its environment variable is named by it in an error, not by a flag never typed', async () => {
    vi.stubEnv('VIT_TOPK', '5000');
    const topk = await runInProcess(['classify', CAT, '--weights', TINY_WEIGHTS]);
    expect(topk.code).toBe(2);
    expect(topk.stderr).toBe("vit: VIT_TOPK=5000 is more than the model's 10 classes\n");
    vi.stubEnv('VIT_FORMAT', 'json');
    const resume = await runInProcess(['classify', CAT, '--weights', TINY_WEIGHTS, '--topk', '1', '--resume', '/nonexistent/out.ndjson']);
    expect(resume.code).toBe(2);
    expect(resume.stderr).toBe('vit: --resume appends ndjson records: it needs --format ndjson, not VIT_FORMAT=json\n');
    // The flag wins over the variable, and is then what the message names.
    const flag = await runInProcess(['classify', CAT, '--weights', TINY_WEIGHTS, '--topk', '1', '--format', 'csv', '--resume', '/nonexistent/out.ndjson']);
    expect(flag.stderr).toBe('vit: --resume appends ndjson records: it needs --format ndjson, not --format csv\n');
    vi.unstubAllEnvs();
    const byDefault = await runInProcess(['classify', CAT, '--weights', TINY_WEIGHTS, '--resume', '/nonexistent/out.ndjson']);
    expect(byDefault.stderr).toBe('vit: --resume appends ndjson records: it needs --format ndjson, not --format text (the default)\n');
  });

  it('reads options from VIT_* environment variables', async () => {
    vi.stubEnv('VIT_WEIGHTS', TINY_WEIGHTS);
    vi.stubEnv('VIT_TOPK', '2');
    vi.stubEnv('VIT_FORMAT', 'ndjson');
    const { code, stdout } = await runInProcess(['classify', CAT]);
    expect(code).toBe(0);
    const record = JSON.parse(stdout);
    expect(record.predictions).toHaveLength(2);
  });

  it('lets the command line win over the environment', async () => {
    vi.stubEnv('VIT_WEIGHTS', TINY_WEIGHTS);
    vi.stubEnv('VIT_TOPK', '2');
    const { stdout } = await runInProcess(['classify', CAT, '--topk', '3', '--format', 'json']);
    expect(JSON.parse(stdout).results[0].predictions).toHaveLength(3);
  });

  it('requires both --weights and --reference for verify, or neither', async () => {
    const { code, stderr } = await runInProcess(['verify', '--weights', TINY_WEIGHTS]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/give both --weights and --reference/);
  });

  it('names the closest model for a typo', async () => {
    const { code, stderr } = await runInProcess(['info', '--model', 'vit_base_patch16_348']);
    expect(code).toBe(3);
    expect(stderr).toMatch(/^vit: unknown model 'vit_base_patch16_348'; did you mean vit_base_patch16_384/);
  });

  it('reads image paths from stdin with -', async () => {
    const { code, stdout } = await runInProcess(['classify', '-', '--weights', TINY_WEIGHTS, '--format', 'ndjson'], {
      stdin: `${CAT}\n\n${IMAGES}/coffee.png\n`,
    });
    expect(code).toBe(0);
    expect(stdout.trim().split('\n').map((l) => JSON.parse(l).file)).toEqual([CAT, `${IMAGES}/coffee.png`]);
  });
});

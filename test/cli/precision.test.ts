// --precision (VIT_PRECISION) and the library's `precision`: the choice reaches the backend, the
// flag wins over the environment, a bad value is a usage error. Whether int8 agrees with fp32
// well enough is measured elsewhere; here int8 only has to be what ran (its logits differ from
// fp32's).

import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadModel } from '../../src/app/load-model.js';
import { catLogits, IMAGES, runInProcess, TINY_WEIGHTS } from './run.js';

const CAT = `${IMAGES}/cat.jpg`;

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('--precision', () => {
  it('is in --help with its choices, default and environment variable', async () => {
    for (const command of ['classify', 'embed', 'verify', 'serve']) {
      const { code, stdout } = await runInProcess([command, '--help']);
      expect(code).toBe(0);
      expect(stdout.replace(/\s+/g, ' ')).toMatch(/--precision <p> .*\(choices: "fp32", "int8", default: "fp32", env: VIT_PRECISION\)/);
    }
  });

  it('rejects another value with exit code 2', async () => {
    const { code, stderr, stdout } = await runInProcess(['classify', CAT, '--weights', TINY_WEIGHTS, '--precision', 'int4']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--precision <p>' argument 'int4' is invalid. Allowed choices are fp32, int8/);
    expect(stdout).toBe('');
  });

  it('int8 runs int8 Linear layers on either backend (the logits move), fp32 is the default', async () => {
    const fp32 = await catLogits();
    expect(await catLogits('--precision', 'fp32')).toEqual(fp32);
    expect(await catLogits('--precision', 'int8')).not.toEqual(fp32);
    expect(await catLogits('--precision', 'int8', '--backend', 'ref')).not.toEqual(await catLogits('--backend', 'ref'));
  });

  it('VIT_PRECISION selects it, and the flag wins over the environment', async () => {
    const fp32 = await catLogits();
    const int8 = await catLogits('--precision', 'int8');
    vi.stubEnv('VIT_PRECISION', 'int8');
    expect(await catLogits()).toEqual(int8);
    expect(await catLogits('--precision', 'fp32')).toEqual(fp32);
  });
});

describe('loadModel({ precision })', () => {
  it.each(['fp32', 'int8'] as const)('%s reaches the backend', async (precision) => {
    const classifier = await loadModel({ weights: TINY_WEIGHTS, backend: 'ref', precision });
    try {
      expect(classifier.model.precision).toBe(precision);
    } finally {
      classifier.dispose();
    }
  });

  it('defaults to fp32', async () => {
    const classifier = await loadModel({ weights: TINY_WEIGHTS, backend: 'ref' });
    try {
      expect(classifier.model.precision).toBe('fp32');
    } finally {
      classifier.dispose();
    }
  });
});

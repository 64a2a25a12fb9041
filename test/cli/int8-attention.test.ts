// --int8-attention (VIT_INT8_ATTENTION) and the library's `int8Attention`: the mode reaches the
// backend (the logits move), it is refused with --precision fp32 (a usage error naming both
// flags, never ignored), and verify reports which mode ran. How well each mode agrees, and how
// fast it is, is measured in the README ("int8 attention"); the kernels' exactness in
// test/backend/wasm-int8-attention.test.ts.

import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { loadModel } from '../../src/app/load-model.js';
import { catLogits, IMAGES, ROOT, runInProcess, TINY_WEIGHTS } from './run.js';

const CAT = `${IMAGES}/cat.jpg`;
const PLAIN = join(ROOT, 'fixtures', 'models', 'int8_plain');

describe('--int8-attention', () => {
  it('is in --help with its choices, default and environment variable', async () => {
    for (const command of ['classify', 'embed', 'verify', 'serve', 'explain', 'worker']) {
      const { code, stdout } = await runInProcess([command, '--help']);
      expect(code).toBe(0);
      expect(stdout.replace(/\s+/g, ' ')).toMatch(/--int8-attention <mode> .*\(choices: "off", "qk", "qk\+pv", default: "off", env: VIT_INT8_ATTENTION\)/);
    }
  });

  it.each([
    ['verify', '--weights', join(PLAIN, 'model.safetensors'), '--reference', join(PLAIN, 'reference.safetensors')],
    ['classify', CAT, '--weights', TINY_WEIGHTS],
    ['embed', CAT, '--weights', TINY_WEIGHTS],
  ])('%s: with --precision fp32 it is a usage error (exit 2) naming both settings as they were given', async (...args) => {
    const cases: [string[], Record<string, string>, string][] = [
      [['--int8-attention', 'qk'], {}, '--int8-attention qk needs --precision int8; this run has --precision fp32 (the default)'],
      [['--int8-attention', 'qk', '--precision', 'fp32'], {}, '--int8-attention qk needs --precision int8; this run has --precision fp32'],
      [[], { VIT_INT8_ATTENTION: 'qk+pv' }, 'VIT_INT8_ATTENTION=qk+pv needs --precision int8; this run has --precision fp32 (the default)'],
      [['--int8-attention', 'qk'], { VIT_PRECISION: 'fp32' }, '--int8-attention qk needs --precision int8; this run has VIT_PRECISION=fp32'],
    ];
    for (const [flags, env, message] of cases) {
      for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
      try {
        const { code, stderr, stdout } = await runInProcess([...args, ...flags]);
        expect(code).toBe(2);
        expect(stderr.trim()).toBe(`vit: ${message}`);
        expect(stdout).toBe('');
      } finally {
        vi.unstubAllEnvs();
      }
    }
  });

  it('explain and worker take --precision and --int8-attention as classify does', async () => {
    const fp32 = await runInProcess(['explain', CAT, '--weights', TINY_WEIGHTS, '--format', 'json', '--quiet']);
    const int8 = await runInProcess(['explain', CAT, '--weights', TINY_WEIGHTS, '--format', 'json', '--quiet', '--precision', 'int8', '--int8-attention', 'qk']);
    expect([fp32.code, int8.code]).toEqual([0, 0]);
    // The precision reached the model: the attention it explains is another.
    expect(JSON.parse(int8.stdout).grid.values).not.toEqual(JSON.parse(fp32.stdout).grid.values);
    for (const args of [['explain', CAT, '--weights', TINY_WEIGHTS, '--format', 'json'], ['worker', '--redis', 'redis://127.0.0.1:1', '--weights', TINY_WEIGHTS]]) {
      const refused = await runInProcess([...args, '--int8-attention', 'qk']);
      expect(refused.code).toBe(2);
      expect(refused.stderr.trim()).toBe('vit: --int8-attention qk needs --precision int8; this run has --precision fp32 (the default)');
    }
  });

  it('off is accepted with fp32 (it asks for nothing)', async () => {
    expect(await catLogits('--int8-attention', 'off')).toEqual(await catLogits());
  });

  it('each mode reaches the backend: the logits move, on either backend', async () => {
    for (const backend of ['auto', 'ref']) {
      const off = await catLogits('--precision', 'int8', '--backend', backend);
      expect(await catLogits('--precision', 'int8', '--backend', backend, '--int8-attention', 'off')).toEqual(off);
      const qk = await catLogits('--precision', 'int8', '--backend', backend, '--int8-attention', 'qk');
      const qkpv = await catLogits('--precision', 'int8', '--backend', backend, '--int8-attention', 'qk+pv');
      expect(qk).not.toEqual(off);
      expect(qkpv).not.toEqual(qk);
    }
  });

  it('verify reports the mode that ran', async () => {
    const { code, stdout } = await runInProcess(['verify', '--precision', 'int8', '--int8-attention', 'qk', '--format', 'json', '--quiet', '--weights', join(PLAIN, 'model.safetensors'), '--reference', join(PLAIN, 'reference.safetensors')]);
    expect([0, 1]).toContain(code);
    expect(JSON.parse(stdout).runs[0].int8Attention).toBe('qk');
  });
});

describe('loadModel({ int8Attention })', () => {
  it('is refused without precision int8', async () => {
    await expect(loadModel({ weights: TINY_WEIGHTS, backend: 'ref', int8Attention: 'qk' })).rejects.toThrow(/int8 attention 'qk' needs precision int8, received precision fp32/);
  });
});

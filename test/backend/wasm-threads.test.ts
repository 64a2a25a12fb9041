// The wasm backend's threads and API: options, that results do not depend on the thread count
// (every output element is computed in the same order whichever thread runs it), that many
// back-to-back jobs stay correct, argument checks, and that no worker outlives the backend:
// after dispose() they exit, and a forgotten dispose() does not keep a process alive.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createWasmBackend, defaultThreads, type WasmBackend } from '../../src/backend/wasm/index.js';
import { prepareLinear } from '../../src/backend/prepare-linear.js';
import { rng } from './wasm-helpers.js';

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms).unref()),
  ]);
}

/** A small transformer-block-like chain of ops, repeated: returns the final activations. */
function runChain(backend: WasmBackend, repeats: number): Float32Array {
  const [tokens, heads, headDim] = [67, 4, 16];
  const dim = heads * headDim;
  const random = rng(5);
  const arena = backend.createArena(1 << 22);
  const fill = (n: number) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = (random() * 2 - 1) * 0.5; // [-0.5, 0.5)
    return a;
  };
  const qkvW = prepareLinear(backend, arena, 3 * dim, dim, (d) => d.set(fill(3 * dim * dim)), fill(3 * dim));
  const fc1 = prepareLinear(backend, arena, 4 * dim, dim, (d) => d.set(fill(4 * dim * dim)), fill(4 * dim));
  const fc2 = prepareLinear(backend, arena, dim, 4 * dim, (d) => d.set(fill(4 * dim * dim)), null);
  const gamma = arena.allocF32(dim);
  gamma.set(fill(dim));
  const beta = arena.allocF32(dim);
  beta.set(fill(dim));
  const x = arena.allocF32(tokens * dim);
  x.set(fill(tokens * dim));
  const norm = arena.allocF32(tokens * dim);
  const qkv = arena.allocF32(tokens * 3 * dim);
  const attn = arena.allocF32(tokens * dim);
  const hidden = arena.allocF32(tokens * 4 * dim);
  for (let r = 0; r < repeats; r++) {
    backend.layerNorm(norm, x, gamma, beta, tokens, dim, 1e-6);
    backend.linear(qkv, norm, qkvW, tokens);
    backend.attention(attn, qkv, 1, tokens, heads, headDim, arena.allocF32(0));
    backend.layerNorm(norm, attn, gamma, beta, tokens, dim, 1e-6);
    backend.linear(hidden, norm, fc1, tokens, { gelu: true });
    backend.linear(x, hidden, fc2, tokens, { residual: x });
  }
  return Float32Array.from(x);
}

describe('createWasmBackend options', () => {
  it('defaults to os.availableParallelism() threads and relaxed SIMD when supported', async () => {
    expect(defaultThreads()).toBe(availableParallelism());
    const backend = await createWasmBackend();
    try {
      expect(backend.threads).toBe(defaultThreads());
      expect(backend.name).toBe('wasm-relaxed');
      expect(backend.kernel).toBe('gemm_3x12_fma');
      expect(backend.tile).toEqual({ rows: 3, cols: 12 });
    } finally {
      backend.dispose();
    }
  });

  it('can be told not to use relaxed SIMD', async () => {
    const backend = await createWasmBackend({ relaxedSimd: false, threads: 3 });
    try {
      expect(backend.name).toBe('wasm-simd');
      expect(backend.kernel).toBe('gemm_4x8');
      expect(backend.tile).toEqual({ rows: 4, cols: 8 });
      expect(backend.threads).toBe(3);
    } finally {
      backend.dispose();
    }
  });

  it('rejects a bad thread count', async () => {
    await expect(createWasmBackend({ threads: 0 })).rejects.toThrow(/threads/);
    await expect(createWasmBackend({ threads: 1.5 })).rejects.toThrow(/threads/);
  });
});

describe('threads', () => {
  it.each([true, false])('results are bit-identical on 1, 2 and 3 threads over 40 back-to-back blocks (relaxedSimd %s)', async (relaxedSimd) => {
    const results: Float32Array[] = [];
    for (const threads of [1, 2, 3]) {
      const backend = await createWasmBackend({ relaxedSimd, threads });
      try {
        results.push(runChain(backend, 40));
      } finally {
        backend.dispose();
      }
    }
    expect(results[0].every(Number.isFinite)).toBe(true);
    for (const other of results.slice(1)) {
      expect(Buffer.from(other.buffer).equals(Buffer.from(results[0].buffer))).toBe(true);
    }
  });

  it('dispose() ends every worker, and the backend refuses work afterwards', async () => {
    const backend = await createWasmBackend({ threads: 3 });
    const arena = backend.createArena(1 << 20);
    const w = prepareLinear(backend, arena, 64, 64, (d) => d.fill(1), null);
    const x = arena.allocF32(64 * 64);
    const out = arena.allocF32(64 * 64);
    backend.linear(out, x, w, 64);
    backend.dispose();
    await within(backend.exited, 10_000, 'workers exiting after dispose()');
    expect(() => backend.linear(out, x, w, 64)).toThrow(/after dispose/);
    backend.dispose(); // idempotent
  });

  it('a forgotten dispose() does not keep the process alive', () => {
    // A child process (TypeScript sources through a tiny loader that strips types) creates a
    // 2-thread backend, runs a parallel job and returns without dispose(): it must exit by itself.
    const dir = mkdtempSync(join(tmpdir(), 'vit-wasm-'));
    try {
      const typescript = pathToFileURL(join(process.cwd(), 'node_modules/typescript/lib/typescript.js')).href;
      writeFileSync(
        join(dir, 'hooks.mjs'),
        `import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from ${JSON.stringify(typescript)};
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (error) {
    if (context.parentURL?.endsWith('.ts') && specifier.endsWith('.js')) return next(specifier.slice(0, -3) + '.ts', context);
    throw error;
  }
}
export async function load(url, context, next) {
  if (!url.endsWith('.ts')) return next(url, context);
  const source = ts.transpileModule(readFileSync(fileURLToPath(url), 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  return { format: 'module', source, shortCircuit: true };
}
`,
      );
      writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\n`);
      const entry = pathToFileURL(join(process.cwd(), 'src/backend/wasm/index.ts')).href;
      const prepare = pathToFileURL(join(process.cwd(), 'src/backend/prepare-linear.ts')).href;
      const script = `
const { createWasmBackend } = await import(${JSON.stringify(entry)});
const { prepareLinear } = await import(${JSON.stringify(prepare)});
const backend = await createWasmBackend({ threads: 2 });
const arena = backend.createArena(1 << 22);
const w = prepareLinear(backend, arena, 256, 256, (d) => d.fill(0.5), null);
const x = arena.allocF32(256 * 256).fill(1);
const out = arena.allocF32(256 * 256);
backend.linear(out, x, w, 256);
console.log('result', out[0], backend.threads);
`;
      const started = Date.now();
      const child = spawnSync(process.execPath, ['--import', pathToFileURL(join(dir, 'register.mjs')).href, '--input-type=module', '-e', script], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(child.stderr).not.toMatch(/Error/);
      expect(child.stdout).toContain('result 128 2');
      expect(child.status).toBe(0);
      expect(Date.now() - started).toBeLessThan(60_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('argument checks', () => {
  it('rejects arrays outside the arena, overlapping outputs and foreign weights', async () => {
    const backend = await createWasmBackend({ threads: 1 });
    const other = await createWasmBackend({ threads: 1 });
    try {
      const arena = backend.createArena(1 << 20);
      const w = prepareLinear(backend, arena, 8, 8, (d) => d.fill(1), null);
      const x = arena.allocF32(64);
      const out = arena.allocF32(64);
      expect(() => backend.linear(out, new Float32Array(64), w, 8)).toThrow(/arena/);
      expect(() => backend.linear(x, x, w, 8)).toThrow(/overlap/);
      expect(() => backend.linear(out, x, w, 9)).toThrow(/needs 72/);
      const foreign = prepareLinear(other, other.createArena(1 << 16), 8, 8, (d) => d.fill(1), null);
      expect(() => backend.linear(out, x, foreign, 8)).toThrow(/placeLinear/);
      expect(() => prepareLinear(backend, arena, 8, 8, () => {}, new Float32Array(7))).toThrow(/bias/);
      backend.linear(out, x, w, 0); // zero rows: nothing to do
    } finally {
      backend.dispose();
      other.dispose();
    }
  });
});

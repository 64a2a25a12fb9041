// The choice of the relaxed build's int8 dot sequence (src/backend/wasm/int8-dot.ts): the rule on
// each kind of machine, reading the CPU's flags (src/util/cpu-flags.ts), the application layer's
// pick, and the backend option. That both sequences give the reference's numbers bit for bit is
// wasm-int8.test.ts' and wasm-int8-attention.test.ts' job.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { int8DotForThisMachine, startBackend } from '../../src/app/start-backend.js';
import { createBackend } from '../../src/backend/index.js';
import { chooseInt8Dot, createWasmBackend, relaxedSimdSupported, type WasmBackend } from '../../src/backend/wasm/index.js';
import { linuxCpuFlags } from '../../src/util/cpu-flags.js';

const flags = (...names: string[]) => new Set(['sse4_1', 'fma', 'avx2', ...names]);

describe('chooseInt8Dot', () => {
  it.each([
    // [arch, V8, CPU flags, expected]
    ['x64', '11.3.244.8-node.33', flags(), 'split'],
    ['x64', '13.6.233.17-node.37', flags(), 'split'],
    ['x64', '13.6.233.17-node.37', flags('avx512f', 'avx512_vnni'), 'split'], // Zen 4, Ice Lake: no VEX AVX-VNNI
    ['x64', '13.6.233.17-node.37', flags('avx_vnni'), 'fused'],
    ['x64', '14.6.202.9-node.12', flags('avx512f', 'avx_vnni', 'avx512_vnni'), 'fused'],
    ['x64', '11.3.244.8-node.33', flags('avx_vnni'), 'split'], // Node 20's V8 does not use AVX-VNNI
    ['x64', '12.4.254.21-node.33', flags('avx_vnni'), 'split'],
    ['x64', '13.6.233.17-node.37', undefined, 'fused'],
    ['arm64', '13.6.233.17-node.37', new Set(['asimd', 'asimddp']), 'fused'],
    ['arm64', '11.3.244.8-node.33', undefined, 'fused'],
  ] as const)('%s, V8 %s, flags %o: %s', (arch, v8, cpuFlags, expected) => {
    const choice = chooseInt8Dot({ arch, v8, cpuFlags });
    expect(choice.dot).toBe(expected);
    expect(choice.reason).not.toBe('');
  });

  it('the application layer applies it to its own arch, V8 and CPU, and starts the backend with it', async () => {
    const own = int8DotForThisMachine();
    const cpuFlags = process.platform === 'linux' ? linuxCpuFlags() : undefined;
    expect(own).toEqual(chooseInt8Dot({ arch: process.arch, v8: process.versions.v8, cpuFlags }));
    const { backend } = await startBackend('auto', 1, 'int8');
    try {
      expect((backend as WasmBackend).int8Dot).toBe(relaxedSimdSupported() ? own.dot : undefined);
    } finally {
      backend.dispose();
    }
  });
});

describe('linuxCpuFlags', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vit-cpuinfo-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it("reads the first processor's flags line", () => {
    const text = 'processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu sse4_1 avx2 avx_vnni\nbugs\t\t: sysret_ss_attrs\n\nprocessor\t: 1\nflags\t\t: fpu\n';
    expect(linuxCpuFlags(file('two', text))).toEqual(new Set(['fpu', 'sse4_1', 'avx2', 'avx_vnni']));
  });

  it('a file without a flags line, or no file, is unknown', () => {
    expect(linuxCpuFlags(file('none', 'processor\t: 0\nFeatures\t: fp asimd asimddp\n'))).toBeUndefined();
    expect(linuxCpuFlags(join(dir, 'missing'))).toBeUndefined();
  });

  it('reads at most 64 KiB', () => {
    expect(linuxCpuFlags(file('late', `${'x'.repeat(70 * 1024)}\nflags\t: avx_vnni\n`))).toBeUndefined();
  });
});

describe('the int8Dot option of createWasmBackend', () => {
  it.runIf(relaxedSimdSupported())('fused unless asked; fused and split as asked', async () => {
    for (const [asked, expected] of [[undefined, 'fused'], ['fused', 'fused'], ['split', 'split']] as const) {
      const backend = await createWasmBackend({ relaxedSimd: true, threads: 1, precision: 'int8', int8Dot: asked });
      try {
        expect(backend.int8Dot).toBe(expected);
      } finally {
        backend.dispose();
      }
    }
  });

  it('the plain build has one sequence: asking for the plain build and a sequence is an error', async () => {
    await expect(createWasmBackend({ relaxedSimd: false, threads: 1, int8Dot: 'split' })).rejects.toThrow(
      'wasm backend: int8Dot split is for the relaxed-SIMD kernels, and relaxedSimd is false',
    );
    const backend = await createWasmBackend({ relaxedSimd: false, threads: 1 });
    try {
      expect(backend.int8Dot).toBeUndefined();
    } finally {
      backend.dispose();
    }
  });

  it('createBackend takes it for the auto backend only', async () => {
    for (const name of ['wasm', 'ref'] as const) {
      await expect(createBackend(name, { threads: 1, int8Dot: 'split' })).rejects.toThrow(
        `int8Dot is for the relaxed-SIMD kernels of the auto backend: the ${name} backend has none`,
      );
    }
  });

  it('an unknown value is an error that names it', async () => {
    await expect(createWasmBackend({ threads: 1, int8Dot: 'vnni' as never })).rejects.toThrow('wasm backend: int8Dot must be fused or split, received vnni');
  });
});

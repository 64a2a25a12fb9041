// Relaxed SIMD across Node versions: Node 20 (V8 11.3) needs V8's flag, Node 22, 24 and 26 have
// the feature on and reject the flag's name. Run under each Node (CI does), these check that 'auto'
// really gets the relaxed-SIMD kernels and that choosing them never prints V8's "unrecognized
// flag". V8 writes that to the process's stderr directly, so the checks run in a fresh child
// (flags and the probe result are per process) on the built package (dist/, which `npm test`
// builds first).

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { relaxedSimdFlag } from '../../src/backend/wasm/kernels.js';

const FLAG = '--experimental-wasm-relaxed-simd';

describe('relaxedSimdFlag', () => {
  it.each([
    ['10.2.154.26-node.26', FLAG],
    ['11.3.244.8-node.17', FLAG], // Node 20
    ['11.4.183.29', null], // shipped
    ['12.4.254.21-node.57', null], // Node 22
    ['13.6.233.17-node.63', null], // Node 24
    ['14.6.202.34-node.40', null], // Node 26
    ['', null],
    [undefined, null],
    ['not a version', null],
  ])('V8 %j: %j', (version, expected) => {
    expect(relaxedSimdFlag(version)).toBe(expected);
  });
});

/** Runs `script` (an ES module body with `backend` bound to dist's wasm backend module) in a fresh Node. */
function runChild(script: string, nodeArgs: string[] = []) {
  const entry = pathToFileURL(join(process.cwd(), 'dist/backend/wasm/index.js')).href;
  const child = spawnSync(process.execPath, [...nodeArgs, '--input-type=module', '-e', `const backend = await import(${JSON.stringify(entry)});\n${script}`], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { stdout: child.stdout, stderr: child.stderr, status: child.status };
}

describe(`this Node (${process.version}, V8 ${process.versions.v8})`, () => {
  it("'auto' uses the relaxed-SIMD kernels, and says nothing on stderr", () => {
    const child = runChild(`
const b = await backend.createWasmBackend({ threads: 1 });
console.log(backend.relaxedSimdSupported(), b.name, b.kernel);
b.dispose();
`);
    expect(child.stderr).toBe('');
    expect(child.stdout.trim()).toBe('true wasm-relaxed gemm_3x12_fma');
    expect(child.status).toBe(0);
  });

  // Without SSE4.1 V8 has no wasm SIMD, so the probe fails and the flag would be tried: the one
  // way to reach that path on a Node whose V8 no longer knows the flag.
  it.skipIf(process.arch !== 'x64')('a V8 without wasm SIMD (--no-enable-sse4-1) reports no relaxed SIMD, and says nothing on stderr', () => {
    const child = runChild('console.log(backend.relaxedSimdSupported());', ['--no-enable-sse4-1']);
    expect(child.stderr).toBe('');
    expect(child.stdout.trim()).toBe('false');
    expect(child.status).toBe(0);
  });

  it.skipIf(process.arch !== 'x64')('without wasm SIMD, vit classify says so and names --backend ref (exit 2, not an internal error); --backend ref runs, its resize in JavaScript', () => {
    const vit = (nodeFlags: string[], args: string[]) =>
      spawnSync(process.execPath, [...nodeFlags, join(process.cwd(), 'bin', 'vit.js'), 'classify', join(process.cwd(), 'test', 'fixtures', 'images', 'cat.jpg'), '--weights', join(process.cwd(), 'fixtures', 'models', 'tiny', 'model.safetensors'), '--quiet', '--format', 'json', ...args], {
        encoding: 'utf8',
        timeout: 60_000,
      });
    const noSimd = ['--no-enable-sse4-1'];
    const refused = vit(noSimd, []);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/^vit: this runtime's WebAssembly has no SIMD .* use --backend ref/);
    const ref = vit(noSimd, ['--backend', 'ref']);
    expect(ref.status).toBe(0);
    expect(ref.stdout).toMatch(/cat\.jpg/);
    // The resize fell back to its JavaScript passes: the same input tensor, so the same output.
    expect(ref.stdout).toBe(vit([], ['--backend', 'ref']).stdout);
  });
});

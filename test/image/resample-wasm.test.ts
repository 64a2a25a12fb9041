// The resize's WebAssembly SIMD passes (assembly/resample.ts through src/image/resample-wasm.ts)
// against its JavaScript passes, the reference: the same bytes for every kind of job. The
// reference is itself held to Pillow's own output in resample.test.ts.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

import { computeCoefficients, defaultPasses, JS_PASSES, resizeRgb, type OutputRegion } from '../../src/image/resample.js';
import { runInWasm } from '../../src/image/resample-wasm.js';
import type { Interpolation, RgbImage } from '../../src/image/types.js';

const WASM = defaultPasses();

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Noise, or hard 0/255 stripes whose bicubic overshoot clamps at both ends. */
function image(width: number, height: number, seed: number, kind: 'noise' | 'stripes'): RgbImage {
  const random = rng(seed);
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = kind === 'noise' ? Math.floor(random() * 256) : ((i / 3) | 0) % 3 === 0 ? 255 : 0;
  return { width, height, data };
}

function expectSameBytes(img: RgbImage, width: number, height: number, interpolation: Interpolation, region?: OutputRegion): void {
  const label = `${img.width}x${img.height} -> ${width}x${height} ${interpolation}${region ? ` region ${region.width}x${region.height}+${region.left}+${region.top}` : ''}`;
  const reference = resizeRgb(img, width, height, interpolation, region, JS_PASSES);
  const got = resizeRgb(img, width, height, interpolation, region, WASM);
  expect([got.width, got.height], label).toEqual([reference.width, reference.height]);
  const first = got.data.findIndex((v, i) => v !== reference.data[i]);
  expect(first, `${label}: first differing byte`).toBe(-1);
  expect(got.data.length, label).toBe(reference.data.length);
}

describe('the WebAssembly SIMD resize passes equal the JavaScript ones', () => {
  it('are the default on this runtime (else the comparisons below would compare JavaScript with itself)', () => {
    expect(WASM.name).toBe('wasm-simd');
  });

  it('on 300 random jobs: sizes, both directions, both filters, regions, noise and clamping stripes', () => {
    const random = rng(20261203);
    const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
    for (let c = 0; c < 300; c++) {
      const img = image(int(1, 90), int(1, 90), c, c % 3 === 0 ? 'stripes' : 'noise');
      // Each axis: shrunk, enlarged or kept (a kept axis skips its pass).
      const axis = (n: number) => [int(1, n), int(n, 4 * n + 3), n][int(0, 2)];
      const width = axis(img.width);
      const height = axis(img.height);
      if (width === img.width && height === img.height) continue; // a copy, no pass
      const left = int(0, width - 1);
      const top = int(0, height - 1);
      const region = c % 2 === 0 ? undefined : { left, top, width: int(1, width - left), height: int(1, height - top) };
      expectSameBytes(img, width, height, c % 4 === 1 ? 'bilinear' : 'bicubic', region);
    }
  });

  it('on row lengths around the 16-byte step of the vertical pass, with and without a horizontal pass', () => {
    for (const width of [1, 5, 6, 15, 16, 17, 32, 33]) {
      const img = image(width + 7, 40, width, 'noise');
      expectSameBytes(img, width + 7, 23, 'bicubic', { left: 3, top: 2, width: width, height: 19 }); // vertical only, from column 3
      expectSameBytes(img, width, 23, 'bicubic'); // both passes
      expectSameBytes(img, width, 40, 'bilinear'); // horizontal only
    }
  });

  it('on a photo-sized downscale (4000x3000 to a 224 crop of 298x224), as preprocessing does', () => {
    const img = image(4000, 3000, 9, 'noise');
    expectSameBytes(img, 298, 224, 'bicubic', { left: 37, top: 0, width: 224, height: 224 });
  });

  it('after a job that outgrew the memory kept between jobs (a fresh memory then), and on the next', () => {
    const big = image(4100, 5500, 3, 'noise'); // 67.7 MB of source rows: past the 64 MiB kept
    expectSameBytes(big, 40, 54, 'bilinear', { left: 10, top: 20, width: 20, height: 20 });
    expectSameBytes(image(50, 30, 4, 'stripes'), 61, 17, 'bicubic');
  });

  it('decline a job their memory cannot hold, and resizeRgb then runs the JavaScript passes', () => {
    const img = image(40, 30, 5, 'noise');
    const job = { img, firstRow: 0, lastRow: 30, colStart: 0, colEnd: 17, horizontal: computeCoefficients(40, 17, 'bicubic'), vertical: null };
    expect(runInWasm(job, 1000)).toBeUndefined(); // the source rows alone are 3,600 bytes
    expect(runInWasm(job)).toEqual(JS_PASSES.run(job));
    const declining = { name: 'wasm-simd', run: () => undefined } as const;
    expect(resizeRgb(img, 17, 30, 'bicubic', undefined, declining)).toEqual(resizeRgb(img, 17, 30, 'bicubic', undefined, JS_PASSES));
  });

  // Without SSE4.1 V8 has no wasm SIMD (test/backend/node-versions.test.ts runs vit classify so).
  it.skipIf(process.arch !== 'x64')('give way to the JavaScript passes where the runtime has no wasm SIMD, saying nothing', () => {
    const entry = pathToFileURL(join(process.cwd(), 'dist', 'image', 'resample.js')).href;
    const passes = (nodeArgs: string[]) =>
      spawnSync(process.execPath, [...nodeArgs, '--input-type=module', '-e', `const { defaultPasses } = await import(${JSON.stringify(entry)}); console.log(defaultPasses().name);`], { encoding: 'utf8', timeout: 60_000 });
    const without = passes(['--no-enable-sse4-1']);
    expect([without.status, without.stdout.trim(), without.stderr]).toEqual([0, 'javascript', '']);
    expect(passes([]).stdout.trim()).toBe('wasm-simd');
  });
});

// `vit explain`, in-process on the narrow384 fixture (random weights, 384 px, 16 px patches: the
// 24 x 24 grid of ViT-B/16-384): the PNG is the original image, unchanged outside the crop and
// coloured inside it; --format json gives the library's grid and geometry; every bad flag is a
// one-line usage error naming it (exit 2), every unwritable --out exit 74 before the model runs.

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { explain, loadModel } from '../../src/app/index.js';
import { decodeImage } from '../../src/image/index.js';
import { IMAGES, isolateHub, ROOT, runInProcess } from './run.js';

const WEIGHTS = join(ROOT, 'fixtures', 'models', 'narrow384', 'model.safetensors');
const CAT = join(IMAGES, 'cat.jpg'); // 451 x 300, landscape
const STRIP = join(IMAGES, 'strip_5x300.png'); // 5 x 300, portrait
const tmp = () => mkdtempSync(join(tmpdir(), 'vit-explain-'));

isolateHub();

/** Columns (or rows, `axis` 'y') where any pixel differs between two images of the same size. */
async function changedLines(a: string, b: string, axis: 'x' | 'y'): Promise<number[]> {
  const [x, y] = [await decodeImage(a), await decodeImage(b)];
  expect([y.width, y.height]).toEqual([x.width, x.height]);
  const changed = new Set<number>();
  for (let p = 0; p < x.width * x.height; p++) {
    for (let c = 0; c < 3; c++) {
      if (x.data[p * 3 + c] !== y.data[p * 3 + c]) changed.add(axis === 'x' ? p % x.width : Math.floor(p / x.width));
    }
  }
  return [...changed].sort((m, n) => m - n);
}

describe('vit explain --out heat.png', () => {
  it('landscape: the heat map covers the center crop, the sides keep their pixels', async () => {
    const out = join(tmp(), 'heat.png');
    const { code, stdout, stderr } = await runInProcess(['explain', CAT, '--weights', WEIGHTS, '--out', out, '--backend', 'ref', '--quiet']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/attention rollout over every layer: the class token's attention to 24 x 24 patches/);
    expect(stdout).toContain(`wrote       ${out}`);
    // 451x300 -> 577x384 (shorter side to 384), crop left round(193 / 2) = 96 (half to even):
    // source x [96 * 451/577, 480 * 451/577) = [75.04, 375.19): pixel centres from x = 75 to 374.
    const columns = await changedLines(CAT, out, 'x');
    expect(columns[0]).toBe(75);
    expect(columns[columns.length - 1]).toBe(374);
    expect(columns.length).toBeGreaterThan(290); // nearly every column of the crop is coloured
  });

  it('portrait: only the crop band is coloured, rows above and below keep their pixels', async () => {
    const out = join(tmp(), 'heat.png');
    const { code } = await runInProcess(['explain', STRIP, '--weights', WEIGHTS, '--out', out, '--alpha', '1', '--backend', 'ref', '--quiet']);
    expect(code).toBe(0);
    // 5x300 -> 384x23040, crop top round(22656 / 2) = 11328 -> source y [147.5, 152.5): rows 147..151.
    expect(await changedLines(STRIP, out, 'y')).toEqual([147, 148, 149, 150, 151]);
  });

  it('--alpha 0 leaves the image as it was', async () => {
    const out = join(tmp(), 'heat.png');
    expect((await runInProcess(['explain', CAT, '--weights', WEIGHTS, '--out', out, '--alpha', '0', '--quiet'])).code).toBe(0);
    expect(await changedLines(CAT, out, 'x')).toEqual([]);
  });
});

describe('vit explain --format json', () => {
  it("prints the library's grid (to 6 digits), the geometry and the top classes", async () => {
    const { code, stdout } = await runInProcess(['explain', CAT, '--weights', WEIGHTS, '--format', 'json', '--layer', '1', '--head', '0', '--backend', 'ref']);
    expect(code).toBe(0);
    const json = JSON.parse(stdout);
    expect(json).toMatchObject({ image: CAT, method: 'attention', layer: 1, head: 0, grid: { rows: 24, cols: 24 } });
    expect(json.geometry.cropBox).toEqual({ left: 96, top: 0, width: 384, height: 384 });
    expect(json.geometry.cropInSource.left).toBeCloseTo((96 * 451) / 577, 3);
    expect(json.predictions).toHaveLength(5);
    expect(json.out).toBeUndefined();

    const classifier = await loadModel({ weights: WEIGHTS, backend: 'ref' });
    try {
      const expected = await explain(classifier, CAT, { target: { kind: 'attention', layer: 1, head: 0 } });
      const values = (json.grid.values as number[][]).flat();
      expect(values).toHaveLength(576);
      values.forEach((v, i) => expect(Math.abs(v - expected.grid[i])).toBeLessThanOrEqual(5e-6 * expected.grid[i]));
    } finally {
      classifier.dispose();
    }
  });
});

describe('vit explain: usage errors (exit 2, one line naming the flag)', () => {
  it.each([
    [['--layer', '2', '--format', 'json'], /^vit: --layer 2 is out of range: the model has 2 layers, numbered 0 to 1\n$/],
    [['--layer', '0', '--head', '2', '--format', 'json'], /^vit: --head 2 is out of range: the model has 2 heads per layer, numbered 0 to 1\n$/],
    [['--head', '0', '--format', 'json'], /^vit: --head needs --layer/],
    [[], /^vit: give --out <file.png> for the heat map, or --format json/],
    [['--format', 'json', '--alpha', '0.3'], /^vit: --alpha sets the heat map opacity: it needs --out/],
    [['--out', 'heat.jpg'], /^vit: --out heat.jpg: the heat map is written as PNG/],
  ])('%j', async (args, message) => {
    const { code, stdout, stderr } = await runInProcess(['explain', CAT, '--weights', WEIGHTS, '--quiet', ...args]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
  });

  it.each([
    ['--alpha', '1.5'],
    ['--alpha', 'x'],
    ['--layer', '-1'],
    ['--head', '1.5'],
  ])('%s %s', async (flag, value) => {
    const { code, stderr } = await runInProcess(['explain', CAT, '--weights', WEIGHTS, '--format', 'json', '--layer', '0', flag, value]);
    expect(code).toBe(2);
    expect(stderr).toContain(`option '${flag} <`);
  });
});

describe('vit explain: an --out that cannot be written is exit 74, before the model runs', () => {
  it.each([
    ['a missing folder', (dir: string) => join(dir, 'no', 'heat.png'), 'no such folder'],
    ['a directory', (dir: string) => (mkdirSync(join(dir, 'd.png')), join(dir, 'd.png')), 'is a directory'],
    ['a folder that is a file', (dir: string) => (writeFileSync(join(dir, 'f'), ''), join(dir, 'f', 'heat.png')), 'a part of the path is not a directory'],
  ])('%s', async (_what, pathOf, reason) => {
    const out = pathOf(tmp());
    // A missing checkpoint would be exit 3: 74 shows the path was refused first.
    const { code, stderr } = await runInProcess(['explain', CAT, '--weights', '/no/such/weights.safetensors', '--out', out, '--quiet']);
    expect(code).toBe(74);
    expect(stderr).toBe(`vit: ${out}: cannot write the heat map: ${reason}\n`);
  });
});

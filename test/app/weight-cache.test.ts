// The packed-weight cache (src/app/weight-cache.ts): a restored model computes bit-identical logits,
// a damaged, truncated or stale cache file is ignored and rewritten, a cache that cannot be written
// never fails a load, concurrent writers leave one whole file, and the folder stays bounded.

import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { loadVitModel } from '../../src/app/load-model.js';
import type { LoadedModel } from '../../src/app/load-weights.js';
import { MAX_FILES, weightCacheDir, weightCacheSettings, WeightCacheSettingError } from '../../src/app/weight-cache.js';
import { ReferenceBackend } from '../../src/backend/reference/backend.js';
import { createWasmBackend, relaxedSimdSupported, type WasmBackend } from '../../src/backend/wasm/index.js';
import { WeightsError } from '../../src/checkpoint/index.js';
import { encodeSafetensors, SafetensorsBuffer } from '../../src/safetensors/index.js';
import { MODEL_FIXTURES, modelFixtureNames } from '../model/fixtures.js';
import { rng } from '../backend/wasm-helpers.js';
import { IMAGES, ROOT, runInProcess } from '../cli/run.js';
import { createTimingReport } from '../../src/cli/timing.js';

const TINY = join(MODEL_FIXTURES, 'tiny');
const tmp = () => mkdtempSync(join(tmpdir(), 'vit-wcache-'));
const cacheFiles = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.vitw')) : []);

/** Load `weights` on a new wasm backend through the cache in `dir` (every size cached), run `input`, dispose. */
async function run(weights: string, dir: string | false, input?: Float32Array, relaxedSimd: boolean | 'auto' = 'auto') {
  const backend: WasmBackend = await createWasmBackend({ threads: 2, relaxedSimd });
  try {
    const model: LoadedModel = await loadVitModel(weights, { backend, weightCache: dir === false ? false : { dir, minBytes: 0 } });
    const { inChans: C, imgSize: S } = model.config;
    const x = input ?? randomImage(C * S * S);
    const { logits, features } = model.forward(x, 1);
    return { note: model.weightCache, logits, features, weightBytes: model.vit.weightBytes.slice(), restored: model.vit.restored };
  } finally {
    backend.dispose();
    await backend.exited;
  }
}

function randomImage(n: number): Float32Array {
  const random = rng(11);
  return Float32Array.from({ length: n }, () => random() * 4 - 2);
}

const bytesOf = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** A copy of the tiny fixture (weights and config) in a folder of its own, edited by `edit`. */
function tinyCopy(edit?: (tensors: Record<string, { shape: number[]; data: Float32Array }>) => void): string {
  const dir = tmp();
  copyFileSync(join(TINY, 'config.json'), join(dir, 'config.json'));
  const weights = join(dir, 'model.safetensors');
  if (edit === undefined) {
    copyFileSync(join(TINY, 'model.safetensors'), weights);
    return weights;
  }
  const source = SafetensorsBuffer.read(join(TINY, 'model.safetensors'));
  const tensors = Object.fromEntries(source.names.map((n) => [n, { shape: [...source.info(n).shape], data: source.float32(n).slice() }]));
  edit(tensors);
  writeFileSync(weights, encodeSafetensors(tensors));
  return weights;
}

describe('restored weights compute the same numbers', () => {
  it.each(modelFixtureNames())('%s: logits and features bit-identical without the cache, writing it and restored from it', async (name) => {
    const weights = join(MODEL_FIXTURES, name, 'model.safetensors');
    const dir = tmp();
    const plain = await run(weights, false);
    expect(plain.note).toBe('off');
    const written = await run(weights, dir);
    expect(written.note).toMatch(/^written to .*\.vitw$/);
    expect(cacheFiles(dir)).toHaveLength(1);
    const restored = await run(weights, dir);
    expect(restored.note).toBe(`restored from ${join(dir, cacheFiles(dir)[0])}`);
    expect(restored.restored).toBe(true);
    for (const other of [written, restored]) {
      expect(bytesOf(other.logits).equals(bytesOf(plain.logits))).toBe(true);
      expect(bytesOf(other.features).equals(bytesOf(plain.features))).toBe(true);
      expect(Buffer.from(other.weightBytes).equals(Buffer.from(plain.weightBytes))).toBe(true);
    }
  });

  it.runIf(relaxedSimdSupported())("each kernel packs its own way: the plain-SIMD kernel has a file of its own, and each restores its own", async () => {
    const dir = tmp();
    const weights = join(TINY, 'model.safetensors');
    expect((await run(weights, dir, undefined, true)).note).toMatch(/^written to/);
    expect((await run(weights, dir, undefined, false)).note).toMatch(/^written to/);
    expect(cacheFiles(dir)).toHaveLength(2);
    expect((await run(weights, dir, undefined, false)).note).toMatch(/^restored from/);
    expect((await run(weights, dir, undefined, true)).note).toMatch(/^restored from/);
  });
});

describe('int8: the quantized pack is cached, folded and unfolded apart', () => {
  /** Load the outlier fixture on an int8 wasm backend through the cache in `dir` (or none), with or without folding. */
  async function int8Run(dir: string | false, foldNorms: boolean) {
    const backend = await createWasmBackend({ threads: 2, precision: 'int8' });
    try {
      const model = await loadVitModel(join(MODEL_FIXTURES, 'int8_outliers', 'model.safetensors'), {
        backend,
        foldNorms,
        weightCache: dir === false ? false : { dir, minBytes: 0 },
      });
      const { inChans: C, imgSize: S } = model.config;
      return { note: model.weightCache, logits: model.forward(randomImage(C * S * S), 1).logits };
    } finally {
      backend.dispose();
      await backend.exited;
    }
  }

  it('each fold has a file of its own, and each restores its own numbers', async () => {
    const dir = tmp();
    const plain = { folded: await int8Run(false, true), kept: await int8Run(false, false) };
    // The fold changes the numbers (the fixture's outlier channels), so mixing the files up would show.
    expect(bytesOf(plain.folded.logits).equals(bytesOf(plain.kept.logits))).toBe(false);
    expect((await int8Run(dir, true)).note).toMatch(/^written to/);
    expect((await int8Run(dir, false)).note).toMatch(/^written to/);
    expect(cacheFiles(dir)).toHaveLength(2);
    for (const [fold, expected] of [[true, plain.folded], [false, plain.kept]] as const) {
      const restored = await int8Run(dir, fold);
      expect(restored.note).toMatch(/^restored from/);
      expect(bytesOf(restored.logits).equals(bytesOf(expected.logits))).toBe(true);
    }
  });
});

describe('a cache file that is not this load\'s is ignored and rewritten', () => {
  async function withCache(): Promise<{ weights: string; dir: string; file: string; plain: Awaited<ReturnType<typeof run>> }> {
    const weights = tinyCopy();
    const dir = tmp();
    const plain = await run(weights, false);
    await run(weights, dir);
    return { weights, dir, file: join(dir, cacheFiles(dir)[0]), plain };
  }

  async function expectRewritten(weights: string, dir: string, plain: Awaited<ReturnType<typeof run>>, problem: RegExp) {
    const again = await run(weights, dir);
    expect(again.restored).toBe(false);
    expect(again.note).toMatch(/^written to /);
    expect(again.note).toMatch(problem);
    expect(bytesOf(again.logits).equals(bytesOf(plain.logits))).toBe(true);
    const after = await run(weights, dir);
    expect(after.note).toMatch(/^restored from/);
    expect(bytesOf(after.logits).equals(bytesOf(plain.logits))).toBe(true);
  }

  it.each([
    ['the first byte of the weights', (size: number) => 0 * size],
    ['a byte in the middle', (size: number) => Math.floor(size / 2)],
    ['the last byte', (size: number) => size - 1],
  ])('%s flipped: the checksum catches it, the logits are the checkpoint\'s', async (_what, at) => {
    const { weights, dir, file, plain } = await withCache();
    const bytes = readFileSync(file);
    const regionBytes = plain.weightBytes.byteLength;
    bytes[bytes.byteLength - regionBytes + at(regionBytes)] ^= 0x40;
    writeFileSync(file, bytes);
    await expectRewritten(weights, dir, plain, /previous: damaged cache file \(checksum\)/);
  });

  it('a byte of the header flipped, the file truncated, or garbage: ignored', async () => {
    const { weights, dir, file, plain } = await withCache();
    const bytes = readFileSync(file);
    const header = Buffer.from(bytes);
    header[40] ^= 0x01;
    writeFileSync(file, header);
    await expectRewritten(weights, dir, plain, /previous: (damaged|stale) cache file/);
    writeFileSync(file, bytes.subarray(0, bytes.byteLength - 4096));
    await expectRewritten(weights, dir, plain, /previous: damaged cache file \(size\)/);
    writeFileSync(file, Buffer.from('not a cache file at all'));
    await expectRewritten(weights, dir, plain, /previous: cache file of another format/);
    writeFileSync(file, Buffer.alloc(3));
    await expectRewritten(weights, dir, plain, /previous: truncated cache file/);
  });

  it('the checkpoint changed (new modification time): the old pack is stale', async () => {
    const { weights, dir, plain } = await withCache();
    const later = new Date(statSync(weights).mtimeMs + 5000);
    utimesSync(weights, later, later);
    await expectRewritten(weights, dir, plain, /previous: stale cache file/);
  });

  it('the checkpoint replaced by other weights under the same name: the new weights are used', async () => {
    const { weights, dir } = await withCache();
    const changed = tinyCopy((t) => {
      t['head.weight'].data[3] += 0.5;
    });
    copyFileSync(changed, weights);
    const fresh = await run(changed, false);
    const again = await run(weights, dir);
    expect(again.restored).toBe(false);
    expect(bytesOf(again.logits).equals(bytesOf(fresh.logits))).toBe(true);
  });
});

describe('the cache never fails a load', () => {
  it('a folder that cannot be made: the model loads, the note says why nothing was written', async () => {
    const blocker = join(tmp(), 'a-file');
    writeFileSync(blocker, 'x');
    const result = await run(join(TINY, 'model.safetensors'), join(blocker, 'cache'));
    expect(result.restored).toBe(false);
    expect(result.note).toMatch(/^not written to .*a-file\/cache\/.*\.vitw: ENOTDIR/);
    const plain = await run(join(TINY, 'model.safetensors'), false);
    expect(bytesOf(result.logits).equals(bytesOf(plain.logits))).toBe(true);
  });

  it('a checkpoint with NaN in it fails to load as before, and nothing is written', async () => {
    const weights = tinyCopy((t) => {
      t['blocks.1.mlp.fc1.weight'].data[5] = Number.NaN;
    });
    const dir = tmp();
    await expect(run(weights, dir)).rejects.toThrow(WeightsError);
    expect(cacheFiles(dir)).toEqual([]);
  });

  it('the reference backend keeps no packed weights; small checkpoints are not cached by default', async () => {
    const dir = tmp();
    const ref = await loadVitModel(join(TINY, 'model.safetensors'), { backend: new ReferenceBackend(), weightCache: { dir, minBytes: 0 } });
    expect(ref.weightCache).toBe('off (the ref backend keeps no packed weights)');
    const backend = await createWasmBackend({ threads: 1 });
    try {
      const small = await loadVitModel(join(TINY, 'model.safetensors'), { backend, weightCache: { dir } });
      expect(small.weightCache).toBe('off (small checkpoint)');
    } finally {
      backend.dispose();
    }
    expect(cacheFiles(dir)).toEqual([]);
  });
});

describe('the folder', () => {
  it(`holds at most ${MAX_FILES} files: one per checkpoint and format, the least recently used removed`, async () => {
    const dir = tmp();
    const checkpoints = Array.from({ length: MAX_FILES + 2 }, () => tinyCopy());
    for (const [i, weights] of checkpoints.entries()) {
      await run(weights, dir);
      await run(weights, dir); // a second load restores: still one file per checkpoint
      expect(cacheFiles(dir)).toHaveLength(Math.min(i + 1, MAX_FILES));
      // Make the order of use unambiguous on coarse file-system clocks.
      for (const name of cacheFiles(dir)) {
        const file = join(dir, name);
        const t = new Date(statSync(file).mtimeMs - 10_000);
        utimesSync(file, t, t);
      }
    }
    // The newest checkpoints' files are the ones kept.
    expect((await run(checkpoints[checkpoints.length - 1], dir)).note).toMatch(/^restored from/);
    expect((await run(checkpoints[0], dir)).note).toMatch(/^written to/);
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('concurrent processes writing the same entry leave one whole file that restores', async () => {
    const weights = tinyCopy();
    const dir = tmp();
    const script = `
      import { loadVitModel } from ${JSON.stringify(join(ROOT, 'dist', 'app', 'load-model.js'))};
      import { createWasmBackend } from ${JSON.stringify(join(ROOT, 'dist', 'backend', 'wasm', 'index.js'))};
      const backend = await createWasmBackend({ threads: 1 });
      const model = await loadVitModel(${JSON.stringify(weights)}, { backend, weightCache: { dir: ${JSON.stringify(dir)}, minBytes: 0 } });
      console.log(model.weightCache);
      backend.dispose();`;
    const exec = promisify(execFile);
    const runs = await Promise.all(Array.from({ length: 4 }, () => exec(process.execPath, ['--input-type=module', '-e', script])));
    for (const { stdout } of runs) expect(stdout).toMatch(/^(written to|restored from) /);
    expect(readdirSync(dir)).toHaveLength(1);
    const plain = await run(weights, false);
    const restored = await run(weights, dir);
    expect(restored.note).toMatch(/^restored from/);
    expect(bytesOf(restored.logits).equals(bytesOf(plain.logits))).toBe(true);
  });

  it('defaults to $VIT_WEIGHT_CACHE_DIR, else $XDG_CACHE_HOME/vit/weights, else ~/.cache/vit/weights', () => {
    expect(weightCacheDir({ VIT_WEIGHT_CACHE_DIR: '/c', XDG_CACHE_HOME: '/x', HOME: '/h' })).toBe('/c');
    expect(weightCacheDir({ XDG_CACHE_HOME: '/x', HOME: '/h' })).toBe('/x/vit/weights');
    expect(weightCacheDir({ XDG_CACHE_HOME: '', HOME: '/h' })).toBe('/h/.cache/vit/weights');
  });
});

describe('controls', () => {
  it('off unless --weight-cache or VIT_WEIGHT_CACHE=1; a flag wins over the variable; anything else is refused', () => {
    const on = { dir: '/h/.cache/vit/weights' };
    expect(weightCacheSettings(undefined, { HOME: '/h' })).toBe(false);
    expect(weightCacheSettings(undefined, { VIT_WEIGHT_CACHE: '', HOME: '/h' })).toBe(false);
    for (const word of ['1', 'on', 'TRUE', 'yes']) expect(weightCacheSettings(undefined, { VIT_WEIGHT_CACHE: word, HOME: '/h' })).toEqual(on);
    for (const word of ['0', 'off', 'false', 'NO']) expect(weightCacheSettings(undefined, { VIT_WEIGHT_CACHE: word, HOME: '/h' })).toBe(false);
    expect(weightCacheSettings(true, { HOME: '/h' })).toEqual(on);
    expect(weightCacheSettings(true, { VIT_WEIGHT_CACHE: '0', HOME: '/h' })).toEqual(on);
    expect(weightCacheSettings(false, { VIT_WEIGHT_CACHE: '1', HOME: '/h' })).toBe(false);
    expect(() => weightCacheSettings(undefined, { VIT_WEIGHT_CACHE: 'sometimes' })).toThrow(WeightCacheSettingError);
    expect(() => weightCacheSettings(false, { VIT_WEIGHT_CACHE: 'sometimes' })).toThrow(WeightCacheSettingError);
  });

  it('a bad VIT_WEIGHT_CACHE is a usage error (exit 2) naming the variable and the value', async () => {
    vi.stubEnv('VIT_WEIGHT_CACHE', 'sometimes');
    try {
      const { code, stderr } = await runInProcess(['classify', join(IMAGES, 'cat.jpg'), '--weights', join(TINY, 'model.safetensors'), '--quiet']);
      expect(code).toBe(2);
      expect(stderr).toBe("vit: VIT_WEIGHT_CACHE must be 0 or 1 (off or on), received 'sometimes'\n");
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('--verbose says what the cache did after the weights line, and nothing when it was off', () => {
    const lines: string[] = [];
    const report = createTimingReport((line) => lines.push(line));
    report.observer({ stage: 'resolve', ms: 1 });
    report.observer({ stage: 'load', ms: 2, weightCache: 'not written to /c/x.vitw: EROFS: read-only file system' });
    report.observer({ stage: 'load', ms: 2, weightCache: 'off (small checkpoint)' });
    expect(lines).toEqual([
      'vit: weights          3.0 ms  resolve 1.0 ms, load 2.0 ms',
      'vit: weight cache: not written to /c/x.vitw: EROFS: read-only file system',
      'vit: weights          3.0 ms  resolve 1.0 ms, load 2.0 ms',
    ]);
  });
});

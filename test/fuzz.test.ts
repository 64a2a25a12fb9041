// A seeded fuzz of the loaders (issue 12): the tiny fixture's safetensors and config.json, and the
// test images, mutated (bytes flipped, truncated at many offsets, headers spliced, numeric fields
// set to extremes), then loaded in-process by the real code. The property: a result, or an error
// the application layer documents (errorKind says which exit code) -- never another exception,
// and each case within a time bound. VIT_FUZZ_CASES=5000 runs a longer campaign; VIT_FUZZ_SEED
// picks another sequence (a failure prints the seed and the case to replay it).

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/backend.js';
import { errorKind } from '../src/app/errors.js';
import { loadVitModel } from '../src/app/load-model.js';
import { loadImageTensor } from '../src/image/index.js';
import { ROOT } from './cli/run.js';

const CASES = Number(process.env.VIT_FUZZ_CASES ?? 150);
const SEED = Number(process.env.VIT_FUZZ_SEED ?? 20261202);
/** Per case: loading the tiny model or decoding a small image takes milliseconds. */
const CASE_BOUND_MS = 5000;

const TINY = join(ROOT, 'fixtures', 'models', 'tiny');
const WEIGHTS = readFileSync(join(TINY, 'model.safetensors'));
const OTHER_WEIGHTS = readFileSync(join(ROOT, 'fixtures', 'models', 'no_qkv_bias', 'model.safetensors'));
const CONFIG = JSON.parse(readFileSync(join(TINY, 'config.json'), 'utf8'));
const IMAGES = ['cat.jpg', 'coffee.png', 'animated.gif'].map((name) => readFileSync(join(ROOT, 'test', 'fixtures', 'images', name)));
const PREPROCESS = { inputSize: [3, 32, 32], interpolation: 'bicubic', mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], cropPct: 1, cropMode: 'center' } as const;

/** mulberry32: a small seeded generator, so every run tries the same cases. */
function generator(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, pick: <T>(xs: readonly T[]): T => xs[int(xs.length)] };
}

type Random = ReturnType<typeof generator>;

/** Bytes mutated one of several ways; header bytes (the first kilobytes) are hit more often. */
function mutateBytes(bytes: Buffer, r: Random, other: Buffer): { bytes: Buffer; what: string } {
  const copy = Buffer.from(bytes);
  switch (r.int(4)) {
    case 0: {
      const flips = 1 + r.int(8);
      for (let i = 0; i < flips; i++) copy[r.next() < 0.7 ? r.int(Math.min(copy.length, 2048)) : r.int(copy.length)] ^= 1 << r.int(8);
      return { bytes: copy, what: `${flips} bit flips` };
    }
    case 1: {
      const at = r.next() < 0.5 ? r.int(Math.min(copy.length, 4096)) : r.int(copy.length);
      return { bytes: copy.subarray(0, at), what: `truncated at ${at}` };
    }
    case 2: {
      const at = 8 + r.int(Math.min(copy.length, 4096));
      return { bytes: Buffer.concat([other.subarray(0, at), copy.subarray(at)]), what: `another file's first ${at} bytes spliced in` };
    }
    default: {
      const at = r.int(Math.min(copy.length, 2048));
      const value = r.pick([0x00, 0xff, 0x7b, 0x22, 0x5d, 0x30]);
      copy.fill(value, at, at + 1 + r.int(16));
      return { bytes: copy, what: `a run of 0x${value.toString(16)} at ${at}` };
    }
  }
}

const EXTREMES: unknown[] = [0, -1, 1, 2.5, 1e9, -1e9, 1e308, null, 'x', '12', [], {}, true, [3, 0, 0], [1e9, 1e9]];

/** The config with one numeric (or any) field, at any depth, set to an extreme value. */
function mutateConfig(r: Random): { config: unknown; what: string } {
  const config = structuredClone(CONFIG) as Record<string, unknown>;
  const paths: string[][] = [];
  const walk = (obj: Record<string, unknown>, path: string[]) => {
    for (const [key, value] of Object.entries(obj)) {
      paths.push([...path, key]);
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) walk(value as Record<string, unknown>, [...path, key]);
    }
  };
  walk(config, []);
  const path = r.pick(paths);
  const value = r.pick(EXTREMES);
  let target = config;
  for (const key of path.slice(0, -1)) target = target[key] as Record<string, unknown>;
  target[path.at(-1)!] = value;
  return { config, what: `${path.join('.')} = ${JSON.stringify(value)}` };
}

async function expectDocumentedOutcome(run: () => Promise<unknown>, what: string): Promise<'ok' | 'error'> {
  const started = performance.now();
  try {
    await run();
    return 'ok';
  } catch (e) {
    if (errorKind(e) === undefined) throw new Error(`seed ${SEED}, ${what}: undocumented ${(e as Error).name}: ${(e as Error).message}`);
    return 'error';
  } finally {
    expect(performance.now() - started, `seed ${SEED}, ${what}: took too long`).toBeLessThan(CASE_BOUND_MS);
  }
}

describe(`fuzz (seed ${SEED}, ${CASES} cases per target)`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'vit-fuzz-'));

  it('mutated checkpoints load or fail with a documented error', async () => {
    const r = generator(SEED);
    const outcomes = { ok: 0, error: 0 };
    for (let i = 0; i < CASES; i++) {
      const { bytes, what } = mutateBytes(WEIGHTS, r, OTHER_WEIGHTS);
      const path = join(dir, `w${i}.safetensors`);
      writeFileSync(path, bytes);
      outcomes[await expectDocumentedOutcome(() => loadVitModel(path, { backend: new ReferenceBackend(), model: 'auto', heads: 3 }), `case ${i}: ${what}`)]++;
    }
    expect(outcomes.error).toBeGreaterThan(CASES / 2); // the mutations do break things
  }, 120_000);

  it('mutated config.json load or fail with a documented error', async () => {
    const r = generator(SEED + 1);
    const outcomes = { ok: 0, error: 0 };
    for (let i = 0; i < CASES; i++) {
      const { config, what } = mutateConfig(r);
      const caseDir = mkdtempSync(join(dir, 'c'));
      writeFileSync(join(caseDir, 'model.safetensors'), WEIGHTS);
      writeFileSync(join(caseDir, 'config.json'), JSON.stringify(config));
      outcomes[await expectDocumentedOutcome(() => loadVitModel(join(caseDir, 'model.safetensors'), { backend: new ReferenceBackend() }), `case ${i}: ${what}`)]++;
    }
    expect(outcomes.ok).toBeGreaterThan(0); // fields that do not matter (tags, notes) leave it loading
    expect(outcomes.error).toBeGreaterThan(0);
  }, 120_000);

  it('mutated images decode or fail with a documented error', async () => {
    const r = generator(SEED + 2);
    const outcomes = { ok: 0, error: 0 };
    for (let i = 0; i < CASES; i++) {
      const original = r.pick(IMAGES);
      const { bytes, what } = mutateBytes(original, r, r.pick(IMAGES));
      outcomes[await expectDocumentedOutcome(() => loadImageTensor(new Uint8Array(bytes), PREPROCESS), `case ${i}: ${what}`)]++;
    }
    expect(outcomes.ok + outcomes.error).toBe(CASES);
  }, 120_000);
});

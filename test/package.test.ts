// The package as a user gets it: `npm pack` of this tree (dist/ as `npm test` built it), installed
// into a project outside the repository with its declared dependencies only (npm's cache, which
// `npm ci` filled; the registry where the cache lacks something). The other tests resolve modules
// from this tree, where a file missing from package.json "files", a dependency declared only for
// development, or a type that does not resolve would go unnoticed.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMAGES, ROOT } from './cli/run.js';

const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
const CAT = join(IMAGES, 'cat.jpg');

let work = '';
let app = '';
let tarball = '';

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_update_notifier: 'false' } });
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'vit-package-'));
  // --ignore-scripts: the "prepare" build already ran (npm test's pretest); pack what it built.
  const [packed] = JSON.parse(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT)) as { filename: string }[];
  tarball = join(work, packed.filename);
  app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }));
  run('npm', ['install', '--prefer-offline', '--ignore-scripts', '--omit=dev', '--no-audit', '--no-fund', '--loglevel=error', tarball], app);
}, 300_000);

afterAll(() => {
  if (work !== '') rmSync(work, { recursive: true, force: true });
});

describe(`the packed ${PACKAGE.name}, installed in a project of its own`, () => {
  it('holds the built code, the kernels, the labels and the parity fixtures, and no sources or tests', () => {
    const files = run('tar', ['tzf', tarball], work).split('\n').filter((f) => f !== '');
    for (const needed of [
      'package/bin/vit.js',
      'package/dist/index.js',
      'package/dist/index.d.ts',
      'package/dist/wasm/vit-simd.wasm',
      'package/dist/wasm/vit-relaxed.wasm',
      'package/labels/imagenet_classes.txt',
      'package/fixtures/models/tiny/model.safetensors',
      'package/scripts/measure_int8_accuracy.py',
      'package/README.md',
    ]) {
      expect(files, needed).toContain(needed);
    }
    expect(files.filter((f) => /^package\/(src|test|assembly|bench|node_modules)\//.test(f))).toEqual([]);
  });

  it('its `vit` runs: the version, and verify against the fixtures it ships', () => {
    const vit = join(app, 'node_modules', '.bin', 'vit');
    expect(run(process.execPath, [vit, '--version'], app).trim()).toBe(PACKAGE.version);
    expect(run(process.execPath, [vit, 'verify', '--quiet'], app)).toMatch(/^7\/7 passed/m);
  });

  it("`import { loadModel, classify } from 'vit-classify'` classifies with the model it ships", () => {
    const script = [
      `import { loadModel, classify } from '${PACKAGE.name}';`,
      `const classifier = await loadModel({ weights: 'node_modules/${PACKAGE.name}/fixtures/models/tiny/model.safetensors' });`,
      `const { predictions } = await classify(classifier, ${JSON.stringify(CAT)}, { topk: 2 });`,
      'classifier.dispose();',
      'console.log(JSON.stringify(predictions.map((p) => [p.rank, p.label])));',
    ].join('\n');
    writeFileSync(join(app, 'classify.mjs'), script);
    const ranks = JSON.parse(run(process.execPath, ['classify.mjs'], app)) as [number, string][];
    expect(ranks.map(([rank]) => rank)).toEqual([1, 2]);
    for (const [, label] of ranks) expect(label).toMatch(/^class \d$/); // the tiny model's own 10 labels
  });

  it('its types check in a strict TypeScript project (skipLibCheck off), and a misspelt option is an error', () => {
    writeFileSync(
      join(app, 'consumer.ts'),
      [
        `import { loadModel, classify, type Classifier } from '${PACKAGE.name}';`,
        "const classifier: Classifier = await loadModel({ weights: 'model.safetensors', threads: 2, precision: 'int8' });",
        "const probability: number = (await classify(classifier, 'cat.jpg', { topk: 3 })).predictions[0].probability;",
        'console.log(probability);',
        '// @ts-expect-error: no such option',
        "await loadModel({ wieghts: 'model.safetensors' });",
        'export {};',
      ].join('\n'),
    );
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          // Node's types come from this repository (a user has their own @types/node).
          typeRoots: [join(ROOT, 'node_modules', '@types')],
          types: ['node'],
        },
        files: ['consumer.ts'],
      }),
    );
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    expect(run(process.execPath, [tsc, '-p', '.'], app)).toBe('');
  });
});

// Soak: many images through one process, RSS sampled as it goes, to show that nothing grows
// without bound (the worker pool, the arena, the decoder). Not a test: it takes minutes.
//   1. SOAK_IMAGES (default 2000) images, the test photos and some bad files in turn, through one
//      classifier (the tiny fixture model on the wasm backend, batch 4) with classifyStream;
//   2. SOAK_RELOADS (default 50) load/classify/dispose cycles (worker threads started and stopped).
// Prints RSS at the start, after each tenth, and the growth from the first tenth to the end.
// Usage: npm run build && node bench/soak.mjs

import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { classifyStream, loadModel } from '../dist/index.js';
import { machineInfo, printHeader } from './header.mjs';
import { envInt } from './stats.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const images = join(root, 'test', 'fixtures', 'images');
const weights = join(root, 'fixtures', 'models', 'tiny', 'model.safetensors');
const total = envInt('SOAK_IMAGES', 2000);
const reloads = envInt('SOAK_RELOADS', 50);

const bad = mkdtempSync(join(tmpdir(), 'vit-soak-'));
writeFileSync(join(bad, 'text.jpg'), 'not an image');
const cycle = [
  join(images, 'cat.jpg'),
  join(images, 'coffee.png'),
  join(images, 'animated.gif'),
  join(images, 'truncated.jpg'),
  join(bad, 'text.jpg'),
  join(bad, 'missing.jpg'),
];
const mb = () => Math.round(process.memoryUsage().rss / 2 ** 20);

printHeader(machineInfo(), [availableParallelism()]);
const samples = [];
const classifier = await loadModel({ weights, batchSize: 4 });
const items = Array.from({ length: total }, (_, i) => ({ path: cycle[i % cycle.length] }));
let done = 0;
let failed = 0;
const started = performance.now();
samples.push({ images: 0, rssMB: mb() });
for await (const record of classifyStream(classifier, items, { topk: 1 })) {
  if ('error' in record) failed++;
  done++;
  if (done % Math.max(1, Math.floor(total / 10)) === 0) samples.push({ images: done, rssMB: mb() });
}
classifier.dispose();
console.log(`\n1. ${done} images (${failed} bad) through one classifier in ${((performance.now() - started) / 1000).toFixed(1)} s`);
console.table(samples);
const afterFirstTenth = samples[1]?.rssMB ?? samples[0].rssMB;
console.log(`RSS growth from the first tenth to the end: ${samples.at(-1).rssMB - afterFirstTenth} MB`);

const cycles = [];
for (let i = 1; i <= reloads; i++) {
  const c = await loadModel({ weights, batchSize: 4 });
  for await (const _ of classifyStream(c, items.slice(0, 6))) void _;
  c.dispose();
  if (i % Math.max(1, Math.floor(reloads / 5)) === 0) cycles.push({ cycles: i, rssMB: mb() });
}
console.log(`\n2. ${reloads} load / classify / dispose cycles`);
console.table(cycles);
console.log(`RSS growth from the first fifth to the end: ${cycles.at(-1).rssMB - cycles[0].rssMB} MB`);

// A/B of two builds of vit in one process, for judging a change to the kernels or the model on a
// machine whose speed drifts over minutes (see the README's Speed section): runs minutes apart
// differ by more than most changes gain, but two builds timed alternately see the same machine.
// Both load the random-weight ViT-B/16-384 (bench/checkpoint.mjs) and run forward passes in turns;
// the verdict is the median of the per-pair time ratios, and the logits must agree.
// Usage: node bench/ab.mjs <dist A> <dist B>      e.g. a `git worktree` of the base, built, and ./dist
// Environment: AB_PAIRS (default 12), AB_THREADS (2), AB_BACKEND (auto | wasm), AB_PRECISION (fp32 | int8).

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchCheckpoint } from './checkpoint.mjs';
import { machineInfo, printHeader } from './header.mjs';
import { envInt, maxAbsDiff, median, randomFloats, round, timed } from './stats.mjs';

const [distA, distB] = process.argv.slice(2);
if (distB === undefined) {
  console.error('usage: node bench/ab.mjs <dist A> <dist B>');
  process.exit(2);
}
const pairs = envInt('AB_PAIRS', 12);
const threads = envInt('AB_THREADS', 2);
const backendName = process.env.AB_BACKEND ?? 'auto';
printHeader(machineInfo(), [threads]);
const checkpoint = benchCheckpoint('vit_base_patch16_384');

async function load(dist) {
  const root = pathToFileURL(`${resolve(dist)}/`);
  const { createBackend } = await import(new URL('backend/index.js', root).href);
  // Builds from before the application layer (src/app) kept the loader in model/.
  const loader = ['app/load-model.js', 'model/load.js'].map((f) => new URL(f, root)).find((url) => existsSync(url));
  const { loadVitModel } = await import(loader.href);
  const backend = await createBackend(backendName, { threads, precision: process.env.AB_PRECISION ?? 'fp32' });
  const model = await loadVitModel(checkpoint, { backend, maxBatch: 1 });
  return { backend, model };
}

const a = await load(distA);
const b = await load(distB);
const image = randomFloats(3 * 384 * 384, 7);
const logitDiff = maxAbsDiff(a.model.forward(image, 1).logits, b.model.forward(image, 1).logits);
const time = (model) => timed(() => model.forward(image, 1)).wallMs;
const timesA = [];
const timesB = [];
const ratios = [];
for (let p = 0; p < pairs; p++) {
  // Alternate which build goes first, so that neither always runs just after the other.
  let ta;
  let tb;
  if (p % 2 === 0) {
    ta = time(a.model);
    tb = time(b.model);
  } else {
    tb = time(b.model);
    ta = time(a.model);
  }
  timesA.push(ta);
  timesB.push(tb);
  ratios.push(ta / tb);
}
a.backend.dispose();
b.backend.dispose();

console.log(`ViT-B/16-384, batch 1, ${threads} thread(s), backend ${backendName}, ${pairs} alternating pairs`);
console.log(`  A ${distA}: median ${round(median(timesA))} ms, min ${round(Math.min(...timesA))} ms`);
console.log(`  B ${distB}: median ${round(median(timesB))} ms, min ${round(Math.min(...timesB))} ms`);
console.log(`  B is ${round(median(ratios), 3)}x as fast as A (median of the pair ratios; ~1.00 +- 0.08 between identical builds here)`);
console.log(`  max |logit A - logit B| = ${logitDiff.toExponential(2)}`);

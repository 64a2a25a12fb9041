// End-to-end benchmark of one wasm configuration (child process of bench/run.mjs, so that its
// peak RSS is its own): load the checkpoint (file to ready), latency at batch 1 after warm-up,
// throughput at batch 8.
// Usage: node bench/model.mjs '{"checkpoint":"...","relaxedSimd":true,"threads":2,"runs":10,"batchRuns":3,"precision":"fp32"}'
// Prints one JSON object.

import { createVitBackend } from './wasm-backend.mjs';
import { loadVitModel } from '../dist/app/load-model.js';
import { randomFloats, round, summary, timed } from './stats.mjs';

const BATCH = 8;
const { checkpoint, relaxedSimd, threads, runs, batchRuns, precision = 'fp32' } = JSON.parse(process.argv[2]);

const t0 = performance.now();
const backend = await createVitBackend({ relaxedSimd, threads, precision });
const t1 = performance.now();
const model = await loadVitModel(checkpoint, { backend, maxBatch: BATCH });
const t2 = performance.now();
const rssAfterLoad = process.memoryUsage().rss;

const { inChans: C, imgSize: S } = model.config;
const images = randomFloats(BATCH * C * S * S, 7);
const one = images.subarray(0, C * S * S);

let logits;
for (let i = 0; i < 2; i++) logits = model.forward(one, 1).logits;
const single = [];
for (let i = 0; i < runs; i++) single.push(timed(() => model.forward(one, 1)));
model.forward(images, BATCH);
const batched = [];
for (let i = 0; i < batchRuns; i++) batched.push(timed(() => model.forward(images, BATCH)));

const macs = modelMacs(model.config);
const batch1 = summary(single);
const batch8 = summary(batched);
backend.dispose();
console.log(
  JSON.stringify({
    backend: backend.name,
    kernel: backend.kernel,
    threads: backend.threads,
    precision,
    model: model.resolved.name,
    gmacsPerImage: round(macs / 1e9, 3),
    load: { totalMs: round(t2 - t0), backendMs: round(t1 - t0), modelMs: round(t2 - t1) },
    batch1: { ...batch1, gflops: round((2 * macs) / batch1.medianMs / 1e6) },
    batch8: { ...batch8, imagesPerSecond: round((BATCH * 1000) / batch8.medianMs, 3), gflops: round((2 * macs * BATCH) / batch8.medianMs / 1e6) },
    memory: {
      peakRssMB: round(process.resourceUsage().maxRSS / 1024, 1),
      rssAfterLoadMB: round(rssAfterLoad / 2 ** 20, 1),
      wasmMemoryMB: round(backend.memoryBytes / 2 ** 20, 1),
    },
    logitsHead: Array.from(logits.subarray(0, 8), (v) => round(v, 6)),
    logits: Array.from(logits),
  }),
);

/**
 * Multiply-adds of one image as the model runs it: every Linear plus attention's two products,
 * with the last block on the class token alone after qkv (see src/model/vit.ts).
 */
function modelMacs({ imgSize, patchSize, inChans, embedDim: D, depth, mlpHiddenDim: H, numClasses }) {
  const T = (imgSize / patchSize) ** 2 + 1;
  const patch = (T - 1) * D * inChans * patchSize ** 2;
  // k and v for every token; q, attention, proj and the MLP for the tokens that query.
  const block = (queries) => T * D * 2 * D + queries * D * D + 2 * queries * T * D + queries * D * (D + 2 * H);
  return patch + (depth - 1) * block(T) + block(1) + D * numClasses;
}

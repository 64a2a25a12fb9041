// GEMM micro-benchmark (child process of bench/run.mjs): the four Linear shapes of a ViT-B/16-384
// block at batch 1 (577 tokens) and its attention, on one wasm configuration; optionally the
// reference kernel on the same shapes, for speed and for the largest difference from it.
// Usage: node bench/gemm.mjs '{"relaxedSimd":true,"threads":2,"runs":20,"reference":false,"precision":"fp32"}'
// (precision: the Linear layers' fp32 or int8; attention is float32 either way)
// Prints one JSON object.

import { linearForward } from '../dist/backend/reference/kernels.js';
import { createVitBackend } from './wasm-backend.mjs';
import { LINEAR_SHAPES, placeShape, shapeData } from './gemm-shapes.mjs';
import { randomFloats, round, summary, timed } from './stats.mjs';

const ATTENTION = { name: 'attention', batch: 1, tokens: 577, heads: 12, headDim: 64 };

const { relaxedSimd, threads, runs, reference, precision = 'fp32' } = JSON.parse(process.argv[2]);
const backend = await createVitBackend({ relaxedSimd, threads, precision });
const results = [];
for (const shape of LINEAR_SHAPES) results.push(benchLinear(shape));
results.push(benchAttention(ATTENTION));
backend.dispose();
console.log(JSON.stringify({ backend: backend.name, kernel: backend.kernel, threads: backend.threads, precision, shapes: results }));

function benchLinear(shape) {
  const { name, rows, outDim, inDim, gelu = false } = shape;
  const data = shapeData(shape);
  const { weight, bias, xData } = data;
  const { w, x, out, run } = placeShape(backend, shape, data);
  for (let i = 0; i < 3; i++) run();
  const samples = [];
  for (let i = 0; i < runs; i++) samples.push(timed(run));
  const flop = 2 * rows * outDim * inDim;
  const result = { name, shape: `${rows}x${inDim}->${outDim}`, ...rates(flop, samples) };
  if (reference) {
    out.fill(0);
    const plain = { gelu };
    backend.linear(out, x, w, rows, plain);
    const ref = new Float32Array(rows * outDim);
    const t = timed(() => linearForward(ref, xData, weight, bias, rows, outDim, inDim, gelu, null));
    let maxDiff = 0;
    let maxRef = 0;
    for (let i = 0; i < ref.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(out[i] - ref[i]));
      maxRef = Math.max(maxRef, Math.abs(ref[i]));
    }
    result.reference = { ms: round(t.wallMs), gflops: round(flop / t.wallMs / 1e6), maxAbsDiff: maxDiff, maxAbsValue: maxRef };
  }
  return result;
}

function benchAttention({ name, batch, tokens, heads, headDim }) {
  const dim = heads * headDim;
  const arena = backend.createArena((batch * tokens * 4 * dim) * 4 + 4096);
  const qkv = arena.allocF32(batch * tokens * 3 * dim);
  qkv.set(randomFloats(qkv.length, 4));
  const out = arena.allocF32(batch * tokens * dim);
  const scratch = arena.allocF32(backend.attentionScratchFloats(batch, tokens, heads));
  const run = () => backend.attention(out, qkv, batch, tokens, heads, headDim, scratch);
  for (let i = 0; i < 3; i++) run();
  const samples = [];
  for (let i = 0; i < runs; i++) samples.push(timed(run));
  const flop = 2 * 2 * batch * heads * tokens * tokens * headDim;
  return { name, shape: `${batch}x${tokens} tokens, ${heads}x${headDim}`, ...rates(flop, samples) };
}

function rates(flop, samples) {
  const s = summary(samples);
  return {
    ...s,
    gflopsMedian: round(flop / s.medianMs / 1e6),
    gflopsBest: round(flop / s.minMs / 1e6),
    // Per thread, from CPU time: less sensitive to other processes taking the cores.
    gflopsPerThreadCpu: round(flop / s.medianCpuMs / 1e6),
  };
}

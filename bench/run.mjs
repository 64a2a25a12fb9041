// `npm run bench`: the wasm backend's numbers on this machine, printed and saved as JSON in
// bench/results/ (gitignored). Runs from the compiled dist/ (the npm script builds first).
//   1. GEMM micro-benchmark: the four ViT-B/16-384 Linear shapes and attention at batch 1, for
//      each kernel (relaxed SIMD FMA, plain SIMD) on 1 and 2 threads, plus the reference kernel.
//   2. End to end on a random-weight ViT-B/16-384 checkpoint (written once to a temp folder):
//      load time, batch-1 latency, batch-8 throughput, peak RSS, per kernel and thread count.
// Each configuration runs in its own process. Timings are wall-clock, with CPU time alongside:
// on a shared machine, CPU time well below threads x wall time means the cores were busy.
// Environment: BENCH_RUNS (batch-1 runs, default 10), BENCH_BATCH_RUNS (batch-8 runs, 3),
// BENCH_GEMM_RUNS (20), BENCH_REF=0 (skip the slow reference), BENCH_ONLY=gemm|model,
// BENCH_KERNELS=relaxed,simd, BENCH_THREADS=1,2, BENCH_FRESH=1 (rewrite the checkpoint).

import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { relaxedSimdSupported } from '../dist/backend/wasm/index.js';
import { benchCheckpoint } from './checkpoint.mjs';
import { machineInfo, printHeader } from './header.mjs';
import { envInt, maxAbsDiff, round } from './stats.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const MODEL = 'vit_base_patch16_384';
const runs = envInt('BENCH_RUNS', 10);
const batchRuns = envInt('BENCH_BATCH_RUNS', 3);
const gemmRuns = envInt('BENCH_GEMM_RUNS', 20);
const only = process.env.BENCH_ONLY;
const kernels = (process.env.BENCH_KERNELS ?? 'relaxed,simd').split(',').filter((k) => k !== 'relaxed' || relaxedSimdSupported());
const threadCounts = (process.env.BENCH_THREADS ?? '1,2').split(',').map(Number);
const configs = kernels.flatMap((k) => threadCounts.map((threads) => ({ relaxedSimd: k === 'relaxed', threads })));

const machine = machineInfo();
printHeader(machine, threadCounts);

const report = {
  date: new Date().toISOString(),
  machine,
  settings: { runs, batchRuns, gemmRuns },
  gemm: [],
  model: [],
};

if (only !== 'model') {
  configs.forEach((config, i) => {
    const reference = process.env.BENCH_REF !== '0' && i === 0;
    const result = child('gemm.mjs', { ...config, runs: gemmRuns, reference });
    report.gemm.push(result);
    console.log(`\nGEMM ${result.backend} (${result.kernel}), ${result.threads} thread(s)`);
    console.table(
      result.shapes.map((s) => ({
        op: s.name,
        shape: s.shape,
        'median ms': s.medianMs,
        'min ms': s.minMs,
        'GFLOP/s (median)': s.gflopsMedian,
        'GFLOP/s (best)': s.gflopsBest,
        'GFLOP/s per thread (CPU time)': s.gflopsPerThreadCpu,
        ...(s.reference ? { 'reference GFLOP/s': s.reference.gflops, 'max |diff|': s.reference.maxAbsDiff.toExponential(2) } : {}),
      })),
    );
  });
}

if (only !== 'gemm') {
  console.log(`\nWriting/reusing a random-weight ${MODEL} checkpoint...`);
  const checkpoint = benchCheckpoint(MODEL);
  console.log(checkpoint);
  for (const config of configs) {
    const result = child('model.mjs', { checkpoint, ...config, runs, batchRuns });
    report.model.push(result);
    const { load, batch1: b1, batch8: b8, memory } = result;
    console.log(
      `\n${result.model} on ${result.backend} (${result.kernel}), ${result.threads} thread(s)\n` +
        `  load (file to ready) ${load.totalMs} ms (backend ${load.backendMs} ms, weights ${load.modelMs} ms)\n` +
        `  batch 1: median ${b1.medianMs} ms, min ${b1.minMs}, max ${b1.maxMs} over ${b1.runs} runs ` +
        `(CPU ${b1.medianCpuMs} ms), ${b1.gflops} GFLOP/s\n` +
        `  batch 8: ${b8.imagesPerSecond} images/s (median ${b8.medianMs} ms over ${b8.runs} runs), ${b8.gflops} GFLOP/s\n` +
        `  peak RSS ${memory.peakRssMB} MB (after load ${memory.rssAfterLoadMB} MB, wasm memory ${memory.wasmMemoryMB} MB)`,
    );
    for (const [label, s] of [['batch 1', b1], ['batch 8', b8]]) {
      const busy = s.medianCpuMs / s.medianMs;
      if (result.threads > 1 && busy < 0.8 * result.threads) {
        console.log(`  note (${label}): CPU time was only ${round(busy)}x wall time (load average ${result.loadAverageBefore}): other processes held the cores, so this understates ${result.threads} threads`);
      }
    }
  }
  summarizeModel(report.model);
}

mkdirSync(join(here, 'results'), { recursive: true });
const stamp = report.date.replace(/[:.]/g, '-');
const slim = { ...report, model: report.model.map(({ logits, ...rest }) => rest) };
for (const name of [`bench-${stamp}.json`, 'latest.json']) {
  writeFileSync(join(here, 'results', name), JSON.stringify(slim, null, 2) + '\n');
}
console.log(`\nSaved bench/results/bench-${stamp}.json`);

function child(script, args) {
  const loadBefore = loadavg()[0];
  const run = spawnSync(process.execPath, [join(here, script), JSON.stringify(args)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 << 20,
  });
  if (run.status !== 0) throw new Error(`bench: ${script} ${JSON.stringify(args)} failed (exit ${run.status})`);
  const result = JSON.parse(run.stdout.trim().split('\n').pop());
  // How busy the machine was when the run started (1-minute load average, before our threads).
  result.loadAverageBefore = round(loadBefore);
  return result;
}

function summarizeModel(results) {
  if (results.length === 0) return;
  const speedups = {};
  for (const r of results) {
    const one = results.find((o) => o.kernel === r.kernel && o.threads === 1);
    if (one && r.threads > 1) speedups[`${r.kernel} ${r.threads} threads`] = round(one.batch1.medianMs / r.batch1.medianMs);
  }
  // Both kernels compute the same function: their logits should agree to float32 rounding.
  const [a, b] = [results.find((r) => r.kernel === 'gemm_3x12_fma'), results.find((r) => r.kernel === 'gemm_4x8')];
  let kernelDiff = null;
  if (a && b) kernelDiff = maxAbsDiff(a.logits, b.logits);
  report.summary = { speedupOverOneThread: speedups, maxLogitDiffBetweenKernels: kernelDiff };
  console.log('\nSpeed-up over 1 thread (batch-1 median):', speedups);
  if (kernelDiff !== null) console.log(`Largest logit difference between the two kernels: ${kernelDiff.toExponential(2)}`);
}

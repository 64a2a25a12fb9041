// int8 against fp32 Linear layers (--precision), on this machine: the four Linear shapes of a
// ViT-B/16-384 block at batch 1 (577 tokens), for each kernel build and thread count. Each
// configuration runs in a fresh process holding two backends of that build, one per precision,
// with the same weights and input, and times them in turns: every timed run is an (fp32, int8)
// pair seconds apart, and the ratio reported is the median over the pairs, which load from other
// processes on a shared machine reaches alike. The 1-minute load average is printed with each.
// Environment: BENCH_NODE (a Node binary or version for the timed children, e.g. 24; default this
// one), BENCH_KERNELS=relaxed,simd, BENCH_THREADS=1,2, BENCH_GEMM_RUNS (15 pairs per shape),
// BENCH_MODEL=1: also the whole model at batch 1 (a random-weight checkpoint written once, see
// checkpoint.mjs; BENCH_RUNS pairs, default 8), loaded on both backends in the same process.
// Usage: npm run build && node bench/precision.mjs

import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { benchCheckpoint } from './checkpoint.mjs';
import { LINEAR_SHAPES, placeShape, shapeData } from './gemm-shapes.mjs';
import { machineInfo, printHeader } from './header.mjs';
import { envInt, median, randomFloats, round, timed } from './stats.mjs';

if (process.argv[2] === undefined) {
  const machine = machineInfo(process.env.BENCH_NODE);
  const runs = envInt('BENCH_GEMM_RUNS', 15);
  const checkpoint = process.env.BENCH_MODEL === '1' ? benchCheckpoint('vit_base_patch16_384') : undefined;
  const modelRuns = envInt('BENCH_RUNS', 8);
  const kernels = (process.env.BENCH_KERNELS ?? 'relaxed,simd').split(',');
  const threadCounts = (process.env.BENCH_THREADS ?? '1,2').split(',').map(Number);
  printHeader(machine, threadCounts);
  for (const kernel of kernels) {
    for (const threads of threadCounts) {
      const load = round(loadavg()[0]);
      const args = JSON.stringify({ relaxedSimd: kernel === 'relaxed', threads, runs, checkpoint, modelRuns });
      const run = spawnSync(machine.node.path, [fileURLToPath(import.meta.url), args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
      if (run.status !== 0) throw new Error(`bench: precision ${args} failed (exit ${run.status})`);
      const result = JSON.parse(run.stdout.trim().split('\n').pop());
      console.log(`\n${result.backend}, ${threads} thread(s), ${runs} (fp32, int8) pairs per shape (load average ${load} before, ${round(loadavg()[0])} after)`);
      console.table(result.shapes);
    }
  }
} else {
  const { createVitBackend } = await import('./wasm-backend.mjs');
  const { relaxedSimd, threads, runs, checkpoint, modelRuns } = JSON.parse(process.argv[2]);
  const backends = { fp32: await createVitBackend({ relaxedSimd, threads }), int8: await createVitBackend({ relaxedSimd, threads, precision: 'int8' }) };
  const shapes = LINEAR_SHAPES.map((shape) => pairedShape(shape, runs));
  if (checkpoint !== undefined) shapes.push(await pairedModel(checkpoint, modelRuns));
  for (const b of Object.values(backends)) b.dispose();
  console.log(JSON.stringify({ backend: backends.fp32.name, shapes }));

  /** Both backends' forward passes at batch 1 on the same image, timed in turns. */
  async function pairedModel(checkpoint, runs) {
    const { loadVitModel } = await import('../dist/app/load-model.js');
    const calls = [];
    for (const [precision, backend] of Object.entries(backends)) {
      const model = await loadVitModel(checkpoint, { backend });
      const { inChans: C, imgSize: S } = model.config;
      const image = randomFloats(C * S * S, 7);
      calls.push([precision, () => model.forward(image, 1)]);
    }
    return pairedTimes('model', 'ViT-B/16-384, batch 1', calls, runs, null);
  }

  function pairedShape(shape, runs) {
    const { name, rows, outDim, inDim } = shape;
    const data = shapeData(shape);
    const calls = Object.entries(backends).map(([precision, backend]) => [precision, placeShape(backend, shape, data).run]);
    return pairedTimes(name, `${rows}x${inDim}->${outDim}`, calls, runs, (2 * rows * outDim * inDim) / 1e9);
  }

  /** Warm up both calls, then time `runs` (fp32, int8) pairs. */
  function pairedTimes(name, shape, calls, runs, gflop) {
    for (const [, call] of calls) for (let i = 0; i < 2; i++) call();
    const ms = { fp32: [], int8: [] };
    const ratios = [];
    for (let i = 0; i < runs; i++) {
      const pair = calls.map(([precision, call]) => [precision, timed(call).wallMs]);
      for (const [precision, t] of pair) ms[precision].push(t);
      ratios.push(pair[1][1] / pair[0][1]);
    }
    return {
      op: name,
      shape,
      'fp32 ms (median)': round(median(ms.fp32)),
      'int8 ms (median)': round(median(ms.int8)),
      'int8 GOP/s (best)': gflop === null ? '-' : round(gflop / (Math.min(...ms.int8) / 1000)),
      'int8/fp32 (median of pairs)': round(median(ratios)),
    };
  }
}

// The relaxed build's two int8 dot sequences (src/backend/wasm/int8-dot.ts) on this machine:
// ViT-B/16-384 with --precision int8 at batch 1, one backend per sequence in the same process, the
// same weights and input, forward passes timed in turns (each round runs fused, then split,
// seconds apart), so that the machine's drift reaches both alike. Reports the medians, the median
// of the per-round ratios (split / fused: below 1 means split is faster), the sequence that
// vit picks here, and checks that the logits are identical (the integer sums are the same).
// Environment: BENCH_NODES (Node binaries or versions for the timed children, e.g. 20,24; default
// this one), BENCH_THREADS=2,1, BENCH_RUNS (rounds, 10), BENCH_INT8_ATTENTION (off).
// Usage: npm run build && BENCH_NODES=20,24 node bench/int8-dot.mjs

import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { benchCheckpoint } from './checkpoint.mjs';
import { machineInfo, printHeader } from './header.mjs';
import { envInt, maxAbsDiff, median, randomFloats, round, timed } from './stats.mjs';

const DOTS = ['fused', 'split'];

if (process.argv[2] === undefined) {
  const nodes = (process.env.BENCH_NODES ?? process.execPath).split(',').map((node) => machineInfo(node));
  const threadCounts = (process.env.BENCH_THREADS ?? '2,1').split(',').map(Number);
  const checkpoint = benchCheckpoint('vit_base_patch16_384');
  const runs = envInt('BENCH_RUNS', 10);
  const int8Attention = process.env.BENCH_INT8_ATTENTION ?? 'off';
  for (const machine of nodes) printHeader(machine, threadCounts);
  const rows = [];
  for (const threads of threadCounts) {
    for (const machine of nodes) {
      const load = round(loadavg()[0]);
      const args = JSON.stringify({ threads, runs, checkpoint, int8Attention });
      const run = spawnSync(machine.node.path, [fileURLToPath(import.meta.url), args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
      if (run.status !== 0) throw new Error(`bench: int8 dot ${args} failed (exit ${run.status})`);
      const result = JSON.parse(run.stdout.trim().split('\n').pop());
      if (result.maxAbsDiff !== 0) throw new Error(`bench: the two dot sequences' logits differ by ${result.maxAbsDiff} (Node ${machine.node.version}, ${threads} threads)`);
      rows.push({ node: machine.node.version, threads, 'fused ms': result.fused, 'split ms': result.split, 'split/fused': result.ratio, 'vit picks': result.picks, load: `${load} -> ${round(loadavg()[0])}` });
    }
  }
  console.log(`\nViT-B/16-384, batch 1, --precision int8, --int8-attention ${int8Attention}, ${runs} rounds after 2 warm-up; logits identical in every run`);
  console.table(rows);
} else {
  const { createWasmBackend } = await import('../dist/backend/wasm/index.js');
  const { int8DotForThisMachine } = await import('../dist/app/start-backend.js');
  const { loadVitModel } = await import('../dist/app/load-model.js');
  const { threads, runs, checkpoint, int8Attention } = JSON.parse(process.argv[2]);
  const models = [];
  for (const int8Dot of DOTS) {
    const backend = await createWasmBackend({ relaxedSimd: true, threads, precision: 'int8', int8Attention, int8Dot });
    models.push((await loadVitModel(checkpoint, { backend })).vit);
  }
  const { inChans: C, imgSize: S } = models[0].config;
  const image = randomFloats(C * S * S, 7);
  const logits = models.map((model) => Float32Array.from(model.forward(image, 1).logits));
  for (const model of models) model.forward(image, 1);
  const ms = models.map(() => []);
  const ratios = [];
  for (let r = 0; r < runs; r++) {
    const times = models.map((model) => timed(() => model.forward(image, 1)).wallMs);
    times.forEach((t, i) => ms[i].push(t));
    ratios.push(times[1] / times[0]);
  }
  const result = { fused: round(median(ms[0])), split: round(median(ms[1])), ratio: round(median(ratios), 3), picks: int8DotForThisMachine().dot, maxAbsDiff: maxAbsDiff(logits[0], logits[1]) };
  console.log(JSON.stringify(result));
  process.exit(0);
}

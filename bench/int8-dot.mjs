// The relaxed build's two int8 dot sequences (src/backend/wasm/int8-dot.ts) on this machine:
// ViT-B/16-384 at batch 1 with --precision int8, one backend per sequence, and with fp32 for scale,
// in the same process, the same weights and input, forward passes timed in turns (each round runs
// fp32, fused and split, seconds apart), so that the machine's drift reaches all alike. Reports the
// medians, the medians of the per-round ratios (split / fused: below 1 means split is faster; each
// int8 / fp32), the sequence that vit picks here, and checks that the two int8 runs' logits are
// identical (the integer sums are the same).
// Environment: BENCH_NODES (Node binaries or versions for the timed children, e.g. 20,24; default
// this one), BENCH_THREADS=2,1, BENCH_RUNS (rounds, 10), BENCH_INT8_ATTENTION (off).
// Usage: npm run build && BENCH_NODES=20,24 node bench/int8-dot.mjs

import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { benchCheckpoint } from './checkpoint.mjs';
import { machineInfo, printHeader } from './header.mjs';
import { envInt, maxAbsDiff, median, randomFloats, round, timed } from './stats.mjs';

const CONFIGS = [['fp32', {}], ['fused', { precision: 'int8', int8Dot: 'fused' }], ['split', { precision: 'int8', int8Dot: 'split' }]];

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
      rows.push({
        node: machine.node.version, threads, 'fp32 ms': result.ms.fp32, 'fused ms': result.ms.fused, 'split ms': result.ms.split,
        'split/fused': result.ratios.splitFused, 'fused/fp32': result.ratios.fusedFp32, 'split/fp32': result.ratios.splitFp32,
        'vit picks': result.picks, load: `${load} -> ${round(loadavg()[0])}`,
      });
    }
  }
  console.log(`\nViT-B/16-384, batch 1, fp32 and --precision int8 (--int8-attention ${int8Attention}), ${runs} rounds after 2 warm-up; ratios are medians of the per-round ratios; the int8 logits identical in every run`);
  console.table(rows);
} else {
  const { createWasmBackend } = await import('../dist/backend/wasm/index.js');
  const { int8DotForThisMachine } = await import('../dist/app/start-backend.js');
  const { loadVitModel } = await import('../dist/app/load-model.js');
  const { threads, runs, checkpoint, int8Attention } = JSON.parse(process.argv[2]);
  const models = [];
  for (const [, options] of CONFIGS) {
    const backend = await createWasmBackend({ relaxedSimd: true, threads, ...options, ...(options.precision === 'int8' ? { int8Attention } : {}) });
    models.push((await loadVitModel(checkpoint, { backend })).vit);
  }
  const { inChans: C, imgSize: S } = models[0].config;
  const image = randomFloats(C * S * S, 7);
  const logits = models.map((model) => Float32Array.from(model.forward(image, 1).logits));
  for (const model of models) model.forward(image, 1);
  const ms = models.map(() => []);
  const ratios = { splitFused: [], fusedFp32: [], splitFp32: [] };
  for (let r = 0; r < runs; r++) {
    const [fp32, fused, split] = models.map((model) => timed(() => model.forward(image, 1)).wallMs);
    [fp32, fused, split].forEach((t, i) => ms[i].push(t));
    ratios.splitFused.push(split / fused);
    ratios.fusedFp32.push(fused / fp32);
    ratios.splitFp32.push(split / fp32);
  }
  const result = {
    ms: Object.fromEntries(CONFIGS.map(([name], i) => [name, round(median(ms[i]))])),
    ratios: Object.fromEntries(Object.entries(ratios).map(([name, values]) => [name, round(median(values), 3)])),
    picks: int8DotForThisMachine().dot,
    maxAbsDiff: maxAbsDiff(logits[1], logits[2]),
  };
  console.log(JSON.stringify(result));
  process.exit(0);
}

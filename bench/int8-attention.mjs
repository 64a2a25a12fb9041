// int8 attention (--int8-attention off | qk | qk+pv, all with --precision int8) on this machine:
// the attention op of a ViT-B/16-384 block at batch 1 (577 tokens, 12 heads of 64), and the whole
// model at batch 1. Each configuration (Node binary, kernel build, thread count) runs in a fresh
// process holding three int8 backends of that build, one per mode, with the same weights and
// input, timed in turns: every round runs off, qk and qk+pv seconds apart, and the ratios
// reported (mode / off) are medians over the rounds, which load from other processes reaches alike.
// Environment: BENCH_NODES (Node binaries or versions for the timed children, e.g. 20,24; default
// this one), BENCH_KERNELS=relaxed (or relaxed,simd), BENCH_THREADS=2,1, BENCH_OP_RUNS (rounds of
// the op, 15), BENCH_RUNS (rounds of the model, 8; BENCH_MODEL=0 skips the model).
// Usage: npm run build && BENCH_NODES=20,24 node bench/int8-attention.mjs

import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { benchCheckpoint } from './checkpoint.mjs';
import { machineInfo, printHeader } from './header.mjs';
import { envInt, median, randomFloats, round, timed } from './stats.mjs';

const MODES = ['off', 'qk', 'qk+pv'];

if (process.argv[2] === undefined) {
  const nodes = (process.env.BENCH_NODES ?? process.execPath).split(',').map((node) => machineInfo(node));
  const kernels = (process.env.BENCH_KERNELS ?? 'relaxed').split(',');
  const threadCounts = (process.env.BENCH_THREADS ?? '2,1').split(',').map(Number);
  const checkpoint = process.env.BENCH_MODEL === '0' ? undefined : benchCheckpoint('vit_base_patch16_384');
  const opRuns = envInt('BENCH_OP_RUNS', 15);
  const modelRuns = envInt('BENCH_RUNS', 8);
  for (const machine of nodes) printHeader(machine, threadCounts);
  for (const threads of threadCounts) {
    for (const kernel of kernels) {
      for (const machine of nodes) {
        const load = round(loadavg()[0]);
        const args = JSON.stringify({ relaxedSimd: kernel === 'relaxed', threads, opRuns, checkpoint, modelRuns });
        const run = spawnSync(machine.node.path, [fileURLToPath(import.meta.url), args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
        if (run.status !== 0) throw new Error(`bench: int8 attention ${args} failed (exit ${run.status})`);
        const result = JSON.parse(run.stdout.trim().split('\n').pop());
        console.log(`\nNode ${machine.node.version}, ${result.backend}, ${threads} thread(s), int8 (load average ${load} before, ${round(loadavg()[0])} after)`);
        console.table(result.rows);
      }
    }
  }
} else {
  const { createVitBackend } = await import('./wasm-backend.mjs');
  const { relaxedSimd, threads, opRuns, checkpoint, modelRuns } = JSON.parse(process.argv[2]);
  const backends = [];
  for (const int8Attention of MODES) backends.push([int8Attention, await createVitBackend({ relaxedSimd, threads, precision: 'int8', int8Attention })]);
  const rows = [interleaved('attention op, 577 tokens, 12x64', backends.map(([mode, backend]) => [mode, attentionCall(backend)]), opRuns)];
  if (checkpoint !== undefined) rows.push(interleaved('ViT-B/16-384, batch 1', await modelCalls(checkpoint), modelRuns));
  for (const [, b] of backends) b.dispose();
  console.log(JSON.stringify({ backend: backends[0][1].name, rows }));

  /** The attention op at ViT-B's shape on `backend`, its qkv seeded. */
  function attentionCall(backend) {
    const [tokens, heads, headDim] = [577, 12, 64];
    const arena = backend.createArena((tokens * 4 * heads * headDim) * 4 + 4096);
    const qkv = arena.allocF32(tokens * 3 * heads * headDim);
    qkv.set(randomFloats(qkv.length, 5, 2));
    const out = arena.allocF32(tokens * heads * headDim);
    const scratch = arena.allocF32(backend.attentionScratchFloats(1, tokens, heads));
    return () => backend.attention(out, qkv, 1, tokens, heads, headDim, scratch);
  }

  async function modelCalls(checkpoint) {
    const { loadVitModel } = await import('../dist/app/load-model.js');
    const calls = [];
    for (const [mode, backend] of backends) {
      const model = await loadVitModel(checkpoint, { backend });
      const { inChans: C, imgSize: S } = model.config;
      const image = randomFloats(C * S * S, 7);
      calls.push([mode, () => model.forward(image, 1)]);
    }
    return calls;
  }

  /** Warm every call up, then time `runs` rounds of all of them in turn. */
  function interleaved(what, calls, runs) {
    for (const [, call] of calls) for (let i = 0; i < 2; i++) call();
    const ms = calls.map(() => []);
    const ratios = calls.map(() => []);
    for (let r = 0; r < runs; r++) {
      const round = calls.map(([, call]) => timed(call).wallMs);
      round.forEach((t, i) => {
        ms[i].push(t);
        ratios[i].push(t / round[0]);
      });
    }
    const row = { what };
    calls.forEach(([mode], i) => (row[`${mode} ms`] = round(median(ms[i]))));
    calls.forEach(([mode], i) => i > 0 && (row[`${mode}/off`] = round(median(ratios[i]), 3)));
    return row;
  }
}

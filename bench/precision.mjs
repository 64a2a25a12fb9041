// int8 against fp32 Linear layers (--precision), on this machine: the four ViT-B/16-384 Linear
// shapes at batch 1 (577 tokens) through bench/gemm.mjs, and optionally the whole model at
// batch 1 through bench/model.mjs, for each kernel build and thread count. fp32 and int8 runs
// alternate, in fresh processes, for BENCH_ROUNDS rounds, and each shape keeps its fastest
// median: on a shared machine the other processes' load then weighs on both alike. The 1-minute
// load average is printed with every round.
// Environment: BENCH_NODE (a Node binary or version for the timed children, e.g. 24; default this
// one), BENCH_KERNELS=relaxed,simd, BENCH_THREADS=1,2, BENCH_ROUNDS (3), BENCH_GEMM_RUNS (10),
// BENCH_MODEL=1 (also the whole model: writes a random-weight checkpoint once), BENCH_RUNS (5).
// Usage: npm run build && node bench/precision.mjs

import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchCheckpoint } from './checkpoint.mjs';
import { machineInfo, printHeader } from './header.mjs';
import { envInt, round } from './stats.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const machine = machineInfo(process.env.BENCH_NODE);
const node = machine.node.path;
const rounds = envInt('BENCH_ROUNDS', 3);
const gemmRuns = envInt('BENCH_GEMM_RUNS', 10);
const modelRuns = envInt('BENCH_RUNS', 5);
const kernels = (process.env.BENCH_KERNELS ?? 'relaxed,simd').split(',');
const threadCounts = (process.env.BENCH_THREADS ?? '1,2').split(',').map(Number);
printHeader(machine, threadCounts);
const checkpoint = process.env.BENCH_MODEL === '1' ? benchCheckpoint('vit_base_patch16_384') : null;

for (const kernel of kernels) {
  for (const threads of threadCounts) {
    const config = { relaxedSimd: kernel === 'relaxed', threads };
    const best = { fp32: new Map(), int8: new Map() };
    const loads = [];
    let backend = '';
    for (let round_ = 0; round_ < rounds; round_++) {
      for (const precision of ['fp32', 'int8']) {
        loads.push(round(loadavg()[0]));
        const gemm = child('gemm.mjs', { ...config, precision, runs: gemmRuns, reference: false });
        backend = gemm.backend;
        for (const s of gemm.shapes) keepMin(best[precision], s.name, s.medianMs);
        if (checkpoint !== null) keepMin(best[precision], 'model (batch 1)', child('model.mjs', { ...config, precision, checkpoint, runs: modelRuns, batchRuns: 1 }).batch1.medianMs);
      }
    }
    console.log(`\n${backend}, ${threads} thread(s): fastest median ms over ${rounds} alternating rounds (load average ${loads.join(', ')})`);
    console.table(
      [...best.fp32.keys()].map((name) => ({
        op: name,
        'fp32 ms': best.fp32.get(name),
        'int8 ms': best.int8.get(name),
        'int8 / fp32': round(best.int8.get(name) / best.fp32.get(name)),
      })),
    );
  }
}

function keepMin(map, name, ms) {
  map.set(name, Math.min(map.get(name) ?? Infinity, ms));
}

function child(script, args) {
  const run = spawnSync(node, [join(here, script), JSON.stringify(args)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
  if (run.status !== 0) throw new Error(`bench: ${script} ${JSON.stringify(args)} failed (exit ${run.status})`);
  return JSON.parse(run.stdout.trim().split('\n').pop());
}

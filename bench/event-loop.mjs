// `node bench/event-loop.mjs`: the library's front door (loadModel, then classifier.model.forward)
// on the random-weight ViT-B/16-384 checkpoint of bench/run.mjs: load time, batch-1 forward
// latency, and how late the caller's event loop ran while the model loaded and computed
// (the longest gap between the ticks of a 10 ms interval timer, and perf_hooks'
// monitorEventLoopDelay, which records nothing while the loop never turns: the gap tells that).
// Before the model host (the forward pass on the calling thread) the loop stood still for a whole
// forward; with it, the loop stays free. Each thread count runs in its own process.
// Environment: BENCH_THREADS (1,2), BENCH_RUNS (5), BENCH_KERNELS (relaxed), BENCH_DIST (../dist,
// another build to compare with, e.g. one made from an older commit).

import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = resolve(here, process.env.BENCH_DIST ?? '../dist');

if (process.argv[2] === undefined) {
  const { benchCheckpoint } = await import('./checkpoint.mjs');
  const checkpoint = benchCheckpoint('vit_base_patch16_384');
  const runs = Number(process.env.BENCH_RUNS ?? 5);
  for (const kernel of (process.env.BENCH_KERNELS ?? 'relaxed').split(',')) {
    for (const threads of (process.env.BENCH_THREADS ?? '1,2').split(',').map(Number)) {
      const load = loadavg()[0].toFixed(2);
      const run = spawnSync(process.execPath, [fileURLToPath(import.meta.url), JSON.stringify({ checkpoint, threads, runs, kernel })], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
      if (run.status !== 0) throw new Error(`bench: event-loop child failed (exit ${run.status})`);
      const r = JSON.parse(run.stdout.trim().split('\n').pop());
      console.log(
        `${dist} ${r.backend} ${threads} thread(s), load average ${load}: load ${r.loadMs} ms (longest tick gap ${r.loadLag.longestGapMs} ms); ` +
          `batch 1 median ${r.forward.medianMs} ms (min ${r.forward.minMs}) over ${runs}; ` +
          `during the forwards: longest tick gap ${r.forwardLag.longestGapMs} ms, event-loop delay max ${r.forwardLag.maxMs} ms, p99 ${r.forwardLag.p99Ms} ms`,
      );
    }
  }
} else {
  const { checkpoint, threads, runs, kernel } = JSON.parse(process.argv[2]);
  const { loadModel } = await import(pathToFileURL(join(dist, 'index.js')).href);
  const watch = () => {
    const histogram = monitorEventLoopDelay({ resolution: 1 });
    histogram.enable();
    let last = performance.now();
    let longestGap = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
    }, 10);
    return () => {
      clearInterval(ticker);
      histogram.disable();
      longestGap = Math.max(longestGap, performance.now() - last);
      return { maxMs: round(histogram.max / 1e6), p99Ms: round(histogram.percentile(99) / 1e6), longestGapMs: round(longestGap) };
    };
  };
  const stopLoad = watch();
  const t0 = performance.now();
  const classifier = await loadModel({ weights: checkpoint, model: 'vit_base_patch16_384', backend: kernel === 'relaxed' ? 'auto' : 'wasm', threads, batchSize: 1 });
  const loadMs = round(performance.now() - t0);
  const loadLag = stopLoad();
  const { inChans: C, imgSize: S } = classifier.model.config;
  const input = new Float32Array(C * S * S).map((_, i) => Math.sin(i));
  await classifier.model.forward(input, 1); // warm-up
  const times = [];
  const stopForward = watch();
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await classifier.model.forward(input, 1);
    times.push(performance.now() - start);
  }
  const forwardLag = stopForward();
  classifier.dispose();
  times.sort((a, b) => a - b);
  const backend = classifier.model.backendName ?? classifier.model.backend?.name;
  console.log(JSON.stringify({ backend, loadMs, loadLag, forward: { medianMs: round(times[Math.floor(times.length / 2)]), minMs: round(times[0]) }, forwardLag }));
}

function round(x) {
  return Math.round(x * 10) / 10;
}

// `node bench/event-loop.mjs`: the library's front door (loadModel, then classifier.model.forward)
// on the random-weight ViT-B/16-384 checkpoint of bench/run.mjs: load time, batch-1 forward time,
// and how late the caller's event loop ran while the model loaded and computed (the longest gap
// between the ticks of a 10 ms interval timer; perf_hooks' monitorEventLoopDelay alongside, which
// records nothing while the loop never turns: the gap tells that).
// Forward times are taken with no timer running (a 1 ms histogram timer on the main thread costs
// CPU on a busy 2-core machine), the lag in separate forwards after them.
// With BENCH_DIST_B (another build, e.g. one made from an older commit, relative to bench/), both
// builds load in one process and their forwards alternate, so that a busy machine slows both
// alike; the paired ratio B/A is printed. Each thread count runs in its own process.
// Environment: BENCH_THREADS (1,2), BENCH_RUNS (6), BENCH_LAG_RUNS (2), BENCH_KERNELS (relaxed),
// BENCH_DIST (../dist), BENCH_DIST_B.

import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dists = [process.env.BENCH_DIST ?? '../dist', process.env.BENCH_DIST_B].filter((d) => d !== undefined).map((d) => resolve(here, d));

if (process.argv[2] === undefined) {
  const { benchCheckpoint } = await import('./checkpoint.mjs');
  const checkpoint = benchCheckpoint('vit_base_patch16_384');
  const runs = Number(process.env.BENCH_RUNS ?? 6);
  const lagRuns = Number(process.env.BENCH_LAG_RUNS ?? 2);
  for (const kernel of (process.env.BENCH_KERNELS ?? 'relaxed').split(',')) {
    for (const threads of (process.env.BENCH_THREADS ?? '1,2').split(',').map(Number)) {
      const load = loadavg()[0].toFixed(2);
      const args = JSON.stringify({ checkpoint, threads, runs, lagRuns, kernel });
      const run = spawnSync(process.execPath, [fileURLToPath(import.meta.url), args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
      if (run.status !== 0) throw new Error(`bench: event-loop child failed (exit ${run.status})`);
      const results = JSON.parse(run.stdout.trim().split('\n').pop());
      console.log(`\n${threads} thread(s), ${kernel}, load average ${load} before:`);
      for (const r of results) {
        console.log(
          `  ${r.dist} (${r.backend}): load ${r.loadMs} ms (longest tick gap ${r.loadLag.longestGapMs} ms); ` +
            `batch 1 median ${r.forward.medianMs} ms (min ${r.forward.minMs}, ${runs} runs); ` +
            `during ${lagRuns} more: longest tick gap ${r.forwardLag.longestGapMs} ms, event-loop delay max ${r.forwardLag.maxMs} ms, p99 ${r.forwardLag.p99Ms} ms`,
        );
      }
      if (results.length === 2) console.log(`  paired ratio ${results[1].dist} / ${results[0].dist}: median ${results[1].pairedRatio}`);
    }
  }
} else {
  const { checkpoint, threads, runs, lagRuns, kernel } = JSON.parse(process.argv[2]);
  const models = [];
  for (const dist of dists) {
    const { loadModel } = await import(pathToFileURL(join(dist, 'index.js')).href);
    const stop = watch();
    const t0 = performance.now();
    const classifier = await loadModel({ weights: checkpoint, model: 'vit_base_patch16_384', backend: kernel === 'relaxed' ? 'auto' : 'wasm', threads, batchSize: 1 });
    models.push({ dist, classifier, loadMs: round(performance.now() - t0), loadLag: stop(), times: [] });
  }
  const { inChans: C, imgSize: S } = models[0].classifier.model.config;
  const input = new Float32Array(C * S * S).map((_, i) => Math.sin(i));
  for (const m of models) await m.classifier.model.forward(input, 1); // warm-up
  for (let i = 0; i < runs; i++) {
    for (const m of models) {
      const start = performance.now();
      await m.classifier.model.forward(input, 1);
      m.times.push(performance.now() - start);
    }
  }
  for (const m of models) {
    const stop = watch();
    for (let i = 0; i < lagRuns; i++) await m.classifier.model.forward(input, 1);
    m.forwardLag = stop();
  }
  const ratios = models.length === 2 ? models[1].times.map((t, i) => t / models[0].times[i]) : [];
  const results = models.map((m) => {
    m.classifier.dispose();
    const backend = m.classifier.model.backendName ?? m.classifier.model.backend?.name;
    return { dist: m.dist, backend, loadMs: m.loadMs, loadLag: m.loadLag, forward: { medianMs: round(median(m.times)), minMs: round(Math.min(...m.times)) }, forwardLag: m.forwardLag };
  });
  if (ratios.length > 0) results[1].pairedRatio = Math.round(median(ratios) * 1000) / 1000;
  console.log(JSON.stringify(results));
}

/** Start watching the event loop; the returned function stops and reports. */
function watch() {
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
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function round(x) {
  return Math.round(x * 10) / 10;
}

// `vit serve` under load: throughput and latency (p50, p99) at a few concurrencies, against the
// library's batch throughput (classifyMany, what `vit classify` runs) in the same run, on a
// random-weight ViT-B/16-384 (bench/checkpoint.mjs). The server is the real bin in a child
// process; the load is concurrent fetches of one image each from this process, on 127.0.0.1.
// Bounded: each concurrency level stops issuing requests after its count or its time, whichever
// comes first (requests in flight then finish: the server's timeout is raised so that a slow,
// shared machine measures throughput rather than 503s). Runs from dist/ (npm run build first).
// Environment: BENCH_SERVE_BATCH (batch size, default 4), BENCH_SERVE_LEVELS (concurrencies,
// default 1,4,16), BENCH_SERVE_REQUESTS (requests per level, default max(2, concurrency)),
// BENCH_SERVE_SECONDS (time per level, default 20), BENCH_SERVE_IMAGES (library batch, default
// 2 x the batch size), BENCH_SERVE_WINDOW_MS (--batch-window-ms, default 5), BENCH_THREADS
// (default: the cores).

import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { classifyMany, loadModel } from '../dist/app/index.js';
import { benchCheckpoint } from './checkpoint.mjs';
import { classifyOne, startServe } from './serve-process.mjs';
import { envInt, median, round } from './stats.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const MODEL = 'vit_base_patch16_384';
const batchSize = envInt('BENCH_SERVE_BATCH', 4);
const levels = (process.env.BENCH_SERVE_LEVELS ?? '1,4,16').split(',').map(Number);
const secondsPerLevel = envInt('BENCH_SERVE_SECONDS', 20);
const libraryImages = envInt('BENCH_SERVE_IMAGES', 2 * batchSize);
const windowMs = envInt('BENCH_SERVE_WINDOW_MS', 5);
const threads = envInt('BENCH_THREADS', availableParallelism());
// Each client sends at least one request (concurrency 16 is 16 requests in flight at once).
const requestsAt = (concurrency) => envInt('BENCH_SERVE_REQUESTS', Math.max(2, concurrency));

const IMAGE_NAMES = ['cat.jpg', 'coffee.jpg', 'progressive.jpg', 'photo.webp'];
const images = IMAGE_NAMES.map((name) => readFileSync(join(root, 'test', 'fixtures', 'images', name)));

const started = performance.now();
await printMachine();
console.log(`\nWriting/reusing a random-weight ${MODEL} checkpoint...`);
const weights = benchCheckpoint(MODEL);
console.log(`batch size ${batchSize}, ${threads} thread(s), batch window ${windowMs} ms\n`);

const library = await libraryThroughput();
console.log(`library classifyMany, ${library.images} images in batches of ${batchSize}: ${library.imagesPerSecond} images/s (${library.seconds} s)\n`);

const server = await startServeBench();
try {
  await classifyNth(server.url, 0); // warm-up: the first pass is slower
  const rows = [];
  for (const concurrency of levels) {
    const before = await batchStats(server.url);
    const run = await load(server.url, concurrency, requestsAt(concurrency), secondsPerLevel * 1000);
    const after = await batchStats(server.url);
    const passes = after.count - before.count;
    rows.push({
      concurrency,
      requests: run.latencies.length,
      'images/s': round(run.latencies.length / run.seconds),
      'vs library': `${round((100 * run.latencies.length) / run.seconds / library.imagesPerSecond, 0)}%`,
      'p50 ms': round(percentile(run.latencies, 0.5), 0),
      'p99 ms': round(percentile(run.latencies, 0.99), 0),
      'mean batch': passes > 0 ? round((after.sum - before.sum) / passes) : '-',
      errors: run.errors,
    });
  }
  console.log(`vit serve, one image per request (p99 of few requests is close to their max)`);
  console.table(rows);
} finally {
  await server.stop();
}
console.log(`total ${round((performance.now() - started) / 1000, 1)} s`);

async function printMachine() {
  const header = join(here, 'header.mjs');
  if (existsSync(header)) {
    const { machineInfo, printHeader } = await import(header);
    printHeader(machineInfo(), [threads]);
    return;
  }
  const info = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const flags = /^flags\s*:\s*(.*)$/m.exec(info)?.[1] ?? 'unknown';
  console.log(`Node     ${process.version} (V8 ${process.versions.v8})`);
  console.log(`CPU      ${cpus()[0]?.model ?? 'unknown'}, ${availableParallelism()} hardware threads`);
  console.log(`Flags    ${flags}`);
}

/** Images per second of the library's own batch loop, on `libraryImages` images. */
async function libraryThroughput() {
  const classifier = await loadModel({ weights, batchSize, threads });
  try {
    await classifyMany(classifier, [images[0]]); // warm-up
    const batch = Array.from({ length: libraryImages }, (_, i) => images[i % images.length]);
    const t0 = performance.now();
    await classifyMany(classifier, batch);
    const seconds = (performance.now() - t0) / 1000;
    return { images: batch.length, seconds: round(seconds), imagesPerSecond: round(batch.length / seconds) };
  } finally {
    classifier.dispose();
  }
}

function startServeBench() {
  return startServe(['--weights', weights, '--batch-size', String(batchSize), '--threads', String(threads), '--batch-window-ms', String(windowMs), '--timeout-ms', '600000']);
}

function classifyNth(url, i) {
  return classifyOne(url, images[i % images.length]);
}

/** `concurrency` clients, each sending its next request when the last is answered. */
async function load(url, concurrency, requests, ms) {
  const latencies = [];
  let errors = 0;
  let issued = 0;
  const t0 = performance.now();
  const deadline = t0 + ms;
  const client = async () => {
    while (issued < requests && performance.now() < deadline) {
      const i = issued++;
      const start = performance.now();
      const status = await classifyNth(url, i);
      if (status === 200) latencies.push(performance.now() - start);
      else errors++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  return { latencies, errors, seconds: (performance.now() - t0) / 1000 };
}

async function batchStats(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (name) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { count: value('vit_batch_size_count'), sum: value('vit_batch_size_sum') };
}

function percentile(values, p) {
  if (values.length === 0) return NaN;
  if (p === 0.5) return median(values);
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}

// `vit serve` soak: a steady load for BENCH_SOAK_MINUTES (default 10) minutes, sampling the
// server's resident memory, to show that nothing grows in a long-running server. The server is
// the real bin in a child process; `concurrency` clients (BENCH_SOAK_CONCURRENCY, default 4) each
// send their next request when the last is answered. One request in four is a bad image (a
// truncated JPEG, or bytes that are no image), so the error paths are soaked too.
// The model is the tiny fixture by default (many requests a minute); BENCH_SOAK_MODEL=<timm name>
// uses a random-weight checkpoint of that model instead (bench/checkpoint.mjs).
// Runs from dist/ (npm run build first).

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchCheckpoint } from './checkpoint.mjs';
import { machineInfo, printHeader } from './header.mjs';
import { classifyOne, startServe } from './serve-process.mjs';
import { envInt, median, round } from './stats.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const minutes = envInt('BENCH_SOAK_MINUTES', 10);
const concurrency = envInt('BENCH_SOAK_CONCURRENCY', 4);
const sampleSeconds = envInt('BENCH_SOAK_SAMPLE_SECONDS', 10);
const threads = envInt('BENCH_THREADS', 2);
const modelName = process.env.BENCH_SOAK_MODEL;
const weights = modelName ? benchCheckpoint(modelName) : join(root, 'fixtures', 'models', 'tiny', 'model.safetensors');

const image = (name) => readFileSync(join(root, 'test', 'fixtures', 'images', name));
const good = [image('cat.jpg'), image('coffee.jpg'), image('photo.webp')];
const bodies = [...good, good[0].subarray(0, good[0].length >> 1), Buffer.from('this is not an image, only bytes')];
const badEvery = 4;

printHeader(machineInfo(), [threads]);
console.log(`\nsoak: ${minutes} min, concurrency ${concurrency}, model ${modelName ?? 'tiny fixture'}, one request in ${badEvery} a bad image\n`);

const server = await startServe(['--weights', weights, '--threads', String(threads), '--batch-size', '8']);
const statuses = new Map();
let sent = 0;
const samples = [];
try {
  const t0 = performance.now();
  const deadline = t0 + minutes * 60_000;
  const client = async () => {
    while (performance.now() < deadline) {
      const i = sent++;
      const body = i % badEvery === badEvery - 1 ? bodies[3 + ((i / badEvery) & 1)] : good[i % good.length];
      const status = await classifyOne(server.url, body);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  };
  const sampler = setInterval(() => samples.push({ minute: (performance.now() - t0) / 60_000, requests: sent, rssMB: rssMB(server.pid) }), sampleSeconds * 1000);
  await Promise.all(Array.from({ length: concurrency }, client));
  clearInterval(sampler);
} finally {
  await server.stop();
}

const perMinute = [];
for (let m = 0; m < minutes; m++) {
  const inMinute = samples.filter((s) => s.minute >= m && s.minute < m + 1);
  if (inMinute.length === 0) continue;
  perMinute.push({ minute: m + 1, requests: inMinute.at(-1).requests, 'median RSS MB': round(median(inMinute.map((s) => s.rssMB)), 0), 'max RSS MB': Math.max(...inMinute.map((s) => s.rssMB)) });
}
console.table(perMinute);
console.log(`statuses: ${[...statuses].map(([status, n]) => `${status} x${n}`).join(', ')}`);
if (perMinute.length >= 2) {
  const first = perMinute[0]['median RSS MB'];
  const last = perMinute.at(-1)['median RSS MB'];
  console.log(`RSS median: minute 1 ${first} MB, minute ${perMinute.at(-1).minute} ${last} MB (${last >= first ? '+' : ''}${round(last - first, 0)} MB)`);
}

/** Resident memory of process `pid` in MB, from /proc (Linux). */
function rssMB(pid) {
  const kB = Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return Math.round(kB / 1024);
}

// `npm run bench:oneshot`: what one image costs as a whole process, on a random-weight
// ViT-B/16-384 (bench/checkpoint.mjs, written once to a temp folder), against the marginal cost of
// one more image in a running process, and where the difference goes: the weights' time to ready
// without the packed-weight cache (off), with no cache file yet (cold: read, check, pack, then
// write the file), and from the cache file (warm).
// Each measurement is its own process, alternated round by round so that all of them see the same
// machine; wall and CPU time (all threads) are printed with the load average before each round.
// A probe measures what the machine charges for first touching fresh memory (one write per 4 KiB
// page of a new WebAssembly memory as large as the weights, on 1 and on `threads` threads): a
// process cannot hold its weights without that, so it is the floor under "weights ready". On a
// virtual machine that backs guest memory lazily it can be tens of times a bare-metal fault.
// The whole processes' CPU time (all threads, from /proc/self/stat's children times: Linux)
// divided by the threads is the floor under their wall time, however well their steps overlap.
// Environment: ONESHOT_ROUNDS (default 5), ONESHOT_THREADS (2), ONESHOT_PRECISION (fp32 | int8:
// the int8 weights are quantized and packed at load, or restored quantized from the cache file).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { benchCheckpoint } from './checkpoint.mjs';
import { machineInfo, printHeader } from './header.mjs';
import { childrenCpuMs, envInt, median, round } from './stats.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const rounds = envInt('ONESHOT_ROUNDS', 5);
const threads = envInt('ONESHOT_THREADS', 2);
const precision = process.env.ONESHOT_PRECISION ?? 'fp32';
if (!['fp32', 'int8'].includes(precision)) throw new Error(`bench: ONESHOT_PRECISION must be fp32 or int8, not ${precision}`);
const image = join(root, 'test', 'fixtures', 'images', 'cat.jpg');

if (process.argv[2] === 'child') {
  await child(JSON.parse(process.argv[3]));
} else if (process.argv[2] === 'touch') {
  await touchChild(JSON.parse(process.argv[3]));
} else {
  main();
}

function main() {
  printHeader(machineInfo(), [threads]);
  const checkpoint = benchCheckpoint('vit_base_patch16_384');
  const cacheDir = mkdtempSync(join(tmpdir(), 'vit-oneshot-cache-'));
  // The weights' bytes in memory: 4 per parameter in float32, about 1 in int8.
  const weightBytes = weightBytesOf('vit_base_patch16_384') / (precision === 'int8' ? 4 : 1);
  const runs = { off: [], cold: [], warm: [], processOff: [], processWarm: [], marginal: [], loads: [], touch1: [], touchN: [] };
  try {
    for (let r = 0; r < rounds; r++) {
      runs.loads.push(round(loadavg()[0]));
      runs.off.push(measure({ checkpoint, cacheDir: null }));
      rmSync(cacheDir, { recursive: true, force: true });
      runs.cold.push(measure({ checkpoint, cacheDir }));
      runs.warm.push(measure({ checkpoint, cacheDir }));
      runs.processWarm.push(wholeProcess(checkpoint, { VIT_WEIGHT_CACHE: '1', VIT_WEIGHT_CACHE_DIR: cacheDir }));
      runs.processOff.push(wholeProcess(checkpoint, { VIT_WEIGHT_CACHE: '0' }));
      runs.marginal.push(measure({ checkpoint, cacheDir, forwards: 3 }));
      runs.touch1.push(touch(weightBytes, 1));
      runs.touchN.push(touch(weightBytes, threads));
      const last = (k) => runs[k][runs[k].length - 1];
      console.log(
        `round ${r + 1}: load average ${last('loads')}; weights off ${last('off').loadMs} ms, cold ${last('cold').loadMs}, warm ${last('warm').loadMs}; ` +
          `process warm ${last('processWarm').wallMs} ms, off ${last('processOff').wallMs} (CPU ${last('processOff').cpuMs}); marginal ${last('marginal').forwardMs} ms per image; ` +
          `first touch of ${Math.round(weightBytes / 2 ** 20)} MiB: ${last('touch1')} ms on 1 thread, ${last('touchN')} on ${threads}`,
      );
    }
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
  const med = (list, key) => round(median(list.map((x) => (key === undefined ? x : x[key]))));
  const marginal = med(runs.marginal, 'forwardMs');
  // No process can finish faster than its CPU time spread over the cores it uses.
  const cpuFloor = med(runs.processOff, 'cpuMs') / threads;
  console.log(`\nViT-B/16-384, ${precision}, ${threads} thread(s), ${rounds} rounds, medians (load average ${runs.loads.join(', ')})`);
  const pages = weightBytes / 4096;
  console.table([
    { what: `first touch of the ${precision} weights' ${Math.round(weightBytes / 2 ** 20)} MiB of fresh memory, 1 thread (${round((med(runs.touch1) * 1000) / pages)} us per page)`, 'wall ms': med(runs.touch1) },
    { what: `the same on ${threads} threads: the floor under "weights ready"`, 'wall ms': med(runs.touchN) },
    { what: 'weights ready, no cache', 'wall ms': med(runs.off, 'loadMs'), 'CPU ms': med(runs.off, 'loadCpuMs') },
    { what: 'weights ready, cold (no file: load + write it)', 'wall ms': med(runs.cold, 'loadMs'), 'CPU ms': med(runs.cold, 'loadCpuMs') },
    { what: 'weights ready, warm (from the file)', 'wall ms': med(runs.warm, 'loadMs'), 'CPU ms': med(runs.warm, 'loadCpuMs') },
    { what: 'marginal forward, one image', 'wall ms': marginal },
    { what: '`vit classify one.jpg`, warm cache', 'wall ms': med(runs.processWarm, 'wallMs'), 'CPU ms': med(runs.processWarm, 'cpuMs'), 'x marginal': round(med(runs.processWarm, 'wallMs') / marginal) },
    { what: '`vit classify one.jpg`, no cache (the default)', 'wall ms': med(runs.processOff, 'wallMs'), 'CPU ms': med(runs.processOff, 'cpuMs'), 'x marginal': round(med(runs.processOff, 'wallMs') / marginal) },
    { what: `its CPU / ${threads} threads: the wall time if every step overlapped perfectly`, 'wall ms': round(cpuFloor), 'x marginal': round(cpuFloor / marginal) },
  ]);
}

/** One child process: start the backend, load the weights, optionally run forward passes. */
function measure(args) {
  const run = spawnSync(process.execPath, [fileURLToPath(import.meta.url), 'child', JSON.stringify({ ...args, threads, precision })], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (run.status !== 0) throw new Error(`bench: oneshot child failed (exit ${run.status})`);
  return JSON.parse(run.stdout.trim().split('\n').pop());
}

async function child({ checkpoint, cacheDir, threads: t, precision: p, forwards = 0 }) {
  const { createVitBackend } = await import('./wasm-backend.mjs');
  const { loadVitModel } = await import('../dist/app/load-model.js');
  const backend = await createVitBackend({ threads: t, precision: p });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const model = await loadVitModel(checkpoint, { backend, weightCache: cacheDir === null ? false : { dir: cacheDir } });
  const loadMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const result = { loadMs: round(loadMs), loadCpuMs: round((cpu.user + cpu.system) / 1000), note: model.weightCache };
  if (forwards > 0) {
    const { inChans: C, imgSize: S } = model.config;
    const input = new Float32Array(C * S * S).fill(0.5);
    model.forward(input, 1);
    const times = [];
    for (let i = 0; i < forwards; i++) {
      const s = performance.now();
      model.forward(input, 1);
      times.push(performance.now() - s);
    }
    result.forwardMs = round(median(times));
  }
  backend.dispose();
  console.log(JSON.stringify(result));
}

/** Bytes of float32 weights of a named model. */
function weightBytesOf(modelName) {
  const run = spawnSync(
    process.execPath,
    ['--input-type=module', '-e', `const { NAMED_MODELS } = await import(${JSON.stringify(pathToFileURL(join(root, 'dist', 'vit', 'named-models.js')).href)});
const { countParameters } = await import(${JSON.stringify(pathToFileURL(join(root, 'dist', 'vit', 'parameters.js')).href)});
console.log(countParameters(NAMED_MODELS.get(${JSON.stringify(modelName)}).config) * 4);`],
    { encoding: 'utf8' },
  );
  if (run.status !== 0) throw new Error(`bench: could not count ${modelName}'s parameters: ${run.stderr}`);
  return Number(run.stdout.trim());
}

/** Milliseconds to write one byte into every 4 KiB page of `bytes` of fresh WebAssembly memory, split over `threads` threads. */
function touch(bytes, threads) {
  const run = spawnSync(process.execPath, [fileURLToPath(import.meta.url), 'touch', JSON.stringify({ bytes, threads })], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (run.status !== 0) throw new Error(`bench: touch child failed (exit ${run.status})`);
  return Number(run.stdout.trim());
}

async function touchChild({ bytes, threads: t }) {
  const { Worker } = await import('node:worker_threads');
  const pages = Math.ceil(bytes / 65536) + 1;
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
  const per = Math.ceil(bytes / t / 4096) * 4096;
  const program = `const { workerData: { memory, start, end }, parentPort } = require('node:worker_threads');
const bytes = new Uint8Array(memory.buffer);
parentPort.once('message', () => { for (let i = start; i < end; i += 4096) bytes[i] = 1; parentPort.postMessage('done'); });
parentPort.postMessage('ready');`;
  // Started and ready before the clock starts: only the touching is timed.
  const workers = Array.from({ length: t }, (_, k) => new Worker(program, { eval: true, workerData: { memory, start: k * per, end: Math.min(bytes, (k + 1) * per) } }));
  await Promise.all(workers.map((w) => new Promise((resolve) => w.once('message', resolve))));
  const t0 = performance.now();
  await Promise.all(workers.map((w) => new Promise((resolve) => (w.once('message', resolve), w.postMessage('go')))));
  console.log(round(performance.now() - t0));
  await Promise.all(workers.map((w) => w.terminate()));
}

/** Wall and CPU time (all its threads) of `vit classify <image>` as a whole process. */
function wholeProcess(checkpoint, env) {
  const cpu0 = childrenCpuMs();
  const t0 = performance.now();
  const run = spawnSync(process.execPath, [join(root, 'bin', 'vit.js'), 'classify', image, '-w', checkpoint, '-q', '--topk', '1', '-t', String(threads), '--precision', precision], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (run.status !== 0) throw new Error(`bench: vit classify exited ${run.status}`);
  return { wallMs: round(performance.now() - t0), cpuMs: childrenCpuMs() - cpu0 };
}

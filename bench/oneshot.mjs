// `npm run bench:oneshot`: what one image costs as a whole process, on a random-weight
// ViT-B/16-384 (bench/checkpoint.mjs, written once to a temp folder), against the marginal cost of
// one more image in a running process, and where the difference goes: the weights' time to ready
// without the packed-weight cache (off), with no cache file yet (cold: read, check, pack, then
// write the file), and from the cache file (warm).
// Each measurement is its own process, alternated round by round so that all of them see the same
// machine; wall and CPU time (all threads) are printed with the load average before each round.
// Environment: ONESHOT_ROUNDS (default 5), ONESHOT_THREADS (2).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchCheckpoint } from './checkpoint.mjs';
import { machineInfo, printHeader } from './header.mjs';
import { envInt, median, round } from './stats.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const rounds = envInt('ONESHOT_ROUNDS', 5);
const threads = envInt('ONESHOT_THREADS', 2);
const image = join(root, 'test', 'fixtures', 'images', 'cat.jpg');

if (process.argv[2] === 'child') {
  await child(JSON.parse(process.argv[3]));
} else {
  main();
}

function main() {
  printHeader(machineInfo(), [threads]);
  const checkpoint = benchCheckpoint('vit_base_patch16_384');
  const cacheDir = mkdtempSync(join(tmpdir(), 'vit-oneshot-cache-'));
  const runs = { off: [], cold: [], warm: [], processOff: [], processWarm: [], marginal: [], loads: [] };
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
      const last = (k) => runs[k][runs[k].length - 1];
      console.log(
        `round ${r + 1}: load average ${last('loads')}; weights off ${last('off').loadMs} ms, cold ${last('cold').loadMs}, warm ${last('warm').loadMs}; ` +
          `process warm ${last('processWarm')} ms, off ${last('processOff')}; marginal ${last('marginal').forwardMs} ms per image`,
      );
    }
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
  const med = (list, key) => round(median(list.map((x) => (key === undefined ? x : x[key]))));
  const marginal = med(runs.marginal, 'forwardMs');
  console.log(`\nViT-B/16-384, ${threads} thread(s), ${rounds} rounds, medians (load average ${runs.loads.join(', ')})`);
  console.table([
    { what: 'weights ready, no cache', 'wall ms': med(runs.off, 'loadMs'), 'CPU ms': med(runs.off, 'loadCpuMs') },
    { what: 'weights ready, cold (no file: load + write it)', 'wall ms': med(runs.cold, 'loadMs'), 'CPU ms': med(runs.cold, 'loadCpuMs') },
    { what: 'weights ready, warm (from the file)', 'wall ms': med(runs.warm, 'loadMs'), 'CPU ms': med(runs.warm, 'loadCpuMs') },
    { what: 'marginal forward, one image', 'wall ms': marginal },
    { what: '`vit classify one.jpg`, warm cache', 'wall ms': med(runs.processWarm), 'x marginal': round(med(runs.processWarm) / marginal) },
    { what: '`vit classify one.jpg`, no cache (the default)', 'wall ms': med(runs.processOff), 'x marginal': round(med(runs.processOff) / marginal) },
  ]);
}

/** One child process: start the backend, load the weights, optionally run forward passes. */
function measure(args) {
  const run = spawnSync(process.execPath, [fileURLToPath(import.meta.url), 'child', JSON.stringify({ ...args, threads })], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (run.status !== 0) throw new Error(`bench: oneshot child failed (exit ${run.status})`);
  return JSON.parse(run.stdout.trim().split('\n').pop());
}

async function child({ checkpoint, cacheDir, threads: t, forwards = 0 }) {
  const { createWasmBackend } = await import('../dist/backend/wasm/index.js');
  const { loadVitModel } = await import('../dist/app/load-model.js');
  const backend = await createWasmBackend({ threads: t });
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

/** Wall time of `vit classify <image>` as a whole process. */
function wholeProcess(checkpoint, env) {
  const t0 = performance.now();
  const run = spawnSync(process.execPath, [join(root, 'bin', 'vit.js'), 'classify', image, '-w', checkpoint, '-q', '--topk', '1', '-t', String(threads)], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (run.status !== 0) throw new Error(`bench: vit classify exited ${run.status}`);
  return round(performance.now() - t0);
}

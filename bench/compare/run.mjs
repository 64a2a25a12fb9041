// bench/compare: vit side by side with onnxruntime-node, onnxruntime-web and PyTorch on the same
// random-weight ViT-B/16-384 and the same input (issue 5). Run: `npm run build` at the root, then
// `cd bench/compare && npm install && npm run compare`.
//
// 1. The checkpoint: bench/checkpoint.mjs's (timm-named safetensors, seeded random weights, in a
//    temp folder; written if missing). 2. Its ONNX export in models/ (export_onnx.py, run with
//    /usr/bin/python3 when the export is missing or was made from another checkpoint file).
// 3. Each engine x thread count in its own process, one after another: engine.mjs (ours with the
//    default backend = relaxed-SIMD FMA when V8 has it, ours with --backend wasm = plain SIMD,
//    onnxruntime-node, onnxruntime-web's WASM SIMD build) and torch_bench.py (PyTorch, OpenBLAS).
//    Batch 1, warm-up, then timed runs: median/min/max wall time, with process CPU time beside it
//    (a 2-thread run whose CPU time is well under 2x wall time shared the cores with something)
//    and the CPU that other processes used meanwhile (from /proc/stat), to judge a shared machine.
//    All 2-thread runs come first, then the 1-thread runs, so the pairs in the ratios run close in
//    time. 4. Max |logit difference| of every engine against ours (default backend, 2 threads).
// 5. A table, the ratios that issue 5's targets are stated in, and JSON in results/ (gitignored).
//
// Environment: COMPARE_RUNS (timed runs, default 10), COMPARE_WARMUP (2), COMPARE_THREADS (2,1),
// COMPARE_PROCESSES (rounds, default 1: each configuration in that many processes, samples pooled),
// COMPARE_INTERLEAVE=1 (per round and thread count, the Node engines in one process, timed in
// turns: a fairer ratio on a machine whose speed drifts; PyTorch still runs in its own process),
// COMPARE_ENGINES (ours,ours-simd,ours-int8,ort-node,ort-web,torch), COMPARE_FRESH=1 (re-export the ONNX),
// COMPARE_WAIT_IDLE=S (before each configuration wait up to S seconds for a 2-second window in
// which the machine is >= 90% idle; for measuring on a shared machine). BENCH_FRESH=1 rewrites the
// checkpoint (bench/checkpoint.mjs), which also re-exports the ONNX.
//
// --node <path or version> (or COMPARE_NODE): run the Node engines (engine.mjs) under that Node
// binary instead of this script's own, e.g. `node run.mjs --node 24`; a version (24, 26.1.0) is
// installed from the npm registry by scripts/node-version.sh (cached in ~/.cache/vit-node).
// The header printed first (bench/header.mjs) names that Node and V8, the CPU and its SIMD flags.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { machineInfo, printHeader } from '../header.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const MODEL = 'vit_base_patch16_384';
const ONNX = join(here, 'models', `${MODEL}.onnx`);
const PYTHON = '/usr/bin/python3';
const INPUT_SEED = 7; // bench/model.mjs's image seed

const ENGINES = {
  ours: { label: 'vit (default: relaxed SIMD)', script: 'engine.mjs', args: { engine: 'ours', backend: 'auto' } },
  'ours-simd': { label: 'vit --backend wasm (SIMD)', script: 'engine.mjs', args: { engine: 'ours', backend: 'wasm' } },
  'ours-int8': { label: 'vit --precision int8 (default backend)', script: 'engine.mjs', args: { engine: 'ours', backend: 'auto', precision: 'int8' } },
  'ort-node': { label: 'onnxruntime-node (MLAS)', script: 'engine.mjs', args: { engine: 'ort-node' } },
  'ort-web': { label: 'onnxruntime-web (WASM SIMD)', script: 'engine.mjs', args: { engine: 'ort-web' } },
  torch: { label: 'PyTorch (OpenBLAS)', script: 'torch_bench.py', args: {} },
};

const envList = (name, fallback) => (process.env[name] ?? fallback).split(',').map((s) => s.trim()).filter(Boolean);
const envInt = (name, fallback) => {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v >= 0 ? v : fallback;
};
const runs = Math.max(1, envInt('COMPARE_RUNS', 10));
const warmup = Math.max(1, envInt('COMPARE_WARMUP', 2));
const waitIdle = envInt('COMPARE_WAIT_IDLE', 0);
const processes = Math.max(1, envInt('COMPARE_PROCESSES', 1));
const interleave = process.env.COMPARE_INTERLEAVE === '1';
const threadCounts = envList('COMPARE_THREADS', '2,1').map(Number);
const engines = envList('COMPARE_ENGINES', Object.keys(ENGINES).join(','));
for (const e of engines) if (!(e in ENGINES)) throw new Error(`COMPARE_ENGINES: unknown engine ${e} (expected ${Object.keys(ENGINES).join(', ')})`);
for (const t of threadCounts) if (!(Number.isInteger(t) && t > 0)) throw new Error(`COMPARE_THREADS: ${t} is not a positive integer`);
const { values: options } = parseArgs({ options: { node: { type: 'string', default: process.env.COMPARE_NODE || process.execPath } } });
const machine = machineInfo(options.node);
printHeader(machine, threadCounts);

if (!existsSync(join(root, 'dist/backend/index.js'))) fail('dist/ is missing: run `npm run build` at the repository root first');
if (!existsSync(join(here, 'node_modules/onnxruntime-web'))) fail('onnxruntime is not installed: run `npm install` in bench/compare first');

// bench/checkpoint.mjs imports dist/, so it is loaded only once dist/ is known to exist.
const { benchCheckpoint } = await import('../checkpoint.mjs');
const { median, randomFloats, round } = await import('../stats.mjs');

console.log(`Checkpoint: writing/reusing the random-weight ${MODEL} (bench/checkpoint.mjs)...`);
const checkpoint = benchCheckpoint(MODEL);
console.log(`  ${checkpoint}`);
const onnx = ensureOnnx(checkpoint);

const S = 384;
const input = randomFloats(3 * S * S, INPUT_SEED);
const inputPath = join(tmpdir(), 'vit-compare', `input-1x3x${S}x${S}-seed${INPUT_SEED}.f32`);
mkdirSync(dirname(inputPath), { recursive: true });
writeFileSync(inputPath, new Uint8Array(input.buffer));

const report = {
  date: new Date().toISOString(),
  machine,
  git: gitState(),
  wasmBuild: wasmBuild(),
  settings: { runs, warmup, processes, interleave, batch: 1, threads: threadCounts, engines, input: `uniform [-1,1) seed ${INPUT_SEED}, [1,3,${S},${S}]` },
  checkpoint,
  onnx: { path: relative(root, ONNX), ...onnx },
  loadAverageAtStart: loadavg().map((v) => round(v)),
  results: [],
};

// Rounds: every configuration once per round, each in a fresh process; samples are pooled per
// configuration. Our latency varies more between processes than within one, so one process per
// configuration can mislead: COMPARE_PROCESSES=3 gives a fairer median. With COMPARE_INTERLEAVE=1
// the Node engines of a thread count share one process per round and are timed in turns
// (engine.mjs), which also gives paired ratios: each pair of times was taken seconds apart.
const byConfig = new Map();
for (let pass = 1; pass <= processes; pass++) {
  if (processes > 1) console.log(`Round ${pass} of ${processes}`);
  for (const threads of threadCounts) {
    const inTurns = interleave ? engines.filter((name) => ENGINES[name].script === 'engine.mjs') : [];
    const common = { threads, input: inputPath, checkpoint, onnx: ONNX, warmup, runs, batch: 1 };
    if (inTurns.length > 0) {
      const list = inTurns.map((name) => ({ name, ...ENGINES[name].args }));
      const { out, machine } = await measured(`${inTurns.join(', ')} in turns, ${threads} thread(s)`, 'engine.mjs', { engines: list, ...common });
      console.log(`other processes meanwhile: ${machine.others ?? '?'} cores`);
      for (const r of out.results) {
        const { wall } = record(r.engine, threads, r, { ...machine, round: pass, inTurns: true });
        console.log(`  ${ENGINES[r.engine].label}: median ${fmtS(median(wall))}`);
      }
    }
    for (const name of engines.filter((e) => !inTurns.includes(e))) {
      const engine = ENGINES[name];
      const { out, machine } = await measured(`${engine.label}, ${threads} thread(s)`, engine.script, { ...engine.args, ...common });
      const { wall, cpu } = record(name, threads, out, { ...machine, round: pass });
      console.log(`median ${fmtS(median(wall))} (CPU ${round(median(cpu) / median(wall))}x wall; other processes meanwhile: ${machine.others ?? '?'} cores)`);
    }
  }
}

/** Runs one child process (after waiting for an idle machine, if asked); its output and the machine's state. */
async function measured(label, script, args) {
  const idle = await waitForIdle(waitIdle);
  const loadBefore = loadavg()[0];
  process.stdout.write(`${label}... `);
  const stat0 = cpuJiffies();
  const t0 = performance.now();
  const out = child(script, args);
  const others = othersCores(stat0, cpuJiffies(), performance.now() - t0, out.totalCpuMs);
  return { out, machine: { loadBefore, idle, others } };
}

/** Adds one process's samples of engine `name` to its configuration; returns its wall and CPU times. */
function record(name, threads, out, { loadBefore, idle, others, round: pass, inTurns = false }) {
  const engine = ENGINES[name];
  const wall = out.samples.map((s) => s.wallMs);
  const cpu = out.samples.map((s) => s.cpuMs);
  const key = `${name}/${threads}`;
  if (!byConfig.has(key)) {
    byConfig.set(key, {
      name,
      label: engine.label,
      threads,
      version: out.version ?? null,
      ...(out.blas ? { blas: out.blas } : {}),
      backend: out.backend ?? null,
      kernel: out.kernel ?? null,
      int8Dot: out.int8Dot ?? null,
      logits: out.logits,
      wall: [],
      cpu: [],
      processes: [],
    });
  }
  const acc = byConfig.get(key);
  acc.wall.push(...wall);
  acc.cpu.push(...cpu);
  // othersCores: CPU used by other processes while this one ran, in cores (0 = had the machine).
  acc.processes.push({
    round: pass,
    inTurns,
    medianMs: round(median(wall)),
    loadMs: round(out.loadMs),
    samplesMs: wall.map((v) => round(v)),
    machine: { loadAverageBefore: round(loadBefore), idleBefore: idle, othersCores: others },
  });
  return { wall, cpu };
}
for (const { wall, cpu, processes: procs, ...rest } of byConfig.values()) {
  const result = {
    ...rest,
    runs: wall.length,
    medianMs: round(median(wall)),
    minMs: round(Math.min(...wall)),
    maxMs: round(Math.max(...wall)),
    medianCpuMs: round(median(cpu)),
    othersCoresMax: procs.some((p) => p.machine.othersCores === null) ? null : Math.max(...procs.map((p) => p.machine.othersCores)),
    processes: procs,
  };
  result.cpuPerWall = round(result.medianCpuMs / result.medianMs);
  report.results.push(result);
}

compareLogits(report.results);
if (JSON.stringify(wasmBuild()) !== JSON.stringify(report.wasmBuild)) {
  report.wasmRebuiltDuringRun = true;
  console.log('\nwarning: dist/wasm was rebuilt while this ran: the vit rows may come from different builds');
}
printTable(report.results);
report.ratios = ratios(report.results);
printRatios(report.ratios);

mkdirSync(join(here, 'results'), { recursive: true });
const stamp = report.date.replace(/[:.]/g, '-');
const slim = { ...report, results: report.results.map(({ logits, ...rest }) => ({ ...rest, logitsHead: logits.slice(0, 5).map((v) => round(v, 6)) })) };
for (const file of [`compare-${stamp}.json`, 'latest.json']) writeFileSync(join(here, 'results', file), JSON.stringify(slim, null, 2) + '\n');
console.log(`\nSaved bench/compare/results/compare-${stamp}.json`);

// ---------------------------------------------------------------------------------------------

function fail(message) {
  console.error(`compare: ${message}`);
  process.exit(1);
}

/** The ONNX export of `checkpoint`, made (and checked) by export_onnx.py unless its sidecar says it
 * was made from this very file (path, size, mtime). Returns the sidecar. */
function ensureOnnx(checkpointPath) {
  const sidecarPath = `${ONNX}.json`;
  const stat = statSync(checkpointPath);
  const current = () => {
    if (!existsSync(ONNX) || !existsSync(sidecarPath)) return null;
    const s = JSON.parse(readFileSync(sidecarPath, 'utf8'));
    const same = s.checkpoint === checkpointPath && s.checkpointBytes === stat.size && Math.abs(s.checkpointMtimeMs - stat.mtimeMs) < 1 && s.onnxBytes === statSync(ONNX).size;
    return same ? s : null;
  };
  let sidecar = process.env.COMPARE_FRESH === '1' ? null : current();
  if (sidecar === null) {
    console.log(`ONNX: exporting ${relative(root, ONNX)} with ${PYTHON} export_onnx.py (torch 1.13, ~1 min)...`);
    const run = spawnSync(PYTHON, [join(here, 'export_onnx.py'), checkpointPath, '--out', ONNX], { stdio: 'inherit', cwd: here });
    if (run.status !== 0) fail(`export_onnx.py failed (exit ${run.status ?? run.signal})`);
    sidecar = current();
    if (sidecar === null) fail('export_onnx.py did not leave a matching ONNX and sidecar');
  } else {
    console.log(`ONNX: reusing ${relative(root, ONNX)} (checked against torch: max |diff| ${sidecar.check?.maxAbsDiff?.toExponential(2) ?? 'unchecked'})`);
  }
  return sidecar;
}

function child(script, args) {
  const command = script.endsWith('.py') ? PYTHON : machine.node.path;
  const run = spawnSync(command, [join(here, script), JSON.stringify(args)], {
    cwd: here,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 << 20,
  });
  if (run.status !== 0) fail(`${script} ${JSON.stringify(args)} failed (exit ${run.status ?? run.signal})`);
  return JSON.parse(run.stdout.trim().split('\n').pop());
}

/** The machine's idle and total CPU time so far, in jiffies (/proc/stat; null where there is none). */
function cpuJiffies() {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
    return { idle: f[3] + (f[4] ?? 0), total: f.reduce((a, b) => a + b, 0) };
  } catch {
    return null;
  }
}

/** CPU that processes other than the child used over its lifetime, in cores (busy machine time
 * minus the child's own CPU time, over the child's wall time; USER_HZ = 100 on Linux). */
function othersCores(a, b, wallMs, childCpuMs) {
  if (a === null || b === null || !(childCpuMs >= 0) || wallMs <= 0) return null;
  const busyMs = (b.total - b.idle - (a.total - a.idle)) * 10;
  return Math.max(0, round((busyMs - childCpuMs) / wallMs));
}

/** Share of the machine's CPU time that was idle over `ms`. */
async function idleShare(ms) {
  const a = cpuJiffies();
  await new Promise((r) => setTimeout(r, ms));
  const b = cpuJiffies();
  if (a === null || b === null || b.total === a.total) return null;
  return round((b.idle - a.idle) / (b.total - a.total));
}

/** Idle share of the last 2-second window; with maxSeconds > 0, waits (up to that) for >= 90%. */
async function waitForIdle(maxSeconds) {
  const deadline = Date.now() + maxSeconds * 1000;
  let idle = await idleShare(maxSeconds > 0 ? 2000 : 500);
  let warned = false;
  while (maxSeconds > 0 && idle !== null && idle < 0.9 && Date.now() < deadline) {
    if (!warned) process.stdout.write(`(machine ${Math.round((1 - idle) * 100)}% busy: waiting up to ${maxSeconds} s) `);
    warned = true;
    idle = await idleShare(2000);
  }
  return idle;
}

function gitState() {
  const git = (...a) => spawnSync('git', ['-C', root, ...a], { encoding: 'utf8' }).stdout?.trim() ?? '';
  const dirty = git('status', '--porcelain', '--', 'src', 'assembly', 'asconfig.json');
  return { head: git('rev-parse', '--short', 'HEAD'), uncommittedInSrcOrAssembly: dirty ? dirty.split('\n') : [] };
}

/** Which kernels dist/ holds (size and build time of each .wasm): the tree may hold uncommitted work. */
function wasmBuild() {
  const dir = join(root, 'dist', 'wasm');
  const files = existsSync(dir) ? ['vit-relaxed.wasm', 'vit-simd.wasm'].filter((f) => existsSync(join(dir, f))) : [];
  return Object.fromEntries(files.map((f) => [f, { bytes: statSync(join(dir, f)).size, built: statSync(join(dir, f)).mtime.toISOString() }]));
}

/** Max |logit - reference logit| for each result; the reference is ours (default backend) at the most threads. */
function compareLogits(results) {
  const ours = results.filter((r) => r.name === 'ours' || r.name === 'ours-simd');
  const ref = ours.find((r) => r.name === 'ours') ?? ours[0];
  if (ref === undefined) return;
  const argmax = (v) => v.reduce((best, x, i) => (x > v[best] ? i : best), 0);
  const refTop = argmax(ref.logits);
  for (const r of results) {
    r.maxAbsDiffVsOurs = Math.max(...r.logits.map((v, i) => Math.abs(v - ref.logits[i])));
    r.sameTop1 = argmax(r.logits) === refTop;
  }
  report.logitsReference = { engine: ref.name, threads: ref.threads, maxAbsLogit: round(Math.max(...ref.logits.map(Math.abs)), 4), top1: refTop };
}

function printTable(results) {
  const where =
    (processes > 1 ? ` in each of ${processes} processes per configuration (pooled)` : '') +
    (interleave ? '; the Node engines in turns, one process per round and thread count' : '');
  console.log(`\nViT-B/16-384, batch 1, ${runs} timed runs after ${warmup} warm-up${where}; latency in seconds per image`);
  console.table(
    results.map((r) => ({
      engine: r.label + (r.version ? ` ${r.version}` : ''),
      threads: r.threads,
      median: round(r.medianMs / 1000, 3),
      min: round(r.minMs / 1000, 3),
      max: round(r.maxMs / 1000, 3),
      'CPU/wall': r.cpuPerWall,
      'others (cores)': r.othersCoresMax ?? '?',
      ...(processes > 1 ? { 'per-process medians': r.processes.map((p) => round(p.medianMs / 1000, 2)).join(' ') } : {}),
      'max |Δlogit| vs ours': r.maxAbsDiffVsOurs === undefined ? '-' : r.maxAbsDiffVsOurs.toExponential(2),
      'same top-1': r.sameTop1 ?? '-',
    })),
  );
  if (report.logitsReference) {
    const { engine, threads, maxAbsLogit } = report.logitsReference;
    console.log(`Logits compared with ${ENGINES[engine].label}, ${threads} thread(s) (max |logit| ${maxAbsLogit}).`);
  }
  const shared = results.filter((r) => r.threads > 1 && r.cpuPerWall < 0.8 * r.threads);
  for (const r of shared) console.log(`note: ${r.label}, ${r.threads} threads: CPU time only ${r.cpuPerWall}x wall time: it ran single-threaded in places or shared the cores`);
}

function ratios(results) {
  const find = (name, threads) => results.find((r) => r.name === name && r.threads === threads);
  const t = (name, threads) => find(name, threads)?.medianMs;
  const meets = (value, target, better) => (better === '<=' ? value <= target : value >= target);
  const entry = (what, a, b, target, better, paired = null) => {
    if (a === undefined || b === undefined) return { what, value: null, target: null, met: null };
    const value = round(a / b, 3);
    const pairs = paired === null ? {} : { paired, pairedMet: target === null ? null : meets(paired, target, better) };
    if (target === null) return { what, value, target: null, met: null, ...pairs };
    return { what, value, target: `${better} ${target}`, met: meets(value, target, better), ...pairs };
  };
  // Engine a's time over engine b's at the same thread count, pooled and (if timed in turns) paired.
  const versus = (what, a, b, threads, target, better) =>
    entry(what, t(a, threads), t(b, threads), target, better, pairedRatio(find(a, threads), find(b, threads)));
  return [
    versus('ours (2 threads) / ort-web (2 threads)', 'ours', 'ort-web', 2, 0.43, '<='),
    versus('ours (2 threads) / ort-node (2 threads)', 'ours', 'ort-node', 2, 2, '<='),
    versus('ours plain SIMD (2 threads) / ort-web (2 threads)', 'ours-simd', 'ort-web', 2, 0.75, '<='),
    entry('ours 1 -> 2 threads speed-up', t('ours', 1), t('ours', 2), 1.8, '>='),
    versus('ours (1 thread) / ort-web (1 thread)', 'ours', 'ort-web', 1, 0.43, '<='),
    versus('ours (1 thread) / ort-node (1 thread)', 'ours', 'ort-node', 1, 2, '<='),
    versus('ours plain SIMD (1 thread) / ort-web (1 thread)', 'ours-simd', 'ort-web', 1, 0.75, '<='),
    entry('ours plain SIMD 1 -> 2 threads speed-up', t('ours-simd', 1), t('ours-simd', 2), 1.8, '>='),
    versus('ours int8 (2 threads) / ort-node fp32 (2 threads)', 'ours-int8', 'ort-node', 2, 1.2, '<='),
    versus('ours int8 (2 threads) / ours fp32 (2 threads)', 'ours-int8', 'ours', 2, null, 'info'),
    versus('ours int8 (1 thread) / ort-node fp32 (1 thread)', 'ours-int8', 'ort-node', 1, 1.2, '<='),
    versus('ours (2 threads) / PyTorch (2 threads)', 'ours', 'torch', 2, null, 'info'),
    // The other engines' scaling on the same machine: what its second core gives at all.
    entry('ort-web 1 -> 2 threads speed-up', t('ort-web', 1), t('ort-web', 2), null, 'info'),
    entry('ort-node 1 -> 2 threads speed-up', t('ort-node', 1), t('ort-node', 2), null, 'info'),
    entry('PyTorch 1 -> 2 threads speed-up', t('torch', 1), t('torch', 2), null, 'info'),
  ].filter((r) => r.value !== null);
}

/** Median over the pairs (same process, same timed run) of ra's time over rb's; null unless both ran in turns. */
function pairedRatio(ra, rb) {
  if (ra === undefined || rb === undefined) return null;
  const ratios = [];
  for (const pa of ra.processes.filter((p) => p.inTurns)) {
    const pb = rb.processes.find((p) => p.inTurns && p.round === pa.round);
    if (pb === undefined) continue;
    for (let i = 0; i < Math.min(pa.samplesMs.length, pb.samplesMs.length); i++) ratios.push(pa.samplesMs[i] / pb.samplesMs[i]);
  }
  return ratios.length === 0 ? null : round(median(ratios), 3);
}

function printRatios(list) {
  const paired = list.some((r) => r.paired !== undefined);
  console.log("\nIssue 5's ratios (median latency; the first four are the targets, 1-thread versions alongside):");
  if (paired) console.log('  ("paired": the median of the ratios of times taken in turns, seconds apart, in one process)');
  const verdict = (met) => (met === null ? '' : met ? 'met' : 'NOT met');
  for (const r of list) {
    const target = r.target === null ? '' : `  (target ${r.target})`;
    const pairs = r.paired === undefined ? '' : `; paired ${r.paired}${r.pairedMet === null ? '' : ` ${verdict(r.pairedMet)}`}`;
    console.log(`  ${r.what}: ${r.value}${target}${r.met === null ? '' : `  ${verdict(r.met)}`}${pairs}`);
  }
}

function fmtS(ms) {
  return `${(ms / 1000).toFixed(3)} s`;
}

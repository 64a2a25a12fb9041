// One engine configuration timed in its own process, or several timed in turns in one process
// (child of run.mjs; also used by export_onnx.py to check the exported model). Prints one JSON
// line: timings and the logits.
// Usage: node engine.mjs '{"engine":"ours|ort-node|ort-web","threads":2,"input":"x.f32","batch":1,
//                          "warmup":2,"runs":10,"checkpoint":"...","backend":"auto|wasm",
//                          "precision":"fp32|int8","onnx":"..."}'
//    or: node engine.mjs '{"engines":[{"name":"ours","engine":"ours","backend":"auto"},...],...}'
// The input is raw float32 [batch,3,384,384]. runs=0: one forward pass, logits only (no timing).
// In turns ("engines"), timed run i runs every engine once, starting one further along the list
// each time, after a pause that lets the previous engine's threads go idle: the engines are timed
// seconds apart, so a change in the machine's speed reaches all of them alike.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const args = JSON.parse(process.argv[2]);
const { threads, batch = 1, warmup = 2, runs = 10 } = args;
const input = new Float32Array(new Uint8Array(readFileSync(args.input)).buffer);
const SIZE = 384;
const PAUSE_MS = 100;
if (input.length !== batch * 3 * SIZE * SIZE) throw new Error(`${args.input}: expected ${batch * 3 * SIZE * SIZE} floats, found ${input.length}`);

const configs = args.engines ?? [{ name: args.engine, engine: args.engine, backend: args.backend }];
const loaded = [];
for (const config of configs) {
  const t0 = performance.now();
  const { run, info } = await load(config);
  loaded.push({ config, run, info, loadMs: performance.now() - t0, samples: [], logits: null });
}
for (const e of loaded) {
  e.logits = await e.run();
  for (let i = 1; i < warmup; i++) e.logits = await e.run();
}
for (let i = 0; i < runs; i++) {
  for (let j = 0; j < loaded.length; j++) {
    const e = loaded[(i + j) % loaded.length];
    if (loaded.length > 1) await sleep(PAUSE_MS);
    e.samples.push(await timed(e.run));
  }
}
// totalCpuMs: the whole process's CPU time, so that run.mjs can tell how much CPU others used meanwhile.
const total = process.cpuUsage();
const totalCpuMs = (total.user + total.system) / 1000;
const result = (e) => ({ engine: e.config.name, threads, batch, loadMs: e.loadMs, ...e.info, samples: e.samples, logits: Array.from(e.logits) });
const out = args.engines ? { threads, batch, pauseMs: PAUSE_MS, results: loaded.map(result), totalCpuMs } : { ...result(loaded[0]), totalCpuMs };
console.log(JSON.stringify(out));
process.exit(0); // ort-web's worker threads would otherwise keep the process alive

async function timed(run) {
  const cpu0 = process.cpuUsage();
  const w0 = performance.now();
  await run();
  const wallMs = performance.now() - w0;
  const cpu = process.cpuUsage(cpu0);
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

/** { run: () => Promise<Float32Array> (logits [batch,1000]), info } for one engine. */
async function load({ engine, backend, precision }) {
  switch (engine) {
    case 'ours':
      return loadOurs(backend, precision);
    case 'ort-node':
      return loadOrtNode();
    case 'ort-web':
      return loadOrtWeb();
    default:
      throw new Error(`unknown engine ${engine}: expected ours, ort-node or ort-web`);
  }
}

async function loadOurs(backendName = 'auto', precision = 'fp32') {
  // startBackend: the backend as vit starts it (its int8 dot sequence picked for this CPU and V8).
  const { startBackend } = await import('../../dist/app/start-backend.js');
  const { loadVitModel } = await import('../../dist/app/load-model.js');
  const { backend } = await startBackend(backendName, threads, precision);
  const model = await loadVitModel(args.checkpoint, { backend, model: 'vit_base_patch16_384', maxBatch: batch });
  // forward() returns views into the arena: copy, since the next pass overwrites them.
  return { run: async () => Float32Array.from(model.forward(input, batch).logits), info: { backend: backend.name, kernel: backend.kernel, precision: backend.precision, int8Dot: backend.int8Dot } };
}

async function loadOrtNode() {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(args.onnx, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
  });
  return ortRunner(ort, session, { version: ortVersion('onnxruntime-node') });
}

async function loadOrtWeb() {
  const ort = await import('onnxruntime-web');
  // Node: point at the package's own wasm files; numThreads > 1 runs workers (worker_threads).
  ort.env.wasm.wasmPaths = join(dirname(createRequire(import.meta.url).resolve('onnxruntime-web')), '/');
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.proxy = false;
  const session = await ort.InferenceSession.create(readFileSync(args.onnx), {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
  });
  return ortRunner(ort, session, { version: ortVersion('onnxruntime-web') });
}

function ortRunner(ort, session, info) {
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', input, [batch, 3, SIZE, SIZE]) };
  const out = session.outputNames[0];
  return { run: async () => (await session.run(feeds))[out].data, info };
}

function ortVersion(name) {
  const require = createRequire(import.meta.url);
  const main = require.resolve(name);
  let dir = dirname(main);
  while (!dir.endsWith(name)) dir = dirname(dir);
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;
}

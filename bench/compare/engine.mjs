// One engine configuration, timed in its own process (child of run.mjs; also used by
// export_onnx.py to check the exported model). Prints one JSON line: timings and the logits.
// Usage: node engine.mjs '{"engine":"ours|ort-node|ort-web","threads":2,"input":"x.f32","batch":1,
//                          "warmup":2,"runs":10,"checkpoint":"...","backend":"auto|wasm","onnx":"..."}'
// The input is raw float32 [batch,3,384,384]. runs=0: one forward pass, logits only (no timing).

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const args = JSON.parse(process.argv[2]);
const { engine, threads, batch = 1, warmup = 2, runs = 10 } = args;
const input = new Float32Array(new Uint8Array(readFileSync(args.input)).buffer);
const SIZE = 384;
if (input.length !== batch * 3 * SIZE * SIZE) throw new Error(`${args.input}: expected ${batch * 3 * SIZE * SIZE} floats, found ${input.length}`);

const t0 = performance.now();
const { run, info } = await load(engine);
const loadMs = performance.now() - t0;

let logits = await run();
for (let i = 1; i < warmup; i++) logits = await run();
const samples = [];
for (let i = 0; i < runs; i++) {
  const cpu0 = process.cpuUsage();
  const w0 = performance.now();
  await run();
  const wallMs = performance.now() - w0;
  const cpu = process.cpuUsage(cpu0);
  samples.push({ wallMs, cpuMs: (cpu.user + cpu.system) / 1000 });
}
// totalCpuMs: the whole process's CPU time, so that run.mjs can tell how much CPU others used meanwhile.
const total = process.cpuUsage();
const totalCpuMs = (total.user + total.system) / 1000;
console.log(JSON.stringify({ engine, threads, batch, loadMs, ...info, samples, totalCpuMs, logits: Array.from(logits) }));
process.exit(0); // ort-web's worker threads would otherwise keep the process alive

/** { run: () => Promise<Float32Array> (logits [batch,1000]), info } for one engine. */
async function load(name) {
  switch (name) {
    case 'ours':
      return loadOurs();
    case 'ort-node':
      return loadOrtNode();
    case 'ort-web':
      return loadOrtWeb();
    default:
      throw new Error(`unknown engine ${name}: expected ours, ort-node or ort-web`);
  }
}

async function loadOurs() {
  const { createBackend } = await import('../../dist/backend/index.js');
  const { loadVitModel } = await import('../../dist/model/load.js');
  const backend = await createBackend(args.backend ?? 'auto', { threads });
  const model = await loadVitModel(args.checkpoint, { backend, model: 'vit_base_patch16_384', maxBatch: batch });
  // forward() returns views into the arena: copy, since the next pass overwrites them.
  return { run: async () => Float32Array.from(model.forward(input, batch).logits), info: { backend: backend.name, kernel: backend.kernel } };
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

// `node bench/simd-peak.mjs`: what one core's 128-bit WebAssembly SIMD can do on this Node and CPU,
// with every operand in a register, in multiply-adds per second: the ceiling that vit's GEMMs are
// measured against (README, Speed and int8 speed).
//   fp32 relaxed   f32x4.relaxed_madd (V8: one FMA3 instruction), 4 multiply-adds
//   fp32 plain     f32x4.mul then f32x4.add (the plain-SIMD build), 4 multiply-adds in 2 instructions
//   int8 relaxed   i32x4.relaxed_dot_i8x16_i7x16_add_s, 16 multiply-adds: one vpdpbusd where V8
//                  uses AVX-VNNI, else five instructions (pmaddubsw, pmaddwd, paddd, and two that
//                  rebuild the constant of ones): the int8 kernels' "fused" dot
//   int8 split     i16x8.relaxed_dot_i8x16_i7x16_s, i32x4.extadd_pairwise_i16x8_s, i32x4.add, the
//                  same 16 multiply-adds in three instructions on x64 (pmaddubsw, pmaddwd against
//                  a constant in memory, paddd): the int8 kernels' "split" dot (int8-dot.ts)
//   int16 plain    i32x4.add(acc, i32x4.dot_i16x8_s(a, b)) (the plain-SIMD build's int8 path), 8
// Each loop keeps 10 independent accumulators, so the instructions' latency is hidden and their
// throughput is what is timed. The module is compiled here from AssemblyScript (asc, a dev
// dependency) and run in a child under BENCH_NODE (a path or a version such as 24, installed by
// scripts/node-version.sh; default this Node); best of BENCH_RUNS (default 7) timed calls.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineInfo, printHeader } from './header.mjs';
import { envInt, round } from './stats.mjs';

const ACCUMULATORS = 10;
/** Loop name, multiply-adds per instruction that the loop repeats, what it is. */
const LOOPS = [
  ['maddRelaxed', 4, 'fp32 f32x4.relaxed_madd', true],
  ['maddPlain', 4, 'fp32 f32x4.mul + f32x4.add', false],
  ['dotRelaxed', 16, 'int8 i32x4.relaxed_dot_i8x16_i7x16_add_s', true],
  ['dotSplit', 16, 'int8 split: i16x8.relaxed_dot_i8x16_i7x16_s + extadd_pairwise + add', true],
  ['dotI16', 8, 'int16 i32x4.dot_i16x8_s + i32x4.add', false],
];

/**
 * An exported loop: `body(c)` is one accumulator's update, repeated for each of them. Each update
 * reads its own accumulator as an operand too (with b = 0 from the caller it leaves it unchanged:
 * no overflow, no subnormals), so that no part of it is loop-invariant for a compiler to hoist.
 */
function loopSource(name, type, splat, body, reduce) {
  const accs = Array.from({ length: ACCUMULATORS }, (_, i) => `c${i}`);
  return `export function ${name}(n: i32, zero: i32): ${type} {
  const b = ${splat('zero')};
  ${accs.map((c, i) => `let ${c} = ${splat(String(i + 1))};`).join('\n  ')}
  for (let i = 0; i < n; i++) {
    ${accs.map((c) => `${c} = ${body(c)};`).join('\n    ')}
  }
  let s = ${accs[0]};
  ${accs.slice(1).map((c) => `s = ${reduce('s', c)};`).join('\n  ')}
  return ${type === 'f32' ? 'f32x4.extract_lane(s, 0)' : 'i32x4.extract_lane(s, 0)'};
}
`;
}

const SOURCE = [
  loopSource('maddRelaxed', 'f32', (v) => `f32x4.splat(<f32>(${v}))`, (c) => `f32x4.relaxed_madd(${c}, b, ${c})`, (x, y) => `f32x4.add(${x}, ${y})`),
  loopSource('maddPlain', 'f32', (v) => `f32x4.splat(<f32>(${v}))`, (c) => `f32x4.add(f32x4.mul(${c}, b), ${c})`, (x, y) => `f32x4.add(${x}, ${y})`),
  loopSource('dotRelaxed', 'i32', (v) => `i8x16.splat(<i8>(${v}))`, (c) => `i32x4.relaxed_dot_i8x16_i7x16_add_s(${c}, b, ${c})`, (x, y) => `i32x4.add(${x}, ${y})`),
  loopSource('dotSplit', 'i32', (v) => `i8x16.splat(<i8>(${v}))`, (c) => `i32x4.add(${c}, i32x4.extadd_pairwise_i16x8_s(i16x8.relaxed_dot_i8x16_i7x16_s(${c}, b)))`, (x, y) => `i32x4.add(${x}, ${y})`),
  loopSource('dotI16', 'i32', (v) => `i16x8.splat(<i16>(${v}))`, (c) => `i32x4.add(${c}, i32x4.dot_i16x8_s(${c}, b))`, (x, y) => `i32x4.add(${x}, ${y})`),
].join('\n');

if (process.argv[2] === 'child') {
  child(process.argv[3], envInt('BENCH_RUNS', 7));
} else {
  await main();
}

async function main() {
  const machine = machineInfo(process.env.BENCH_NODE);
  printHeader(machine, [1]);
  const dir = mkdtempSync(join(tmpdir(), 'vit-simd-peak-'));
  try {
    const file = join(dir, 'peak.wasm');
    writeFileSync(file, await compile(SOURCE));
    const run = spawnSync(machine.node.path, [fileURLToPath(import.meta.url), 'child', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: process.env });
    if (run.status !== 0) throw new Error(`bench: simd-peak child failed (exit ${run.status})`);
    const rows = JSON.parse(run.stdout.trim().split('\n').pop());
    console.log(`\none core, ${ACCUMULATORS} independent accumulators, operands in registers, best of ${envInt('BENCH_RUNS', 7)} calls`);
    console.table(rows);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The module's bytes, from AssemblyScript, optimized as the kernels are (asconfig.json). */
async function compile(source) {
  const { default: asc } = await import('assemblyscript/asc');
  const { binary, error, stderr } = await asc.compileString(source, { optimizeLevel: 3, shrinkLevel: 0, runtime: 'stub', enable: ['simd', 'relaxed-simd'], noAssert: true });
  if (error !== null) throw new Error(`bench: simd-peak: asc failed: ${error.message}\n${stderr.toString()}`);
  return binary;
}

async function child(file, runs) {
  // The flag that older V8s need for relaxed SIMD, set the way the backend sets it.
  const { relaxedSimdSupported } = await import('../dist/backend/wasm/kernels.js');
  if (!relaxedSimdSupported()) throw new Error('bench: simd-peak: this Node has no relaxed SIMD');
  const { exports } = await WebAssembly.instantiate(new WebAssembly.Module(readFileSync(file)));
  const rows = [];
  for (const [name, macsPerInstruction, what] of LOOPS) {
    const fn = exports[name];
    // About 0.1-0.3 s per call: grow n until a call takes 50 ms, then time at 4x that.
    let n = 1 << 16;
    while (timeOf(() => fn(n, 0)) < 50) n *= 2;
    n *= 4;
    let best = Infinity;
    for (let r = 0; r < runs; r++) best = Math.min(best, timeOf(() => fn(n, 0)));
    const macs = n * ACCUMULATORS * macsPerInstruction;
    rows.push({ loop: what, 'GMAC/s': round(macs / best / 1e6), 'ns per instruction': round((best * 1e6) / (n * ACCUMULATORS), 3) });
  }
  console.log(JSON.stringify(rows));
}

function timeOf(call) {
  const start = performance.now();
  call();
  return performance.now() - start;
}

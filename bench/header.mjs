// What a benchmark ran on, for the header every bench script prints first and for its JSON: the
// Node and V8 versions (of the binary that runs the timed code, which bench/compare's --node can
// make another one than the script's own), the CPU model, the SIMD extensions that decide the
// speed here, and the hardware threads. Linux reads /proc/cpuinfo; elsewhere the flags are unknown.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { arch, availableParallelism, cpus } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chooseInt8Dot } from '../dist/backend/wasm/int8-dot.js';

// x64: V8's wasm SIMD needs SSE4.1 and compiles relaxed multiply-add to FMA3; onnxruntime-node's
// MLAS and PyTorch's BLAS pick AVX2, AVX-512 and the VNNI dot products when present.
// arm64: NEON (asimd), its dot product (asimddp) and SVE.
const SIMD_FLAGS = {
  x64: ['sse4_1', 'fma', 'avx2', 'avx512f', 'avx_vnni', 'avx512_vnni'],
  arm64: ['asimd', 'asimddp', 'sve'],
};

/**
 * The machine, and the Node binary `node` (default: this process's). `node` may be a path or a
 * version (24, 26.1.0), which scripts/node-version.sh installs from the npm registry if needed.
 */
export function machineInfo(node = process.execPath) {
  return { node: nodeInfo(node), cpu: cpuInfo(), hardwareThreads: availableParallelism() };
}

/**
 * The header's lines, `threads` being the thread counts the benchmark runs; the script's own Node
 * is named too when the timed code runs under another.
 */
export function headerLines({ node, cpu, hardwareThreads }, threads) {
  const lines = [`Node     ${node.version} (V8 ${node.v8})  ${node.path}`];
  if (node.path !== process.execPath) lines.push(`script   ${process.version} (V8 ${process.versions.v8})  ${process.execPath} (runs the timed code under the Node above)`);
  lines.push(`CPU      ${cpu.model} (${cpu.arch})`);
  if (cpu.simd === null) {
    lines.push('SIMD     unknown (no /proc/cpuinfo flags)');
  } else {
    const absent = Object.keys(cpu.simd).filter((f) => !cpu.simd[f]);
    lines.push(`SIMD     ${Object.keys(cpu.simd).filter((f) => cpu.simd[f]).join(' ') || '-'}${absent.length > 0 ? `  (absent: ${absent.join(' ')})` : ''}`);
  }
  const cpuFlags = cpu.simd === null ? undefined : new Set(Object.keys(cpu.simd).filter((f) => cpu.simd[f]));
  const dot = chooseInt8Dot({ arch: cpu.arch, v8: node.v8, cpuFlags });
  lines.push(`int8 dot ${dot.dot} (${dot.reason}): the relaxed build's int8 kernels, under the Node above`);
  lines.push(`threads  ${threads.join(', ')} (of ${hardwareThreads} hardware threads)`);
  return lines;
}

export function printHeader(info, threads) {
  console.log(headerLines(info, threads).join('\n'));
}

function nodeInfo(node) {
  // A version is installed; a path is made absolute (children may run in another directory); a
  // bare name such as `node` is left to PATH.
  const path = /^\d+(\.\d+){0,2}$/.test(node) ? installedNode(node) : node.includes('/') ? resolve(node) : node;
  if (path === process.execPath) return { path, version: process.version, v8: process.versions.v8 };
  const run = spawnSync(path, ['-p', 'JSON.stringify([process.version, process.versions.v8])'], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`bench: cannot run Node binary ${path}: ${run.error?.message ?? run.stderr.trim()}`);
  const [version, v8] = JSON.parse(run.stdout);
  return { path, version, v8 };
}

function installedNode(version) {
  const script = fileURLToPath(new URL('../scripts/node-version.sh', import.meta.url));
  const run = spawnSync(script, [version], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (run.status !== 0) throw new Error(`bench: scripts/node-version.sh ${version} failed (exit ${run.status ?? run.signal})`);
  return run.stdout.trim();
}

function cpuInfo() {
  let text = '';
  try {
    text = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    // not Linux: model from os.cpus(), flags unknown
  }
  const field = (name) => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(text)?.[1].trim();
  // A VM may name only the brand ("AMD EPYC"); x86's family and model still tell the generation.
  const family = field('cpu family');
  const model = (field('model name') ?? cpus()[0]?.model ?? 'unknown') + (family === undefined ? '' : `, family ${family} model ${field('model')}`);
  // x86 lists extensions as "flags", arm64 as "Features".
  const flags = field('flags') ?? field('Features');
  const wanted = SIMD_FLAGS[arch()] ?? [];
  const present = new Set(flags?.split(/\s+/) ?? []);
  const simd = flags === undefined ? null : Object.fromEntries(wanted.map((f) => [f, present.has(f)]));
  return { model, arch: arch(), simd };
}

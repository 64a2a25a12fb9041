// A/B of two checkouts of vit as whole one-shot processes: `vit classify cat.jpg` on the
// random-weight ViT-B/16-384 (bench/checkpoint.mjs), A and B in turns, so that both see the same
// machine (its speed drifts by more than a start-up change gains, see bench/ab.mjs). Prints the
// wall and CPU time (all threads: /proc/self/stat's children times, Linux) of each, and from its
// --verbose lines the overhead (wall minus the forward pass, whose drift is most of the noise)
// and when the weights were in; their medians, and the verdicts: the medians of the per-pair
// ratios B / A of the wall and of the overhead.
// Usage: node bench/ab-oneshot.mjs <root A> <root B>   (checkouts with their dist/ built, e.g. a
// `git worktree` of the base after `npm ci`, and .)
// Environment: AB_PAIRS (default 10), AB_THREADS (2), AB_PRECISION (fp32 | int8).

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchCheckpoint } from './checkpoint.mjs';
import { machineInfo, printHeader } from './header.mjs';
import { childrenCpuMs, envInt, median, round } from './stats.mjs';

const roots = process.argv.slice(2, 4).map((root) => resolve(root));
if (roots.length !== 2 || roots.some((root) => !existsSync(join(root, 'dist', 'cli', 'main.js')))) {
  console.error('usage: node bench/ab-oneshot.mjs <root A> <root B>   (each a checkout with dist/ built)');
  process.exit(2);
}
const pairs = envInt('AB_PAIRS', 10);
const threads = envInt('AB_THREADS', 2);
const precision = process.env.AB_PRECISION ?? 'fp32';
printHeader(machineInfo(), [threads]);
const checkpoint = benchCheckpoint('vit_base_patch16_384');
const image = fileURLToPath(new URL('../test/fixtures/images/cat.jpg', import.meta.url));

function oneShot(root) {
  const cpu0 = childrenCpuMs();
  const t0 = performance.now();
  const run = spawnSync(process.execPath, [join(root, 'bin', 'vit.js'), 'classify', image, '-w', checkpoint, '--verbose', '--format', 'json', '--topk', '1', '-t', String(threads), '--precision', precision], {
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`bench: ${root}: vit classify exited ${run.status}: ${run.stderr}`);
  const wallMs = performance.now() - t0;
  const forwardMs = Number(/^vit: forward\s+([\d.]+) ms/m.exec(run.stderr)?.[1]);
  const weightsIn = Number(/weights in at ([\d.]+) s/.exec(run.stderr)?.[1]);
  return { wallMs, cpuMs: childrenCpuMs() - cpu0, overheadMs: wallMs - forwardMs, weightsInMs: weightsIn * 1000, top: JSON.parse(run.stdout).results[0].predictions };
}

const runs = [[], []];
for (let p = 0; p < pairs; p++) {
  // Alternate which goes first, so neither always follows the other.
  const order = p % 2 === 0 ? [0, 1] : [1, 0];
  for (const k of order) runs[k].push(oneShot(roots[k]));
  const [a, b] = runs.map((list) => list[list.length - 1]);
  if (JSON.stringify(a.top) !== JSON.stringify(b.top)) throw new Error(`bench: A and B disagree: ${JSON.stringify(a.top)} against ${JSON.stringify(b.top)}`);
  const line = (r) => `${round(r.wallMs)} ms (CPU ${r.cpuMs}, overhead ${round(r.overheadMs)}, weights in at ${round(r.weightsInMs)})`;
  console.log(`pair ${p + 1}: A ${line(a)}, B ${line(b)}, B/A ${round(b.wallMs / a.wallMs, 3)}`);
}
const ratioOf = (key) => runs[1].map((b, i) => b[key] / runs[0][i][key]);
console.log(`\nViT-B/16-384, ${precision}, ${threads} thread(s), ${pairs} pairs of whole processes, medians`);
console.table(
  roots.map((root, k) => ({
    build: `${'AB'[k]}: ${root}`,
    'wall ms': round(median(runs[k].map((r) => r.wallMs))),
    'CPU ms': round(median(runs[k].map((r) => r.cpuMs))),
    'overhead ms (wall - forward)': round(median(runs[k].map((r) => r.overheadMs))),
    'weights in at ms': round(median(runs[k].map((r) => r.weightsInMs))),
  })),
);
for (const [key, what] of [['wallMs', 'wall'], ['overheadMs', 'overhead']]) {
  const ratios = ratioOf(key);
  console.log(`B / A, ${what}, median of the per-pair ratios: ${round(median(ratios), 3)} (${round(Math.min(...ratios), 3)}-${round(Math.max(...ratios), 3)})`);
}

// Start-up of the command line: `vit --version` and `vit --help` against `node -e 0` (the floor:
// Node itself), each as a whole process, alternated so that both see the same machine.
// Usage: node bench/startup.mjs      Environment: STARTUP_RUNS (default 20).

import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineInfo, printHeader } from './header.mjs';
import { envInt, median, round } from './stats.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const runs = envInt('STARTUP_RUNS', 20);
const commands = {
  'node -e 0': ['-e', '0'],
  'vit --version': [join(root, 'bin', 'vit.js'), '--version'],
  'vit --help': [join(root, 'bin', 'vit.js'), '--help'],
};

function wallMs(args) {
  const t0 = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${result.status}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const times = Object.fromEntries(Object.keys(commands).map((name) => [name, []]));
for (let r = 0; r < runs; r++) for (const [name, args] of Object.entries(commands)) times[name].push(wallMs(args));

const floor = median(times['node -e 0']);
printHeader(machineInfo(), [1]);
console.log(`\nstart-up, ${runs} runs each, alternated`);
console.table(
  Object.entries(times).map(([name, t]) => ({ command: name, 'median ms': round(median(t), 1), 'min ms': round(Math.min(...t), 1), 'x node -e 0': round(median(t) / floor, 2) })),
);

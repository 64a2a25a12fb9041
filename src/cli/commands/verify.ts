// `vit verify`: run the model on a reference input and compare with PyTorch's logits.
// Without arguments it checks the installation against the bundled parity fixtures.

import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Command, Option } from 'commander';
import { createBackend, type BackendName } from '../../backend/index.js';
import { NAMED_MODELS } from '../../model/config.js';
import { loadVitModel } from '../../model/load.js';
import { BUNDLED_FIXTURES_DIR } from '../../paths.js';
import { SafetensorsBuffer, SafetensorsError } from '../../safetensors/index.js';
import { compareOutputs, DEFAULT_TOLERANCE, type OutputComparison, type Tolerance } from '../../verify.js';
import { EXIT, UsageError } from '../errors.js';
import type { CliIO } from '../io.js';
import { backendOption, configOption, headsOption, nonNegativeNumber, quietOption, threadsOption } from '../options.js';
import { createProgress } from '../progress.js';

interface VerifyOpts {
  weights?: string;
  reference?: string;
  model?: string;
  config?: string;
  heads?: number;
  atol?: number;
  rtol?: number;
  backend: BackendName;
  threads: number;
  format: 'text' | 'json';
  quiet?: boolean;
}

interface VerifyRun {
  name: string;
  weights: string;
  reference: string;
  samples: number;
  tolerance: Tolerance;
  logits: OutputComparison;
  features?: OutputComparison;
  passed: boolean;
}

export function verifyCommand(io: CliIO, setExitCode: (code: number) => void): Command {
  return new Command('verify')
    .description('compare our logits with PyTorch reference logits (no arguments: the bundled fixtures)')
    .addOption(new Option('-w, --weights <file>', 'safetensors checkpoint to check').env('VIT_WEIGHTS'))
    .addOption(new Option('-r, --reference <file>', 'safetensors with input [B,3,H,W], logits [B,C] and optionally features [B,D] (made by scripts/reference_logits.py)'))
    .addOption(new Option('-m, --model <name>', "named timm architecture when no config.json sits beside the weights (default: the reference's metadata 'model', else vit_base_patch16_384)"))
    .addOption(configOption())
    .addOption(headsOption())
    .addOption(new Option('--atol <x>', `absolute tolerance (default: the reference's metadata, else ${DEFAULT_TOLERANCE.atol})`).argParser(nonNegativeNumber))
    .addOption(new Option('--rtol <x>', `relative tolerance (default: the reference's metadata, else ${DEFAULT_TOLERANCE.rtol})`).argParser(nonNegativeNumber))
    .addOption(backendOption())
    .addOption(threadsOption())
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addOption(quietOption())
    .action(async (opts: VerifyOpts) => setExitCode(await runVerify(opts, io)));
}

async function runVerify(opts: VerifyOpts, io: CliIO): Promise<number> {
  if ((opts.weights === undefined) !== (opts.reference === undefined)) {
    throw new UsageError('verify: give both --weights and --reference, or neither to check the bundled fixtures');
  }
  const pairs =
    opts.weights !== undefined && opts.reference !== undefined
      ? [{ name: basename(opts.reference), weights: opts.weights, reference: opts.reference }]
      : bundledFixtures();
  const progress = createProgress(io, opts.quiet === true);
  const runs: VerifyRun[] = [];
  try {
    for (const pair of pairs) {
      progress.update(`verifying ${pair.name}`);
      runs.push(await verifyOne(pair, opts));
    }
  } finally {
    progress.stop();
  }
  const passed = runs.every((r) => r.passed);
  if (opts.format === 'json') io.stdout.write(`${JSON.stringify({ passed, runs }, null, 2)}\n`);
  else io.stdout.write(pairs.length === 1 && opts.reference !== undefined ? detailReport(runs[0]) : summaryTable(runs));
  return passed ? EXIT.OK : EXIT.FAILED;
}

function bundledFixtures(): { name: string; weights: string; reference: string }[] {
  const dirs = existsSync(BUNDLED_FIXTURES_DIR) ? readdirSync(BUNDLED_FIXTURES_DIR).sort() : [];
  const pairs = dirs
    .map((name) => ({ name, weights: join(BUNDLED_FIXTURES_DIR, name, 'model.safetensors'), reference: join(BUNDLED_FIXTURES_DIR, name, 'reference.safetensors') }))
    .filter((p) => existsSync(p.weights) && existsSync(p.reference));
  if (pairs.length === 0) throw new UsageError(`verify: no bundled fixtures in ${BUNDLED_FIXTURES_DIR}; pass --weights and --reference`);
  return pairs;
}

async function verifyOne(pair: { name: string; weights: string; reference: string }, opts: VerifyOpts): Promise<VerifyRun> {
  const reference = SafetensorsBuffer.read(pair.reference);
  for (const required of ['input', 'logits']) {
    if (!reference.names.includes(required)) throw new SafetensorsError(pair.reference, `a reference file needs '${required}' (and optionally 'features')`, required);
  }
  const batch = reference.info('input').shape[0];
  const meta = reference.metadata;
  const tolerance: Tolerance = {
    atol: opts.atol ?? metadataNumber(meta.atol) ?? DEFAULT_TOLERANCE.atol,
    rtol: opts.rtol ?? metadataNumber(meta.rtol) ?? DEFAULT_TOLERANCE.rtol,
  };
  const metaModel = meta.model !== undefined && NAMED_MODELS.has(meta.model) ? meta.model : undefined;
  const backend = await createBackend(opts.backend, { threads: opts.threads });
  try {
    const model = await loadVitModel(pair.weights, { backend, configPath: opts.config, model: opts.model ?? metaModel, numHeads: opts.heads, maxBatch: batch });
    const out = model.forward(reference.float32('input'), batch);
    const logits = compareOutputs(out.logits, reference.float32('logits'), batch, tolerance);
    const features = reference.names.includes('features') ? compareOutputs(out.features, reference.float32('features'), batch, tolerance) : undefined;
    const passed = logits.withinTolerance && (features?.withinTolerance ?? true);
    return { name: pair.name, weights: pair.weights, reference: pair.reference, samples: batch, tolerance, logits, features, passed };
  } finally {
    backend.dispose();
  }
}

function metadataNumber(value: string | undefined): number | undefined {
  const n = value === undefined ? NaN : Number(value);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

const e = (x: number) => x.toExponential(1);
const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');

function summaryTable(runs: VerifyRun[]): string {
  const rows = runs.map((r) => [
    r.name,
    e(r.logits.maxAbsDiff),
    r.features ? e(r.features.maxAbsDiff) : '-',
    `${Math.round(r.logits.top5Agreement * r.samples)}/${r.samples}`,
    verdict(r.passed),
  ]);
  const header = ['fixture', 'max|Δ logits|', 'max|Δ features|', 'same top-5', 'result'];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c].length)));
  const line = (cells: string[]) => `${cells.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd()}\n`;
  const passed = runs.filter((r) => r.passed).length;
  const tol = runs[0].tolerance;
  return `${line(header)}${rows.map(line).join('')}${passed}/${runs.length} passed (atol ${tol.atol}, rtol ${tol.rtol})\n`;
}

function detailReport(run: VerifyRun): string {
  const lines = [
    `reference  ${run.reference} (${run.samples} sample${run.samples === 1 ? '' : 's'})`,
    `weights    ${run.weights}`,
    `tolerance  |ours - ref| <= ${run.tolerance.atol} + ${run.tolerance.rtol} * |ref|`,
    '',
    'sample  max|Δ logits|  max rel  cosine      top-1  top-5  result',
  ];
  run.logits.samples.forEach((s, i) => {
    lines.push(
      `${String(i).padEnd(6)}  ${e(s.maxAbsDiff).padEnd(13)}  ${e(s.maxRelDiff).padEnd(7)}  ${s.cosine.toFixed(7).padEnd(10)}  ${(s.top1Agrees ? 'same' : 'DIFF').padEnd(5)}  ${(s.top5Agrees ? 'same' : 'DIFF').padEnd(5)}  ${verdict(s.withinTolerance)}`,
    );
  });
  if (run.features) lines.push('', `features   max|Δ| ${e(run.features.maxAbsDiff)}, min cosine ${run.features.minCosine.toFixed(7)}: ${verdict(run.features.withinTolerance)}`);
  lines.push('', `${verdict(run.passed)}: max|Δ logits| ${e(run.logits.maxAbsDiff)}, top-1 agreement ${run.logits.top1Agreement * 100}%, top-5 agreement ${run.logits.top5Agreement * 100}%`);
  return `${lines.join('\n')}\n`;
}


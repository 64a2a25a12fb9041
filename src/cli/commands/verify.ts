// `vit verify`: run the model on a reference input and compare with PyTorch's logits.
// Without arguments it checks the installation against the bundled parity fixtures.

import { Command, Option } from 'commander';
import { DEFAULT_TOLERANCE, type BackendName, type Precision } from '../../app/constants.js';
import type { VerifyRun } from '../../app/index.js';
import { EXIT, UsageError } from '../errors.js';
import { escapeLines } from '../escape.js';
import type { CliIO } from '../io.js';
import { backendOption, precisionOption, configOption, headsOption, nonNegativeNumber, quietOption, threadsOption, verifyWeightsOption } from '../options.js';
import { createProgress } from '../progress.js';
import { loadApp } from './shared.js';

interface VerifyOpts {
  weights?: string;
  reference?: string;
  model?: string;
  config?: string;
  heads?: number;
  atol?: number;
  rtol?: number;
  backend: BackendName;
  precision: Precision;
  threads?: number;
  format: 'text' | 'json';
  quiet?: boolean;
}

export function verifyCommand(io: CliIO, setExitCode: (code: number) => void): Command {
  return (
    new Command('verify')
      .description('compare our logits with PyTorch reference logits (no arguments: the bundled fixtures)')
      .addOption(verifyWeightsOption())
      .addOption(new Option('-r, --reference <file>', 'safetensors with input [B,3,H,W], logits [B,C] and optionally features [B,D] (made by scripts/reference_logits.py)'))
      .addOption(new Option('-m, --model <name>', "named timm architecture when no config.json sits beside the weights (default: the reference's metadata 'model', else the shapes)"))
      .addOption(configOption())
      .addOption(headsOption())
      .addOption(new Option('--atol <x>', `absolute tolerance (default: the reference's metadata, else ${DEFAULT_TOLERANCE.atol})`).argParser(nonNegativeNumber))
      .addOption(new Option('--rtol <x>', `relative tolerance (default: the reference's metadata, else ${DEFAULT_TOLERANCE.rtol})`).argParser(nonNegativeNumber))
      .addOption(backendOption())
      .addOption(precisionOption())
      .addOption(threadsOption())
      .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
      .addOption(quietOption())
      .action(async (opts: VerifyOpts) => setExitCode(await runVerify(opts, io)))
  );
}

async function runVerify(opts: VerifyOpts, io: CliIO): Promise<number> {
  if ((opts.weights === undefined) !== (opts.reference === undefined)) {
    throw new UsageError('verify: give both --weights and --reference, or neither to check the bundled fixtures');
  }
  const app = await loadApp();
  const single = opts.weights !== undefined && opts.reference !== undefined;
  const pairs = single ? [app.referencePair(opts.weights!, opts.reference!)] : app.bundledFixtures();
  const progress = await createProgress(io, opts.quiet === true);
  const runs: VerifyRun[] = [];
  try {
    for (const pair of pairs) {
      progress.update(`verifying ${pair.name}`);
      const run = await app.verifyPair(pair, opts);
      for (const warning of run.warnings) progress.warn(`vit: warning: ${pair.name}: ${warning}`);
      runs.push(run);
    }
  } finally {
    progress.stop();
  }
  const passed = runs.every((r) => r.passed);
  if (opts.format === 'json') io.stdout.write(`${JSON.stringify({ passed, runs }, null, 2)}\n`);
  else io.stdout.write(escapeLines(single ? detailReport(runs[0]) : summaryTable(runs)));
  return passed ? EXIT.OK : EXIT.FAILED;
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

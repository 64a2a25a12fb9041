// `vit verify`: run the model on a reference input and compare with PyTorch's logits.
// Without arguments it checks the installation against the bundled parity fixtures. With
// --precision int8 it reports agreement with the reference (cosine, top-1, top-5) and judges by
// --min-cosine instead of the tolerances.

import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_AGREEMENT_RULE, DEFAULT_TOLERANCE, type BackendName, type Int8AttentionMode, type Precision } from '../../app/constants.js';
import type { VerifyOptions, VerifyRun } from '../../app/index.js';
import { EXIT, UsageError } from '../errors.js';
import { escapeLines } from '../escape.js';
import type { CliIO } from '../io.js';
import { backendOption, precisionOption, int8AttentionOption, configOption, headsOption, nonNegativeNumber, quietOption, threadsOption, verifyWeightsOption } from '../options.js';
import { createProgress } from '../progress.js';
import { settingOf } from '../option-sources.js';
import { checkInt8Attention, loadApp } from './shared.js';

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
  int8Attention: Int8AttentionMode;
  minCosine?: number;
  int8Norms?: 'fold' | 'keep';
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
      .addOption(int8AttentionOption())
      .addOption(new Option('--min-cosine <x>', `int8: PASS when every image's logit cosine with the reference is at least x (default ${DEFAULT_AGREEMENT_RULE.minCosine})`).argParser(cosine))
      .addOption(new Option('--int8-norms <mode>', 'int8: fold each LayerNorm gamma/beta into the next Linear (default), or keep them').choices(['fold', 'keep']))
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
  checkPrecisionFlags(opts);
  const app = await loadApp();
  const single = opts.weights !== undefined && opts.reference !== undefined;
  const pairs = single ? [app.referencePair(opts.weights!, opts.reference!)] : app.bundledFixtures();
  const progress = await createProgress(io, opts.quiet === true);
  const runs: VerifyRun[] = [];
  try {
    for (const pair of pairs) {
      progress.update(`verifying ${pair.name}`);
      const run = await app.verifyPair(pair, verifyOptions(opts));
      for (const warning of run.warnings) progress.warn(`vit: warning: ${pair.name}: ${warning}`);
      runs.push(run);
    }
  } finally {
    progress.stop();
  }
  const passed = runs.every((r) => r.passed);
  if (opts.format === 'json') io.stdout.write(`${JSON.stringify({ passed, runs }, null, 2)}\n`);
  else if (opts.precision === 'int8') io.stdout.write(escapeLines(single ? agreementDetail(runs[0]) : agreementTable(runs)));
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
  const passed = runs.filter((r) => r.passed).length;
  const tol = runs[0].tolerance;
  return `${table(header, rows)}${passed}/${runs.length} passed (atol ${tol.atol}, rtol ${tol.rtol})\n`;
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

function cosine(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !(n >= -1 && n <= 1)) throw new InvalidArgumentError(`expected a cosine in [-1, 1], received '${value}'`);
  return n;
}

/** The tolerances judge fp32 runs, the agreement rule int8 runs: a flag for the other kind is an error, never ignored. */
function checkPrecisionFlags(opts: VerifyOpts): void {
  checkInt8Attention(opts);
  const int8Only = [opts.minCosine !== undefined && '--min-cosine', opts.int8Norms !== undefined && '--int8-norms'].filter(Boolean);
  const fp32Only = [opts.atol !== undefined && '--atol', opts.rtol !== undefined && '--rtol'].filter(Boolean);
  if (opts.precision !== 'int8' && int8Only.length > 0) {
    throw new UsageError(`verify: ${int8Only.join(' and ')} judge --precision int8 runs; this run has ${settingOf(opts, 'precision', '--precision')} (judged by --atol/--rtol)`);
  }
  if (opts.precision === 'int8' && fp32Only.length > 0) {
    throw new UsageError(`verify: ${fp32Only.join(' and ')} judge --precision fp32 runs; ${settingOf(opts, 'precision', '--precision')} is judged by --min-cosine`);
  }
}

function verifyOptions(opts: VerifyOpts): VerifyOptions {
  const { weights: _w, reference: _r, format: _f, quiet: _q, int8Norms, ...rest } = opts;
  return { ...rest, foldNorms: int8Norms === undefined ? undefined : int8Norms === 'fold' };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const count = (fraction: number, n: number) => `${Math.round(fraction * n)}/${n}`;

function ruleText(run: VerifyRun): string {
  const norms = run.foldNorms ? 'LayerNorms folded into the next Linear' : 'LayerNorms kept';
  return `every image's logit cosine with the reference >= ${run.agreement!.rule.minCosine}; ${norms}; int8 attention ${run.int8Attention}`;
}

function agreementTable(runs: VerifyRun[]): string {
  const rows = runs.map((r) => {
    const a = r.agreement!;
    return [r.name, count(a.top1Agreement, r.samples), pct(a.top5Overlap), count(a.top1InTop5, r.samples), a.minCosine.toFixed(5), a.meanCosine.toFixed(5), e(a.maxAbsDiff), verdict(r.passed)];
  });
  const header = ['fixture', 'top-1', 'top-5 overlap', 'top-1 in top-5', 'min cosine', 'mean cosine', 'max|Δ logits|', 'result'];
  const passed = runs.filter((r) => r.passed).length;
  return `${table(header, rows)}${passed}/${runs.length} passed (int8: ${ruleText(runs[0])})\n`;
}

function agreementDetail(run: VerifyRun): string {
  const a = run.agreement!;
  const rows = a.samples.map((s, i) => [String(i), s.cosine.toFixed(7), e(s.maxAbsDiff), s.top1Same ? 'same' : 'DIFF', pct(s.top5Overlap), s.top1InTop5 ? 'yes' : 'NO', verdict(s.cosine >= a.rule.minCosine)]);
  const lines = [
    `reference  ${run.reference} (${run.samples} sample${run.samples === 1 ? '' : 's'})`,
    `weights    ${run.weights}`,
    `precision  int8: ${ruleText(run)}`,
    '',
    table(['sample', 'cosine', 'max|Δ logits|', 'top-1', 'top-5 overlap', 'top-1 in top-5', 'result'], rows).trimEnd(),
    '',
    `${verdict(run.passed)}: min cosine ${a.minCosine.toFixed(5)} (mean ${a.meanCosine.toFixed(5)}), top-1 agreement ${count(a.top1Agreement, run.samples)}, top-5 overlap ${pct(a.top5Overlap)}, top-1 in top-5 ${count(a.top1InTop5, run.samples)}, max|Δ logits| ${e(a.maxAbsDiff)}`,
  ];
  return `${lines.join('\n')}\n`;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c].length)));
  const line = (cells: string[]) => `${cells.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd()}\n`;
  return `${line(header)}${rows.map(line).join('')}`;
}

// `vit explain <image> --out heat.png`: where the class token looked, as a heat map over the
// original image (attention rollout, or one layer's and head's raw attention with --layer/--head),
// or the grid's numbers with --format json. The work is the application layer's explain().

import { extname } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { Explanation, ExplainTarget, HostThread, Prediction, SourceRect } from '../../app/index.js';
import { UsageError } from '../errors.js';
import { escapeControl, escapeLines } from '../escape.js';
import type { CliIO } from '../io.js';
import {
  autoOrientOption,
  backendOption,
  colourManageOption,
  HUB_HELP,
  labelsOption,
  maxPixelsOption,
  offlineOption,
  quietOption,
  resizeOption,
  threadsOption,
  precisionOption,
  int8AttentionOption,
} from '../options.js';
import { createProgress } from '../progress.js';
import { addModelOptions } from './image-run.js';
import { checkInt8Attention, decodeOptionsOf, loadApp, loadOptionsOf, withHostThread, type ImageFlags, type ModelFlags } from './shared.js';

interface ExplainOpts extends ModelFlags, ImageFlags {
  out?: string;
  layer?: number;
  head?: number;
  alpha?: number;
  format: 'text' | 'json';
  offline?: boolean;
  quiet?: boolean;
}

/** The heat map's opacity without --alpha (app/explain DEFAULT_ALPHA; here so --help loads no app). */
const ALPHA = 0.5;

function nonNegativeInteger(value: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`expected an integer from 0, received '${value}'`);
  return n;
}

function opacity(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !(n >= 0 && n <= 1)) throw new InvalidArgumentError(`expected a number from 0 to 1, received '${value}'`);
  return n;
}

export function explainCommand(io: CliIO): Command {
  const command = new Command('explain')
    .description(
      'draw where the class token looked: attention rollout (Abnar & Zuidema 2020) over every layer, or one layer\'s raw attention, ' +
        'as a viridis heat map (dark violet: least, yellow: most) over the original image',
    )
    .argument('<image>', 'image file')
    .addOption(new Option('-o, --out <file>', 'PNG to write: the original image with the heat map over the part the model saw (required unless --format json)'))
    .addOption(new Option('--layer <n>', "raw attention of this layer (from 0, timm's blocks.N) instead of the rollout; the mean of its heads unless --head").argParser(nonNegativeInteger))
    .addOption(new Option('--head <n>', 'with --layer: this head only (from 0)').argParser(nonNegativeInteger))
    .addOption(new Option('--alpha <a>', `heat map opacity, 0 (invisible) to 1 (opaque) (default: ${ALPHA})`).argParser(opacity))
    .addOption(new Option('-f, --format <format>', 'text: a summary; json: the grid, the geometry and the top classes on stdout').choices(['text', 'json']).default('text'));
  addModelOptions(command)
    .addOption(labelsOption())
    .addOption(threadsOption())
    .addOption(backendOption())
    .addOption(precisionOption())
    .addOption(int8AttentionOption())
    .addOption(resizeOption())
    .addOption(autoOrientOption())
    .addOption(colourManageOption())
    .addOption(maxPixelsOption())
    .addOption(offlineOption())
    .addOption(quietOption());
  return command.addHelpText('after', HUB_HELP).action(async (image: string, opts: ExplainOpts) => runExplain(image, opts, io));
}

/** The request the flags make, or a UsageError naming the flags that conflict. */
function targetOf(opts: ExplainOpts): ExplainTarget {
  if (opts.head !== undefined && opts.layer === undefined) throw new UsageError('--head needs --layer: the layer whose head to show (the rollout mixes every head)');
  return opts.layer === undefined ? { kind: 'rollout' } : { kind: 'attention', layer: opts.layer, head: opts.head };
}

async function runExplain(image: string, opts: ExplainOpts, io: CliIO): Promise<void> {
  const target = targetOf(opts);
  const { out } = opts;
  if (out === undefined && opts.format !== 'json') throw new UsageError('give --out <file.png> for the heat map, or --format json for the numbers');
  if (out === undefined && opts.alpha !== undefined) throw new UsageError('--alpha sets the heat map opacity: it needs --out <file.png>');
  if (out !== undefined && extname(out).toLowerCase() !== '.png') throw new UsageError(`--out ${out}: the heat map is written as PNG: give a .png file name`);
  checkInt8Attention(opts);
  await withHostThread(opts, (takeHost) => explainWithHost(image, target, out, opts, io, takeHost));
}

/** runExplain's work once the model's host thread is started; `takeHost` hands it to loadModel. */
async function explainWithHost(image: string, target: ExplainTarget, out: string | undefined, opts: ExplainOpts, io: CliIO, takeHost: () => HostThread): Promise<void> {
  const app = await loadApp();
  // A path that cannot be written is refused before the model runs, not after.
  if (out !== undefined) app.checkOutputPath(out, 'the heat map');
  const progress = await createProgress(io, opts.quiet === true);
  try {
    const classifier = await app.loadModel({ ...loadOptionsOf(app, opts, io, progress), host: takeHost() });
    try {
      for (const warning of classifier.warnings) progress.warn(`vit: warning: ${warning}`);
      progress.update(`explaining ${image}`);
      let explanation: Explanation;
      try {
        explanation = await app.explain(classifier, image, { target, decode: decodeOptionsOf(opts), resize: opts.resize });
      } catch (e) {
        if (e instanceof app.ExplainOptionError) throw new UsageError(`--${e.option} ${e.value} is out of range: ${e.reason}`);
        throw e;
      }
      const alpha = opts.alpha ?? app.DEFAULT_ALPHA;
      if (out !== undefined) await app.writeExplanationPng(explanation, out, alpha);
      progress.stop();
      const predictions = app.topPredictions(explanation.logits, classifier.labels, Math.min(5, classifier.model.config.numClasses));
      const model = classifier.model.resolved.name;
      if (opts.format === 'json') io.stdout.write(`${JSON.stringify(explanationJson(image, model, explanation, predictions, out, alpha))}\n`);
      else io.stdout.write(escapeLines(summary(image, model, explanation, predictions[0], out, alpha)));
    } finally {
      classifier.dispose();
    }
  } finally {
    progress.stop();
  }
}

function describeTarget(target: ExplainTarget): string {
  if (target.kind === 'rollout') return 'attention rollout over every layer';
  return `layer ${target.layer}, ${target.head === undefined ? 'mean of the heads' : `head ${target.head}`}`;
}

/** Six significant digits: the grid's values are float32 probabilities at heart. */
const round = (v: number) => Number(v.toPrecision(6));

function explanationJson(image: string, model: string, e: Explanation, predictions: Prediction[], out: string | undefined, alpha: number) {
  const [rows, cols] = e.gridSize;
  const values = Array.from({ length: rows }, (_, r) => Array.from(e.grid.subarray(r * cols, (r + 1) * cols), round));
  const target = e.target.kind === 'rollout' ? { method: 'rollout' } : { method: 'attention', layer: e.target.layer, head: e.target.head ?? 'mean' };
  const { sourceSize, resizeSize, resizeInterpolation, cropBox } = e.geometry;
  const rect = (r: SourceRect) => ({ left: round(r.left), top: round(r.top), width: round(r.width), height: round(r.height) });
  return {
    image,
    model,
    ...target,
    grid: { rows, cols, values },
    geometry: { sourceSize, resizeSize, resizeInterpolation, cropBox, cropInSource: rect(e.crop), seen: rect(e.seen) },
    predictions,
    ...(out === undefined ? {} : { out, colormap: 'viridis', alpha }),
  };
}

function summary(image: string, model: string, e: Explanation, top: Prediction | undefined, out: string | undefined, alpha: number): string {
  const [rows, cols] = e.gridSize;
  const { peak, seen } = e;
  const [w, h] = e.geometry.sourceSize;
  // Names are escaped one by one (a newline in one must not make a line of its own), then the lines.
  const fmt = (v: number) => String(Math.round(v * 10) / 10);
  return [
    `image       ${escapeControl(image)} (${w} x ${h})`,
    `model       ${escapeControl(model)}`,
    `explained   ${describeTarget(e.target)}: the class token's attention to ${rows} x ${cols} patches`,
    ...(top === undefined ? [] : [`top class   ${escapeControl(top.label)} (${top.probability.toFixed(3)})`]),
    `peak        row ${peak.row}, column ${peak.col}: ${peak.value.toPrecision(3)} (${(peak.value / e.mean).toFixed(1)} x the mean)`,
    `model saw   x ${fmt(seen.left)}..${fmt(seen.left + seen.width)}, y ${fmt(seen.top)}..${fmt(seen.top + seen.height)} of the original; the rest is left as it is`,
    ...(out === undefined ? [] : [`wrote       ${escapeControl(out)} (viridis: dark violet least, yellow most; alpha ${alpha})`]),
    '',
  ].join('\n');
}

// `vit info [--weights W | --model M]`: what a request resolves to (architecture, parameters,
// preprocessing, labels, and where each came from), and for a checkpoint its file, tensors and
// metadata. Never downloads.

import { Command, Option } from 'commander';
import type { ModelDescription, VitConfig } from '../../app/index.js';
import { escapeLines } from '../escape.js';
import type { CliIO } from '../io.js';
import { addPreprocessOptions, configOption, headsOption, HUB_HELP, localWeightsOption, modelOption } from '../options.js';
import { describePreprocessing, imgSizeOf, loadApp, preprocessOverridesOf, type App, type PreprocessFlags } from './shared.js';

interface InfoOpts extends PreprocessFlags {
  weights?: string;
  model?: string;
  config?: string;
  heads?: number;
  tensors?: boolean;
  format: 'text' | 'json';
}

export function infoCommand(io: CliIO): Command {
  const command = new Command('info')
    .description('describe a checkpoint (--weights) or a named model: architecture, parameters, preprocessing, where each setting came from')
    .addOption(localWeightsOption())
    .addOption(modelOption())
    .addOption(configOption())
    .addOption(headsOption());
  return addPreprocessOptions(command)
    .addOption(new Option('--tensors', 'list every tensor with its dtype and shape'))
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText('after', HUB_HELP)
    .action(async (opts: InfoOpts) => runInfo(opts, io));
}

async function runInfo(opts: InfoOpts, io: CliIO): Promise<void> {
  const app = await loadApp();
  const description = await app.describeModel({ weights: opts.weights, model: opts.model, config: opts.config, heads: opts.heads, preprocess: preprocessOverridesOf(opts), imgSize: imgSizeOf(opts) });
  io.stdout.write(opts.format === 'json' ? `${JSON.stringify(infoJson(description, opts.tensors === true), null, 2)}\n` : escapeLines(infoText(app, description, opts.tensors === true)));
  // Last, so the description above is still shown for a checkpoint that does not fit.
  if (description.mismatch !== undefined) throw description.mismatch;
}

function infoText(app: App, d: ModelDescription, listTensors: boolean): string {
  const { model } = d;
  const c = model.config;
  const p = model.provenance;
  const lines = [
    `model         ${model.name}`,
    `architecture  ${architectureLine(app, c)}`,
    `              from ${p.architecture}${p.heads !== p.architecture ? `; heads from ${p.heads}` : ''}`,
    `classes       ${c.numClasses === 0 ? '0 (no classifier head: a feature extractor)' : c.numClasses}`,
    `labels        ${p.labels}`,
    `parameters    ${d.parameters.toLocaleString('en-US')}`,
    ...describePreprocessing(model.preprocess, model.name)
      .slice(1)
      .map((line) => line.replace(/^(\S+)\s+/, (_, key: string) => `${key.padEnd(14)}`)),
    `              from ${p.preprocessing}`,
    ...model.notes.map((n) => `note          ${n}`),
  ];
  for (const file of model.configFiles ?? []) lines.push(`config        ${file}`);
  if (model.hub !== undefined) lines.push(`hub           ${model.hub.repo}@${model.hub.revision}`);
  lines.push(`weights       ${p.weights}`);
  const ck = d.checkpoint;
  if (ck !== undefined) {
    const layout = model.layout !== undefined ? `, ${app.LAYOUT_TITLES[model.layout]} layout` : '';
    lines.push(`checkpoint    ${ck.path} (${app.formatBytes(ck.bytes)}, ${ck.tensors.length} tensors, ${ck.dtypes.join('/')}${layout})`);
    for (const [key, value] of Object.entries(ck.metadata)) lines.push(`metadata      ${key} = ${value}`);
    if (listTensors) {
      const width = Math.max(...ck.tensors.map((t) => t.name.length));
      lines.push('tensors');
      for (const t of ck.tensors) lines.push(`  ${t.name.padEnd(width)}  ${t.dtype.padEnd(4)}  [${t.shape.join(', ')}]`);
    }
  }
  for (const warning of model.warnings) lines.push(`warning       ${warning}`);
  return `${lines.join('\n')}\n`;
}

function architectureLine(app: App, c: VitConfig): string {
  return `ViT, ${c.imgSize} px, patch ${c.patchSize} (${app.tokensOf(c)} tokens), width ${c.embedDim}, depth ${c.depth}, ${c.numHeads} heads of ${app.headDimOf(c)}, MLP ${c.mlpHiddenDim}, qkv bias ${c.qkvBias ? 'yes' : 'no'}, LayerNorm eps ${c.layerNormEps.toExponential()}`;
}

function infoJson(d: ModelDescription, listTensors: boolean) {
  const { model } = d;
  const checkpoint =
    d.checkpoint === undefined
      ? undefined
      : {
          path: d.checkpoint.path,
          bytes: d.checkpoint.bytes,
          tensors: d.checkpoint.tensors.length,
          dtypes: d.checkpoint.dtypes,
          metadata: d.checkpoint.metadata,
          layout: model.layout,
          list: listTensors ? d.checkpoint.tensors : undefined,
        };
  return {
    model: { name: model.name, config: model.config, parameters: d.parameters, preprocess: model.preprocess, notes: model.notes, provenance: model.provenance },
    hub: model.hub ?? null,
    checkpoint: checkpoint ?? null,
  };
}

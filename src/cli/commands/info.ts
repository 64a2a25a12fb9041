// `vit info [--weights W | --model M]`: architecture, parameter count, tensors, dtype,
// metadata and preprocessing of a checkpoint or a named model, and where its weights are.

import { statSync } from 'node:fs';
import { Command, Option } from 'commander';
import { ensureModelFiles, formatBytes, HubError, resolveModelId } from '../../hub/index.js';
import { headDimOf, tokensOf, type VitConfig } from '../../model/config.js';
import { resolveArchitecture } from '../../model/load.js';
import { architectureOf, lookupNamedModel, type ResolvedModel } from '../../model/resolve-config.js';
import { CheckpointSource, LAYOUT_TITLES } from '../../model/layouts/index.js';
import { countParameters } from '../../model/weights.js';
import type { CliIO } from '../io.js';
import { configOption, headsOption, modelOption, weightsOption } from '../options.js';
import { describePreprocessing } from './shared.js';

interface InfoOpts {
  weights?: string;
  model: string;
  config?: string;
  heads?: number;
  tensors?: boolean;
  format: 'text' | 'json';
}

export function infoCommand(io: CliIO): Command {
  return new Command('info')
    .description('describe a checkpoint (--weights) or a named model: architecture, parameters, tensors, preprocessing')
    .addOption(weightsOption())
    .addOption(modelOption())
    .addOption(configOption())
    .addOption(headsOption())
    .addOption(new Option('--tensors', 'list every tensor with its dtype and shape'))
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (opts: InfoOpts) => (opts.weights !== undefined ? infoForWeights(opts.weights, opts, io) : infoForModel(opts, io)));
}

function infoForWeights(path: string, opts: InfoOpts, io: CliIO): void {
  const source = CheckpointSource.open(path);
  try {
    const tensors = [...source.stored.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
    const options = { configPath: opts.config, model: architectureOf(opts.model), numHeads: opts.heads };
    const resolved = resolveArchitecture(path, source.storedShapes, options, source.naming);
    const dtypes = [...new Set(tensors.map(([, t]) => t.dtype))].sort();
    const bytes = statSync(path).size;
    const layout = resolved.layout ?? source.layout;
    if (opts.format === 'json') {
      const tensorList = opts.tensors ? tensors.map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape })) : undefined;
      const weights = { path, bytes, tensors: tensors.length, dtypes, metadata: source.metadata, layout };
      io.stdout.write(`${JSON.stringify({ weights, model: modelJson(resolved), tensors: tensorList }, null, 2)}\n`);
    } else {
      const lines = describeModel(resolved);
      lines.push(`weights       ${path} (${formatBytes(bytes)}, ${tensors.length} tensors, ${dtypes.join('/')}, ${LAYOUT_TITLES[layout]} layout)`);
      for (const [key, value] of Object.entries(source.metadata)) lines.push(`metadata      ${key} = ${value}`);
      if (opts.tensors) {
        const width = Math.max(...tensors.map(([name]) => name.length));
        lines.push('tensors');
        for (const [name, t] of tensors) lines.push(`  ${name.padEnd(width)}  ${t.dtype.padEnd(4)}  [${t.shape.join(', ')}]`);
      }
      io.stdout.write(`${lines.join('\n')}\n`);
    }
    // Last, so the description above is still shown for a checkpoint that does not fit.
    source.check(resolved.config, `${resolved.name} (${resolved.origin})`);
  } finally {
    source.close();
  }
}

async function infoForModel(opts: InfoOpts, io: CliIO): Promise<void> {
  const spec = lookupNamedModel(architectureOf(opts.model));
  const resolved: ResolvedModel = { ...spec, origin: 'named model', notes: [] };
  const hub = resolveModelId(opts.model);
  let cached: string | undefined;
  try {
    cached = (await ensureModelFiles(opts.model, { offline: true })).weightsPath;
  } catch (e) {
    if (!(e instanceof HubError)) throw e;
  }
  if (opts.format === 'json') {
    io.stdout.write(`${JSON.stringify({ model: modelJson(resolved), hub: { repo: hub.repo, revision: hub.revision, cached: cached ?? null } }, null, 2)}\n`);
    return;
  }
  const lines = describeModel(resolved);
  lines.push(`hub           ${hub.repo}@${hub.revision} (${cached === undefined ? 'not in the cache: `vit download` fetches it' : `cached: ${cached}`})`);
  io.stdout.write(`${lines.join('\n')}\n`);
}

function describeModel(resolved: ResolvedModel): string[] {
  const c = resolved.config;
  return [
    `model         ${resolved.name} (${resolved.origin})`,
    `architecture  ${architectureLine(c)}`,
    `classes       ${c.numClasses}`,
    `parameters    ${countParameters(c).toLocaleString('en-US')}`,
    ...describePreprocessing(resolved.preprocess, resolved.name)
      .slice(1)
      .map((line) => line.replace(/^(\S+)\s+/, (_, key: string) => `${key.padEnd(14)}`)),
    ...resolved.notes.map((n) => `note          ${n}`),
  ];
}

function architectureLine(c: VitConfig): string {
  return `ViT, ${c.imgSize} px, patch ${c.patchSize} (${tokensOf(c)} tokens), width ${c.embedDim}, depth ${c.depth}, ${c.numHeads} heads of ${headDimOf(c)}, MLP ${c.mlpHiddenDim}, qkv bias ${c.qkvBias ? 'yes' : 'no'}, LayerNorm eps ${c.layerNormEps.toExponential()}`;
}

function modelJson(resolved: ResolvedModel) {
  return { name: resolved.name, origin: resolved.origin, config: resolved.config, parameters: countParameters(resolved.config), preprocess: resolved.preprocess, notes: resolved.notes };
}

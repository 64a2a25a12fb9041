// `vit models`: the named models, their size, hub repository, and whether they are in the cache.

import { Command, Option } from 'commander';
import type { ModelListing } from '../../app/index.js';
import type { CliIO } from '../io.js';
import { HUB_HELP } from '../options.js';
import { loadApp } from './shared.js';

const MODELS_FORMATS = ['text', 'json'] as const;

export function modelsCommand(io: CliIO): Command {
  return new Command('models')
    .description("list the named models: parameters, image size, patch, the default tag's hub repository, and whether it is in the cache (never downloads)")
    .addOption(new Option('-f, --format <format>', 'output format').choices(MODELS_FORMATS).default('text'))
    .addHelpText('after', HUB_HELP)
    .action(async (opts: { format: (typeof MODELS_FORMATS)[number] }) => {
      const app = await loadApp();
      const models = await app.listModels();
      io.stdout.write(opts.format === 'json' ? `${JSON.stringify(models, null, 2)}\n` : modelsTable(models));
    });
}

/** An aligned table: names and repositories left-aligned, numbers right-aligned; the default model starred. */
export function modelsTable(models: readonly ModelListing[]): string {
  const header = ['model', 'params', 'image', 'patch', 'hub repository (default tag)', 'cached'];
  const rows = models.map((m) => [
    `${m.name}${m.isDefault ? ' *' : ''}`,
    `${(m.parameters / 1e6).toFixed(1)}M`,
    String(m.imageSize),
    String(m.patchSize),
    m.repo,
    m.cached ? 'yes' : 'no',
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const right = [false, true, true, true, false, false];
  const line = (cells: string[]) => `${cells.map((cell, c) => (right[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd()}\n`;
  return `${[header, ...rows].map(line).join('')}* the default model\n`;
}

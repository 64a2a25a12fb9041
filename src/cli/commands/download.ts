// `vit download [model]`: fetch a model's weights (and config.json) into the Hugging Face cache.

import { Command } from 'commander';
import { DEFAULT_MODEL } from '../../app/constants.js';
import { escapeControl } from '../escape.js';
import type { CliIO } from '../io.js';
import { HUB_HELP, offlineOption, quietOption } from '../options.js';
import { createProgress } from '../progress.js';
import { hubOptionsFor, loadApp } from './shared.js';

export function downloadCommand(io: CliIO): Command {
  return new Command('download')
    .description('download pretrained weights into the Hugging Face cache (shared with Python); prints their paths')
    .argument('[model]', 'timm model name, name.tag or hf-hub:ORG/NAME[@REV]', DEFAULT_MODEL)
    .addOption(offlineOption())
    .addOption(quietOption())
    .addHelpText('after', HUB_HELP)
    .action(async (model: string, opts: { offline?: boolean; quiet?: boolean }) => {
      const app = await loadApp();
      const progress = await createProgress(io, opts.quiet === true);
      progress.update(`fetching ${model}`);
      try {
        const files = await app.downloadModel(model, hubOptionsFor(app, opts, io, progress));
        progress.stop();
        for (const warning of files.warnings) io.stderr.write(`${escapeControl(`warning: ${warning}`)}\n`);
        io.stdout.write(`${escapeControl(`weights  ${files.weightsPath}`)}\n`);
        if (files.configPath !== undefined) io.stdout.write(`${escapeControl(`config   ${files.configPath}`)}\n`);
        io.stdout.write(`source   ${files.repo}@${files.commit}${files.fromCache ? ' (already in the cache)' : ''}\n`);
      } finally {
        progress.stop();
      }
    });
}

// The `vit` command line: parse, call the application layer, print, map errors to exit codes.
// `main` never calls process.exit, so tests run it in-process with their own streams. The
// application layer (sharp, WebAssembly, the hub client) is imported by each command's action
// only, so `vit --version` and `vit --help` start fast.

import { Command, CommanderError } from 'commander';
import { VERSION } from '../app/constants.js';
import { classifyCommand } from './commands/classify.js';
import { downloadCommand } from './commands/download.js';
import { embedCommand } from './commands/embed.js';
import { enqueueCommand } from './commands/enqueue.js';
import { explainCommand } from './commands/explain.js';
import { infoCommand } from './commands/info.js';
import { modelsCommand } from './commands/models.js';
import { preprocessCommand } from './commands/preprocess.js';
import { serveCommand } from './commands/serve.js';
import { verifyCommand } from './commands/verify.js';
import { workerCommand } from './commands/worker.js';
import { classifyError, EXIT, EXIT_CODES_HELP, UsageError } from './errors.js';
import { escapeControl } from './escape.js';
import { rememberOptionSources } from './option-sources.js';
import { processIO, type CliIO } from './io.js';

export async function main(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  let exitCode: number = EXIT.OK;
  const setExitCode = (code: number) => {
    exitCode = code;
  };
  const program = new Command('vit')
    .description('Vision Transformer (timm ViT) image classifier: a from-scratch TypeScript forward pass, numerically equal to PyTorch')
    .version(VERSION)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .showHelpAfterError('(run vit --help for usage)')
    .addHelpText('after', EXIT_CODES_HELP)
    // Messages about a setting name where it came from (a flag or an environment variable).
    .hook('preAction', (_program, action) => rememberOptionSources(action));
  const commands = [
    classifyCommand(io, setExitCode),
    embedCommand(io, setExitCode),
    explainCommand(io),
    verifyCommand(io, setExitCode),
    preprocessCommand(io),
    infoCommand(io),
    modelsCommand(io),
    downloadCommand(io),
    serveCommand(io, setExitCode),
    workerCommand(io, setExitCode),
    enqueueCommand(io, setExitCode),
  ];
  for (const command of commands) {
    program.addCommand(command.copyInheritedSettings(program).addHelpText('after', EXIT_CODES_HELP));
  }
  if (argv.length === 0) {
    program.outputHelp({ error: true });
    return EXIT.USAGE;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    const kind = error instanceof CommanderError || error instanceof UsageError ? undefined : (await import('../app/errors.js')).errorKind(error);
    const reported = classifyError(error, kind);
    // commander has already printed its own message.
    if (!(error instanceof CommanderError)) io.stderr.write(`vit: ${escapeControl(reported.message)}\n`);
    if (process.env.VIT_DEBUG && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
    return reported.exitCode;
  }
}

/**
 * For the real process: a reader that closes the pipe early (`vit ... | head`) ends the run
 * quietly with the exit code so far; any other failure to write (a full disk, `> /dev/full`) is
 * one line on stderr and exit 74. `exit` ends the process.
 */
export function guardOutputStreams(exit: (code: number) => void, io: CliIO = processIO()): void {
  for (const [name, stream] of [
    ['stdout', io.stdout],
    ['stderr', io.stderr],
  ] as const) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') return exit(typeof process.exitCode === 'number' ? process.exitCode : EXIT.OK);
      if (name === 'stdout') io.stderr.write(`vit: cannot write the results to stdout: ${error.code ?? error.message}\n`);
      exit(EXIT.OUTPUT);
    });
  }
}

// One place that turns an error into a one-line message and an exit code.
//   0 success; 1 some inputs failed or verify found a mismatch; 2 usage error;
//   3 weights, model, labels or download problem; 69 Redis unreachable (worker, enqueue); 70 internal error (a bug); 74 output not written.

import { CommanderError } from 'commander';
import type { ErrorKind } from '../app/errors.js';

export const EXIT = {
  OK: 0,
  FAILED: 1,
  USAGE: 2,
  MODEL: 3,
  UNAVAILABLE: 69,
  INTERNAL: 70,
  OUTPUT: 74,
} as const;

export const EXIT_CODES_HELP = `
Exit codes:
  0   success
  1   some inputs failed (each is reported; the others still get results), or verify found a mismatch
  2   usage error (unknown option, bad value)
  3   weights, model, config, labels, reference or download problem (also a flag that contradicts the checkpoint)
  69  Redis could not be reached or went away (worker, enqueue)
  70  internal error (a bug: please report it with VIT_DEBUG=1 output)
  74  output could not be written (a missing folder, a full disk); a closed pipe (| head) is not an error`;

/** A mistake in how the command was called. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export interface ReportedError {
  exitCode: number;
  message: string;
}

const EXIT_OF_KIND: Readonly<Record<ErrorKind, number>> = { model: EXIT.MODEL, input: EXIT.FAILED, output: EXIT.OUTPUT, usage: EXIT.USAGE, unavailable: EXIT.UNAVAILABLE };

/** `kind` is the application layer's judgement of a non-CLI error (app/errors.ts). */
export function classifyError(error: unknown, kind: ErrorKind | undefined): ReportedError {
  if (error instanceof CommanderError) return { exitCode: error.exitCode === 0 ? EXIT.OK : EXIT.USAGE, message: error.message };
  if (error instanceof UsageError) return { exitCode: EXIT.USAGE, message: error.message };
  if (kind !== undefined) return { exitCode: EXIT_OF_KIND[kind], message: (error as Error).message };
  const message = error instanceof Error ? error.message : String(error);
  return { exitCode: EXIT.INTERNAL, message: `internal error: ${message}` };
}

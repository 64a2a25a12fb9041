// One place that turns an error into a one-line message and an exit code.
//   0 success; 1 some inputs failed or verify found a mismatch; 2 usage error;
//   3 weights, model, labels or download problem; 70 internal error (a bug).

import { CommanderError } from 'commander';
import { HubError } from '../hub/index.js';
import { ImageDecodeError } from '../image/index.js';
import { LabelsError } from '../labels.js';
import { ConfigError } from '../model/config.js';
import { WeightsError } from '../model/weights.js';
import { SafetensorsError } from '../safetensors/index.js';

export const EXIT = {
  OK: 0,
  FAILED: 1,
  USAGE: 2,
  MODEL: 3,
  INTERNAL: 70,
} as const;

export const EXIT_CODES_HELP = `
Exit codes:
  0   success
  1   some inputs failed (each is reported; the others still get results), or verify found a mismatch
  2   usage error (unknown option, bad value)
  3   weights, model, labels or download problem
  70  internal error (a bug: please report it with VIT_DEBUG=1 output)`;

/** A mistake in how the command was called. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export interface ReportedError {
  exitCode: number;
  message: string;
}

export function classifyError(error: unknown): ReportedError {
  if (error instanceof CommanderError) return { exitCode: error.exitCode === 0 ? EXIT.OK : EXIT.USAGE, message: error.message };
  if (error instanceof UsageError) return { exitCode: EXIT.USAGE, message: error.message };
  if (
    error instanceof WeightsError ||
    error instanceof ConfigError ||
    error instanceof SafetensorsError ||
    error instanceof LabelsError ||
    error instanceof HubError
  ) {
    return { exitCode: EXIT.MODEL, message: error.message };
  }
  if (error instanceof ImageDecodeError) return { exitCode: EXIT.FAILED, message: error.message };
  const message = error instanceof Error ? error.message : String(error);
  return { exitCode: EXIT.INTERNAL, message: `internal error: ${message}` };
}

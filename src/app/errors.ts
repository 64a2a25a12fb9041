// What kind of problem an error is, for whoever reports it (the CLI maps kinds to exit codes, a
// service to HTTP statuses). Every error the application layer raises on purpose has a kind;
// anything else is a bug.

import { BackendUnavailableError } from '../backend/index.js';
import { WeightsError } from '../checkpoint/index.js';
import { HubError } from '../hub/index.js';
import { ImageDecodeError, PreprocessConfigError } from '../image/errors.js';
import { SafetensorsError } from '../safetensors/index.js';
import { ConfigError } from '../vit/config.js';
import { NonFiniteOutputError } from './classifier.js';
import { ExplainOptionError, NonFiniteAttentionError } from './explain/errors.js';
import { InputListError } from './inputs.js';
import { LabelsError } from './labels.js';
import { QueueSettingError, QueueUnavailableError } from './queue/settings.js';
import { PreprocessOverrideError } from './resolve-model.js';
import { ListenError } from './serve/listen-error.js';
import { WeightCacheSettingError } from './weight-cache.js';

/**
 * 'model': weights, config, labels, reference or download problem (exit 3);
 * 'input': an image that could not be used (exit 1);
 * 'output': a result that could not be written (exit 74, sysexits' EX_IOERR);
 * 'usage': the request itself is unusable (exit 2), e.g. a list of inputs beyond the limits, or a
 *   host and port the server cannot listen on, a file given to --resume that is not a run's output;
 * 'unavailable': a service the command needs cannot be reached (Redis for worker and enqueue: exit 69, sysexits' EX_UNAVAILABLE);
 * undefined: not an expected error (a bug).
 */
export type ErrorKind = 'model' | 'input' | 'output' | 'usage' | 'unavailable';

/** A result file that could not be written (a missing folder, a directory, a full disk). */
export class OutputError extends Error {
  override name = 'OutputError';
}

/** A file given to --resume that cannot be one: too large, or not the command's ndjson records (app/resume.ts). */
export class ResumeFileError extends Error {
  override name = 'ResumeFileError';
}

const WRITE_FAILURES: Readonly<Record<string, string>> = {
  ENOENT: 'no such folder',
  EISDIR: 'is a directory',
  EACCES: 'permission denied',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  ENOTDIR: 'a part of the path is not a directory',
  EIO: 'input/output error',
};

/** The OutputError for a failed write of `path` (`what` says what was being written). */
export function outputError(path: string, what: string, error: unknown): OutputError {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  return new OutputError(`${path}: cannot write ${what}: ${WRITE_FAILURES[code] ?? (code || String(error))}`);
}

export function errorKind(error: unknown): ErrorKind | undefined {
  // A bad HF_* variable (a timeout that is not a number, an endpoint with a password) is a bad value, like a bad flag.
  if (error instanceof HubError && error.code === 'INVALID_SETTING') return 'usage';
  if (
    error instanceof WeightsError ||
    error instanceof ConfigError ||
    error instanceof SafetensorsError ||
    error instanceof LabelsError ||
    error instanceof HubError
  ) {
    return 'model';
  }
  if (error instanceof PreprocessConfigError) return 'model'; // a preprocessing that a library caller configured
  if (error instanceof ImageDecodeError || error instanceof NonFiniteOutputError || error instanceof NonFiniteAttentionError) return 'input';
  if (error instanceof OutputError) return 'output';
  if (error instanceof BackendUnavailableError || error instanceof InputListError || error instanceof ListenError || error instanceof PreprocessOverrideError || error instanceof ResumeFileError || error instanceof ExplainOptionError || error instanceof WeightCacheSettingError) return 'usage';
  if (error instanceof QueueSettingError) return 'usage';
  if (error instanceof QueueUnavailableError) return 'unavailable';
  return undefined;
}

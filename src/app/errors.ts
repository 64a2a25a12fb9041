// What kind of problem an error is, for whoever reports it (the CLI maps kinds to exit codes, a
// service to HTTP statuses). Every error the application layer raises on purpose has a kind;
// anything else is a bug.

import { WeightsError } from '../checkpoint/index.js';
import { HubError } from '../hub/index.js';
import { ImageDecodeError } from '../image/errors.js';
import { SafetensorsError } from '../safetensors/index.js';
import { ConfigError } from '../vit/config.js';
import { NonFiniteOutputError } from './classifier.js';
import { LabelsError } from './labels.js';

/**
 * 'model': weights, config, labels, reference or download problem (exit 3);
 * 'input': an image that could not be used (exit 1);
 * undefined: not an expected error (a bug).
 */
export type ErrorKind = 'model' | 'input';

export function errorKind(error: unknown): ErrorKind | undefined {
  if (
    error instanceof WeightsError ||
    error instanceof ConfigError ||
    error instanceof SafetensorsError ||
    error instanceof LabelsError ||
    error instanceof HubError
  ) {
    return 'model';
  }
  if (error instanceof ImageDecodeError || error instanceof NonFiniteOutputError) return 'input';
  return undefined;
}

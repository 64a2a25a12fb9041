// Options shared by several commands, declared once: default, choices, environment variable
// and parser, so that `--help` tells the truth by itself.

import { availableParallelism } from 'node:os';
import { InvalidArgumentError, Option } from 'commander';
import { BACKEND_NAMES } from '../backend/index.js';
import { DEFAULT_MODEL } from '../model/config.js';

export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError(`expected a positive integer, received '${value}'`);
  }
  return n;
}

export function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`expected a non-negative number, received '${value}'`);
  return n;
}

export const weightsOption = () =>
  new Option('-w, --weights <file>', 'safetensors checkpoint (timm layout); without it the model is taken from the Hugging Face cache, downloading it if needed').env(
    'VIT_WEIGHTS',
  );

export const modelOption = () =>
  new Option('-m, --model <name>', "timm model name, name.tag or hf-hub:ORG/NAME[@REV]; with --weights it names the architecture ('auto' infers it)")
    .default(DEFAULT_MODEL)
    .env('VIT_MODEL');

export const configOption = () =>
  new Option('--config <file>', 'timm config.json to use (default: config.json beside the weights)').env('VIT_CONFIG');

export const headsOption = () =>
  new Option('--heads <n>', 'attention heads, when the architecture is inferred from the weights').argParser(positiveInteger).env('VIT_HEADS');

export const backendOption = () =>
  new Option('--backend <name>', 'kernels: auto (WebAssembly SIMD, relaxed-SIMD FMA when available), wasm (plain SIMD only) or ref (TypeScript reference, slow)')
    .choices(BACKEND_NAMES)
    .default('auto')
    .env('VIT_BACKEND');

export const threadsOption = () =>
  new Option('-t, --threads <n>', 'worker threads').argParser(positiveInteger).default(availableParallelism(), 'number of cores').env('VIT_THREADS');

export const quietOption = () => new Option('-q, --quiet', 'no progress display on stderr').env('VIT_QUIET');

export const offlineOption = () => new Option('--offline', 'never use the network: weights must already be in the cache (also HF_HUB_OFFLINE=1)');

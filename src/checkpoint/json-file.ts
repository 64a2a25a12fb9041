// Reading a JSON config file (config.json, preprocessor_config.json) with errors that say which.

import { readRegularFile } from '../util/regular-file.js';
import { ConfigError } from '../vit/config.js';

/** The largest config file read (timm's and transformers' are a few kB; id2label for 22k classes under 1 MB). */
export const MAX_CONFIG_BYTES = 16 * 2 ** 20;

export function readJsonFile(path: string): unknown {
  const text = readRegularFile(path, MAX_CONFIG_BYTES, (problem) => new ConfigError(`${path}: config file: ${problem}`)).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${path}: not valid JSON (${(e as Error).message})`);
  }
}

/** A JSON object's fields, or a ConfigError naming the file. */
export function jsonObject(json: unknown, source: string): Record<string, unknown> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ConfigError(`${source}: expected a JSON object`);
  return json as Record<string, unknown>;
}

/** A positive integer field, `fallback` when absent. */
export function intField(obj: Record<string, unknown>, key: string, fallback: number, source: string): number {
  const v = obj[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new ConfigError(`${source}: ${key} must be a positive integer, found ${JSON.stringify(v)}`);
  return v;
}

export function boolField(obj: Record<string, unknown>, key: string, fallback: boolean, source: string): boolean {
  const v = obj[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') throw new ConfigError(`${source}: ${key} must be true or false, found ${JSON.stringify(v)}`);
  return v;
}

/** A side length given as an int or a square [h, w] pair (ViTs here are square). */
export function sideField(obj: Record<string, unknown>, key: string, fallback: number, source: string): number {
  const v = obj[key];
  if (!Array.isArray(v)) return intField(obj, key, fallback, source);
  if (v.length !== 2 || v[0] !== v[1]) throw new ConfigError(`${source}: ${key} ${JSON.stringify(v)} is not square; only square ViTs are supported`);
  return intField({ [key]: v[0] }, key, fallback, source);
}

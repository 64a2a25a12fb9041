// Reading a JSON config file (config.json, preprocessor_config.json) with errors that say which.

import { readFileSync } from 'node:fs';
import { ConfigError } from '../vit/config.js';

export function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`${path}: cannot read the config file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
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

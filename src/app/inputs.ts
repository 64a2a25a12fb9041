// Turning the command line's inputs into a list of image files: files as given, directories
// expanded to the images inside (sorted; recursively with --recursive), `-` read as one path
// per line from stdin. A bad input becomes a per-file error, never the end of the batch.

import { readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { Readable } from 'node:stream';

export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.jpe', '.png', '.webp', '.avif', '.gif', '.tif', '.tiff']);

/** Why an input could not be classified: a documented code and a one-line message naming it. */
export interface InputError {
  code: string;
  message: string;
}

export type InputItem = { path: string } | { path: string; error: InputError };

export async function expandInputs(inputs: readonly string[], options: { recursive: boolean; stdin: Readable }): Promise<InputItem[]> {
  const items: InputItem[] = [];
  for (const input of inputs) {
    if (input === '-') {
      for (const line of await readLines(options.stdin)) items.push(...(await expandOne(line, options.recursive)));
    } else {
      items.push(...(await expandOne(input, options.recursive)));
    }
  }
  return items;
}

async function expandOne(path: string, recursive: boolean): Promise<InputItem[]> {
  let info;
  try {
    info = await stat(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'READ_FAILED';
    const why = code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    return [{ path, error: { code, message: `${path}: ${why}` } }];
  }
  if (!info.isDirectory()) return [{ path }];
  const images = await imagesIn(path, recursive);
  if (images.length === 0) {
    const where = recursive ? 'in it or below' : 'in it (use --recursive for subdirectories)';
    return [{ path, error: { code: 'NO_IMAGES', message: `${path}: directory has no images ${where}; looked for ${[...IMAGE_EXTENSIONS].join(' ')}` } }];
  }
  return images.map((p) => ({ path: p }));
}

async function imagesIn(dir: string, recursive: boolean): Promise<string[]> {
  const found: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true });
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (recursive) found.push(...(await imagesIn(path, true)));
    } else if (IMAGE_EXTENSIONS.has(extname(entry.name).toLowerCase())) {
      found.push(path);
    }
  }
  // Code-unit order: the same on every machine, whatever the locale.
  return found.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

async function readLines(stream: Readable): Promise<string[]> {
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

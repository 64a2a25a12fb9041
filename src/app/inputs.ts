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

/** The most bytes of paths read from stdin (about a million paths), and the longest path (Linux's PATH_MAX). */
export const MAX_STDIN_BYTES = 256 * 2 ** 20;
export const MAX_PATH_BYTES = 4096;

export interface ExpandOptions {
  recursive: boolean;
  stdin: Readable;
  /** Paths on stdin are separated by NUL bytes (`find -print0`), not line breaks, and kept exactly (no trimming). */
  nullSeparated?: boolean;
}

export async function expandInputs(inputs: readonly string[], options: ExpandOptions): Promise<InputItem[]> {
  const items: InputItem[] = [];
  for (const input of inputs) {
    if (input === '-') {
      for (const path of await readPaths(options.stdin, options.nullSeparated === true)) {
        const invalid = invalidPath(path);
        items.push(...(invalid !== undefined ? [invalid] : await expandOne(path, options.recursive)));
      }
    } else {
      items.push(...(await expandOne(input, options.recursive)));
    }
  }
  return items;
}

/** A path that cannot name a file: a NUL byte (binary data on stdin, or -0 forgotten), or longer than any path. */
function invalidPath(path: string): InputItem | undefined {
  const shown = JSON.stringify(path.length > 80 ? `${path.slice(0, 80)}...` : path);
  if (path.includes('\0')) return { path, error: { code: 'INVALID_PATH', message: `${shown}: not a path: it contains a NUL byte (for NUL-separated paths use -0)` } };
  if (Buffer.byteLength(path) > MAX_PATH_BYTES) return { path, error: { code: 'INVALID_PATH', message: `${shown}: not a path: longer than ${MAX_PATH_BYTES} bytes` } };
  return undefined;
}

async function expandOne(path: string, recursive: boolean): Promise<InputItem[]> {
  let info;
  try {
    info = await stat(path);
  } catch (e) {
    return [{ path, error: fileError(path, e) }];
  }
  if (!info.isDirectory()) return [{ path }];
  const items = await imagesIn(path, recursive);
  if (items.length === 0) {
    const where = recursive ? 'in it or below' : 'in it (use --recursive for subdirectories)';
    return [{ path, error: { code: 'NO_IMAGES', message: `${path}: directory has no images ${where}; looked for ${[...IMAGE_EXTENSIONS].join(' ')}` } }];
  }
  return items;
}

function fileError(path: string, e: unknown): InputError {
  const code = (e as NodeJS.ErrnoException).code ?? 'READ_FAILED';
  const why = code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
  return { code, message: `${path}: ${why}` };
}

/** The images in a directory, sorted; a directory that cannot be read is an error item of its own, and the rest go on. */
async function imagesIn(dir: string, recursive: boolean): Promise<InputItem[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    return [{ path: dir, error: fileError(dir, e) }];
  }
  const found: InputItem[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (recursive) found.push(...(await imagesIn(path, true)));
    } else if (IMAGE_EXTENSIONS.has(extname(entry.name).toLowerCase())) {
      found.push({ path });
    }
  }
  // Code-unit order: the same on every machine, whatever the locale.
  return found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

async function readPaths(stream: Readable, nullSeparated: boolean): Promise<string[]> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of stream) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    bytes += buffer.length;
    if (bytes > MAX_STDIN_BYTES) throw new InputListError(`stdin: more than ${MAX_STDIN_BYTES} bytes of paths; split the list`);
    chunks.push(buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (nullSeparated) return text.split('\0').filter((p) => p !== '');
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

/** The list of inputs itself is unusable (not one input among others). */
export class InputListError extends Error {
  override name = 'InputListError';
}

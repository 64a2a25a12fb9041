// Turning the command line's inputs into a list of image files: files as given, directories
// expanded to the images inside (sorted, dotfiles left out; recursively with --recursive), http(s)
// URLs kept as URLs to fetch (app/fetch-input.ts), `-` read as one path (or URL) per line from
// stdin, as the paths arrive. A bad input becomes a per-file error, never the end of the batch.

import { readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { unusablePath } from '../util/regular-file.js';
import { isUrlInput, urlItem } from './fetch-input.js';

export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.jpe', '.png', '.webp', '.avif', '.gif', '.tif', '.tiff']);

/** Why an input could not be classified: a documented code and a one-line message naming it. */
export interface InputError {
  code: string;
  message: string;
}

/**
 * One input: a file (`path`), a URL to fetch (`url`, shown in records as `path`: the URL with any
 * password masked; app/fetch-input.ts), or why it has no image.
 */
export type InputItem = { path: string; url?: string } | { path: string; error: InputError };

/**
 * Inputs for a runner: a list, or an async source of items (or groups of items that became
 * known together, such as the paths of one read from stdin).
 */
export type InputSource = Iterable<InputItem> | AsyncIterable<InputItem | readonly InputItem[]>;

/** The most bytes of paths read from stdin (about a million paths), and the longest path (Linux's PATH_MAX). */
export const MAX_STDIN_BYTES = 256 * 2 ** 20;
export const MAX_PATH_BYTES = 4096;

export interface ExpandOptions {
  recursive: boolean;
  stdin: Readable;
  /** Paths on stdin are separated by NUL bytes (`find -print0`), not line breaks, and kept exactly (no trimming). */
  nullSeparated?: boolean;
}

/** Every input, expanded: the whole list at once (stdin read to its end). */
export async function expandInputs(inputs: readonly string[], options: ExpandOptions): Promise<InputItem[]> {
  const items: InputItem[] = [];
  for await (const group of streamInputs(inputs, options)) items.push(...group);
  return items;
}

/**
 * The inputs as they become known, in order: one group per argument, and for `-` one group per
 * read from stdin (the complete paths it held), so a consumer can start on the first paths while
 * the rest are still being written.
 */
export async function* streamInputs(inputs: readonly string[], options: ExpandOptions): AsyncGenerator<InputItem[]> {
  for (const input of inputs) {
    if (input !== '-') {
      yield await expandOne(input, options.recursive);
      continue;
    }
    for await (const paths of readPaths(options.stdin, options.nullSeparated === true)) {
      const group: InputItem[] = [];
      for (const path of paths) {
        const invalid = isUrlInput(path) ? undefined : invalidPath(path);
        group.push(...(invalid !== undefined ? [invalid] : await expandOne(path, options.recursive)));
      }
      if (group.length > 0) yield group;
    }
  }
}

/**
 * The inputs ready for a batch runner (classifyStream, embedStream), or undefined when there are
 * none. Without `-` the whole list is expanded first and counted; with `-` the inputs stream in,
 * and this waits only for the first of them (so an empty list is known before a model is loaded).
 * `select` keeps some of the expanded inputs (a shard, those not done yet) and is applied per
 * file, before any is decoded; undefined still means the command line named no inputs, while a
 * selection that keeps none is an empty source.
 */
export async function openInputs(
  inputs: readonly string[],
  options: ExpandOptions & { select?: (item: InputItem) => boolean },
): Promise<{ source: InputSource; count?: number } | undefined> {
  const { select } = options;
  if (!inputs.includes('-')) {
    const items = await expandInputs(inputs, options);
    if (items.length === 0) return undefined;
    const kept = select === undefined ? items : items.filter(select);
    return { source: kept, count: kept.length };
  }
  const groups = streamInputs(inputs, options);
  const first = await groups.next();
  if (first.done === true) return undefined;
  const source = prepend(first.value, groups);
  return { source: select === undefined ? source : selectGroups(source, select) };
}

async function* selectGroups(groups: AsyncIterable<InputItem[]>, select: (item: InputItem) => boolean): AsyncGenerator<InputItem[]> {
  for await (const group of groups) {
    const kept = group.filter(select);
    if (kept.length > 0) yield kept;
  }
}

async function* prepend<T>(first: T, rest: AsyncIterator<T>): AsyncGenerator<T> {
  yield first;
  for (let next = await rest.next(); next.done !== true; next = await rest.next()) yield next.value;
}

/** A path that cannot name a file: a NUL byte (binary data on stdin, or -0 forgotten), or longer than any path. */
function invalidPath(path: string): InputItem | undefined {
  const shown = JSON.stringify(path.length > 80 ? `${path.slice(0, 80)}...` : path);
  const unusable = unusablePath(path);
  if (unusable) return { path, error: { code: 'INVALID_PATH', message: `${shown}: not a path: ${unusable} (for NUL-separated paths use -0)` } };
  if (Buffer.byteLength(path) > MAX_PATH_BYTES) return { path, error: { code: 'INVALID_PATH', message: `${shown}: not a path: longer than ${MAX_PATH_BYTES} bytes` } };
  return undefined;
}

/**
 * One path as classify takes it before reading it (the queue worker's job): an error item when it
 * is no path or names nothing, with classify's codes and messages; a directory is not expanded
 * (reading it is then EISDIR).
 */
export async function checkPath(path: string): Promise<InputItem> {
  const invalid = invalidPath(path);
  if (invalid !== undefined) return invalid;
  try {
    await stat(path);
  } catch (e) {
    return { path, error: fileError(path, e) };
  }
  return { path };
}

async function expandOne(path: string, recursive: boolean): Promise<InputItem[]> {
  if (isUrlInput(path)) return [urlItem(path)];
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

/**
 * The images in a directory, sorted, leaving out hidden (dot) files and directories; a directory
 * that cannot be read is an error item of its own, and the rest go on.
 */
async function imagesIn(dir: string, recursive: boolean): Promise<InputItem[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    return [{ path: dir, error: fileError(dir, e) }];
  }
  const found: InputItem[] = [];
  for (const entry of entries) {
    // Hidden entries are not the user's images: macOS's AppleDouble `._name.jpg` files (metadata
    // with an image's extension), `.git`, `.thumbnails`. A hidden file named as an argument is still read.
    if (entry.name.startsWith('.')) continue;
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

/**
 * The paths on a stream, as they arrive: for each chunk read, the paths it completed. Separators
 * are single bytes (line feed, or NUL with -0) that never occur inside a UTF-8 sequence, so a path
 * is decoded only once all its bytes are in. Lines are trimmed (which drops a CR before the LF);
 * NUL-separated paths are kept exactly. Empty paths are skipped.
 */
async function* readPaths(stream: Readable, nullSeparated: boolean): AsyncGenerator<string[]> {
  const separator = nullSeparated ? 0 : 0x0a;
  const toPath = (bytes: Buffer) => (nullSeparated ? bytes.toString('utf8') : bytes.toString('utf8').trim());
  // The bytes of the path not yet ended, as the chunks that hold them (never concatenated twice).
  let pending: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of stream) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    bytes += buffer.length;
    if (bytes > MAX_STDIN_BYTES) throw new InputListError(`stdin: more than ${MAX_STDIN_BYTES} bytes of paths; split the list`);
    const paths: string[] = [];
    let start = 0;
    for (let end = buffer.indexOf(separator); end !== -1; end = buffer.indexOf(separator, start)) {
      paths.push(toPath(Buffer.concat([...pending, buffer.subarray(start, end)])));
      pending = [];
      start = end + 1;
    }
    if (start < buffer.length) pending.push(buffer.subarray(start));
    const nonEmpty = paths.filter((p) => p !== '');
    if (nonEmpty.length > 0) yield nonEmpty;
  }
  const last = toPath(Buffer.concat(pending));
  if (last !== '') yield [last];
}

/** The list of inputs itself is unusable (not one input among others). */
export class InputListError extends Error {
  override name = 'InputListError';
}

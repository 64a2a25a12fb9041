// Opening the files a user names (weights, configs, labels, references) so that none can hang the
// process or be read without bound: only regular files are opened (a FIFO with no writer blocks
// open() forever, /dev/zero never ends), and whole-file reads are capped. The FIFO is opened
// non-blocking and refused after fstat, so there is no window between a check and the open.
// Callers pass the error type of their domain (a config error, a labels error, ...): it is made
// from the problem alone, without the path, which the caller's error places as it does.

import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';

/** Make the caller's error from a problem such as "cannot open: no such file". */
export type MakeError = (problem: string) => Error;

const OPEN_FAILURES: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'is a directory, not a file',
  ENOTDIR: 'a part of the path is not a directory',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the path is too long',
};

/**
 * Why `path` cannot name a file at all, before any system call sees it (the one check every opener
 * shares; each caller words the error in its own domain): Node would throw a TypeError for a NUL byte.
 */
export function unusablePath(path: string): string | undefined {
  return path.includes('\0') ? 'it contains a NUL byte' : undefined;
}

/** Open `path` for reading if it is a regular file; the caller closes the descriptor. */
export function openRegularFile(path: string, error: MakeError): { fd: number; size: number } {
  const unusable = unusablePath(path);
  if (unusable) throw error(`cannot open: not a path: ${unusable}`);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    throw error(`cannot open: ${OPEN_FAILURES[code] ?? (code || (e as Error).message)}`);
  }
  const stats = fstatSync(fd);
  if (!stats.isFile()) {
    closeSync(fd);
    throw error(`cannot open: ${notAFile(stats)}`);
  }
  return { fd, size: stats.size };
}

/** The whole of a regular file of at most `maxBytes` bytes. */
export function readRegularFile(path: string, maxBytes: number, error: MakeError): Buffer {
  const { fd, size } = openRegularFile(path, error);
  try {
    if (size > maxBytes) throw error(`${size} bytes, more than the ${maxBytes}-byte limit for this kind of file`);
    const bytes = Buffer.alloc(size);
    let done = 0;
    while (done < size) {
      const n = readSync(fd, bytes, done, size - done, done);
      if (n === 0) throw error('the file shrank while being read');
      done += n;
    }
    return bytes;
  } finally {
    closeSync(fd);
  }
}

function notAFile(stats: Stats): string {
  return stats.isDirectory() ? 'is a directory, not a file' : `is ${fileKind(stats)}, not a regular file`;
}

/** What a file that is not a regular file or a directory is, in words ("a FIFO (named pipe)"). */
export function fileKind(stats: Stats): string {
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}
